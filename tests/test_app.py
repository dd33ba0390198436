"""`python app.py`: the page and the API on one server, many users at once, nothing lost."""

from __future__ import annotations

import json
import re
import threading
import time

import httpx
import openai
import pytest
from gradio_client import Client

import app
from conftest import rows, start_app


def test_flags_and_the_environment_a_hosted_space_sets(monkeypatch):
    for name in ("LORA_LAND_HOST", "LORA_LAND_PORT", "GRADIO_SERVER_NAME", "GRADIO_SERVER_PORT", "PORT",
                 "LORA_LAND_PROFILE", "LORA_LAND_DB", "LORA_LAND_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    args = app.parse_args([])
    assert (args.host, args.port, args.profile, args.config, args.db, args.api_key) == (
        "127.0.0.1", 7860, "demo", "adapters.yaml", "lora_land.db", None)
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "7861")
    monkeypatch.setenv("LORA_LAND_PROFILE", "mistral-7b")
    monkeypatch.setenv("LORA_LAND_API_KEY", "sekret")
    args = app.parse_args([])
    assert (args.host, args.port, args.profile, args.api_key) == ("0.0.0.0", 7861, "mistral-7b", "sekret")
    assert app.parse_args(["--port", "9000", "--db", "x.db"]).port == 9000


def test_the_apis_base_twin_is_on_unless_the_flag_or_the_environment_turns_it_off(monkeypatch):
    monkeypatch.delenv("LORA_LAND_API_BASE_TWIN", raising=False)
    assert app.parse_args([]).api_base_twin is True
    assert app.parse_args(["--no-api-base-twin"]).api_base_twin is False
    for off in ("0", "false", "No", " off "):
        monkeypatch.setenv("LORA_LAND_API_BASE_TWIN", off)
        assert app.parse_args([]).api_base_twin is False
        assert app.parse_args(["--api-base-twin"]).api_base_twin is True  # the flag wins over the environment
    for on in ("1", "true", "yes", "ON", ""):
        monkeypatch.setenv("LORA_LAND_API_BASE_TWIN", on)
        assert app.parse_args([]).api_base_twin is True
    monkeypatch.setenv("LORA_LAND_API_BASE_TWIN", "maybe")
    with pytest.raises(SystemExit, match="'maybe' is not on or off"):
        app.parse_args([])


def test_the_compiled_decode_step_is_off_unless_the_flag_or_the_environment_turns_it_on(monkeypatch):
    monkeypatch.delenv("LORA_LAND_COMPILE", raising=False)
    assert app.parse_args([]).compile is False and app.parse_args(["--compile"]).compile is True
    monkeypatch.setenv("LORA_LAND_COMPILE", "1")
    assert app.parse_args([]).compile is True and app.parse_args(["--no-compile"]).compile is False


def test_an_unknown_profile_is_a_clear_error(capsys):
    assert app.main(["--profile", "gpt-5", "--db", ":memory:"]) == 2
    assert "gpt-5" in capsys.readouterr().err


