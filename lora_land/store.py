"""The log: every generation in SQLite, the base model's answer beside the adapter's.

One row per request, from the page or the API. The row is written when the request is
accepted (status "incomplete") and completed when it ends ("complete", "error",
"cancelled"), so a crash mid-answer leaves an incomplete row, never a missing one.

A log that cannot be written (another program holds its write lock past `BUSY_SECONDS`,
the file or its disk is read-only, the disk is full) raises `LogUnavailable` from `begin`,
so the request is refused rather than run unrecorded; a row that was already accepted
keeps its completion in memory and writes it as soon as the file takes writes again.

The file is plain SQLite in WAL mode, made and read through sqlite-utils; it opens as-is
in `sqlite-utils` and `datasette`. The schema is versioned by numbered migrations
(migrations.py); exports are export.py's and the summaries stats.py's, run from here
under the store's lock (their names are importable from here too).

The store knows nothing of Gradio, HTTP or tensors: it takes and gives plain values.
"""

from __future__ import annotations

import io
import json
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import sqlite_utils

from lora_land import stats
from lora_land.export import FORMULA_STARTS, spreadsheet_safe, write_rows
from lora_land.migrations import MIGRATIONS, TABLE, migrate, now
from lora_land.stats import percentile

__all__ = [
    "BUSY_SECONDS", "FORMULA_STARTS", "MIGRATIONS", "RETRY_SECONDS", "SOURCES", "STATUSES", "TABLE", "VOTES",
    "LogUnavailable", "Store", "migrate", "now", "percentile", "spreadsheet_safe", "unwritable",
]

log = logging.getLogger(__name__)
STATUSES = ("incomplete", "complete", "error", "cancelled")
VOTES = ("fine-tuned", "base", "tie", "both-bad")
SOURCES = ("page", "api")
# The per-side figures a finished request fills in, as (column suffix, Completion field).
SIDE_FIGURES = (
    ("finish_reason", "finish_reason"),
    ("tokens_out", "tokens_out"),
    ("ttft", "time_to_first_token"),
    ("total_seconds", "total_seconds"),
    ("tokens_per_second", "tokens_per_second"),
)

BUSY_SECONDS = 5.0  # the longest one write waits for the file (another program's lock) before giving up
RETRY_SECONDS = 1.0  # how often completions kept in memory try the file again


class LogUnavailable(Exception):
    """The log file cannot be written now; the message says why in words (locked, read-only, disk full)."""


