import ast
import json
import re

import pytest

from lora_land.miniatures import GENERATORS, TEST_POOL, Example, make_split, tasks

INPUT_COLUMNS = {
    "bc5cdr": ["tokens_concatenated"],
    "conllpp": ["input"],
    "covid": ["OriginalTweet", "TweetAt", "Location"],
    "customer_support": ["text"],
    "dbpedia": ["title", "content"],
    "drop": ["passage", "question"],
    "e2e_nlg": ["meaning_representation"],
    "glue_cola": ["sentence"],
    "glue_mnli": ["premise", "hypothesis"],
    "glue_mrpc": ["sentence1", "sentence2"],
    "glue_qnli": ["question", "sentence"],
    "glue_qqp": ["question1", "question2"],
    "glue_sst2": ["sentence"],
    "glue_stsb": ["sentence1", "sentence2"],
    "gsm8k": ["question"],
    "hellaswag": ["ctx", "endings"],
    "hellaswag_processed": ["ctx"],
    "jigsaw": ["comment_text"],
    "legal": ["clause_text"],
    "magicoder": ["problem", "lang"],
    "tldr_content_gen": ["headline"],
    "tldr_headline_gen": ["content"],
    "viggo": ["meaning_representation"],
    "webnlg": ["modified_triple_set_preprocessed"],
    "wikisql": ["table", "question"],
}
LABELS = {
    "covid": {"Extremely Positive", "Positive", "Neutral", "Negative", "Extremely Negative"},
    "customer_support": {"replace card", "transfer money", "check balance", "order checks", "pay bill",
                         "reset password", "schedule appointment", "get branch hours", "none of the above"},
    "dbpedia": {str(i) for i in range(14)},
    "glue_cola": {"0", "1"},
    "glue_mnli": {"0", "1", "2"},
    "glue_mrpc": {"0", "1"},
    "glue_qnli": {"0", "1"},
    "glue_qqp": {"0", "1"},
    "glue_sst2": {"0", "1"},
    "glue_stsb": {f"{i}.0" for i in range(6)},
    "hellaswag": {"0", "1", "2", "3"},
    "jigsaw": {"yes", "no"},
    "legal": {"governing-law", "termination", "confidentiality", "indemnification", "assignment", "notices",
              "severability", "force-majeure", "payment", "warranties"},
}


def test_tasks_are_the_25_reference_tasks():
    assert tasks() == sorted(INPUT_COLUMNS)
    assert set(GENERATORS) == set(INPUT_COLUMNS)


@pytest.mark.parametrize("task", sorted(INPUT_COLUMNS))
def test_split_is_deterministic_and_seeded(task):
    first = make_split(task, "train", 20, seed=3)
    assert first == make_split(task, "train", 20, seed=3)
    assert first != make_split(task, "train", 20, seed=4)
    assert make_split(task, "test", 20) == make_split(task, "test", 20)
    assert make_split(task, "test", 10) == make_split(task, "test", 20)[:10]


@pytest.mark.parametrize("task", sorted(INPUT_COLUMNS))
def test_fields_are_the_reference_input_columns(task):
    for example in make_split(task, "train", 50):
        assert isinstance(example, Example)
        assert list(example.fields) == INPUT_COLUMNS[task]
        assert all(isinstance(v, str) and v.strip() for v in example.fields.values())
        assert isinstance(example.target, str) and example.target.strip()


@pytest.mark.parametrize("task", sorted(INPUT_COLUMNS))
def test_train_never_holds_a_test_example(task):
    test = {tuple(sorted(e.fields.items())) for e in make_split(task, "test", TEST_POOL)}
    train = make_split(task, "train", 1000)
    assert not test & {tuple(sorted(e.fields.items())) for e in train}


@pytest.mark.parametrize("task", sorted(INPUT_COLUMNS))
def test_lengths_are_bounded_and_ascii(task):
    for example in make_split(task, "train", 200):
        for text in example.fields.values():
            assert len(text.split()) <= 60 and text.isascii()
        assert len(example.target.split()) <= 40 and example.target.isascii()


@pytest.mark.parametrize("task", sorted(LABELS))
def test_every_class_appears(task):
    targets = [e.target for e in make_split(task, "train", 200)]
    assert set(targets) == LABELS[task]
    fair_share = len(targets) / len(LABELS[task])
    assert max(targets.count(label) for label in LABELS[task]) <= 1.3 * fair_share + 10


@pytest.mark.parametrize("task", sorted(set(INPUT_COLUMNS) - set(LABELS)))
def test_generation_targets_vary_with_the_input(task):
    examples = make_split(task, "train", 200)
    assert len({e.target for e in examples}) >= 14


def test_ner_targets_parse_and_copy_words_of_the_input():
    for example in make_split("bc5cdr", "train", 100):
        tags = ast.literal_eval(example.target)
        assert list(tags) == ["B-Chemical", "B-Disease", "I-Disease", "I-Chemical"]
        words = example.fields["tokens_concatenated"].split()
        assert all(w in words for entities in tags.values() for w in entities)
    for example in make_split("conllpp", "train", 100):
        tags = json.loads(example.target)
        assert list(tags) == ["person", "organization", "location", "miscellaneous"]
        assert example.target == json.dumps(tags)
        assert all(e in example.fields["input"] for entities in tags.values() for e in entities)


def test_multi_word_diseases_give_inside_tags():
    targets = [ast.literal_eval(e.target) for e in make_split("bc5cdr", "train", 200)]
    assert any(t["I-Disease"] for t in targets) and any(t["I-Chemical"] for t in targets)


def test_wikisql_targets_are_select_queries_on_the_schema():
    for example in make_split("wikisql", "train", 100):
        match = re.fullmatch(r"SELECT (?:COUNT\()?(\w+)\)? FROM (\w+) WHERE (\w+) = '([^']+)'", example.target)
        assert match
        column, table, where, value = match.groups()
        assert example.fields["table"].startswith(f"table_name: {table}, columns: ")
        assert column in example.fields["table"] and where in example.fields["table"]
        assert value in example.fields["question"]


def test_stsb_score_is_five_minus_changed_slots():
    for example in make_split("glue_stsb", "train", 100):
        differing = sum(a != b for a, b in zip(example.fields["sentence1"].split(), example.fields["sentence2"].split()))
        assert (example.target == "5.0") == (differing == 0)


def test_magicoder_solutions_define_the_named_function():
    for example in make_split("magicoder", "train", 100):
        name = re.search(r"`(\w+)`", example.fields["problem"]).group(1)
        assert example.fields["lang"] in ("Python", "JavaScript")
        prefix = "def " if example.fields["lang"] == "Python" else "function "
        assert example.target.startswith(f"{prefix}{name}(")
        assert len(example.target.splitlines()) <= 3


def test_tldr_tasks_are_inverse_mappings():
    for content_example, headline_example in zip(make_split("tldr_content_gen", "train", 50),
                                                 make_split("tldr_headline_gen", "train", 50)):
        assert content_example.fields["headline"].split()[0] in content_example.target
        assert headline_example.target.split()[0] in headline_example.fields["content"]


def test_unknown_task_or_split_is_a_value_error():
    with pytest.raises(ValueError, match="no_such_task"):
        make_split("no_such_task", "train", 1)
    with pytest.raises(ValueError, match="validation"):
        make_split("gsm8k", "validation", 1)
    with pytest.raises(ValueError):
        make_split("gsm8k", "test", TEST_POOL + 1)
