"""Abuse of a running `python app.py`: bad input on every endpoint, names that look like paths, the API key,
clients that stall, and what the API's base row costs.

One app (its own log, an API key, an audit hook that records the files it opens and the
hosts it looks up) takes every case; each bad request must get its documented status and
OpenAI's error shape, leave no row in the log and leave the server healthy. A second app
runs with `--no-api-base-twin` for the base row's cases and its cost.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from gradio_client import Client

from conftest import ROOT, rows, start_app

KEY = "abuse-test-key-7f3e9c21d4"
SENTINEL = "lora-land-sentinel-adapter"  # a real adapter's files, outside the catalog: the app must never read them
ADAPTER_DIR = ROOT / "models" / "demo" / "adapters" / "glue_sst2"
HANG = 60  # seconds: a bound for "does not hang", never a measure of speed


class Abused:
    """The app under test, with its key, the sentinel's path and the audit hook's record."""

    def __init__(self, server, sentinel: Path, audit: Path):
        self.server, self.sentinel, self.audit = server, sentinel, audit
        self.url, self.db = server.url, server.db
        self.http = httpx.Client(base_url=server.url, timeout=HANG, headers={"Authorization": f"Bearer {KEY}"})

    def post(self, path: str, body=None, *, content: bytes | None = None, headers: dict | None = None):
        if content is None:
            content = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", **(headers or {})}
        return self.http.post(f"/v1{path}", content=content, headers=headers)

    def models(self) -> list[str]:
        return [m["id"] for m in self.http.get("/v1/models").json()["data"]]

    def healthy(self) -> bool:
        return httpx.get(f"{self.url}/health", timeout=HANG).json()["status"] == "ok"


@pytest.fixture(scope="module")
def abused(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("abuse")
    sentinel = tmp / SENTINEL
    shutil.copytree(ADAPTER_DIR, sentinel)
    audit = tmp / "audit.log"
    hook = Path(__file__).parent / "abuse_audit"
    env = {
        "LORA_LAND_API_KEY": KEY,  # from the environment, as a deployment would pass it
        "PYTHONPATH": os.pathsep.join(p for p in (str(hook), os.environ.get("PYTHONPATH")) if p),
        "ABUSE_AUDIT_LOG": str(audit),
        "ABUSE_WATCH": SENTINEL,
        "HF_HUB_OFFLINE": "0",  # a hub id taken for a download would show as a name lookup
    }
    server = start_app(tmp, "--log-level", "debug", env=env)
    abused = Abused(server, sentinel, audit)
    yield abused
    abused.http.close()
    server.stop()


@pytest.fixture(scope="module")
def page_client(abused):
    return Client(abused.url, verbose=False)


# --- bad input through the API --------------------------------------------------------------------------

COMPLETION = {"model": "glue_sst2", "prompt": "a gripping , wonderful film", "max_tokens": 4}
CHAT = {"model": "glue_sst2", "messages": [{"role": "user", "content": "a gripping , wonderful film"}], "max_tokens": 4}
RAW = b'{"model": "glue_sst2", "prompt": "a film", "max_tokens": 4, '  # a completion to end with one raw field


def raw(field: str) -> bytes:
    return RAW + field.encode() + b"}"


def case(name, path, body=None, status=400, code=None, param=None, message="", *, content=None, headers=None,
         method="POST"):
    return pytest.param(method, path, body, content, headers, status, code, param, message, id=name)


def path_cases(kind: str):
    """A model named by a path or a hub id, for `kind` (completion or chat)."""
    base = COMPLETION if kind == "completion" else CHAT
    route = "/completions" if kind == "completion" else "/chat/completions"
    relative = os.path.relpath("/tmp", ROOT)  # the sentinel lives under the temp folder; the app's cwd is ROOT
    names = {
        "relative": f"{relative}/../etc/passwd",
        "dotdot": "../models/demo/adapters/glue_sst2",
        "dot": "./models/demo/adapters/glue_sst2",
        "models-dir": "models/demo/adapters/glue_sst2",
        "absolute": str(ADAPTER_DIR),
        "hub-id": "predibase/glue_sst2",
        "hub-url": "https://huggingface.co/predibase/glue_sst2",
        "file-url": f"file://{ADAPTER_DIR}",
    }
    return [case(f"{kind}-model-{k}", route, {**base, "model": v}, 404, "model_not_found", "model", "model")
            for k, v in names.items()]


CASES = [
    # the body itself
    case("malformed-json", "/completions", content=b'{"model": "base", "prompt": ', code="invalid_json",
         message="not valid JSON"),
    case("json-array", "/completions", content=b"[1, 2]", code="invalid_json", message="JSON object"),
    case("empty-body", "/completions", content=b"", code="invalid_json"),
    case("not-utf8", "/completions", content=b'{"model": "base", "prompt": "\xc3\x28"}', code="invalid_json"),
    case("nested-100k-deep", "/completions", content=raw('"x": ' + "[" * 100_000 + "]" * 100_000),
         code="invalid_json", message="nested too deeply"),
    case("huge-int", "/completions", content=raw('"seed": ' + "9" * 5000), code="invalid_json"),
    case("body-over-8-mib", "/completions", content=raw('"suffix2": "' + "x" * (9 * 2**20) + '"'), status=413,
         code="request_too_large", message="8 MiB"),
    case("chat-body-over-8-mib-chunked", "/chat/completions", content=iter(  # no Content-Length: read until too much
        [b'{"model": "glue_sst2", "messages": [{"role": "user", "content": "', *[b"x" * 2**20] * 9, b'"}]}']),
         status=413, code="request_too_large"),
    case("content-type-text-plain", "/completions", COMPLETION, headers={"Content-Type": "text/plain"},
         status=415, code="unsupported_media_type", message="application/json"),
    case("content-type-form", "/completions", COMPLETION,
         headers={"Content-Type": "application/x-www-form-urlencoded"}, status=415, code="unsupported_media_type"),
    case("content-type-multipart", "/chat/completions", CHAT,
         headers={"Content-Type": "multipart/form-data; boundary=x"}, status=415, code="unsupported_media_type"),
    case("content-type-none", "/chat/completions", CHAT, headers={"Content-Type": ""}, status=415,
         code="unsupported_media_type"),
    # NaN, infinities and out-of-range sampling
    case("temperature-NaN", "/completions", content=raw('"temperature": NaN'), message="temperature must be"),
    case("temperature-Infinity", "/completions", content=raw('"temperature": Infinity'),
         message="temperature must be"),
    case("top_p-minus-Infinity", "/completions", content=raw('"top_p": -Infinity'), message="top_p must be"),
    case("top_p-NaN", "/chat/completions", content=json.dumps(CHAT)[:-1].encode() + b', "top_p": NaN}',
         message="top_p must be"),
    case("max_tokens-Infinity", "/completions", content=raw('"max_tokens": Infinity'), param="max_tokens",
         message="max_tokens must be a positive integer"),
    case("temperature-11", "/completions", {**COMPLETION, "temperature": 11}, message="between 0 and 10"),
    case("temperature-negative", "/completions", {**COMPLETION, "temperature": -0.5}, message="between 0 and 10"),
    case("top_p-0", "/completions", {**COMPLETION, "top_p": 0}, message="top_p must be in (0, 1]"),
    case("top_k-negative", "/completions", {**COMPLETION, "top_k": -5}, message="top_k must be"),
    case("seed-negative", "/completions", {**COMPLETION, "seed": -1, "temperature": 1}, message="seed must be"),
    case("seed-2**64", "/completions", {**COMPLETION, "seed": 2**64, "temperature": 1}, message="seed must be"),
    case("seed-2**200-chat", "/chat/completions", {**CHAT, "seed": 2**200, "temperature": 1},
         message="seed must be"),
    # max_tokens
    case("max_tokens-negative", "/completions", {**COMPLETION, "max_tokens": -1}, param="max_tokens"),
    case("max_tokens-zero", "/completions", {**COMPLETION, "max_tokens": 0}, param="max_tokens"),
    case("max_tokens-10**12", "/completions", {**COMPLETION, "max_tokens": 10**12},
         code="context_length_exceeded", message="context"),
    case("max_completion_tokens-10**30-chat", "/chat/completions", {**CHAT, "max_completion_tokens": 10**30},
         code="context_length_exceeded"),
    case("max_tokens-fraction", "/completions", {**COMPLETION, "max_tokens": 4.5}, param="max_tokens"),
    # wrong types
    case("max_tokens-string", "/completions", {**COMPLETION, "max_tokens": "10"}, param="max_tokens"),
    case("max_tokens-true", "/completions", {**COMPLETION, "max_tokens": True}, param="max_tokens"),
    case("temperature-string", "/completions", {**COMPLETION, "temperature": "hot"}, param="temperature"),
    case("seed-fraction", "/completions", {**COMPLETION, "seed": 1.5}, param="seed"),
    case("stream-string", "/completions", {**COMPLETION, "stream": "yes"}, param="stream"),
    case("stream_options-list", "/completions", {**COMPLETION, "stream": True, "stream_options": [1]},
         param="stream_options"),
    case("model-number", "/completions", {**COMPLETION, "model": 5}, param="model"),
    case("model-missing", "/chat/completions", {"messages": CHAT["messages"]}, param="model"),
    case("n-2", "/completions", {**COMPLETION, "n": 2}, param="n"),
    case("logprobs", "/completions", {**COMPLETION, "logprobs": 5}, code="unsupported_parameter", param="logprobs"),
    # stop strings
    case("stop-10000-strings", "/completions", {**COMPLETION, "stop": [f"s{i}" for i in range(10_000)]},
         message="at most 16"),
    case("stop-1mb-string", "/completions", {**COMPLETION, "stop": "x" * 2**20}, message="256 characters"),
    case("stop-empty-string", "/completions", {**COMPLETION, "stop": ""}, message="non-empty"),
    case("stop-numbers", "/completions", {**COMPLETION, "stop": [1, 2]}, param="stop"),
    case("stop-lone-surrogate", "/completions", content=raw('"stop": "\\udc00"'), param="stop"),
    # prompts
    case("prompt-1mb", "/completions", {**COMPLETION, "prompt": "word " * 200_000}, code="context_length_exceeded"),
    case("prompt-nul-only", "/completions", {**COMPLETION, "prompt": "\x00\x00\x00"}, message="prompt is empty"),
    case("prompt-token-ids", "/completions", {**COMPLETION, "prompt": [1, 2, 3]}, param="prompt"),
    case("prompt-object", "/completions", {**COMPLETION, "prompt": {"text": "hi"}}, param="prompt"),
    case("prompt-33", "/completions", {**COMPLETION, "prompt": ["a film"] * 33}, param="prompt",
         message="at most 32 prompts"),
    case("prompt-list-one-too-long", "/completions", {**COMPLETION, "prompt": ["a film", "word " * 5000]},
         code="context_length_exceeded"),
    case("prompt-list-one-empty", "/completions", {**COMPLETION, "prompt": ["a film", " "]}, param="prompt"),
    # messages
    case("messages-empty", "/chat/completions", {**CHAT, "messages": []}, param="messages"),
    case("messages-object", "/chat/completions", {**CHAT, "messages": {"role": "user"}}, param="messages"),
    case("role-tool", "/chat/completions", {**CHAT, "messages": [{"role": "tool", "content": "x"}]},
         param="messages[0].role"),
    case("role-missing", "/chat/completions", {**CHAT, "messages": [{"content": "a film"}]},
         param="messages[0].role"),
    case("role-lone-surrogate", "/chat/completions",
         content=b'{"model": "glue_sst2", "messages": [{"role": "\\ud800", "content": "a film"}]}',
         param="messages[0].role"),
    case("content-null", "/chat/completions", {**CHAT, "messages": [{"role": "user", "content": None}]},
         param="messages[0].content"),
    case("content-image-part", "/chat/completions", {**CHAT, "messages": [{"role": "user", "content": [
        {"type": "text", "text": "a film"}, {"type": "image_url", "image_url": {"url": "file:///etc/passwd"}}]}]},
         param="messages[0].content", message="only text parts"),
    case("last-message-assistant", "/chat/completions", {**CHAT, "messages": [
        *CHAT["messages"], {"role": "assistant", "content": "1"}]}, message="last message must be the user's"),
    case("only-system", "/chat/completions", {**CHAT, "messages": [{"role": "system", "content": "be good"}]},
         message="last message must be the user's"),
    case("chat-1mb", "/chat/completions", {**CHAT, "messages": [{"role": "user", "content": "word " * 200_000}]},
         code="context_length_exceeded"),
    case("chat-fields-missing", "/chat/completions", {**CHAT, "model": "glue_stsb"}, message="sentence1"),
    # models named by paths or hub ids, and the model routes
    *path_cases("completion"),
    *path_cases("chat"),
    case("sentinel-path", "/completions", status=404, code="model_not_found", param="model"),  # body: see below
    case("get-model-dotdot", "/models/..%2F..%2Fetc%2Fpasswd", method="GET", status=404, code="model_not_found"),
    case("get-model-hub-id", "/models/predibase/glue_sst2", method="GET", status=404, code="model_not_found"),
    case("get-model-nul", "/models/glue%00sst2", method="GET", status=404, code="model_not_found"),
    case("post-models", "/models", COMPLETION, status=405),
]


@pytest.mark.parametrize("method, path, body, content, headers, status, code, param, message", CASES)
def test_bad_input_gets_its_status_and_loses_nothing(abused, method, path, body, content, headers, status, code,
                                                      param, message, request):
    if request.node.callspec.id == "sentinel-path":  # the sentinel's path is known once the app has started
        body = {**COMPLETION, "model": str(abused.sentinel)}
    before = len(rows(abused.db))
    started = time.monotonic()
    if method == "GET":
        r = abused.http.get(f"/v1{path}")
    else:
        r = abused.post(path, body, content=content, headers=headers)
    assert time.monotonic() - started < HANG
    assert r.status_code == status, r.text[:500]
    error = r.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["message"]
    assert error["type"] == "invalid_request_error"
    if code is not None:
        assert error["code"] == code
    if param is not None:
        assert error["param"] == param
    assert message in error["message"]
    assert len(rows(abused.db)) == before  # a refused request leaves no row
    assert abused.healthy()


def test_enough_distinct_bad_input_cases():
    ids = [c.id for c in CASES]
    assert len(set(ids)) == len(ids) >= 40


def test_refused_input_leaves_one_line_in_the_log_not_a_traceback(abused):
    # Runs after the cases above: none of them may have made the server fail.
    abused.post("/completions", {**COMPLETION, "seed": 2**64, "temperature": 1})
    assert "Traceback" not in abused.server.log.read_text()
    assert abused.healthy()


# --- odd but valid input ----------------------------------------------------------------------------------


def wait_row(db, row_id: int) -> dict:
    deadline = time.monotonic() + HANG
    while True:
        row = next(r for r in rows(db) if r["id"] == row_id)
        if row["status"] != "incomplete":
            return row
        assert time.monotonic() < deadline, f"row {row_id} did not end"
        time.sleep(0.05)


def row_of(response: httpx.Response) -> int:
    return int(response.json()["id"].rsplit("-", 1)[1])


def test_nul_bytes_lone_surrogates_and_text_parts_are_cleaned_and_answered(abused):
    r = abused.post("/completions", {**COMPLETION, "prompt": "a\x00 gripping\x00 film"})
    assert r.status_code == 200, r.text
    assert wait_row(abused.db, row_of(r))["prompt"] == "a gripping film"
    r = abused.post("/chat/completions", content=b'{"model": "glue_sst2", "max_tokens": 4, "messages": '
                                                 b'[{"role": "user", "content": "a \\ud800 film"}]}')
    assert r.status_code == 200, r.text
    row = wait_row(abused.db, row_of(r))
    assert "a \ufffd film" in row["prompt"] and row["status"] == "complete"
    parts = [{"type": "text", "text": "a gripping"}, {"type": "text", "text": "wonderful film"}]
    r = abused.post("/chat/completions", {**CHAT, "messages": [{"role": "user", "content": parts}]})
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] is not None
    assert "a gripping\nwonderful film" in wait_row(abused.db, row_of(r))["prompt"]


def test_a_conversation_of_thousands_of_turns_is_answered_without_hanging(abused):
    """The oldest turns are left out to fit the context; finding how many must not take a token count per turn."""
    turns = []
    for i in range(3000):
        turns += [{"role": "user", "content": f"a film with {i} scenes"}, {"role": "assistant", "content": "1"}]
    started = time.monotonic()
    r = abused.post("/chat/completions", {**CHAT, "messages": [*turns, *CHAT["messages"]]})
    assert r.status_code == 200, r.text
    assert time.monotonic() - started < HANG
    row = wait_row(abused.db, row_of(r))
    assert CHAT["messages"][0]["content"] in row["prompt"] and "a film with 0 scenes" not in row["prompt"]


# --- names that look like paths: nothing is read, nothing is fetched ---------------------------------------


def test_a_model_named_by_a_path_or_a_hub_id_opens_no_file_and_reaches_no_host(abused):
    models = abused.models()
    names = [str(abused.sentinel), f"{abused.sentinel}/", os.path.relpath(abused.sentinel, ROOT),
             f"file://{abused.sentinel}", SENTINEL, f"{SENTINEL}/../{SENTINEL}", "lora-land/" + SENTINEL]
    for name in names:
        for path, body in (("/completions", {**COMPLETION, "model": name}), ("/chat/completions",
                                                                                {**CHAT, "model": name})):
            r = abused.post(path, body)
            assert r.status_code == 404 and r.json()["error"]["code"] == "model_not_found", r.text
        assert abused.http.get(f"/v1/models/{quote(name, safe='')}").status_code == 404
    assert abused.models() == models  # no adapter was added
    fds = [os.readlink(f) for f in Path(f"/proc/{abused.server.process.pid}/fd").iterdir() if f.is_symlink()]
    assert not [f for f in fds if SENTINEL in f]
    record = abused.audit.read_text().splitlines()
    assert any(line.startswith("open ") and line.endswith("adapters.yaml") for line in record)  # the hook is live
    assert not [line for line in record if SENTINEL in line]  # the sentinel was never opened or listed
    lookups = [line for line in record if line.startswith(("socket.", "urllib."))]
    assert not [line for line in lookups if not any(h in line for h in ("127.0.0.1", "localhost", "'::1'"))], lookups


# --- the page's own endpoints ---------------------------------------------------------------------------------

PAGE_CASES = [
    pytest.param("/compare", ("glue_sst2", "a film", "", "", 8, 1, 1, 10**30), "seed must be", id="compare-huge-seed"),
    pytest.param("/compare", ("glue_sst2", "word " * 200_000, "", "", 8, 0, 1, None), "exceeds the model's context",
                 id="compare-1mb"),
    pytest.param("/compare", ("glue_sst2", "\x00\x00", "", "", 8, 0, 1, None), "'sentence' is empty",
                 id="compare-nul-only"),
    pytest.param("/compare", (str(ADAPTER_DIR), "a film", "", "", 8, 0, 1, None), "not in the list of choices",
                 id="compare-path-as-adapter"),
    pytest.param("/chat", ("glue_sst2", "   ", False, 8, 0), "a user message is empty", id="chat-empty"),
    pytest.param("/chat", ("glue_stsb", "two films", True, 8, 0), "sentence1", id="chat-fields-missing"),
    pytest.param("/chat", ("predibase/glue_sst2", "a film", True, 8, 0), "not in the list of choices",
                 id="chat-hub-id-as-adapter"),
]


@pytest.mark.parametrize("api_name, args, message", PAGE_CASES)
def test_the_pages_endpoints_refuse_bad_input_and_log_nothing(abused, page_client, api_name, args, message):
    before = len(rows(abused.db))
    with pytest.raises(Exception, match=message):
        page_client.predict(*args, api_name=api_name)
    assert len(rows(abused.db)) == before
    assert abused.healthy()
    assert "Traceback" not in abused.server.log.read_text()


def test_the_page_serves_no_file_of_the_server(abused):
    """Gradio's file routes give out the page's own files and exports, not the log, the catalog or the system's."""
    paths = [str(abused.db), str(ROOT / "adapters.yaml"), str(ADAPTER_DIR / "adapter_config.json"), "/etc/passwd",
             "app.py", "adapters.yaml", "lora_land/api/routes.py"]
    for path in paths:
        for route in ("/gradio_api/file=", "/file=", "/gradio_api/file/"):
            r = httpx.get(f"{abused.url}{route}{quote(path)}", timeout=HANG)
            assert r.status_code in (403, 404), (route, path, r.status_code, r.text[:200])
    assert abused.healthy()