def unwritable(exc: sqlite3.OperationalError, path: str) -> str:
    """Why SQLite could not write the log, as its operator would put it."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return f"the log {path} is locked by another program"
    if "full" in text:
        return f"the disk holding the log {path} is full"
    if "readonly" in text or not _writable(path):
        return f"the log {path} is read-only"
    return f"the log {path} cannot be written: {text}"


def _writable(path: str) -> bool:
    """Whether this process may write the file and create its -wal and -shm files beside it."""
    if path == ":memory:":
        return True
    file = Path(path)
    return os.access(file.parent, os.W_OK) and (not file.exists() or os.access(file, os.W_OK))


class Store:
    """The generations log. Thread-safe: every call takes one lock around one connection."""

    def __init__(self, path: str | Path = ":memory:"):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(self.path, check_same_thread=False, timeout=BUSY_SECONDS)
        except sqlite3.OperationalError as exc:
            raise LogUnavailable(unwritable(exc, self.path)) from None
        self.db = sqlite_utils.Database(conn)
        self.lock = threading.Lock()
        self.problem: str | None = None  # why the last write failed; None once a write succeeds
        self.pending: dict[int, dict] = {}  # row id -> the completion that waits for the file to take writes
        self._pending_lock = threading.Lock()
        self._retrying: threading.Thread | None = None
        self.failed_at = 0.0  # time.monotonic() of the last failed write
        with self.lock:
            try:
                if self.path != ":memory:":
                    self.db.enable_wal()
                migrate(self.db)
                if conn.in_transaction:
                    conn.commit()
                conn.execute("begin immediate")  # can this process write here at all?
                conn.execute("rollback")
            except sqlite3.OperationalError as exc:  # a log that cannot be written is no log: say so at start
                conn.close()
                raise LogUnavailable(unwritable(exc, self.path)) from None
            self.table = self.db[TABLE]
            self.columns = list(self.table.columns_dict)

    def _write(self, fn: Callable[[], Any], *, wait: bool = True, last_chance: bool = False) -> Any:
        """`fn()` in one transaction, after any completions kept in memory; raise LogUnavailable if the file refuses.

        `wait=False` is for writes worth skipping rather than waiting for: it gives up at
        once when another thread or program holds the log. `last_chance=True` (closing) waits
        the full BUSY_SECONDS even while the file has just refused a write.
        """
        if not self.lock.acquire(timeout=BUSY_SECONDS if wait else 0):
            raise LogUnavailable(self.problem or f"the log {self.path} is busy")
        try:
            # While the file has just refused a write, try it once instead of waiting again:
            # each request during an outage is answered at once, not after BUSY_SECONDS more.
            patient = last_chance or (wait and (self.problem is None
                                                or time.monotonic() - self.failed_at > BUSY_SECONDS))
            if not patient:
                self.db.conn.execute("pragma busy_timeout = 0")
            try:
                self._flush()
                result = self._transaction(fn)
            except sqlite3.OperationalError as exc:
                problem = unwritable(exc, self.path)
                # A write that did not wait and found another writer proves no outage: only a write
                # that waited, or one during an outage already known, marks (and extends) it.
                if patient or self.problem is not None:
                    self.problem, self.failed_at = problem, time.monotonic()
                raise LogUnavailable(problem) from None
            finally:
                if not patient:
                    self.db.conn.execute(f"pragma busy_timeout = {int(BUSY_SECONDS * 1000)}")
            if self.problem is not None:
                log.info("the log %s takes writes again", self.path)
                self.problem = None
            return result
        finally:
            self.lock.release()

    def _transaction(self, fn: Callable[[], Any]) -> Any:
        """`fn()` in one transaction that holds the write lock from its start (the caller holds `self.lock`).

        A deferred transaction would read first and ask for the write lock later; in WAL mode
        SQLite refuses that upgrade at once, without waiting, when another connection wrote in
        between. Taking the lock first makes a write wait its turn behind other writers
        (up to the busy timeout) instead.
        """
        conn = self.db.conn
        conn.execute("begin immediate")
        try:
            with conn:  # commit, or roll back on any error
                return fn()
        finally:
            if conn.in_transaction:  # a commit the file refused (a full disk) is never left open
                conn.rollback()

    def _flush(self) -> None:
        """Write the completions kept in memory (the caller holds the lock)."""
        with self._pending_lock:
            waiting = list(self.pending.items())
        for row_id, update in waiting:
            self._transaction(lambda: self.table.update(row_id, update))  # noqa: B023 (run at once)
            with self._pending_lock:
                self.pending.pop(row_id, None)
        if waiting:
            log.info("the log %s: %d completion(s) kept in memory are written", self.path, len(waiting))

    def _keep(self, row_id: int, update: dict) -> None:
        """Keep a completion the file refused; a thread tries the file again every RETRY_SECONDS until it is written."""
        with self._pending_lock:
            self.pending[row_id] = update
            if self._retrying is not None and self._retrying.is_alive():
                return
            self._retrying = threading.Thread(target=self._retry, name="log-retry", daemon=True)
            self._retrying.start()

    def _retry(self) -> None:
        while True:
            time.sleep(RETRY_SECONDS)
            with self._pending_lock:
                if not self.pending:
                    self._retrying = None
                    return
            try:
                self._write(lambda: None, wait=False)
            except LogUnavailable:
                continue
            except sqlite3.ProgrammingError:  # the store was closed
                return

    # --- writing ------------------------------------------------------------------

    def begin(self, *, source: str, kind: str, adapter: str, fields: dict | list, prompt: str,
              params: dict, base: bool) -> int:
        """Record an accepted request; returns its row id. The row reads "incomplete" until `finish`."""
        if source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
        row = {
            "created": now(),
            "source": source,
            "kind": kind,
            "adapter": adapter,
            "fields": _json(fields),
            "prompt": prompt,
            "output": "",
            "base_output": "" if base else None,
            "params": _json(params),
            "status": "incomplete",
        }
        return self._write(lambda: self.table.insert(row).last_pk)

    def progress(self, row_id: int, *, output: str | None = None, base_output: str | None = None) -> None:
        """Save the answers so far (an interrupted request keeps what it had); skipped while the log is busy."""
        update = {k: v for k, v in (("output", output), ("base_output", base_output)) if v is not None}
        if update:
            try:
                self._write(lambda: self.table.update(row_id, update), wait=False)
            except LogUnavailable:
                pass  # the next save, or the completion, writes it

    def finish(self, row_id: int, *, status: str, tuned: Any = None, base: Any = None, error: str | None = None,
               batch_peak: int | None = None) -> None:
        """Complete a row from the engine's Completions (`tuned` is the adapter's, `base` the base's)."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {status!r}")
        update: dict[str, Any] = {"status": status, "finished": now(), "error": error, "batch_peak": batch_peak}
        for prefix, done in (("", tuned), ("base_", base)):
            if done is None:
                continue
            update[f"{prefix}output"] = done.text
            for column, attr in SIDE_FIGURES:
                update[f"{prefix}{column}"] = getattr(done, attr)
        if tuned is not None:
            update["tokens_in"] = tuned.tokens_in
            update["queue_seconds"] = tuned.queue_seconds
        try:
            self._write(lambda: self.table.update(row_id, update))
        except LogUnavailable as exc:
            log.warning("%s: generation %s keeps its completion in memory until it can be written", exc, row_id)
            self._keep(row_id, update)

    def vote(self, row_id: int, vote: str) -> None:
        """Record which answer the person preferred; a later vote replaces an earlier one."""
        if vote not in VOTES:
            raise ValueError(f"vote must be one of {', '.join(VOTES)}; got {vote!r}")

        def record() -> None:
            try:
                row = self.table.get(row_id)
            except sqlite_utils.db.NotFoundError:
                raise ValueError(f"no generation with id {row_id}") from None
            if row["base_output"] is None:
                raise ValueError(f"generation {row_id} has no base answer to vote against")
            if row["status"] != "complete":
                raise ValueError(f"generation {row_id} is {row['status']}: vote once both answers are complete")
            self.table.update(row_id, {"vote": vote, "voted": now()})

        self._write(record)

    # --- reading ------------------------------------------------------------------

    def get(self, row_id: int) -> dict:
        with self.lock:
            return self.table.get(row_id)

    def count(self, **filters) -> int:
        where, args = _where(**filters)
        with self.lock:
            return self.table.count_where(where or None, args)

    def history(self, *, adapter: str | None = None, status: str | None = None, search: str | None = None,
                source: str | None = None, limit: int | None = 100, offset: int = 0) -> list[dict]:
        """Rows newest first, filtered by adapter, status and source, and full-text search."""
        return list(self.rows(adapter=adapter, status=status, search=search, source=source, limit=limit,
                              offset=offset))

    def rows(self, *, adapter=None, status=None, search=None, source=None, limit=None, offset=0,
             page: int = 500) -> Iterator[dict]:
        """Rows newest first, read `page` at a time so a long read never holds up the writers for long."""
        where, args = _where(adapter=adapter, status=status, source=source)
        terms = " ".join((search or "").replace('"', " ").split())  # words only: FTS syntax is not for users
        offset = offset or 0
        remaining = limit
        while remaining is None or remaining > 0:
            n = page if remaining is None else min(page, remaining)
            with self.lock:
                if terms:
                    chunk = list(self.table.search(terms, order_by="id desc", columns=self.columns,
                                                   where=where or None, where_args=args, limit=n, offset=offset,
                                                   quote=True))
                else:
                    chunk = list(self.table.rows_where(where or None, args, order_by="id desc", limit=n,
                                                       offset=offset))
            yield from chunk
            if len(chunk) < n:
                return
            offset += n
            if remaining is not None:
                remaining -= n

    def export(self, fmt: str, **filters) -> str:
        """The rows (newest first, same filters as `history`) as CSV or JSON Lines text."""
        out = io.StringIO()
        self.write_export(out, fmt, **filters)
        return out.getvalue()

    def write_export(self, out, fmt: str, **filters) -> int:
        """Write the rows as CSV or JSON Lines to a text file, a page at a time; returns how many.

        CSV is for spreadsheets, so a text cell that a spreadsheet would run as a formula gets
        a leading `'` (see `export.spreadsheet_safe`); JSON Lines keeps every text exactly as logged.
        """
        return write_rows(out, fmt, self.columns, self.rows(**filters))

    def per_adapter(self) -> list[dict]:
        """Per adapter: requests, finished ones, votes for each side, and latency percentiles."""
        with self.lock:
            counts = list(self.db.query(stats.PER_ADAPTER))
            latencies = list(self.db.query(stats.LATENCIES))
        return stats.per_adapter(counts, latencies)

    def timeline(self, bucket_seconds: int = 60) -> list[dict]:
        """Finished requests per time bucket: count, tokens per second across the bucket, mean and p95 latency."""
        with self.lock:
            rows = list(self.db.query(stats.FINISHED))
        return stats.timeline(rows, bucket_seconds)

    def close(self) -> None:
        """Write what is kept in memory, if the file takes it, and close; what it refuses is logged as lost."""
        try:
            self._write(lambda: None, last_chance=True)
        except sqlite3.ProgrammingError:  # closed already
            return
        except LogUnavailable as exc:
            log.error("%s: %d completion(s) kept in memory are lost (their rows stay incomplete)", exc,
                      len(self.pending))
        with self.lock:
            self.db.conn.close()


def _json(value) -> str:
    """JSON as people read it; text that UTF-8 cannot hold (a lone surrogate) is escaped instead."""
    text = json.dumps(value, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(value)
    return text


def _where(*, adapter=None, status=None, source=None) -> tuple[str, dict]:
    clauses, args = [], {}
    for column, value in (("adapter", adapter), ("status", status), ("source", source)):
        if value:
            clauses.append(f"[{column}] = :{column}")
            args[column] = value
    return " and ".join(clauses), args
