"""The OpenAI-compatible API: `/v1/models`, `/v1/completions`, `/v1/chat/completions`, plus `/health` and `/metrics`.

    app = fastapi.FastAPI()
    install(app, service, api_key=None)   # before or after the page is mounted at "/"

    client = openai.OpenAI(base_url="http://127.0.0.1:7860/v1", api_key="-")
    client.chat.completions.create(model="glue_sst2", messages=[{"role": "user", "content": "what a film"}])

`model` is an adapter's name or "base". A completion's prompt is raw text; a chat's user
turns go through the task's template (`Service.chat_prompt`; a multi-field task reads
`field: value` lines). Sampling is greedy unless `temperature` is set above 0. Every
request is logged by the service, by default with the base model's answer beside it
(`Service.base_beside_api`, app.py's `--no-api-base-twin` turns it off); the client gets
the adapter's answer as soon as it is complete, while the base row runs on for the log.
Streams are server-sent events; a client that goes away cancels its request.

Every error has OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`:
400 bad parameters or JSON, `context_length_exceeded`; 401 `invalid_api_key`; 404
`model_not_found`; 413 `request_too_large` (a body over 8 MiB); 415
`unsupported_media_type` (a body not sent as `application/json`); 429
`rate_limit_exceeded` (the engine's queue is full); 500 the engine failed; 503 the model
is loading, the engine has stopped, or the log cannot be written (`log_unavailable`). A
refused request leaves no row in the log.
`model` names only what GET /v1/models lists: it is never read as a path or a hub id.
The API key is accepted only as `Authorization: Bearer <key>`, compared in constant time.

This module reads and writes HTTP and nothing else: it knows no tensors, templates,
SQL or Gradio, and the figures `/metrics` serves are monitoring.py's. The routes live in
their own sub-application at `/v1`, so its error handlers never touch the page mounted
beside it.
"""

from __future__ import annotations

import asyncio
import json
import hmac
import threading
import time
from dataclasses import dataclass
from typing import AsyncIterator, Callable

import fastapi
from fastapi import Depends, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from lora_land.monitoring import Metrics
from lora_land.scheduler import (
    Completion, EngineBusy, EngineClosed, EngineError, InvalidRequest, PromptTooLong, UnknownAdapter,
)
from lora_land.service import BASE, NotLogged, NotReady, Run, Service, clean_text

DEFAULT_MAX_TOKENS = 64  # for "base"; a task's adapter defaults to the task's max_new_tokens
FINISH = {"eos": "stop", "stop": "stop", "length": "length"}  # engine finish reason -> OpenAI's
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


# --- reading a request --------------------------------------------------------------


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


# --- running ------------------------------------------------------------------------


def start_runs(service: Service, kind: str, call: Call, prompts: list[str], fields) -> list[Run]:
    """Log and submit one run per prompt (blocking: tokenizes and writes the log); all or none."""
    if len(prompts) > 1:  # one bad prompt refuses the request before any other is logged
        for prompt in prompts:
            service.check(call.model, prompt, call.params)
    runs: list[Run] = []
    try:
        for prompt in prompts:
            runs.append(service.start(source="api", kind=kind, adapter=call.model, prompt=prompt, fields=fields,
                                      params=call.params, base=service.base_beside_api))
    except BaseException:
        for run in runs:
            run.cancel()
        raise
    return runs


def start_chat(service: Service, call: Call, messages: list[dict]) -> Run:
    prompt, _ = service.chat_prompt(call.model, messages, call.params["max_new_tokens"])
    return start_runs(service, "chat", call, [prompt], messages)[0]


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


# --- answering ----------------------------------------------------------------------


def usage(done: list[Completion]) -> dict:
    prompt = sum(d.tokens_in for d in done)
    completion = sum(d.tokens_out for d in done)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def text_choice(text: str, finish: str | None, index: int = 0) -> dict:
    return {"index": index, "text": text, "finish_reason": finish, "logprobs": None}


def delta_choice(text: str, finish: str | None) -> dict:
    return {"index": 0, "delta": {"content": text} if text else {}, "finish_reason": finish, "logprobs": None}


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


# --- the routes under /v1 -------------------------------------------------------------


