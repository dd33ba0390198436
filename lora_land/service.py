"""The service: what the page and the API share between a person's input and the engine.

It turns a task's field values (or a chat) into a prompt with the task's template,
cleans and checks the text, submits the adapter's request and the base model's to the
engine as one group so they share every batch, and keeps the log: the row is written in
`start` as soon as the engine accepts the request, and completed by the `Run` when both
answers end, whether or not anyone is still reading them.

    service = Service(catalog, "demo", Store("lora_land.db"), engine)
    run = service.start(source="api", kind="completion", adapter="glue_sst2", prompt=p)
    for side, piece in run.events():   # side is "tuned" or "base"
        ...

The service knows nothing of Gradio or HTTP; it hands out text and raises the engine's
errors (plus `NotReady` while the engine loads, and `NotLogged` while the log cannot be
written: a request is refused rather than run unrecorded).
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import re
import threading
import time
import unicodedata
from typing import Callable, Iterator

from lora_land.catalog import Catalog, Task
from lora_land.scheduler import Completion, EngineError, InvalidRequest, PromptTooLong, RequestHandle, UnknownAdapter
from lora_land.store import LogUnavailable, Store

log = logging.getLogger(__name__)
BASE = "base"
SIDES = ("tuned", "base")
PROGRESS_SECONDS = 1.0  # how often a running answer is saved to its row
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class NotReady(EngineError):
    """The engine is still loading (or has shut down); try again shortly."""


class NotLogged(EngineError):
    """The log cannot be written (locked by another program, read-only, disk full); try again later."""


def clean_text(text: str) -> str:
    """Text as the model should read it: NFC, "\\n" line ends, no control characters or lone surrogates.

    Tabs and newlines stay; emoji, right-to-left and other scripts pass unchanged.
    """
    if not isinstance(text, str):
        raise InvalidRequest(f"expected text, got {type(text).__name__}")
    text = _SURROGATE.sub("\ufffd", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", _CONTROL.sub("", text))


def parse_fields(task: Task, message: str) -> dict[str, str]:
    """A chat message as the task's fields: the whole message for a one-field task, else `name: value` lines."""
    if len(task.fields) == 1:
        return {task.fields[0]: message}
    names = {f.lower(): f for f in task.fields}
    pattern = re.compile(rf"^\s*({'|'.join(re.escape(f) for f in task.fields)})\s*:\s?(.*)$", re.IGNORECASE)
    values: dict[str, list[str]] = {}
    current = None
    for line in message.split("\n"):
        m = pattern.match(line)
        if m:
            current = names[m.group(1).lower()]
            if current in values:
                raise InvalidRequest(f"the field '{current}' is given twice; write each field once")
            values[current] = [m.group(2)]
        elif current is not None:
            values[current].append(line)
        elif line.strip():
            raise InvalidRequest(
                f"{task.name} reads {len(task.fields)} fields; start the message with one of them as "
                f"`name: value` ({', '.join(task.fields)}); found {line.strip()[:40]!r} before any field"
            )
    missing = [f for f in task.fields if f not in values or not "\n".join(values[f]).strip()]
    if missing:
        raise InvalidRequest(
            f"{task.name} reads {len(task.fields)} fields; write each on its own line as `name: value` "
            f"({', '.join(task.fields)}); missing: {', '.join(missing)}"
        )
    return {f: "\n".join(values[f]).strip() for f in task.fields}


