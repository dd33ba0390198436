"""The remote engine: the same calls as `Engine`, served by an OpenAI-compatible server.

A team whose traffic outgrows one GPU moves generation to a serving engine that scales
(vLLM with `--enable-lora`, LoRAX, SGLang); the page, the API, the log and the stats
stay as they are. A profile with `backend: openai` and a `url` makes the app build a
`RemoteEngine` instead of loading a model:

    engine = RemoteEngine.from_config("adapters.yaml", "vllm-demo")
    handle = engine.submit(prompt, "glue_sst2", max_new_tokens=8)
    for piece in handle: ...

Each request is one streamed `/v1/completions` call whose `model` is the adapter's name
on the server (the task's key) or the server's base model. The request is sent when it
is submitted, so the server's refusals (4xx) reach the caller as the engine's own
errors before anything is logged; the answer is then read on a thread that feeds the
request's queue exactly as the local scheduler does. A compare sends the adapter's and
the base's requests together and the server batches them. Time to first token and
tokens per second are measured here, the same way for both engines.

The prompt is tokenized here, with the base's own tokenizer (the profile's `base`), to
check it fits the server's context and to count tokens in; the server checks again.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path

import httpx

from lora_land.engine import BASE, AdapterInfo, Engine, batch_requests, check_request
from lora_land.lora import AdapterError
from lora_land.scheduler import Completion, EngineBusy, EngineClosed, EngineError, Request, RequestHandle
from lora_land.wire import ServerUnavailable, completion_body, error_detail, events, refusal

__all__ = ["RemoteEngine", "ServerUnavailable", "server_url"]

log = logging.getLogger(__name__)


class RemoteEngine:
    """`Engine`'s public calls over an OpenAI-compatible server's streamed completions."""

    def __init__(self, url: str, tokenizer, *, base_model: str, adapters: list[str], max_context: int,
                 api_key: str | None = None, sources: dict[str, str] | None = None, timeout: float = 600.0,
                 max_in_flight: int = 256):
        self.url = url.rstrip("/")
        self.tokenizer = tokenizer
        self.base_model = base_model  # the server's name for the base model
        self._adapters = list(adapters)
        self._sources = dict(sources or {})
        self.max_context = max_context
        self.refused: dict[str, str] = {}
        self.max_in_flight = max_in_flight
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(base_url=self.url, headers=headers,
                                   timeout=httpx.Timeout(timeout, connect=10.0),
                                   limits=httpx.Limits(max_connections=max_in_flight, max_keepalive_connections=64))
        self._lock = threading.Lock()
        self._in_flight: dict[int, Request] = {}
        self._closed = False
        self.started = time.time()
        self.tokens_generated = 0
        self.busy_seconds = 0.0

    # --- building --------------------------------------------------------------------

    @classmethod
    def from_config(cls, path: str | Path = "adapters.yaml", profile: str = "vllm-demo", *,
                    tasks: list[str] | None = None, url: str | None = None) -> "RemoteEngine":
        """Connect to the profile's server: its base model, its adapters and its context, read from `/v1/models`.

        A catalog task whose adapter the server does not serve is listed in `refused`
        with the reason; the others are served. Raises ServerUnavailable when the server
        cannot be reached. `url` overrides the profile's (and LORA_LAND_SERVER_URL).
        """
        from lora_land.catalog import load_catalog
        from lora_land.loading import load_tokenizer

        catalog = load_catalog(path)
        prof = catalog.profile(profile)
        if not prof.remote:
            raise ValueError(f"profile {profile!r} runs in process (backend: {prof.backend}), not on a server")
        api_key = os.environ.get(prof.api_key_env) if prof.api_key_env else None
        url = (url or server_url(prof)).rstrip("/")
        base, served, context = cls.discover(url, api_key)
        tokenizer = load_tokenizer(prof)
        wanted = [catalog.task(k) for k in (catalog.tasks if tasks is None else tasks)]
        sources = {t.key: t.adapters[profile].source for t in wanted if t.key in served}
        engine = cls(url, tokenizer, base_model=base, adapters=[t.key for t in wanted if t.key in served],
                     max_context=context or _tokenizer_context(tokenizer), api_key=api_key, sources=sources)
        for task in wanted:
            if task.key not in served:
                engine.refused[task.key] = f"the server at {url} does not serve an adapter named {task.key!r}"
        log.info("serving through %s: base %s, %d adapters, context %d", url, base, len(engine._adapters),
                 engine.max_context)
        return engine

    @staticmethod
    def discover(url: str, api_key: str | None = None) -> tuple[str, set[str], int | None]:
        """(the server's base model, the adapter names it serves, its context length) from `/v1/models`."""
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        try:
            response = httpx.get(f"{url.rstrip('/')}/v1/models", headers=headers, timeout=10.0)
        except httpx.HTTPError as exc:
            raise ServerUnavailable(f"cannot reach the server at {url}: {exc}") from None
        if response.status_code != 200:
            raise ServerUnavailable(f"the server at {url} answered /v1/models with {response.status_code}: "
                                    f"{error_detail(response)}")
        models = response.json().get("data", [])
        bases = [m for m in models if not m.get("parent")]
        if not bases:
            raise ServerUnavailable(f"the server at {url} lists no base model")
        base = bases[0]
        served = {m["id"] for m in models if m.get("parent")}
        return base["id"], served, base.get("max_model_len")

    # --- adapters ----------------------------------------------------------------------

    def adapters(self) -> list[str]:
        with self._lock:
            return list(self._adapters)

    def adapter_info(self, name: str) -> AdapterInfo:
        """What the catalog's copy of the adapter says (the server does not tell rank or targets)."""
        source = self._sources.get(name, "")
        rank, targets, nbytes = 0, (), 0
        config = Path(source) / "adapter_config.json" if source else None
        if config is not None and config.is_file():
            data = json.loads(config.read_text())
            rank = int(data.get("r", 0))
            modules = data.get("target_modules") or []
            targets = tuple(sorted(modules)) if isinstance(modules, list) else (str(modules),)
            weights = Path(source) / "adapter_model.safetensors"
            nbytes = weights.stat().st_size if weights.is_file() else 0
        return AdapterInfo(name, source or f"{self.url} ({name})", rank, targets, nbytes)

    def add_adapter(self, name: str, source: str) -> AdapterInfo:
        """Ask the server to load an adapter (vLLM's `/v1/load_lora_adapter`); raise AdapterError if it will not."""
        if not isinstance(name, str) or not name.strip() or name == BASE or any(c.isspace() for c in name):
            raise AdapterError(f"adapter name {name!r} is not allowed (non-empty, no spaces, not 'base')")
        if name in self.adapters():
            raise AdapterError(f"an adapter named {name!r} is already loaded")
        try:
            response = self.client.post("/v1/load_lora_adapter", json={"lora_name": name, "lora_path": source})
        except httpx.HTTPError as exc:
            raise AdapterError(f"cannot reach the server at {self.url}: {exc}") from None
        if response.status_code != 200:
            detail = error_detail(response)
            if response.status_code in (404, 405) and detail in ("Not Found", "Method Not Allowed"):  # no such route
                raise AdapterError(f"the server at {self.url} does not load adapters at run time (vLLM does when "
                                   "started with VLLM_ALLOW_RUNTIME_LORA_UPDATING=True)")
            raise AdapterError(f"the server refused the adapter: {detail}")
        with self._lock:
            self._adapters.append(name)
            self._sources[name] = source
        self.refused.pop(name, None)
        return self.adapter_info(name)

    # --- requests --------------------------------------------------------------------

    def count_tokens(self, prompt: str) -> int:
        return len(self.tokenizer(prompt)["input_ids"])

    def make_request(self, prompt: str, adapter: str = BASE, **params) -> Request:
        """Check everything about a request that can be checked before sending it."""
        return check_request(self, prompt, adapter, params)

    base_twin = staticmethod(Engine.base_twin)

    def submit(self, prompt: str, adapter: str = BASE, **params) -> RequestHandle:
        return self.submit_group([self.make_request(prompt, adapter, **params)])[0]

    def compare(self, prompt: str, adapter: str, **params) -> tuple[RequestHandle, RequestHandle]:
        """The adapter's answer and the base model's, sent at once so the server batches them."""
        tuned = self.make_request(prompt, adapter, **params)
        return tuple(self.submit_group([tuned, self.base_twin(tuned)]))

    def submit_group(self, requests: list[Request]) -> list[RequestHandle]:
        """Send every request of the group (in parallel), then stream each answer on its own thread.

        If the server refuses any of them, the others are cancelled and the refusal is
        raised as the engine's own error; nothing has been answered yet.
        """
        if self._closed:
            raise EngineClosed("the engine is closed")
        with self._lock:
            if len(self._in_flight) + len(requests) > self.max_in_flight:
                raise EngineBusy(f"{len(self._in_flight)} requests are in flight (at most {self.max_in_flight})")
            self._in_flight.update((r.id, r) for r in requests)
        opened: list[httpx.Response | BaseException | None] = [None] * len(requests)

        def open_one(i: int) -> None:
            try:
                opened[i] = self._open(requests[i])
            except BaseException as exc:  # re-raised on the caller's thread
                opened[i] = exc

        threads = [threading.Thread(target=open_one, args=(i,), daemon=True) for i in range(1, len(requests))]
        for thread in threads:
            thread.start()
        open_one(0)
        for thread in threads:
            thread.join()
        failure = next((o for o in opened if isinstance(o, BaseException)), None)
        if failure is not None:
            for request, response in zip(requests, opened):
                if isinstance(response, httpx.Response):
                    response.close()
                self._done(request)
            raise failure
        for request, response in zip(requests, opened):
            threading.Thread(target=self._read, args=(request, response), daemon=True,
                             name=f"remote-{request.id}").start()
        return [RequestHandle(r) for r in requests]

    def _open(self, request: Request) -> httpx.Response:
        """Send one request and wait for the server's answer to begin; raise its refusal as ours."""
        try:
            response = self.client.send(self.client.build_request("POST", "/v1/completions", json=completion_body(request, self.base_model)),
                                        stream=True)
        except httpx.HTTPError as exc:
            raise ServerUnavailable(f"cannot reach the server at {self.url}: {exc}") from None
        if response.status_code == 200:
            return response
        detail = error_detail(response)
        response.close()
        raise refusal(response.status_code, detail, request.adapter, self.url)

    def _read(self, request: Request, response: httpx.Response) -> None:
        """Feed the request's queue from the server's event stream; always end with a Completion."""
        text: list[str] = []
        first: float | None = None
        finish, stop_reason, tokens_out, error = None, None, None, None
        pieces = 0
        try:
            for event in events(response):
                if request.cancelled.is_set():
                    finish = "cancelled"
                    break
                if event.get("usage"):
                    tokens_out = event["usage"].get("completion_tokens", tokens_out)
                for choice in event.get("choices") or ():
                    piece = choice.get("text") or ""
                    if piece:
                        if first is None:
                            first = time.perf_counter()
                        text.append(piece)
                        pieces += 1
                        request.events.put(("text", piece))
                    if choice.get("finish_reason"):
                        finish, stop_reason = choice["finish_reason"], choice.get("stop_reason")
            if finish is None and request.cancelled.is_set():
                finish = "cancelled"
            if finish is None:
                error = "the server's stream ended without a finish reason"
        except (httpx.HTTPError, EngineError, ValueError) as exc:
            error = f"the connection to the server at {self.url} broke: {exc}"
        finally:
            response.close()
        if error is not None:
            finish = "error"
        elif finish == "stop":  # vLLM names the stop string that ended it; none means the model's EOS
            finish = "stop" if isinstance(stop_reason, str) else "eos"
        elif finish == "abort":
            finish = "cancelled"
        now = time.perf_counter()
        out = tokens_out if tokens_out is not None else (len(self.tokenizer("".join(text), add_special_tokens=False)
                                                             ["input_ids"]) if text else 0)
        running = now - first if first is not None else 0.0
        completion = Completion(
            request_id=request.id,
            adapter=request.adapter,
            text="".join(text),
            finish_reason=finish,
            tokens_in=len(request.prompt_ids),
            tokens_out=out,
            queue_seconds=0.0,
            time_to_first_token=None if first is None else first - request.arrived,
            total_seconds=now - request.arrived,
            tokens_per_second=out / running if running > 0 and out else 0.0,
            error=error,
            batch_peak=0,
        )
        with self._lock:
            self.tokens_generated += out
            self.busy_seconds += now - request.arrived
        self._done(request)
        request.events.put(("done", completion))

    def _done(self, request: Request) -> None:
        with self._lock:
            self._in_flight.pop(request.id, None)

    stream = Engine.stream  # submit, yield the pieces, cancel when the caller stops reading

    def generate(self, prompts: list[str], adapters: list[str] | str = BASE, max_new_tokens: int = 64,
                 temperature: float = 0.0, **sampling) -> list[str]:
        """Generated text for each prompt, each with its own adapter, all sent at once (blocking)."""
        requests = batch_requests(self, prompts, adapters, max_new_tokens=max_new_tokens, temperature=temperature,
                                  **sampling)
        handles = self.submit_group(requests)
        results = [h.result() for h in handles]
        failed = [r for r in results if r.finish_reason == "error"]
        if failed:
            raise EngineError(failed[0].error)
        return [r.text for r in results]

    # --- state -------------------------------------------------------------------------

    def healthy(self) -> str | None:
        """None when the server answers, else why not (one line)."""
        try:
            response = self.client.get("/v1/models", timeout=5.0)
        except httpx.HTTPError as exc:
            return f"cannot reach the server at {self.url}: {exc}"
        if response.status_code != 200:
            return f"the server at {self.url} answered /v1/models with {response.status_code}"
        return None

    def stats(self) -> dict:
        with self._lock:
            running = len(self._in_flight)
            adapters = len(self._adapters)
            return {
                "queued": 0,  # the server queues; it does not say how many
                "running": running,
                "steps": 0,
                "tokens_generated": self.tokens_generated,
                "busy_seconds": self.busy_seconds,
                "adapters_loaded": adapters,
                "adapters_on_device": adapters,
                "adapter_slots": adapters,
                "adapter_swaps": 0,
                "uptime_seconds": time.time() - self.started,
            }

    def close(self) -> None:
        """Cancel what is in flight (each ends as cancelled), then close the connections."""
        self._closed = True
        with self._lock:
            requests = list(self._in_flight.values())
        for request in requests:
            request.cancelled.set()
        deadline = time.monotonic() + 5.0
        while self.stats()["running"] and time.monotonic() < deadline:
            time.sleep(0.02)
        self.client.close()

    def __enter__(self) -> "RemoteEngine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def server_url(profile) -> str:
    """The profile's server: LORA_LAND_SERVER_URL when set (a deployment's own address), else the catalog's `url`."""
    return (os.environ.get("LORA_LAND_SERVER_URL") or profile.url).rstrip("/")


def _tokenizer_context(tokenizer) -> int:
    length = getattr(tokenizer, "model_max_length", None)
    return int(length) if isinstance(length, int) and 0 < length < 1_000_000 else 4096
