"""Running a request for its client: the adapter's answer read without blocking the event loop, as one
answer or as server-sent events, and the run cancelled when the client goes away.

The base row beside an API request runs on for the log after the client has its answer.
This module knows runs and the ASGI connection, not how a request is read (checks.py) or
which route is which (routes.py).
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import AsyncIterator, Callable

from fastapi import Request
from fastapi.responses import StreamingResponse

from lora_land.api.responses import FINISH, APIError, usage
from lora_land.scheduler import Completion
from lora_land.service import Run


async def tuned_pieces(run: Run) -> AsyncIterator[str]:
    """The adapter's answer as it streams, read without blocking the event loop.

    A thread drains `run.events()` to its end, so the base row goes on for the log after
    this generator has returned, which it does as soon as the adapter's answer is
    complete. Leaving earlier (the client went away) cancels the run.
    """
    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue = asyncio.Queue()

    def post(item) -> None:
        try:
            loop.call_soon_threadsafe(inbox.put_nowait, item)
        except RuntimeError:  # the event loop has closed: the server stopped
            pass

    def drain() -> None:
        try:
            for item in run.events():
                post(item)
        finally:
            post(None)

    threading.Thread(target=drain, name=f"api-run-{run.row_id}", daemon=True).start()
    sent = ""
    try:
        while (item := await inbox.get()) is not None:
            side, piece = item
            if side == "tuned":
                sent += piece
                yield piece
            done = run.completions.get("tuned")
            if done is not None and done.text == sent:
                return
    finally:
        abandon(run)


def abandon(run: Run) -> None:
    """Cancel the run unless the adapter's answer is complete (the base row beside it may go on)."""
    if "tuned" not in run.completions:
        run.cancel()


def ending(run: Run) -> Completion:
    """The adapter's Completion once its pieces are read, or the APIError it ended in."""
    done = run.completions.get("tuned")
    if done is None:
        raise APIError(500, f"generation {run.row_id} failed; the server log says why", "server_error")
    if done.finish_reason == "error":
        raise APIError(500, f"the engine failed: {done.error}", "server_error", "engine_error")
    if done.finish_reason == "cancelled":
        raise APIError(503, done.error or "the request was cancelled", "service_unavailable", "engine_closed")
    return done


async def until_disconnected(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def answers(request: Request, runs: list[Run]) -> list[Completion] | None:
    """Each run's Completion; None if the client went away first, which cancels the runs."""

    async def answer(run: Run) -> Completion:
        async for _ in tuned_pieces(run):
            pass
        return ending(run)

    work = asyncio.ensure_future(asyncio.gather(*(answer(run) for run in runs)))
    gone = asyncio.ensure_future(until_disconnected(request))
    try:
        await asyncio.wait({work, gone}, return_when=asyncio.FIRST_COMPLETED)
        return work.result() if work.done() else None
    finally:
        gone.cancel()
        if not work.done():
            work.cancel()  # each answer's tuned_pieces cancels its run


# --- server-sent events ----------------------------------------------------------------


def sse(payload: dict) -> str:
    return f"data: {json.dumps(payload)}\n\n"


async def events(run: Run, head: dict, choice: Callable[[str, str | None], dict], *, opening: dict | None = None,
                 include_usage: bool = False) -> AsyncIterator[str]:
    """Server-sent events: a chunk per piece, one with the finish reason, usage if asked, then [DONE].

    `head` is what every chunk carries (id, object, created, model); an engine failure
    is an error event, after which the stream stops.
    """
    extra = {"usage": None} if include_usage else {}
    if opening is not None:
        yield sse({**head, "choices": [opening], **extra})
    async for piece in tuned_pieces(run):
        if piece:
            yield sse({**head, "choices": [choice(piece, None)], **extra})
    try:
        done = ending(run)
    except APIError as exc:
        yield sse(exc.body())
        return
    yield sse({**head, "choices": [choice("", FINISH.get(done.finish_reason, "stop"))], **extra})
    if include_usage:
        yield sse({**head, "choices": [], "usage": usage([done])})
    yield "data: [DONE]\n\n"


class EventStream(StreamingResponse):
    """Server-sent events of one run, which is cancelled if the client leaves before its answer is complete.

    The generator's own `finally` does that when it is cancelled mid-stream; this covers a
    client gone before the generator started, and a server that stops a stream by raising.
    """

    media_type = "text/event-stream"

    def __init__(self, run: Run, content: AsyncIterator[str]):
        super().__init__(content, headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        self.run = run

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.body_iterator.aclose()
            abandon(self.run)
