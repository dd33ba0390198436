"""The page in a real browser: Debian's chromium driven by playwright, against `python app.py`.

The browser may reach only the app on 127.0.0.1; anything else it asks for is refused and
fails the test (the page must load nothing from outside the server).
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from pathlib import Path

import pytest

from lora_land.catalog import load_catalog
from lora_land.engine import Engine

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
if not Path(CHROMIUM).exists() and not os.environ.get("CI"):  # CI installs it and must run these
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        browser.close()


def open_page(browser, app_server, ready: bool = True):
    """A fresh browser context on the app, refused everything but the app; returns (context, page, external)."""
    external: list[str] = []

    def only_local(route):
        if route.request.url.startswith(app_server.url):
            route.continue_()
        else:
            external.append(route.request.url)
            route.abort()

    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.route("**/*", only_local)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(app_server.url)
    page.wait_for_selector("#run")
    wait_text(page, "#token-count", "tokens" if ready else "the model is")
    return context, page, external


@pytest.fixture
def page(browser, app_server):
    context, page, external = open_page(browser, app_server)
    yield page
    context.close()
    assert external == [], f"the page reached outside the server: {external}"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog("adapters.yaml")


@pytest.fixture(scope="module")
def engine():
    with Engine.from_config("adapters.yaml", "demo", tasks=["glue_sst2"]) as engine:
        yield engine


def rows(db, where="1", *args):
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(f"select * from generations where {where} order by id", args)]
    finally:
        conn.close()


# Whether an element can be seen: Gradio keeps hidden status marks in the page, transparent.
SEEN = """e => {
    for (let n = e; n; n = n.parentElement) {
        const s = getComputedStyle(n);
        if (s.display === "none" || s.visibility === "hidden" || s.opacity === "0") return false;
    }
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
}"""


def wait_text(page, selector, text, timeout=30.0):
    page.wait_for_function("([s, t]) => { const e = document.querySelector(s); return e && e.textContent.includes(t); }",
                           arg=[selector, text], timeout=timeout * 1000)


def wait_for(condition, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def pick_adapter(page, task, tab="compare"):
    """Choose a task in a tab's adapter picker and wait until the page has switched to it."""
    dropdown = "#adapter" if tab == "compare" else "#chat-adapter"
    page.click(f"{dropdown} input")
    page.get_by_role("option", name=task.name, exact=True).click()
    if tab == "compare":  # the template and the fields change in one update
        shown = task.template.replace("{{", "{").replace("}}", "}")
        page.wait_for_function("t => document.querySelector('#template textarea').value === t", arg=shown)
    else:
        wait_text(page, "#chat-hint", task.field_label(task.fields[0]).lower() if len(task.fields) == 1 else task.fields[0])


def type_into(page, selector, text):
    """Put text in a box the way a person does (fill, then a keystroke so the page hears the input)."""
    page.fill(selector, text[:-1])
    page.type(selector, text[-1])


LONG_STORY = "the story goes on and on"  # long_answers() draws 512 base tokens for it (the whole budget)


def long_answers(page):
    """Sampling for a long answer: up to 512 new tokens at temperature 2 from seed 2 (one long draw)."""
    page.click("text=Sampling")
    for slider, value in (("#max-new", "512"), ("#temperature", "2")):
        for attempt in range(3):  # the adapter switch sets max-new to the task's default, maybe after this fill
            page.fill(f"{slider} input[type=number]", value)
            page.press(f"{slider} input[type=number]", "Tab")
            try:
                page.wait_for_function("([s, v]) => document.querySelector(s + ' input[type=range]').value === v",
                                       arg=[slider, value], timeout=10_000)
                break
            except sync_api.TimeoutError:
                if attempt == 2:
                    raise
    page.fill("#seed input", "2")
    page.press("#seed input", "Tab")


