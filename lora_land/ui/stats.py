"""The Stats tab: per adapter requests, votes and latency; throughput and latency over time.

A table from the log's per-adapter summary, two line plots over time buckets of the
chosen size, and a line of the engine's own figures (rows running and queued, tokens,
adapter swaps). It reads the log and the engine's stats; Prometheus gets its figures
from lora_land/monitoring.py, not from here.
"""

from __future__ import annotations

import gradio as gr

from lora_land.service import NotReady
from lora_land.ui.context import PageContext, _round


class StatsTab:
    """The Stats tab's handler, and `build`, which lays it out inside the open gr.Tab."""

    def __init__(self, context: PageContext):
        self.service = context.service

    def stats(self, bucket_seconds):
        """The table, both plots over buckets of `bucket_seconds`, and the engine's line."""
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

    def build(self, tab: gr.Tab) -> None:
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
