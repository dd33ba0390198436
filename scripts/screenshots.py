"""Retake the README's screenshots (docs/img/*.png) from a real run of the demo.

    .venv/bin/python scripts/screenshots.py

Starts `python app.py` on 127.0.0.1 with a fresh log, drives Debian's chromium through
each tab as a visitor would (an example chip on Compare, two messages in Chat, a record
in History, the Stats tab) and writes compare.png, chat.png, history.png and stats.png.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lora_land.catalog import load_catalog  # noqa: E402

OUT = ROOT / "docs" / "img"
WIDTH, HEIGHT = 1280, 900


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the app did not become ready")


def wait_text(page, selector: str, text: str) -> None:
    page.wait_for_function("([s, t]) => { const e = document.querySelector(s); return e && e.textContent.includes(t); }",
                           arg=[selector, text], timeout=60_000)


def pick(page, dropdown: str, name: str) -> None:
    page.click(f"{dropdown} input")
    page.get_by_role("option", name=name, exact=True).click()


def main() -> None:
    catalog = load_catalog(ROOT / "adapters.yaml")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        app = subprocess.Popen([sys.executable, "app.py", "--port", str(port), "--db", f"{tmp}/shots.db"], cwd=ROOT,
                               env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_ready(url)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
                page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
                page.goto(url)
                page.wait_for_selector("#run")
                wait_text(page, "#token-count", "tokens")

                # Compare: a CoNLL++ chip, both answers
                conll = catalog.task("conllpp")
                pick(page, "#adapter", conll.name)
                wait_text(page, "#field-0", "Sentence")
                page.click("#example-0")
                page.click("#run")
                wait_text(page, "#tuned-stats", "total")
                wait_text(page, "#base-stats", "total")
                page.screenshot(path=str(OUT / "compare.png"))

                # a few more runs so History and Stats have something to show
                for key in ("glue_sst2", "viggo", "wikisql", "gsm8k"):
                    pick(page, "#adapter", catalog.task(key).name)
                    page.click("#example-1")
                    page.click("#run")
                    wait_text(page, "#tuned-stats", "total")
                    wait_text(page, "#base-stats", "total")

                # Chat: SST-2, two messages, with the base beside it
                page.get_by_role("tab", name="Chat").click()
                sst2 = catalog.task("glue_sst2")
                pick(page, "#chat-adapter", sst2.name)
                page.check("#chat-with-base input")
                for message in ("This was the worst film I have ever seen.",
                                "A warm, funny and beautifully acted story. I loved it!"):
                    page.fill("#chat-message textarea", message)
                    page.click("#chat-send")
                    wait_text(page, "#chat-base", message.split()[-1].rstrip(".!"))
                    page.wait_for_timeout(1500)
                page.screenshot(path=str(OUT / "chat.png"))

                # History: the latest record, prompt and answers side by side
                page.get_by_role("tab", name="History").click()
                wait_text(page, "#history-table", "conllpp")
                page.locator("#history-table").get_by_role("gridcell").filter(has_text="viggo").first.click()
                wait_text(page, "#history-record", "#")
                page.screenshot(path=str(OUT / "history.png"), full_page=True)

                # Stats
                page.get_by_role("tab", name="Stats").click()
                wait_text(page, "#stats-table", "glue_sst2")
                page.wait_for_timeout(1500)
                page.screenshot(path=str(OUT / "stats.png"), full_page=True)
                browser.close()
        finally:
            app.terminate()
            app.wait(15)
    print(f"wrote {', '.join(p.name for p in sorted(OUT.glob('*.png')))} in {OUT}")


if __name__ == "__main__":
    main()