def test_pick_an_example_run_both_answers_and_vote(page, app_server, catalog, engine):
    task = catalog.tasks["glue_sst2"]
    pick_adapter(page, catalog.tasks["glue_sst2"])
    assert page.input_value("#field-0 textarea") == ""
    page.click("text=Adapter details")
    wait_text(page, "#details", "Demo evaluation")
    wait_text(page, "#details", "Rank")
    example = task.examples[1]
    page.click("#example-1")
    page.wait_for_function("v => document.querySelector('#field-0 textarea').value === v", arg=example["sentence"])
    before = len(rows(app_server.db))

    page.click("#run")
    wait_text(page, "#tuned-stats", "total")
    wait_text(page, "#base-stats", "total")
    prompt = task.render(example)
    tuned, base = engine.generate([prompt, prompt], ["glue_sst2", "base"], max_new_tokens=task.max_new_tokens)
    assert page.input_value("#tuned-output textarea") == tuned.lstrip()  # from the first character on
    assert page.input_value("#base-output textarea") == base.lstrip()
    assert tuned.strip() in ("0", "1") and tuned != base
    assert "Base model · models/demo/base" in page.inner_text("#base-output")  # the panel names the base
    assert re.search(r"· 1 token \(|· [02-9]\d* tokens \(", page.inner_text("#tuned-stats"))  # "1 token"
    wait_text(page, "#run-note", f"this example's expected answer is {task.answers[1]}")  # beside the chip's result
    right = "✓ right" if tuned.strip() == task.answers[1] else "✗ not right"
    assert page.inner_text("#run-note").startswith(right)
    meaning = {"0": "negative", "1": "positive"}[tuned.strip()]
    assert f"answer {tuned.strip()} ({meaning})" in page.inner_text("#tuned-stats")  # the label, decoded
    assert page.inner_text("#field-0").startswith("Sentence")  # the field in words, not its column key

    row = wait_for(lambda: [r for r in rows(app_server.db)[before:] if r["status"] == "complete"])[0]
    assert (row["source"], row["kind"], row["adapter"], row["prompt"]) == ("page", "compare", "glue_sst2", prompt)
    assert (row["output"], row["base_output"]) == (tuned, base)
    assert row["batch_peak"] >= 2  # both answers shared the engine's batches

    page.click("#vote-fine-tuned")
    wait_text(page, "#run-note", "saved")
    assert rows(app_server.db, "id = ?", row["id"])[0]["vote"] == "fine-tuned"


def test_bad_input_gets_a_clear_message_and_keeps_the_text(page, app_server, catalog):
    pick_adapter(page, catalog.tasks["glue_sst2"])
    before = len(rows(app_server.db))
    type_into(page, "#field-0 textarea", "   ")
    page.click("#run")
    wait_text(page, "body", "'sentence' is empty")

    long = "a wonderful film " * 400
    type_into(page, "#field-0 textarea", long)
    wait_text(page, "#token-count", "too long")
    page.click("#run")
    wait_text(page, "body", "exceeds the model's context")
    assert page.input_value("#field-0 textarea") == long  # nothing the person typed is lost

    odd = "מצוין \u202e film 🎬 \x07 caf\u00e9"
    type_into(page, "#field-0 textarea", odd)
    page.click("#run")
    wait_text(page, "#tuned-stats", "total")
    row = wait_for(lambda: [r for r in rows(app_server.db)[before:] if r["status"] == "complete"])[0]
    assert "🎬" in row["prompt"] and "\x07" not in row["prompt"]
    assert len(rows(app_server.db)) == before + 1  # the refused runs left no rows

    # refused after a run: one message; the answers stay as they were, with no error marks on them
    answers = [page.input_value(f"#{side}-output textarea") for side in ("tuned", "base")]
    logged = len(app_server.log.read_text())
    type_into(page, "#field-0 textarea", " ")
    page.click("#run")
    wait_text(page, "body", "'sentence' is empty")
    assert [page.input_value(f"#{side}-output textarea") for side in ("tuned", "base")] == answers
    for panel in ("#tuned-output", "#base-output", "#tuned-stats", "#base-stats"):
        marks = page.locator(panel).locator("xpath=..").get_by_text("Error", exact=True).all()
        assert not [m for m in marks if m.evaluate(SEEN)], panel
    log = wait_for(lambda: app_server.log.read_text()[logged:])  # what this refusal wrote, and only that
    assert "INFO lora_land.ui: not run: the field 'sentence' is empty" in log and "Traceback" not in log


def test_stop_cancels_both_answers(page, app_server, catalog):
    pick_adapter(page, catalog.tasks["glue_sst2"])
    long_answers(page)
    type_into(page, "#field-0 textarea", LONG_STORY)
    before = len(rows(app_server.db))
    page.click("#run")
    wait_for(lambda: len(rows(app_server.db)) > before)
    page.wait_for_function("() => document.querySelector('#base-output textarea').value.length > 0")
    page.click("#stop")
    row = wait_for(lambda: [r for r in rows(app_server.db)[before:] if r["status"] != "incomplete"])[0]
    assert row["status"] == "cancelled" and row["base_tokens_out"] < 512
    assert '"seed": 2' in row["params"]
    wait_text(page, "#run-note", "cancelled")
    assert wait_for(lambda: app_server.health()["running"] == 0)


