"""Reading a request: the JSON body, the model, the sampling parameters, the prompts or the messages.

Each is checked here, before anything is logged or queued; a problem is an `APIError`
(400, 404, 413 or 415) that names the parameter. The engine checks the sampling
parameters' ranges again. This module reads requests and nothing else: it starts no run
and writes no answer but an error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from fastapi import Request
from starlette.requests import ClientDisconnect

from lora_land.api.responses import APIError, invalid
from lora_land.service import BASE, Service, clean_text

DEFAULT_MAX_TOKENS = 64  # for "base"; a task's adapter defaults to the task's max_new_tokens
ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}
NUMBER = (int, float)
MAX_BODY_BYTES = 8 * 2**20  # far more than any prompt the context holds
MAX_PROMPTS = 32  # prompts in one /v1/completions request: one batch's rows
# Parameters that would change the answer and that the engine does not do, with the values that mean "unused".
UNSUPPORTED = {
    "logprobs": (None, False),
    "top_logprobs": (None, 0),
    "echo": (None, False),
    "best_of": (None, 1),
    "suffix": (None, ""),
    "presence_penalty": (None, 0),
    "frequency_penalty": (None, 0),
    "logit_bias": (None, {}),
    "tools": (None, []),
    "functions": (None, []),
    "response_format": (None, {"type": "text"}),
}


@dataclass(frozen=True)
class Call:
    """What every generation request says besides its prompt: the model and how to sample."""

    model: str
    params: dict  # the engine's sampling parameters
    stream: bool
    include_usage: bool


async def read_body(request: Request) -> dict:
    """The JSON object a POST carries: sent as `application/json`, at most MAX_BODY_BYTES, nested no deeper than
    Python's recursion limit allows."""
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind != "application/json":
        # A web page can send a form or text/plain to a local server without asking first; JSON it cannot.
        raise APIError(415, f"send the body as JSON with `Content-Type: application/json` (got {kind or 'none'!r})",
                       "invalid_request_error", "unsupported_media_type")
    raw, size = bytearray(), 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size <= MAX_BODY_BYTES:
                raw += chunk
            # Past the limit the rest is read and dropped: a client still sending gets the 413, not a reset.
    except ClientDisconnect:  # gone mid-body: nobody reads the answer, and nothing was started
        raise APIError(499, "the client closed the connection before sending the whole request",
                       "invalid_request_error", "client_closed_request") from None
    if size > MAX_BODY_BYTES:
        raise APIError(413, f"the request body is over {MAX_BODY_BYTES // 2**20} MiB", "invalid_request_error",
                       "request_too_large")
    try:
        body = json.loads(raw)
    except ValueError as exc:  # includes a body that is not UTF-8
        raise invalid(f"the request body is not valid JSON: {exc}", code="invalid_json") from None
    except RecursionError:
        raise invalid("the request body is nested too deeply", code="invalid_json") from None
    if not isinstance(body, dict):
        raise invalid("the request body must be a JSON object", code="invalid_json")
    return body


def option(body: dict, name: str, kinds: type | tuple, default, what: str, param: str | None = None):
    """body[name] checked against `kinds` (a JSON null counts as absent; true is not a number)."""
    value = body.get(name)
    if value is None:
        return default
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise invalid(f"{param or name} must be {what}, got {json.dumps(value)[:60]}", param or name)
    return value


def unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_model(service: Service, model) -> str:
    if not isinstance(model, str) or not model:
        raise invalid("model is required: an adapter's name or 'base' (GET /v1/models lists them)", "model")
    if model not in service.models():
        why = service.engine.refused.get(model)
        message = f"the model {model!r} is not available: {why}" if why else \
            f"no model named {model!r}; GET /v1/models lists them"
        raise APIError(404, message, "invalid_request_error", "model_not_found", "model")
    return model


