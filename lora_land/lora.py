"""Batched LoRA: every row of a batch adds its own adapter, in one tensor computation.

This module holds the part of LoRA Land that PEFT does not: the batched op, the linear
layer that applies it, and the slot bank that keeps many adapters stacked on the device.

- `read_adapter` reads a PEFT directory (`adapter_config.json` +
  `adapter_model.safetensors`, local or from the hub) and checks it against the model:
  the base it was trained for, the modules it targets, every tensor's shape. A bad
  adapter raises `AdapterError` saying which and why; nothing else is touched.
- `SlotBank` keeps the resident adapters' A and B on the device, per target module: a
  module stacks only the adapters that target it, at their own rank class, with
  `alpha / r` (or `alpha / sqrt(r)` for rsLoRA) folded into B; sibling layers that read
  the same input (q, k and v; gate and up) share one stack of A's side by side. More
  adapters than slots wait in host memory and are swapped in least-recently-used.
- `LoRALinear` wraps a base linear layer (float or bitsandbytes 4-bit) and adds each
  row's update for the rows of the current batch, whose slots the engine sets once per
  forward pass: grouped by adapter for decode, gathered per row for prefill
  (`batched_lora` says what is computed, `batched_lora_reference` is the slow version
  the tests hold it to). A base row, or a row whose adapter does not target a module,
  does nothing in it.

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
class GroupPlan:
    """Where each member row's tokens go in the adapter-major layout (the decode plan).

    Rows of the same stack entry form a group of up to `M` tokens; the op computes the
    (G, M, in) block in two batched matmuls. `src[p]` is the token of x (flattened to
    N * T rows) at grouped place p (N * T, a zero row: padding); `back[j]` is the grouped
    place of member token `tokens[j]` of y (`tokens` None: every token, in order). Adding
    back is a gather and an add, not a scatter-add: on a busy CPU `index_add_` ran up to
    100x slower. `entries` holds each group's stack entry, or None when the
    groups are the stack's entries in order (the weights are read in place, not copied).
    """

    src: torch.Tensor  # (G * M,) long
    back: torch.Tensor  # (K,) long
    tokens: torch.Tensor | None  # (K,) long
    entries: torch.Tensor | None  # (G,) long
    G: int
    M: int


@dataclass(frozen=True)
class GatherPlan:
    """Prefill (many tokens per row): each member row reads its own entry's A and B.

    `rows` are the member rows (None: every row, in order); `entries` their stack entries.
    """

    rows: torch.Tensor | None  # (k,) long
    entries: torch.Tensor  # (k,) long


def plan_rows(entries: list[int], T: int, size: int, device=None, grouped: bool | None = None
              ) -> GroupPlan | GatherPlan | None:
    """The plan for rows whose stack entries are `entries` (-1: the row does nothing here), T tokens each.

    `size` is the stack's number of entries. None when no row is a member. Decode (T = 1)
    groups rows by entry (SGMV-style); prefill gathers per row (BGMV-style): with many
    tokens per row, each row pays for its copy of A and B, and grouping would pad every
    group to the longest (`python -m lora_land.bench`, part f, which sets `grouped`).
    """
    members = [(i, e) for i, e in enumerate(entries) if e >= 0]
    if not members:
        return None
    if not (T == 1 if grouped is None else grouped):
        rows = None if len(members) == len(entries) else torch.tensor([i for i, _ in members], device=device)
        return GatherPlan(rows=rows, entries=torch.tensor([e for _, e in members], device=device))
    by_entry: dict[int, list[int]] = {}
    for i, e in members:
        by_entry.setdefault(e, []).append(i)
    most = max(len(rows) for rows in by_entry.values())
    if len(by_entry) > size // 2 and size * most <= 2 * len(members):
        # most entries are used, evenly enough: read the stacks in place, one group per entry
        groups, M, in_place = [by_entry.get(e, []) for e in range(size)], most, True
    else:
        # few entries, or a few crowded ones: copy just the used entries, crowded ones split
        M = -(-len(members) // len(by_entry))
        groups = [rows[k : k + M] for e in sorted(by_entry) for rows in [by_entry[e]] for k in range(0, len(rows), M)]
        in_place = False
    src, place = [], {}
    for rows in groups:  # token t of row i is x's row i * T + t; padding reads the zero row after the last
        for i in rows:
            for t in range(T):
                place[i * T + t] = len(src)
                src.append(i * T + t)
        src += [len(entries) * T] * ((M - len(rows)) * T)
    tokens = sorted(place)
    every = len(tokens) == len(entries) * T
    order = None if in_place else torch.tensor([entries[rows[0]] for rows in groups], device=device)
    return GroupPlan(src=torch.tensor(src, device=device), back=torch.tensor([place[j] for j in tokens], device=device),
                     tokens=None if every else torch.tensor(tokens, device=device), entries=order, G=len(groups), M=M * T)


def lora_hidden(x: torch.Tensor, A: torch.Tensor, plan: GroupPlan | GatherPlan) -> torch.Tensor:
    """x times each member row's A. x (N, T, in); A (L, in, R). Returns (G, M, R) or (k, T, R)."""
    if isinstance(plan, GatherPlan):
        if plan.rows is not None:
            x = x.index_select(0, plan.rows)
        return torch.bmm(x, A.index_select(0, plan.entries))
    N, T, n_in = x.shape
    padded = torch.cat([x.reshape(N * T, n_in), x.new_zeros(1, n_in)])
    grouped = padded.index_select(0, plan.src).view(plan.G, plan.M, n_in)  # (G, M, in)
    return torch.bmm(grouped, A if plan.entries is None else A.index_select(0, plan.entries))