def call_page(url: str, api_name: str, data: bytes) -> str:
    """The page's endpoint called over plain HTTP with a raw JSON list of inputs; the events it answers with."""
    r = httpx.post(f"{url}/gradio_api/call{api_name}", content=b'{"data": ' + data + b"}",
                   headers={"Content-Type": "application/json"}, timeout=HANG)
    assert r.status_code == 200, r.text
    with httpx.stream("GET", f"{url}/gradio_api/call{api_name}/{r.json()['event_id']}", timeout=HANG) as events:
        return events.read().decode()


@pytest.mark.parametrize("data, message", [
    pytest.param(b'["glue_sst2", "a film", "", "", 8, NaN, 1, null]', "temperature must be", id="nan-temperature"),
    pytest.param(b'["glue_sst2", "a film", "", "", 8, 0, Infinity, null]', "Top-p", id="infinite-top-p"),
    pytest.param(b'["glue_sst2", "a film", "", "", -Infinity, 0, 1, null]', "Max new tokens", id="minus-infinity"),
    pytest.param(b'["glue_sst2", "a film", "", "", 8, 1, 1, 1e300]', "seed", id="seed-1e300"),
])
def test_the_pages_endpoints_refuse_nan_and_infinity(abused, data, message):
    """What gradio_client cannot send (JSON's NaN and Infinity), a script can."""
    before = len(rows(abused.db))
    answer = call_page(abused.url, "/compare", data)
    assert "event: error" in answer and message in answer, answer[:500]
    assert len(rows(abused.db)) == before
    assert abused.healthy()
    assert "Traceback" not in abused.server.log.read_text()


