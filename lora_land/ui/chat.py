"""The Chat tab: a conversation with one adapter, the task's template wrapping each turn.

Each message is the task's input (a multi-field task reads `field: value` lines); the
service renders the conversation into a prompt, leaving out the oldest turns when they
no longer fit. With "Show the base model's answers too" the base model holds its own
conversation in a second column, fed the same messages.

The histories live in the browser session (a gr.State each), not here and not in the
log's schema: the log gets one row per turn, like any other run.
"""

from __future__ import annotations

import time

import gradio as gr

from lora_land.scheduler import EngineError
from lora_land.ui.context import ALL, STREAM_INTERVAL, PageContext, _params, _refused, _refusing


class ChatTab:
    """The Chat tab's handler, and `build`, which lays it out inside the open gr.Tab."""

    def __init__(self, context: PageContext):
        self.context = context
        self.service, self.tasks = context.service, context.tasks

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
        self.context.track(request, "chat", run)
        tuned_history += [dict(user), {"role": "assistant", "content": ""}]
        if with_base:
            base_history += [dict(user), {"role": "assistant", "content": ""}]
        note = f"The {dropped} oldest turn(s) no longer fit the context and were left out." if dropped else ""

        def shown():  # the states keep the messages as written and generated
            return _shown(tuned_history), _shown(base_history), tuned_history, base_history, "", note

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
            self.context.untrack(request, "chat", run)
        if run.status != "complete":
            note = f"{note} This turn ended **{run.status}**.".strip()
        yield shown()

    def build(self, first: str) -> None:
        with gr.Row(equal_height=True):
            adapter = _refusing(gr.Dropdown(self.context.choices(ALL), value=first, label="Adapter", scale=3,
                                            elem_id="chat-adapter"))
            with_base = gr.Checkbox(False, label="Show the base model's answers too", scale=1, elem_id="chat-with-base")
        hint = gr.Markdown(_chat_hint(self.tasks[first]), elem_id="chat-hint")
        with gr.Row():
            # Headings above the conversations, not labels over them: a label would cover the first message.
            # The messages are text, shown as written (see _shown): no Markdown, no LaTeX.
            with gr.Column():
                gr.Markdown("**Fine-tuned**", elem_classes="ll-chat-head")
                tuned = gr.Chatbot(show_label=False, height=380, elem_id="chat-tuned", buttons=["copy"],
                                   render_markdown=False, latex_delimiters=[],
                                   examples=_chat_examples(self.tasks[first]))
            with gr.Column(visible=False) as base_column:
                gr.Markdown(f"**Base model** · {self.context.base_name}", elem_classes="ll-chat-head")
                base = gr.Chatbot(show_label=False, height=380, elem_id="chat-base", buttons=["copy"],
                                  render_markdown=False, latex_delimiters=[])
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
        stop.click(self.context.stopper("chat"), None, None, queue=False, api_visibility="private")
        clear.click(lambda: ([], [], [], [], ""), None, [tuned, base, tuned_state, base_state, note],
                    api_visibility="private")


def _chat_hint(task) -> str:
    if len(task.fields) == 1:
        return f"Each message is the task's **{task.field_label(task.fields[0]).lower()}**; the template wraps it."
    lines = "\n".join(f"{f}: …" for f in task.fields)
    return f"{task.name} reads {len(task.fields)} fields. Write each on its own line:\n```\n{lines}\n```"


def _shown(history: list[dict]) -> list[dict]:
    """Messages as the Chatbot shows them: as text, replies from their first character.

    The Chatbot puts a message into the page as HTML (sanitized, but a `<b>` or an `<img>`
    still renders), so `&` and `<` are escaped and markup typed or answered shows as
    typed. Its copy button copies the escaped text (`&lt;` for `<`); the log and the
    History tab keep the text as it was.
    """
    return [dict(m, content=_escaped(m["content"].lstrip() if m["role"] == "assistant" else m["content"]))
            for m in history]


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


def _chat_examples(task) -> list[dict]:
    """The task's examples as chat messages, shown in the empty conversation; a click puts one in the box."""
    if len(task.fields) == 1:
        return [{"text": e[task.fields[0]]} for e in task.examples]
    return [{"text": "\n".join(f"{f}: {e[f]}" for f in task.fields)} for e in task.examples]


def _picked_example(event: gr.SelectData) -> str:
    return event.value["text"]

