"""`--soak SECONDS`: a running app under mixed page and API traffic for a fixed time, then its log checked.

A bounded number of clients, each one user with a page session of its own, send requests
in turn until the time is up: the page's Compare and Chat (through gradio_client, as a
browser's events reach them; each client's chat is one conversation that goes on until
its old turns no longer fit) and the API's completions and chat completions, plain and
streamed, over a few adapters and the base. It reports requests sent, answered and failed
(by HTTP status or exception), p50/p95 latency per time bucket and in total, the server's
resident memory along the way, and then checks the log: every answered request has
exactly one row with a final status, none left `incomplete`.

It starts `python app.py` (demo profile, a fresh log in a temporary folder) unless given
the URL of a running app; then the log check needs that app's log file and the memory
figures its process id. Not a test: nothing here asserts a number.
"""

from __future__ import annotations

import itertools
import re
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from lora_land.bench.app import ONE_FIELD, TIMEOUT_S, api_call, api_key, page_chat, page_compare
from lora_land.bench.measure import percentile, rss_bytes
from lora_land.bench.server import rows, start_app

KINDS = ("page compare", "page chat", "api completion", "api completion stream", "api chat", "api chat stream")
API_MODELS = ["base"] + ONE_FIELD[:4]  # five, as ONE_FIELD: prime to the six kinds, so each kind meets each one
MARK = re.compile(r"soak (\d+):")  # every request's text carries its number, which finds its row in the log


@dataclass
class Sent:
    """One request of the soak: what it was, when it was sent (seconds into the soak), how it ended."""

    n: int
    kind: str
    adapter: str
    sent: float
    seconds: float = 0.0
    error: str | None = None  # None: answered


