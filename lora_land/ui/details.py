"""What the Compare tab says about an adapter under "Adapter details".

The task (category, description, metric, output), the profile's demo evaluation where
docs/eval/<profile>.csv has one, then what the engine made of the adapter: its rank,
targets, size and source, or why it is not served. Markdown only: it builds no
components and runs nothing.
"""

from __future__ import annotations

import csv

from lora_land.service import NotReady
from lora_land.ui.context import PageContext, _short_source


class AdapterDetails:
    """`markdown(key)`: the details of one task's adapter; the demo evaluation is read once."""

    def __init__(self, context: PageContext):
        self.context = context
        self.scores = self._read_scores()

    def _read_scores(self) -> dict[str, dict]:
        """The demo evaluation (docs/eval/<profile>.csv), if this profile has one."""
        path = self.context.root / "docs" / "eval" / f"{self.context.service.profile}.csv"
        if not path.exists():
            return {}
        with path.open() as f:
            return {row["task"]: row for row in csv.DictReader(f)}

    def markdown(self, key: str) -> str:
        """The details of `key`'s adapter, as far as the engine has loaded it."""
        task = self.context.tasks[key]
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
        source = task.adapters.get(self.context.service.profile)
        try:
            engine = self.context.service.engine
        except NotReady:
            engine = None
        root = self.context.root
        if engine is not None and key in engine.adapters():
            info = engine.adapter_info(key)
            lines.append(f"- **Rank** {info.rank} · **targets** {', '.join(info.targets)} · "
                         f"**size** {info.nbytes / 2**20:.2f} MiB")
            lines.append(f"- **Source:** `{_short_source(info.source, root)}`")
        elif engine is not None:
            why = engine.refused.get(key, "not loaded")
            lines.append(f"- **Adapter unavailable on this profile:** {why}")
        elif source is not None and source.source:
            lines.append(f"- **Source:** `{_short_source(source.source, root)}` (the model is still loading)")
        return "\n".join(lines)
