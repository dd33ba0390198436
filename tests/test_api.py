"""The OpenAI-compatible API on the committed demo, through the official openai client against a real server."""

import json
import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import fastapi
import httpx
import openai
import pytest
import uvicorn
from prometheus_client.parser import text_string_to_metric_families

from lora_land.api import install
from lora_land.catalog import load_catalog
from lora_land.engine import Engine, EngineBusy, Limits
from lora_land.service import Service
from lora_land.store import Store

ROOT = Path(__file__).resolve().parent.parent
CATALOG = load_catalog(ROOT / "adapters.yaml")
SST2 = CATALOG.task("glue_sst2")
STSB = CATALOG.task("glue_stsb")
LONG = 900  # tokens: a generation that is still running when the test acts on it
JSON = {"Content-Type": "application/json"}


@contextmanager
def serving(app: fastapi.FastAPI):
    """The app under uvicorn on a free port of 127.0.0.1, in a background thread."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=5))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "the server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@dataclass
class Served:
    engine: Engine | None
    store: Store
    service: Service
    url: str

    def client(self) -> openai.OpenAI:
        return openai.OpenAI(base_url=f"{self.url}/v1", api_key="x", max_retries=0)


@contextmanager
def served(tmp: Path, engine: Engine | None, **install_kw):
    store = Store(tmp / "log.db")
    service = Service(CATALOG, "demo", store, engine)
    app = fastapi.FastAPI()
    install(app, service, **install_kw)
    try:
        with serving(app) as url:
            yield Served(engine, store, service, url)
    finally:
        store.close()


@pytest.fixture(scope="module")
def lora(tmp_path_factory):
    """The demo with all 25 adapters."""
    with served(tmp_path_factory.mktemp("lora"), Engine.from_config(ROOT / "adapters.yaml", "demo")) as s:
        yield s
        s.engine.close()  # before the log closes, so the rows it cancels are written


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """One adapter, two rows a batch, two requests in the queue: easy to fill."""
    engine = Engine.from_config(ROOT / "adapters.yaml", "demo", limits=Limits(max_queue=2, max_rows=2),
                                tasks=["glue_sst2"])
    with served(tmp_path_factory.mktemp("small"), engine) as s:
        yield s
        s.engine.close()


@pytest.fixture
def client(lora):
    return lora.client()


def row_id(response_id: str) -> int:
    return int(response_id.rsplit("-", 1)[1])


def wait_for(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def finished(store: Store, row: int) -> dict:
    """The log row once it has ended (the base row beside the answer may finish after the response)."""
    wait_for(lambda: store.get(row)["status"] != "incomplete", f"row {row} to end")
    return store.get(row)


def chat(content: str) -> list[dict]:
    return [{"role": "user", "content": content}]


# --- models ---------------------------------------------------------------------------


def test_models_are_the_base_and_every_adapter(client):
    models = client.models.list().data
    assert [m.id for m in models][0] == "base"
    assert sorted(m.id for m in models[1:]) == sorted(CATALOG.tasks) and len(models) == 26
    assert all(m.object == "model" and m.owned_by == "lora-land" and isinstance(m.created, int) for m in models)
    assert client.models.retrieve("glue_sst2").id == "glue_sst2"
    with pytest.raises(openai.NotFoundError) as e:
        client.models.retrieve("no_such_model")
    assert e.value.code == "model_not_found"


# --- completions ----------------------------------------------------------------------


def test_a_completion_is_the_engines_answer_and_is_logged_beside_the_base(client, lora):
    prompt = SST2.render(SST2.examples[0])
    r = client.completions.create(model="glue_sst2", prompt=prompt, max_tokens=4)
    expected = lora.engine.generate([prompt], ["glue_sst2"], max_new_tokens=4)[0]
    assert r.object == "text_completion" and r.model == "glue_sst2"
    assert r.choices[0].text == expected and expected.strip()
    assert r.choices[0].finish_reason in ("stop", "length") and r.choices[0].index == 0
    assert r.usage.prompt_tokens == lora.engine.count_tokens(prompt)
    assert 1 <= r.usage.completion_tokens <= 4
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens
    row = finished(lora.store, row_id(r.id))
    assert (row["source"], row["kind"], row["adapter"], row["status"]) == ("api", "completion", "glue_sst2", "complete")
    assert row["prompt"] == prompt and row["output"] == expected
    assert row["base_output"] is not None and row["base_finish_reason"] is not None
    assert json.loads(row["params"])["max_new_tokens"] == 4


def test_max_tokens_defaults_to_the_tasks_and_sampling_to_greedy(client, lora):
    r = client.completions.create(model="glue_sst2", prompt=SST2.render(SST2.examples[1]))
    params = json.loads(finished(lora.store, row_id(r.id))["params"])
    assert params["max_new_tokens"] == SST2.max_new_tokens and params["temperature"] == 0


def test_stop_strings_and_max_tokens_end_the_answer(client):
    prompt = "The weather today is"
    whole = client.completions.create(model="base", prompt=prompt, max_tokens=16, extra_body={"ignore_eos": True})
    text = whole.choices[0].text
    stop = text.split()[2]
    cut = client.completions.create(model="base", prompt=prompt, max_tokens=16, stop=[stop],
                                    extra_body={"ignore_eos": True})
    assert cut.choices[0].text == text[: text.index(stop)] and cut.choices[0].finish_reason == "stop"
    one = client.completions.create(model="base", prompt=prompt, max_tokens=1, extra_body={"ignore_eos": True})
    assert one.choices[0].finish_reason == "length" and one.usage.completion_tokens == 1


def test_seeded_sampling_repeats(client, lora):
    def sampled(seed):
        return client.completions.create(model="base", prompt="Once upon a time", max_tokens=12, temperature=1.0,
                                         seed=seed, top_p=0.95, extra_body={"top_k": -1, "ignore_eos": True})
    first = sampled(7)
    assert first.choices[0].text == sampled(7).choices[0].text
    params = json.loads(finished(lora.store, row_id(first.id))["params"])
    assert (params["temperature"], params["seed"], params["top_p"], params["top_k"]) == (1.0, 7, 0.95, 0)


def test_several_prompts_get_a_choice_each(client):
    prompts = [SST2.render(e) for e in SST2.examples]
    r = client.completions.create(model="glue_sst2", prompt=prompts, max_tokens=4)
    singles = [client.completions.create(model="glue_sst2", prompt=p, max_tokens=4) for p in prompts]
    assert [c.index for c in r.choices] == [0, 1, 2]
    assert [c.text for c in r.choices] == [s.choices[0].text for s in singles]
    assert r.usage.total_tokens == sum(s.usage.total_tokens for s in singles)


# --- chat -----------------------------------------------------------------------------


def test_chat_with_a_task_gives_the_engines_answer(client, lora):
    for example in SST2.examples:
        messages = chat(example["sentence"])
        r = client.chat.completions.create(model="glue_sst2", messages=messages)
        expected = lora.engine.generate([SST2.render(example)], ["glue_sst2"], max_new_tokens=SST2.max_new_tokens)[0]
        assert r.object == "chat.completion" and r.choices[0].message.role == "assistant"
        assert r.choices[0].message.content == expected and expected.strip() in ("0", "1")
        row = finished(lora.store, row_id(r.id))
        assert (row["kind"], row["status"], row["prompt"]) == ("chat", "complete", SST2.render(example))
        assert json.loads(row["fields"]) == messages


def test_chat_with_a_multi_field_task_reads_field_lines(client, lora):
    example = STSB.examples[0]
    content = f"sentence1: {example['sentence1']}\nsentence2: {example['sentence2']}"
    r = client.chat.completions.create(model="glue_stsb", messages=chat(content), max_completion_tokens=4)
    expected = lora.engine.generate([STSB.render(example)], ["glue_stsb"], max_new_tokens=4)[0]
    assert r.choices[0].message.content == expected and expected.strip()
    # text parts are joined by newlines, so the two fields may come as two parts
    parts = [{"type": "text", "text": line} for line in content.split("\n")]
    r = client.chat.completions.create(model="glue_stsb", messages=[{"role": "user", "content": parts}], max_tokens=4)
    assert r.choices[0].message.content == expected
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model="glue_stsb", messages=chat("two sentences, no field names"))
    assert "sentence1" in e.value.message and "sentence2" in e.value.message


# --- streaming ------------------------------------------------------------------------


def test_a_streamed_completion_joins_to_the_answer(client):
    kw = dict(model="base", prompt="The capital of the country is", max_tokens=12)
    whole = client.completions.create(**kw)
    chunks = list(client.completions.create(**kw, stream=True, stream_options={"include_usage": True}))
    assert "".join(c.choices[0].text for c in chunks[:-1]) == whole.choices[0].text
    assert chunks[-2].choices[0].finish_reason == whole.choices[0].finish_reason
    assert all(c.choices[0].finish_reason is None for c in chunks[:-2])
    assert chunks[-1].choices == [] and chunks[-1].usage == whole.usage
    assert len({c.id for c in chunks}) == 1 and chunks[0].id != whole.id


def test_a_streamed_chat_joins_to_the_answer(client):
    kw = dict(model="glue_sst2", messages=chat(SST2.examples[2]["sentence"]), max_tokens=4)
    whole = client.chat.completions.create(**kw)
    chunks = list(client.chat.completions.create(**kw, stream=True))
    assert chunks[0].object == "chat.completion.chunk" and chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == whole.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == whole.choices[0].finish_reason
    assert chunks[-1].usage is None  # include_usage was not asked for


def test_a_stream_is_server_sent_events(lora):
    body = {"model": "base", "prompt": "Hello", "max_tokens": 4, "ignore_eos": True, "stream": True}  # any model: 4 tokens
    with httpx.stream("POST", f"{lora.url}/v1/completions", json=body, timeout=30) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        text = r.read().decode()
    events = text.split("\n\n")
    assert events[-1] == "" and events[-2] == "data: [DONE]"
    assert all(e.startswith("data: {") for e in events[:-2])
    assert json.loads(events[-3][6:])["choices"][0]["finish_reason"] == "length"


# --- errors ---------------------------------------------------------------------------

COMPLETION = {"model": "base", "prompt": "Hello", "max_tokens": 4}
CHAT = {"model": "glue_sst2", "messages": chat("a fine film"), "max_tokens": 4}
BAD = [  # (path, body, the param the error names, or None)
    ("/completions", {**COMPLETION, "temperature": "hot"}, "temperature"),
    ("/completions", {**COMPLETION, "temperature": -1}, None),
    ("/completions", {**COMPLETION, "max_tokens": 0}, "max_tokens"),
    ("/completions", {**COMPLETION, "max_tokens": -1}, "max_tokens"),
    ("/completions", {**COMPLETION, "max_tokens": 2.5}, "max_tokens"),
    ("/completions", {**COMPLETION, "top_p": 2}, None),
    ("/completions", {**COMPLETION, "seed": "x"}, "seed"),
    ("/completions", {**COMPLETION, "stop": 5}, "stop"),
    ("/completions", {**COMPLETION, "stop": ["a", 3]}, "stop"),
    ("/completions", {**COMPLETION, "stream": "yes"}, "stream"),
    ("/completions", {**COMPLETION, "n": 2}, "n"),
    ("/completions", {**COMPLETION, "logprobs": 2}, "logprobs"),
    ("/completions", {**COMPLETION, "echo": True}, "echo"),
    ("/completions", {**COMPLETION, "best_of": 3}, "best_of"),
    ("/completions", {**COMPLETION, "presence_penalty": 0.5}, "presence_penalty"),
    ("/completions", {**COMPLETION, "frequency_penalty": 1}, "frequency_penalty"),
    ("/completions", {**COMPLETION, "logit_bias": {"5": 10}}, "logit_bias"),
    ("/completions", {"prompt": "Hello"}, "model"),
    ("/completions", {**COMPLETION, "model": 7}, "model"),
    ("/completions", {"model": "base"}, "prompt"),
    ("/completions", {**COMPLETION, "prompt": ""}, "prompt"),
    ("/completions", {**COMPLETION, "prompt": " \n "}, "prompt"),
    ("/completions", {**COMPLETION, "prompt": 5}, "prompt"),
    ("/completions", {**COMPLETION, "prompt": [1, 2, 3]}, "prompt"),
    ("/completions", {**COMPLETION, "prompt": ["a", "b"], "stream": True}, "prompt"),
    ("/chat/completions", {"model": "glue_sst2"}, "messages"),
    ("/chat/completions", {**CHAT, "messages": []}, "messages"),
    ("/chat/completions", {**CHAT, "messages": "hi"}, "messages"),
    ("/chat/completions", {**CHAT, "messages": ["hi"]}, "messages[0]"),
    ("/chat/completions", {**CHAT, "messages": [{"role": "tool", "content": "x"}]}, "messages[0].role"),
    ("/chat/completions", {**CHAT, "messages": chat("   ")}, None),
    ("/chat/completions", {**CHAT, "messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
    ("/chat/completions", {**CHAT, "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "http://127.0.0.1/x.png"}}]}]}, "messages[0].content"),
    ("/chat/completions", {**CHAT, "messages": [*chat("a fine film"), {"role": "assistant", "content": "1"}]}, None),
    ("/chat/completions", {**CHAT, "max_completion_tokens": 0}, "max_completion_tokens"),
    ("/chat/completions", {**CHAT, "tools": [{"type": "function", "function": {"name": "f"}}]}, "tools"),
]


@pytest.mark.parametrize("path, body, param", BAD, ids=[f"{p[1:]}-{json.dumps(b)[:70]}" for p, b, _ in BAD])
def test_bad_requests_are_400_and_leave_no_row(client, lora, path, body, param):
    rows = lora.store.count()
    with pytest.raises(openai.BadRequestError) as e:
        client.post(path, body=body, cast_to=object)
    assert e.value.status_code == 400 and e.value.type == "invalid_request_error"
    assert e.value.param == param and e.value.message
    assert lora.store.count() == rows


MALFORMED = [b'{"model": "base", "prompt": ', b"[1, 2]", b'{"model": "base", "prompt": "\xc3\x28"}', b""]


@pytest.mark.parametrize("content", MALFORMED)
def test_a_malformed_body_is_400_invalid_json(client, content):
    with pytest.raises(openai.BadRequestError) as e:
        client.post("/completions", content=content, cast_to=object,
                    options={"headers": {"Content-Type": "application/json"}})
    assert e.value.code == "invalid_json" and e.value.type == "invalid_request_error"


def test_an_unknown_model_is_404(client):
    with pytest.raises(openai.NotFoundError) as e:
        client.completions.create(model="no_such_task", prompt="Hello", max_tokens=4)
    assert (e.value.code, e.value.param, e.value.type) == ("model_not_found", "model", "invalid_request_error")
    with pytest.raises(openai.NotFoundError) as e:
        client.chat.completions.create(model="predibase/glue_sst2", messages=chat("a fine film"))
    assert e.value.code == "model_not_found"


def test_a_prompt_over_the_context_is_400_context_length_exceeded(client, lora):
    huge = "word " * (lora.engine.max_context + 10)
    for call in (
        lambda: client.completions.create(model="base", prompt=huge, max_tokens=4),
        lambda: client.completions.create(model="base", prompt="Hello", max_tokens=lora.engine.max_context),
        lambda: client.chat.completions.create(model="glue_sst2", messages=chat(huge), max_tokens=4),
    ):
        with pytest.raises(openai.BadRequestError) as e:
            call()
        assert e.value.code == "context_length_exceeded"


def test_control_characters_and_odd_unicode_are_served(client, lora):
    odd = "a\x00b\x07c \u202edlrow\u200f 😀 e\u0301 \ufeff"
    r = client.completions.create(model="base", prompt=odd, max_tokens=4)
    row = finished(lora.store, row_id(r.id))
    assert "\x00" not in row["prompt"] and "\x07" not in row["prompt"] and "😀" in row["prompt"]
    r = client.chat.completions.create(model="glue_sst2", messages=chat(odd), max_tokens=4)
    assert r.choices[0].message.content is not None
    # a lone surrogate, as a JSON escape: Python's json reads it, the service replaces it
    for path, body in (("/completions", b'{"model": "base", "prompt": "hi \\ud800 there", "max_tokens": 4}'),
                       ("/chat/completions", b'{"model": "glue_sst2", "messages": [{"role": "user", '
                                             b'"content": "good \\ud800 film"}], "max_tokens": 4}')):
        got = httpx.post(f"{lora.url}/v1{path}", content=body, headers=JSON)
        assert got.status_code == 200, got.text
        assert "\ufffd" in finished(lora.store, row_id(got.json()["id"]))["prompt"]
    got = httpx.post(f"{lora.url}/v1/completions", content=b'{"model": "\\ud800", "prompt": "hi"}', headers=JSON)
    assert got.status_code == 404 and got.json()["error"]["code"] == "model_not_found"
    got = httpx.post(f"{lora.url}/v1/completions", content=b'{"model": "base", "prompt": "hi", "stop": "\\udc00"}',
                     headers=JSON)
    assert got.status_code == 400 and got.json()["error"]["param"] == "stop"


def test_the_api_documents_itself_at_v1_docs(lora):
    schema = httpx.get(f"{lora.url}/v1/openapi.json").json()
    assert {"/models", "/completions", "/chat/completions"} <= set(schema["paths"])
    assert schema["servers"] == [{"url": "/v1"}]
    page = httpx.get(f"{lora.url}/v1/docs")
    assert page.status_code == 200 and schema["openapi"].startswith("3.0")  # what the bundled Swagger UI reads
    assets = re.findall(r"""(?:href|src)=['"]([^'"]+\.(?:js|css|png))""", page.text)
    assert len(assets) == 3 and all(a.startswith("/v1/docs-assets/") for a in assets)  # served here, not by a CDN
    for asset in assets:
        assert httpx.get(f"{lora.url}{asset}").status_code == 200


