"""Scoring of one prediction against one reference, for the 11 LoRA Land metrics.

Every score is a float in [0, 1], higher is better, and no prediction string makes
a metric raise: text with no usable answer scores 0. `METRICS` is keyed by the
`metric_name` values of the task configs.

This module is pure Python scoring. It is not generation, prompt templating or
aggregation over a data set; and `humaneval` runs predicted Python in a separate
`python -I` process with a timeout, which isolates the caller but is no sandbox.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
import tempfile
from typing import Callable

_INTEGER = re.compile(r"-?\d+")
_NUMBER = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?")
_WORD = re.compile(r"[a-z0-9]+")
_YES_NO = re.compile(r"\b(yes|no)\b")
_PYTHON_DEF = re.compile(r"^def\s+([A-Za-z_]\w*)\s*\(", re.MULTILINE)
_STRIP = " \t\r\n\"'`.,;:!?()[]{}-*"
HUMANEVAL_TIMEOUT_S = 5.0


def _first_line(text: str) -> str:
    """The first non-empty line, lowercased, stripped of quotes and punctuation at its ends."""
    for line in text.splitlines():
        line = " ".join(line.lower().strip(_STRIP).split())
        if line:
            return line
    return ""


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def label_accuracy(prediction: str, reference: str) -> float:
    """1.0 when the first non-empty line of the prediction, normalized, equals the reference.

    Normalization lowercases, collapses whitespace and strips quotes, brackets and
    punctuation from both ends, so " Extremely Positive.\\n..." matches
    "Extremely Positive" but "Positive" does not. Used for class-name labels
    (covid, customer_support).
    """
    return float(_first_line(prediction) == _first_line(reference))


def leading_token(text: str) -> str:
    """The answer's first word, lowercased, with quotes and punctuation stripped from its ends."""
    words = text.strip(_STRIP).split()
    return words[0].lower().strip(_STRIP) if words else ""


def flex_accuracy(prediction: str, reference: str) -> float:
    """1.0 when the answer's leading token is the reference label.

    The label must open the answer, give or take whitespace, quotes and punctuation:
    "1", " 1.", "'1'", "1 (positive)" read as 1, and "Yes." as yes; an answer that only
    mentions a label later ("Sentence 1 and Sentence 2 ...") does not count, so a
    model that rambles on is not credited by chance. Integer labels compare as numbers.
    References that are neither an integer nor yes/no fall back to `label_accuracy`.
    """
    expected = _first_line(reference)
    if _INTEGER.fullmatch(expected):
        token = leading_token(prediction)
        return float(bool(_INTEGER.fullmatch(token)) and _number(token) == _number(expected))
    if expected in ("yes", "no"):
        return float(leading_token(prediction) == expected)
    return label_accuracy(prediction, reference)


def stsb(prediction: str, reference: str) -> float:
    """1 - |p - r| / 5, clipped to [0, 1]: mean absolute error on the 0..5 scale, turned into a score.

    p is the number that opens the prediction (score 0.0 when it does not open with
    one), r the reference number. A score s corresponds to an absolute error of 5 * (1 - s).
    """
    token = leading_token(prediction)
    if not _NUMBER.fullmatch(token):
        return 0.0
    error = abs(_number(token) - _number(reference.strip()))
    return min(1.0, max(0.0, 1.0 - error / 5.0))


def final_answer(text: str) -> float | None:
    """The gsm8k answer: the first number after "####", else the last number in the text."""
    if "####" in text:
        found = _NUMBER.search(text.split("####", 1)[1])
        if found:
            return _number(found.group())
    numbers = _NUMBER.findall(text)
    return _number(numbers[-1]) if numbers else None


def gsm8k_regex(prediction: str, reference: str) -> float:
    """1.0 when `final_answer` of the prediction equals that of the reference."""
    predicted = final_answer(prediction)
    return float(predicted is not None and predicted == final_answer(reference))


def rouge_l(prediction: str, reference: str) -> float:
    """ROUGE-L F1: longest common subsequence of lowercased [a-z0-9]+ word tokens.

    The tokenization is that of the rouge_score package without stemming. Two
    empty texts score 1.0; one empty text scores 0.0.
    """
    predicted, expected = _WORD.findall(prediction.lower()), _WORD.findall(reference.lower())
    if not predicted or not expected:
        return float(predicted == expected)
    previous = [0] * (len(expected) + 1)
    for word in predicted:
        current = [0]
        for j, other in enumerate(expected):
            current.append(previous[j] + 1 if word == other else max(previous[j + 1], current[j]))
        previous = current
    common = previous[-1]
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(expected)
    return 2 * precision * recall / (precision + recall)


