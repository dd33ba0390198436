"""The page itself: the title, the loading banner and the four tabs in one gr.Blocks.

`Page(service).blocks` is what the app mounts, with `CSS` and `THEME`. Each tab is built
by its own module (compare, chat, history, stats) over one shared `PageContext`; this
module only assembles them, watches the engine while it loads (and the log while it
cannot be written), and stops a session's runs when its page closes. It has no handler
of any tab.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from lora_land.service import Service
from lora_land.ui.chat import ChatTab
from lora_land.ui.compare import CompareTab
from lora_land.ui.context import PageContext
from lora_land.ui.history import EXPORT_KEEP_SECONDS, HistoryTab
from lora_land.ui.stats import StatsTab

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
    """The Blocks, and the tabs whose handlers are behind them; `Page(service).blocks` is what the app mounts."""

    def __init__(self, service: Service, root: Path | None = None):
        self.service = service
        self.context = PageContext(service, root)
        self.compare_tab, self.chat_tab = CompareTab(self.context), ChatTab(self.context)
        self.history_tab, self.stats_tab = HistoryTab(self.context), StatsTab(self.context)
        self.blocks = self._build()

    def banner(self) -> str:
        """What the page says above the tabs while it cannot run: the model loading or failed, or the log unwritable."""
        if not self.service.ready:
            if self.service.load_error:
                return f"⚠ **The model is not available.** {self.service.load_error}"
            return "The model is loading…"
        if self.service.store.problem:
            return (f"⚠ **Runs are refused: {self.service.store.problem}.** History and Stats still show the log; "
                    "runs work again once it can be written.")
        return ""

    def watch(self):
        """The banner, and whether to look again: until the engine is ready or failed, and while the log is refused."""
        waiting = (not self.service.ready and not self.service.load_error) or self.service.store.problem is not None
        return self.banner(), gr.Timer(active=waiting)

    def _build(self) -> gr.Blocks:
        first = next(iter(self.context.tasks))
        path = self.context.root / "static" / "logo.svg"
        logo = path.read_text() if path.exists() else ""
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
                    self.compare_tab.build(first)
                with gr.Tab("Chat", id="chat"):
                    self.chat_tab.build(first)
                with gr.Tab("History", id="history") as tab:
                    self.history_tab.build(tab)
                with gr.Tab("Stats", id="stats") as tab:
                    self.stats_tab.build(tab)
            for fn, inputs, outputs in self.context.blocks_load:
                blocks.load(fn, inputs, outputs, show_progress="hidden", api_visibility="private")
            blocks.unload(self.context.stopper(None))
        return blocks