def test_unknown_routes_and_methods_keep_the_error_shape(lora):
    r = httpx.get(f"{lora.url}/v1/no/such/route")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = httpx.get(f"{lora.url}/v1/chat/completions")
    assert r.status_code == 405 and set(r.json()["error"]) == {"message", "type", "param", "code"}
    assert "POST" in r.headers["allow"]


def test_a_full_queue_is_429(small):
    handles = []
    while True:  # two long rows run and two wait behind them: nothing moves until they are cancelled
        try:
            handles.append(small.engine.submit("Hello", "base", max_new_tokens=LONG, ignore_eos=True))
        except EngineBusy:
            stats = small.engine.stats()
            if (stats["running"], stats["queued"]) == (2, 2):
                break
            time.sleep(0.01)
    rows = small.store.count()
    try:
        with pytest.raises(openai.RateLimitError) as e:
            small.client().completions.create(model="glue_sst2", prompt="Hello", max_tokens=4)
        assert e.value.status_code == 429 and e.value.code == "rate_limit_exceeded"
        assert e.value.type == "rate_limit_exceeded" and e.value.response.headers["retry-after"]
        assert small.store.count() == rows
    finally:
        for h in handles:
            h.cancel()
        assert all(h.result(30).finish_reason == "cancelled" for h in handles)


