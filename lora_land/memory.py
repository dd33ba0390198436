"""Memory planning: how many rows of how many positions the key/value cache can hold.

The cache is sized `max_rows x capacity` positions per layer, keys and values, so at
Mistral-7B (32 layers, 8 key/value heads of 128, bfloat16) every position of every row
costs 128 KiB and 32 rows of 4096 positions take 16 GiB. Before anything is allocated,
`plan_memory` adds that to the adapters' slot stacks and a prefill's activations,
compares it with the memory the device has free once the weights are loaded, and
chooses the most rows (then the longest context) that fit, or raises `MemoryPlanError`
saying what to lower.

    plan = plan_memory(model.config, free_bytes=..., dtype=torch.bfloat16, rows=32, context=4096)
    log.info(plan.describe())

It knows sizes, not tensors: nothing here allocates.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

GiB = 1 << 30
HEADROOM = 0.10  # of free memory, left for the allocator's fragmentation and the framework
MIN_ROWS = 4  # fewer rows than this, and the context is shortened instead
MIN_CONTEXT = 512
CONTEXT_STEP = 256  # capacities are multiples of this (the cache grows in such chunks)


class MemoryPlanError(RuntimeError):
    """Even the smallest useful cache does not fit; the message says what to lower."""


@dataclass(frozen=True)
class MemoryPlan:
    device: str
    free_bytes: int  # free on the device once the model is loaded
    kv_bytes_per_position: int  # keys and values of one position of one row, every layer
    slot_bytes: int  # the adapters' A and B stacks
    activation_bytes: int  # the largest prefill's activations, roughly
    rows: int
    context: int  # positions per row
    wanted_rows: int
    wanted_context: int

    @property
    def cache_bytes(self) -> int:
        return self.kv_bytes_per_position * self.rows * self.context

    @property
    def total_bytes(self) -> int:
        return self.cache_bytes + self.slot_bytes + self.activation_bytes

    def describe(self) -> str:
        cut = ""
        if (self.rows, self.context) != (self.wanted_rows, self.wanted_context):
            cut = f" (wanted {self.wanted_rows} x {self.wanted_context}; lowered to fit)"
        return (f"memory plan on {self.device}: key/value cache {self.rows} rows x {self.context} positions = "
                f"{self.cache_bytes / GiB:.2f} GiB{cut}; adapter slots {self.slot_bytes / GiB:.2f} GiB; "
                f"activations {self.activation_bytes / GiB:.2f} GiB; {self.total_bytes / GiB:.2f} of "
                f"{self.free_bytes / GiB:.2f} GiB free")


def kv_bytes_per_position(config, dtype: torch.dtype) -> int:
    """Keys and values of one cached position of one row, over every layer."""
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    return 2 * config.num_hidden_layers * config.num_key_value_heads * head_dim * dtype.itemsize


def activation_bytes(config, dtype: torch.dtype, prefill_tokens: int, rows: int) -> int:
    """A rough ceiling on one step's live activations: a prefill's hidden and MLP tensors, the logits."""
    per_token = 4 * config.hidden_size + 3 * config.intermediate_size
    return prefill_tokens * per_token * dtype.itemsize + rows * config.vocab_size * 4


def free_bytes(device: torch.device | str) -> int:
    """Memory free on the device now: CUDA's own count, or the host's available memory."""
    device = torch.device(device)
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return free
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import os

    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def plan_memory(config, *, free: int, dtype: torch.dtype, rows: int, context: int, slot_bytes: int = 0,
                prefill_tokens: int = 8192, device: str = "cpu") -> MemoryPlan:
    """The most rows (up to `rows`), then the longest context (up to `context`), that fit in `free` bytes.

    Rows are lowered first, down to MIN_ROWS; then the context, in steps of CONTEXT_STEP,
    down to MIN_CONTEXT; then the rows again, down to one. Below that it raises
    MemoryPlanError naming the knobs.
    """
    per_position = kv_bytes_per_position(config, dtype)
    act = activation_bytes(config, dtype, prefill_tokens, rows)
    budget = int(free * (1 - HEADROOM)) - slot_bytes - act
    fits = lambda r, c: r * c * per_position <= budget  # noqa: E731
    best = None
    if fits(rows, context):
        best = (rows, context)
    elif fits(min(rows, MIN_ROWS), context):
        best = (max(r for r in range(MIN_ROWS, rows + 1) if fits(r, context)), context)
    else:
        for r in (min(rows, MIN_ROWS), 1):
            c = max(0, budget) // (r * per_position) // CONTEXT_STEP * CONTEXT_STEP
            if c >= min(MIN_CONTEXT, context):
                best = (r, min(c, context))
                break
    if best is None:
        need = min(MIN_CONTEXT, context) * per_position + slot_bytes + act
        raise MemoryPlanError(
            f"not enough memory on {device}: one row of {min(MIN_CONTEXT, context)} positions with the adapters' "
            f"slots ({slot_bytes / GiB:.2f} GiB) and a prefill ({act / GiB:.2f} GiB) needs {need / GiB:.2f} GiB, "
            f"and {free / GiB:.2f} GiB is free after loading the model (with {HEADROOM:.0%} kept back). Lower "
            f"--max-context below {min(MIN_CONTEXT, context)}, serve fewer adapters, quantize the base (nf4), "
            f"or use a device with more memory"
        )
    return MemoryPlan(device=device, free_bytes=free, kv_bytes_per_position=per_position, slot_bytes=slot_bytes,
                      activation_bytes=act, rows=best[0], context=best[1], wanted_rows=rows, wanted_context=context)


def slot_bytes(shapes: dict[str, tuple[int, int]], n_slots: int, rank: int, dtype: torch.dtype) -> int:
    """The SlotBank's stacks for n_slots adapters of one rank on these modules (name -> (in, out))."""
    return sum(n_slots * rank * (n_in + n_out) for n_in, n_out in shapes.values()) * dtype.itemsize


