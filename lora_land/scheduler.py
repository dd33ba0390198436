"""Continuous batching: the engine thread that admits, prefills, decodes and evicts rows.

One `Scheduler` thread owns the model and the adapter slots. Between two decode steps it
drops finished and cancelled rows, admits queued requests (within the limits on rows,
tokens in flight and prefill tokens per step, and only while an adapter slot can be had),
prefills the newcomers (prompts of similar length together) and then advances every running row by one token.
A short answer leaves the batch the step it ends; nobody waits for the longest row.

Per row it samples with the request's own parameters (greedy, temperature, top-k, top-p,
a seeded generator), detokenizes incrementally so that no piece ends in a broken
character, and holds text back while it could still be the start of a stop string.
Text pieces and the final `Completion` go to the request's own queue, which
`RequestHandle` reads as a generator.

It knows token ids and text, not templates, Gradio, HTTP or SQLite.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field

import torch

from lora_land.slots import SlotBank
from lora_land.model import BatchedModel

log = logging.getLogger(__name__)
_ids = itertools.count(1)


class EngineError(Exception):
    """Base of the errors a caller can get from the engine."""


class InvalidRequest(EngineError, ValueError):
    """Bad parameters, an empty prompt: nothing was queued."""


class UnknownAdapter(InvalidRequest):
    """No adapter of that name is loaded."""


class PromptTooLong(InvalidRequest):
    """The prompt (with its max_new_tokens) does not fit the model's context."""


class EngineBusy(EngineError):
    """The queue is full; try again shortly."""


class EngineClosed(EngineError):
    """The engine has shut down (or has not started)."""


MAX_SEED = 2**63 - 1  # a seed is a 64-bit integer: torch's generator (and vLLM) take no larger
MAX_STOPS = 16
MAX_STOP_CHARS = 256  # every step checks each stop string against the answer's end: a long one would slow the batch


@dataclass(frozen=True)
class SamplingParams:
    """How one request generates. temperature 0 is greedy; top_k 0 and top_p 1 disable those filters."""

    max_new_tokens: int = 64
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0
    seed: int | None = None
    stop: tuple[str, ...] = ()
    ignore_eos: bool = False

    def check(self) -> None:
        problems = []
        if not isinstance(self.max_new_tokens, int) or isinstance(self.max_new_tokens, bool) or self.max_new_tokens < 1:
            problems.append(f"max_new_tokens must be a positive integer, got {self.max_new_tokens!r}")
        if not _number(self.temperature) or not 0 <= self.temperature <= 10:
            problems.append(f"temperature must be between 0 and 10, got {self.temperature!r}")
        if not _number(self.top_p) or not 0 < self.top_p <= 1:
            problems.append(f"top_p must be in (0, 1], got {self.top_p!r}")
        if not isinstance(self.top_k, int) or isinstance(self.top_k, bool) or self.top_k < 0:
            problems.append(f"top_k must be a non-negative integer, got {self.top_k!r}")
        if self.seed is not None and (not isinstance(self.seed, int) or isinstance(self.seed, bool)
                                      or not 0 <= self.seed <= MAX_SEED):
            problems.append(f"seed must be an integer from 0 to {MAX_SEED}, got {self.seed!r}")
        if (not all(isinstance(s, str) and 0 < len(s) <= MAX_STOP_CHARS for s in self.stop)
                or len(self.stop) > MAX_STOPS):
            problems.append(f"stop must be at most {MAX_STOPS} non-empty strings of at most {MAX_STOP_CHARS} "
                            "characters each")
        if problems:
            raise InvalidRequest("; ".join(problems))


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and x == x and abs(x) != float("inf")