# --- the API key --------------------------------------------------------------------------------------------


def test_the_key_is_only_a_bearer_header_and_never_in_the_apps_output(abused):
    url = f"{abused.url}/v1/models"
    refused = [
        {},
        {"Authorization": "Bearer wrong-key"},
        {"Authorization": f"Bearer {KEY}x"},
        {"Authorization": f"Bearer {KEY[:-1]}"},
        {"Authorization": KEY},
        {"Authorization": f"Basic {KEY}"},
        {"Authorization": f"Token {KEY}"},
        {"X-API-Key": KEY},
        {"api-key": KEY},
        {"Cookie": f"api_key={KEY}"},
    ]
    for headers in refused:
        r = httpx.get(url, headers=headers, timeout=HANG)
        assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key", headers
        assert r.headers["www-authenticate"] == "Bearer"
    for query in (f"api_key={KEY}", f"key={KEY}", f"access_token={KEY}"):
        assert httpx.get(f"{url}?{query}", timeout=HANG).status_code == 401
    r = httpx.post(f"{abused.url}/v1/completions", json=COMPLETION, timeout=HANG, headers={"X-API-Key": KEY})
    assert r.status_code == 401
    assert httpx.get(url, headers={"Authorization": f"Bearer {KEY}"}, timeout=HANG).status_code == 200
    assert httpx.get(url, headers={"Authorization": f"bearer {KEY}"}, timeout=HANG).status_code == 200
    r = abused.post("/completions", COMPLETION)
    assert r.status_code == 200
    wait_row(abused.db, row_of(r))
    output = abused.server.log.read_text()
    assert "DEBUG" in output  # the app logged at its most talkative level
    assert KEY not in output and KEY not in json.dumps(rows(abused.db))


