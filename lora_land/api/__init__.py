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

This package reads and writes HTTP and nothing else: it knows no tensors, templates,
SQL or Gradio. `checks.py` reads a request, `streaming.py` runs it for its client (one
answer or server-sent events), `responses.py` shapes answers and errors, and
`routes.py` holds the routes and `install`.
"""

from lora_land.api.routes import install

__all__ = ["install"]
