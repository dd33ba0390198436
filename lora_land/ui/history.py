"""The History tab: the log, newest first, with filters, full-text search and an export.

A table of the latest runs (page and API alike) filtered by adapter and status or
searched by words; a click on a row shows its whole record, prompt and both answers;
Export writes the filtered log as CSV or JSON Lines for download.

It reads the log through the service's store and never writes to it.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import gradio as gr

from lora_land.service import BASE
from lora_land.store import STATUSES
from lora_land.ui.context import VOTE_LABELS, PageContext, _plural, _refusing, _round, _text

HISTORY_LIMIT = 200
EXPORT_KEEP_SECONDS = 3600  # exports older than this are removed, and Gradio's copies of them (page.py)


class HistoryTab:
    """The History tab's handlers, and `build`, which lays it out inside the open gr.Tab."""

    def __init__(self, context: PageContext):
        self.context, self.service = context, context.service
        self.export_dir = Path(tempfile.mkdtemp(prefix="lora-land-exports-"))

    def history(self, adapter: str, status: str, search: str):
        """The table: the latest runs that pass the filters, and how many that is."""
        rows = self.service.store.history(adapter=_none(adapter), status=_none(status), search=search or None,
                                          limit=HISTORY_LIMIT)
        table = [[r["id"], r["created"][:19].replace("T", " "), r["source"], r["kind"], r["adapter"], r["status"],
                  _clip(r["output"]), _clip(r["base_output"]), r["vote"] or "", _round(r["ttft"]),
                  _round(r["total_seconds"]), _clip(r["prompt"][-160:].strip(), 80)] for r in rows]
        total = self.service.store.count(adapter=_none(adapter), status=_none(status))
        shown = f"{len(rows)} shown" + (" (search)" if search else f" of {total}")
        return table, shown

    def row_detail(self, table, event: gr.SelectData):
        """A row's record: what ran and how, then its prompt and both answers side by side."""
        try:
            row_id = int(table.iloc[event.index[0], 0]) if hasattr(table, "iloc") else int(table[event.index[0]][0])
            row = self.service.store.get(row_id)
        except Exception:
            return "That row is no longer in the log.", "", "", ""
        try:
            params = ", ".join(f"{k} {v}" for k, v in json.loads(row["params"] or "{}").items())
        except (TypeError, ValueError):
            params = row["params"] or ""
        when = (row["created"] or "")[:19].replace("T", " ")
        vote = f" · vote: {VOTE_LABELS.get(row['vote'], row['vote'])}" if row["vote"] else ""
        lines = [f"**#{row['id']}** · {when} UTC · {row['source']} · {row['kind']} · "
                 f"**{_text(row['adapter'])}** · {row['status']}{vote}",
                 f"fine-tuned: {_plural(row['tokens_out'] or 0, 'token')} ({row['finish_reason'] or '–'}), "
                 f"first token {_seconds(row['ttft'])}, total {_seconds(row['total_seconds'])} · base: "
                 f"{_plural(row['base_tokens_out'] or 0, 'token')} ({row['base_finish_reason'] or '–'}), "
                 f"total {_seconds(row['base_total_seconds'])} · prompt {_plural(row['tokens_in'] or 0, 'token')}, "
                 f"batch of {_plural(row['batch_peak'] or 0, 'row')} · {_text(params)}"]
        if row["error"]:
            lines.append(f"⚠ {_text(row['error'])}")
        return "\n\n".join(lines), row["prompt"] or "", row["output"] or "", row["base_output"] or ""

    def export(self, fmt: str, adapter: str, status: str, search: str) -> str:
        """The filtered log as a file to download; exports older than an hour are removed."""
        for old in self.export_dir.glob("*/*"):
            if time.time() - old.stat().st_mtime > EXPORT_KEEP_SECONDS:
                old.unlink(missing_ok=True)
                old.parent.rmdir()
        folder = Path(tempfile.mkdtemp(dir=self.export_dir))  # one folder each: the file keeps a plain name
        path = folder / f"lora-land-history-{time.strftime('%Y%m%d-%H%M%S')}.{fmt}"
        try:
            with path.open("w", encoding="utf-8", newline="") as out:
                self.service.store.write_export(out, fmt, adapter=_none(adapter), status=_none(status),
                                                search=search or None)
        except ValueError as exc:
            raise gr.Error(str(exc)) from None
        return str(path)

    def build(self, tab: gr.Tab) -> None:
        names = [BASE, *self.context.tasks]
        with gr.Row(equal_height=True):
            adapter = _refusing(gr.Dropdown(["All", *names], value="All", label="Adapter"))
            status = _refusing(gr.Dropdown(["All", *STATUSES], value="All", label="Status"))
            search = gr.Textbox(label="Search prompts and answers", placeholder="words to find", scale=2,
                                elem_id="history-search")
            refresh = gr.Button("Refresh", scale=0, min_width=100, elem_id="history-refresh")
        shown = gr.Markdown(elem_id="history-count")
        table = gr.Dataframe(headers=["id", "time (UTC)", "source", "kind", "adapter", "status", "fine-tuned",
                                      "base", "vote", "ttft s", "total s", "prompt (its end)"],
                             interactive=False, wrap=True, elem_id="history-table", max_height=520,
                             # every column on a 1280 px screen: the texts wrap in theirs
                             column_widths=["4%", "9%", "5%", "6%", "8%", "7%", "17%", "17%", "6%", "5%", "5%",
                                            "11%"])
        with gr.Group(elem_id="history-detail"):
            # Its stop strings and error are anyone's text: shown escaped (_text), with no LaTeX either.
            record = gr.Markdown("Click a row to see its whole record here.", elem_id="history-record",
                                 padding=True, latex_delimiters=[])
            with gr.Row(equal_height=True):
                detail = [gr.Textbox(label=label, lines=8, max_lines=24, interactive=False, buttons=["copy"],
                                     elem_id=f"history-{key}")
                          for key, label in (("prompt", "Prompt"), ("tuned", "Fine-tuned answer"),
                                             ("base", "Base model's answer"))]
        with gr.Row():
            fmt = gr.Radio(["csv", "jsonl"], value="csv", label="Export format", scale=1)
            export = gr.Button("Export", scale=0, min_width=100, elem_id="history-export")
            file = gr.File(label="Download", scale=2, elem_id="history-file")
        inputs = [adapter, status, search]
        gr.on([tab.select, refresh.click, adapter.change, status.change, search.submit], self.history, inputs,
              [table, shown], show_progress="hidden", api_visibility="private")
        table.select(self.row_detail, table, [record, *detail], api_visibility="private")
        export.click(self.export, [fmt, *inputs], file, api_visibility="private")


def _none(value: str | None) -> str | None:
    return None if value in (None, "", "All") else value


def _seconds(x) -> str:
    return "–" if x is None else f"{x:.2f} s"


def _clip(text: str | None, n: int = 120) -> str:
    if text is None:
        return ""
    return text if len(text) <= n else text[: n - 1] + "…"

