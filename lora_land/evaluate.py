"""The evaluation harness: base model versus fine-tuned adapter, per task.

`python -m lora_land eval --profile demo` scores the base model and each task's adapter
on the task's test split (the miniature's), with plain PEFT and greedy decoding, and
prints a table like the LoRA Land paper's Table 12 (task, metric, base, fine-tuned,
lift). It writes the table as CSV and Markdown and draws the lift per task as a PNG.
This is the offline yardstick; it does not use the serving engine.

Beside the test split, each task is scored on its probe set, `docs/eval/probes/<task>.jsonl`:
inputs written by hand in the catalog's style, unlike the miniatures' templates, never
used for training or tuning. A miniature score says the adapter learned its training
distribution; the probe score says whether it reads a visitor's own text.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from lora_land.catalog import Catalog, Task

TEST_EXAMPLES = 100


@dataclass(frozen=True)
class TaskResult:
    task: str
    category: str
    metric: str
    base: float
    finetuned: float
    examples: int
    probe_base: float = math.nan  # on the hand-written probe set; nan when the task has none
    probe_finetuned: float = math.nan
    probes: int = 0
    # each probe's input, expected answer and both answers with their scores (not a column of the CSV)
    probe_answers: tuple[dict, ...] = ()

    @property
    def lift(self) -> float:
        return self.finetuned - self.base


PROBES = Path("docs") / "eval" / "probes"


def read_probes(root: Path, task: Task) -> list[tuple[dict, str]]:
    """The task's hand-written probes, (fields, target) pairs; empty when it has no file."""
    path = root / PROBES / f"{task.key}.jsonl"
    if not path.exists():
        return []
    probes = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        item = json.loads(line)
        if sorted(item.get("fields", {})) != sorted(task.fields) or not isinstance(item.get("target"), str):
            raise ValueError(f"{path}:{number}: needs fields {list(task.fields)} and a text target")
        probes.append((item["fields"], item["target"]))
    return probes


@torch.no_grad()
def generate(model, tokenizer, prompts: list[str], max_new_tokens: int, batch_size: int = 32) -> list[str]:
    """Greedy completions (generated text only) with the model's active adapter."""
    outputs: list[str] = []
    device = next(model.parameters()).device
    for start in range(0, len(prompts), batch_size):
        enc = tokenizer(prompts[start : start + batch_size], return_tensors="pt", padding=True).to(device)
        out = model.generate(
            **enc,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
        )
        new = out[:, enc["input_ids"].shape[1] :]  # (B, new tokens)
        outputs += tokenizer.batch_decode(new, skip_special_tokens=True)
    return outputs


def load_peft(catalog: Catalog, profile: str, tasks: list[Task], device: str | None = None):
    """The profile's base (on `device`, default the profile's) with every available adapter of `tasks` loaded under its task key."""
    from peft import PeftModel

    from lora_land.loading import load_base_model, load_tokenizer

    prof = catalog.profile(profile)
    tokenizer = load_tokenizer(prof)
    tokenizer.padding_side = "left"
    model = load_base_model(prof, device=device)
    available = [t for t in tasks if t.adapters[profile].source]
    if not available:
        return model, tokenizer
    first, *rest = available
    model = PeftModel.from_pretrained(model, first.adapters[profile].source, adapter_name=first.key)
    for task in rest:
        model.load_adapter(task.adapters[profile].source, adapter_name=task.key)
    model.eval()
    return model, tokenizer


def evaluate(
    catalog: Catalog,
    profile: str = "demo",
    tasks: list[str] | None = None,
    n: int = TEST_EXAMPLES,
    seed: int = 0,
    progress: bool = True,
    device: str | None = None,
) -> list[TaskResult]:
    from tqdm import tqdm

    from lora_land.metrics import score
    from lora_land.miniatures import make_split

    selected = [catalog.task(k) for k in (tasks or list(catalog.tasks))]
    model, tokenizer = load_peft(catalog, profile, selected, device=device)

    def answers(task: Task, pairs: list[tuple[dict, str]]) -> list[dict]:
        """The base's and the task's adapter's (None without one) answer to each (fields, target) pair, scored."""
        if not pairs:
            return []
        prompts = [task.render(fields) for fields, _ in pairs]
        with model.disable_adapter():
            base = generate(model, tokenizer, prompts, task.max_new_tokens)
        tuned = [None] * len(pairs)
        if task.adapters[profile].source:
            model.set_adapter(task.key)
            tuned = generate(model, tokenizer, prompts, task.max_new_tokens)
        return [{"task": task.key, "fields": fields, "expected": target,
                 "base": b, "base_score": score(task.metric, b, target),
                 "finetuned": t, "finetuned_score": None if t is None else score(task.metric, t, target)}
                for (fields, target), b, t in zip(pairs, base, tuned)]

    def means(rows: list[dict]) -> tuple[float, float]:
        """Mean score of the base and of the adapter (nan without one, or without rows)."""
        def mean(key: str) -> float:
            return sum(r[key] for r in rows) / len(rows) if rows and rows[0][key] is not None else math.nan

        return mean("base_score"), mean("finetuned_score")

    results = []
    for task in tqdm(selected, desc="evaluate", disable=not progress):
        examples = [(e.fields, e.target) for e in make_split(task.key, "test", n, seed=seed)]
        probes = read_probes(catalog.path.parent, task)
        base, tuned = means(answers(task, examples))
        probed = answers(task, probes)
        results.append(TaskResult(task.key, task.category, task.metric, base, tuned, len(examples),
                                  *means(probed), len(probes), tuple(probed)))
    return results