def test_the_page_and_the_api_serve_many_users_at_once_and_log_every_request(app_server):
    """25 page users and 25 API clients at the same moment: 50 complete rows, answers batched together."""
    before = len(rows(app_server.db))
    page_client = Client(app_server.url, verbose=False)
    api_client = openai.OpenAI(base_url=f"{app_server.url}/v1", api_key="unused", max_retries=0)
    start = threading.Barrier(50)
    errors: list[BaseException] = []

    def page_user(i):
        try:
            start.wait()
            page_client.predict("glue_sst2", f"a film with {i} wonderful scenes", "", "", 12, 0, 1,
                                api_name="/compare")
        except BaseException as exc:  # noqa: BLE001 - collected and re-raised below
            errors.append(exc)

    def api_user(i):
        try:
            start.wait()
            api_client.completions.create(model="conllpp" if i % 2 else "base", prompt=f"EU rejects call {i}",
                                          max_tokens=12)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=page_user, args=(i,)) for i in range(25)]
    threads += [threading.Thread(target=api_user, args=(i,)) for i in range(25)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert not errors, errors[:3]
    new = rows(app_server.db)[before:]
    assert len(new) == 50
    assert [r["status"] for r in new] == ["complete"] * 50
    assert sorted(r["source"] for r in new).count("page") == 25
    page_rows = [r for r in new if r["source"] == "page"]
    assert {r["output"] != "" and r["base_output"] is not None for r in page_rows} == {True}
    # Gradio passed the page's runs to the engine together: batches held many users' rows.
    assert max(r["batch_peak"] for r in page_rows) > 4


def test_a_server_killed_mid_answer_leaves_an_incomplete_row(tmp_path):
    server = start_app(tmp_path)
    try:
        body = {"model": "glue_sst2", "prompt": "a story", "max_tokens": 900, "ignore_eos": True, "stream": True}
        with httpx.stream("POST", f"{server.url}/v1/completions", json=body, timeout=30) as response:
            assert response.status_code == 200
            lines = response.iter_lines()  # kept referenced: a dropped iterator closes the connection
            for line in lines:
                if line.startswith("data: {") and json.loads(line[6:])["choices"][0]["text"]:
                    break
            time.sleep(1.5)  # long enough for the running answer to be saved once
            server.process.kill()
            server.process.wait(10)
    finally:
        server.stop()
    (row,) = rows(server.db)
    assert row["status"] == "incomplete" and row["finished"] is None
    assert row["source"] == "api" and row["output"]  # what had streamed was kept


@pytest.mark.parametrize("args, message", [
    (("no_such_task", "hello", "", "", 8, 0, 1), "no_such_task is not in the list of choices"),
    (("glue_sst2", "  \t ", "", "", 8, 0, 1), "'sentence' is empty"),
    (("glue_sst2", "a film", "", "", 0, 0, 1), "Value 0 is less than minimum value 1"),
    (("glue_sst2", "a film", "", "", 8, -1, 1), "Value -1 is less than minimum value 0"),
    (("glue_sst2", "a film", "", "", 8, 0, 7), "Value 7 is greater than maximum value 1"),
    (("glue_sst2", "word " * 1500, "", "", 8, 0, 1), "exceeds the model's context"),
])
def test_the_pages_own_api_refuses_bad_input_with_a_clear_message(app_server, args, message):
    """What the page's controls cannot send, a script calling the page's endpoint can: refused, nothing logged."""
    before = len(rows(app_server.db))
    client = Client(app_server.url, verbose=False)
    with pytest.raises(Exception, match=re.escape(message)):
        client.predict(*args, api_name="/compare")
    assert len(rows(app_server.db)) == before
    assert "Traceback" not in app_server.log.read_text()  # a refused input is one line in the log, not a traceback


def test_the_pages_public_api_is_the_compare_and_the_chat(app_server):
    """"Use via API" lists what a script would call, not the page's own housekeeping events."""
    api = Client(app_server.url, verbose=False).view_api(return_format="dict", print_info=False)
    assert sorted(api["named_endpoints"]) == ["/chat", "/compare"] and not api["unnamed_endpoints"]


def test_a_failed_load_is_one_line_that_says_what_to_do():
    from lora_land.catalog import load_catalog
    from lora_land.memory import MemoryPlanError

    catalog = load_catalog("adapters.yaml")
    hub, local = catalog.profile("mistral-7b"), catalog.profile("demo")
    offline = OSError("We couldn't connect to 'https://huggingface.co' to load the files.\nCheck your connection.")
    message = app.load_failure(hub, offline)
    assert message.startswith("cannot load mistralai/Mistral-7B-v0.1 from the Hugging Face hub or its local cache")
    assert "\n" not in message and "load the files. Connect to the hub" in message
    assert app.load_failure(local, OSError("no file named model.safetensors")) == (
        "the model failed to load: OSError: no file named model.safetensors")
    assert app.load_failure(hub, MemoryPlanError("not enough memory on cuda:0: ...")) == (
        "not enough memory on cuda:0: ...")
    assert "needs is missing: No module named 'bitsandbytes'" in app.load_failure(
        hub, ImportError("No module named 'bitsandbytes'"))
    assert app.cannot_run(local, None) is None
