"""Continuous batching: the engine thread that admits, prefills, decodes and evicts rows.

One `Scheduler` thread owns the model and the adapter slots. Between two decode steps it
drops finished and cancelled rows, admits queued requests (within the limits on rows,
tokens in flight and prefill tokens per step, and only while an adapter slot can be had),
prefills the newcomers (prompts of similar length together) and then advances every running row by one token.
A short answer leaves the batch the step it ends; nobody waits for the longest row.

Per row it samples with the request's own parameters (greedy, temperature, top-k, top-p,
a seeded generator), detokenizes incrementally so that no piece ends in a broken
character, and holds text back while it could still be the start of a stop string (those
steps are decoding.py's). Text pieces and the final `Completion` go to the request's own
queue, which `RequestHandle` reads as a generator. The request types and the errors are
request.py's, importable from here too.

It knows token ids and text, not templates, Gradio, HTTP or SQLite.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass

import torch

from lora_land.decoding import Detokenizer, sample, stop_hold
from lora_land.model import BatchedModel
from lora_land.request import (
    MAX_SEED, MAX_STOP_CHARS, MAX_STOPS, Completion, EngineBusy, EngineClosed, EngineError, InvalidRequest,
    PromptTooLong, Request, RequestHandle, SamplingParams, UnknownAdapter,
)
from lora_land.slots import SlotBank

__all__ = [
    "MAX_SEED", "MAX_STOP_CHARS", "MAX_STOPS", "Completion", "Detokenizer", "EngineBusy", "EngineClosed",
    "EngineError", "InvalidRequest", "Limits", "PromptTooLong", "Request", "RequestHandle", "Row",
    "SamplingParams", "Scheduler", "UnknownAdapter", "sample", "stop_hold",
]

log = logging.getLogger(__name__)


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