def lora_add_(y: torch.Tensor, h: torch.Tensor, B: torch.Tensor, plan: GroupPlan | GatherPlan) -> torch.Tensor:
    """y (N, T, out) += each member row's h @ B, in place. h from `lora_hidden`; B (L, R, out)."""
    if isinstance(plan, GatherPlan):
        update = torch.bmm(h, B.index_select(0, plan.entries)).to(y.dtype)  # (k, T, out)
        return _add_rows(y, plan.rows, update)
    update = torch.bmm(h, B if plan.entries is None else B.index_select(0, plan.entries))  # (G, M, out)
    update = update.view(plan.G * plan.M, -1).index_select(0, plan.back).to(y.dtype)  # (K, out)
    _add_rows(y.view(-1, y.shape[-1]), plan.tokens, update)
    return y


def _add_rows(y: torch.Tensor, rows: torch.Tensor | None, update: torch.Tensor) -> torch.Tensor:
    """y[rows] += update in place (rows None: all of y); rows are distinct."""
    if rows is None:
        return y.add_(update)
    return y.index_copy_(0, rows, y.index_select(0, rows) + update)


def batched_lora(x: torch.Tensor, A: torch.Tensor, B: torch.Tensor, entries: list[int],
                 grouped: bool | None = None) -> torch.Tensor:
    """Each row's own low-rank update, in one tensor computation; the engine's op.

    Semantics:
        for i in range(N):
            e = entries[i]
            y[i] = x[i] @ A[e] @ B[e] if e >= 0 else 0     # (T, in) -> (T, R) -> (T, out)

    Shapes: x (N, T, in); A (L, in, R); B (L, R, out), scaling already folded in.
    Returns (N, T, out). The engine calls `plan_rows` once per forward pass for every
    stack layout and `lora_hidden` / `lora_add_` per layer, adding into the base output;
    `grouped` picks the way for a benchmark (None: grouped for decode, gathered for prefill).
    """
    N, T, _ = x.shape
    y = x.new_zeros(N, T, B.shape[-1])
    plan = plan_rows(entries, T, A.shape[0], x.device, grouped)
    return y if plan is None else lora_add_(y, lora_hidden(x, A, plan), B, plan)


