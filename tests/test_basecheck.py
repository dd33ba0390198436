"""check-base: the lookup question's data, the copy measure, and the command end to end on the committed base."""

import json
from pathlib import Path

import pytest

from transformers import AutoModelForCausalLM, AutoTokenizer

from lora_land.__main__ import main
from lora_land.basecheck import LOOKUP_SIZES, copy_losses, lookup_examples, lookup_task, lookup_words
from lora_land.catalog import load_catalog

ROOT = Path(__file__).resolve().parent.parent
BASE = load_catalog(ROOT / "adapters.yaml").profile("demo").base


def test_lookup_words_are_whole_words_of_one_token():
    tokenizer = AutoTokenizer.from_pretrained(BASE)
    words = lookup_words(tokenizer)
    assert len(words) > 500
    for word in words[:: len(words) // 50]:
        assert word.isalpha() and word.islower() and len(tokenizer(" " + word, add_special_tokens=False)["input_ids"]) == 1


def test_a_lookup_answer_says_whether_the_word_is_listed():
    words = [f"w{chr(97 + i)}{chr(97 + j)}" for i in range(8) for j in range(8)]
    examples = lookup_examples(words, 400, seed=3)
    assert examples == lookup_examples(words, 400, seed=3) and examples != lookup_examples(words, 400, seed=4)
    for fields, answer in examples:
        listed = fields["words"].split(", ")
        assert LOOKUP_SIZES[0] <= len(listed) <= LOOKUP_SIZES[1] and len(set(listed)) == len(listed)
        assert answer == ("1" if fields["word"] in listed else "0")
    inside = sum(answer == "1" for _, answer in examples)
    assert 160 < inside < 240
    places = {fields["words"].split(", ").index(fields["word"]) for fields, answer in examples if answer == "1"}
    assert len(places) >= LOOKUP_SIZES[1] - 1  # asked about any place in the list, not only the last word
    for fields, answer in lookup_examples(words, 100, seed=3, last=True):
        listed = fields["words"].split(", ")
        assert answer == ("1" if fields["word"] == listed[-1] else "0") and (answer == "1") == (fields["word"] in listed)


def test_a_vocabulary_too_small_for_the_lookup_is_refused():
    with pytest.raises(ValueError, match="the lookup needs at least 24"):
        lookup_examples([f"w{i}" for i in range(23)], 10, seed=0)


def test_the_lookup_renders_as_a_task_prompt():
    prompt = lookup_task("demo").render({"words": "apple, river, stone", "word": "river"})
    assert prompt == "Words: apple, river, stone\nIs river one of them? Answer:"


def test_the_demo_base_copies_what_it_has_read():
    """A random span of tokens written twice: the base predicts its second writing almost surely (the copy drills of
    its pretraining), where without drills its loss was the same both times (13.9 nats) and adapters wrote "Tokyo"
    for a visitor's "Tehran"."""
    special = AutoTokenizer.from_pretrained(BASE).all_special_ids
    first, second = copy_losses(AutoModelForCausalLM.from_pretrained(BASE).eval(), special)
    assert second < 1.0 and second < 0.1 * first, (first, second)


def test_check_base_reports_each_check(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(["check-base", "--lookup-steps", "3", "--task-steps", "3", "--task", "glue_sst2",
                 "--examples", "6"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["base"] == BASE and report["copy"]["second_writing"] < report["copy"]["first_writing"]
    assert report["lookup"]["task"] == "lookup" and report["task"]["task"] == "glue_sst2"
    for check in (report["lookup"], report["lookup_last_word"], report["task"]):
        assert check["steps"] == 3 and 0 <= check["score"] <= 1 and 0.5 <= check["most_common_answer"] <= 1


def test_check_base_with_no_task_and_no_lookup_only_checks_copying(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(["check-base", "--task", "", "--lookup-steps", "0"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"base", "copy"}


def test_check_base_refuses_a_folder_without_a_model_and_an_unknown_task(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(["check-base", "--base", str(tmp_path)]) == 2
    assert "no saved model" in capsys.readouterr().err
    assert main(["check-base", "--task", "no_such_task"]) == 2
    assert "not a task" in capsys.readouterr().err
