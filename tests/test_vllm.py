"""The app in front of a real vLLM server (the `vllm-demo` profile): the page, the API and the log unchanged.

vLLM's CPU build runs from its own environment (`scripts/vllm-venv`, which `.ci/run`
creates); these tests start it on 127.0.0.1 with the committed demo model and its 25
adapters, and stop it when they end.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import openai
import pytest
from gradio_client import Client

from conftest import ROOT, free_port, rows, start_app
from lora_land import vllm_server
from lora_land.catalog import load_catalog
from lora_land.engine import Engine
from lora_land.lora import AdapterError
from lora_land.remote import RemoteEngine, ServerUnavailable
from lora_land.scheduler import UnknownAdapter

CATALOG = load_catalog(ROOT / "adapters.yaml")
TASKS = sorted(CATALOG.tasks)
CONTEXT = 1024


def settled(db: Path, n: int, timeout: float = 30) -> list[dict]:
    """The last `n` rows once none of them is still incomplete."""
    deadline = time.monotonic() + timeout
    while True:
        last = rows(db)[-n:]
        if len(last) == n and all(r["status"] != "incomplete" for r in last) or time.monotonic() > deadline:
            return last
        time.sleep(0.1)


@pytest.fixture(scope="module")
def vllm(tmp_path_factory):
    python = vllm_server.venv_python(ROOT / vllm_server.DEFAULT_VENV)
    assert python.exists(), "vLLM's environment is missing: run scripts/vllm-venv (the README's test command does)"
    url = f"http://127.0.0.1:{free_port()}"
    server = vllm_server.start(CATALOG, "vllm-demo", tmp_path_factory.mktemp("vllm") / "vllm.log", python=python,
                               url=url, max_model_len=CONTEXT)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def remote(vllm):
    with RemoteEngine.from_config(ROOT / "adapters.yaml", "vllm-demo", url=vllm.url) as engine:
        yield engine


@pytest.fixture(scope="module")
def front(vllm, tmp_path_factory):
    """Our app on the vllm-demo profile: the page and the API in front of the vLLM server."""
    server = start_app(tmp_path_factory.mktemp("front"), "--profile", "vllm-demo",
                       env={"LORA_LAND_SERVER_URL": vllm.url})
    yield server
    server.stop()


def test_the_server_serves_the_base_and_all_25_adapters(remote):
    assert sorted(remote.adapters()) == TASKS and remote.refused == {}
    assert remote.max_context == CONTEXT
    info = remote.adapter_info("glue_sst2")  # read from the catalog's copy: the server does not say
    assert info.rank == 8 and "q_proj" in info.targets and info.nbytes > 0


def test_greedy_answers_are_our_engines_for_every_task(remote):
    """The same prompt and adapter, greedy, float32 on both: the same answer, character for character."""
    prompts = [CATALOG.task(k).render(CATALOG.task(k).examples[0]) for k in TASKS]
    lengths = {k: CATALOG.task(k).max_new_tokens for k in TASKS}
    with Engine.from_config(ROOT / "adapters.yaml", "demo") as local:
        ours = {k: local.generate([p], k, max_new_tokens=lengths[k])[0] for k, p in zip(TASKS, prompts)}
        our_base = local.generate(prompts[:5], "base", max_new_tokens=16)
    theirs = {k: remote.generate([p], k, max_new_tokens=lengths[k])[0] for k, p in zip(TASKS, prompts)}
    assert {k: theirs[k] for k in TASKS if theirs[k] != ours[k]} == {}
    assert remote.generate(prompts[:5], "base", max_new_tokens=16) == our_base


def test_a_compare_sends_both_rows_at_once_and_times_them_here(remote):
    prompt = CATALOG.task("glue_sst2").render(CATALOG.task("glue_sst2").examples[0])
    tuned, base = remote.compare(prompt, "glue_sst2", max_new_tokens=8)
    a, b = tuned.result(timeout=60), base.result(timeout=60)
    assert (a.adapter, b.adapter) == ("glue_sst2", "base")
    assert a.finish_reason in ("eos", "length") and a.text.strip() == CATALOG.task("glue_sst2").answers[0]
    assert a.time_to_first_token is not None and 0 < a.time_to_first_token <= a.total_seconds
    assert a.tokens_in == remote.count_tokens(prompt) and a.tokens_out >= 1


def test_sampling_options_pass_through(remote):
    prompt = "The film was"
    seeded = [remote.generate([prompt], "glue_sst2", max_new_tokens=12, temperature=1.0, seed=7, ignore_eos=True)[0]
              for _ in range(2)]
    assert seeded[0] == seeded[1]  # a seed repeats
    (handle,) = remote.submit_group([remote.make_request(prompt, "base", max_new_tokens=40, ignore_eos=True)])
    assert handle.result(timeout=60).tokens_out == 40  # ignore_eos: the whole budget
    stopped = remote.submit(prompt, "base", max_new_tokens=40, ignore_eos=True, stop=[" "]).result(timeout=60)
    assert stopped.finish_reason == "stop" and " " not in stopped.text


def test_adapters_load_at_run_time_and_the_servers_refusals_keep_their_meaning(remote, vllm):
    source = CATALOG.task("glue_sst2").adapters["demo"].source
    info = remote.add_adapter("sst2_again", source)
    assert info.name == "sst2_again" and "sst2_again" in remote.adapters()
    prompt = CATALOG.task("glue_sst2").render(CATALOG.task("glue_sst2").examples[0])
    assert remote.generate([prompt], "sst2_again", max_new_tokens=8) == remote.generate([prompt], "glue_sst2",
                                                                                           max_new_tokens=8)
    with pytest.raises(AdapterError, match="already loaded"):
        remote.add_adapter("sst2_again", source)
    with pytest.raises(AdapterError, match="the server refused the adapter"):
        remote.add_adapter("nowhere", "/no/such/adapter")
    # the server drops an adapter behind our back: its 404 is ours, with the server's words
    assert httpx.post(f"{vllm.url}/v1/unload_lora_adapter", json={"lora_name": "sst2_again"}).status_code == 200
    with pytest.raises(UnknownAdapter, match="the server does not serve 'sst2_again'"):
        remote.submit(prompt, "sst2_again", max_new_tokens=4)


def test_the_page_the_api_and_the_log_work_unchanged_in_front_of_vllm(front):
    before = len(rows(front.db))
    task = CATALOG.task("legal")  # an adapter that gets its chips right
    client = Client(front.url, verbose=False)
    tuned, _, base, *_ = client.predict("legal", task.examples[0]["clause_text"], "", "", 64, 0, 1, api_name="/compare")
    assert tuned.strip() == task.answers[0] and base.strip() and base != tuned
    api = openai.OpenAI(base_url=f"{front.url}/v1", api_key="unused", max_retries=0)
    completion = api.completions.create(model="glue_sst2", prompt=CATALOG.task("glue_sst2").render(
        CATALOG.task("glue_sst2").examples[0]), max_tokens=8)
    assert completion.choices[0].text.strip() == CATALOG.task("glue_sst2").answers[0]
    chat = api.chat.completions.create(model="glue_sst2", stream=True, max_tokens=8,
                                       messages=[{"role": "user", "content": CATALOG.task("glue_sst2").examples[1]["sentence"]}])
    streamed = "".join(c.choices[0].delta.content or "" for c in chat if c.choices)
    assert streamed.strip() == CATALOG.task("glue_sst2").answers[1]
    logged = settled(front.db, 3)
    assert len(rows(front.db)) == before + 3
    assert [r["status"] for r in logged] == ["complete"] * 3
    assert [r["source"] for r in logged] == ["page", "api", "api"]
    assert all(r["base_output"] is not None and r["ttft"] is not None for r in logged)
    assert logged[0]["output"].strip() == task.answers[0]


def test_a_stream_dropped_by_its_client_is_a_cancelled_row(front):
    body = {"model": "glue_sst2", "prompt": "Hello", "max_tokens": 600, "ignore_eos": True, "stream": True}
    with httpx.Client(timeout=30) as http:
        with http.stream("POST", f"{front.url}/v1/completions", json=body) as response:
            lines = response.iter_lines()
            next(line for line in lines if line.startswith("data: {"))
            next(line for line in lines if line.startswith("data: {"))
    (row,) = settled(front.db, 1)
    assert row["status"] == "cancelled" and row["tokens_out"] < 600 and row["output"]


def test_a_server_that_cannot_be_reached_is_503_with_the_reason(tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ServerUnavailable, match="cannot reach the server"):
        RemoteEngine.from_config(ROOT / "adapters.yaml", "vllm-demo", url=dead)
    server = start_app(tmp_path, "--profile", "vllm-demo", wait=False, env={"LORA_LAND_SERVER_URL": dead})
    try:
        deadline = time.monotonic() + 60
        while True:
            response = httpx.get(f"{server.url}/health", timeout=5) if _up(server.url) else None
            if response is not None and response.json().get("status") == "error":
                break
            assert time.monotonic() < deadline, server.log.read_text()
            time.sleep(0.25)
        assert response.status_code == 503 and f"cannot reach the server at {dead}" in response.json()["error"]
        api = httpx.post(f"{server.url}/v1/completions", json={"model": "glue_sst2", "prompt": "hi"}, timeout=10)
        assert api.status_code == 503 and "cannot reach the server" in api.json()["error"]["message"]
        assert "Traceback" not in server.log.read_text()
    finally:
        server.stop()


def test_a_connection_lost_mid_answer_ends_the_row_as_an_error_with_what_had_streamed(tmp_path):
    """Upstream here is another LoRA Land (any OpenAI-compatible server will do); it dies mid-answer."""
    (tmp_path / "upstream").mkdir()
    (tmp_path / "front").mkdir()
    upstream = start_app(tmp_path / "upstream")
    front = start_app(tmp_path / "front", "--profile", "vllm-demo", env={"LORA_LAND_SERVER_URL": upstream.url})
    try:
        body = {"model": "glue_sst2", "prompt": "a story", "max_tokens": 900, "ignore_eos": True, "stream": True}
        events = []
        with httpx.stream("POST", f"{front.url}/v1/completions", json=body, timeout=60) as response:
            lines = response.iter_lines()
            for line in lines:
                if line.startswith("data: {") and json.loads(line[6:])["choices"][0]["text"]:
                    break
            upstream.process.kill()
            events = [line for line in lines if line.startswith("data: ")]
        assert any(json.loads(e[6:]).get("error") for e in events if e.startswith("data: {"))
        (row,) = settled(front.db, 1)
        assert row["status"] == "error" and "broke" in row["error"] and row["output"]
    finally:
        front.stop()
        upstream.stop()


def _up(url: str) -> bool:
    try:
        httpx.get(f"{url}/health", timeout=2)
        return True
    except httpx.HTTPError:
        return False