def test_chat_with_an_adapter_and_the_base(page, app_server, catalog):
    page.get_by_role("tab", name="Chat").click()
    pick_adapter(page, catalog.tasks["glue_sst2"], "chat")
    example = catalog.tasks["glue_sst2"].examples[0]["sentence"]
    page.locator("#chat-tuned").get_by_text(example).click()  # the empty conversation offers the examples
    page.wait_for_function("v => document.querySelector('#chat-message textarea').value === v", arg=example)
    assert "Fine-tuned" not in page.inner_text("#chat-tuned")  # its heading sits above it, not over a message
    page.check("#chat-with-base input")
    before = len(rows(app_server.db))
    first = "a gripping ,\n    wonderful\tfilm"  # the Chatbot tidies what it shows; the prompt keeps it as typed
    type_into(page, "#chat-message textarea", first)
    page.click("#chat-send")
    row = wait_for(lambda: [r for r in rows(app_server.db)[before:] if r["status"] == "complete"])[0]
    assert row["kind"] == "chat" and row["base_output"] is not None
    assert row["prompt"] == catalog.tasks["glue_sst2"].render({"sentence": first})
    wait_text(page, "#chat-tuned", row["output"].strip())
    wait_text(page, "#chat-base", "wonderful")

    type_into(page, "#chat-message textarea", "a dull , lifeless film")  # a second turn carries the first
    page.click("#chat-send")
    second = wait_for(lambda: [r for r in rows(app_server.db, "id > ? and status = 'complete'", row["id"])])[0]
    assert second["prompt"].startswith(row["prompt"]) and second["prompt"].endswith(
        catalog.tasks["glue_sst2"].render({"sentence": "a dull , lifeless film"}))


def test_history_filters_searches_and_exports(page, app_server, catalog):
    pick_adapter(page, catalog.tasks["glue_sst2"])
    type_into(page, "#field-0 textarea", "an unforgettable zeppelin of a film")
    page.click("#run")
    wait_text(page, "#tuned-stats", "total")
    page.get_by_role("tab", name="History").click()
    wait_text(page, "#history-table", "glue_sst2")
    type_into(page, "#history-search textarea", "zeppelin")
    page.press("#history-search textarea", "Enter")
    wait_text(page, "#history-count", "1 shown (search)")
    assert "zeppelin" in page.inner_text("#history-table")
    page.locator("#history-table").get_by_role("gridcell").filter(has_text="zeppelin").first.click()  # its record
    page.wait_for_function("t => document.querySelector('#history-prompt textarea').value.includes(t)",
                           arg="an unforgettable zeppelin of a film")  # the record: prompt and answers side by side
    record = rows(app_server.db, "prompt like ?", "%zeppelin%")[0]
    assert page.input_value("#history-tuned textarea") == record["output"]
    assert page.input_value("#history-base textarea") == record["base_output"]
    wait_text(page, "#history-record", f"#{record['id']}")
    boxes = [page.locator(f"#history-{k}").bounding_box() for k in ("prompt", "tuned", "base")]
    assert boxes[0]["y"] == boxes[1]["y"] == boxes[2]["y"] and boxes[2]["x"] + boxes[2]["width"] <= 1280
    page.click("#history-export")
    wait_text(page, "#history-file", "lora-land-history-")
    href = page.eval_on_selector("#history-file a", "a => a.href")
    exported = page.request.get(href).text()
    assert exported.startswith("id,created,") and "zeppelin" in exported
    assert len(exported.strip().splitlines()) >= 2


def test_closing_the_page_cancels_its_run(browser, app_server, catalog):
    for _attempt in range(3):
        context, page, _ = open_page(browser, app_server)
        pick_adapter(page, catalog.tasks["glue_sst2"])
        long_answers(page)
        type_into(page, "#field-0 textarea", LONG_STORY)
        before = len(rows(app_server.db))
        page.click("#run")
        page.wait_for_function("() => document.querySelector('#base-output textarea').value.length > 0")
        context.close()  # the person closes the tab mid-answer
        row = wait_for(lambda: [r for r in rows(app_server.db)[before:] if r["status"] != "incomplete"])[0]
        # Batched beside other rows, the seeded draw can differ in the last bits and end (eos) before the
        # tab closed: then there was nothing to cancel, and the person tries again.
        if not (row["status"] == "complete" and row["base_finish_reason"] == "eos"):
            break
    assert row["status"] == "cancelled" and row["base_tokens_out"] < 512
    assert wait_for(lambda: app_server.health()["running"] == 0)


