"""Batched LoRA: every row of a batch adds its own adapter, in one tensor computation.

This module holds the part of LoRA Land that PEFT does not: the batched op, the linear
layer that applies it, and the slot bank that keeps many adapters stacked on the device.

- `read_adapter` reads a PEFT directory (`adapter_config.json` +
  `adapter_model.safetensors`, local or from the hub) and checks it against the model:
  the base it was trained for, the modules it targets, every tensor's shape. A bad
  adapter raises `AdapterError` saying which and why; nothing else is touched.
- `SlotBank` stacks the A and B matrices of resident adapters per target module into slot
  tensors: slot 0 is all zeros (the base model), ranks are padded with zeros, a module an
  adapter does not target stays zero in its slot, and `alpha / r` (or `alpha / sqrt(r)`
  for rsLoRA) is folded into B. More adapters than slots wait in host memory and are
  swapped in least-recently-used.
- `LoRALinear` wraps a base linear layer (float or bitsandbytes 4-bit) and adds each
  row's update for the rows of the current batch, whose slots the engine sets once per
  forward pass: grouped by adapter (`batched_lora`) for decode, gathered per row
  (`batched_lora_gather`) for prefill, whichever measured faster for that shape.

It knows nothing of requests, scheduling or tokenization.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
_KEY = re.compile(r"^base_model\.model\.(?P<module>.+)\.lora_(?P<which>[AB])(?:\.[^.]+)?\.weight$")


class AdapterError(ValueError):
    """An adapter that cannot be served: the message says which adapter and why."""


# --- the batched op -----------------------------------------------------------


@dataclass(frozen=True)
class SlotPlan:
    """Where each token of a batch goes in the slot-major layout the op computes in.

    Tokens are grouped by adapter: group g holds up to `M` tokens, all of `groups[g]`'s
    slot (or of slot g when `groups` is None, every resident slot in place). `index[t]`
    is token t's place in the (G * M) grouped rows. Built once per forward pass and
    shared by every LoRA layer.
    """

    index: torch.Tensor  # (N * T,) long
    groups: torch.Tensor | None  # (G,) slot ids, or None for all S slots in place
    G: int
    M: int

    def scatter(self, x: torch.Tensor) -> torch.Tensor:
        """x (N, T, in) into the zero-padded grouped layout (G, M, in)."""
        N, T, n_in = x.shape
        grouped = x.new_zeros(self.G * self.M, n_in).index_copy_(0, self.index, x.reshape(N * T, n_in))
        return grouped.view(self.G, self.M, n_in)


def plan_slots(slots: list[int], T: int, n_slots: int, device=None) -> SlotPlan:
    """The SlotPlan for rows with these slots, each of T tokens, over stacks of n_slots slots.

    When the batch uses most resident slots, the op reads the stacks in place (no copy of
    any weight); when it uses few, it gathers just those slots' stacks first.
    """
    used = sorted(set(slots))
    in_place = len(used) > n_slots // 2
    group_of = {s: s for s in used} if in_place else {s: g for g, s in enumerate(used)}
    counts: dict[int, int] = {}
    starts = []
    for s in slots:
        k = counts.get(s, 0)
        counts[s] = k + 1
        starts.append((group_of[s], k))
    M = max(counts.values()) * T
    index = torch.tensor([g * M + k * T for g, k in starts], device=device)[:, None] + torch.arange(T, device=device)
    groups = None if in_place else torch.tensor(used, device=device)
    return SlotPlan(index=index.reshape(-1), groups=groups, G=n_slots if in_place else len(used), M=M)


def batched_lora(x: torch.Tensor, A: torch.Tensor, B: torch.Tensor, plan: SlotPlan,
                 grouped: torch.Tensor | None = None) -> torch.Tensor:
    """Each row's own low-rank update, computed per adapter group (SGMV-style); the engine's decode op.

    Semantics:
        for i in range(N):
            s = slots[i]
            y[i] = x[i] @ A[s] @ B[s]          # (T, in) -> (T, R) -> (T, out)

    Shapes: x (N, T, in); A (S, in, R); B (S, R, out), scaling already folded in;
    `plan` from `plan_slots(slots, T, S)`. Returns (N, T, out). Slot 0 is all zeros, so
    base rows get exact zeros with no special case.

    The tokens are scattered into a zero-padded (G, M, in) block, one group per adapter,
    multiplied by each group's A and B in two batched matmuls, and gathered back: two
    index ops and two bmm calls per layer, whatever the mix of adapters. Layers that
    read the same input (q, k and v; gate and up) can pass the scattered `grouped` block.
    """
    N, T, _ = x.shape
    if plan.groups is not None:
        A, B = A.index_select(0, plan.groups), B.index_select(0, plan.groups)  # (G, in, R), (G, R, out)
    if grouped is None:
        grouped = plan.scatter(x)  # (G, M, in)
    h = torch.bmm(grouped, A)  # (G, M, R)
    y = torch.bmm(h, B)  # (G, M, out)
    return y.view(plan.G * plan.M, -1).index_select(0, plan.index).view(N, T, -1)


def batched_lora_gather(x: torch.Tensor, A: torch.Tensor, B: torch.Tensor, slots: torch.Tensor) -> torch.Tensor:
    """The same update gathered per row (BGMV-style): each row copies its adapter's A and B.

    Used for prefill, where each row has many tokens to pay for its copy and grouping
    would pad every adapter's group to the longest; `batched_lora` is used for decode,
    where one token per row makes the copies dominate (`python -m lora_land.bench`, part f).
    Shapes: x (N, T, in); A (S, in, R); B (S, R, out); slots (N,). Returns (N, T, out).
    """
    return torch.bmm(torch.bmm(x, A.index_select(0, slots)), B.index_select(0, slots))


def batched_lora_reference(x: torch.Tensor, A: torch.Tensor, B: torch.Tensor, slots: torch.Tensor) -> torch.Tensor:
    """The slow, obviously right version of `batched_lora`: one row at a time."""
    rows = []
    for i, s in enumerate(slots.tolist()):
        rows.append((x[i] @ A[s]) @ B[s])  # (T, out)
    return torch.stack(rows)


# --- reading an adapter ---------------------------------------------------------


@dataclass
class AdapterWeights:
    """One adapter, read and checked, in host memory.

    `modules` maps a model module name ("model.layers.0.self_attn.q_proj") to
    (A (r, in), B (out, r) with the scaling folded in).
    """

    name: str
    source: str
    rank: int
    modules: dict[str, tuple[torch.Tensor, torch.Tensor]]
    config: dict = field(repr=False)

    @property
    def nbytes(self) -> int:
        return sum(a.numel() * a.element_size() + b.numel() * b.element_size() for a, b in self.modules.values())


def resolve_adapter_dir(source: str, root: Path | None = None) -> Path:
    """A local PEFT directory, or the hub snapshot of a repo id (config and safetensors only)."""
    path = Path(source)
    if not path.is_absolute() and root is not None and (source.startswith(".") or (root / path).exists()):
        path = root / path
    if path.exists():
        return path
    if source.startswith((".", "/")) or source.count("/") != 1:
        raise AdapterError(f"adapter directory {source!r} does not exist")
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(source, allow_patterns=[ADAPTER_CONFIG, ADAPTER_WEIGHTS]))
    except Exception as exc:  # network, auth, missing repo: all the same to the caller
        raise AdapterError(f"could not fetch adapter {source!r} from the hub: {exc}") from exc


def _same_base(named: str | None, served: str, root: Path | None) -> bool:
    if not named:
        return True  # PEFT leaves it empty for adapters made in memory; the shapes decide
    def norm(s: str) -> str:
        p = Path(s)
        if not p.is_absolute() and root is not None and (root / p).exists():
            p = root / p
        return str(p.resolve()) if p.exists() else s.rstrip("/")
    return norm(named) == norm(served)


def _pattern_value(patterns: dict, module: str, default):
    """PEFT's rank_pattern / alpha_pattern: a key matches a module name by suffix or regex."""
    for key, value in (patterns or {}).items():
        if module == key or module.endswith("." + key) or re.fullmatch(rf"(.*\.)?{key}", module):
            return value
    return default