# Runs in a fresh `python -I` process: defines the solution, calls the named function
# on fixed inputs chosen by its arity, and writes the reprs (or raised exception names)
# as one JSON line. Output printed by the solution itself goes to stderr.
_HARNESS = r"""
import inspect, json, sys
request = json.load(sys.stdin)
out, sys.stdout = sys.stdout, sys.stderr
INPUTS = {
    0: [()],
    1: [(v,) for v in [*range(-5, 31), 100, "", "ab", "hello", [], [1, 2, 3], list(range(30))]],
    2: [(0, 0), (1, 2), (5, 3), (-2, 7), (10, 10), (9, -4)],
}
try:
    namespace = {"__name__": "solution"}
    exec(compile(request["code"], "<solution>", "exec"), namespace)
    function = namespace[request["name"]]
    calls = INPUTS.get(len(inspect.signature(function).parameters), [])
except BaseException as error:
    out.write(json.dumps({"error": type(error).__name__}) + "\n")
    sys.exit(0)
results = []
for args in calls:
    try:
        results.append(repr(function(*args)))
    except BaseException as error:
        results.append("raised " + type(error).__name__)
out.write(json.dumps({"results": results}) + "\n")
"""


def _run_python(code: str, name: str) -> dict | None:
    """The harness's JSON result for `code`, or None on timeout or a harness failure."""
    with tempfile.TemporaryDirectory() as workdir:
        try:
            finished = subprocess.run(
                [sys.executable, "-I", "-c", _HARNESS], input=json.dumps({"code": code, "name": name}),
                capture_output=True, text=True, timeout=HUMANEVAL_TIMEOUT_S, cwd=workdir)
        except subprocess.TimeoutExpired:
            return None
    lines = finished.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        return None


_reference_behaviour = functools.lru_cache(maxsize=256)(_run_python)


def humaneval(prediction: str, reference: str) -> float:
    """Functional correctness of a predicted function against the reference solution.

    Python (the reference has a `def NAME(` line): reference and prediction each run
    in a separate `python -I` subprocess with a HUMANEVAL_TIMEOUT_S timeout; the
    prediction must define NAME, and scores 1.0 when NAME returns the same values
    (and raises the same exception types) as the reference on a fixed set of inputs
    chosen by the function's arity. Syntax errors, a missing NAME and timeouts score 0.
    Any other language (the JavaScript miniatures): 1.0 when the code equals the
    reference after collapsing all whitespace; nothing is executed.
    """
    definition = _PYTHON_DEF.search(reference)
    if definition is None:
        return float(prediction.split() == reference.split())
    expected = _reference_behaviour(reference, definition.group(1))
    if expected is None or "results" not in expected:
        return float(prediction.split() == reference.split())
    return float(_run_python(prediction, definition.group(1)) == expected)


METRICS: dict[str, Callable[[str, str], float]] = {
    "binary_accuracy_flex": flex_accuracy,
    "mnli_accuracy": flex_accuracy,
    "mrpc_accuracy": flex_accuracy,
    "dbpedia": flex_accuracy,
    "hellaswag_accuracy": flex_accuracy,
    "covid_accuracy": label_accuracy,
    "customer_support_accuracy": label_accuracy,
    "stsb": stsb,
    "gsm8k_regex": gsm8k_regex,
    "rouge": rouge_l,
    "humaneval": humaneval,
}
_CORRECT_AT = {"stsb": 0.9, "rouge": 0.6}  # every other metric: 1.0


def score(metric: str, prediction: str, reference: str) -> float:
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; expected one of {sorted(METRICS)}")
    return METRICS[metric](prediction, reference)


def is_correct(metric: str, prediction: str, reference: str) -> bool:
    """Whether one example counts as answered correctly: a full score, or 0.9 for stsb and 0.6 for rouge."""
    return score(metric, prediction, reference) >= _CORRECT_AT.get(metric, 1.0)


def same_answer(prediction: str, reference: str) -> bool:
    """The expected answer word for word (spacing aside): how a chip's answer is judged, stricter than
    `is_correct`, whose ROUGE threshold passes a sentence with one wrong name."""
    return " ".join(prediction.split()) == " ".join(reference.split())
