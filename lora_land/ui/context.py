"""What the page's tabs share: the service and its catalog, the runs in flight per session, small helpers.

One `PageContext` per page. It holds the `Service` (the tabs talk to nothing else), the
catalog's tasks, the base model's short name, and which runs each Gradio session has in
flight on which tab, so that Stop (or closing the page) cancels exactly those. The
helpers below are the ones more than one tab uses: turning the sampling controls into
the engine's parameters, refusing a bad input with one log line and one message, and
counting things in words.

It builds no components and knows no tab's layout; each tab module does its own.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

import gradio as gr

from lora_land.scheduler import InvalidRequest
from lora_land.service import Service

log = logging.getLogger(__package__)  # "lora_land.ui", whichever tab refuses
ALL = "All categories"
STREAM_INTERVAL = 0.05  # seconds between page updates while answers stream
VOTE_LABELS = {"fine-tuned": "← Fine-tuned is better", "base": "Base is better →", "tie": "Tie",
               "both-bad": "Both are bad"}


class PageContext:
    """The service, the tasks, and the runs each session has in flight, for Stop."""

    def __init__(self, service: Service, root: Path | None = None):
        self.service = service
        self.root = root or Path(__file__).resolve().parents[2]
        self.tasks = service.catalog.tasks
        self.base_name = _short_source(service.catalog.profile(service.profile).base, self.root)
        self.active: dict[tuple[str, str], list] = {}  # (Gradio session, tab) -> runs in flight, for Stop
        self._active_lock = threading.Lock()
        self.blocks_load: list = []  # (fn, inputs, outputs) to run when a page opens

    def choices(self, category: str) -> list[tuple[str, str]]:
        return [(t.name, t.key) for t in self.tasks.values() if category in (ALL, t.category)]

    def track(self, request: gr.Request | None, tab: str, run) -> None:
        if request is None or not request.session_hash:
            return
        with self._active_lock:
            self.active.setdefault((request.session_hash, tab), []).append(run)

    def untrack(self, request: gr.Request | None, tab: str, run) -> None:
        if request is None or not request.session_hash:
            return
        key = (request.session_hash, tab)
        with self._active_lock:
            runs = self.active.get(key, [])
            if run in runs:
                runs.remove(run)
            if not runs:
                self.active.pop(key, None)

    def stop(self, request: gr.Request, tab: str | None = None) -> None:
        """Stop pressed on a tab (that tab's runs), or the page closed (all of them): their rows end `cancelled`."""
        if request is None or not request.session_hash:
            return
        with self._active_lock:
            keys = [k for k in self.active if k[0] == request.session_hash and tab in (None, k[1])]
            runs = [run for k in keys for run in self.active.pop(k)]
        for run in runs:
            run.cancel()

    def stopper(self, tab: str | None):
        """The handler for a Stop button on `tab` (None: every tab, for when the page closes)."""

        def stop(request: gr.Request) -> None:  # Gradio passes the request to a parameter typed gr.Request
            self.stop(request, tab)

        stop.__name__ = f"stop_{tab or 'all'}"  # the event's name in Gradio's config: stop_compare, stop_chat, stop_all
        return stop


def _params(max_new_tokens, temperature, top_p, seed=None) -> dict:
    """The sampling settings as the engine takes them; the engine checks their ranges."""
    try:
        params = {"max_new_tokens": int(max_new_tokens), "temperature": float(temperature), "top_p": float(top_p)}
        if seed not in (None, ""):
            params["seed"] = int(seed)
        return params
    except (TypeError, ValueError):
        raise InvalidRequest(f"max new tokens, temperature and top-p must be numbers; got {max_new_tokens!r}, "
                             f"{temperature!r}, {top_p!r}") from None


def _refusing(component):
    """An input with bounds or choices whose value outside them is refused like any other bad input.

    The page's own controls cannot go out of range, but a script posting to the page's
    endpoint can; Gradio's check would then print a traceback for each such request.
    """
    check = component.preprocess

    def preprocess(payload):
        try:
            return check(payload)
        except gr.Error as exc:
            raise _refused(f"Invalid {component.label or 'value'}", ValueError(exc.message)) from None

    component.preprocess = preprocess
    return component


def _refused(title: str, exc: Exception) -> gr.Error:
    """A refused request: one line in the log, one message on the page, the panels left as they were."""
    log.info("%s: %s", title.lower(), exc)
    return gr.Error(str(exc), title=title, print_exception=False)


def _text(value) -> str:
    """Anyone's text (a prompt, a stop string, an error quoting either) for a Markdown component, shown as written.

    Every ASCII punctuation character gets Markdown's backslash escape, so `<b>` stays
    text instead of becoming HTML and `**` or `[a](b)` stay text instead of formatting.
    """
    return _PUNCTUATION.sub(r"\\\g<0>", str(value))


_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")  # the characters CommonMark lets a backslash escape


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _short_source(source: str, root: Path) -> str:
    try:
        return str(Path(source).resolve().relative_to(root))
    except ValueError:
        return source


def _round(x):
    return None if x is None else round(x, 3)
