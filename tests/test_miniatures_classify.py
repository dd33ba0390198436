"""Rules of the classification miniatures: labels follow their cue words, inputs vary, styles mix."""

import re

import pytest

from lora_land.miniatures import make_split
from lora_land.miniatures import classify

TASKS = ["covid", "customer_support", "dbpedia", "glue_sst2", "jigsaw", "legal"]


def _has_word(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(phrase.lower())}(?![\w-])", text.lower()) is not None


@pytest.mark.parametrize("task", TASKS)
def test_identical_inputs_never_carry_different_labels(task):
    seen = {}
    for example in make_split(task, "train", 4000):
        key = tuple(example.fields.values())
        assert seen.setdefault(key, example.target) == example.target


@pytest.mark.parametrize("task", TASKS)
def test_inputs_are_varied(task):
    examples = make_split(task, "train", 2000)
    first = list(examples[0].fields)[-1 if task == "dbpedia" else 0]
    texts = [e.fields[first] for e in examples]
    assert len(set(texts)) >= 1900
    vocabulary = {w.lower() for t in texts for w in t.split()}
    assert len(vocabulary) >= 600


def test_lexicons_of_different_labels_are_disjoint():
    for lexicon in (classify._SST2_ADJECTIVES, classify._SST2_VERDICTS, classify._COVID_ADJECTIVES):
        lists = list(lexicon.values())
        for i, a in enumerate(lists):
            for b in lists[i + 1:]:
                assert not set(a) & set(b)
    assert not set(classify._INSULT_NOUNS) & set(classify._INSULT_ADJECTIVES)
    assert len(classify._SST2_ADJECTIVES["0"]) >= 100 and len(classify._SST2_ADJECTIVES["1"]) >= 100


def test_sst2_mixes_tokenized_and_ordinary_punctuation():
    sentences = [e.fields["sentence"] for e in make_split("glue_sst2", "train", 500)]
    assert any(" ." in s or " ," in s for s in sentences)
    assert any(re.search(r"\w[.,]", s) for s in sentences)
    assert any(s[0].isupper() for s in sentences) and any(s[0].islower() for s in sentences)


def test_sst2_label_has_its_cue():
    for example in make_split("glue_sst2", "train", 1000):
        sentence = _tokens_joined(example.fields["sentence"]).lower()
        # a word of the label's lexicon is there, or the other label's word is negated
        cues = [w for w in classify._SST2_ADJECTIVES[example.target] + classify._SST2_VERDICTS[example.target]
                if _has_word(sentence, w)]
        negated = re.search(r"\bnever\b|\bnot\b.*\bat all\b", sentence)
        assert cues or negated, sentence


def test_civil_comments_hold_no_insult_and_toxic_ones_do():
    abuse = classify._INSULT_NOUNS + classify._INSULT_ADJECTIVES + classify._ABUSE
    for example in make_split("jigsaw", "train", 1000):
        comment = _tokens_joined(example.fields["comment_text"])
        has_insult = any(_has_word(comment, w) for w in abuse)
        assert has_insult == (example.target == "yes"), comment


def _tokens_joined(text: str) -> str:
    """Undo the tokenized style, so lexicon phrases match either style."""
    text = re.sub(r" ([,.!?;:])", r"\1", text)
    return re.sub(r"(\w) (n't|'s|'d|'ll|'m|'re|'ve)\b", r"\1\2", text)


def test_covid_neutral_tweets_hold_no_sentiment_word():
    judged = [w for label, ws in classify._COVID_ADJECTIVES.items() for w in ws]
    for example in make_split("covid", "train", 1000):
        tweet = example.fields["OriginalTweet"]
        if example.target == "Neutral":
            assert not any(_has_word(tweet, w) for w in judged), tweet
        day, month, year = example.fields["TweetAt"].split("-")
        assert year == "2020" and month in ("03", "04") and 1 <= int(day) <= 31


def test_dbpedia_content_names_a_noun_of_its_class():
    for example in make_split("dbpedia", "train", 1000):
        _, _, nouns, _ = classify._DBPEDIA_CLASSES[int(example.target)]
        content = _tokens_joined(example.fields["content"])
        assert content.startswith((example.fields["title"], "The " + example.fields["title"]))
        assert any(_has_word(content, noun) for noun in nouns), content


def test_customer_support_transcripts_hold_a_request_of_their_intent():
    for example in make_split("customer_support", "train", 500):
        text = example.fields["text"]
        assert text.startswith("agent: ") and " customer: " in text
        requests = classify._SUPPORT_REQUESTS[example.target]
        patterns = [re.escape(r).replace(r"\{", "{").replace(r"\}", "}") for r in requests]
        patterns = [re.sub(r"\{\w+\}", r"[\\w' ]+?", p) for p in patterns]
        assert any(re.search(p, text) for p in patterns), text
