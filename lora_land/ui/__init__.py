"""The page: pick a task, fill in its fields, watch the fine-tuned and base answers stream side by side.

Four tabs over one `Service`, one module each:
  compare  the LoRA Land page: category and adapter pickers, adapter details (details.py),
           example chips, the prompt template, one box per field, a live token count, Run
           and Stop, the two answers streaming with their timings, and a vote.
  chat     a conversation with one adapter (the template applied to each turn), with
           the base model's answers in a second column if wanted.
  history  the log, newest first: filters, full-text search, CSV / JSON Lines export.
  stats    per adapter requests, votes and latency; throughput and latency over time.
What they share (the service, the runs in flight for Stop, small helpers) is context.py;
page.py puts them in one gr.Blocks.

Built from Gradio's own components. Every run event has no concurrency limit, so
everybody's requests reach the engine together and share its batches. The page knows
nothing of tensors; it talks to the service only.
"""

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # a self-hosted page reports to nobody

import gradio as gr  # noqa: E402

from lora_land.ui.page import CSS, THEME, Page  # noqa: E402

__all__ = ["CSS", "THEME", "Page", "gr"]
