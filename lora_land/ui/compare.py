"""The Compare tab: one task's fields in, the fine-tuned and the base model's answers streaming side by side.

Category and adapter pickers, the adapter's details (its demo evaluation too, where the
profile has one), example chips, the prompt template, one box per field, a live token
count, Run and Stop, the two answers with their timings, and a vote on which was better.

What the tab says about an adapter is details.py's. The tab starts runs through the
service, which streams both answers and writes the log row; it holds no state of a run
beyond the session's handler.
"""

from __future__ import annotations

import time

import gradio as gr

from lora_land.metrics import same_answer
from lora_land.scheduler import EngineError
from lora_land.service import NotReady
from lora_land.store import VOTES, LogUnavailable
from lora_land.ui.context import (ALL, STREAM_INTERVAL, VOTE_LABELS, PageContext, _params, _plural, _refused,
                                  _refusing, _text)
from lora_land.ui.details import AdapterDetails

MAX_FIELDS = 3  # the most template fields any task has; boxes beyond a task's fields are hidden
MAX_EXAMPLES = 3


class CompareTab:
    """The Compare tab's handlers, and `build`, which lays it out inside the open gr.Tab."""

    def __init__(self, context: PageContext):
        self.context = context
        self.service, self.tasks = context.service, context.tasks
        self.categories = [ALL, *sorted({t.category for t in self.tasks.values()})]
        self.details = AdapterDetails(context).markdown

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
        self.context.track(request, "compare", run)
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
            self.context.untrack(request, "compare", run)
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
        except (ValueError, LogUnavailable) as exc:
            raise gr.Error(str(exc)) from None
        return f"Thanks: your vote **{VOTE_LABELS[choice]}** is saved with generation #{int(row_id)}."

    def build(self, first: str) -> None:
        task = self.tasks[first]
        with gr.Row(equal_height=True):
            category = _refusing(gr.Dropdown(self.categories, value=ALL, label="Category", scale=1))
            adapter = _refusing(gr.Dropdown(self.context.choices(ALL), value=first, label="Adapter", scale=2,
                                            elem_id="adapter"))
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
                base = gr.Textbox(label=f"Base model · {self.context.base_name}", lines=6, max_lines=24,
                                  interactive=False, elem_id="base-output", buttons=["copy"])
                base_stats = gr.Markdown(elem_classes="ll-stats", elem_id="base-stats")
        row_id = gr.State(None)
        with gr.Row(visible=False) as vote_row:
            vote_buttons = {v: gr.Button(VOTE_LABELS[v], size="sm", elem_id=f"vote-{v}") for v in VOTES}
        note = gr.Markdown(elem_id="run-note")

        choices = self.context.choices
        category.change(lambda c: gr.update(choices=choices(c), value=choices(c)[0][1]), category, adapter,
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
        stop_btn.click(self.context.stopper("compare"), None, None, queue=False, api_visibility="private")
        # The page may have been built while the engine loaded: fill in what needs it on every visit.
        self.context.blocks_load.append((lambda key, n, *v: (self.details(key), self.count_with(key, n, *v)),
                                         [adapter, max_new, *boxes], [details, count]))
        for choice, button in vote_buttons.items():
            button.click(lambda rid, c=choice: self.vote(rid, c), row_id, note, show_progress="hidden",
                         api_visibility="private")


def _shown(template: str) -> str:
    """A template as people read it: {field} marks a box, literal braces are single."""
    return template.replace("{{", "{").replace("}}", "}")


def _chip_label(example: dict, fields) -> str:
    text = " ".join(str(example.get(fields[0], "")).split())
    return text if len(text) <= 40 else text[:38].rstrip() + "…"


def _live(ttft: float | None) -> str:
    return "waiting for the first token…" if ttft is None else f"streaming · first token {ttft:.2f} s"


def _final(done, task=None) -> str:
    """The line under an answer: what a classification answer means, then how the run went."""
    if done is None:
        return ""
    if done.finish_reason == "error":
        return f"⚠ failed: {_text(done.error)}"
    meaning = task.explain(done.text) if task is not None else None
    answer = f"answer **{done.text.strip()} ({meaning})** · " if meaning else ""
    ttft = "–" if done.time_to_first_token is None else f"{done.time_to_first_token:.2f} s"
    return (f"{answer}first token **{ttft}** · **{done.tokens_per_second:.1f}** tokens/s · total "
            f"**{done.total_seconds:.2f} s** · {_plural(done.tokens_out, 'token')} ({done.finish_reason}) · batch of "
            f"{_plural(done.batch_peak, 'row')}")
