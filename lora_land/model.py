"""The forward pass of a running batch: a transformers Llama/Mistral model over a row cache.

`BatchedModel` drives the modules of a loaded `AutoModelForCausalLM` (embeddings, the
decoder layers' projections, norms and MLPs, the rotary embedding, the LM head) with its
own attention over a key/value cache whose rows belong to running requests. Rows join
with `prefill` and leave with `remove` at any step; the others keep their cache as it is,
so nobody's keys and values are ever recomputed. Each row's adapter slot reaches the
LoRA layers through `BatchSlots`.

Cache layout: per layer, keys and values of shape (rows, kv_heads, capacity, head_dim);
the running rows are packed at the front, 0..n-1, in the scheduler's order. `remove(i)`
moves the last row into place i, and the scheduler mirrors that move.

With `compile=True` the decode step runs each layer's work before and after attention as
code compiled by `torch.compile` (inductor): the rows are padded up to a few fixed sizes
(`DECODE_BUCKETS`) and each LoRA layer reads every row's own entry (`lora_rows`), so the
compiled code sees one shape per bucket whatever the mix of adapters; attention over the
cache, whose length grows every step, stays outside it.

It knows token ids, not text, and nothing of requests or adapters' names.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from lora_land.lora import BatchSlots

CAPACITY_STEP = 256  # the cache grows in chunks of this many positions
DECODE_BUCKETS = (8, 16, 32, 64, 128, 256)  # rows of the compiled decode step, padded up to one of these


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotary position embedding as Llama/Mistral apply it. x (N, H, T, hd); cos, sin (N, T, hd)."""
    cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
    return x * cos + _rotate_half(x) * sin


def before_attention(layer: nn.Module, rotary: nn.Module, head_dim: int, x: torch.Tensor, positions: torch.Tensor):
    """A decoder layer up to attention: q, k, v of x (N, T, D) at positions (N, T), rotated: (N, H|KV, T, hd)."""
    attn = layer.self_attn
    h = layer.input_layernorm(x)
    N, T, _ = h.shape
    q = attn.q_proj(h).view(N, T, -1, head_dim).transpose(1, 2)
    k = attn.k_proj(h).view(N, T, -1, head_dim).transpose(1, 2)
    v = attn.v_proj(h).view(N, T, -1, head_dim).transpose(1, 2)
    if hasattr(attn, "q_norm"):  # Qwen3 normalises q and k per head
        q, k = attn.q_norm(q), attn.k_norm(k)
    cos, sin = rotary(v, positions)  # (N, T, hd)
    return apply_rope(q, cos, sin), apply_rope(k, cos, sin), v