def error_kind(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if response is not None and hasattr(response, "status_code"):
        return f"HTTP {response.status_code}"
    return type(exc).__name__


def send(n: int, page, http, new_tokens: int) -> tuple[str, str]:
    """Request number n: its kind and adapter follow from n, so every kind goes to every adapter in turn."""
    kind = KINDS[n % len(KINDS)]
    text = f"soak {n}: a wonderful film, {'quiet' if n % 2 else 'loud'} and long"
    if kind.startswith("page"):
        adapter = ONE_FIELD[n % len(ONE_FIELD)]
        if kind == "page compare":
            note, _ = page_compare(page, adapter, text, new_tokens)
        else:
            note = page_chat(page, adapter, text, new_tokens, with_base=n % 4 == 1)
        if note and "ended" in note:  # the page names a run that did not complete
            raise RuntimeError(note)
        return kind, adapter
    adapter = API_MODELS[n % len(API_MODELS)]
    body = {"model": adapter, "max_tokens": new_tokens, "ignore_eos": True, "stream": kind.endswith("stream")}
    if kind.startswith("api chat"):
        api_call(http, "chat/completions", {**body, "messages": [{"role": "user", "content": text}]})
    else:
        api_call(http, "completions", {**body, "prompt": text})
    return kind, adapter


def drive(url: str, seconds: float, users: int, new_tokens: int) -> tuple[list[Sent], float]:
    """`users` clients send requests back to back until `seconds` have passed; each finishes the one it has sent."""
    import httpx
    from gradio_client import Client

    numbers, done, lock = itertools.count(), [], threading.Lock()
    start = time.perf_counter()

    def user() -> None:
        page = Client(url, verbose=False)
        with httpx.Client(base_url=url, timeout=TIMEOUT_S, headers={"Authorization": f"Bearer {api_key()}"}) as http:
            while (now := time.perf_counter() - start) < seconds:
                n = next(numbers)
                record = Sent(n, KINDS[n % len(KINDS)], "", now)
                try:
                    record.kind, record.adapter = send(n, page, http, new_tokens)
                except Exception as exc:  # noqa: BLE001 - every failure is counted by its kind
                    record.error = error_kind(exc)
                record.seconds = time.perf_counter() - start - now
                with lock:
                    done.append(record)
        page.close()

    threads = [threading.Thread(target=user, daemon=True) for _ in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(done, key=lambda r: r.n), time.perf_counter() - start


def figures(records: list[Sent]) -> dict:
    answered = [r.seconds for r in records if r.error is None]
    return {"sent": len(records), "answered": len(answered),
            "errors": dict(Counter(r.error for r in records if r.error is not None)),
            "p50_s": percentile(answered, 0.5), "p95_s": percentile(answered, 0.95)}


def check_log(db: Path, records: list[Sent], settle_s: float = 15.0) -> dict:
    """Each answered request's row in the log at `db`, found by the number in its text.

    A row is finished just after its answer is sent, so the check waits up to `settle_s`
    for the soak's rows to leave `incomplete`.
    """
    deadline = time.monotonic() + settle_s
    while True:
        ours: dict[int, list[dict]] = defaultdict(list)
        for row in rows(db):
            found = MARK.findall(row["prompt"] or "")
            if found:  # a chat's prompt holds its conversation's earlier turns too: its own is the last
                ours[int(found[-1])].append(row)
        incomplete = [row["id"] for group in ours.values() for row in group if row["status"] == "incomplete"]
        if not incomplete or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    answered = [r.n for r in records if r.error is None]
    missing = [n for n in answered if not ours.get(n)]
    return {"rows": sum(len(g) for g in ours.values()),
            "statuses": dict(Counter(row["status"] for g in ours.values() for row in g)),
            "answered_without_row": missing,
            "answered_with_several_rows": [n for n in answered if len(ours.get(n, [])) > 1],
            "answered_not_complete": [n for n in answered
                                      if any(row["status"] != "complete" for row in ours.get(n, []))],
            "incomplete_rows": incomplete,
            "rows_lost": len(missing) + len(incomplete)}


def soak(seconds: float, users: int = 8, url: str | None = None, db: str | Path | None = None,
         pid: int | None = None, new_tokens: int = 16) -> dict:
    """The soak against the app at `url`, or against a `python app.py` it starts and stops (with its own log)."""
    with tempfile.TemporaryDirectory(prefix="lora-land-soak-") as tmp:
        server = None
        if url is None:
            server = start_app(Path(tmp))
            url, db, pid = server.url, server.db, server.process.pid
        try:
            return soak_running(url, seconds, users, db, pid, new_tokens, started=server is not None)
        finally:
            if server is not None:
                server.stop()


def soak_running(url: str, seconds: float, users: int, db, pid, new_tokens: int, started: bool) -> dict:
    bucket = 60.0 if seconds >= 120 else 10.0
    memory: list[tuple[float, int]] = []  # (seconds into the soak, the server's RSS in bytes)
    stop = threading.Event()

    def sample() -> None:
        begun = time.perf_counter()
        while not stop.is_set():
            memory.append((time.perf_counter() - begun, rss_bytes(pid)))
            stop.wait(1.0)

    sampler = threading.Thread(target=sample, daemon=True)
    if pid is not None:
        sampler.start()
    try:
        records, wall = drive(url, seconds, users, new_tokens)
    finally:
        stop.set()
        if pid is not None:
            sampler.join()
    buckets = []
    for i in range(int(-(-seconds // bucket))):
        lo, hi = i * bucket, min(seconds, (i + 1) * bucket)
        rss = [b for t, b in memory if lo <= t < hi]
        buckets.append({"from_s": lo, "to_s": hi, **figures([r for r in records if lo <= r.sent < hi]),
                        "rss_MB": rss[-1] / 2**20 if rss else None})
    report = {"url": url, "app_started_here": started, "seconds": seconds, "wall_s": wall, "users": users,
              "new_tokens": new_tokens, "kinds": list(KINDS), "api_models": API_MODELS, "page_adapters": ONE_FIELD,
              "bucket_s": bucket, "buckets": buckets, "total": figures(records),
              "by_kind": {k: figures([r for r in records if r.kind == k]) for k in KINDS},
              "rss_start_MB": memory[0][1] / 2**20 if memory else None,
              "rss_end_MB": memory[-1][1] / 2**20 if memory else None,
              "log": check_log(Path(db), records) if db is not None else None,
              "requests": [asdict(r) for r in records]}
    return report


def print_soak(report: dict) -> None:
    print(f"\nsoak: {report['seconds']:.0f} s ({report['wall_s']:.0f} s with the last answers), {report['users']} "
          f"clients, {report['new_tokens']} new tokens, against {report['url']}")
    print(f"{'seconds':<12} {'sent':>6} {'answered':>9} {'errors':>7} {'p50 s':>7} {'p95 s':>7} {'RSS MB':>8}")

    def line(label: str, f: dict, rss) -> None:
        rss_text = f"{rss:.0f}" if rss is not None else "-"
        print(f"{label:<12} {f['sent']:>6} {f['answered']:>9} {sum(f['errors'].values()):>7} {f['p50_s']:>7.2f} "
              f"{f['p95_s']:>7.2f} {rss_text:>8}")

    for b in report["buckets"]:
        line(f"{b['from_s']:.0f}-{b['to_s']:.0f}", b, b["rss_MB"])
    line("total", report["total"], report["rss_end_MB"])
    for kind, f in report["by_kind"].items():
        print(f"  {kind:<22} sent {f['sent']:>5}, answered {f['answered']:>5}, p50 {f['p50_s']:.2f} s, "
              f"p95 {f['p95_s']:.2f} s")
    errors = report["total"]["errors"]
    print("errors: " + (", ".join(f"{k} x{v}" for k, v in sorted(errors.items())) if errors else "none"))
    if report["rss_start_MB"] is not None:
        print(f"server RSS: {report['rss_start_MB']:.0f} MB at the start, {report['rss_end_MB']:.0f} MB at the end")
    log = report["log"]
    if log is None:
        print("log: not checked (give --db with --app)")
    else:
        print(f"log: {log['rows']} rows {log['statuses']}; answered without a row {len(log['answered_without_row'])}, "
              f"with several {len(log['answered_with_several_rows'])}, not complete "
              f"{len(log['answered_not_complete'])}; rows lost {log['rows_lost']}")
