"""LoRA adapters as the engine serves them: read from PEFT files, applied per row in the layers.

This module holds, with `lora_ops` (the batched op) and `slots` (the slot bank that keeps
many adapters stacked on the device), the part of LoRA Land that PEFT does not.

- `read_adapter` reads a PEFT directory (`adapter_config.json` +
  `adapter_model.safetensors`, local or from the hub) and checks it against the model:
  the base it was trained for, the modules it targets, every tensor's shape. A bad
  adapter raises `AdapterError` saying which and why; nothing else is touched.
- `Stack` is one module's resident adapters, A and B stacked with `alpha / r` (or
  `alpha / sqrt(r)` for rsLoRA) folded into B; `slots.SlotBank` builds them.
- `LoRALinear` wraps a base linear layer (float or bitsandbytes 4-bit) and adds each
  row's update for the rows of the current batch, whose slots the engine sets once per
  forward pass (`BatchSlots`): grouped by adapter for decode, gathered per row for
  prefill, each row reading its own entry in the compiled decode step. A base row, or a
  row whose adapter does not target a module, does nothing in it.

It knows nothing of requests, scheduling or tokenization.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from lora_land.lora_ops import (
    GatherPlan, GroupPlan, batched_lora, lora_add_, lora_hidden, lora_rows, plan_rows, row_entries,
)

__all__ = [  # batched_lora is the op's public name here too, as before the op had its own module
    "AdapterError", "AdapterWeights", "BatchSlots", "LoRALinear", "Stack", "batched_lora", "read_adapter",
]

ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
_KEY = re.compile(r"^base_model\.model\.(?P<module>.+)\.lora_(?P<which>[AB])(?:\.[^.]+)?\.weight$")


class AdapterError(ValueError):
    """An adapter that cannot be served: the message says which adapter and why."""


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

SHARED_INPUT = (("q_proj", "k_proj", "v_proj"), ("gate_proj", "up_proj"))  # sibling layers that read the same input
_UNPLANNED = object()


@dataclass(eq=False)
class Stack:
    """One module's resident adapters of one rank class, entry e holding slot `members[e]`.

    A (L, in, R) and B (L, R, out), scaling folded into B, no entry for the base and none
    for an adapter that does not target the module; entries past the members (a bank that
    keeps its shapes for compiled code) are zeros. When sibling layers (q, k and v; gate
    and up) hold the same members, their A's sit side by side in `shared` (L, in, sum of
    R) and `A` is this module's columns of it, from `offset`.
    """

    members: tuple[int, ...]
    names: tuple[str, ...]  # the adapters in those slots
    A: torch.Tensor
    B: torch.Tensor
    shared: torch.Tensor | None = None
    offset: int = 0

    @property
    def rank(self) -> int:
        return self.B.shape[1]


class BatchSlots:
    """The adapter slots of the batch being run, shared by every LoRALinear of a model.

    `set(slots, T)` before a forward pass gives each row's slot (0 = the base). A plan is
    made the first time a pass meets a stack layout (its members) and is shared by every
    layer of that layout; siblings that read the same input share one product with A.
    `set(slots, 1, fixed=True)` (the compiled decode step) gives every layer its rows'
    entries instead, tensors whose shapes depend on the rows alone (`lora_rows`).
    """

    def __init__(self, device=None, prepare=None):
        self.device, self.prepare = device, prepare  # prepare(): the bank's stacks up to date
        self.slots: list[int] | None = None  # None: every row is the base
        self.T = 0
        self._plans: dict[tuple[int, ...], GroupPlan | GatherPlan | None] = {}
        self._hidden: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        self.layers: list[LoRALinear] = []  # every layer these slots drive; each LoRALinear adds itself
        self._fixed = False  # the last pass set rows for `lora_rows`

    def set(self, slots: list[int] | None, T: int, fixed: bool = False) -> None:
        """Rows' slots (slot 0 = base) for the next forward pass of T tokens per row; `fixed`: by `lora_rows`."""
        active = bool(slots) and any(slots)
        if active and self.prepare is not None:
            self.prepare()
        self.slots, self.T = (list(slots) if active and not fixed else None), T
        self._plans.clear()
        self._hidden.clear()
        if fixed or self._fixed:  # the eager passes never touch the layers' rows
            tables: dict[tuple[int, ...], tuple[torch.Tensor, torch.Tensor]] = {}
            for layer in self.layers:
                layer.rows = None if not fixed else [self._rows(s.members, slots, tables) for s in layer.stacks if active]
        self._fixed = fixed

    def _rows(self, members: tuple[int, ...], slots: list[int], tables: dict) -> tuple[torch.Tensor, torch.Tensor]:
        if members not in tables:
            entry = {slot: e for e, slot in enumerate(members)}
            tables[members] = row_entries([entry.get(s, -1) for s in slots], self.device)
        return tables[members]

    def plan(self, members: tuple[int, ...]) -> GroupPlan | GatherPlan | None:
        plan = self._plans.get(members, _UNPLANNED)
        if plan is _UNPLANNED:
            entry = {slot: e for e, slot in enumerate(members)}
            plan = plan_rows([entry.get(s, -1) for s in self.slots], self.T, len(members), self.device)
            self._plans[members] = plan
        return plan

    def hidden(self, x: torch.Tensor, stack: Stack, plan) -> torch.Tensor:
        """x times the stack's A for the member rows: (G, M, R) or (k, T, R); one matmul for siblings."""
        if stack.shared is None:
            return lora_hidden(x.to(stack.A.dtype), stack.A, plan)
        cached = self._hidden.get(id(stack.shared))
        if cached is None or cached[0] is not x:
            cached = (x, lora_hidden(x.to(stack.A.dtype), stack.shared, plan))
            self._hidden[id(stack.shared)] = cached
        return cached[1][..., stack.offset : stack.offset + stack.rank]


class LoRALinear(nn.Module):
    """A base linear layer plus each row's own adapter: y = base(x) + the row's x @ A @ B.

    Shapes: x (N, T, in) -> (N, T, out), N the rows of the batch. `stacks` (one per rank
    class) are owned by the SlotBank; a row whose adapter is in none of them does nothing
    here, and a batch of base rows runs the base layer alone. In the compiled decode step
    (`rows` set) every row reads its own entry and nothing depends on the slots' values,
    so the compiled code holds for any mix of adapters.
    """

    def __init__(self, base: nn.Module, batch: BatchSlots):
        super().__init__()
        self.base, self.batch = base, batch
        self.stacks: list[Stack] = []  # a plain attribute: not parameters, not in the state dict
        self.rows: list[tuple[torch.Tensor, torch.Tensor]] | None = None  # per stack: `row_entries`, when fixed
        batch.layers.append(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.base(x)
        if self.rows is not None:
            for stack, (entries, keep) in zip(self.stacks, self.rows):
                y = y + lora_rows(x.to(stack.A.dtype), stack.A, stack.B, entries, keep).to(y.dtype)
            return y
        batch = self.batch
        if batch.slots is None:
            return y
        for stack in self.stacks:
            plan = batch.plan(stack.members)
            if plan is not None:
                lora_add_(y, batch.hidden(x, stack, plan), stack.B, plan)
        return y
