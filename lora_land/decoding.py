"""From a row's logits to the text its caller sees: `sample` picks each row's next token with the
request's own parameters, `Detokenizer` turns tokens into text without ever breaking a
character, and `stop_hold` says how much text to hold back while it could still begin a stop
string.

Per-row steps, no state of the batch: the scheduler (scheduler.py) calls them and sends
the text on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from lora_land.scheduler import Row


def sample(logits: torch.Tensor, rows: list[Row]) -> list[int]:
    """The next token of each row. logits (n, vocab) float32; greedy rows share one argmax."""
    tokens = logits.argmax(dim=-1).tolist()
    for i, row in enumerate(rows):
        p = row.request.params
        if p.temperature == 0:
            continue
        scores = logits[i].to("cpu") / p.temperature  # (vocab,)
        if p.top_k:
            kth = torch.topk(scores, min(p.top_k, scores.numel())).values[-1]
            scores = scores.masked_fill(scores < kth, float("-inf"))
        if p.top_p < 1:
            ordered, order = torch.sort(scores, descending=True)
            probs = ordered.softmax(-1)
            drop = probs.cumsum(-1) - probs >= p.top_p  # keep the smallest prefix reaching top_p
            scores[order[drop]] = float("-inf")
        probs = scores.softmax(-1)
        tokens[i] = int(torch.multinomial(probs, 1, generator=row.generator))
    return tokens


class Detokenizer:
    """Incremental decoding that never emits half a character.

    Fast tokenizers use the `tokenizers` library's own `DecodeStream`; others fall back
    to the prefix/read offsets method of TGI and vLLM (two decodes per token).
    """

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.ids: list[int] = []
        self.prefix = 0  # start of the window decoded for context
        self.read = 0  # tokens already turned into text
        self.emitted = 0  # characters returned so far
        self.backend = getattr(tokenizer, "backend_tokenizer", None)
        self.stream = None
        if self.backend is not None:
            from tokenizers.decoders import DecodeStream

            self.stream = DecodeStream(skip_special_tokens=True)

    def push(self, token: int) -> str:
        self.ids.append(token)
        piece = self._step(token)
        self.emitted += len(piece)
        return piece

    def _step(self, token: int) -> str:
        if self.stream is not None:
            return self.stream.step(self.backend, token) or ""
        decode = self.tokenizer.decode
        before = decode(self.ids[self.prefix : self.read], skip_special_tokens=True)
        after = decode(self.ids[self.prefix :], skip_special_tokens=True)
        if len(after) > len(before) and not after.endswith("\ufffd"):
            self.prefix, self.read = self.read, len(self.ids)
            return after[len(before) :]
        return ""

    def flush(self) -> str:
        """Whatever is still held at the end (an unfinished character comes out as U+FFFD)."""
        whole = self.tokenizer.decode(self.ids, skip_special_tokens=True)
        rest = whole[self.emitted :] if len(whole) > self.emitted else ""
        self.emitted += len(rest)
        return rest


def stop_hold(text: str, stops: tuple[str, ...]) -> int:
    """How many trailing characters of `text` could still begin a stop string."""
    hold = 0
    for stop in stops:
        for k in range(min(len(stop) - 1, len(text)), hold, -1):
            if text.endswith(stop[:k]):
                hold = k
                break
    return hold