def read_adapter(name: str, source: str, model: nn.Module, base_name: str, root: Path | None = None,
                 dtype: torch.dtype = torch.float32) -> AdapterWeights:
    """Read the PEFT adapter at `source` and check it against `model`; raise AdapterError if unfit."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    directory = resolve_adapter_dir(source, root)
    config_path, weights_path = directory / ADAPTER_CONFIG, directory / ADAPTER_WEIGHTS
    if not config_path.is_file():
        raise AdapterError(f"adapter {name!r}: {config_path} is missing")
    if not weights_path.is_file():
        extra = " (only .safetensors weights are loaded)" if (directory / "adapter_model.bin").exists() else ""
        raise AdapterError(f"adapter {name!r}: {weights_path} is missing{extra}")
    try:
        config = json.loads(config_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AdapterError(f"adapter {name!r}: {config_path} is not valid JSON ({exc})") from exc
    if not isinstance(config, dict) or config.get("peft_type", "LORA") != "LORA":
        raise AdapterError(f"adapter {name!r}: not a LoRA adapter (peft_type {config.get('peft_type')!r})")
    for flag, why in [("use_dora", "DoRA"), ("fan_in_fan_out", "fan_in_fan_out layers")]:
        if config.get(flag):
            raise AdapterError(f"adapter {name!r}: {why} is not supported")
    if config.get("bias", "none") != "none" or config.get("modules_to_save"):
        raise AdapterError(f"adapter {name!r}: trained bias terms and modules_to_save are not supported")
    if not _same_base(config.get("base_model_name_or_path"), base_name, root):
        raise AdapterError(
            f"adapter {name!r} was trained for base {config.get('base_model_name_or_path')!r}; "
            f"this engine serves {base_name!r}"
        )
    try:
        tensors = load_file(str(weights_path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise AdapterError(f"adapter {name!r}: {weights_path} is corrupt ({exc})") from exc

    pairs: dict[str, dict[str, torch.Tensor]] = {}
    for key, tensor in tensors.items():
        match = _KEY.match(key)
        if not match:
            raise AdapterError(f"adapter {name!r}: unexpected tensor {key!r} (only lora_A/lora_B weights are served)")
        pairs.setdefault(match["module"], {})[match["which"]] = tensor
    if not pairs:
        raise AdapterError(f"adapter {name!r}: {weights_path} holds no LoRA weights")
    linears = dict(model.named_modules())
    modules: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
    alpha, rslora = config.get("lora_alpha", 8), bool(config.get("use_rslora"))
    for module, pair in sorted(pairs.items()):
        if set(pair) != {"A", "B"}:
            raise AdapterError(f"adapter {name!r}: module {module} has lora_{'A' if 'A' not in pair else 'B'} missing")
        layer = linears.get(module)
        if layer is None:
            raise AdapterError(f"adapter {name!r} targets {module}, which this model does not have")
        layer = getattr(layer, "base", layer)  # already wrapped by LoRALinear
        in_features, out_features = _linear_shape(layer, module, name)
        a, b = pair["A"], pair["B"]
        r = a.shape[0]
        if a.dim() != 2 or b.dim() != 2 or a.shape[1] != in_features or b.shape != (out_features, r):
            raise AdapterError(
                f"adapter {name!r}: {module} has lora_A {tuple(a.shape)} and lora_B {tuple(b.shape)}, "
                f"but the layer is {in_features} -> {out_features} (an adapter for another base?)"
            )
        a_alpha = _pattern_value(config.get("alpha_pattern"), module, alpha)
        scaling = a_alpha / math.sqrt(r) if rslora else a_alpha / r
        modules[module] = (a.to(dtype).contiguous(), (b.float() * scaling).to(dtype).contiguous())
    rank = max(a.shape[0] for a, _ in modules.values())
    return AdapterWeights(name=name, source=source, rank=rank, modules=modules, config=config)


def _linear_shape(layer: nn.Module, module: str, adapter: str) -> tuple[int, int]:
    if hasattr(layer, "in_features") and hasattr(layer, "out_features"):
        return layer.in_features, layer.out_features
    raise AdapterError(f"adapter {adapter!r} targets {module}, which is not a linear layer")


# --- the layer ------------------------------------------------------------------


class BatchSlots:
    """The adapter slots of the batch being run, shared by every LoRALinear of a model.

    `slots` is None when every row is the base (the layers skip the LoRA term
    altogether); otherwise each row's slot (N,). A decode pass (one token per row) also
    gets its SlotPlan, built once here for every layer.
    """

    def __init__(self, n_slots: int = 0, device=None):
        self.n_slots, self.device = n_slots, device
        self.slots: torch.Tensor | None = None
        self.plan: SlotPlan | None = None
        self._input: torch.Tensor | None = None
        self._grouped: torch.Tensor | None = None

    def set(self, slots: list[int] | None, T: int) -> None:
        """Rows' slots (slot 0 = base) for the next forward pass of T tokens per row."""
        active = bool(slots) and any(slots)
        self.slots = torch.tensor(slots, device=self.device) if active else None
        self.plan = plan_slots(slots, T, self.n_slots + 1, self.device) if active and T == 1 else None
        self._input = self._grouped = None

    def grouped(self, x: torch.Tensor) -> torch.Tensor:
        """x scattered by the plan, reused while the next layer reads the very same input."""
        if self._input is not x:
            self._input, self._grouped = x, self.plan.scatter(x)
        return self._grouped


