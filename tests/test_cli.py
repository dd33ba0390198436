"""`python -m lora_land compare`: a task's fine-tuned answer beside the base model's, in the terminal."""

from pathlib import Path

import pytest

from lora_land.__main__ import main
from lora_land.miniatures import make_split

ROOT = Path(__file__).resolve().parent.parent


def test_compares_one_task_on_given_fields(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    example = make_split("glue_sst2", "test", 1)[0]
    assert main(["compare", "--task", "glue_sst2", "--field", f"sentence={example.fields['sentence']}"]) == 0
    out = capsys.readouterr().out
    assert "Sentiment Detection (SST2)" in out
    assert f"fine-tuned: '{example.target}'" in out
    assert "base:" in out


def test_unknown_task_is_a_clear_error(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(["compare", "--task", "no_such_task"]) == 2
    assert "unknown task 'no_such_task'" in capsys.readouterr().err


def test_fields_must_match_the_template(monkeypatch):
    monkeypatch.chdir(ROOT)
    with pytest.raises(SystemExit):
        main(["compare", "--task", "glue_sst2", "--field", "premise=hello"])