def read_call(body: dict, service: Service, *, max_tokens_names: tuple[str, ...] = ("max_tokens",)) -> Call:
    """The model and the sampling parameters, checked; the engine checks their ranges again."""
    model = check_model(service, body.get("model"))
    for name, unused in UNSUPPORTED.items():
        if body.get(name) not in unused:
            raise invalid(f"{name} is not supported by this server", name, "unsupported_parameter")
    if option(body, "n", int, 1, "an integer") != 1:
        raise invalid("n must be 1: this server gives one choice per prompt", "n")
    task = service.catalog.tasks.get(model) if model != BASE else None
    name = next((n for n in max_tokens_names if body.get(n) is not None), max_tokens_names[0])
    max_tokens = option(body, name, int, task.max_new_tokens if task else DEFAULT_MAX_TOKENS, "a positive integer")
    if max_tokens < 1:
        raise invalid(f"{name} must be a positive integer, got {max_tokens}", name)
    stop = option(body, "stop", (str, list), [], "a string or a list of strings")
    stop = [stop] if isinstance(stop, str) else stop
    if not all(isinstance(s, str) for s in stop):
        raise invalid("stop must be a string or a list of strings", "stop")
    if not all(unicode(s) for s in stop):  # a lone surrogate: it could never match, and the log cannot store it
        raise invalid("stop strings must be valid Unicode", "stop")
    top_k = option(body, "top_k", int, 0, "an integer")
    params = {
        "max_new_tokens": max_tokens,
        "temperature": option(body, "temperature", NUMBER, 0.0, "a number"),
        "top_p": option(body, "top_p", NUMBER, 1.0, "a number"),
        "top_k": 0 if top_k == -1 else top_k,  # -1 is how vLLM clients say "no top-k"
        "seed": option(body, "seed", int, None, "an integer"),
        "stop": stop,
        "ignore_eos": option(body, "ignore_eos", bool, False, "true or false"),
    }
    stream = option(body, "stream", bool, False, "true or false")
    stream_options = option(body, "stream_options", dict, {}, "an object")
    include_usage = option(stream_options, "include_usage", bool, False, "true or false",
                           "stream_options.include_usage")
    return Call(model, params, stream, stream and include_usage)


def read_prompts(body: dict) -> list[str]:
    prompt = body.get("prompt")
    if prompt is None:
        raise invalid("prompt is required", "prompt")
    prompts = [prompt] if isinstance(prompt, str) else prompt
    if not isinstance(prompts, list) or not prompts or not all(isinstance(p, str) for p in prompts):
        raise invalid("prompt must be a string or a non-empty list of strings (token ids are not supported)",
                      "prompt")
    if len(prompts) > MAX_PROMPTS:
        raise invalid(f"a request takes at most {MAX_PROMPTS} prompts, got {len(prompts)}", "prompt")
    if any(not p.strip() for p in prompts):
        raise invalid("the prompt is empty", "prompt")
    return prompts


def read_messages(body: dict) -> list[dict]:
    """The conversation as [{"role", "content"}] with plain, cleaned text ("developer" is "system")."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise invalid("messages must be a non-empty list of {role, content} objects", "messages")
    out = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise invalid(f"messages[{i}] must be an object with role and content", f"messages[{i}]")
        role = message.get("role")
        if role not in ROLES:
            raise invalid(f"messages[{i}].role must be one of system, user, assistant; got {json.dumps(role)}",
                          f"messages[{i}].role")
        out.append({"role": ROLES[role], "content": clean_text(message_text(message.get("content"), i, role))})
    return out


def message_text(content, i: int, role: str) -> str:
    """A message's content: a string, or text parts joined by newlines."""
    if isinstance(content, str):
        return content
    if content is None and role == "assistant":
        return ""
    if isinstance(content, list):
        if all(isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str) for p in content):
            return "\n".join(p["text"] for p in content)
        raise invalid(f"messages[{i}].content: only text parts are supported", f"messages[{i}].content")
    raise invalid(f"messages[{i}].content must be a string or a list of text parts", f"messages[{i}].content")