def the_service(request: Request) -> Service:
    return request.app.state.service


async def require_key(request: Request) -> None:
    key = request.app.state.api_key
    if not key:
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), key.encode()):
        raise APIError(401, "missing or incorrect API key: send `Authorization: Bearer <key>`",
                       "invalid_request_error", "invalid_api_key", headers={"WWW-Authenticate": "Bearer"})


def model_card(service: Service, name: str) -> dict:
    """OpenAI's model object, with vLLM's `parent` (an adapter's base) and `max_model_len` (the base's context)."""
    card = {"id": name, "object": "model", "created": int(service.started), "owned_by": "lora-land"}
    if name == BASE:
        card["parent"] = None
        if service.ready:
            card["max_model_len"] = service.engine.max_context
    else:
        card["parent"] = BASE
    return card


async def list_models(request: Request) -> Response:
    """The base model and every loaded adapter; `refused` names the catalog's adapters that are not served, and why."""
    service = the_service(request)
    refused = [{"id": name, "error": why} for name, why in sorted(getattr(service.engine, "refused", {}).items())]
    return json_response({"object": "list", "data": [model_card(service, m) for m in service.models()],
                          "refused": refused})


async def get_model(request: Request, model_id: str) -> Response:
    """One model by name."""
    service = the_service(request)
    return json_response(model_card(service, check_model(service, model_id)))


async def completions(request: Request) -> Response:
    """Raw text in, the adapter's continuation out (no template)."""
    service, created = the_service(request), int(time.time())
    body = await read_body(request)
    call = read_call(body, service)
    prompts = read_prompts(body)
    if call.stream and len(prompts) > 1:
        raise invalid("a streamed completion takes one prompt", "prompt")
    runs = await run_in_threadpool(start_runs, service, "completion", call, prompts, {})
    head = {"id": f"cmpl-{runs[0].row_id}", "object": "text_completion", "created": created, "model": call.model}
    if call.stream:
        return EventStream(runs[0], events(runs[0], head, text_choice, include_usage=call.include_usage))
    done = await answers(request, runs)
    if done is None:
        return Response(status_code=499)  # nobody is listening
    choices = [text_choice(d.text, FINISH.get(d.finish_reason, "stop"), i) for i, d in enumerate(done)]
    return json_response({**head, "choices": choices, "usage": usage(done)})


async def chat_completions(request: Request) -> Response:
    """A conversation in, the adapter's answer out; each user turn goes through the task's template."""
    service, created = the_service(request), int(time.time())
    body = await read_body(request)
    call = read_call(body, service, max_tokens_names=("max_completion_tokens", "max_tokens"))
    messages = read_messages(body)
    run = await run_in_threadpool(start_chat, service, call, messages)
    head = {"id": f"chatcmpl-{run.row_id}", "object": "chat.completion.chunk", "created": created,
            "model": call.model}
    if call.stream:
        opening = {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None, "logprobs": None}
        return EventStream(run, events(run, head, delta_choice, opening=opening, include_usage=call.include_usage))
    done = await answers(request, [run])
    if done is None:
        return Response(status_code=499)
    choice = {"index": 0, "message": {"role": "assistant", "content": done[0].text},
              "finish_reason": FINISH.get(done[0].finish_reason, "stop"), "logprobs": None}
    return json_response({**head, "object": "chat.completion", "choices": [choice], "usage": usage(done)})