@dataclass(frozen=True)
class Completion:
    """The end of one request: its text and how it went.

    finish_reason: "eos" (the model ended), "stop" (a stop string), "length"
    (max_new_tokens or the context), "cancelled", or "error" (then `error` says why).
    Times are in seconds; time_to_first_token counts from submission.
    """

    request_id: int
    adapter: str
    text: str
    finish_reason: str
    tokens_in: int
    tokens_out: int
    queue_seconds: float
    time_to_first_token: float | None
    total_seconds: float
    tokens_per_second: float
    error: str | None = None
    batch_peak: int = 0  # the most rows that shared a batch with this request (itself included)
    token_ids: tuple[int, ...] = ()  # the answer's tokens, EOS excluded


@dataclass
class Request:
    prompt: str
    adapter: str
    params: SamplingParams
    prompt_ids: list[int]
    id: int = field(default_factory=lambda: next(_ids))
    arrived: float = field(default_factory=time.perf_counter)
    events: queue.Queue = field(default_factory=queue.Queue, repr=False)
    cancelled: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def tokens_needed(self) -> int:
        return len(self.prompt_ids) + self.params.max_new_tokens


class RequestHandle:
    """What `Engine.submit` returns: iterate for text pieces, `result()` for the Completion."""

    def __init__(self, request: Request):
        self.request = request
        self._result: Completion | None = None

    @property
    def id(self) -> int:
        return self.request.id

    def __iter__(self):
        while self._result is None:
            kind, payload = self.request.events.get()
            if kind == "text":
                yield payload
            else:
                self._result = payload

    def result(self, timeout: float | None = None) -> Completion:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._result is None:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                kind, payload = self.request.events.get(timeout=remaining)
            except queue.Empty:
                raise TimeoutError(f"request {self.id} did not finish in {timeout}s") from None
            if kind == "done":
                self._result = payload
        return self._result

    def cancel(self) -> None:
        """Stop this request; its row is freed at the next step. Safe to call at any time."""
        self.request.cancelled.set()


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


@dataclass
class Row:
    """A running request's state on the engine thread."""

    request: Request
    slot: int
    detok: Detokenizer
    generator: torch.Generator | None
    admitted: float
    text: str = ""  # decoded so far
    emitted: int = 0  # characters of `text` sent to the caller
    tokens_out: int = 0
    last_token: int = 0
    first_token_at: float | None = None
    batch_peak: int = 0  # the most rows the batch held while this row ran


def stop_hold(text: str, stops: tuple[str, ...]) -> int:
    """How many trailing characters of `text` could still begin a stop string."""
    hold = 0
    for stop in stops:
        for k in range(min(len(stop) - 1, len(text)), hold, -1):
            if text.endswith(stop[:k]):
                hold = k
                break
    return hold


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


@dataclass
class Limits:
    max_rows: int = 32  # rows in one batch
    max_tokens: int = 32768  # prompt + max_new_tokens summed over running rows
    max_prefill_tokens: int = 8192  # prompt tokens prefilled in one step
    max_queue: int = 256  # requests waiting; beyond this submit() raises EngineBusy
    max_context: int | None = None  # positions per row; None: the model's own (the memory plan may lower both)


