"""Faults a running `python app.py` must live through: load, hang-ups, a kill, a sick log, a corrupt adapter.

Each scenario starts the real app on its own log file and does to it what happens in
production: hundreds of clients at once, half of a second wave hanging up mid-answer;
SIGKILL mid-answer and a restart on the same file; another program holding the log's
write lock for 10 s; a read-only log; a full disk (a 4 MB tmpfs, as root); an adapter
whose weights file is truncated. Every wait is bounded, and no timing is asserted beyond
"it does not hang".
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import httpx
import pytest
from gradio_client import Client

from conftest import ROOT, free_port, rows, start_app

HANG = 60.0  # seconds: no request may take longer than this, whatever the fault
CHROMIUM = "/usr/bin/chromium"
MODELS = ("glue_sst2", "glue_cola", "tldr_headline_gen", "base")  # short templates: the load is in the requests


# --- clients ----------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one client saw: the HTTP status, the row id the answer named, its text, how it ended."""

    status: int = 0
    row_id: int | None = None
    text: str = ""
    done: bool = False  # the answer ended normally ([DONE] for a stream)
    hung_up: bool = False  # the client closed the connection mid-answer
    error: dict | None = None
    seconds: float = 0.0


def row_of(answer_id: str) -> int:
    return int(answer_id.rsplit("-", 1)[1])  # "chatcmpl-17", "cmpl-17": the log's row id


def stream(url: str, path: str, body: dict, *, hang_up: bool = False) -> Outcome:
    """One streamed answer read to its end, or (hang_up) closed as soon as its first text arrives."""
    out, started = Outcome(), time.monotonic()
    with httpx.Client(timeout=HANG) as client, client.stream("POST", url + path, json={**body, "stream": True}) as r:
        out.status = r.status_code
        if r.status_code != 200:
            out.error = json.loads(r.read())["error"]
        else:
            for line in r.iter_lines():
                if line == "data: [DONE]":
                    out.done = True
                    break
                if not line.startswith("data: "):
                    continue
                chunk = json.loads(line[6:])
                if "error" in chunk:
                    out.error = chunk["error"]
                    break
                out.row_id = row_of(chunk["id"])
                for choice in chunk["choices"]:
                    out.text += choice.get("text") or (choice.get("delta") or {}).get("content") or ""
                if hang_up and out.text:
                    out.hung_up = True
                    break  # leaving the block closes the connection mid-answer
    out.seconds = time.monotonic() - started
    return out


def chat(url: str, model: str, content: str, max_tokens: int, *, hang_up: bool = False, **extra) -> Outcome:
    body = {"model": model, "messages": [{"role": "user", "content": content}], "max_tokens": max_tokens, **extra}
    return stream(url, "/v1/chat/completions", body, hang_up=hang_up)


def complete(url: str, prompt: str = "a gripping , wonderful film", max_tokens: int = 4) -> Outcome:
    """One completion, not streamed."""
    started = time.monotonic()
    r = httpx.post(f"{url}/v1/completions", json={"model": "glue_sst2", "prompt": prompt, "max_tokens": max_tokens},
                   timeout=HANG)
    out = Outcome(status=r.status_code, seconds=time.monotonic() - started)
    if r.status_code == 200:
        out.row_id, out.text, out.done = row_of(r.json()["id"]), r.json()["choices"][0]["text"], True
    else:
        out.error = r.json()["error"]
    return out


def page_run(url: str, adapter: str = "glue_sst2") -> str:
    """A run on the page's Compare tab (its own endpoint, as the browser calls it): "ran", or the page's message."""
    client = Client(url, verbose=False)
    try:
        client.predict(adapter, "a gripping , wonderful film", "", "", 4, 0, 1, api_name="/compare")
        return "ran"
    except Exception as exc:  # noqa: BLE001 - the page's refusal, as the person would read it
        return str(exc)
    finally:
        client.close()  # its heartbeat stream, which would otherwise hold up the app's shutdown