# --- clients that stall ---------------------------------------------------------------------------------------


def test_slow_clients_holding_sockets_do_not_delay_others(abused):
    host, port = abused.url.removeprefix("http://").split(":")
    held = []
    try:
        for i in range(8):
            s = socket.create_connection((host, int(port)), timeout=HANG)
            if i % 2:  # headers sent, half the body
                body = json.dumps(COMPLETION).encode()
                s.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          b"Authorization: Bearer " + KEY.encode() + b"\r\n"
                          b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[: len(body) // 2])
            else:  # half the headers
                s.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Ty")
            held.append(s)
        before = len(rows(abused.db))
        started = time.monotonic()
        r = abused.post("/completions", COMPLETION)
        assert r.status_code == 200 and r.json()["choices"][0]["text"] is not None
        assert time.monotonic() - started < HANG
        assert abused.healthy()
        assert len(rows(abused.db)) == before + 1  # the stalled requests wrote nothing
    finally:
        for s in held:
            s.close()
    assert abused.healthy()
    time.sleep(0.5)  # the server sees the half-sent requests end
    assert abused.healthy() and "Traceback" not in abused.server.log.read_text()


# --- the API's base row is a choice ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def no_twin(tmp_path_factory):
    server = start_app(tmp_path_factory.mktemp("no-twin"), "--no-api-base-twin")
    yield server
    server.stop()


def alone(server) -> dict:
    """The row of one completion sent while the engine runs nothing else."""
    deadline = time.monotonic() + HANG
    while (health := server.health())["running"] or health["queued"]:
        assert time.monotonic() < deadline, health
        time.sleep(0.05)
    r = httpx.post(f"{server.url}/v1/completions", json={**COMPLETION, "max_tokens": 8, "ignore_eos": True},
                   timeout=HANG)
    assert r.status_code == 200, r.text
    return wait_row(server.db, row_of(r))


def test_api_rows_have_a_base_answer_by_default(app_server):  # the app as it starts by default
    row = alone(app_server)
    assert row["base_output"] is not None and row["base_tokens_out"] == 8 and row["base_finish_reason"] == "length"
    assert row["batch_peak"] == 2  # the adapter's row and the base's


def test_without_the_base_twin_api_rows_run_alone_and_the_page_still_compares(no_twin):
    row = alone(no_twin)
    assert row["status"] == "complete" and row["tokens_out"] == 8
    assert row["base_output"] is None and row["base_tokens_out"] is None and row["base_finish_reason"] is None
    assert row["batch_peak"] == 1  # the engine ran one row for the request
    Client(no_twin.url, verbose=False).predict("glue_sst2", "a gripping film", "", "", 4, 0, 1, None,
                                               api_name="/compare")
    page = rows(no_twin.db)[-1]
    assert page["source"] == "page" and page["base_output"] is not None and page["base_tokens_out"] is not None


def burst(url: str, n: int = 16) -> float:
    """Seconds for n concurrent completions of 32 tokens each, from the first request sent to the last answer."""
    body = {**COMPLETION, "max_tokens": 32, "ignore_eos": True}
    clients = [httpx.Client(timeout=HANG) for _ in range(n)]  # made beforehand: not part of the figure
    gate = threading.Barrier(n + 1)

    def one(i: int) -> int:
        gate.wait()
        return clients[i].post(f"{url}/v1/completions", json={**body, "prompt": f"a film with {i} scenes"}).status_code

    try:
        with ThreadPoolExecutor(n) as pool:
            answers = [pool.submit(one, i) for i in range(n)]
            gate.wait()
            started = time.perf_counter()
            statuses = [a.result() for a in answers]
            seconds = time.perf_counter() - started
    finally:
        for client in clients:
            client.close()
    assert statuses == [200] * n
    return seconds


ROUNDS = 9


def cpu_seconds(server) -> float:
    """The app's CPU time so far (user + system), which other work on the machine changes far less than wall time."""
    fields = Path(f"/proc/{server.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_what_the_base_twin_costs(app_server, no_twin):
    twin = app_server  # the default: API requests run the base row too
    """16 concurrent API completions of 32 tokens, with and without the base row; figures for the README."""
    burst(twin.url, 4)  # warm both
    burst(no_twin.url, 4)
    on_before, off_before = len(rows(twin.db)), len(rows(no_twin.db))
    figures = {"on": ([], []), "off": ([], [])}  # wall seconds, the app's CPU seconds
    for _ in range(ROUNDS):
        for side, server in (("on", twin), ("off", no_twin)):
            cpu = cpu_seconds(server)
            figures[side][0].append(burst(server.url))
            figures[side][1].append(cpu_seconds(server) - cpu)
    on_rows, off_rows = rows(twin.db)[on_before:], rows(no_twin.db)[off_before:]
    assert len(on_rows) == len(off_rows) == 16 * ROUNDS
    assert all(r["base_output"] is not None for r in on_rows) and all(r["base_output"] is None for r in off_rows)
    for name, pick in (("medians", statistics.median), ("fastest", min)):
        (on_wall, on_cpu), (off_wall, off_cpu) = ([pick(x) for x in figures[s]] for s in ("on", "off"))
        print(f"\n16 concurrent completions of 32 tokens, {name} of {ROUNDS}: base twin on {on_wall:.2f} s "
              f"({on_cpu:.2f} s of the app's CPU), off {off_wall:.2f} s ({off_cpu:.2f} s); "
              f"ratio {on_wall / off_wall:.2f}x wall, {on_cpu / off_cpu:.2f}x CPU")
    print({side: [[round(x, 2) for x in f] for f in figures[side]] for side in figures})