class LoRALinear(nn.Module):
    """A base linear layer plus each row's own adapter: y = base(x) + batched_lora(x).

    Shapes: x (N, T, in) -> (N, T, out), N the rows of the batch. `A` (S, in, R) and
    `B` (S, R, out) are this module's slot stacks, owned by the SlotBank.
    """

    def __init__(self, base: nn.Module, batch: BatchSlots, A: torch.Tensor, B: torch.Tensor):
        super().__init__()
        self.base = base
        self.batch = batch
        self.A, self.B = A, B  # plain attributes: not parameters, not in the state dict

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.base(x)
        batch = self.batch
        if batch.slots is None:
            return y
        x = x.to(self.A.dtype)
        if batch.plan is None:  # prefill: many tokens per row
            return y + batched_lora_gather(x, self.A, self.B, batch.slots).to(y.dtype)
        return y + batched_lora(x, self.A, self.B, batch.plan, batch.grouped(x)).to(y.dtype)


# --- the slot bank --------------------------------------------------------------


class SlotBank:
    """Adapters stacked into device slot tensors; the rest wait in host memory (LRU).

    Slot 0 is the base model (all zeros) and never holds an adapter; slots 1..n_slots
    hold resident adapters. `acquire(name)` makes an adapter resident (evicting the least
    recently used adapter no running row holds; the scheduler checks there is room
    first) and counts the row that holds it;
    `release(slot)` uncounts it. Every method runs on the engine thread, between forward
    passes, except `register`, which only touches host memory and takes the lock.
    """

    def __init__(self, model: nn.Module, n_slots: int, device: torch.device, dtype: torch.dtype):
        self.model, self.n_slots, self.device, self.dtype = model, n_slots, device, dtype
        self.batch = BatchSlots(n_slots, device)
        self.host: dict[str, AdapterWeights] = {}
        self.rank = 0
        self.layers: dict[str, LoRALinear] = {}
        self.resident: OrderedDict[str, int] = OrderedDict()  # name -> slot, least recently used first
        self.holders = [0] * (n_slots + 1)  # rows holding each slot
        self.loads = 0  # adapters copied to the device, for the stats
        self._lock = threading.Lock()

    # host side
    def register(self, weights: AdapterWeights) -> None:
        """Keep `weights` in host memory under its name (replacing a previous version)."""
        with self._lock:
            self.host[weights.name] = weights

    def names(self) -> list[str]:
        with self._lock:
            return list(self.host)

    def known(self, name: str) -> bool:
        with self._lock:
            return name in self.host

    # device side (engine thread)
    def room_for(self, names: set[str]) -> bool:
        """Whether all of `names` can hold device slots at once, now (evicting only unheld ones)."""
        names = names - {"base"}
        new = names - set(self.resident)
        evictable = sum(1 for n, s in self.resident.items() if self.holders[s] == 0 and n not in names)
        return len(new) <= self.n_slots - len(self.resident) + evictable

    def can_acquire(self, name: str) -> bool:
        return self.room_for({name})

    def acquire(self, name: str) -> int:
        """The slot of `name`, made resident if needed, with one more holder."""
        if name == "base":
            return 0
        slot = self.resident.get(name)
        if slot is None:
            slot = self._place(name)
        self.resident.move_to_end(name)
        self.holders[slot] += 1
        return slot

    def release(self, slot: int) -> None:
        if slot:
            self.holders[slot] -= 1

    def _place(self, name: str) -> int:
        with self._lock:
            weights = self.host[name]
        used = set(self.resident.values())
        free = [s for s in range(1, self.n_slots + 1) if s not in used]
        if free:
            slot = free[0]
        else:
            victim = next((n for n, s in self.resident.items() if self.holders[s] == 0), None)
            if victim is None:
                raise RuntimeError("every adapter slot is held by a running row")
            slot = self.resident.pop(victim)
        self._write(slot, weights)
        self.resident[name] = slot
        self.loads += 1
        return slot

    def _write(self, slot: int, weights: AdapterWeights) -> None:
        if weights.rank > self.rank:
            self._grow_rank(weights.rank)
        for module in weights.modules:
            if module not in self.layers:
                self._wrap(module)
        for module, layer in self.layers.items():
            layer.A[slot].zero_()
            layer.B[slot].zero_()
            if module in weights.modules:
                a, b = weights.modules[module]
                r = a.shape[0]
                layer.A[slot, :, :r].copy_(a.T)
                layer.B[slot, :r].copy_(b.T)

    def _wrap(self, module: str) -> None:
        parent_name, _, child = module.rpartition(".")
        parent = self.model.get_submodule(parent_name)
        base = getattr(parent, child)
        S, R = self.n_slots + 1, max(self.rank, 1)
        A = torch.zeros(S, base.in_features, R, device=self.device, dtype=self.dtype)
        B = torch.zeros(S, R, base.out_features, device=self.device, dtype=self.dtype)
        layer = LoRALinear(base, self.batch, A, B)
        setattr(parent, child, layer)
        self.layers[module] = layer

    def _grow_rank(self, rank: int) -> None:
        """Pad every stack to `rank` columns; the values already there keep their place."""
        for layer in self.layers.values():
            S, n_in, R = layer.A.shape
            A = torch.zeros(S, n_in, rank, device=self.device, dtype=self.dtype)
            B = torch.zeros(S, rank, layer.B.shape[2], device=self.device, dtype=self.dtype)
            A[:, :, :R].copy_(layer.A)
            B[:, :R].copy_(layer.B)
            layer.A, layer.B = A, B
        self.rank = rank

    def device_bytes(self) -> int:
        return sum(l.A.numel() * l.A.element_size() + l.B.numel() * l.B.element_size() for l in self.layers.values())

