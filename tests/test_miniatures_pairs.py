"""Rules of the sentence-pair and acceptability miniatures (lora_land/miniatures/pairs.py)."""

import re
from collections import Counter

import pytest

from lora_land.miniatures import make_split

PAIR_TASKS = ("glue_cola", "glue_mnli", "glue_mrpc", "glue_qnli", "glue_qqp", "glue_stsb")


@pytest.mark.parametrize("task", PAIR_TASKS)
def test_same_fields_never_get_two_targets(task):
    seen = {}
    for example in make_split(task, "train", 3000):
        key = tuple(example.fields.values())
        assert seen.setdefault(key, example.target) == example.target, key


@pytest.mark.parametrize("task", PAIR_TASKS)
def test_inputs_are_varied_and_both_punctuation_styles_occur(task):
    examples = make_split(task, "train", 2000)
    texts = [" ".join(e.fields.values()) for e in examples]
    vocabulary = {w.lower() for t in texts for w in re.findall(r"[A-Za-z']+", t)}
    assert len(vocabulary) >= (200 if task == "glue_stsb" else 400)
    assert len(set(texts)) >= 1800
    if task != "glue_qqp":  # Quora questions are never tokenized
        assert any(re.search(r"\w [.?!]$", t) for t in texts) and any(re.search(r"\w[.?!]$", t) for t in texts)


def test_cola_breaks_sentences_in_many_ways_and_asks_questions():
    sentences = [e.fields["sentence"] for e in make_split("glue_cola", "train", 2000)]
    assert sum(s.endswith("?") for s in sentences) > 100
    assert any(re.search(r"\b(\w+) \1\b", s) for s in sentences)  # a doubled word
    assert any(re.search(r"\b(a [aeiou]\w+|an [b-df-hj-np-tv-z]\w+)\b", s.lower()) for s in sentences)  # a/an
    assert len({len(s.split()) for s in sentences}) >= 15


def test_stsb_identical_pairs_are_exactly_the_fives():
    for example in make_split("glue_stsb", "train", 500):
        same = example.fields["sentence1"] == example.fields["sentence2"]
        assert same == (example.target == "5.0")


def test_qqp_and_mrpc_negatives_share_words_with_the_first_text():
    for task, (a, b) in (("glue_qqp", ("question1", "question2")), ("glue_mrpc", ("sentence1", "sentence2"))):
        overlaps = []
        for example in make_split(task, "train", 500):
            if example.target == "0":
                first, second = (set(example.fields[k].lower().split()) for k in (a, b))
                overlaps.append(len(first & second) / len(second))
        assert sum(o >= 0.6 for o in overlaps) > len(overlaps) / 5  # many near-copies that still differ


def test_labels_are_balanced():
    for task in PAIR_TASKS:
        counts = Counter(e.target for e in make_split(task, "train", 1500))
        assert max(counts.values()) <= 1.25 * min(counts.values())
