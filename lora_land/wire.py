"""The OpenAI wire format as a client speaks it: what `RemoteEngine` sends and reads.

The body of a streamed `/v1/completions` request, the server's error message in any of
the shapes servers use, its refusals as this engine's own errors, and the events of its
server-sent stream. It knows nothing of queues, threads or the log.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx

from lora_land.engine import BASE
from lora_land.scheduler import (
    EngineBusy,
    EngineClosed,
    EngineError,
    InvalidRequest,
    PromptTooLong,
    Request,
    UnknownAdapter,
)


class ServerUnavailable(EngineClosed):
    """The server cannot be reached, or answers with a server error."""


def completion_body(request: Request, base_model: str) -> dict:
    """The streamed `/v1/completions` body for one request: the adapter by name, or the server's base model."""
    p = request.params
    body = {
        "model": base_model if request.adapter == BASE else request.adapter,
        "prompt": request.prompt,
        "max_tokens": p.max_new_tokens,
        "temperature": p.temperature,
        "top_p": p.top_p,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if p.top_k:
        body["top_k"] = p.top_k
    if p.seed is not None:
        body["seed"] = p.seed
    if p.stop:
        body["stop"] = list(p.stop)
    if p.ignore_eos:
        body["ignore_eos"] = True
    return body


def error_detail(response: httpx.Response) -> str:
    """The server's own error message (OpenAI's shape, or FastAPI's), else the body."""
    try:
        body = json.loads(response.read() or b"{}")
    except (ValueError, httpx.HTTPError):
        return response.reason_phrase
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    if isinstance(body, dict) and body.get("detail"):
        return str(body["detail"])
    return json.dumps(body)[:300]


def refusal(status: int, detail: str, adapter: str, url: str) -> EngineError:
    """The engine's error for a server's non-200 answer to a request for `adapter`."""
    if status == 404:
        return UnknownAdapter(f"the server does not serve {adapter!r}: {detail}")
    if status == 429:
        return EngineBusy(f"the server is busy: {detail}")
    if 400 <= status < 500:
        if "context" in detail.lower() or "too long" in detail.lower():
            return PromptTooLong(detail)
        return InvalidRequest(detail)
    return ServerUnavailable(f"the server at {url} answered {status}: {detail}")


def events(response: httpx.Response) -> Iterator[dict]:
    """The JSON events of a server-sent stream, up to `[DONE]`; an error event raises EngineError."""
    for line in response.iter_lines():
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        event = json.loads(data)
        if event.get("error"):
            raise EngineError(str(event["error"].get("message", event["error"])))
        yield event
