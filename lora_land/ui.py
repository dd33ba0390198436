"""The page: pick a task, fill in its fields, watch the fine-tuned and base answers stream side by side.

Four tabs over one `Service`:
  Compare  the LoRA Land page: category and adapter pickers, adapter details, example
           chips, the prompt template, one box per field, a live token count, Run and
           Stop, the two answers streaming with their timings, and a vote.
  Chat     a conversation with one adapter (the template applied to each turn), with
           the base model's answers in a second column if wanted.
  History  the log, newest first: filters, full-text search, CSV / JSON Lines export.
  Stats    per adapter requests, votes and latency; throughput and latency over time.

Built from Gradio's own components. Every run event has no concurrency limit, so
everybody's requests reach the engine together and share its batches. The page knows
nothing of tensors; it talks to the service only.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # a self-hosted page reports to nobody

import gradio as gr  # noqa: E402

from lora_land.scheduler import EngineError, InvalidRequest  # noqa: E402
from lora_land.metrics import same_answer  # noqa: E402
from lora_land.service import BASE, NotReady, Service  # noqa: E402
from lora_land.store import STATUSES, VOTES  # noqa: E402

log = logging.getLogger(__name__)
MAX_FIELDS = 3  # the most template fields any task has; boxes beyond a task's fields are hidden
MAX_EXAMPLES = 3
ALL = "All categories"
STREAM_INTERVAL = 0.05  # seconds between page updates while answers stream
HISTORY_LIMIT = 200
EXPORT_KEEP_SECONDS = 3600
VOTE_LABELS = {"fine-tuned": "← Fine-tuned is better", "base": "Base is better →", "tie": "Tie",
               "both-bad": "Both are bad"}

CSS = """
.ll-title {text-align: center; margin: 0.5rem 0 0;}
.ll-title h1 {font-size: 2.4rem; margin: 0; display: inline-flex; gap: 0.5rem; align-items: center;}
.ll-title h1 span {color: var(--color-accent);}
.ll-title p {margin: 0.25rem 0 0; font-weight: 600;}
.ll-chips {justify-content: flex-start !important; align-items: center;}
.ll-chips > * {flex: 0 1 auto !important; min-width: 0 !important; width: auto !important;}
.ll-stats {font-size: 0.85rem; color: var(--body-text-color-subdued); min-height: 1.5rem;}
.ll-count {text-align: right; font-size: 0.85rem;}
.ll-warn {color: var(--error-text-color, #c62828); font-weight: 600;}
"""
# System fonts: the page loads nothing from outside the server (no web fonts, no analytics).
THEME = gr.themes.Soft(primary_hue="orange", secondary_hue="indigo",
                       font=["ui-sans-serif", "system-ui", "Segoe UI", "Helvetica", "Arial", "sans-serif"],
                       font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"])


class Page:
    """The Blocks and the handlers behind them; `Page(service).blocks` is what the app mounts."""

    def __init__(self, service: Service, root: Path | None = None):
        self.service = service
        self.root = root or Path(__file__).resolve().parent.parent
        self.tasks = service.catalog.tasks
        self.categories = [ALL, *sorted({t.category for t in self.tasks.values()})]
        self.scores = self._read_scores()
        self.base_name = _short_source(service.catalog.profile(service.profile).base, self.root)
        self.active: dict[tuple[str, str], list] = {}  # (Gradio session, tab) -> runs in flight, for Stop
        self._active_lock = threading.Lock()
        self.blocks_load: list = []  # (fn, inputs, outputs) to run when a page opens
        self.export_dir = Path(tempfile.mkdtemp(prefix="lora-land-exports-"))
        self.blocks = self._build()

    # --- data for the page ----------------------------------------------------------

    def _read_scores(self) -> dict[str, dict]:
        """The demo evaluation (docs/eval/<profile>.csv), if this profile has one."""
        path = self.root / "docs" / "eval" / f"{self.service.profile}.csv"
        if not path.exists():
            return {}
        with path.open() as f:
            return {row["task"]: row for row in csv.DictReader(f)}

    def choices(self, category: str) -> list[tuple[str, str]]:
        return [(t.name, t.key) for t in self.tasks.values() if category in (ALL, t.category)]

    def details(self, key: str) -> str:
        task = self.tasks[key]
        lines = [f"**{task.name}** · {task.category}", "", task.description.strip(), "",
                 f"- **Metric:** `{task.metric}` · **output:** {task.output}"]
        score = self.scores.get(key)
        if score:
            lines.append(f"- **Demo evaluation** ({score['examples']} held-out examples): base "
                         f"**{float(score['base']):.3f}** → fine-tuned **{float(score['finetuned']):.3f}**")
            if int(score.get("probes") or 0):
                lines.append(f"- **Probe set** ({score['probes']} hand-written inputs): base "
                             f"**{float(score['probe_base']):.3f}** → fine-tuned "
                             f"**{float(score['probe_finetuned']):.3f}**")
        source = task.adapters.get(self.service.profile)
        try:
            engine = self.service.engine
        except NotReady:
            engine = None
        if engine is not None and key in engine.adapters():
            info = engine.adapter_info(key)
            lines.append(f"- **Rank** {info.rank} · **targets** {', '.join(info.targets)} · "
                         f"**size** {info.nbytes / 2**20:.2f} MiB")
            lines.append(f"- **Source:** `{_short_source(info.source, self.root)}`")
        elif engine is not None:
            why = engine.refused.get(key, "not loaded")
            lines.append(f"- **Adapter unavailable on this profile:** {why}")
        elif source is not None and source.source:
            lines.append(f"- **Source:** `{_short_source(source.source, self.root)}` (the model is still loading)")
        return "\n".join(lines)

    def task_view(self, key: str):
        """Everything on the Compare tab that follows from the chosen task."""
        task = self.tasks[key]
        boxes = []
        for i in range(MAX_FIELDS):
            if i < len(task.fields):
                boxes.append(gr.update(visible=True, label=task.field_label(task.fields[i]), value=""))
            else:
                boxes.append(gr.update(visible=False, label=f"field {i + 1}", value=""))
        chips = []
        for i in range(MAX_EXAMPLES):
            if i < len(task.examples):
                chips.append(gr.update(visible=True, value=_chip_label(task.examples[i], task.fields)))
            else:
                chips.append(gr.update(visible=False))
        return (self.details(key), _shown(task.template), *boxes, *chips,
                gr.update(value=task.max_new_tokens), self.count(key, *[""] * MAX_FIELDS),
                gr.update(label=f"Fine-tuned · {task.name}", value=""), "", gr.update(value=""), "", None,
                gr.update(visible=False), "")

    def example(self, key: str, index: int):
        task = self.tasks[key]
        values = task.examples[index] if index < len(task.examples) else {}
        boxes = [values.get(task.fields[i], "") if i < len(task.fields) else "" for i in range(MAX_FIELDS)]
        return (*boxes, self.count(key, *boxes))

    def count(self, key: str, *values) -> str:
        """The live token count under the fields, with a warning before the prompt gets too long."""
        return self._count(key, values, self.tasks[key].max_new_tokens)

    def count_with(self, key: str, max_new_tokens, *values) -> str:
        return self._count(key, values, int(max_new_tokens or self.tasks[key].max_new_tokens))

    def _count(self, key: str, values, max_new_tokens: int) -> str:
        task = self.tasks[key]
        filled = {f: values[i] or "" for i, f in enumerate(task.fields)}
        try:
            engine = self.service.engine
        except NotReady:
            state = "not available (see above)" if self.service.load_error else "loading…"
            return f"<div class='ll-count'>the model is {state}</div>"
        tokens = engine.count_tokens(task.render(filled))
        room = engine.max_context - max_new_tokens
        if tokens > room:
            return (f"<div class='ll-count ll-warn'>⚠ {_plural(tokens, 'token')}: too long. The prompt may use {room} tokens "
                    f"({engine.max_context} context − {max_new_tokens} for the answer); shorten the text.</div>")
        if tokens > 0.9 * room:
            return f"<div class='ll-count ll-warn'>{tokens} of {_plural(room, 'token')}: close to the limit</div>"
        return f"<div class='ll-count'>{_plural(tokens, 'token')}</div>"

    # --- runs -----------------------------------------------------------------------

    def _track(self, request: gr.Request | None, tab: str, run) -> None:
        if request is None or not request.session_hash:
            return
        with self._active_lock:
            self.active.setdefault((request.session_hash, tab), []).append(run)

    def _untrack(self, request: gr.Request | None, tab: str, run) -> None:
        if request is None or not request.session_hash:
            return
        key = (request.session_hash, tab)
        with self._active_lock:
            runs = self.active.get(key, [])
            if run in runs:
                runs.remove(run)
            if not runs:
                self.active.pop(key, None)

    def stop(self, request: gr.Request, tab: str | None = None) -> None:
        """Stop pressed on a tab (that tab's runs), or the page closed (all of them): their rows end `cancelled`."""
        if request is None or not request.session_hash:
            return
        with self._active_lock:
            keys = [k for k in self.active if k[0] == request.session_hash and tab in (None, k[1])]
            runs = [run for k in keys for run in self.active.pop(k)]
        for run in runs:
            run.cancel()

    def stop_all(self, request: gr.Request) -> None:
        self.stop(request, None)

    def stop_compare(self, request: gr.Request) -> None:
        self.stop(request, "compare")

    def stop_chat(self, request: gr.Request) -> None:
        self.stop(request, "chat")

    def compare(self, key, f1, f2, f3, max_new_tokens, temperature, top_p, seed=None, request: gr.Request = None):
        """Run: the adapter and the base model on the same prompt, both streaming into their panels."""
        try:
            task = self.service.task(key)
            values = {f: v for f, v in zip(task.fields, (f1, f2, f3))}
            params = _params(max_new_tokens, temperature, top_p, seed)
            prompt, cleaned = self.service.render(key, values)
            run = self.service.start(source="page", kind="compare", adapter=key, prompt=prompt, fields=cleaned,
                                     params=params)
        except (EngineError, ValueError) as exc:
            raise _refused("Not run", exc) from None
        self._track(request, "compare", run)
        started = time.perf_counter()
        first: dict[str, float] = {}
        text = {"tuned": "", "base": ""}
        last = 0.0
        hidden_vote = gr.update(visible=False)
        try:
            for side, piece in run.events():
                text[side] += piece
                first.setdefault(side, time.perf_counter() - started)
                now = time.perf_counter()
                if now - last >= STREAM_INTERVAL:
                    last = now
                    yield (text["tuned"].lstrip(), _live(first.get("tuned")), text["base"].lstrip(),
                           _live(first.get("base")), run.row_id, hidden_vote, "")
            done = run.wait(timeout=30)
        finally:
            self._untrack(request, "compare", run)
        tuned, base = done.get("tuned"), done.get("base")
        note = "" if run.status == "complete" else f"This run ended **{run.status}**."
        expected = task.expected(values)
        if expected is not None and tuned is not None and run.status == "complete":
            right = same_answer(tuned.text, expected)
            note = (f"{'✓ right' if right else '✗ not right'}: this example's expected answer is "
                    f"`{' '.join(expected.split())}`")
        # The panels start at the answer's first character: not the blank lines or the space a
        # template's "Output: " leaves before it (the log keeps the text as generated).
        yield ((tuned.text if tuned else text["tuned"]).lstrip(), _final(tuned, task),
               (base.text if base else text["base"]).lstrip(), _final(base, task), run.row_id,
               gr.update(visible=run.status == "complete"), note)

    def vote(self, row_id, choice: str) -> str:
        if row_id is None:
            raise gr.Error("Run a prompt first, then vote on its answers.")
        try:
            self.service.vote(int(row_id), choice)
        except ValueError as exc:
            raise gr.Error(str(exc)) from None
        return f"Thanks: your vote **{VOTE_LABELS[choice]}** is saved with generation #{int(row_id)}."

    def chat(self, key, message, tuned_history, base_history, with_base, max_new_tokens, temperature,
             request: gr.Request = None):
        """One chat turn: the adapter's reply (and the base's, if shown) streams into the conversations.

        The histories are this session's own copies of the messages (a gr.State each), exactly
        as written and answered: the Chatbot only displays them (it tidies what it shows).
        """
        tuned_history = [dict(m) for m in tuned_history or []]
        base_history = [dict(m) for m in base_history or []]
        user = {"role": "user", "content": message or ""}
        try:
            self.service.task(key)
            params = _params(max_new_tokens, temperature, 1.0)
            prompt, dropped = self.service.chat_prompt(key, [*tuned_history, user], params["max_new_tokens"])
            base_prompt = None
            if with_base:
                base_prompt, _ = self.service.chat_prompt(key, [*base_history, user], params["max_new_tokens"])
            run = self.service.start(source="page", kind="chat", adapter=key, prompt=prompt,
                                     fields=[*tuned_history, user], params=params, base=bool(with_base),
                                     base_prompt=base_prompt)
        except (EngineError, ValueError) as exc:
            raise _refused("Not sent", exc) from None
        self._track(request, "chat", run)
        tuned_history += [dict(user), {"role": "assistant", "content": ""}]
        if with_base:
            base_history += [dict(user), {"role": "assistant", "content": ""}]
        note = f"The {dropped} oldest turn(s) no longer fit the context and were left out." if dropped else ""

        def shown():  # replies shown from their first character; the states keep them as generated
            view = lambda h: [dict(m, content=m["content"].lstrip()) if m["role"] == "assistant" else dict(m)  # noqa: E731
                              for m in h]
            return view(tuned_history), view(base_history), tuned_history, base_history, "", note

        last = 0.0
        try:
            for side, piece in run.events():
                history = tuned_history if side == "tuned" else base_history
                history[-1]["content"] += piece
                now = time.perf_counter()
                if now - last >= STREAM_INTERVAL:
                    last = now
                    yield shown()
            run.wait(timeout=30)
        finally:
            self._untrack(request, "chat", run)
        if run.status != "complete":
            note = f"{note} This turn ended **{run.status}**.".strip()
        yield shown()

    # --- history and stats ----------------------------------------------------------

    def history(self, adapter: str, status: str, search: str):
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
        lines = [f"**#{row['id']}** · {when} UTC · {row['source']} · {row['kind']} · **{row['adapter']}** · "
                 f"{row['status']}" + (f" · vote: {VOTE_LABELS.get(row['vote'], row['vote'])}" if row["vote"] else ""),
                 f"fine-tuned: {_plural(row['tokens_out'] or 0, 'token')} ({row['finish_reason'] or '–'}), "
                 f"first token {_seconds(row['ttft'])}, total {_seconds(row['total_seconds'])} · base: "
                 f"{_plural(row['base_tokens_out'] or 0, 'token')} ({row['base_finish_reason'] or '–'}), "
                 f"total {_seconds(row['base_total_seconds'])} · prompt {_plural(row['tokens_in'] or 0, 'token')}, "
                 f"batch of {_plural(row['batch_peak'] or 0, 'row')} · {params}"]
        if row["error"]:
            lines.append(f"⚠ {row['error']}")
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

    def stats(self, bucket_seconds):
        import pandas as pd

        per = self.service.store.per_adapter()
        table = [[r["adapter"], r["requests"], r["complete"], r["errors"], r["cancelled"], r["fine_tuned_won"],
                  r["base_won"], r["ties"], r["both_bad"], _round(r["p50_seconds"]), _round(r["p95_seconds"]),
                  _round(r["p99_seconds"]), _round(r["p50_ttft"])] for r in per]
        timeline = self.service.store.timeline(int(bucket_seconds))
        frame = pd.DataFrame(timeline or [], columns=["time", "requests", "tokens_per_second", "mean_seconds",
                                                      "p95_seconds"])
        frame["time"] = pd.to_datetime(frame["time"])
        # Idle buckets have no latency: leave them out, so each line joins the buckets that have one.
        latency = (frame.rename(columns={"mean_seconds": "mean", "p95_seconds": "95th percentile"})
                   .melt(id_vars="time", value_vars=["mean", "95th percentile"], var_name="series",
                         value_name="seconds")
                   .dropna(subset=["seconds"]))
        try:
            s = self.service.engine.stats()
            engine = (f"Engine: **{s['running']}** running, **{s['queued']}** queued · {s['tokens_generated']} "
                      f"tokens in {s['steps']} steps · adapters on device {s['adapters_on_device']}/"
                      f"{s['adapters_loaded']} (swaps {s['adapter_swaps']}) · up {s['uptime_seconds']:.0f} s")
        except NotReady:
            engine = "Engine: loading…"
        axis = "%H:%M:%S" if int(bucket_seconds) < 60 else "%H:%M"  # 24-hour clock, fine enough to tell ticks apart
        return (table, gr.update(value=frame, x_axis_format=axis), gr.update(value=latency, x_axis_format=axis),
                engine)

    def banner(self) -> str:
        """What the page says above the tabs while the model is not serving: loading, or why it cannot."""
        if self.service.ready:
            return ""
        if self.service.load_error:
            return f"⚠ **The model is not available.** {self.service.load_error}"
        return "The model is loading…"

    def watch(self):
        """The banner, and whether to look again: until the engine is ready or has failed."""
        waiting = not self.service.ready and not self.service.load_error
        return self.banner(), gr.Timer(active=waiting)

    # --- layout ---------------------------------------------------------------------

    def _build(self) -> gr.Blocks:
        first = next(iter(self.tasks))
        logo = (self.root / "static" / "logo.svg").read_text() if (self.root / "static" / "logo.svg").exists() else ""
        logo = logo.replace('width="64" height="64"', 'width="44" height="44"')
        # Gradio's copies of served files (the exports) are removed after an hour too.
        with gr.Blocks(title="LoRA Land", delete_cache=(EXPORT_KEEP_SECONDS, EXPORT_KEEP_SECONDS)) as blocks:
            gr.HTML(f"<div class='ll-title'><h1>{logo}LoRA <span>Land</span></h1>"
                    "<p>25 fine-tuned adapters on one base model: each answer beside the base model's, "
                    "generated in the same batch</p></div>")
            banner = gr.Markdown(self.banner(), elem_id="engine-status")
            watch = gr.Timer(2.0, active=not self.service.ready)
            watch.tick(self.watch, None, [banner, watch], show_progress="hidden", api_visibility="private")
            blocks.load(self.watch, None, [banner, watch], show_progress="hidden", api_visibility="private")
            with gr.Tabs():
                with gr.Tab("Compare", id="compare"):
                    self._compare_tab(first)
                with gr.Tab("Chat", id="chat"):
                    self._chat_tab(first)
                with gr.Tab("History", id="history") as history_tab:
                    self._history_tab(history_tab)
                with gr.Tab("Stats", id="stats") as stats_tab:
                    self._stats_tab(stats_tab)
            for fn, inputs, outputs in self.blocks_load:
                blocks.load(fn, inputs, outputs, show_progress="hidden", api_visibility="private")
            blocks.unload(self.stop_all)
        return blocks

    def _compare_tab(self, first: str) -> None:
        task = self.tasks[first]
        with gr.Row(equal_height=True):
            category = _refusing(gr.Dropdown(self.categories, value=ALL, label="Category", scale=1))
            adapter = _refusing(gr.Dropdown(self.choices(ALL), value=first, label="Adapter", scale=2, elem_id="adapter"))
        with gr.Accordion("Adapter details", open=False):
            details = gr.Markdown(self.details(first), elem_id="details")
        with gr.Row(elem_classes="ll-chips"):
            gr.Markdown("Example prompts:", scale=0, min_width=130)
            chips = [gr.Button(_chip_label(task.examples[i], task.fields) if i < len(task.examples) else "",
                               size="sm", variant="secondary", visible=i < len(task.examples),
                               elem_id=f"example-{i}") for i in range(MAX_EXAMPLES)]
        template = gr.Textbox(_shown(task.template), label="Prompt template", interactive=False, lines=3, max_lines=12,
                              elem_id="template")
        with gr.Group():
            boxes = [gr.Textbox(label=task.field_label(task.fields[i]) if i < len(task.fields) else f"field {i + 1}", lines=2,
                                max_lines=12, visible=i < len(task.fields), elem_id=f"field-{i}")
                     for i in range(MAX_FIELDS)]
        with gr.Row(equal_height=True):
            run_btn = gr.Button("▶ Run", variant="primary", scale=0, min_width=120, elem_id="run")
            stop_btn = gr.Button("■ Stop", variant="stop", scale=0, min_width=100, elem_id="stop")
            count = gr.HTML(self.count(first, *[""] * MAX_FIELDS), elem_id="token-count")
        with gr.Accordion("Sampling", open=False):
            with gr.Row():
                max_new = _refusing(gr.Slider(1, 512, value=task.max_new_tokens, step=1, label="Max new tokens",
                                              elem_id="max-new"))
                temperature = _refusing(gr.Slider(0, 2, value=0, step=0.05, label="Temperature (0 = greedy)",
                                                  elem_id="temperature"))
                top_p = _refusing(gr.Slider(0.05, 1, value=1, step=0.05, label="Top-p"))
                seed = _refusing(gr.Number(None, label="Seed (blank: a new draw each run)", precision=0, minimum=0,
                                           elem_id="seed"))
        with gr.Row(equal_height=False):
            with gr.Column():
                tuned = gr.Textbox(label=f"Fine-tuned · {task.name}", lines=6, max_lines=24, interactive=False,
                                   elem_id="tuned-output", buttons=["copy"])
                tuned_stats = gr.Markdown(elem_classes="ll-stats", elem_id="tuned-stats")
            with gr.Column():
                base = gr.Textbox(label=f"Base model · {self.base_name}", lines=6, max_lines=24, interactive=False,
                                  elem_id="base-output", buttons=["copy"])
                base_stats = gr.Markdown(elem_classes="ll-stats", elem_id="base-stats")
        row_id = gr.State(None)
        with gr.Row(visible=False) as vote_row:
            vote_buttons = {v: gr.Button(VOTE_LABELS[v], size="sm", elem_id=f"vote-{v}") for v in VOTES}
        note = gr.Markdown(elem_id="run-note")

        category.change(lambda c: gr.update(choices=self.choices(c), value=self.choices(c)[0][1]), category, adapter,
                        api_visibility="private")
        outputs_for_task = [details, template, *boxes, *chips, max_new, count, tuned, tuned_stats, base, base_stats,
                            row_id, vote_row, note]
        adapter.change(self.task_view, adapter, outputs_for_task, show_progress="hidden", api_visibility="private")
        for i, chip in enumerate(chips):
            chip.click(lambda key, i=i: self.example(key, i), adapter, [*boxes, count], show_progress="hidden",
                       api_visibility="private")
        gr.on([b.input for b in boxes] + [max_new.release], self.count_with, [adapter, max_new, *boxes], count,
              trigger_mode="always_last", show_progress="hidden", concurrency_limit=None, api_visibility="private")
        gr.on([run_btn.click, *[b.submit for b in boxes]], self.compare,
                          [adapter, *boxes, max_new, temperature, top_p, seed],
                          [tuned, tuned_stats, base, base_stats, row_id, vote_row, note],
                          concurrency_limit=None, show_progress="hidden", api_name="compare")
        # Stop cancels the session's runs in the engine; the Run handler then ends by itself,
        # showing what had streamed and the row's status.
        stop_btn.click(self.stop_compare, None, None, queue=False, api_visibility="private")
        # The page may have been built while the engine loaded: fill in what needs it on every visit.
        self.blocks_load.append((lambda key, n, *v: (self.details(key), self.count_with(key, n, *v)),
                                 [adapter, max_new, *boxes], [details, count]))
        for choice, button in vote_buttons.items():
            button.click(lambda rid, c=choice: self.vote(rid, c), row_id, note, show_progress="hidden",
                         api_visibility="private")

    def _chat_tab(self, first: str) -> None:
        with gr.Row(equal_height=True):
            adapter = _refusing(gr.Dropdown(self.choices(ALL), value=first, label="Adapter", scale=3, elem_id="chat-adapter"))
            with_base = gr.Checkbox(False, label="Show the base model's answers too", scale=1, elem_id="chat-with-base")
        hint = gr.Markdown(_chat_hint(self.tasks[first]), elem_id="chat-hint")
        with gr.Row():
            # Headings above the conversations, not labels over them: a label would cover the first message.
            with gr.Column():
                gr.Markdown("**Fine-tuned**", elem_classes="ll-chat-head")
                tuned = gr.Chatbot(show_label=False, height=380, elem_id="chat-tuned", buttons=["copy"],
                                   examples=_chat_examples(self.tasks[first]))
            with gr.Column(visible=False) as base_column:
                gr.Markdown(f"**Base model** · {self.base_name}", elem_classes="ll-chat-head")
                base = gr.Chatbot(show_label=False, height=380, elem_id="chat-base", buttons=["copy"])
        with gr.Row(equal_height=True):
            message = gr.Textbox(placeholder="Your message: the task's template wraps it", show_label=False,
                                 lines=2, scale=5, elem_id="chat-message")
            send = gr.Button("Send", variant="primary", scale=0, min_width=100, elem_id="chat-send")
            stop = gr.Button("Stop", variant="stop", scale=0, min_width=80)
            clear = gr.Button("Clear", scale=0, min_width=80)
        with gr.Accordion("Sampling", open=False):
            with gr.Row():
                max_new = _refusing(gr.Slider(1, 512, value=self.tasks[first].max_new_tokens, step=1, label="Max new tokens"))
                temperature = _refusing(gr.Slider(0, 2, value=0, step=0.05, label="Temperature (0 = greedy)"))
        note = gr.Markdown(elem_id="chat-note")
        tuned_state, base_state = gr.State([]), gr.State([])  # the messages as written, for the prompts

        adapter.change(lambda k: (_chat_hint(self.tasks[k]), gr.update(value=[], examples=_chat_examples(self.tasks[k])),
                                  [], [], [], self.tasks[k].max_new_tokens, ""),
                       adapter, [hint, tuned, base, tuned_state, base_state, max_new, note],
                       api_visibility="private")
        tuned.example_select(_picked_example, None, message, api_visibility="private")
        with_base.change(lambda on: gr.update(visible=on), with_base, base_column, api_visibility="private")
        gr.on([send.click, message.submit], self.chat,
              [adapter, message, tuned_state, base_state, with_base, max_new, temperature],
              [tuned, base, tuned_state, base_state, message, note],
              concurrency_limit=None, show_progress="hidden", api_name="chat")
        stop.click(self.stop_chat, None, None, queue=False, api_visibility="private")
        clear.click(lambda: ([], [], [], [], ""), None, [tuned, base, tuned_state, base_state, note],
                    api_visibility="private")

    def _history_tab(self, tab) -> None:
        names = [BASE, *self.tasks]
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
            record = gr.Markdown("Click a row to see its whole record here.", elem_id="history-record",
                                 padding=True)
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

    def _stats_tab(self, tab) -> None:
        engine = gr.Markdown()
        bucket = gr.Radio([("10 s", 10), ("1 min", 60), ("10 min", 600), ("1 h", 3600)], value=10,
                          label="Time bucket")
        table = gr.Dataframe(headers=["adapter", "requests", "complete", "errors", "cancelled", "fine-tuned won",
                                      "base won", "ties", "both bad", "p50 s", "p95 s", "p99 s", "p50 ttft s"],
                             interactive=False, elem_id="stats-table")
        with gr.Row():
            throughput = gr.LinePlot(x="time", y="tokens_per_second", title="Throughput (tokens/s, both answers)",
                                     y_title="tokens/s", x_title="time (UTC)", x_axis_format="%H:%M",
                                     elem_id="stats-throughput")
            latency = gr.LinePlot(x="time", y="seconds", color="series", title="Latency per request (s)",
                                  y_title="seconds", x_title="time (UTC)", x_axis_format="%H:%M",
                                  color_title="", elem_id="stats-latency")
        refresh = gr.Button("Refresh", scale=0)
        gr.on([tab.select, refresh.click, bucket.change], self.stats, bucket, [table, throughput, latency, engine],
              show_progress="hidden", api_visibility="private")


def _shown(template: str) -> str:
    """A template as people read it: {field} marks a box, literal braces are single."""
    return template.replace("{{", "{").replace("}}", "}")


def _params(max_new_tokens, temperature, top_p, seed=None) -> dict:
    """The sampling settings as the engine takes them; the engine checks their ranges."""
    try:
        params = {"max_new_tokens": int(max_new_tokens), "temperature": float(temperature), "top_p": float(top_p)}
        if seed not in (None, ""):
            params["seed"] = int(seed)
        return params
    except (TypeError, ValueError):
        raise InvalidRequest(f"max new tokens, temperature and top-p must be numbers; got {max_new_tokens!r}, "
                             f"{temperature!r}, {top_p!r}") from None


def _live(ttft: float | None) -> str:
    return "waiting for the first token…" if ttft is None else f"streaming · first token {ttft:.2f} s"


def _final(done, task=None) -> str:
    """The line under an answer: what a classification answer means, then how the run went."""
    if done is None:
        return ""
    if done.finish_reason == "error":
        return f"⚠ failed: {done.error}"
    meaning = task.explain(done.text) if task is not None else None
    answer = f"answer **{done.text.strip()} ({meaning})** · " if meaning else ""
    ttft = "–" if done.time_to_first_token is None else f"{done.time_to_first_token:.2f} s"
    return (f"{answer}first token **{ttft}** · **{done.tokens_per_second:.1f}** tokens/s · total "
            f"**{done.total_seconds:.2f} s** · {_plural(done.tokens_out, 'token')} ({done.finish_reason}) · batch of "
            f"{_plural(done.batch_peak, 'row')}")


def _refusing(component):
    """An input with bounds or choices whose value outside them is refused like any other bad input.

    The page's own controls cannot go out of range, but a script posting to the page's
    endpoint can; Gradio's check would then print a traceback for each such request.
    """
    check = component.preprocess

    def preprocess(payload):
        try:
            return check(payload)
        except gr.Error as exc:
            raise _refused(f"Invalid {component.label or 'value'}", ValueError(exc.message)) from None

    component.preprocess = preprocess
    return component


def _refused(title: str, exc: Exception) -> gr.Error:
    """A refused request: one line in the log, one message on the page, the panels left as they were."""
    log.info("%s: %s", title.lower(), exc)
    return gr.Error(str(exc), title=title, print_exception=False)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _chip_label(example: dict, fields) -> str:
    text = " ".join(str(example.get(fields[0], "")).split())
    return text if len(text) <= 40 else text[:38].rstrip() + "…"


def _chat_hint(task) -> str:
    if len(task.fields) == 1:
        return f"Each message is the task's **{task.field_label(task.fields[0]).lower()}**; the template wraps it."
    lines = "\n".join(f"{f}: …" for f in task.fields)
    return f"{task.name} reads {len(task.fields)} fields. Write each on its own line:\n```\n{lines}\n```"


def _chat_examples(task) -> list[dict]:
    """The task's examples as chat messages, shown in the empty conversation; a click puts one in the box."""
    if len(task.fields) == 1:
        return [{"text": e[task.fields[0]]} for e in task.examples]
    return [{"text": "\n".join(f"{f}: {e[f]}" for f in task.fields)} for e in task.examples]


def _picked_example(event: gr.SelectData) -> str:
    return event.value["text"]


def _short_source(source: str, root: Path) -> str:
    try:
        return str(Path(source).resolve().relative_to(root))
    except ValueError:
        return source


def _none(value: str | None) -> str | None:
    return None if value in (None, "", "All") else value


def _seconds(x) -> str:
    return "–" if x is None else f"{x:.2f} s"


def _clip(text: str | None, n: int = 120) -> str:
    if text is None:
        return ""
    return text if len(text) <= n else text[: n - 1] + "…"


def _round(x):
    return None if x is None else round(x, 3)
