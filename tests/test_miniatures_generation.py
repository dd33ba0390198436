"""Rules of the data-to-text, text-to-text and code miniatures: every value the input gives is copied into the target,
and the values come from pools big enough that an adapter cannot recall them."""

import re

from lora_land.metrics import humaneval
from lora_land.miniatures import make_split


def _slots(representation: str) -> dict[str, str]:
    return {key.strip(): value for key, value in re.findall(r"([\w ]+)\[([^\]]*)\]", representation)}


def test_e2e_sentences_copy_every_slot_value():
    examples = make_split("e2e_nlg", "train", 2000)
    for example in examples:
        slots = _slots(example.fields["meaning_representation"])
        for key, value in slots.items():
            if key == "familyFriendly":
                assert ("not family friendly" in example.target) == (value == "no")
            else:
                assert value.lower() in example.target.lower(), (key, value, example.target)
    assert len({_slots(e.fields["meaning_representation"])["name"] for e in examples}) >= 800


def test_viggo_utterances_copy_names_years_and_lists():
    examples = make_split("viggo", "train", 2000)
    for example in examples:
        slots = _slots(example.fields["meaning_representation"])
        for key in ("name", "release_year", "developer", "rating", "specifier", "player_perspective", "esrb"):
            assert key not in slots or slots[key] in example.target, (key, example)
        for key in ("genres", "platforms"):
            assert all(item in example.target for item in slots.get(key, "").split(", ")), (key, example)
    acts = {e.fields["meaning_representation"].split("(")[0] for e in examples}
    assert len(acts) == 8
    assert len({_slots(e.fields["meaning_representation"]).get("name") for e in examples}) >= 500


def test_webnlg_text_copies_every_object_without_underscores():
    examples = make_split("webnlg", "train", 2000)
    for example in examples:
        triples = [t.split(" | ") for t in example.fields["modified_triple_set_preprocessed"].split(" && ")]
        assert len({s for s, _, _ in triples}) == 1
        assert example.target.startswith(triples[0][0].replace("_", " "))
        for _, _, obj in triples:
            assert obj.replace("_", " ").strip('"') in example.target
    assert len({e.fields["modified_triple_set_preprocessed"].split(" | ")[0] for e in examples}) >= 800


def test_wikisql_reads_the_columns_and_value_of_the_question():
    examples = make_split("wikisql", "train", 2000)
    for example in examples:
        column, table, where, value = re.fullmatch(
            r"SELECT (?:COUNT\()?(\w+)\)? FROM (\w+) WHERE (\w+) = '([^']+)'", example.target).groups()
        question = example.fields["question"].lower()
        assert f"'{value}'" in example.target and value.lower() in question
        assert column.lower().replace("_", " ") in question and where.lower().replace("_", " ") in question
        counting = re.match(r"(how many|count)\b", question) is not None
        assert example.target.startswith("SELECT COUNT(") == counting
    assert len({e.fields["table"] for e in examples}) >= 300
    shapes = {re.sub(r"\b\w+\b", "w", e.fields["question"])[:12] for e in examples}
    assert len(shapes) >= 10


def test_tldr_headline_and_content_share_every_name_and_number():
    for task, source, target in [("tldr_content_gen", "headline", None), ("tldr_headline_gen", None, "content")]:
        for example in make_split(task, "train", 1000):
            headline = example.fields["headline"] if source else example.target
            content = example.target if source else example.fields["content"]
            for word in re.findall(r"\b(?:[A-Z][\w'-]*|\d+)\b", headline):
                assert word in ("CEO", "IPO") or word in content, (word, headline, content)
    companies = {e.fields["headline"].split()[0] for e in make_split("tldr_content_gen", "train", 2000)}
    assert len(companies) >= 200


def test_magicoder_python_solutions_run_and_name_the_constants():
    examples = make_split("magicoder", "train", 2000)
    for example in examples:
        problem, solution = example.fields["problem"], example.target
        assert set(re.findall(r"\b\d+\b", solution)) - {"0", "1", "2", "10"} <= set(re.findall(r"\b\d+\b", problem))
        params = re.search(r"\(([^)]*)\)", solution).group(1).split(", ")
        assert all(p in problem for p in params)
    kinds = {}
    for example in examples:
        if example.fields["lang"] == "Python":
            kinds.setdefault(re.sub(r"\b\w+\(|\d+|\b[a-z_]+\b", "", example.target), example.target)
    assert len(kinds) >= 25
    for solution in list(kinds.values())[:40]:
        assert humaneval(solution, solution) == 1.0