def stack_bytes(adapters: list[dict[str, tuple[int, int, int]]], n_slots: int, dtype: torch.dtype) -> int:
    """The most the SlotBank's stacks take for these adapters (each: module -> (rank, in, out)), n_slots at once.

    A module stacks the adapters that target it at the largest of their ranks; this
    counts the n_slots adapters with the most bytes there, so any resident set fits.
    """
    per_module: dict[str, list[tuple[int, int]]] = {}
    for modules in adapters:
        for module, (rank, n_in, n_out) in modules.items():
            per_module.setdefault(module, []).append((rank, n_in + n_out))
    total = 0
    for entries in per_module.values():
        ranks = sorted((r for r, _ in entries), reverse=True)[:n_slots]
        total += len(ranks) * ranks[0] * entries[0][1]
    return total * dtype.itemsize


def weight_bytes(config, quantize: str | None, dtype: torch.dtype) -> int:
    """What a Llama/Mistral model's weights take: linear layers in `dtype` or NF4, embeddings in `dtype`.

    NF4 stores half a byte per weight plus its double-quantized block constants (about
    0.127 bits per weight, as QLoRA reports); bitsandbytes leaves the embeddings and the
    output head unquantized.
    """
    d, m, v = config.hidden_size, config.intermediate_size, config.vocab_size
    head_dim = getattr(config, "head_dim", None) or d // config.num_attention_heads
    kv = config.num_key_value_heads * head_dim
    linear = config.num_hidden_layers * (2 * d * d + 2 * d * kv + 3 * d * m)
    embeddings = v * d * (1 if getattr(config, "tie_word_embeddings", False) else 2)
    norms = (2 * config.num_hidden_layers + 1) * d
    per_weight = (0.5 + 0.127 / 8) if quantize == "nf4" else dtype.itemsize
    return int(linear * per_weight) + (embeddings + norms) * dtype.itemsize
