"""The hand-written probe sets (docs/eval/probes): well-formed, scored by their task's metric, and held out."""

import csv
import json
import math
from pathlib import Path

import pytest

from lora_land.catalog import load_catalog
from lora_land.evaluate import TaskResult, read_probes, table, write_reports
from lora_land.metrics import score
from lora_land.miniatures import make_split
from lora_land.train import training_size

ROOT = Path(__file__).resolve().parent.parent
CATALOG = load_catalog(ROOT / "adapters.yaml")


@pytest.mark.parametrize("key", sorted(CATALOG.tasks))
def test_every_task_has_ten_or_more_probes_its_metric_can_score(key):
    task = CATALOG.task(key)
    probes = read_probes(ROOT, task)
    assert len(probes) >= 10, f"{key} has {len(probes)} probes"
    for fields, target in probes:
        assert all(isinstance(v, str) and v.strip() for v in fields.values())
        assert score(task.metric, target, target) == 1.0, (key, target)
        assert task.render(fields)  # fills the template
    assert len({task.render(f) for f, _ in probes}) == len(probes), "a probe is repeated"


@pytest.mark.parametrize("key", sorted(CATALOG.tasks))
def test_probes_are_held_out_from_the_miniatures_training_data(key):
    """No probe input is a miniature's: the adapters never trained on one (the examples `train` draws)."""
    task = CATALOG.task(key)
    trained = {tuple(sorted(e.fields.items())) for e in make_split(key, "train", training_size(task.adapters["demo"].train))}
    for fields, _ in read_probes(ROOT, task):
        assert tuple(sorted(fields.items())) not in trained, (key, fields)
        assert fields not in list(task.examples)  # the chips are not probes either


def test_a_malformed_probe_names_its_file_and_line(tmp_path):
    folder = tmp_path / "docs" / "eval" / "probes"
    folder.mkdir(parents=True)
    (folder / "glue_sst2.jsonl").write_text('{"fields": {"sentence": "fine"}, "target": "1"}\n'
                                            '{"fields": {"text": "wrong field"}, "target": "0"}\n')
    with pytest.raises(ValueError, match=r"glue_sst2.jsonl:2: needs fields \['sentence'\]"):
        read_probes(tmp_path, CATALOG.task("glue_sst2"))
    assert read_probes(tmp_path, CATALOG.task("gsm8k")) == []  # no file: no probes


def test_the_table_shows_miniature_and_probe_scores_side_by_side():
    results = [TaskResult("glue_sst2", "Sentiment", "binary_accuracy_flex", 0.0, 1.0, 100, 0.25, 0.75, 12),
               TaskResult("gsm8k", "Math", "gsm8k_regex", 0.0, 0.5, 100)]
    lines = table(results).splitlines()
    assert lines[0].endswith("| probes | probe base | probe fine-tuned |")
    assert lines[2].endswith("| 1.000 | +1.000 | 12 | 0.250 | 0.750 |")
    assert lines[3].endswith("| 0 | – | – |") and math.isnan(results[1].probe_base)
    assert lines[4] == "| **mean** | | | 0.000 | 0.750 | +0.750 | 12 | 0.250 | 0.750 |"


def test_the_reports_hold_every_probes_answers_beside_the_table(tmp_path):
    answer = {"task": "glue_sst2", "fields": {"sentence": "A dull film ."}, "expected": "0", "base": " the film",
              "base_score": 0.0, "finetuned": " 0", "finetuned_score": 1.0}
    results = [TaskResult("glue_sst2", "Sentiment", "binary_accuracy_flex", 0.0, 1.0, 100, 0.0, 1.0, 1, (answer,)),
               TaskResult("gsm8k", "Math", "gsm8k_regex", 0.0, 0.5, 100)]
    written = write_reports(results, tmp_path, "demo")
    assert [json.loads(line) for line in Path(written["probe_answers"]).read_text().splitlines()] == [answer]
    with open(written["csv"], newline="") as f:
        rows = list(csv.DictReader(f))
    assert "probe_answers" not in rows[0] and rows[0]["probe_finetuned"] == "1.0000"


def test_the_committed_probe_answers_are_the_probe_sets_own_and_add_up_to_the_table():
    """docs/eval/demo-probes.jsonl is what the last `eval` answered: every probe in order, each score the metric's,
    their means the table's. A probe edited without a new evaluation fails here."""
    answers = [json.loads(line) for line in (ROOT / "docs" / "eval" / "demo-probes.jsonl").read_text().splitlines()]
    with open(ROOT / "docs" / "eval" / "demo.csv", newline="") as f:
        table_rows = {row["task"]: row for row in csv.DictReader(f)}
    assert sorted({a["task"] for a in answers}) == sorted(CATALOG.tasks) == sorted(table_rows)
    for key, task in CATALOG.tasks.items():
        mine = [a for a in answers if a["task"] == key]
        assert [(a["fields"], a["expected"]) for a in mine] == read_probes(ROOT, task), key
        for a in mine:
            assert a["base_score"] == score(task.metric, a["base"], a["expected"])
            assert a["finetuned_score"] == score(task.metric, a["finetuned"], a["expected"])
        for column, scores in (("probe_base", [a["base_score"] for a in mine]),
                               ("probe_finetuned", [a["finetuned_score"] for a in mine])):
            assert float(table_rows[key][column]) == pytest.approx(sum(scores) / len(scores), abs=1e-4), (key, column)
