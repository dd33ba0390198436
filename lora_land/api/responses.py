"""What the API answers, in OpenAI's shapes: errors, choices, usage, and JSON that always encodes.

`APIError` is an error answer (`{"error": {"message", "type", "param", "code"}}` with its
HTTP status and headers); `refusal` turns the service's and the engine's errors into one.
This module shapes answers and nothing else: it reads no request and starts no run
(checks.py reads requests, streaming.py runs them, routes.py ties the two together).
"""

from __future__ import annotations

import json

from fastapi.responses import Response

from lora_land.scheduler import (
    Completion, EngineBusy, EngineClosed, EngineError, InvalidRequest, PromptTooLong, UnknownAdapter,
)
from lora_land.service import NotLogged, NotReady

FINISH = {"eos": "stop", "stop": "stop", "length": "length"}  # engine finish reason -> OpenAI's


# --- errors -------------------------------------------------------------------------


class APIError(Exception):
    """An HTTP error answer in OpenAI's shape."""

    def __init__(self, status: int, message: str, type: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.param = status, message, type, code, param
        self.headers = headers

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def invalid(message: str, param: str | None = None, code: str | None = None) -> APIError:
    return APIError(400, message, "invalid_request_error", code, param)


def refusal(exc: EngineError) -> APIError:
    """The HTTP answer to an error the service or the engine raised."""
    if isinstance(exc, UnknownAdapter):
        return APIError(404, str(exc), "invalid_request_error", "model_not_found", "model")
    if isinstance(exc, PromptTooLong):
        return invalid(str(exc), code="context_length_exceeded")
    if isinstance(exc, InvalidRequest):
        return invalid(str(exc))
    if isinstance(exc, EngineBusy):
        return APIError(429, str(exc), "rate_limit_exceeded", "rate_limit_exceeded", headers={"Retry-After": "1"})
    if isinstance(exc, NotReady):
        return APIError(503, str(exc), "service_unavailable", "model_loading", headers={"Retry-After": "5"})
    if isinstance(exc, NotLogged):
        return APIError(503, str(exc), "service_unavailable", "log_unavailable", headers={"Retry-After": "5"})
    if isinstance(exc, EngineClosed):
        return APIError(503, str(exc), "service_unavailable", "engine_closed")
    return APIError(500, str(exc), "server_error")


def json_response(body: dict, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    # json.dumps escapes to ASCII, so text echoed from a request (a lone surrogate, say) always encodes.
    return Response(json.dumps(body), status_code=status, headers=headers, media_type="application/json")


# --- answering ----------------------------------------------------------------------


def usage(done: list[Completion]) -> dict:
    prompt = sum(d.tokens_in for d in done)
    completion = sum(d.tokens_out for d in done)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def text_choice(text: str, finish: str | None, index: int = 0) -> dict:
    return {"index": index, "text": text, "finish_reason": finish, "logprobs": None}


def delta_choice(text: str, finish: str | None) -> dict:
    return {"index": 0, "delta": {"content": text} if text else {}, "finish_reason": finish, "logprobs": None}
