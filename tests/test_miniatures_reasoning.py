import json
import re
from collections import Counter

from lora_land.miniatures import make_split
from lora_land.miniatures.reasoning import _ACTIVITIES, _untokenize


def test_gsm8k_expression_follows_the_story_and_gives_the_answer():
    names, sizes = set(), Counter()
    for example in make_split("gsm8k", "train", 2000):
        question = example.fields["question"]
        reasoning, answer = example.target.split("\n#### ")
        expression, result = reasoning.split(" = ")
        tokens = expression.split()
        assert result == answer and int(answer) >= 0
        assert int(answer) == eval(expression)  # digits and + - * only
        assert len(tokens) in (3, 5) and all(op in "+-*" for op in tokens[1::2])
        operands = tokens[::2]
        assert all(1 <= int(n) <= 200 for n in operands)
        sizes.update(len(n) for n in operands + [answer])
        numbers = re.findall(r"\d+", question)
        it = iter(numbers)  # operands appear in the question in story order (other numbers may sit in between)
        assert all(n in it for n in operands), (question, expression)
        names.add(question.split()[0])
    assert len(names) >= 100
    assert min(sizes[1], sizes[2], sizes[3]) >= 300  # one-, two- and three-digit numbers all common


def test_drop_spans_are_copied_from_passages_of_every_kind():
    kinds, answers = Counter(), set()
    for example in make_split("drop", "train", 2000):
        ((kind, span),) = json.loads(example.target).items()
        assert span in example.fields["passage"]
        kinds[kind] += 1
        answers.add(span)
    assert set(kinds) >= {"player", "team", "yards", "day", "person", "city", "country", "year", "number", "company"}
    assert len(answers) >= 1000


def test_hellaswag_right_ending_follows_the_step_in_the_context():
    steps = {_untokenize(step): _untokenize(ending) for _, pairs in _ACTIVITIES for step, ending in pairs}
    labels = Counter()
    for example in make_split("hellaswag", "train", 1000):
        ctx = _untokenize(example.fields["ctx"])
        options = [_untokenize(o) for o in re.findall(r'"([^"]+)"', example.fields["endings"])]
        (step,) = [s for s in steps if f" {s}." in ctx]
        assert options[int(example.target)] == steps[step]
        assert len(set(options)) == 4
        labels[example.target] += 1
    assert min(labels.values()) >= 200


def test_hellaswag_processed_target_is_decided_by_the_context():
    seen = {}
    for example in make_split("hellaswag_processed", "train", 3000):
        assert seen.setdefault(example.fields["ctx"], example.target) == example.target
    assert len(set(seen.values())) >= 100
