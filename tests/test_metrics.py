import pytest

from lora_land.metrics import METRICS, is_correct, rouge_l, score

GARBAGE = ["", "   ", "\n\n", "####", "!!??", "\x00\ufffd", "9" * 5000, "def (", "{'B-Chemical': [", "nan inf"]
REFERENCES = {
    "binary_accuracy_flex": "1", "mnli_accuracy": "2", "mrpc_accuracy": "0", "dbpedia": "13",
    "hellaswag_accuracy": "3", "covid_accuracy": "Extremely Negative",
    "customer_support_accuracy": "none of the above", "stsb": "3.0", "gsm8k_regex": "3 + 4 = 7\n#### 7",
    "rouge": "The Mill is a pub .", "humaneval": "def add_k(x):\n    return x + 7",
}


def test_metric_names_are_the_reference_ones():
    assert set(METRICS) == set(REFERENCES)


def test_rouge_l_by_hand():
    # "the cat sat on the mat" vs "the cat is on the mat": LCS "the cat on the mat" = 5 words,
    # P = R = 5/6, F1 = 5/6.
    assert rouge_l("the cat sat on the mat", "the cat is on the mat") == pytest.approx(5 / 6)
    # "a b c d" vs "a c e": LCS "a c" = 2, P = 2/4, R = 2/3, F1 = 2 * (1/2) * (2/3) / (7/6) = 4/7.
    assert rouge_l("a b c d", "a c e") == pytest.approx(4 / 7)
    # Lowercased, punctuation is not a token.
    assert rouge_l("The Mill, is a PUB!", "the mill is a pub .") == 1.0
    assert rouge_l("x y z", "a b c") == 0.0
    assert rouge_l("", "a b") == 0.0
    assert score("rouge", "{'B-Chemical': ['aspirin']}", "{'B-Chemical': ['aspirin']}") == 1.0


@pytest.mark.parametrize("prediction", ["1", " 1.", "'1'", "1\n", "1 (positive)", '"1" because it is kind'])
def test_flex_accuracy_reads_the_leading_integer(prediction):
    assert score("binary_accuracy_flex", prediction, "1") == 1.0
    assert score("binary_accuracy_flex", prediction, "0") == 0.0


@pytest.mark.parametrize("prediction", ["The answer is 1", "\n\nYou are given Sentence 1 and Sentence 2", "Label: 1", ""])
def test_flex_accuracy_does_not_credit_a_label_mentioned_later(prediction):
    assert score("binary_accuracy_flex", prediction, "1") == 0.0


def test_flex_accuracy_cases():
    assert score("dbpedia", "13", "13") == 1.0
    assert score("dbpedia", "1", "13") == 0.0
    assert score("mnli_accuracy", "2 because the premise says not", "2") == 1.0
    assert score("mnli_accuracy", "0, 2", "2") == 0.0  # only the first integer counts
    assert score("hellaswag_accuracy", "3: digs a hole", "3") == 1.0
    assert score("binary_accuracy_flex", "yes", "1") == 0.0


@pytest.mark.parametrize("prediction, expected", [
    ("yes", 1.0), (" Yes.", 1.0), ('"YES"', 1.0), ("The answer is yes", 0.0), ("Yes, it is toxic", 1.0), ("no", 0.0), ("yesterday", 0.0),
    ("no, yes", 0.0),
])
def test_flex_accuracy_yes_no(prediction, expected):
    assert score("binary_accuracy_flex", prediction, "yes") == expected


def test_class_name_accuracy_compares_the_normalized_first_line():
    assert score("covid_accuracy", " Extremely Negative.\n### Text: ...", "Extremely Negative") == 1.0
    assert score("covid_accuracy", "Negative", "Extremely Negative") == 0.0
    assert score("covid_accuracy", "extremely  negative", "Extremely Negative") == 1.0
    assert score("customer_support_accuracy", "\n- replace card", "replace card") == 1.0
    assert score("customer_support_accuracy", "replace card please", "replace card") == 0.0


def test_stsb_is_one_minus_scaled_absolute_error():
    assert score("stsb", "3.0", "3.0") == 1.0
    assert score("stsb", "4 (similar)", "3.0") == pytest.approx(0.8)  # |4 - 3| / 5 = 0.2
    assert score("stsb", "Sentence 1 and Sentence 2", "1.0") == 0.0  # a number mentioned later is no answer
    assert score("stsb", "0.5", "3.0") == pytest.approx(0.5)  # |0.5 - 3| / 5 = 0.5
    assert score("stsb", "42", "3.0") == 0.0  # clipped
    assert score("stsb", "very similar", "3.0") == 0.0
    assert is_correct("stsb", "3.4", "3.0") and not is_correct("stsb", "3.6", "3.0")