def test_mistral_7b_without_a_gpu_says_why_on_the_page_the_health_and_the_log(browser, tmp_path):
    """No GPU here: one line that says why, on /health, from the API, in the log and on the page, which stays up."""
    import json
    import urllib.error

    import openai

    from conftest import start_app

    server = start_app(tmp_path, "--profile", "mistral-7b", wait=False)
    try:
        status, body = None, {}
        for _ in range(240):
            try:
                server.health()
            except urllib.error.HTTPError as exc:
                status, body = exc.code, json.loads(exc.read())
                if body["status"] == "error":
                    break
            except OSError:
                pass
            time.sleep(0.25)
        assert status == 503 and "runs on a CUDA GPU and this machine has none" in body["error"]
        with pytest.raises(openai.APIStatusError, match="CUDA GPU"):
            openai.OpenAI(base_url=f"{server.url}/v1", api_key="x", max_retries=0).completions.create(
                model="base", prompt="hi")
        context, page, external = open_page(browser, server, ready=False)
        wait_text(page, "#engine-status", "runs on a CUDA GPU and this machine has none")
        assert page.locator("#adapter").is_visible() and external == []
        context.close()
        log = server.log.read_text()
        assert "ERROR lora_land.app: the model is not available: the mistral-7b profile runs on a CUDA GPU" in log
        assert "Traceback" not in log
    finally:
        server.stop()


# Markup a prompt or an answer may hold; each carries the word "xss" so a search finds them all.
HOSTILE = [
    "<img src=x onerror=alert(1)> xss",
    "<script>alert(2)</script> xss",
    "<svg onload=alert(3)> xss",
    "[xss link](javascript:alert(4))",
    '<a href="javascript:alert(5)">xss anchor</a>',
    '"><b>xss bold</b>',
    "<details open ontoggle=alert(6)> xss",
    "**<i onmouseover=alert(7)>xss italic</i>**",
    "<iframe srcdoc=\"<script>parent.alert(8)</script>\"></iframe> xss",
    "$$\\href{javascript:alert(9)}{xss tex}$$",  # a link in LaTeX, where a component renders LaTeX
]
# Anything of HOSTILE that became an element, an event handler or a script on the page.
INJECTED = """() => {
    const found = [];
    const show = e => e.outerHTML.slice(0, 120);
    for (const e of document.querySelectorAll(
            'img[src="x"], svg[onload], iframe, details[ontoggle], a[href^="javascript:" i], ' +
            '[onerror], [onload], [ontoggle], [onmouseover]')) found.push(show(e));
    for (const e of document.querySelectorAll('b, strong, i, em, a'))
        if (e.textContent.includes('xss')) found.push(show(e));
    for (const e of document.querySelectorAll('script'))
        if (e.textContent.includes('alert(')) found.push(show(e));
    return found;
}"""


def watch_dialogs(page) -> list[str]:
    """Every alert, confirm or prompt the page opens, dismissed and recorded."""
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(f"{d.type}: {d.message}"), d.dismiss()))
    return dialogs


def shows_as_text(page, selector, texts, dialogs):
    """Each of `texts` shows literally in `selector`; no dialog opened and nothing became markup."""
    shown = page.inner_text(selector)
    assert [t for t in texts if t not in shown] == [], shown
    assert page.evaluate(INJECTED) == [] and dialogs == []


