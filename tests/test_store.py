"""The log: migrations, the row's life from accepted to finished, votes, search, export, stats."""

import csv
import io
import json
import sqlite3
import subprocess
import sys
import threading
from types import SimpleNamespace

import pytest

from lora_land import store as store_module
from lora_land.store import MIGRATIONS, Store, migrate, percentile, spreadsheet_safe

EXPECTED_COLUMNS = {
    "id": "INTEGER", "created": "TEXT", "finished": "TEXT", "source": "TEXT", "kind": "TEXT", "adapter": "TEXT",
    "fields": "TEXT", "prompt": "TEXT", "output": "TEXT", "base_output": "TEXT", "params": "TEXT", "status": "TEXT",
    "error": "TEXT", "tokens_in": "INTEGER", "queue_seconds": "REAL", "finish_reason": "TEXT",
    "tokens_out": "INTEGER", "ttft": "REAL", "total_seconds": "REAL", "tokens_per_second": "REAL",
    "base_finish_reason": "TEXT", "base_tokens_out": "INTEGER", "base_ttft": "REAL",
    "base_total_seconds": "REAL", "base_tokens_per_second": "REAL", "vote": "TEXT", "batch_peak": "INTEGER",
    "voted": "TEXT",
}


def done(text, reason="eos", tokens_out=3, total=0.5):
    return SimpleNamespace(text=text, finish_reason=reason, tokens_in=10, tokens_out=tokens_out,
                           time_to_first_token=0.1, total_seconds=total, tokens_per_second=tokens_out / total,
                           queue_seconds=0.01)


def begin(store, adapter="glue_sst2", prompt="Is this good? yes", base=True, source="page"):
    return store.begin(source=source, kind="compare", adapter=adapter, fields={"sentence": "yes"}, prompt=prompt,
                       params={"max_new_tokens": 4}, base=base)


def test_a_fresh_database_has_exactly_the_expected_columns(tmp_path):
    store = Store(tmp_path / "log.db")
    assert {c.name: c.type for c in store.db["generations"].columns} == EXPECTED_COLUMNS
    assert [r["name"] for r in store.db["_migrations"].rows] == [m.__name__ for m in MIGRATIONS]
    assert store.db.journal_mode == "wal"


def test_migrations_apply_once_and_resume_where_a_database_left_off(tmp_path):
    path = tmp_path / "log.db"
    import sqlite_utils

    db = sqlite_utils.Database(path)
    db["_migrations"].create({"name": str, "applied": str}, pk="name")
    MIGRATIONS[0](db)  # a database made by the first release
    db["_migrations"].insert({"name": MIGRATIONS[0].__name__, "applied": "then"})
    db["generations"].insert({"adapter": "glue_sst2", "prompt": "kept", "status": "complete"})
    assert migrate(db) == [m.__name__ for m in MIGRATIONS[1:]]
    assert migrate(db) == []
    assert {c.name for c in db["generations"].columns} == set(EXPECTED_COLUMNS)
    store = Store(path)
    assert store.history(search="kept")[0]["prompt"] == "kept"  # rows from before the search index are found


def test_a_row_is_incomplete_from_acceptance_until_it_finishes(tmp_path):
    store = Store(tmp_path / "log.db")
    row_id = begin(store)
    row = store.get(row_id)
    assert row["status"] == "incomplete" and row["finished"] is None and row["base_output"] == ""
    store.progress(row_id, output="par", base_output="The")
    store.finish(row_id, status="complete", tuned=done(" 1"), base=done("The following", "length", 4),
                 batch_peak=2)
    row = store.get(row_id)
    assert row["status"] == "complete" and row["finished"] >= row["created"]
    assert (row["output"], row["base_output"]) == (" 1", "The following")
    assert (row["finish_reason"], row["base_finish_reason"]) == ("eos", "length")
    assert (row["tokens_in"], row["tokens_out"], row["base_tokens_out"], row["batch_peak"]) == (10, 3, 4, 2)
    assert json.loads(row["fields"]) == {"sentence": "yes"}