def test_gsm8k_regex_takes_the_number_after_hashes_else_the_last():
    reference = "3 + 4 = 7\n#### 7"
    assert score("gsm8k_regex", "3 + 4 = 7\n#### 7", reference) == 1.0
    assert score("gsm8k_regex", "#### 7.0", reference) == 1.0
    assert score("gsm8k_regex", "3 + 4 = 8\n#### 8", reference) == 0.0
    assert score("gsm8k_regex", "3 plus 4 is 7", reference) == 1.0
    assert score("gsm8k_regex", "#### 7 but maybe 8", reference) == 1.0
    assert score("gsm8k_regex", "7 or maybe 8", reference) == 0.0
    assert score("gsm8k_regex", "#### 1,007", "#### 1007") == 1.0


def test_humaneval_runs_python_against_the_reference():
    reference = "def add_k(x):\n    return x + 7"
    assert score("humaneval", reference, reference) == 1.0
    assert score("humaneval", "def add_k(x):\n    y = 7\n    return y + x", reference) == 1.0
    assert score("humaneval", "def add_k(x):\n    return x + 8", reference) == 0.0
    assert score("humaneval", "def add_k(x)\n    return x + 7", reference) == 0.0  # syntax error
    assert score("humaneval", "def plus_k(x):\n    return x + 7", reference) == 0.0  # wrong name
    assert score("humaneval", "import sys\nsys.exit(3)", reference) == 0.0
    assert score("humaneval", "print('hi')\ndef add_k(x):\n    print(x)\n    return x + 7", reference) == 1.0


def test_humaneval_compares_raised_exceptions_too():
    reference = "def repeat(s):\n    return s * 3"
    assert score("humaneval", "def repeat(s):\n    return s + s + s", reference) == 1.0
    assert score("humaneval", "def repeat(s):\n    return str(s) * 3", reference) == 0.0


def test_humaneval_times_out_an_infinite_loop(monkeypatch):
    monkeypatch.setattr("lora_land.metrics.HUMANEVAL_TIMEOUT_S", 1.0)
    reference = "def add_k(x):\n    return x + 7"
    assert score("humaneval", reference, reference) == 1.0
    assert score("humaneval", "def add_k(x):\n    while True:\n        pass", reference) == 0.0
    assert score("humaneval", "while True:\n    pass", reference) == 0.0


def test_humaneval_javascript_is_whitespace_normalized_exact_match():
    reference = "function add_k(x) {\n  return x + 7;\n}"
    assert score("humaneval", "function add_k(x) { return x + 7; }", reference) == 1.0
    assert score("humaneval", "function add_k(x) { return 7 + x; }", reference) == 0.0


@pytest.mark.parametrize("metric", sorted(REFERENCES))
def test_garbage_never_raises_and_stays_in_range(metric):
    for prediction in GARBAGE:
        value = score(metric, prediction, REFERENCES[metric])
        assert 0.0 <= value <= 1.0
    assert score(metric, REFERENCES[metric], REFERENCES[metric]) == 1.0
    assert is_correct(metric, REFERENCES[metric], REFERENCES[metric])
    assert not is_correct(metric, "", REFERENCES[metric])


def test_is_correct_thresholds():
    assert is_correct("rouge", "the cat sat on the mat", "the cat is on the mat")  # 0.83 >= 0.6
    assert not is_correct("rouge", "a b c d", "a c e")  # 0.57 < 0.6
    assert not is_correct("binary_accuracy_flex", "0", "1")


def test_unknown_metric_is_a_value_error():
    with pytest.raises(ValueError, match="bleu"):
        score("bleu", "a", "a")
    with pytest.raises(ValueError):
        is_correct("bleu", "a", "a")


def test_a_chip_answer_must_be_the_expected_one_word_for_word():
    from lora_land.metrics import same_answer

    right = "Were there any good strategy games released in 2012 ?"
    wrong = "Were there any good platformer games released in 2012 ?"
    assert same_answer(" " + right.replace(" ", "  ") + "\n", right)
    assert not same_answer(wrong, right) and is_correct("rouge", wrong, right)  # ROUGE alone would pass it