def batched_lora_reference(x: torch.Tensor, A: torch.Tensor, B: torch.Tensor, entries: list[int]) -> torch.Tensor:
    """The slow, obviously right version of `batched_lora`: one row at a time."""
    rows = []
    for i, e in enumerate(entries):
        rows.append((x[i] @ A[e]) @ B[e] if e >= 0 else x.new_zeros(x.shape[1], B.shape[-1]))  # (T, out)
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

SHARED_INPUT = (("q_proj", "k_proj", "v_proj"), ("gate_proj", "up_proj"))  # sibling layers that read the same input
_UNPLANNED = object()


@dataclass(eq=False)
class Stack:
    """One module's resident adapters of one rank class, entry e holding slot `members[e]`.

    A (L, in, R) and B (L, R, out), scaling folded into B, no entry for the base and none
    for an adapter that does not target the module. When sibling layers (q, k and v; gate
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
    """

    def __init__(self, device=None, prepare=None):
        self.device, self.prepare = device, prepare  # prepare(): the bank's stacks up to date
        self.slots: list[int] | None = None  # None: every row is the base
        self.T = 0
        self._plans: dict[tuple[int, ...], GroupPlan | GatherPlan | None] = {}
        self._hidden: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def set(self, slots: list[int] | None, T: int) -> None:
        """Rows' slots (slot 0 = base) for the next forward pass of T tokens per row."""
        active = bool(slots) and any(slots)
        if active and self.prepare is not None:
            self.prepare()
        self.slots, self.T = (list(slots) if active else None), T
        self._plans.clear()
        self._hidden.clear()

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
    here, and a batch of base rows runs the base layer alone.
    """

    def __init__(self, base: nn.Module, batch: BatchSlots):
        super().__init__()
        self.base, self.batch = base, batch
        self.stacks: list[Stack] = []  # a plain attribute: not parameters, not in the state dict

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.base(x)
        batch = self.batch
        if batch.slots is None:
            return y
        for stack in self.stacks:
            plan = batch.plan(stack.members)
            if plan is not None:
                lora_add_(y, batch.hidden(x, stack, plan), stack.B, plan)
        return y


# --- the slot bank --------------------------------------------------------------


class SlotBank:
    """Resident adapters in per-module device stacks; the rest wait in host memory (LRU).

    Slots 1..n_slots name resident adapters (slot 0 is the base and holds nothing).
    `acquire(name)` makes an adapter resident (evicting the least recently used adapter no
    running row holds; the scheduler checks there is room first) and counts the row that
    holds it; `release(slot)` uncounts it. After a change of residents the stacks are
    rebuilt before the next pass: each module stacks only the adapters that target it, at
    the largest of their ranks, or (with `rank_groups`) one stack per rank, so no pass
    reads a zero an adapter does not have. Every method runs on the engine thread,
    between forward passes, except `register`, which only touches host memory and takes
    the lock.
    """

    def __init__(self, model: nn.Module, n_slots: int, device: torch.device, dtype: torch.dtype,
                 rank_groups: bool = False):
        self.model, self.n_slots, self.device, self.dtype = model, n_slots, device, dtype
        self.rank_groups = rank_groups
        self.batch = BatchSlots(device, prepare=self.sync)
        self.host: dict[str, AdapterWeights] = {}
        self.layers: dict[str, LoRALinear] = {}
        self.resident: OrderedDict[str, int] = OrderedDict()  # name -> slot, least recently used first
        self.holders = [0] * (n_slots + 1)  # rows holding each slot
        self.loads = 0  # adapters copied to the device, for the stats
        self._stale = False  # residents changed since the stacks were built
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
        used = set(self.resident.values())
        free = [s for s in range(1, self.n_slots + 1) if s not in used]
        if free:
            slot = free[0]
        else:
            victim = next((n for n, s in self.resident.items() if self.holders[s] == 0), None)
            if victim is None:
                raise RuntimeError("every adapter slot is held by a running row")
            slot = self.resident.pop(victim)
        self.resident[name] = slot
        self.loads += 1
        self._stale = True
        return slot

    def sync(self) -> None:
        """Rebuild the stacks for the resident adapters, if they changed since the last pass."""
        if not self._stale:
            return
        with self._lock:
            resident = sorted((slot, self.host[name]) for name, slot in self.resident.items())
        for module in {m for _, w in resident for m in w.modules} - self.layers.keys():
            self._wrap(module)
        for module, layer in self.layers.items():
            classes: dict[int, list] = {}
            for slot, w in resident:
                if module in w.modules:
                    a, b = w.modules[module]
                    classes.setdefault(a.shape[0] if self.rank_groups else 0, []).append((slot, w.name, a, b))
            layer.stacks = [self._stack(layer, entries, layer.stacks) for _, entries in sorted(classes.items())]
        self._share()
        self._stale = False

    def _stack(self, layer: LoRALinear, entries: list, old: list[Stack]) -> Stack:
        """A stack of (slot, name, A (r, in), B (out, r)) entries; adapters already on the device are copied there."""
        R = max(a.shape[0] for _, _, a, _ in entries)
        A = torch.zeros(len(entries), layer.base.in_features, R, device=self.device, dtype=self.dtype)
        B = torch.zeros(len(entries), R, layer.base.out_features, device=self.device, dtype=self.dtype)
        placed = set()
        for stack in old:
            at = {name: e for e, name in enumerate(stack.names)}
            pairs = [(e, at[name]) for e, (_, name, _, _) in enumerate(entries) if name in at]
            if pairs:
                new, was = (torch.tensor(p, device=self.device) for p in zip(*pairs))
                r = min(R, stack.rank)
                A[new, :, :r] = stack.A.index_select(0, was)[:, :, :r]
                B[new, :r] = stack.B.index_select(0, was)[:, :r]
                placed.update(e for e, _ in pairs)
        for e, (_, _, a, b) in enumerate(entries):
            if e not in placed:
                A[e, :, : a.shape[0]].copy_(a.T)
                B[e, : a.shape[0]].copy_(b.T)
        return Stack(members=tuple(e[0] for e in entries), names=tuple(e[1] for e in entries), A=A, B=B)

    def _share(self) -> None:
        """Siblings that read the same input and hold the same members get one A, side by side."""
        families: dict[tuple, list[LoRALinear]] = {}
        for module, layer in self.layers.items():
            parent, _, child = module.rpartition(".")
            family = next((f for f in SHARED_INPUT if child in f), None)
            if family and layer.stacks:
                layout = tuple((s.members, s.rank) for s in layer.stacks)
                families.setdefault((parent, family, layout), []).append(layer)
        for siblings in families.values():
            if len(siblings) < 2:
                continue
            for c in range(len(siblings[0].stacks)):
                stacks = [layer.stacks[c] for layer in siblings]
                shared = torch.cat([s.A for s in stacks], dim=2)  # (L, in, sum R)
                offset = 0
                for s in stacks:
                    s.A, s.shared, s.offset = shared[..., offset : offset + s.rank], shared, offset
                    offset += s.rank

    def _wrap(self, module: str) -> None:
        parent_name, _, child = module.rpartition(".")
        parent = self.model.get_submodule(parent_name)
        layer = LoRALinear(getattr(parent, child), self.batch)
        setattr(parent, child, layer)
        self.layers[module] = layer

    def device_bytes(self) -> int:
        tensors = {id(t): t for layer in self.layers.values() for s in layer.stacks
                   for t in (s.B, s.A if s.shared is None else s.shared)}
        return sum(t.numel() * t.element_size() for t in tensors.values())