def test_markup_in_prompts_and_answers_shows_as_text_everywhere(page, app_server, catalog):
    """Markup and script sent through the page, Chat and the API show as text in every view and never run."""
    import openai

    from lora_land.store import Store

    dialogs = watch_dialogs(page)
    task = catalog.tasks["glue_sst2"]
    pick_adapter(page, task)
    type_into(page, "#field-0 textarea", "\n".join(HOSTILE))
    page.click("#run")
    wait_text(page, "#base-stats", "total")
    assert page.evaluate(INJECTED) == [] and dialogs == []

    client = openai.OpenAI(base_url=f"{app_server.url}/v1", api_key="x", max_retries=0)
    stop = "<b>xss stop</b>"  # the record view shows the sampling settings, stop strings included
    client.completions.create(model="glue_sst2", prompt=HOSTILE, max_tokens=4, stop=[stop])
    client.chat.completions.create(model="glue_sst2", max_tokens=4, messages=[
        {"role": "user", "content": HOSTILE[0]}, {"role": "assistant", "content": HOSTILE[1]},
        {"role": "user", "content": HOSTILE[2]}])
    # The demo model does not copy markup into its answers; a model answering a coding task
    # does. One row as the service writes it, with such answers and an error that quotes one.
    store = Store(app_server.db)
    try:
        answered = store.begin(source="api", kind="completion", adapter="magicoder", fields=[],
                               prompt="Write an HTML page that greets the visitor. xss", params={"max_new_tokens": 64},
                               base=True)
        store.progress(answered, output=HOSTILE[0], base_output=HOSTILE[5])
        store.finish(answered, status="error", error=f"the answer stopped at {HOSTILE[2]}")
        # the app may hold the log as this row is written: the store keeps it and retries; close only once written
        wait_for(lambda: not store.pending)
    finally:
        store.close()

    page.get_by_role("tab", name="Chat").click()
    pick_adapter(page, task, "chat")
    page.check("#chat-with-base input")
    before = len(rows(app_server.db))
    type_into(page, "#chat-message textarea", "\n".join(HOSTILE))
    page.click("#chat-send")
    wait_for(lambda: [r for r in rows(app_server.db)[before:] if r["status"] == "complete"])
    wait_text(page, "#chat-tuned", "xss")
    wait_text(page, "#chat-base", "xss")
    shows_as_text(page, "#chat-tuned", HOSTILE, dialogs)
    shows_as_text(page, "#chat-base", HOSTILE, dialogs)

    page.get_by_role("tab", name="History").click()
    type_into(page, "#history-search textarea", "xss")
    page.press("#history-search textarea", "Enter")
    wait_text(page, "#history-count", "shown (search)")
    wait_text(page, "#history-table", "magicoder")
    shows_as_text(page, "#history-table", HOSTILE, dialogs)

    page.locator("#history-table").get_by_role("gridcell").filter(has_text="xss anchor").first.click()
    wait_text(page, "#history-record", "glue_sst2")
    shows_as_text(page, "#history-record", [stop], dialogs)
    assert page.input_value("#history-prompt textarea") == HOSTILE[4]

    page.locator("#history-table").get_by_role("gridcell").filter(has_text="magicoder").first.click()
    wait_text(page, "#history-record", f"#{answered}")
    shows_as_text(page, "#history-record", [HOSTILE[2]], dialogs)
    page.wait_for_function("t => document.querySelector('#history-tuned textarea').value === t",
                           arg=HOSTILE[0])  # the answers can fill in just after the record's heading
    assert [page.input_value(f"#history-{k} textarea") for k in ("tuned", "base")] == [HOSTILE[0], HOSTILE[5]]

    page.get_by_role("tab", name="Stats").click()
    wait_text(page, "#stats-table", "magicoder")
    assert page.evaluate(INJECTED) == [] and dialogs == []

    page.get_by_role("tab", name="Chat").click()  # the conversation again, after every other view
    shows_as_text(page, "#chat-tuned", HOSTILE, dialogs)


def test_csv_export_from_the_page_keeps_formulas_as_text(page, app_server):
    """Text a spreadsheet would run as a formula reaches the page's CSV download with a leading quote."""
    import csv
    import io

    import openai

    from lora_land.store import FORMULA_STARTS

    dialogs = watch_dialogs(page)
    formulas = ['=HYPERLINK("http://x","y")', "+1+1 formula", "-1+1 formula", "@SUM(1,1) formula", "\t=1+1 formula"]
    client = openai.OpenAI(base_url=f"{app_server.url}/v1", api_key="x", max_retries=0)
    client.completions.create(model="glue_sst2", prompt=formulas, max_tokens=2)

    page.get_by_role("tab", name="History").click()
    wait_text(page, "#history-table", "HYPERLINK")
    page.click("#history-export")  # CSV is the format the tab starts with
    wait_text(page, "#history-file", ".csv")
    with page.expect_download() as download:
        page.click("#history-file a")
    cells = [c for row in csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8")))
             for c in row]
    assert [c for c in cells if c.startswith(FORMULA_STARTS)] == []
    assert [f for f in formulas if "'" + f not in cells] == []
    assert dialogs == []