def test_a_crashed_process_leaves_an_incomplete_row_with_what_it_had(tmp_path):
    path = tmp_path / "log.db"
    code = (
        "from lora_land.store import Store; import os\n"
        f"s = Store({str(path)!r})\n"
        "i = s.begin(source='api', kind='completion', adapter='conllpp', fields={}, prompt='p', params={}, base=True)\n"
        "s.progress(i, output='half an ans')\n"
        "os._exit(9)\n"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 9
    rows = Store(path).history()
    assert len(rows) == 1
    assert rows[0]["status"] == "incomplete" and rows[0]["output"] == "half an ans"


def test_votes_are_checked(tmp_path):
    store = Store(tmp_path / "log.db")
    row_id = begin(store)
    with pytest.raises(ValueError, match="is incomplete: vote once both answers are complete"):
        store.vote(row_id, "tie")
    store.finish(row_id, status="complete", tuned=done("1"), base=done("0"))
    store.vote(row_id, "tie")
    store.vote(row_id, "fine-tuned")
    assert store.get(row_id)["vote"] == "fine-tuned" and store.get(row_id)["voted"]
    with pytest.raises(ValueError, match="vote must be one of"):
        store.vote(row_id, "mine")
    with pytest.raises(ValueError, match="no generation with id 999"):
        store.vote(999, "tie")
    solo = begin(store, adapter="base", base=False)
    with pytest.raises(ValueError, match="no base answer"):
        store.vote(solo, "tie")


def test_bad_statuses_and_sources_are_refused(tmp_path):
    store = Store(tmp_path / "log.db")
    with pytest.raises(ValueError, match="source"):
        begin(store, source="email")
    with pytest.raises(ValueError, match="status"):
        store.finish(begin(store), status="great")


def test_history_is_newest_first_with_filters_and_full_text_search(tmp_path):
    store = Store(tmp_path / "log.db")
    a = begin(store, adapter="glue_sst2", prompt="the film was wonderful")
    b = begin(store, adapter="conllpp", prompt="EU rejects German call")
    c = begin(store, adapter="glue_sst2", prompt="a dull film")
    store.finish(a, status="complete", tuned=done("1"), base=done("maybe"))
    store.finish(b, status="cancelled", tuned=done("{'person'", "cancelled"), base=done("", "cancelled"))
    assert [r["id"] for r in store.history()] == [c, b, a]
    assert [r["id"] for r in store.history(adapter="glue_sst2")] == [c, a]
    assert [r["id"] for r in store.history(status="cancelled")] == [b]
    assert [r["id"] for r in store.history(search="films")] == [c, a]  # porter stemming
    assert [r["id"] for r in store.history(search="maybe")] == [a]  # answers are searched too
    assert [r["id"] for r in store.history(search="film", adapter="glue_sst2", status="complete")] == [a]
    assert store.history(search='"unbalanced (quote') == []  # search syntax is quoted, never an error
    assert [r["id"] for r in store.history(search='"')] == [c, b, a]  # nothing to search for: everything
    assert [r["id"] for r in store.history(search='"film" NOT "dull"')] == []  # words, not operators
    assert [r["id"] for r in store.rows(page=1)] == [c, b, a]  # read a page at a time
    assert store.count(adapter="glue_sst2") == 2
    assert [r["id"] for r in store.history(limit=1, offset=1)] == [b]


def test_export_csv_and_jsonl(tmp_path):
    store = Store(tmp_path / "log.db")
    row_id = begin(store, prompt='line one\nline "two", with comma')
    store.finish(row_id, status="complete", tuned=done("1"), base=done("0"))
    rows = list(csv.DictReader(io.StringIO(store.export("csv"))))
    assert rows[0]["prompt"] == 'line one\nline "two", with comma' and rows[0]["status"] == "complete"
    assert set(rows[0]) == set(EXPECTED_COLUMNS)
    lines = store.export("jsonl").splitlines()
    assert json.loads(lines[0])["output"] == "1"
    assert store.export("jsonl", adapter="conllpp") == ""
    searched = list(csv.DictReader(io.StringIO(store.export("csv", search="comma"))))
    assert [r["id"] for r in searched] == [str(row_id)] and set(searched[0]) == set(EXPECTED_COLUMNS)
    with pytest.raises(ValueError, match="csv"):
        store.export("xml")


FORMULAS = ["=HYPERLINK(\"http://x\",\"click\")", "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("text", FORMULAS)
def test_a_csv_export_shows_formula_like_text_as_text(tmp_path, text):
    """OWASP's CSV injection advice: a cell a spreadsheet would run as a formula starts with a `'`."""
    store = Store(tmp_path / "log.db")
    row_id = begin(store, prompt=text)
    store.finish(row_id, status="complete", tuned=done(text), base=done("0.5"), error=text)
    (row,) = csv.DictReader(io.StringIO(store.export("csv")))
    assert row["prompt"] == row["output"] == row["error"] == "'" + text
    assert row["base_output"] == "0.5" and row["tokens_out"] == "3" and row["id"] == str(row_id)
    assert json.loads(store.export("jsonl"))["prompt"] == text  # JSON Lines keeps the text as logged


def test_csv_cells_that_cannot_run_pass_unchanged():
    for value in ("a = b", "1-2", "", None, -3, -0.5, "'=quoted already"):
        assert spreadsheet_safe(value) == value


def test_per_adapter_stats_and_timeline(tmp_path):
    store = Store(tmp_path / "log.db")
    for i, total in enumerate([0.1, 0.2, 0.3, 0.4, 1.0]):
        row_id = begin(store)
        store.finish(row_id, status="complete", tuned=done("1", total=total), base=done("x"))
        store.vote(row_id, "fine-tuned" if i < 3 else "base")
    store.finish(begin(store, adapter="conllpp"), status="error", error="boom")
    stats = {r["adapter"]: r for r in store.per_adapter()}
    sst2 = stats["glue_sst2"]
    assert (sst2["requests"], sst2["complete"], sst2["fine_tuned_won"], sst2["base_won"]) == (5, 5, 3, 2)
    assert (sst2["p50_seconds"], sst2["p95_seconds"]) == (0.3, 1.0)
    assert stats["conllpp"]["errors"] == 1 and stats["conllpp"]["p50_seconds"] is None
    timeline = store.timeline(3600)
    assert sum(b["requests"] for b in timeline) == 5
    for row_id, when in zip(range(1, 6), ["00:00:30", "00:02:30", "00:02:31", "00:02:32", "00:02:33"]):
        store.table.update(row_id, {"finished": f"2020-01-01T{when}+00:00"})
    assert [b["requests"] for b in store.timeline(60)] == [1, 0, 4]  # an idle minute shows as zero


def test_percentile_nearest_rank():
    assert percentile([], 50) is None
    assert percentile([1.0], 99) == 1.0
    assert percentile([1, 2, 3, 4], 50) == 2
    assert percentile(list(range(1, 101)), 95) == 95


def test_the_file_opens_as_plain_sqlite(tmp_path):
    path = tmp_path / "log.db"
    store = Store(path)
    store.finish(begin(store), status="complete", tuned=done("1"), base=done("0"))
    conn = sqlite3.connect(path)
    assert conn.execute("select adapter, status, output from generations").fetchall() == [("glue_sst2", "complete", "1")]
    assert conn.execute("select count(*) from generations_fts where generations_fts match 'good'").fetchone() == (1,)


def test_text_utf8_cannot_hold_is_escaped_not_lost(tmp_path):
    store = Store(tmp_path / "log.db")
    row_id = store.begin(source="api", kind="chat", adapter="base", fields=[{"content": "half \ud800 שלום"}],
                         prompt="p", params={"stop": ["\udfff"]}, base=False)
    row = store.get(row_id)
    assert json.loads(row["fields"]) == [{"content": "half \ud800 שלום"}]
    assert json.loads(row["params"]) == {"stop": ["\udfff"]}
    other = store.begin(source="api", kind="chat", adapter="base", fields={"a": "שלום"}, prompt="p", params={},
                        base=False)
    assert "שלום" in store.get(other)["fields"]  # readable where it can be


def test_the_sqlite_utils_command_reads_and_searches_the_log(tmp_path):
    path = tmp_path / "log.db"
    store = Store(path)
    store.finish(begin(store, prompt="Maria Jensen , a British striker"), status="complete", tuned=done("1"),
                 base=done("0"))
    store.close()
    cli = [sys.executable, "-m", "sqlite_utils"]
    tables = subprocess.run([*cli, "tables", str(path), "--counts"], capture_output=True, text=True, check=True)
    assert {"table": "generations", "count": 1} in json.loads(tables.stdout)
    found = subprocess.run([*cli, "search", str(path), "generations", "striker"], capture_output=True, text=True,
                           check=True)
    assert json.loads(found.stdout)[0]["prompt"] == "Maria Jensen , a British striker"


def test_two_programs_writing_one_log_wait_their_turn(tmp_path):
    """Two apps (or the app and a script) on one log file, each accepting and finishing requests at once:
    every write waits for the other's to end; none is refused as 'locked' and every row ends complete."""
    path = tmp_path / "log.db"
    stores = [Store(path), Store(path)]
    refused: list[str] = []

    def serve(store):
        for i in range(150):
            try:
                row_id = begin(store, prompt=f"request {i}")
                store.progress(row_id, output="so far")
                store.finish(row_id, status="complete", tuned=done("yes"), base=done("no"))
            except Exception as exc:  # noqa: BLE001 (any refusal is the failure shown)
                refused.append(repr(exc))

    threads = [threading.Thread(target=serve, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for store in stores:
        assert not store.pending
        store.close()
    assert refused == []
    reader = Store(path)
    assert reader.count() == 300 and reader.count(status="complete") == 300
    reader.close()


def test_closing_waits_for_the_file_to_write_the_completions_it_kept(tmp_path, monkeypatch):
    """A completion the locked file refused is kept in memory; the app closes just before the lock is let go.
    Closing waits for the file (as a write does) instead of giving up at once, and the completion is written."""
    monkeypatch.setattr(store_module, "BUSY_SECONDS", 1.0)
    monkeypatch.setattr(store_module, "RETRY_SECONDS", 60.0)  # only closing may write it
    path = tmp_path / "log.db"
    store = Store(path)
    row_id = begin(store)
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("begin exclusive")
    store.finish(row_id, status="complete", tuned=done("yes"), base=done("no"))  # refused after 1 s: kept
    assert row_id in store.pending
    threading.Timer(0.3, holder.close).start()  # the other program lets go while the app closes
    store.close()
    reader = Store(path)
    assert reader.get(row_id)["status"] == "complete" and reader.get(row_id)["output"] == "yes"
    reader.close()


def test_a_commit_the_file_refuses_leaves_the_log_writable(tmp_path):
    """SQLite refuses a commit (here a deferred constraint, as a full disk refuses one): the write fails and its
    transaction is rolled back, so the next request's row is written instead of meeting a transaction left open."""
    store = Store(tmp_path / "log.db")
    conn = store.db.conn
    conn.execute("pragma foreign_keys = on")
    conn.execute("create table parent (id integer primary key)")
    conn.execute("create table child (parent integer references parent(id) deferrable initially deferred)")
    with pytest.raises(sqlite3.IntegrityError):
        store._write(lambda: conn.execute("insert into child values (7)"))  # refused only at commit
    assert not conn.in_transaction
    assert conn.execute("select count(*) from child").fetchone()[0] == 0
    row_id = begin(store)
    store.finish(row_id, status="complete", tuned=done("yes"), base=done("no"))
    store.close()
    reader = Store(tmp_path / "log.db")
    assert reader.get(row_id)["status"] == "complete" and reader.get(row_id)["output"] == "yes"
    reader.close()
