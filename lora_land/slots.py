"""The slot bank: the resident adapters' A and B stacked on the device, per target module.

Slots 1..n name resident adapters (slot 0 is the base and holds nothing). A module
stacks only the adapters that target it, at their own rank class, with the scaling folded
into B (`lora.Stack`); sibling layers that read the same input share one stack of A's.
More adapters than slots wait in host memory and are swapped in least-recently-used.

It knows adapters' names and slots, not requests: the scheduler asks it for room.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import torch
from torch import nn

from lora_land.lora import SHARED_INPUT, AdapterWeights, BatchSlots, LoRALinear, Stack


class SlotBank:
    """Resident adapters in per-module device stacks; the rest wait in host memory (LRU).

    Slots 1..n_slots name resident adapters (slot 0 is the base and holds nothing).
    `acquire(name)` makes an adapter resident (evicting the least recently used adapter no
    running row holds; the scheduler checks there is room first) and counts the row that
    holds it; `release(slot)` uncounts it. After a change of residents the stacks are
    rebuilt before the next pass: each module stacks only the adapters that target it, at
    the largest of their ranks, or (with `rank_groups`) one stack per rank, so no pass
    reads a zero an adapter does not have. With `fixed`, every stack keeps n_slots entries
    (zeros past its members) at the largest rank of the adapters in host memory, so the
    compiled decode step keeps its shapes as adapters come and go. Every method runs on the engine thread,
    between forward passes, except `register`, which only touches host memory and takes
    the lock.
    """

    def __init__(self, model: nn.Module, n_slots: int, device: torch.device, dtype: torch.dtype,
                 rank_groups: bool = False, fixed: bool = False):
        self.model, self.n_slots, self.device, self.dtype = model, n_slots, device, dtype
        self.rank_groups = rank_groups
        self.fixed = fixed  # every stack n_slots entries long, so compiled code sees one shape
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
            floor = max((w.rank for w in self.host.values()), default=0) if self.fixed and not self.rank_groups else 0
        for module in {m for _, w in resident for m in w.modules} - self.layers.keys():
            self._wrap(module)
        for module, layer in self.layers.items():
            classes: dict[int, list] = {}
            for slot, w in resident:
                if module in w.modules:
                    a, b = w.modules[module]
                    classes.setdefault(a.shape[0] if self.rank_groups else 0, []).append((slot, w.name, a, b))
            layer.stacks = [self._stack(layer, entries, layer.stacks, floor) for _, entries in sorted(classes.items())]
        self._share()
        self._stale = False

    def _stack(self, layer: LoRALinear, entries: list, old: list[Stack], rank: int = 0) -> Stack:
        """A stack of (slot, name, A (r, in), B (out, r)) entries, at least `rank` wide; adapters already on the
        device are copied there."""
        R = max(rank, *(a.shape[0] for _, _, a, _ in entries))
        L = self.n_slots if self.fixed else len(entries)
        A = torch.zeros(L, layer.base.in_features, R, device=self.device, dtype=self.dtype)
        B = torch.zeros(L, R, layer.base.out_features, device=self.device, dtype=self.dtype)
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