def table(results: list[TaskResult]) -> str:
    """A Markdown table in the shape of the paper's Table 12 plus the probe set's scores, the means at the bottom."""
    lines = ["| task | category | metric | base | fine-tuned | lift | probes | probe base | probe fine-tuned |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r.task} | {r.category} | {r.metric} | {r.base:.3f} | {r.finetuned:.3f} | {r.lift:+.3f} "
                     f"| {r.probes} | {_cell(r.probe_base)} | {_cell(r.probe_finetuned)} |")
    scored = [r for r in results if r.finetuned == r.finetuned]
    if scored:
        mean = lambda values: sum(values) / len(values) if values else math.nan  # noqa: E731
        base, tuned = mean([r.base for r in scored]), mean([r.finetuned for r in scored])
        probed = [r for r in scored if r.probes]
        lines.append(f"| **mean** | | | {base:.3f} | {tuned:.3f} | {tuned - base:+.3f} | "
                     f"{sum(r.probes for r in probed)} | {_cell(mean([r.probe_base for r in probed]))} | "
                     f"{_cell(mean([r.probe_finetuned for r in probed]))} |")
    return "\n".join(lines)


def _cell(value: float) -> str:
    return "–" if value != value else f"{value:.3f}"


def chart(results: list[TaskResult], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ordered = sorted(results, key=lambda r: r.lift)
    fig, ax = plt.subplots(figsize=(8, 8), dpi=100)
    ax.barh([r.task for r in ordered], [r.base for r in ordered], color="#b0b7c3", label="base")
    ax.barh(
        [r.task for r in ordered],
        [r.lift for r in ordered],
        left=[r.base for r in ordered],
        color="#4f7cff",
        label="lift from the adapter",
    )
    ax.set_xlim(0, 1)
    ax.set_xlabel("score (0..1, higher is better)")
    ax.set_title(title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.07), ncol=2, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_reports(results: list[TaskResult], out_dir: Path, profile: str) -> dict:
    """<profile>.csv, <profile>.md, <profile>.png and <profile>-probes.jsonl (every probe's answers) under out_dir;
    returns their paths and the means."""
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, md_path, png_path = (out_dir / f"{profile}.{ext}" for ext in ("csv", "md", "png"))
    probes_path = out_dir / f"{profile}-probes.jsonl"
    columns = [name for name in asdict(results[0]) if name != "probe_answers"]
    with csv_path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=[*columns, "lift"])
        writer.writeheader()
        for r in results:
            writer.writerow({**{k: getattr(r, k) for k in columns}, "base": f"{r.base:.4f}",
                             "finetuned": f"{r.finetuned:.4f}", "lift": f"{r.lift:.4f}",
                             "probe_base": f"{r.probe_base:.4f}", "probe_finetuned": f"{r.probe_finetuned:.4f}"})
    with probes_path.open("w", encoding="utf-8") as f:
        for r in results:
            for answer in r.probe_answers:
                f.write(json.dumps(answer, ensure_ascii=False) + "\n")
    md_path.write_text(table(results) + "\n", encoding="utf-8")
    chart(results, png_path, f"LoRA Land {profile}: base vs fine-tuned, per task")
    scored = [r for r in results if r.finetuned == r.finetuned]
    probed = [r for r in scored if r.probes]
    return {
        "probe_mean_base": sum(r.probe_base for r in probed) / len(probed) if probed else math.nan,
        "probe_mean_finetuned": sum(r.probe_finetuned for r in probed) / len(probed) if probed else math.nan,
        "probe_adapters_ahead": sum(r.probe_finetuned > r.probe_base for r in probed),
        "csv": str(csv_path),
        "markdown": str(md_path),
        "chart": str(png_path),
        "probe_answers": str(probes_path),
        "mean_base": sum(r.base for r in scored) / len(scored),
        "mean_finetuned": sum(r.finetuned for r in scored) / len(scored),
        "adapters_ahead": sum(r.finetuned > r.base for r in scored),
        "adapters_scored": len(scored),
    }

