"""A real `python app.py` on a free local port with a log of its own: what the soak and the tests run against.

It starts the app as a user would, waits until `/health` says the engine is ready and
stops it; `rows` reads the log file it wrote. No torch here: the app computes in its own
process, and nothing this module loads changes how.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # where app.py is


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class AppServer:
    url: str
    db: Path
    process: subprocess.Popen
    log: Path

    def health(self) -> dict:
        with urllib.request.urlopen(f"{self.url}/health", timeout=5) as r:
            return json.loads(r.read())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def rows(db) -> list[dict]:
    """Every row of the log at `db`, oldest first."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("select * from generations order by id")]
    finally:
        conn.close()


def start_app(tmp: Path, *args: str, wait: bool = True, env: dict[str, str] | None = None) -> AppServer:
    """`python app.py` with its own log database; waits until /health says the engine is ready."""
    port = free_port()
    db = tmp / "lora_land.db"
    log = tmp / "app.log"
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1",
           **(env or {})}
    process = subprocess.Popen(
        [sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(port), "--db", str(db), *args],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    server = AppServer(f"http://127.0.0.1:{port}", db, process, log)
    deadline = time.time() + 120
    while wait:
        if process.poll() is not None:
            raise RuntimeError(f"app.py exited with {process.returncode}:\n{log.read_text()}")
        try:
            if server.health().get("status") == "ok":
                break
        except urllib.error.HTTPError as exc:  # 503: loading, or the model is not available
            if json.loads(exc.read()).get("status") == "error":
                server.stop()
                raise RuntimeError(f"app.py cannot serve:\n{log.read_text()}") from None
        except OSError:
            pass
        if time.time() > deadline:
            server.stop()
            raise RuntimeError(f"app.py did not become ready:\n{log.read_text()}")
        time.sleep(0.25)
    return server