def after_attention(layer: nn.Module, x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """The rest of a decoder layer: x (N, T, D) and attention's out (N, H, T, hd) -> the next x (N, T, D)."""
    N, _, T, _ = out.shape
    x = x + layer.self_attn.o_proj(out.transpose(1, 2).reshape(N, T, -1))
    return x + layer.mlp(layer.post_attention_layernorm(x))


def decode_rows(n: int, max_rows: int) -> int:
    """The rows a compiled decode step of n running rows computes: the bucket n fits in, at most max_rows."""
    return min(next((b for b in DECODE_BUCKETS if b >= n), max_rows), max_rows)


def model_context(config) -> int:
    """The longest sequence the engine serves: within Mistral's sliding window attention is plain causal."""
    window = getattr(config, "sliding_window", None)
    return min(config.max_position_embeddings, window or config.max_position_embeddings)


def length_buckets(lengths: list[int], slack: float = 1.25) -> list[list[int]]:
    """Indices of `lengths` in groups of similar length: padding each group to its longest adds at most `slack`.

    Longest first; a prompt joins the current group while the group's padded size stays
    within `slack` times its real tokens, else it starts the next one.
    """
    groups: list[list[int]] = []
    real = 0
    for j in sorted(range(len(lengths)), key=lambda j: -lengths[j]):
        if groups and (len(groups[-1]) + 1) * lengths[groups[-1][0]] <= slack * (real + lengths[j]):
            groups[-1].append(j)
            real += lengths[j]
        else:
            groups.append([j])
            real = lengths[j]
    return groups


class BatchedModel:
    """Prefill and decode for a changing set of rows over one transformers causal LM."""

    def __init__(self, hf_model: nn.Module, max_rows: int, batch: BatchSlots, max_context: int | None = None,
                 compile: bool = False):
        config = hf_model.config
        if getattr(config, "model_type", None) not in {"llama", "mistral", "qwen2", "qwen3"}:
            raise ValueError(f"model type {config.model_type!r} is not a Llama/Mistral-family model")
        inner = hf_model.model
        self.hf, self.embed, self.layers, self.norm = hf_model, inner.embed_tokens, inner.layers, inner.norm
        self.rotary, self.lm_head = inner.rotary_emb, hf_model.lm_head
        self.n_heads = config.num_attention_heads
        self.n_kv = config.num_key_value_heads
        self.head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
        self.max_context = min(model_context(config), max_context or model_context(config))
        self.max_rows, self.batch = max_rows, batch
        weight = next(p for p in hf_model.parameters() if p.is_floating_point())
        self.device = weight.device
        self.dtype = hf_model.dtype if hf_model.dtype.is_floating_point else torch.float32
        self.capacity = 0
        self.keys: list[torch.Tensor] = []
        self.values: list[torch.Tensor] = []
        self.lengths = torch.zeros(max_rows, dtype=torch.long, device=self.device)  # tokens cached per row
        self.n = 0  # running rows
        self.compiled = compile_layers() if compile else None  # (before, after) attention, compiled

    # --- cache --------------------------------------------------------------------

    def _ensure_capacity(self, needed: int) -> None:
        if needed <= self.capacity:
            return
        capacity = min(-(-needed // CAPACITY_STEP) * CAPACITY_STEP, max(self.max_context, needed))
        shape = (self.max_rows, self.n_kv, capacity, self.head_dim)
        new_k = [torch.zeros(shape, dtype=self.dtype, device=self.device) for _ in self.layers]
        new_v = [torch.zeros(shape, dtype=self.dtype, device=self.device) for _ in self.layers]
        for old, new in zip(self.keys + self.values, new_k + new_v):
            new[:, :, : self.capacity].copy_(old)
        self.keys, self.values, self.capacity = new_k, new_v, capacity

    def remove(self, i: int) -> None:
        """Drop row i: the last running row moves into its place (cache and length)."""
        last = self.n - 1
        if i != last:
            length = int(self.lengths[last])
            for cache in self.keys + self.values:
                cache[i, :, :length].copy_(cache[last, :, :length])
            self.lengths[i] = self.lengths[last]
        self.lengths[last] = 0
        self.n -= 1

    def reset(self) -> None:
        self.n = 0
        self.lengths.zero_()

    # --- forward ------------------------------------------------------------------

    def _layers(self, x: torch.Tensor, positions: torch.Tensor, attend, compiled: bool = False) -> torch.Tensor:
        before, after = self.compiled if compiled else (before_attention, after_attention)
        for index, layer in enumerate(self.layers):
            q, k, v = before(layer, self.rotary, self.head_dim, x, positions)
            x = after(layer, x, attend(index, q, k, v))  # attend: (N, H, T, hd)
        return self.norm(x)

    @torch.inference_mode()
    def prefill(self, prompts: list[list[int]], slots: list[int]) -> torch.Tensor:
        """Add rows for `prompts` (token ids) at the end of the batch; logits of their last token.

        Prompts of similar length run together (`length_buckets`), each bucket right-padded
        to its longest: with causal attention a real token never sees a pad, and decode
        masks each row's cache by its own length. `slots` holds each new row's adapter slot
        (0 = base). Returns (M, vocab), in the order of `prompts`.
        """
        M = len(prompts)
        if self.n + M > self.max_rows:
            raise RuntimeError(f"{self.n + M} rows exceed the cache's {self.max_rows}")
        self._ensure_capacity(max(len(p) for p in prompts))
        last = torch.empty(M, self.embed.embedding_dim, dtype=self.dtype, device=self.device)  # (M, D)
        for bucket in length_buckets([len(p) for p in prompts]):
            where = torch.tensor(bucket, device=self.device)
            last[where] = self._prefill_rows([prompts[j] for j in bucket], [slots[j] for j in bucket], self.n + where)
        self.n += M
        return self.lm_head(last).float()

    def _prefill_rows(self, prompts: list[list[int]], slots: list[int], rows: torch.Tensor) -> torch.Tensor:
        """Fill cache rows `rows` (k,) with these prompts; the hidden state of each one's last token (k, D)."""
        k, T = len(prompts), max(len(p) for p in prompts)
        ids = torch.zeros(k, T, dtype=torch.long, device=self.device)
        for j, p in enumerate(prompts):
            ids[j, : len(p)] = torch.tensor(p, dtype=torch.long)
        lengths = torch.tensor([len(p) for p in prompts], device=self.device)
        positions = torch.arange(T, device=self.device).expand(k, T)
        gqa = self.n_heads != self.n_kv

        def attend(index, q, k_, v):
            self.keys[index][rows, :, :T] = k_
            self.values[index][rows, :, :T] = v
            return F.scaled_dot_product_attention(q, k_, v, is_causal=True, enable_gqa=gqa)

        self.batch.set(slots, T)
        try:
            x = self._layers(self.embed(ids).to(self.dtype), positions, attend)  # (k, T, D)
        finally:
            self.batch.set(None, 0)  # outside the engine's passes the layers are the plain base
        self.lengths[rows] = lengths
        return x[torch.arange(k, device=self.device), lengths - 1]

    @torch.inference_mode()
    def decode(self, tokens: torch.Tensor, slots: list[int]) -> torch.Tensor:
        """One new token for every running row. tokens (n,), one slot per row; returns (n, vocab).

        Compiled, the step runs `decode_rows(n)` rows: the rows past n are the cache's
        unused ones, as base rows at position 0, and their results are dropped.
        """
        n = N = self.n
        if self.compiled is not None:
            N = decode_rows(n, self.max_rows)
            tokens = torch.cat([tokens, tokens.new_zeros(N - n)])
            slots = list(slots) + [0] * (N - n)
        positions = self.lengths[:N].clone()  # (N,) where each row's token goes; 0 for a padding row
        span = int(positions.max()) + 1  # one read back from the device per step
        self._ensure_capacity(span)
        mask = torch.arange(span, device=self.device)[None, :] <= positions[:, None]  # (N, span)
        mask = mask[:, None, None, :]  # (N, 1, 1, span)
        rows = torch.arange(N, device=self.device)
        gqa = self.n_heads != self.n_kv

        def attend(index, q, k, v):
            keys, values = self.keys[index], self.values[index]
            keys[rows, :, positions] = k[:, :, 0]
            values[rows, :, positions] = v[:, :, 0]
            return F.scaled_dot_product_attention(
                q, keys[:N, :, :span], values[:N, :, :span], attn_mask=mask, enable_gqa=gqa
            )

        compiled = self.compiled is not None
        self.batch.set(slots, 1, fixed=compiled)
        try:
            x = self._layers(self.embed(tokens[:, None]).to(self.dtype), positions[:, None], attend, compiled)  # (N, 1, D)
        finally:
            self.batch.set(None, 0)
        self.lengths[:n] += 1
        return self.lm_head(x[:n, 0]).float()


def compile_layers():
    """`before_attention` and `after_attention` compiled by inductor, shapes fixed (one compile per bucket).

    One compiled code serves every layer (a layer's weights are its inputs, not
    constants), for each rows bucket and for a batch with or without adapters; each
    code object may be compiled that many times, not dynamo's default 8.
    """
    import torch._dynamo

    limit = 4 * len(DECODE_BUCKETS)
    torch._dynamo.config.recompile_limit = max(torch._dynamo.config.recompile_limit, limit)
    return (torch.compile(before_attention, dynamic=False), torch.compile(after_attention, dynamic=False))
