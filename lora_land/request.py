"""What a caller hands the engine and what it gets back: a `Request` with its `SamplingParams`, the
`RequestHandle` that streams its text, the `Completion` that ends it, and the errors `submit` raises.

Small dataclasses at the engine's boundary; `SamplingParams.check` refuses bad values
before anything is queued. This module holds no state and runs nothing: the scheduler
(scheduler.py) owns the rows, and decoding.py turns logits into text.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from dataclasses import dataclass, field

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
