"""The log's schema, as numbered migrations recorded in the `_migrations` table (the pattern of simonw/llm).

`migrate(db)` applies, in order, the migrations a database has not had yet, each in its
own transaction; `now()` is the log's timestamp (ISO 8601, UTC, milliseconds). This module
knows the table's columns and nothing else: the store (store.py) opens the file, holds the
lock and writes the rows.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

import sqlite_utils

TABLE = "generations"

MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = []


def migration(fn: Callable[[sqlite_utils.Database], None]) -> Callable[[sqlite_utils.Database], None]:
    MIGRATIONS.append(fn)
    return fn


@migration
def m001_generations(db: sqlite_utils.Database) -> None:
    db[TABLE].create(
        {
            "id": int,
            "created": str,  # ISO 8601, UTC: when the request was accepted
            "finished": str,  # when it ended; NULL while incomplete
            "source": str,  # "page" or "api"
            "kind": str,  # "compare", "chat" or "completion"
            "adapter": str,  # the task adapter, or "base"
            "fields": str,  # JSON: the template's field values (or the chat messages)
            "prompt": str,  # the rendered prompt the model read
            "output": str,  # the adapter's answer
            "base_output": str,  # the base model's answer to the same prompt; NULL if not run
            "params": str,  # JSON: the sampling parameters
            "status": str,  # one of store.STATUSES
            "error": str,
            "tokens_in": int,
            "queue_seconds": float,
            "finish_reason": str,
            "tokens_out": int,
            "ttft": float,  # seconds from acceptance to the first token
            "total_seconds": float,
            "tokens_per_second": float,
            "base_finish_reason": str,
            "base_tokens_out": int,
            "base_ttft": float,
            "base_total_seconds": float,
            "base_tokens_per_second": float,
            "vote": str,  # one of store.VOTES, or NULL
        },
        pk="id",
    )
    db[TABLE].create_index(["created"])
    db[TABLE].create_index(["adapter", "status"])


@migration
def m002_search(db: sqlite_utils.Database) -> None:
    db[TABLE].enable_fts(["prompt", "output", "base_output"], create_triggers=True, tokenize="porter")


@migration
def m003_batching(db: sqlite_utils.Database) -> None:
    # How many rows the engine's batch held at most while this request ran, and when the vote came.
    db[TABLE].add_column("batch_peak", int)
    db[TABLE].add_column("voted", str)


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply the migrations this database has not had yet; return their names."""
    db["_migrations"].create({"name": str, "applied": str}, pk="name", if_not_exists=True)
    done = {row["name"] for row in db["_migrations"].rows}
    applied = []
    for fn in MIGRATIONS:
        if fn.__name__ in done:
            continue
        with db.conn:
            fn(db)
            db["_migrations"].insert({"name": fn.__name__, "applied": now()})
        applied.append(fn.__name__)
    return applied


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")

