"""The API's routes: `/v1/models`, `/v1/completions`, `/v1/chat/completions` in their own sub-application
at `/v1`, plus `/health` and `/metrics`, and `install`, which adds them to the app.

A route reads its request with checks.py, logs and submits its runs through the service,
and answers with streaming.py and responses.py. The routes live in their own
sub-application, so its error handlers never touch the page mounted beside it; the
figures `/metrics` serves are monitoring.py's.
"""

from __future__ import annotations

import hmac
import time

import fastapi
from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from lora_land.api.checks import Call, check_model, read_body, read_call, read_messages, read_prompts
from lora_land.api.responses import FINISH, APIError, delta_choice, invalid, json_response, refusal, text_choice, usage
from lora_land.api.streaming import EventStream, answers, events
from lora_land.monitoring import Metrics
from lora_land.scheduler import EngineError
from lora_land.service import BASE, Run, Service


# --- starting runs ------------------------------------------------------------------


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