def at_once(calls: list[Callable[[], object]]) -> list:
    """Each call on its own thread, released together; every one must be back within HANG."""
    results: list = [None] * len(calls)
    errors: list[BaseException] = []
    gate = threading.Barrier(len(calls))

    def run(i: int) -> None:
        try:
            gate.wait(30)
            results[i] = calls[i]()
        except BaseException as exc:  # noqa: BLE001 - collected and reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(calls))]
    for t in threads:
        t.start()
    deadline = time.monotonic() + HANG + 30
    for t in threads:
        t.join(max(0.1, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "some clients got no answer: the app hangs"
    assert not errors, errors[:3]
    return results


def wait_until(condition: Callable[[], object], timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        time.sleep(0.2)


def settled(db: Path) -> list[dict] | None:
    """The log's rows once none is incomplete (a base row may run on after its client has the answer)."""
    table = rows(db)
    return table if all(r["status"] != "incomplete" for r in table) else None


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("pragma integrity_check").fetchone()[0]
    finally:
        conn.close()


def page_says(url: str, selector: str, text: str, click: str | None = None) -> str:
    """The page in Debian's chromium: wait until `selector` shows `text` (after clicking `click`); its text."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium): the page was not looked at")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.set_default_timeout(30_000)
            page.goto(url)
            if click:
                page.click(click)
            page.wait_for_function(
                "([s, t]) => { const e = document.querySelector(s); return e && e.textContent.includes(t); }",
                arg=[selector, text])
            return page.inner_text(selector)
        finally:
            browser.close()


def mount_tmpfs(folder: Path, size: str) -> None:
    """A small file system of its own at `folder` (root only), or the test is skipped with why."""
    if os.geteuid() != 0:
        pytest.skip("needs root, to mount a small tmpfs")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")


def unmount(folder: Path) -> None:
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


# --- load and hang-ups --------------------------------------------------------------------


def test_hundreds_of_clients_and_hang_ups_leave_one_final_row_per_accepted_request(tmp_path):
    """200 streams at once, then 100 of which half hang up mid-answer: refusals are 429s, rows are all final."""
    server = start_app(tmp_path)
    try:
        first = at_once([lambda i=i: chat(server.url, MODELS[i % 4], f"a film with {i} wonderful scenes", 8)
                         for i in range(200)])
        # The clients that hang up ask for a long answer, so it is still running when they leave.
        second = at_once([lambda i=i: chat(server.url, MODELS[i % 4], f"the story goes on and on {i}",
                                           200 if i % 2 == 0 else 8, hang_up=i % 2 == 0,
                                           **({"ignore_eos": True} if i % 2 == 0 else {}))
                          for i in range(100)])
        outcomes = first + second
        accepted = [o for o in outcomes if o.status == 200]
        refused = [o for o in outcomes if o.status == 429]
        print(f"\nload: {len(accepted)} accepted, {len(refused)} refused with 429 "
              f"({sum(o.status == 429 for o in first)} of the 200, {sum(o.status == 429 for o in second)} of the 100)")
        assert len(accepted) + len(refused) == len(outcomes), [(o.status, o.error) for o in outcomes
                                                               if o.status not in (200, 429)][:3]
        assert {o.error["code"] for o in refused} <= {"rate_limit_exceeded"}
        assert all(o.done for o in accepted if not o.hung_up), [o.error for o in accepted if not o.done][:3]
        hung_up = {o.row_id for o in accepted if o.hung_up}
        assert hung_up, "no client hung up mid-answer: the second wave was refused"
        ids = [o.row_id for o in accepted]
        assert None not in ids and len(set(ids)) == len(ids)

        table = wait_until(lambda: settled(server.db), 60, "every row has a final status")
        assert sorted(r["id"] for r in table) == sorted(ids)  # one row per accepted request, none for a refused one
        status = {r["id"]: r["status"] for r in table}
        assert {status[i] for i in hung_up} == {"cancelled"}
        assert {status[i] for i in ids if i not in hung_up} == {"complete"}
        assert server.health()["status"] == "ok"
        assert server.process.poll() is None
    finally:
        server.stop()


# --- a kill mid-answer ------------------------------------------------------------------


def test_a_kill_mid_answer_leaves_a_sound_file_that_the_next_app_serves(tmp_path):
    server = start_app(tmp_path)
    received, row_id = "", None
    try:
        body = {"model": "glue_sst2", "prompt": "a story", "max_tokens": 900, "ignore_eos": True, "stream": True}
        with httpx.stream("POST", f"{server.url}/v1/completions", json=body, timeout=30) as response:
            assert response.status_code == 200
            lines = response.iter_lines()  # kept referenced: a dropped iterator closes the connection
            first_text, ended = None, False
            for line in lines:
                ended = ended or line == "data: [DONE]"
                if line.startswith("data: {"):
                    chunk = json.loads(line[6:])
                    row_id = row_of(chunk["id"])
                    received += chunk["choices"][0]["text"]
                    if received and first_text is None:
                        first_text = time.monotonic()
                if first_text is not None and time.monotonic() - first_text > 1.5:
                    break  # the running answer has been saved at least once (every second)
            assert first_text is not None and not ended, "the answer ended before the kill"
            server.process.send_signal(signal.SIGKILL)
            server.process.wait(10)
    finally:
        server.stop()

    assert integrity(server.db) == "ok"
    (row,) = rows(server.db)
    assert (row["id"], row["status"], row["finished"]) == (row_id, "incomplete", None)
    # What had streamed is kept: the saved answer and the client's are both the start of one answer.
    assert row["output"] and (received.startswith(row["output"]) or row["output"].startswith(received))

    again = start_app(tmp_path)  # the same log file
    try:
        answer = complete(again.url)
        assert answer.status == 200, answer.error
        table = wait_until(lambda: settled_except(again.db, row_id), 30, "the new request's row is complete")
    finally:
        again.stop()
    assert [r["id"] for r in table] == [row_id, answer.row_id] and answer.row_id > row_id
    assert table[0] == row  # the killed request's row is as the kill left it
    assert table[1]["status"] == "complete" and table[1]["output"] == answer.text
    assert integrity(server.db) == "ok"


def settled_except(db: Path, row_id: int) -> list[dict] | None:
    table = rows(db)
    return table if all(r["status"] != "incomplete" or r["id"] == row_id for r in table) else None


# --- a sick log ----------------------------------------------------------------------------


def test_a_log_locked_by_another_program_refuses_clearly_and_loses_no_accepted_row(tmp_path):
    """Another program holds the log's write lock for 10 s (longer if the answer running then has not ended):
    requests are refused (503) within a bound, not hung; that answer keeps its completion in memory and
    writes it once the lock is gone."""
    server = start_app(tmp_path)
    try:
        holder = sqlite3.connect(server.db, timeout=5, isolation_level=None)
        try:
            # An answer still running when the lock is taken; the lock is held until it has ended.
            long_answer: list[Outcome] = []
            streaming = threading.Thread(target=lambda: long_answer.append(
                stream(server.url, "/v1/completions", {"model": "glue_sst2", "prompt": "a story", "max_tokens": 100,
                                                       "ignore_eos": True})), daemon=True)
            streaming.start()
            deadline = time.monotonic() + 30
            while not rows(server.db) and time.monotonic() < deadline:
                time.sleep(0.005)
            holder.execute("begin exclusive")  # as `sqlite3 lora_land.db` would, mid-transaction
            assert [r["status"] for r in rows(server.db)] == ["incomplete"]  # taken while the answer runs
            locked = time.monotonic()
            results = at_once([lambda i=i: complete(server.url, f"a film with {i} scenes") for i in range(6)]
                              + [lambda: page_run(server.url)])
            health = server.health()
            wait_until(lambda: "keeps its completion in memory" in server.log.read_text(), HANG,
                       "the long answer ends while the log is locked")
            time.sleep(max(0.0, 10 - (time.monotonic() - locked)))
        finally:
            holder.close()  # the lock is released (its transaction rolls back)
        outcomes, page = results[:-1], results[-1]
        print(f"\nlocked log: {[(o.status, round(o.seconds, 1)) for o in outcomes]}; page: {page!r}")
        assert all(o.seconds < 30 for o in outcomes)  # refused within a bound, never hung on the lock
        assert {o.status for o in outcomes} <= {200, 503}
        refused = [o for o in outcomes if o.status == 503]
        assert refused, "no request felt the lock"
        for o in refused:
            assert o.error["code"] == "log_unavailable" and "the request was not run" in o.error["message"]
            assert "locked by another program" in o.error["message"] or "is busy" in o.error["message"]
        assert "was not run" in page and ("locked by another program" in page or "is busy" in page)
        assert health["status"] == "ok" and "locked by another program" in health["log"]

        # The lock is gone: with no new request, the answer that ended meanwhile is written.
        streaming.join(HANG)
        (answer,) = long_answer
        assert answer.status == 200 and answer.done
        row = wait_until(lambda: [r for r in rows(server.db) if r["id"] == answer.row_id and r["status"] == "complete"],
                         20, "the long answer's completion is written")[0]
        assert row["output"] == answer.text

        after = complete(server.url)
        assert after.status == 200
        table = wait_until(lambda: settled(server.db), 30, "every row has a final status")
        ids = [answer.row_id, after.row_id] + [o.row_id for o in outcomes if o.status == 200]
        assert sorted(r["id"] for r in table) == sorted(ids)  # no accepted row lost, none for a refused request
        assert {r["status"] for r in table} == {"complete"}
        assert server.health()["log"] == "ok"
    finally:
        server.stop()
    assert integrity(server.db) == "ok"


def test_a_read_only_log_stops_the_app_at_start_with_a_clear_error(tmp_path):
    """Root writes through file modes, so as root the log sits on a tmpfs remounted read-only; else chmod does it.

    (Made read-only while the app runs, a file changes nothing: SQLite writes through the
    descriptors it opened. The next start is where it shows.)"""
    folder = tmp_path / "log"
    folder.mkdir()
    root = os.geteuid() == 0
    if root:
        mount_tmpfs(folder, "4m")
    db = folder / "lora_land.db"
    try:
        from lora_land.store import Store

        store = Store(db)
        store.finish(store.begin(source="api", kind="completion", adapter="glue_sst2", fields={}, prompt="kept",
                                 params={}, base=False), status="complete")
        store.close()
        if root:
            subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        else:
            db.chmod(0o444)
            folder.chmod(0o555)
        env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
        done = subprocess.run([sys.executable, "app.py", "--port", str(free_port()), "--db", str(db)], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=HANG)
        print(f"\nread-only log: exit {done.returncode}: {done.stderr.strip()}")
        assert done.returncode == 2
        assert f"error: the log {db} is read-only: every request is logged there" in done.stderr
        assert "Traceback" not in done.stderr
        conn = sqlite3.connect(f"file:{db}?immutable=1", uri=True)
        try:
            assert [r[0] for r in conn.execute("select prompt from generations")] == ["kept"]  # untouched
        finally:
            conn.close()
    finally:
        if root:
            unmount(folder)
        else:
            folder.chmod(0o755)
            db.chmod(0o644)


def test_a_full_disk_refuses_requests_clearly_and_the_log_resumes_when_space_is_freed(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    mount_tmpfs(disk, "4m")
    db = disk / "lora_land.db"
    try:
        server = start_app(tmp_path, "--db", str(db))
        try:
            accepted = [complete(server.url)]
            assert accepted[0].status == 200
            filler = disk / "filler"
            with filler.open("wb", buffering=0) as f:
                try:
                    while f.write(b"\0" * 65536):
                        pass
                except OSError:
                    pass  # the disk is full
            # The log may still have room in pages it already holds; soon a request finds none.
            for i in range(60):
                outcome = complete(server.url, f"a film with {i} scenes", max_tokens=2)
                if outcome.status != 200:
                    break
                accepted.append(outcome)
            print(f"\nfull disk: {len(accepted) - 1} request(s) logged after the disk filled, then {outcome.status}")
            assert outcome.status == 503, "the log never noticed the full disk"
            assert outcome.error["code"] == "log_unavailable"
            assert outcome.error["message"].startswith(f"the disk holding the log {db} is full; the request was not")
            assert "is full" in page_run(server.url)
            health = server.health()
            assert health["status"] == "ok" and "is full" in health["log"]
            banner = page_says(server.url, "#engine-status", "Runs are refused")
            assert "is full" in banner

            filler.unlink()  # space again: the next request is logged, and so is what waited in memory
            after = complete(server.url)
            assert after.status == 200
            accepted.append(after)
            table = wait_until(lambda: settled(db), 30, "every row has a final status")
            assert sorted(r["id"] for r in table) == sorted(o.row_id for o in accepted)
            assert {r["status"] for r in table} == {"complete"}
            assert server.health()["log"] == "ok" and server.process.poll() is None
        finally:
            server.stop()
        assert integrity(db) == "ok"
    finally:
        unmount(disk)


# --- a corrupt adapter -------------------------------------------------------------------


def test_a_truncated_adapter_is_refused_with_its_reason_and_the_others_serve(tmp_path):
    """The catalog copied beside one adapter whose weights file lost its second half."""
    broken = "bc5cdr"  # the first task: the page opens on it
    catalog = tmp_path / "catalog"
    adapters = catalog / "models" / "demo" / "adapters"
    adapters.mkdir(parents=True)
    shutil.copy(ROOT / "adapters.yaml", catalog / "adapters.yaml")
    (catalog / "models" / "demo" / "base").symlink_to(ROOT / "models" / "demo" / "base")
    for adapter in (ROOT / "models" / "demo" / "adapters").iterdir():
        if adapter.name != broken:
            (adapters / adapter.name).symlink_to(adapter)
    shutil.copytree(ROOT / "models" / "demo" / "adapters" / broken, adapters / broken)
    weights = adapters / broken / "adapter_model.safetensors"
    with weights.open("r+b") as f:
        f.truncate(weights.stat().st_size // 2)

    server = start_app(tmp_path, "--config", str(catalog / "adapters.yaml"))
    try:
        models = httpx.get(f"{server.url}/v1/models", timeout=HANG).json()
        served = {m["id"] for m in models["data"]}
        assert broken not in served and {"base", "glue_sst2", "conllpp"} <= served and len(served) == 25
        (refused,) = models["refused"]
        assert refused["id"] == broken and "adapter_model.safetensors is corrupt" in refused["error"]
        card = httpx.get(f"{server.url}/v1/models/{broken}", timeout=HANG)
        assert card.status_code == 404 and refused["error"] in card.json()["error"]["message"]

        asked = chat(server.url, broken, "Low doses of aspirin", 8)
        assert asked.status == 404 and asked.error["code"] == "model_not_found"
        assert refused["error"] in asked.error["message"]
        assert refused["error"] in page_run(server.url, broken)
        others = at_once([lambda m=m: chat(server.url, m, "a gripping , wonderful film", 8)
                          for m in ("glue_sst2", "conllpp", "base")])
        assert [o.status for o in others] == [200, 200, 200] and all(o.done for o in others)
        table = wait_until(lambda: settled(server.db), 30, "every row has a final status")
        assert sorted(r["adapter"] for r in table) == ["base", "conllpp", "glue_sst2"]  # nothing for the refused one
        assert server.health()["adapters"] == 24
        assert f"adapter {broken} refused" in server.log.read_text()

        details = page_says(server.url, "#details", "is corrupt", click="text=Adapter details")
        assert "Adapter unavailable on this profile" in details
    finally:
        server.stop()