class Scheduler:
    """The engine thread: a queue of request groups in, streams of text out."""

    def __init__(self, model: BatchedModel, bank: SlotBank, tokenizer, limits: Limits):
        self.model, self.bank, self.tokenizer, self.limits = model, bank, tokenizer, limits
        self.eos = tokenizer.eos_token_id
        self.waiting: deque[list[Request]] = deque()
        self.rows: list[Row] = []
        self.cond = threading.Condition()
        self.closed = False
        self.steps = 0
        self.tokens_generated = 0
        self.step_seconds = 0.0
        self._thread = threading.Thread(target=self._loop, name="lora-land-engine", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self, timeout: float = 30.0) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def queued(self) -> int:
        with self.cond:
            return sum(len(g) for g in self.waiting)

    def running(self) -> int:
        return len(self.rows)

    def submit(self, group: list[Request]) -> None:
        """Queue requests that must be admitted together (a side-by-side pair shares its batches)."""
        with self.cond:
            if self.closed:
                raise EngineClosed("the engine is closed")
            if sum(len(g) for g in self.waiting) + len(group) > self.limits.max_queue:
                raise EngineBusy(f"the engine is busy: {self.limits.max_queue} requests are already waiting")
            self.waiting.append(group)
            self.cond.notify_all()

    # --- the loop -----------------------------------------------------------------

    def _loop(self) -> None:
        with torch.inference_mode():  # the cache and slot tensors are only ever touched here
            self._serve()

    def _serve(self) -> None:
        while True:
            with self.cond:
                while not self.closed and not self.waiting and not self.rows:
                    self.cond.wait()
                if self.closed:
                    break
            try:
                self.step()
            except Exception as exc:  # a failed forward must not take the engine down
                log.exception("engine step failed")
                self._fail_all(f"{type(exc).__name__}: {exc}")
        self._fail_all("the engine was closed", reason="cancelled")

    def step(self) -> None:
        """One scheduling step: evict cancelled rows, admit and prefill, decode one token."""
        started = time.perf_counter()
        for i in reversed(range(len(self.rows))):
            if self.rows[i].request.cancelled.is_set():
                self._finish(i, "cancelled")
        self._sweep_queue()
        admitted = self._admit()
        if admitted:
            self._prefill(admitted)
        if self.rows:
            tokens = torch.tensor([r.last_token for r in self.rows], device=self.model.device)
            logits = self.model.decode(tokens, [r.slot for r in self.rows])
            self._advance(logits, list(range(len(self.rows))))
        self.steps += 1
        self.step_seconds += time.perf_counter() - started

    def _sweep_queue(self) -> None:
        """End queued requests whose caller cancelled them (or went away) before they ran."""
        now = time.perf_counter()
        with self.cond:
            for group in self.waiting:
                for request in [r for r in group if r.cancelled.is_set()]:
                    group.remove(request)
                    self._send_done(request, _completion(request, "", "cancelled", 0, None, now))
            self.waiting = deque(g for g in self.waiting if g)

    def _admit(self) -> list[Row]:
        """Take queued groups, oldest first, while the limits and the adapter slots allow."""
        admitted: list[Row] = []
        in_flight = sum(r.request.tokens_needed for r in self.rows)
        prefill = 0
        while True:
            with self.cond:
                if not self.waiting:
                    break
                live = self.waiting[0]
                need = sum(r.tokens_needed for r in live)
                new_prompt = sum(len(r.prompt_ids) for r in live)
                rows_now = len(self.rows) + len(admitted) + len(live)
                adapters = {r.adapter for r in live if r.adapter != "base"}
                fits = (
                    rows_now <= self.limits.max_rows
                    and (in_flight + need <= self.limits.max_tokens or not (self.rows or admitted))
                    and (prefill + new_prompt <= self.limits.max_prefill_tokens or not admitted)
                    and self.bank.room_for(adapters)
                )
                if not fits:
                    break
                self.waiting.popleft()
            now = time.perf_counter()
            for request in live:
                slot = self.bank.acquire(request.adapter)
                gen = None
                if request.params.temperature > 0:
                    gen = torch.Generator().manual_seed(
                        request.params.seed if request.params.seed is not None else torch.seed()
                    )
                admitted.append(Row(request, slot, Detokenizer(self.tokenizer), gen, admitted=now))
            in_flight += need
            prefill += new_prompt
        return admitted

    def _prefill(self, rows: list[Row]) -> None:
        try:
            logits = self.model.prefill([r.request.prompt_ids for r in rows], [r.slot for r in rows])
        except Exception as exc:  # only the newcomers fail; the running rows go on
            log.exception("prefill failed")
            now = time.perf_counter()
            for row in rows:
                self.bank.release(row.slot)
                self._send_done(row.request, _completion(row.request, "", "error", 0, row, now, f"{type(exc).__name__}: {exc}"))
            return
        start = len(self.rows)
        self.rows.extend(rows)
        for row in self.rows:  # the batch only grows here, so this is where a row's largest batch is seen
            row.batch_peak = max(row.batch_peak, len(self.rows))
        self._advance(logits, list(range(start, start + len(rows))))

    def _advance(self, logits: torch.Tensor, indices: list[int]) -> None:
        """Sample a token for rows[indices] (logits in the same order), stream, finish rows that end."""
        rows = [self.rows[i] for i in indices]
        tokens = sample(logits, rows)
        now = time.perf_counter()
        self.tokens_generated += len(tokens)
        done: list[tuple[int, str]] = []
        for i, row, token in zip(indices, rows, tokens):
            p = row.request.params
            row.last_token = token
            if row.first_token_at is None:
                row.first_token_at = now
            if token == self.eos and not p.ignore_eos:
                done.append((i, "eos"))
                continue
            row.tokens_out += 1
            row.text += row.detok.push(token)
            reason = self._emit(row)
            if reason is None and row.tokens_out >= p.max_new_tokens:
                reason = "length"
            if reason is None and len(row.request.prompt_ids) + row.tokens_out >= self.model.max_context:
                reason = "length"
            if reason:
                done.append((i, reason))
        for i, reason in sorted(done, reverse=True):
            self._finish(i, reason)

    def _emit(self, row: Row, final: bool = False) -> str | None:
        """Send what can no longer turn into a stop string; return "stop" if one appeared."""
        stops = row.request.params.stop
        if final:
            row.text += row.detok.flush()
        if stops:
            start = max(0, row.emitted - max(len(s) for s in stops))
            hits = [(row.text.find(s, start), s) for s in stops]
            hits = [(at, s) for at, s in hits if at >= 0]
            if hits:
                at = min(hits)[0]
                row.text = row.text[:at]
                self._send_text(row, row.text[row.emitted :])
                row.emitted = len(row.text)
                return "stop"
        end = len(row.text) if final else len(row.text) - stop_hold(row.text, stops)
        if end > row.emitted:
            self._send_text(row, row.text[row.emitted : end])
            row.emitted = end
        return None

    def _finish(self, i: int, reason: str) -> None:
        row = self.rows[i]
        if reason != "stop" and reason != "cancelled":
            self._emit(row, final=True)
        now = time.perf_counter()
        self._send_done(row.request, _completion(row.request, row.text, reason, row.tokens_out, row, now))
        self.bank.release(row.slot)
        self.model.remove(i)
        last = self.rows.pop()
        if i < len(self.rows):
            self.rows[i] = last

    def _fail_all(self, message: str, reason: str = "error") -> None:
        """End every running and queued request with `reason` (the engine failed or closed)."""
        now = time.perf_counter()
        for row in self.rows:
            self.bank.release(row.slot)
            self._send_done(row.request, _completion(row.request, row.text, reason, row.tokens_out, row, now, message))
        self.rows.clear()
        self.model.reset()
        with self.cond:
            groups, self.waiting = list(self.waiting), deque()
        for group in groups:
            for request in group:
                self._send_done(request, _completion(request, "", reason, 0, None, now, message))

    @staticmethod
    def _send_text(row: Row, text: str) -> None:
        if text:
            row.request.events.put(("text", text))

    @staticmethod
    def _send_done(request: Request, completion: Completion) -> None:
        request.events.put(("done", completion))


def _completion(request: Request, text: str, reason: str, tokens_out: int, row: Row | None, now: float,
                error: str | None = None) -> Completion:
    admitted = row.admitted if row else now
    first = row.first_token_at if row else None
    running = now - admitted
    return Completion(
        request_id=request.id,
        adapter=request.adapter,
        text=text,
        finish_reason=reason,
        tokens_in=len(request.prompt_ids),
        tokens_out=tokens_out,
        queue_seconds=admitted - request.arrived,
        time_to_first_token=None if first is None else first - request.arrived,
        total_seconds=now - request.arrived,
        tokens_per_second=tokens_out / running if running > 0 and tokens_out else 0.0,
        error=error,
        batch_peak=row.batch_peak if row else 0,
        token_ids=tuple(row.detok.ids) if row else (),
    )