def test_an_engine_failure_is_a_500_or_an_error_event(small, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(small.engine.model, "prefill", broken)
    client = small.client()
    with pytest.raises(openai.InternalServerError) as e:
        client.completions.create(model="glue_sst2", prompt="Hello", max_tokens=4)
    assert e.value.status_code == 500 and "boom" in e.value.message and e.value.code == "engine_error"
    stream = client.chat.completions.create(model="glue_sst2", messages=chat("a fine film"), max_tokens=4, stream=True)
    first = next(stream)
    assert first.choices[0].delta.role == "assistant"
    with pytest.raises(openai.APIError) as e:
        next(stream)
    assert "boom" in e.value.message
    row = finished(small.store, row_id(first.id))
    assert row["status"] == "error" and "boom" in row["error"]


def test_an_unexpected_failure_keeps_the_error_shape(small, monkeypatch):
    def broken(**kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(small.service, "start", broken)
    with pytest.raises(openai.InternalServerError) as e:
        small.client().completions.create(model="glue_sst2", prompt="Hello", max_tokens=4)
    assert e.value.status_code == 500 and e.value.type == "server_error"


def test_while_loading_v1_and_health_are_503(small, tmp_path):
    with served(tmp_path, None) as loading:
        client = loading.client()
        for call in (lambda: client.models.list(),
                     lambda: client.chat.completions.create(model="glue_sst2", messages=chat("a fine film"))):
            with pytest.raises(openai.APIStatusError) as e:
                call()
            assert e.value.status_code == 503 and e.value.type == "service_unavailable"
            assert e.value.code == "model_loading"
        health = httpx.get(f"{loading.url}/health")
        assert health.status_code == 503 and health.json()["status"] == "loading"
        loading.service.load_error = "the base model is missing"
        health = httpx.get(f"{loading.url}/health")
        assert health.status_code == 503 and health.json()["error"] == "the base model is missing"
        with pytest.raises(openai.APIStatusError) as e:
            client.models.list()
        assert e.value.status_code == 503 and "the base model is missing" in e.value.message
        loading.service.load_error = None
        loading.service.attach(small.engine)
        health = httpx.get(f"{loading.url}/health")
        assert health.status_code == 200 and health.json()["status"] == "ok" and health.json()["adapters"] == 1
        assert [m.id for m in client.models.list().data] == ["base", "glue_sst2"]


def test_an_api_key_guards_v1_and_not_health(lora):
    app = fastapi.FastAPI()
    install(app, lora.service, api_key="sekret")
    with serving(app) as url:
        no_key = httpx.get(f"{url}/v1/models")
        assert no_key.status_code == 401 and no_key.json()["error"]["code"] == "invalid_api_key"
        with pytest.raises(openai.AuthenticationError) as e:
            openai.OpenAI(base_url=f"{url}/v1", api_key="wrong", max_retries=0).models.list()
        assert e.value.code == "invalid_api_key" and e.value.type == "invalid_request_error"
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(base_url=f"{url}/v1", api_key="wrong", max_retries=0).completions.create(
                model="base", prompt="Hello", max_tokens=4)
        keyed = openai.OpenAI(base_url=f"{url}/v1", api_key="sekret", max_retries=0)
        assert len(keyed.models.list().data) == 26
        assert keyed.completions.create(model="base", prompt="Hello", max_tokens=4,
                                        extra_body={"ignore_eos": True}).choices[0].text
        assert httpx.get(f"{url}/health").status_code == 200
        assert httpx.get(f"{url}/metrics").status_code == 200


def test_the_routes_come_before_a_page_mounted_at_the_root(lora):
    app, page = fastapi.FastAPI(), fastapi.FastAPI()
    page.add_api_route("/{path:path}", lambda path: {"page": path})
    app.mount("/", page)
    install(app, lora.service)
    with serving(app) as url:
        assert httpx.get(f"{url}/some/page").json() == {"page": "some/page"}
        assert httpx.get(f"{url}/health").json()["status"] == "ok"
        assert len(openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0).models.list().data) == 26
        assert httpx.get(f"{url}/v1/no/such/route").json()["error"]["code"] == "not_found"


# --- clients that leave, clients that come together -----------------------------------------


def test_a_dropped_stream_cancels_its_run(lora):
    body = {"model": "glue_sst2", "prompt": "Hello", "max_tokens": LONG, "ignore_eos": True, "stream": True}
    with httpx.Client(timeout=30) as http:
        with http.stream("POST", f"{lora.url}/v1/completions", json=body) as r:
            lines = r.iter_lines()
            first = next(line for line in lines if line.startswith("data: "))
            next(line for line in lines if line.startswith("data: "))
    row = finished(lora.store, row_id(json.loads(first[6:])["id"]))
    assert row["status"] == "cancelled" and row["tokens_out"] < LONG
    wait_for(lambda: lora.engine.stats()["running"] == 0, what="the engine to free the rows")


def test_a_dropped_request_cancels_its_run(small, monkeypatch):
    runs, start = [], small.service.start
    monkeypatch.setattr(small.service, "start", lambda **kw: runs.append(start(**kw)) or runs[-1])
    held, prefill = threading.Event(), small.engine.model.prefill

    def held_prefill(*args, **kwargs):  # the engine waits here until the client has gone
        held.wait(30)
        return prefill(*args, **kwargs)

    monkeypatch.setattr(small.engine.model, "prefill", held_prefill)
    try:
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{small.url}/v1/completions", json={**COMPLETION, "model": "glue_sst2", "ignore_eos": True},
                       timeout=0.5)  # four tokens to go when the client has left, whatever the first one is
        (run,) = runs
        wait_for(lambda: all(h.request.cancelled.is_set() for h in run.handles.values()), what="the cancel")
    finally:
        held.set()
    assert finished(small.store, run.row_id)["status"] == "cancelled"