class Run:
    """One logged request in flight: the adapter's answer and, beside it, the base model's.

    Two forwarding threads read the engine's handles into one queue; the last one to
    finish completes the row. `events()` yields (side, piece); closing it early (a
    client went away, Stop was pressed) cancels both rows.
    """

    def __init__(self, service: "Service", row_id: int, handles: dict[str, RequestHandle]):
        self.service, self.row_id, self.handles = service, row_id, handles
        self.text = {side: "" for side in handles}
        self.completions: dict[str, Completion] = {}
        self.done = threading.Event()
        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._saved = time.monotonic()
        service._runs.add(self)  # until its row is complete; Service.close waits for it
        for side, handle in handles.items():
            threading.Thread(target=self._forward, args=(side, handle), daemon=True,
                             name=f"run-{row_id}-{side}").start()

    @property
    def sides(self) -> tuple[str, ...]:
        return tuple(self.handles)

    def _forward(self, side: str, handle: RequestHandle) -> None:
        try:
            try:
                for piece in handle:
                    with self._lock:
                        self.text[side] += piece
                    self._queue.put((side, piece))
                    self._save_progress()
                completion = handle.result()
            except Exception as exc:  # the log must never lose a request because a write failed
                log.exception("run %s: forwarding %s failed", self.row_id, side)
                handle.cancel()
                completion = self._failed(handle, side, exc)
            with self._lock:
                self.completions[side] = completion
                last = len(self.completions) == len(self.handles)
            if last:
                self._finish()
        finally:
            self._queue.put((side, None))

    def _failed(self, handle: RequestHandle, side: str, exc: Exception) -> Completion:
        request = handle.request
        return Completion(request_id=request.id, adapter=request.adapter, text=self.text[side], finish_reason="error",
                          tokens_in=len(request.prompt_ids), tokens_out=0, queue_seconds=0.0,
                          time_to_first_token=None, total_seconds=0.0, tokens_per_second=0.0,
                          error=f"{type(exc).__name__}: {exc}")

    def _save_progress(self) -> None:
        """Save the answers so far, about once a second; a failed save is logged and the answer goes on."""
        if time.monotonic() - self._saved < PROGRESS_SECONDS:
            return
        self._saved = time.monotonic()
        with self._lock:
            text = dict(self.text)
        try:
            self.service.store.progress(self.row_id, output=text.get("tuned"), base_output=text.get("base"))
        except Exception:
            log.exception("run %s: saving the answer so far failed", self.row_id)

    def _finish(self) -> None:
        done = list(self.completions.values())
        errors = [c.error or f"{c.adapter} failed" for c in done if c.finish_reason == "error"]
        if errors:
            status = "error"
        elif any(c.finish_reason == "cancelled" for c in done):
            status = "cancelled"
        else:
            status = "complete"
        self.status = status
        try:
            self.service.store.finish(
                self.row_id, status=status, tuned=self.completions.get("tuned"), base=self.completions.get("base"),
                error="; ".join(errors) or None, batch_peak=max(c.batch_peak for c in done),
            )
            for listener in self.service.listeners:
                try:
                    listener(self)
                except Exception:
                    log.exception("a finish listener failed")
        except Exception:
            log.exception("run %s: completing the row failed", self.row_id)
        finally:
            self.service._runs.discard(self)
            self.done.set()

    def events(self) -> Iterator[tuple[str, str]]:
        """(side, piece) as the engine streams them, both sides interleaved; ends when both are done."""
        open_sides = len(self.handles)
        try:
            while open_sides:
                side, piece = self._queue.get()
                if piece is None:
                    open_sides -= 1
                else:
                    yield side, piece
        finally:
            if open_sides:
                self.cancel()

    def cancel(self) -> None:
        for handle in self.handles.values():
            handle.cancel()

    def wait(self, timeout: float | None = None) -> dict[str, Completion]:
        if not self.done.wait(timeout):
            raise TimeoutError(f"generation {self.row_id} did not finish in {timeout}s")
        return self.completions

    status: str = "incomplete"