def v1_app(service: Service, metrics: Metrics, api_key: str | None) -> fastapi.FastAPI:
    """The /v1 routes as their own application, with their own error handlers and key check."""
    api = fastapi.FastAPI(title="LoRA Land API", docs_url=None, redoc_url=None, dependencies=[Depends(require_key)],
                          description="OpenAI-compatible; `model` is an adapter's name or `base`.")
    api.state.service, api.state.api_key = service, api_key
    serve_docs(api)

    def answer_error(error: APIError) -> Response:
        metrics.errors.labels(str(error.status), error.code or error.type).inc()
        return json_response(error.body(), error.status, error.headers)

    async def on_api_error(request: Request, exc: APIError) -> Response:
        return answer_error(exc)

    async def on_engine_error(request: Request, exc: EngineError) -> Response:
        return answer_error(refusal(exc))

    async def on_http_error(request: Request, exc: HTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code)
        return answer_error(APIError(exc.status_code, f"{request.method} {request.url.path}: {exc.detail}",
                                     "invalid_request_error", code, headers=exc.headers))

    async def on_failure(request: Request, exc: Exception) -> Response:  # then Starlette re-raises it, to be logged
        return answer_error(APIError(500, f"internal error: {type(exc).__name__}", "server_error"))

    api.add_exception_handler(APIError, on_api_error)
    api.add_exception_handler(EngineError, on_engine_error)
    api.add_exception_handler(HTTPException, on_http_error)
    api.add_exception_handler(Exception, on_failure)
    api.add_api_route("/models", list_models, methods=["GET"])
    api.add_api_route("/models/{model_id:path}", get_model, methods=["GET"])
    api.add_api_route("/completions", completions, methods=["POST"], openapi_extra=example(
        {"model": "glue_sst2", "prompt": "Given the following sentence: ...", "max_tokens": 4}))
    api.add_api_route("/chat/completions", chat_completions, methods=["POST"], openapi_extra=example(
        {"model": "glue_stsb", "messages": [{"role": "user", "content": "sentence1: ...\nsentence2: ..."}]}))
    return api


def serve_docs(api: fastapi.FastAPI) -> None:
    """/v1/docs: Swagger UI from the swagger-ui-bundle package, served by the app itself (no CDN, works offline).

    That Swagger UI (4.x) reads OpenAPI 3.0, which is all these routes' description uses.
    """
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.staticfiles import StaticFiles
    from swagger_ui_bundle import swagger_ui_path

    api.openapi_version = "3.0.3"
    api.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")

    async def docs(request: Request) -> Response:
        root = f"{request.scope.get('root_path', '').rstrip('/')}"
        return get_swagger_ui_html(openapi_url=f"{root}/openapi.json", title="LoRA Land API",
                                   swagger_js_url=f"{root}/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url=f"{root}/docs-assets/swagger-ui.css",
                                   swagger_favicon_url=f"{root}/docs-assets/favicon-32x32.png")

    api.add_route("/docs", docs, include_in_schema=False)


def example(body: dict) -> dict:
    """The OpenAPI description of a JSON body (read by hand, so FastAPI cannot infer it)."""
    return {"requestBody": {"required": True, "content": {"application/json": {"example": body}}}}


# --- /health --------------------------------------------------------------------------


def health(service: Service) -> Response:
    body = {"model": service.catalog.profile(service.profile).base, "profile": service.profile}
    if not service.ready:
        if service.load_error:
            return json_response({"status": "error", **body, "error": service.load_error}, 503)
        return json_response({"status": "loading", **body}, 503)
    engine = service.engine
    down = engine.healthy() if hasattr(engine, "healthy") else None  # a remote engine's server may have gone
    if down:
        return json_response({"status": "error", **body, "error": down}, 503)
    stats = engine.stats()
    # The model serves; a log that cannot be written (new requests are refused with 503) is named here.
    return json_response({"status": "ok", **body, "adapters": len(engine.adapters()), "queued": stats["queued"],
                          "running": stats["running"], "log": service.store.problem or "ok"})


# --- installing -----------------------------------------------------------------------


def install(app: fastapi.FastAPI, service: Service, *, api_key: str | None = None) -> None:
    """Add /v1/models, /v1/completions, /v1/chat/completions, /health, /metrics to `app`.

    With `api_key`, every /v1 route wants `Authorization: Bearer <api_key>`; /health and
    /metrics stay open.
    """
    metrics = Metrics(service)

    async def health_route() -> Response:
        return health(service)

    async def metrics_route() -> Response:
        return metrics.page()

    before = len(app.router.routes)
    app.mount("/v1", v1_app(service, metrics, api_key))
    app.add_api_route("/health", health_route, methods=["GET"], include_in_schema=False)
    app.add_api_route("/metrics", metrics_route, methods=["GET"], include_in_schema=False)
    # First in line, so that a page mounted at "/" before this call cannot shadow them.
    ours = app.router.routes[before:]
    del app.router.routes[before:]
    app.router.routes[:0] = ours