def test_fifty_streams_are_in_the_engine_at_once(lora):
    body = {"model": "glue_sst2", "messages": chat("a fine film"), "max_tokens": LONG, "ignore_eos": True,
            "stream": True}
    rows, readers = [], []  # a dropped line reader closes its connection: keep them all
    with httpx.Client(timeout=10) as http, ExitStack() as streams:
        for _ in range(50):
            readers.append(streams.enter_context(http.stream("POST", f"{lora.url}/v1/chat/completions",
                                                             json=body)).iter_lines())
            opening = next(line for line in readers[-1] if line.startswith("data: "))
            rows.append(row_id(json.loads(opening[6:])["id"]))
        # every request and the base row beside it is running or queued; none has ended
        wait_for(lambda: sum(lora.engine.stats()[k] for k in ("running", "queued")) == 100, what="100 rows")
        assert all(lora.store.get(row)["status"] == "incomplete" for row in rows)
    assert {finished(lora.store, row)["status"] for row in rows} == {"cancelled"}
    wait_for(lambda: lora.engine.stats()["running"] == lora.engine.stats()["queued"] == 0, what="an idle engine")


def test_fifty_answers_at_once_are_the_answer_alone_and_share_batches(client, lora):
    kw = dict(model="base", prompt="The best thing about the city is", max_tokens=8, extra_body={"ignore_eos": True})
    alone = client.completions.create(**kw).choices[0].text
    with ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(lambda _: client.completions.create(**kw), range(50)))
    assert [a.choices[0].text for a in answers] == [alone] * 50
    peaks = [finished(lora.store, row_id(a.id))["batch_peak"] for a in answers]
    assert max(peaks) > 2  # two rows are one request and its base; more means requests shared a batch