class Service:
    """The catalog, the engine and the log together; the page and the API call only this."""

    def __init__(self, catalog: Catalog, profile: str, store: Store, engine=None, *, base_beside_api: bool = True):
        self.catalog, self.profile, self.store = catalog, profile, store
        self.base_beside_api = base_beside_api  # API requests also run the base row, for the log
        self.listeners: list[Callable[[Run], None]] = []
        self.started = time.time()
        self.load_error: str | None = None
        self._runs: set[Run] = set()  # runs whose rows are not complete yet
        self._engine = None
        if engine is not None:
            self.attach(engine)

    # --- the engine ---------------------------------------------------------------

    def attach(self, engine) -> None:
        self._engine = engine

    @property
    def ready(self) -> bool:
        return self._engine is not None

    @property
    def engine(self):
        if self._engine is None:
            raise NotReady(self.load_error or "the model is still loading; try again in a few seconds")
        return self._engine

    def models(self) -> list[str]:
        return [BASE, *self.engine.adapters()]

    # --- prompts ------------------------------------------------------------------

    def task(self, key: str) -> Task:
        if key not in self.catalog.tasks:
            raise UnknownAdapter(f"no task named {key!r}")
        return self.catalog.tasks[key]

    def render(self, task_key: str, values: dict[str, str]) -> tuple[str, dict[str, str]]:
        """The task's prompt for these field values, and the cleaned values; an empty field is named."""
        task = self.task(task_key)
        cleaned = {}
        for name in task.fields:
            value = clean_text(values.get(name) or "")
            if not value.strip():
                raise InvalidRequest(f"the field '{name}' is empty: {task.name} needs it filled in")
            cleaned[name] = value
        return task.render(cleaned), cleaned

    def chat_prompt(self, adapter: str, messages: list[dict], max_new_tokens: int) -> tuple[str, int]:
        """One prompt for a conversation: each user turn through the task's template, each answer after it.

        Oldest turns are dropped until the prompt fits the context; returns the prompt and
        how many earlier turns were left out.
        """
        task = self.catalog.tasks.get(adapter) if adapter != BASE else None
        system = [clean_text(m["content"]) for m in messages if m["role"] == "system"]
        turns: list[tuple[str, str | None]] = []
        for m in messages:
            if m["role"] == "user":
                text = clean_text(m["content"])
                if not text.strip():
                    raise InvalidRequest("a user message is empty")
                turns.append((task.render(parse_fields(task, text)) if task else text, None))
            elif m["role"] == "assistant":
                if not turns or turns[-1][1] is not None:
                    turns.append(("", clean_text(m["content"])))
                else:
                    turns[-1] = (turns[-1][0], clean_text(m["content"]))
        if not turns or turns[-1][1] is not None:
            raise InvalidRequest("the last message must be the user's")
        prefix = "".join(s.strip() + "\n\n" for s in system if s.strip())
        budget = self.engine.max_context - max_new_tokens

        def prompt_from(dropped: int) -> str:
            return prefix + "".join(p + (a.strip() + "\n\n" if a is not None else "") for p, a in turns[dropped:])

        def fits(dropped: int) -> bool:
            return self.engine.count_tokens(prompt_from(dropped)) <= budget

        # The fewest oldest turns to leave out. Going back from the newest turn in doubling steps,
        # then halving the last step, a conversation of thousands of turns costs a few dozen token
        # counts, each of a text about the size of the context, not one count of the whole per turn.
        fit = len(turns) - 1  # how many to leave out, known to fit
        if fits(fit):
            too_few, step = -1, 1  # leaving out too_few turns does not fit (-1: there is no such count)
            while fit > 0:
                probe = max(fit - step, 0)
                if not fits(probe):
                    too_few = probe
                    break
                fit, step = probe, step * 2
            while fit - too_few > 1:
                middle = (fit + too_few) // 2
                if fits(middle):
                    fit = middle
                else:
                    too_few = middle
            return prompt_from(fit), fit
        raise PromptTooLong(
            f"the last message alone is {self.engine.count_tokens(prefix + turns[-1][0])} tokens; with "
            f"max_new_tokens {max_new_tokens} it exceeds the model's context of {self.engine.max_context} tokens"
        )

    def count_tokens(self, text: str) -> int:
        return self.engine.count_tokens(text)

    # --- runs ---------------------------------------------------------------------

    def start(self, *, source: str, kind: str, adapter: str, prompt: str, fields: dict | list | None = None,
              params: dict | None = None, base: bool = True, base_prompt: str | None = None) -> Run:
        """Check, log and submit a request; the base row runs beside the adapter's when `base` is set.

        Raises, and logs nothing, if the request is invalid, the engine's queue is full, or
        the log cannot be written (`NotLogged`).
        """
        engine = self.engine
        prompt = clean_text(prompt)
        params = dict(params or {})
        with_base = base and adapter != BASE
        # Checked (InvalidRequest / PromptTooLong) and queued (EngineBusy) before the row is written:
        # a refused request leaves no row, an accepted one always has one.
        requests = [self._request(adapter, prompt, params)]
        if with_base and base_prompt is not None:  # a chat's base column has its own history
            requests.append(engine.make_request(clean_text(base_prompt), BASE, **params))
        elif with_base:
            requests.append(engine.base_twin(requests[0]))
        handles = engine.submit_group(requests)
        logged = dataclasses.asdict(requests[0].params)
        logged["stop"] = list(logged["stop"])
        try:
            row_id = self.store.begin(source=source, kind=kind, adapter=adapter, fields=fields or {}, prompt=prompt,
                                      params=logged, base=with_base)
        except BaseException as exc:
            for handle in handles:
                handle.cancel()
            if isinstance(exc, LogUnavailable):
                raise NotLogged(f"{exc}; the request was not run, try again later") from None
            raise
        return Run(self, row_id, dict(zip(SIDES, handles)))

    def check(self, adapter: str, prompt: str, params: dict | None = None) -> None:
        """Raise what `start` would raise for this request's adapter, prompt and parameters; submit and log nothing."""
        self._request(adapter, clean_text(prompt), dict(params or {}))

    def _request(self, adapter: str, prompt: str, params: dict):
        engine = self.engine
        if adapter != BASE and adapter not in engine.adapters():
            if adapter in self.catalog.tasks and adapter in engine.refused:
                raise UnknownAdapter(f"the adapter {adapter!r} is not available: {engine.refused[adapter]}")
            raise UnknownAdapter(f"no model named {adapter!r}; available: {', '.join(self.models())}")
        return engine.make_request(prompt, adapter, **params)

    def vote(self, row_id: int, vote: str) -> None:
        self.store.vote(row_id, vote)

    def close(self, timeout: float = 10.0) -> None:
        """Shut down: stop the engine, let every run complete its row, then close the log."""
        if self._engine is not None:
            self._engine.close()
        deadline = time.monotonic() + timeout
        for run in list(self._runs):
            run.done.wait(max(0.0, deadline - time.monotonic()))
        self.store.close()
