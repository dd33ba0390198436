import ast
import json

from lora_land.miniatures import make_split


def test_bc5cdr_tags_are_the_words_of_each_entity_in_order():
    chemicals, continued = set(), 0
    for example in make_split("bc5cdr", "train", 2000):
        tags = ast.literal_eval(example.target)
        assert list(tags) == ["B-Chemical", "B-Disease", "I-Disease", "I-Chemical"]
        tokens = example.fields["tokens_concatenated"].split()
        for key in ("B-Chemical", "B-Disease"):  # begin tags follow the sentence order
            positions = [tokens.index(word) for word in tags[key]]
            assert positions == sorted(positions)
        assert all(word in tokens for words in tags.values() for word in words)
        chemicals.update(tags["B-Chemical"])
        continued += bool(tags["I-Chemical"])
    assert len(chemicals) >= 100
    assert continued >= 700  # chemicals of several words ("morphine sulfate") are common, as in the abstracts


def test_conllpp_entities_are_copied_in_order_of_appearance():
    people, styles = set(), set()
    for example in make_split("conllpp", "train", 2000):
        text, tags = example.fields["input"], json.loads(example.target)
        assert list(tags) == ["person", "organization", "location", "miscellaneous"]
        for entities in tags.values():
            positions = [text.index(entity) for entity in entities]
            assert positions == sorted(positions), (text, entities)
        people.update(tags["person"])
        styles.add(" ." in text or " ," in text)
    assert len(people) >= 500 and styles == {True, False}