# --- health and metrics -----------------------------------------------------------------


def test_health_reports_the_engine(lora):
    r = httpx.get(f"{lora.url}/health")
    body = r.json()
    assert r.status_code == 200 and body["status"] == "ok" and body["adapters"] == 25
    assert isinstance(body["queued"], int) and isinstance(body["running"], int)


def test_metrics_count_requests_and_read_the_engine(client, lora):
    def scrape():
        page = httpx.get(f"{lora.url}/metrics")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
        families = {f.name: f for f in text_string_to_metric_families(page.text)}
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples}
        return families, samples

    key = ("lora_land_requests_total", (("model", "glue_sst2"), ("source", "api"), ("status", "complete")))
    before = scrape()[1].get(key, 0)
    client.completions.create(model="glue_sst2", prompt=SST2.render(SST2.examples[0]), max_tokens=4)
    with pytest.raises(openai.NotFoundError):
        client.completions.create(model="no_such_task", prompt="Hello")
    # counted when the row is finished, with the base row beside it: shortly after the answer
    wait_for(lambda: scrape()[1].get(key, 0) == before + 1, "the request to be counted")
    families, samples = scrape()
    assert samples[("lora_land_generated_tokens_total", (("model", "glue_sst2"),))] >= 1
    assert samples[("lora_land_api_errors_total", (("code", "model_not_found"), ("status", "404")))] >= 1
    assert samples[("lora_land_request_seconds_count", ())] >= 1
    assert samples[("lora_land_time_to_first_token_seconds_count", ())] >= 1
    assert samples[("lora_land_ready", ())] == 1
    assert samples[("lora_land_adapters_loaded", ())] == 25
    assert samples[("lora_land_engine_tokens_total", ())] >= 1
    for name in ("lora_land_queued_rows", "lora_land_running_rows", "lora_land_adapter_swaps",
                 "lora_land_uptime_seconds"):
        assert name in families
