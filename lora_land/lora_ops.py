"""The batched LoRA op: each row of a batch adds its own adapter's x @ A @ B, in one tensor computation.

`plan_rows` turns each row's stack entry into a plan once per forward pass; `lora_hidden`
and `lora_add_` apply it per layer: decode groups rows by adapter (SGMV-style), prefill
gathers each row's A and B (BGMV-style). `batched_lora` says in pseudo-code what is
computed and `batched_lora_reference` is the slow version the tests hold it to.
`lora_rows` is the form of fixed shapes that the compiled decode step uses.

It knows tensors only: nothing of adapters' names, files, slots or layers.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


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
    return torch.bmm(grouped, A[: plan.G] if plan.entries is None else A.index_select(0, plan.entries))


def lora_add_(y: torch.Tensor, h: torch.Tensor, B: torch.Tensor, plan: GroupPlan | GatherPlan) -> torch.Tensor:
    """y (N, T, out) += each member row's h @ B, in place. h from `lora_hidden`; B (L, R, out)."""
    if isinstance(plan, GatherPlan):
        update = torch.bmm(h, B.index_select(0, plan.entries)).to(y.dtype)  # (k, T, out)
        return _add_rows(y, plan.rows, update)
    update = torch.bmm(h, B[: plan.G] if plan.entries is None else B.index_select(0, plan.entries))  # (G, M, out)
    update = update.view(plan.G * plan.M, -1).index_select(0, plan.back).to(y.dtype)  # (K, out)
    _add_rows(y.view(-1, y.shape[-1]), plan.tokens, update)
    return y


def _add_rows(y: torch.Tensor, rows: torch.Tensor | None, update: torch.Tensor) -> torch.Tensor:
    """y[rows] += update in place (rows None: all of y); rows are distinct."""
    if rows is None:
        return y.add_(update)
    return y.index_copy_(0, rows, y.index_select(0, rows) + update)


def row_entries(entries: list[int], device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """`lora_rows`' inputs for rows whose stack entries are `entries` (-1: the row does nothing here)."""
    return (torch.tensor([max(e, 0) for e in entries], device=device),
            torch.tensor([e >= 0 for e in entries], device=device)[:, None, None])


def lora_rows(x: torch.Tensor, A: torch.Tensor, B: torch.Tensor, entries: torch.Tensor, keep: torch.Tensor
              ) -> torch.Tensor:
    """Each row's x @ A @ B, every row reading its own entry: shapes that depend on the rows alone.

    The compiled decode step's form (BGMV-style, no plan): x (N, T, in); A (L, in, R);
    B (L, R, out); `entries` (N,) each row's entry and `keep` (N, 1, 1) bool, False for a
    row that does nothing here (its entry is any valid one), both from `row_entries`.
    Returns (N, T, out), exact zeros where `keep` is False.
    """
    h = torch.bmm(x, A.index_select(0, entries)) * keep  # (N, T, R)
    return torch.bmm(h, B.index_select(0, entries))


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
