"""Sentence pairs and acceptability (GLUE): cola, mnli, mrpc, qnli, qqp, stsb."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from lora_land.miniatures.common import CITIES, COMPANIES, COUNTRIES, FIRST_NAMES, LAST_NAMES, Example, an, cap, words


def _tokenized(text: str) -> str:
    """The GLUE files' tokenized style: a space before each closing punctuation mark ("the film is dull .")."""
    return re.sub(r"(?<=\S)([,.!?;:])(?=\s|$)", r" \1", text)


def _styled(rng: random.Random, *texts: str, lower: float = 0.08) -> list[str]:
    """The texts of one example in one writing style: ordinary or tokenized punctuation, now and then lower case."""
    tokenize, lowercase = rng.random() < 0.5, rng.random() < lower
    out = [_tokenized(t) if tokenize else t for t in texts]
    return [t.lower() for t in out] if lowercase else out


# --- glue_cola: a small English grammar, and the ways a sentence from it can be broken --------------------------

_PEOPLE_NOUNS = words("""
man, woman, child, teacher, doctor, nurse, farmer, pilot, student, baker, driver, neighbour, girl, boy, waiter, singer,
writer, lawyer, police officer, cook, artist, player, worker, visitor, guest, stranger, tourist, customer, manager,
engineer, soldier, sailor, dancer, actor, scientist, painter, gardener, musician, cousin, uncle, aunt, king, queen
""")
_PEOPLE_ADJECTIVES = words("old, young, tall, tired, happy, new, quiet, friendly, angry, little, busy, clever, shy, "
                           "proud, lonely, famous, kind, brave, strange, nervous")
_PERSONAL_DETS = ("the", "a", "my", "our", "his", "her", "their", "that", "this", "your")
_PLURAL_DETS = ("the", "my", "our", "those", "these", "some", "many", "two", "three", "several", "a few")
_IRREGULAR_PLURALS = {"man": "men", "woman": "women", "child": "children", "person": "people", "knife": "knives",
                      "potato": "potatoes", "tomato": "tomatoes", "police officer": "police officers",
                      "loaf": "loaves", "leaf": "leaves", "shelf": "shelves", "mouse": "mice", "foot": "feet"}
_OBJECT_NOUNS = {  # the kinds of things a verb can take, with the adjectives that fit them
    "FOOD": (words("apple, sandwich, cake, orange, pizza, egg, banana, pie, cookie, carrot, onion, potato, tomato, "
                   "pear, peach, lemon, biscuit, burger, sausage, melon, loaf, pancake, muffin, chocolate bar"),
             words("fresh, big, small, warm, sweet, ripe, cold, huge, tiny, delicious, burnt, stale")),
    "THING": (words("box, bag, key, umbrella, lamp, chair, bottle, cup, phone, ticket, hat, coat, jacket, wallet, "
                    "knife, watch, camera, ring, clock, basket, mirror, pencil, blanket, suitcase, ladder, bucket, "
                    "glass, plate, table, radio, kite, toy, shelf, candle, vase"),
              words("old, new, red, blue, heavy, small, broken, black, green, wooden, shiny, cheap, expensive, "
                    "large, empty, plastic, yellow, dirty")),
    "READING": (words("book, letter, newspaper, poem, story, report, email, message, novel, magazine, article, menu, "
                      "note, postcard, recipe, map, list, diary, contract, textbook"),
                words("long, short, old, new, strange, funny, sad, interesting, boring, famous, secret, thick")),
    "VEHICLE": (words("car, bike, bus, truck, boat, van, motorbike, tractor, scooter, taxi, train, ship"),
                words("old, new, red, blue, fast, small, rusty, white, big, black, expensive, broken")),
    "PLACE": (words("house, office, museum, kitchen, garden, shop, school, hospital, library, station, church, farm, "
                    "flat, hotel, castle, bakery, classroom, factory, restaurant, bedroom"),
              words("old, new, big, small, quiet, empty, busy, famous, dark, cold")),
}
_TRANSITIVE = [line.split() for line in """
eat ate eaten eating FOOD|cook cooked cooked cooking FOOD|buy bought bought buying FOOD,THING,READING,VEHICLE
sell sold sold selling THING,VEHICLE,PLACE|cut cut cut cutting FOOD|find found found finding THING,READING
lose lost lost losing THING,READING|carry carried carried carrying THING,FOOD|drop dropped dropped dropping THING,FOOD
open opened opened opening THING,READING|write wrote written writing READING|read read read reading READING
send sent sent sending READING|drive drove driven driving VEHICLE|fix fixed fixed fixing VEHICLE,THING
wash washed washed washing VEHICLE,THING|paint painted painted painting VEHICLE,THING,PLACE
clean cleaned cleaned cleaning THING,PLACE,VEHICLE|meet met met meeting PERSON|call called called calling PERSON
help helped helped helping PERSON|visit visited visited visiting PERSON,PLACE|thank thanked thanked thanking PERSON
invite invited invited inviting PERSON|leave left left leaving PLACE|take took taken taking THING,FOOD
bring brought brought bringing THING,FOOD,READING|hide hid hidden hiding THING,READING|throw threw thrown throwing THING
break broke broken breaking THING|steal stole stolen stealing THING,VEHICLE|choose chose chosen choosing THING,READING
forget forgot forgotten forgetting THING,READING|hold held held holding THING|teach taught taught teaching PERSON
follow followed followed following PERSON|kiss kissed kissed kissing PERSON|hug hugged hugged hugging PERSON
warn warned warned warning PERSON|wake woke woken waking PERSON|hit hit hit hitting THING|sing sang sung singing READING
draw drew drawn drawing VEHICLE,PLACE|build built built building PLACE|share shared shared sharing FOOD,READING
""".replace("\n", "|").split("|") if line.strip()]
_INTRANSITIVE = [line.split() for line in """
sleep slept slept sleeping|laugh laughed laughed laughing|arrive arrived arrived arriving|smile smiled smiled smiling
cry cried cried crying|swim swam swum swimming|run ran run running|wait waited waited waiting|sing sang sung singing
dance danced danced dancing|work worked worked working|fall fell fallen falling|sit sat sat sitting
shout shouted shouted shouting
rest rested rested resting|sneeze sneezed sneezed sneezing|relax relaxed relaxed relaxing|cough coughed coughed coughing
play played played playing|study studied studied studying|write wrote written writing|read read read reading
""".replace("\n", "|").split("|") if line.strip()]
_MOTION = [line.split() for line in "go went gone going|come came come coming|walk walked walked walking|"
                                    "drive drove driven driving|fly flew flown flying|"
                                    "hurry hurried hurried hurrying".split("|")]
_DITRANSITIVE = [line.split() for line in """
give gave given giving|send sent sent sending|show showed shown showing|lend lent lent lending
hand handed handed handing
offer offered offered offering|bring brought brought bringing|pass passed passed passing|sell sold sold selling
""".replace("\n", "|").split("|") if line.strip()]
_STATE_ADJECTIVES = words("happy, tired, hungry, late, busy, angry, sick, ready, nervous, proud, afraid, "
                          "bored, careful, cold, quiet, lucky, upset, calm, thirsty, sad, early, "
                          "worried, excited, surprised, confused, famous, rich, kind, polite, honest")
_INTENSIFIERS = ("", "", "", "very ", "really ", "quite ", "so ", "a bit ", "rather ", "too ", "extremely ")
_ADVERBS = words("quietly, loudly, early, late, for hours, all day, again, together, at home, outside, alone, "
                 "happily, slowly, a lot, for a while, badly, well")
_PLACES = words("in the garden, near the river, at the station, on the beach, in the kitchen, under the tree, "
                "by the window, in the park, at the office, in the library, on the bus, behind the house, "
                "at school, in the hall, on the stairs, at the corner, in the car, at the market")
_DESTINATIONS = words("home, to the market, to school, to the station, to the beach, to the city, to work, "
                      "to the party, to the doctor, back home, to the river, to her office, into the shop")
_TIMES = {
    "present": words("every day, on Sundays, every morning, after school, at night, in the evening, every week, "
                     "at weekends, twice a week, in winter, before breakfast"),
    "past": words("yesterday, last night, last week, on Monday, two days ago, this morning, after lunch, at noon, "
                  "last summer, an hour ago, in 2019"),
    "prog": words("now, right now, at the moment, today, this afternoon, this week"),
    "perfect": words("already, today, this week, twice, before, since Monday, for years, this year"),
    "modal": words("tomorrow, next week, today, soon, later, tonight, on Friday, next year, after dinner"),
}
_FUTURE_TIMES = words("tomorrow, next week, next year")  # times that clash with a past verb
_PAST_TIMES = words("yesterday, last week, two days ago")  # and with "will"
_SUBORDINATE = {  # complete clauses that can follow or precede a main clause of the same time
    "past": words("because she was hungry, when the rain stopped, after the guests left, before it got dark, "
                  "although it was late, while we were waiting, as soon as he arrived, because nobody else could, "
                  "when the phone rang, after the film ended, since the shop was closed, before the bus came"),
    "present": words("because it is cheaper, when it rains, if they have time, before the shop closes, "
                     "while the children sleep, although nobody asks, because the car is broken, "
                     "when the weather is nice, after the guests leave, unless it snows"),
}
_REPORTING = words("I think that, My mother said that, Everyone knows that, We were surprised that, "
                   "The news says that, I heard that, It is true that, Nobody believed that, They told us that, "
                   "She forgot that, It seems that, He wrote that")
_RELATIVES = [("who lives next door", "who live next door"), ("who works at the bank", "who work at the bank"),
              ("that we met last summer", "that we met last summer"), ("from the house on the corner",) * 2,
              ("with the red hat",) * 2, ("who owns the bakery", "who own the bakery"),
              ("that I told you about",) * 2, ("in the blue coat",) * 2,
              ("who sings in the choir", "who sing in the choir")]
_MODALS = ("can", "will", "should", "must", "might", "could", "would", "may")
_NEG_MODALS = ("can't", "won't", "shouldn't", "couldn't", "cannot", "wouldn't", "must not")
_PRONOUNS = {"I": "me", "he": "him", "she": "her", "we": "us", "they": "them"}
_OBJECT_PRONOUNS = {"me": "I", "him": "he", "her": "she", "us": "we", "them": "they"}
_AGREEMENTS = ("I", "3sg", "pl")


@dataclass
class _Phrase:
    """A noun phrase: determiner, adjective, noun and an optional trailing relative clause or prepositional phrase."""
    det: str
    adj: str
    noun: str
    plural: bool = False
    pronoun: bool = False
    tail: str = ""

    def words(self) -> list[str]:
        return [w for w in (self.det, self.adj, self.noun, self.tail) if w]


def _plural(noun: str) -> str:
    if noun in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[noun]
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    return noun[:-1] + "ies" if noun.endswith("y") and noun[-2] not in "aeiou" else noun + "s"


def _third_person(base: str) -> str:
    if base == "have":
        return "has"
    if base.endswith(("s", "x", "ch", "sh", "o", "z")):
        return base + "es"
    return base[:-1] + "ies" if base.endswith("y") and base[-2] not in "aeiou" else base + "s"


def _regularized(base: str) -> str:
    """The past a learner builds by rule ("buyed", "goed"): wrong for every irregular verb."""
    if base.endswith("e"):
        return base + "d"
    return base[:-1] + "ied" if base.endswith("y") and base[-2] not in "aeiou" else base + "ed"


def _with_article(det: str, next_word: str) -> str:
    return ("an" if next_word[0] in "aeiou" else "a") if det in ("a", "an") else det


def _noun_phrase(rng: random.Random, nouns: list[str], adjectives: list[str], plural: bool) -> _Phrase:
    noun, adj = rng.choice(nouns), rng.choice(adjectives) if rng.random() < 0.45 else ""
    if plural:
        return _Phrase(rng.choice(_PLURAL_DETS), adj, _plural(noun), plural=True)
    det = rng.choice(("the", "the", "a", "a") + _PERSONAL_DETS)
    return _Phrase(_with_article(det, adj or noun), adj, noun)


def _person(rng: random.Random, subject: bool) -> tuple[_Phrase, str]:
    """A person as subject or object, with its agreement class: "I", "3sg" or "pl"."""
    roll = rng.random()
    if roll < 0.25:
        if subject:
            pronoun = rng.choice(("I", "you", "he", "she", "we", "they"))
            agreement = {"I": "I", "he": "3sg", "she": "3sg"}.get(pronoun, "pl")
        else:
            pronoun = rng.choice(("me", "you", "him", "her", "us", "them"))
            agreement = "pl"
        return _Phrase("", "", pronoun, pronoun=True), agreement
    if roll < 0.45:
        return _Phrase("", "", rng.choice(FIRST_NAMES)), "3sg"
    phrase = _noun_phrase(rng, _PEOPLE_NOUNS, _PEOPLE_ADJECTIVES, plural=rng.random() < 0.35)
    if subject and rng.random() < 0.2:
        phrase.tail = rng.choice(_RELATIVES)[phrase.plural]
    return phrase, "pl" if phrase.plural else "3sg"


def _be(agreement: str, past: bool) -> str:
    if past:
        return "was" if agreement in ("I", "3sg") else "were"
    return {"I": "am", "3sg": "is"}.get(agreement, "are")


def _verb_group(verb: dict[str, str], tense: str, agreement: str, question: bool, aux_word: str) -> tuple[str, str]:
    """(auxiliary, main verb) of a clause; aux_word is the modal or negative auxiliary drawn for it."""
    be = verb["base"] == "be"
    if tense in ("present", "past"):
        past = tense == "past"
        finite = _be(agreement, past) if be else verb["past"] if past else (
            verb["s"] if agreement == "3sg" else verb["base"])
        if not question:
            return "", finite
        return (finite, "") if be else ("did" if past else "does" if agreement == "3sg" else "do", verb["base"])
    if tense in ("prog", "past_prog"):
        return _be(agreement, tense == "past_prog"), verb["ing"]
    if tense == "perfect":
        return ("has" if agreement == "3sg" else "have"), verb["pp"]
    if tense == "neg_present":  # aux_word is the negation: "n't" or " not"
        return ("does" if agreement == "3sg" else "do") + aux_word, verb["base"]
    return aux_word, verb["base"]  # modal, neg_modal, neg_past


def _wrong_forms(verb: dict[str, str], tense: str) -> list[str]:
    """Main-verb forms that the tense cannot take ("she have went", "did he saw", "she can swims")."""
    base, past, pp, ing, s = verb["base"], verb["past"], verb["pp"], verb["ing"], verb["s"]
    if base == "be":
        return {"present": ["be", "being"], "past": ["been", "being"], "perfect": ["be", "being", "was"]}.get(
            tense, ["is", "being", "been"])
    if tense == "present":
        forms = [ing] + ([pp] if pp != past else [])
    elif tense == "past":
        forms = [ing] + ([pp] if pp != past else []) + ([_regularized(base)] if past != _regularized(base) else [])
    elif tense in ("prog", "past_prog"):
        forms = [base, s]
    elif tense == "perfect":
        forms = [ing] + [f for f in (past, base) if f != pp]
    else:  # after a modal or do/does/did
        forms = [s, ing] + ([past] if past != base else [])
    return forms


_TIME_GROUP = {"present": "present", "neg_present": "present", "past": "past", "neg_past": "past",
               "past_prog": "past", "prog": "prog", "perfect": "perfect", "modal": "modal", "neg_modal": "modal"}
_BE_VERB = {"base": "be", "past": "was", "pp": "been", "ing": "being", "s": "is"}


def _verb(entry: list[str]) -> dict[str, str]:
    base, past, pp, ing = entry[:4]
    return {"base": base, "past": past, "pp": pp, "ing": ing, "s": _third_person(base)}


def _break_phrase(rng: random.Random, phrase: _Phrase) -> None:
    """A determiner error: "a apple", "an car", "two car", "a cars", "this books"."""
    if phrase.det in ("a", "an") and rng.random() < 0.5:
        phrase.det = "an" if phrase.det == "a" else "a"
    elif phrase.plural:
        singular_det = rng.choice(("a", "this", "that", "every", "each", "another"))
        phrase.det = _with_article(singular_det, phrase.adj or phrase.noun)
    else:
        phrase.det = rng.choice(("two", "these", "those", "many", "several", "a few", "both"))


def glue_cola(rng: random.Random) -> Example:
    """"1": a well-formed sentence (statement, question, reported or with a subordinate clause) from a small English
    grammar; "0": the same kind of sentence with exactly one error: agreement, wrong verb form, a missing or doubled
    word, word order, a wrong determiner, a pronoun's case, or a time that clashes with the tense."""
    label = rng.choice(["0", "1"])
    kind = rng.choice(("tr", "tr", "tr", "intr", "motion", "ditr", "cop"))
    tense = rng.choice(("present", "past", "past", "prog", "past_prog", "perfect", "modal", "neg_present", "neg_past",
                        "neg_modal"))
    if kind == "cop" and tense not in ("present", "past", "perfect", "modal", "neg_modal"):
        tense = rng.choice(("present", "past"))
    mood = rng.choices(("statement", "yes", "wh", "report", "clause"), (5, 1.5, 1.2, 1, 1.5))[0]
    question = mood in ("yes", "wh")
    subject, agreement = _person(rng, subject=True)

    after: list[tuple[str, object]] = []  # what follows the verb: (role, phrase or words)
    if kind == "cop":
        verb = _BE_VERB
        after.append(("adj", (rng.choice(_INTENSIFIERS) + rng.choice(_STATE_ADJECTIVES)).split()))
    elif kind == "intr":
        verb = _verb(rng.choice(_INTRANSITIVE))
        if rng.random() < 0.4:
            after.append(("adv", rng.choice(_ADVERBS).split()))
        if rng.random() < 0.5:
            after.append(("place", rng.choice(_PLACES).split()))
    elif kind == "motion":
        verb = _verb(rng.choice(_MOTION))
        after.append(("place", rng.choice(_DESTINATIONS).split()))
    else:
        entry = rng.choice(_DITRANSITIVE if kind == "ditr" else _TRANSITIVE)
        verb = _verb(entry)
        category = rng.choice(("THING", "FOOD", "READING")) if kind == "ditr" else rng.choice(entry[4].split(","))
        reflexive = {"I": "me", "we": "us", "you": "you"}.get(subject.noun if subject.pronoun else "")
        while True:
            obj = (_person(rng, subject=False)[0] if category == "PERSON" else
                   _noun_phrase(rng, *_OBJECT_NOUNS[category], plural=rng.random() < 0.25))
            recipient = _person(rng, subject=False)[0]
            if reflexive not in (obj.noun, recipient.noun):
                break
        if kind == "tr":
            after.append(("obj", obj))
            if category != "PLACE" and rng.random() < 0.35:
                after.append(("place", rng.choice(_PLACES).split()))
        elif rng.random() < 0.5:
            after += [("obj2", recipient), ("obj", obj)]
        else:
            after += [("obj", obj), ("to", ["to"]), ("obj2", recipient)]
    group_times = _TIMES[_TIME_GROUP[tense]]
    if kind == "cop" and tense == "perfect":
        group_times = words("since Monday, for years, all week, today")
    time = rng.choice(group_times) if rng.random() < 0.4 else ""

    wh = ""
    if mood == "wh":
        options = ["Why"] if tense.startswith("neg") else ["Why", "When"] if kind == "cop" else ["Why", "Where"]
        if not tense.startswith("neg") and tense != "perfect":
            options.append("When")
        if kind in ("tr", "ditr") and not tense.startswith("neg"):
            options.append("Who" if isinstance(obj, _Phrase) and category == "PERSON" and kind == "tr" else "What")
        wh = rng.choice(options)
        dropped = {"Where": "place", "When": "time", "What": "obj", "Who": "obj"}.get(wh)
        after = [(role, part) for role, part in after if role != dropped]
        time = "" if wh == "When" else time
    aux_word = {"modal": rng.choice(_MODALS), "neg_past": rng.choice(("didn't", "did not")),
                "neg_modal": rng.choice(_NEG_MODALS), "neg_present": rng.choice(("n't", " not"))}.get(tense, "")
    if question and tense.startswith("neg"):
        aux_word = {"neg_past": "didn't", "neg_present": "n't"}.get(tense) or rng.choice(
            [m for m in _NEG_MODALS if m.endswith("n't")])
    aux, main = _verb_group(verb, tense, agreement, question, aux_word)
    declarative = not question

    fault = ""
    if label == "0":
        phrases = [subject] + [part for role, part in after if isinstance(part, _Phrase)]
        nouns = [p for p in phrases if not p.pronoun and p.det]
        wrong_agreements = [a for a in _AGREEMENTS if _verb_group(verb, tense, a, question, aux_word) != (aux, main)]
        missing = ([("aux", None)] if declarative and aux and (tense in ("prog", "past_prog") or (
            tense == "perfect" and verb["pp"] != verb["past"])) else []) + (
            [("main", None)] if declarative and not aux and after else []) + (
            [("det", p) for p in nouns if not p.plural]) + (
            [("prep", i) for i, (role, part) in enumerate(after) if role == "place" and "home" not in part])
        reorders = ([("verb_last", None)] if declarative and after else []) + (
            [("invert", None)] if declarative and not aux and main else []) + (
            [("wh_order", None)] if mood == "wh" else [("yes_order", None)] if mood == "yes" and main else []) + (
            [("adj_after", subject)] if subject.adj else []) + [("det_after", p) for p in nouns if not p.tail]
        pronouns = [p for p in phrases if p.pronoun and p.noun not in ("you",)]
        clash = time != "" or mood != "wh"
        faults = (["agreement"] * bool(wrong_agreements) + ["form"] * bool(main) + ["missing"] * bool(missing) +
                  ["extra"] + ["order"] * bool(reorders) + ["determiner"] * bool(nouns) + ["case"] * bool(pronouns) +
                  ["time"] * (clash and (tense in ("past", "neg_past", "past_prog") or aux_word in ("will", "won't"))))
        fault = rng.choice(faults)
        if fault == "agreement":
            aux, main = _verb_group(verb, tense, rng.choice(wrong_agreements), question, aux_word)
        elif fault == "form":
            main = rng.choice(_wrong_forms(verb, tense))
        elif fault == "determiner":
            _break_phrase(rng, rng.choice(nouns))
        elif fault == "case":
            phrase = rng.choice(pronouns)
            phrase.noun = _PRONOUNS.get(phrase.noun) or _OBJECT_PRONOUNS[phrase.noun]
        elif fault == "time":
            time = rng.choice(_FUTURE_TIMES if _TIME_GROUP[tense] == "past" else _PAST_TIMES)
        elif fault == "missing":
            fault, target = rng.choice(missing)
            if fault == "aux":
                aux = ""
            elif fault == "main":
                main = ""
            elif fault == "det":
                target.det = ""
            else:
                role, part = after[target]
                after[target] = (role, part[1:])
        elif fault == "order":
            fault, target = rng.choice(reorders)
            if fault == "adj_after":
                target.noun, target.adj = f"{target.noun} {target.adj}", ""
            elif fault == "det_after":
                target.noun, target.det = f"{target.noun} {target.det}", ""

    segments: list[tuple[str, list[str]]] = [("subj", subject.words())]
    verb_words = [("aux", aux.split()), ("main", main.split())]
    if question:
        segments = [("wh", [wh] if wh else []), verb_words[0], *segments, verb_words[1]]
    else:
        segments += verb_words
    segments += [(role, part.words() if isinstance(part, _Phrase) else part) for role, part in after]
    segments.append(("time", time.split()))
    segments = [(role, ws) for role, ws in segments if ws]
    if fault == "verb_last":
        moved = [s for s in segments if s[0] in ("aux", "main")]
        segments = [s for s in segments if s[0] not in ("aux", "main")] + moved
    elif fault == "invert":
        segments.insert(0, segments.pop(next(i for i, s in enumerate(segments) if s[0] == "main")))
    elif fault in ("wh_order", "yes_order"):
        moving = "aux" if fault == "wh_order" else "main"
        part = segments.pop(next(i for i, s in enumerate(segments) if s[0] == moving))
        segments.insert(next(i for i, s in enumerate(segments) if s[0] == "subj") + 1, part)
    elif fault == "extra":
        if aux in _MODALS and declarative and rng.random() < 0.3:
            segments.insert(next(i for i, s in enumerate(segments) if s[0] == "aux") + 1, ("to", ["to"]))
        else:
            spots = [i for i, (role, ws) in enumerate(segments) if role in ("subj", "aux", "main", "obj", "place")
                     and ws[0] not in ("home", "back")]
            i = rng.choice(spots)
            segments[i] = (segments[i][0], [segments[i][1][0]] + segments[i][1])
    clause = " ".join(w for _, ws in segments for w in ws)

    if mood == "report":
        clause = f"{rng.choice(_REPORTING)} {clause}"
    elif mood == "clause":
        linked = rng.choice(_SUBORDINATE["past" if _TIME_GROUP[tense] == "past" else "present"])
        clause = f"{cap(linked)}, {clause}" if rng.random() < 0.4 else f"{clause} {linked}"
    end = "?" if question else "!" if rng.random() < 0.05 else "."
    return Example({"sentence": _styled(rng, cap(clause) + end)[0]}, label)


# --- glue_mnli: small scenes, each with hypotheses that follow from it, add to it or clash with it ---------------

_ACTIVITIES = [  # (what someone did, a general restatement, the same with another object, a related added detail)
    ("cooked a big pot of soup", "made some food", "cooked a pizza", "for the whole family"),
    ("painted the fence behind the house", "did some painting", "painted the kitchen walls", "in bright blue"),
    ("fixed an old bicycle", "repaired something", "fixed a broken radio", "for a neighbour"),
    ("wrote a long letter to the bank", "wrote something", "wrote a short poem", "to complain about a fee"),
    ("bought three new shirts", "went shopping", "bought a pair of boots", "in a sale"),
    ("read two chapters of a novel", "did some reading", "read the newspaper", "before going to sleep"),
    ("planted tomatoes in the garden", "did some gardening", "planted roses in the garden", "for the first time"),
    ("washed the car in the driveway", "cleaned a vehicle", "washed the dishes", "with a new sponge"),
    ("ran ten kilometres along the river", "went running", "swam ten lengths of the pool", "in under an hour"),
    ("baked a chocolate cake", "baked something", "baked a loaf of bread", "for a birthday"),
    ("played chess with a friend", "played a game", "played cards with a friend", "and lost every round"),
    ("visited an old castle", "went sightseeing", "visited a modern art museum", "with a tour group"),
    ("sold an old piano", "sold something", "sold an old sofa", "to a collector"),
    ("cleaned out the garage", "did some cleaning", "cleaned out the attic", "without any help"),
    ("watched a football match", "watched a game", "watched a cooking show", "on a big screen"),
    ("caught a large fish in the lake", "went fishing", "caught nothing at all", "with a borrowed rod"),
    ("sang three songs at a wedding", "performed at an event", "gave a speech at a wedding", "without any practice"),
    ("adopted a small grey kitten", "got a pet", "adopted a puppy", "from a shelter"),
]
_DAYS = words("on Monday, on Tuesday, on Wednesday, on Thursday, on Friday, on Saturday, on Sunday, last weekend, "
              "yesterday morning, last night, in March, in the summer")
_EVENTS = words("concert, football match, book fair, street festival, marathon, wedding, film festival, food market, "
                "charity dinner, science fair, jazz night, protest, job fair, art exhibition, chess tournament")
_FEATURES = [  # (something a town has, a restatement, a different thing, a neutral claim about it)
    ("an old stone bridge over the river", "a bridge", "a modern glass bridge", "more than five hundred years old"),
    ("a market that opens every Saturday", "a market", "a market that opens every Tuesday", "run by local farmers"),
    ("a small museum of local history", "a museum", "a large museum of modern art", "free to visit"),
    ("a football stadium with room for 40,000 fans", "a stadium", "a stadium with room for 5,000 fans",
     "always full on match days"),
    ("a busy harbour full of fishing boats", "a harbour", "a quiet harbour with no boats",
     "older than the town itself"),
    ("a university with a famous library", "a university", "a college with no library",
     "popular with foreign students"),
    ("a park with a large lake in the middle", "a park", "a park with a fountain in the middle", "crowded at weekends"),
    ("a cathedral that took two hundred years to build", "a cathedral", "a cathedral that was built in a year",
     "visited by many tourists"),
]
_JOBS = [tuple(pair.split("/")) for pair in words("""
nurse/hospital, teacher/school, pilot/airline, chef/restaurant, lawyer/law firm, engineer/factory,
journalist/newspaper, architect/design studio, dentist/clinic, accountant/bank, librarian/library, baker/bakery,
mechanic/garage, cashier/supermarket, receptionist/hotel, actor/theatre, postal worker/post office,
researcher/university, pharmacist/pharmacy, firefighter/fire station, waiter/cafe, editor/publishing house
""")]
_COLOURS = words("red, blue, green, black, white, yellow, grey, brown, orange, purple")
_OWNED = words("bicycle, guitar, piano, sofa, umbrella, car, backpack, laptop, coat, tent, kayak, camera, desk, lamp")
_ROOMS = words("garage, attic, basement, hallway, kitchen, bedroom, shed, living room, office, cellar")
_NEUTRAL_ADDITIONS = words("was in a hurry, was tired afterwards, had a good time, did it for the first time, "
                           "was alone, was happy with the result, was with two friends, had planned it for weeks")
_PREMISE_OPENERS = ("", "", "", "Apparently, ", "As it turned out, ", "I heard that ", "According to the local paper, ",
                    "Believe it or not, ", "Well, ", "So ")


def _mnli_person(rng: random.Random) -> dict[str, str]:
    name = rng.choice(FIRST_NAMES)
    return {"name": name, "full": f"{name} {rng.choice(LAST_NAMES)}" if rng.random() < 0.4 else name,
            "city": rng.choice(CITIES), "other_city": rng.choice(CITIES), "day": rng.choice(_DAYS)}


def _mnli_activity(rng: random.Random) -> tuple[str, dict[str, list[str]]]:
    p = _mnli_person(rng)
    did, general, other, extra = rng.choice(_ACTIVITIES)
    premise = rng.choice([f"{p['full']} {did} in {p['city']} {p['day']}.",
                          f"{cap(p['day'])}, {p['full']} {did} in {p['city']}.",
                          f"While staying in {p['city']}, {p['full']} {did} {p['day']}."])
    return premise, {
        "0": [f"{p['name']} {general}.", f"Someone {did}.", f"{p['name']} was in {p['city']} {p['day']}.",
              f"{p['name']} {general} in {p['city']}.", f"{p['name']} did something {p['day']}."],
        "1": [f"{p['name']} {did} {extra}.", f"{p['name']} {rng.choice(_NEUTRAL_ADDITIONS)}.",
              f"{p['name']} lives in {p['city']}.", f"{p['name']} goes to {p['city']} every year."],
        "2": [f"{p['name']} {other} instead.", f"{p['name']} did nothing at all {p['day']}.",
              f"{p['name']} has never been to {p['city']}.", f"{p['name']} was in {p['other_city']} the whole time."
              if p["other_city"] != p["city"] else f"{p['name']} never left home {p['day']}."],
    }


def _mnli_crowd(rng: random.Random) -> tuple[str, dict[str, list[str]]]:
    event, city, day = rng.choice(_EVENTS), rng.choice(CITIES), rng.choice(_DAYS)
    n = rng.choice([rng.randint(20, 99), rng.randint(100, 999), rng.randint(10, 90) * 100])
    low, high = n - rng.randint(max(1, n // 5), max(2, n // 2)), n * rng.randint(2, 5)
    premise = rng.choice([f"About {n:,} people came to the {event} in {city} {day}.",
                          f"The {event} in {city} drew a crowd of {n:,} {day}.",
                          f"{cap(day)}, {n:,} people attended a {event} held in {city}."])
    return premise, {
        "0": [f"More than {low:,} people came to the {event}.", f"There was a {event} in {city}.",
              f"The {event} took place {day}.", f"People attended an event in {city}."],
        "1": [f"The {event} was the biggest one ever held in {city}.", f"Tickets for the {event} were free.",
              f"Most people at the {event} came from outside {city}.", f"The {event} is held every year."],
        "2": [f"Fewer than {max(1, n // 10):,} people came to the {event}.", f"Nobody came to the {event}.",
              f"The {event} was cancelled.", f"Over {high:,} people came to the {event}."],
    }


def _mnli_town(rng: random.Random) -> tuple[str, dict[str, list[str]]]:
    city = rng.choice(CITIES)
    has, short, other, extra = rng.choice(_FEATURES)
    premise = rng.choice([f"{city} has {has}.", f"The town of {city} is known for {has}.",
                          f"If you visit {city}, you will find {has} near the centre.",
                          f"Visitors to {city} always mention {has}."])
    return premise, {
        "0": [f"There is {short} in {city}.", f"{city} has {short}.", f"You can find {short} in {city}."],
        "1": [f"The {short[2:]} in {city} is {extra}.", f"{city} is the capital of the region.",
              f"Most people in {city} work near {short.replace('a ', 'the ', 1)}."],
        "2": [f"There is no {short[2:]} in {city}.", f"The only {short[2:]} in {city} is {other}.",
              f"{city} has never had {short}."],
    }


def _mnli_work(rng: random.Random) -> tuple[str, dict[str, list[str]]]:
    p, (job, place), (other_job, _) = _mnli_person(rng), rng.choice(_JOBS), rng.choice(_JOBS)
    years = rng.randint(3, 40)
    premise = rng.choice([f"{p['full']} has worked as {an(job)} at a {place} in {p['city']} for {years} years.",
                          f"For {years} years now, {p['full']} has been {an(job)} at the same {place} in {p['city']}.",
                          f"{p['full']} has spent {years} years as {an(job)} at a {place} in {p['city']}."])
    contra = [f"{p['name']} started working last month.", f"{p['name']} has never had a job.",
              f"{p['name']} has worked for fewer than {rng.randint(2, years - 1)} years."]
    if other_job != job:
        contra.append(f"{p['name']} has always been {an(other_job)} and never {an(job)}.")
    return premise, {
        "0": [f"{p['name']} is {an(job)}.", f"{p['name']} has a job.", f"{p['name']} works in {p['city']}.",
              f"{p['name']} has worked for more than {rng.randint(2, years - 1)} years."],
        "1": [f"{p['name']} wants to retire soon.", f"{p['name']} is the best {job} in {p['city']}.",
              f"{p['name']} earns a lot of money.", f"{p['name']} was born in {p['city']}."],
        "2": contra,
    }


def _mnli_thing(rng: random.Random) -> tuple[str, dict[str, list[str]]]:
    p, thing, room = _mnli_person(rng), rng.choice(_OWNED), rng.choice(_ROOMS)
    colour, other = rng.sample(_COLOURS, 2)
    premise = rng.choice([f"{p['full']} keeps {an(colour)} {thing} in the {room}.",
                          f"In the {room} there is {an(colour)} {thing} that belongs to {p['full']}.",
                          f"The {colour} {thing} in the {room} is {p['full']}'s."])
    return premise, {
        "0": [f"{p['name']} owns a {thing}.", f"There is a {thing} in the {room}.",
              f"{p['name']} has {an(colour)} {thing}."],
        "1": [f"{p['name']} uses the {thing} every day.", f"The {thing} was a present.",
              f"The {thing} is very expensive.", f"{p['name']} bought the {thing} last year."],
        "2": [f"{p['name']}'s {thing} is {other}.", f"{p['name']} does not own a {thing}.", f"The {room} is empty.",
              f"There is no {thing} in the {room}."],
    }


def _mnli_company(rng: random.Random) -> tuple[str, dict[str, list[str]]]:
    firm, city, n = rng.choice(COMPANIES), rng.choice(CITIES), rng.randint(12, 900)
    premise = rng.choice([f"{firm} opened a new office in {city} and hired {n} people.",
                          f"Last year {firm} hired {n} workers for its new office in {city}.",
                          f"With {n} new staff, the {city} office that {firm} opened is now running."])
    return premise, {
        "0": [f"{firm} has an office in {city}.", f"{firm} hired new staff.", f"{firm} hired more than {n // 2} people."],
        "1": [f"{firm} plans to open more offices.", f"The office in {city} is {firm}'s largest.",
              f"The new workers at {firm} are well paid.", f"{firm} moved its headquarters to {city}."],
        "2": [f"{firm} has no office in {city}.", f"{firm} closed its office in {city}.", f"{firm} hired no one.",
              f"{firm} has not hired anyone this year."],
    }


def _mnli_weather(rng: random.Random) -> tuple[str, dict[str, list[str]]]:
    event, city, day = rng.choice(_EVENTS), rng.choice(CITIES), rng.choice(_DAYS)
    cause, dry = rng.choice([("heavy rain", "dry and sunny"), ("a snowstorm", "mild and clear"),
                             ("strong winds", "calm"), ("a flood", "dry")])
    premise = rng.choice([f"The {event} in {city} was cancelled {day} because of {cause}.",
                          f"Because of {cause}, organisers called off the {event} in {city} {day}.",
                          f"{cause[0].upper() + cause[1:]} forced {city} to cancel its {event} {day}."])
    return premise, {
        "0": [f"The {event} did not take place {day}.", f"The weather in {city} was bad {day}.",
              f"The {event} was called off."],
        "1": [f"The {event} will be held next month.", "Many people were disappointed.",
              "The organisers lost a lot of money.", f"It was the first time the {event} was cancelled."],
        "2": [f"The {event} went ahead as planned.", f"The weather in {city} was {dry} {day}.",
              f"The {event} in {city} was a great success {day}."],
    }


_PROPER_STARTS = set(FIRST_NAMES) | {c.split()[0] for c in CITIES + COMPANIES}
_MNLI_SCENES = (_mnli_activity, _mnli_crowd, _mnli_town, _mnli_work, _mnli_thing, _mnli_company, _mnli_weather)


def glue_mnli(rng: random.Random) -> Example:
    """One scene (an activity, a crowd, a town, a job, an object, a firm, a cancelled event). "0": the hypothesis
    restates or generalises the premise; "1": it adds a detail the premise does not settle; "2": it denies the
    premise, gives another value (place, number, colour, job) or its opposite."""
    label = rng.choice(["0", "1", "2"])
    premise, hypotheses = rng.choice(_MNLI_SCENES)(rng)
    opener = rng.choice(_PREMISE_OPENERS)
    if opener and premise.split()[0] not in _PROPER_STARTS:
        premise = premise[0].lower() + premise[1:]
    premise = opener + premise
    premise, hypothesis = _styled(rng, cap(premise), rng.choice(hypotheses[label]))
    return Example({"premise": premise, "hypothesis": hypothesis}, label)


# --- glue_mrpc: news stories told twice, the second time in other words or with one fact changed ---------------

_ROSE = ("rose", "climbed", "increased", "jumped", "grew", "went up")
_FELL = ("fell", "dropped", "declined", "slipped", "decreased", "went down")
_FINANCE_METRICS = words("profit, revenue, sales, net income, earnings, operating profit, online sales, costs")
_QUARTERS = ("first", "second", "third", "fourth")
_WEEKDAYS = words("Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday")
_BILLS = words("""
a bill to raise the minimum wage, a plan to ban smoking in parks, a new tax on sugary drinks, a bigger budget for
schools, a law that limits rent increases, a proposal to build a new airport, cuts to the defence budget,
a ban on plastic bags, a plan to close coal plants, a bill on data privacy, longer opening hours for shops,
a new speed limit on motorways, free bus travel for students, a bill to protect whistleblowers
""")
_BODIES = words("the Senate, the House, the city council, Parliament, the state assembly, the regional council, "
                "lawmakers, the committee")
_APPROVE = (("approve", "pass", "back", "adopt"), ("approved", "passed", "backed", "adopted"))
_REJECT = (("reject", "block", "vote down", "throw out"), ("rejected", "blocked", "voted down", "threw out"))
_HABITS = words("""
drinking coffee, eating nuts, walking every day, working night shifts, using social media, eating red meat,
sleeping less than six hours, drinking green tea, playing video games, living near a park, owning a dog,
eating breakfast, taking long naps, learning a second language
""")
_OUTCOMES = words("""
a lower risk of heart disease, better sleep, a higher risk of diabetes, weight gain, a longer life, poor memory,
lower blood pressure, a higher risk of depression, better school results, fewer colds
""")
_CRIMES = words("fraud, theft, bribery, tax evasion, murder, arson, money laundering, assault, burglary, "
                "insider trading, kidnapping, forgery")
_DISASTERS = words("storm, earthquake, flood, hurricane, wildfire, typhoon, landslide, tornado, cyclone")
_ROLES = words("chief executive, chief financial officer, chairman, president, head of sales, chief operating officer")
_SOURCES = (", officials said", ", the company said", ", according to a statement", ", sources said",
            ", a spokesman said", ", it was reported")


def _other(rng: random.Random, pool: list | tuple, value):
    return rng.choice([v for v in pool if v != value])


def _other_number(rng: random.Random, n: int, low: int, high: int) -> int:
    return rng.choice([m for m in (rng.randint(low, high), n + rng.randint(1, 9), max(low, n - rng.randint(1, 9)),
                                   n * 2, n + 10) if m != n] or [n + 1])


def _mrpc_earnings(rng: random.Random) -> tuple[dict, list[str], list[str], list[dict]]:
    up = rng.random() < 0.5
    f = {"company": rng.choice(COMPANIES), "metric": rng.choice(_FINANCE_METRICS), "moved": _ROSE if up else _FELL,
         "n": rng.randint(2, 60), "quarter": rng.choice(_QUARTERS), "day": rng.choice(_WEEKDAYS)}
    templates = ["{company} said its {metric} {moved} {n} percent in the {quarter} quarter.",
                 "{company} said on {day} that {metric} {moved} {n} percent in the {quarter} quarter.",
                 "In the {quarter} quarter, {metric} at {company} {moved} {n} percent, the company said on {day}.",
                 "{company}'s {quarter}-quarter {metric} {moved} {n}%, the company reported {day}.",
                 "{metric} {moved} by {n} percent at {company} in the {quarter} quarter."]
    claims = ["{company} denied a report that its {metric} {moved} {n} percent in the {quarter} quarter.",
              "{company} expects its {metric} to change by {n} percent in the {quarter} quarter, it said on {day}.",
              "Analysts had expected {metric} at {company} to be flat in the {quarter} quarter."]
    changes = [{"n": _other_number(rng, f["n"], 2, 60)}, {"company": _other(rng, COMPANIES, f["company"])},
               {"moved": _FELL if up else _ROSE}, {"quarter": _other(rng, _QUARTERS, f["quarter"])}]
    return f, templates, claims, changes


def _mrpc_deal(rng: random.Random) -> tuple[dict, list[str], list[str], list[dict]]:
    buyer, target = rng.sample(COMPANIES, 2)
    f = {"buyer": buyer, "target": target, "n": rng.randint(2, 950), "unit": rng.choice(("million", "billion"))}
    templates = ["{buyer} agreed to buy {target} for ${n} {unit}.",
                 "{buyer} will acquire {target} in a deal worth ${n} {unit}.",
                 "{target} has agreed to be bought by {buyer} for ${n} {unit}.",
                 "In a ${n} {unit} deal, {buyer} said it would take over {target}.",
                 "{buyer} is buying rival {target} for ${n} {unit} in cash and shares."]
    claims = ["{buyer} said it had ended talks to buy {target} for ${n} {unit}.",
              "{buyer} denied that it planned to buy {target} for ${n} {unit}.",
              "{buyer} rejected an offer of ${n} {unit} from {target}."]
    changes = [{"n": _other_number(rng, f["n"], 2, 950)}, {"buyer": target, "target": buyer},
               {"buyer": _other(rng, COMPANIES, buyer)}, {"unit": "million" if f["unit"] == "billion" else "billion"}]
    return f, templates, claims, changes


def _mrpc_vote(rng: random.Random) -> tuple[dict, list[str], list[str], list[dict]]:
    yes = rng.randint(30, 400)
    no = rng.randint(2, yes - 1)
    approve = rng.random() < 0.5
    verbs = _APPROVE if approve else _REJECT
    f = {"body": rng.choice(_BODIES), "bill": rng.choice(_BILLS), "yes": yes, "no": no, "do": verbs[0],
         "did": verbs[1], "day": rng.choice(_WEEKDAYS)}
    templates = ["{body} voted {yes}-{no} on {day} to {do} {bill}.",
                 "By a vote of {yes} to {no}, {body} {did} {bill} on {day}.",
                 "On {day}, {body} {did} {bill}, {yes} votes to {no}.",
                 "{body} {did} {bill} by {yes} votes to {no} on {day}."]
    claims = ["{body} will vote on {bill} on {day}.", "{body} delayed a vote on {bill} until {day}.",
              "On {day}, {body} said it needed more time to discuss {bill}."]
    other = _REJECT if approve else _APPROVE
    changes = [{"do": other[0], "did": other[1]}, {"bill": _other(rng, _BILLS, f["bill"])},
               {"yes": _other_number(rng, yes, no + 1, 400)}, {"day": _other(rng, _WEEKDAYS, f["day"])}]
    return f, templates, claims, changes


def _mrpc_match(rng: random.Random) -> tuple[dict, list[str], list[str], list[dict]]:
    winner, loser = rng.sample(CITIES, 2)
    a = rng.randint(1, 9)
    f = {"winner": winner, "loser": loser, "a": a, "b": rng.randint(0, a - 1), "day": rng.choice(_WEEKDAYS)}
    templates = ["{winner} beat {loser} {a}-{b} on {day}.", "{loser} lost {a}-{b} to {winner} on {day}.",
                 "{winner} defeated {loser} {a}-{b} in {day}'s game.",
                 "On {day}, {winner} won {a}-{b} against visiting {loser}.",
                 "{winner} came away with a win over {loser} on {day}, {a}-{b}."]
    claims = ["{winner} and {loser} drew {b}-{b} on {day}.", "{winner} will play {loser} on {day}.",
              "The game between {winner} and {loser} on {day} was postponed."]
    changes = [{"winner": loser, "loser": winner}, {"a": a + rng.randint(1, 3)},
               {"day": _other(rng, _WEEKDAYS, f["day"])}, {"loser": _other(rng, CITIES, loser)}]
    return f, templates, claims, changes


def _mrpc_study(rng: random.Random) -> tuple[dict, list[str], list[str], list[dict]]:
    habit = rng.choice(_HABITS)
    f = {"city": rng.choice(CITIES), "habit": habit, "Habit": cap(habit), "outcome": rng.choice(_OUTCOMES),
         "n": rng.randint(50, 20000)}
    templates = ["Researchers at the University of {city} found that {habit} is linked to {outcome} "
                 "in a study of {n} adults.",
                 "A study of {n} adults by the University of {city} linked {habit} to {outcome}.",
                 "{Habit} is associated with {outcome}, according to a University of {city} study of {n} people.",
                 "In a study of {n} people, scientists in {city} found a link between {habit} and {outcome}."]
    claims = ["Researchers at the University of {city} found no link between {habit} and {outcome}.",
              "A University of {city} study of {n} adults will test whether {habit} leads to {outcome}.",
              "Scientists in {city} said {habit} does not cause {outcome}."]
    changes = [{"n": _other_number(rng, f["n"], 50, 20000)}, {"city": _other(rng, CITIES, f["city"])},
               {"outcome": _other(rng, _OUTCOMES, f["outcome"])}]
    return f, templates, claims, changes


def _mrpc_trial(rng: random.Random) -> tuple[dict, list[str], list[str], list[dict]]:
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    f = {"city": rng.choice(CITIES), "name": name, "crime": rng.choice(_CRIMES), "day": rng.choice(_WEEKDAYS)}
    templates = ["A jury in {city} found {name} guilty of {crime} on {day}.",
                 "{name} was convicted of {crime} by a {city} jury on {day}.",
                 "On {day}, jurors in {city} convicted {name} of {crime}.",
                 "{name} was found guilty of {crime} on {day} after a trial in {city}."]
    claims = ["A jury in {city} found {name} not guilty of {crime} on {day}.",
              "{name} was cleared of {crime} by a {city} jury on {day}.",
              "{name} will go on trial for {crime} in {city} on {day}."]
    changes = [{"crime": _other(rng, _CRIMES, f["crime"])},
               {"name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"}, {"city": _other(rng, CITIES, f["city"])}]
    return f, templates, claims, changes


def _mrpc_disaster(rng: random.Random) -> tuple[dict, list[str], list[str], list[dict]]:
    f = {"disaster": rng.choice(_DISASTERS), "country": rng.choice(COUNTRIES), "n": rng.randint(2, 300),
         "m": rng.randint(10, 9000)}
    templates = ["The {disaster} killed {n} people and destroyed {m} homes in {country}, officials said.",
                 "Officials said {n} people died and {m} homes were destroyed when the {disaster} hit {country}.",
                 "In {country}, the {disaster} left {n} people dead and {m} homes in ruins.",
                 "{n} people were killed and {m} houses destroyed by the {disaster} in {country}."]
    claims = ["Officials in {country} warned that the {disaster} could kill {n} people and destroy {m} homes.",
              "The {disaster} missed {country}, and officials said nobody was hurt."]
    changes = [{"n": _other_number(rng, f["n"], 2, 300)}, {"m": _other_number(rng, f["m"], 10, 9000)},
               {"country": _other(rng, COUNTRIES, f["country"])}, {"disaster": _other(rng, _DISASTERS, f["disaster"])}]
    return f, templates, claims, changes


def _mrpc_appointment(rng: random.Random) -> tuple[dict, list[str], list[str], list[dict]]:
    f = {"company": rng.choice(COMPANIES), "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
         "role": rng.choice(_ROLES), "day": rng.choice(_WEEKDAYS)}
    templates = ["{company} named {name} as its new {role} on {day}.",
                 "{name} will become {role} of {company}, the company said on {day}.",
                 "On {day}, {company} appointed {name} {role}.",
                 "{company} said on {day} that {name} had been chosen as its next {role}."]
    claims = ["{name} resigned as {role} of {company} on {day}.", "{company} said on {day} that {name} would not "
              "become its {role}.", "{company} fired its {role}, {name}, on {day}."]
    changes = [{"name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"},
               {"company": _other(rng, COMPANIES, f["company"])}, {"role": _other(rng, _ROLES, f["role"])}]
    return f, templates, claims, changes


_MRPC_STORIES = (_mrpc_earnings, _mrpc_deal, _mrpc_vote, _mrpc_match, _mrpc_study, _mrpc_trial, _mrpc_disaster,
                 _mrpc_appointment)


def _news(rng: random.Random, template: str, facts: dict) -> str:
    """One telling: synonyms drawn afresh (rose / climbed / went up), now and then an attribution added."""
    text = cap(template.format(**{k: rng.choice(v) if isinstance(v, tuple) else v for k, v in facts.items()}))
    if rng.random() < 0.2 and "said" not in text:
        text = text[:-1] + rng.choice(_SOURCES) + "."
    return text


def glue_mrpc(rng: random.Random) -> Example:
    """A news fact (earnings, a takeover, a vote, a match, a study, a trial, a disaster, an appointment).
    "1": sentence 2 restates it in other words; "0": it changes one key fact (a number, who did it, the outcome)
    or makes another claim about it (a denial, a forecast)."""
    label = rng.choice(["0", "1"])
    facts, templates, claims, changes = rng.choice(_MRPC_STORIES)(rng)
    first, second = rng.sample(templates, 2)
    if label == "1":
        pair = _news(rng, first, facts), _news(rng, second, facts)
    elif rng.random() < 0.3:
        pair = _news(rng, first, facts), _news(rng, rng.choice(claims), facts)
    else:
        changed = facts | rng.choice(changes)
        pair = _news(rng, first, facts), _news(rng, first if rng.random() < 0.5 else second, changed)
        if pair[0] == pair[1]:  # a change the template does not show: fall back to another claim
            pair = pair[0], _news(rng, rng.choice(claims), facts)
    sentence1, sentence2 = _styled(rng, *pair, lower=0.03)
    return Example({"sentence1": sentence1, "sentence2": sentence2}, label)


# --- glue_qnli: a question about someone or something, and a sentence that does or does not give the fact asked -----

_TOWN_STARTS = words("Ash, Bel, Brook, Cal, Dun, Elm, Fair, Glen, Hart, Kings, Lin, Mar, North, Oak, Pen, Red, Rock, "
                     "Stan, Thorn, West, Wil, Ald, Bran, Cor, Dal, Fen, Gray, Hol, Kel, Lang, Mill, Nor, Sel, Tal")
_TOWN_ENDS = words("ford, ton, bury, field, wick, mouth, haven, dale, more, port, stead, worth, bridge, holm, ley, "
                   "wood, minster, gate, brook, cliff")
_INDUSTRIES = words("Textiles, Motors, Foods, Pharma, Airlines, Bank, Steel, Media, Robotics, Games, Shipping, Energy, "
                    "Optics, Brewing, Software, Furniture, Insurance, Chemicals")
_PRODUCTS = words("bicycles, frozen pizza, solar panels, children's toys, hearing aids, office chairs, running shoes, "
                  "electric buses, garden tools, board games, coffee machines, medical masks, wind turbines, paint")
_BUILDINGS = words("Museum, Library, Bridge, Tower, Theatre, Concert Hall, Stadium, Cathedral, Opera House, Gallery")
_RIVERS = words("Tarn, Lessa, Vell, Orin, Dove, Marra, Kessel, Avel, Lune, Sorra, Tamsin, Brea")
_SUBJECTS = words("law, chemistry, history, medicine, music, economics, physics, architecture, philosophy, biology")
_PRIZES = words("Golden Pen Award, National Book Prize, Silver Lens Prize, Grand Music Prize, Young Scientist Award, "
                "City Arts Medal")
_KNOWN_FOR = words("cheese, glass factories, spring festival, old harbour, wool trade, football club, carnival, "
                   "chocolate, bell towers, horse races")
_QNLI_OPENERS = ("", "", "", "Today, ", "According to local records, ", "Records show that ", "As many people know, ",
                 "In fact, ", "Interestingly, ")


def _year(rng: random.Random) -> int:
    return rng.randint(1650, 2020)


def _full_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _qnli_person(rng: random.Random) -> tuple[str, str, dict[str, tuple[list[str], list[str]]]]:
    e, city, prize, year = _full_name(rng), rng.choice(CITIES), rng.choice(_PRIZES), rng.randint(1920, 1990)
    job = rng.choice([j for j, _ in _JOBS])
    return e, "who", {  # relation -> (questions, predicates that state it)
        "born_year": ([f"When was {e} born?", f"In what year was {e} born?"], [f"was born in {year}"]),
        "born_place": ([f"Where was {e} born?", f"In which city was {e} born?"], [f"was born in {city}"]),
        "job": ([f"What does {e} do for a living?", f"What is {e}'s job?"],
                [f"works as {an(job)}", f"has worked as {an(job)} for {rng.randint(2, 40)} years"]),
        "books": ([f"How many books has {e} written?"], [f"has written {rng.randint(2, 60)} books"]),
        "children": ([f"How many children does {e} have?"], [f"has {rng.randint(2, 9)} children"]),
        "spouse": ([f"Who is {e} married to?"], [f"is married to {_full_name(rng)}"]),
        "study": ([f"What did {e} study at university?", f"Where did {e} go to university?"],
                  [f"studied {rng.choice(_SUBJECTS)} at the University of {rng.choice(CITIES)}"]),
        "prize": ([f"Which prize did {e} win in {year + 30}?"], [f"won the {prize} in {year + 30}"]),
        "nominated": ([f"When was {e} nominated for the {prize}?"], [f"was nominated for the {prize} in {year + 31}"]),
        "moved": ([f"When did {e} move to {city}?"], [f"moved to {city} in {year + rng.randint(18, 40)}"]),
    }


def _qnli_town(rng: random.Random) -> tuple[str, str, dict[str, tuple[list[str], list[str]]]]:
    e, n, mayor = rng.choice(_TOWN_STARTS) + rng.choice(_TOWN_ENDS), rng.randint(800, 900000), _full_name(rng)
    river, country = rng.choice(_RIVERS), rng.choice(COUNTRIES)
    return e, "which", {
        "population": ([f"How many people live in {e}?", f"What is the population of {e}?"],
                       [f"has a population of about {n:,}", f"is home to {n:,} people"]),
        "country": ([f"In which country is {e}?", f"What country is {e} in?"],
                    [f"is a town in {country}", f"lies in the north of {country}"]),
        "founded": ([f"When was {e} founded?", f"In what year was {e} founded?"], [f"was founded in {_year(rng)}"]),
        "river": ([f"What river runs through {e}?", f"Which river flows through {e}?"],
                  [f"sits on the {river} River", f"was built on both banks of the {river}"]),
        "mayor": ([f"Who is the mayor of {e}?"], [f"is run by mayor {mayor}", f"elected {mayor} as its mayor"]),
        "known": ([f"What is {e} known for?", f"What is {e} famous for?"],
                  [f"is best known for its {rng.choice(_KNOWN_FOR)}"]),
        "twin": ([f"Which city is {e} twinned with?"], [f"has been twinned with {rng.choice(CITIES)} since {_year(rng)}"]),
        "area": ([f"What area does {e} cover?", f"How many square kilometres does {e} cover?"],
                 [f"covers {rng.randint(3, 400)} square kilometres"]),
    }


def _qnli_firm(rng: random.Random) -> tuple[str, str, dict[str, tuple[list[str], list[str]]]]:
    e, year, founder = f"{rng.choice(LAST_NAMES)} {rng.choice(_INDUSTRIES)}", rng.randint(1850, 1980), _full_name(rng)
    city, n = rng.choice(CITIES), rng.randint(12, 90000)
    return e, "which", {
        "founded": ([f"When was {e} founded?", f"In what year did {e} start?"],
                    [f"was founded in {year}", f"has been in business since {year}"]),
        "founder": ([f"Who founded {e}?", f"Who started {e}?"], [f"was founded by {founder}", f"was started by {founder}"]),
        "base": ([f"Where is {e} based?", f"Where are the headquarters of {e}?"],
                 [f"is based in {city}", f"has its headquarters in {city}"]),
        "staff": ([f"How many people work for {e}?", f"How many employees does {e} have?"],
                  [f"employs {n:,} people", f"has a staff of {n:,}"]),
        "product": ([f"What does {e} make?", f"What products does {e} sell?"], [f"makes {rng.choice(_PRODUCTS)}"]),
        "profit": ([f"How much profit did {e} make in {year + 40}?"],
                   [f"made a profit of ${rng.randint(2, 900)} million in {year + 40}"]),
        "chief": ([f"Who runs {e} today?"], [f"is now run by {_full_name(rng)}"]),
        "office": ([f"When did {e} open an office in {city}?"],
                   [f"opened an office in {city} in {year + rng.randint(5, 60)}"]),
    }


def _qnli_building(rng: random.Random) -> tuple[str, str, dict[str, tuple[list[str], list[str]]]]:
    e = f"the {rng.choice(_TOWN_STARTS) + rng.choice(_TOWN_ENDS)} {rng.choice(_BUILDINGS)}"
    year, city = rng.randint(1700, 1940), rng.choice(CITIES)
    return e, "which", {
        "opened": ([f"When did {e} open?", f"What year did {e} open?"], [f"opened in {year}", f"first opened in {year}"]),
        "architect": ([f"Who designed {e}?", f"Which architect designed {e}?"], [f"was designed by {_full_name(rng)}"]),
        "city": ([f"Where is {e}?", f"In which city is {e}?"], [f"stands in the centre of {city}", f"is in {city}"]),
        "visitors": ([f"How many visitors does {e} get each year?"],
                     [f"attracts about {rng.randint(2, 900) * 1000:,} visitors a year"]),
        "height": ([f"How tall is {e}?"], [f"is {rng.randint(12, 320)} metres tall"]),
        "cost": ([f"How much did {e} cost to build?"], [f"cost ${rng.randint(2, 800)} million to build"]),
        "renovated": ([f"When was {e} last renovated?"], [f"was last renovated in {year + rng.randint(10, 80)}"]),
    }


_QNLI_ENTITIES = (_qnli_person, _qnli_town, _qnli_firm, _qnli_building)


def glue_qnli(rng: random.Random) -> Example:
    """A question asks one fact (who / where / when / how many / what) about a person, town, firm or building.
    "0": the sentence states that fact (maybe with another one); "1": it states only other facts about the same
    subject, often of the same kind (another year, place or number)."""
    label = rng.choice(["0", "1"])  # 0: the sentence answers the question
    entity, relative, relations = rng.choice(_QNLI_ENTITIES)(rng)
    asked = rng.choice(list(relations))
    others = rng.sample([r for r in relations if r != asked], 2)
    stated = [asked, others[0]] if label == "0" else others
    if rng.random() < 0.5:
        stated = stated[:1]
    predicates = [rng.choice(relations[r][1]) for r in stated]
    rng.shuffle(predicates)
    subject = cap(entity)
    if len(predicates) == 1:
        sentence = f"{subject} {predicates[0]}."
    elif rng.random() < 0.5:
        sentence = f"{subject} {predicates[0]} and {predicates[1]}."
    else:
        sentence = f"{subject}, {relative} {predicates[0]}, {predicates[1]}."
    opener = rng.choice(_QNLI_OPENERS)
    sentence = opener + (sentence if not opener or entity[0].isupper() else entity + sentence[len(entity):])
    question = rng.choice(relations[asked][0])
    if rng.random() < 0.1:
        question = question.lower()
    return Example({"question": cap(question), "sentence": _styled(rng, sentence, lower=0.05)[0]}, label)


# --- glue_qqp: Quora questions, asked again in other words or about something else ------------------------------

_QQP_TOPICS = {  # kind -> (values, {intent: ways to ask it}); {x} is the value, {a} the value with a/an
    "skill": (words("""
Python, Java, JavaScript, C++, Spanish, French, German, Japanese, Mandarin, the guitar, the piano, chess, photography,
drawing, machine learning, data science, web development, public speaking, swimming, Excel, SQL, calculus,
statistics, video editing, graphic design, sign language, Korean, Italian, Arabic, the violin, digital marketing,
accounting, Rust, ethical hacking, touch typing, knitting, salsa dancing, astronomy
"""), {
        "how": ["How do I learn {x}?", "What is the best way to learn {x}?", "How can I start learning {x}?",
                "What's the easiest way to learn {x}?", "How should a beginner learn {x}?",
                "Where do I start if I want to learn {x}?", "How can I teach myself {x}?"],
        "time": ["How long does it take to learn {x}?", "How much time do I need to learn {x}?",
                 "How many months does it take to get good at {x}?"],
        "worth": ["Is it worth learning {x}?", "Should I learn {x}?", "Is learning {x} worth it?"],
        "books": ["What are the best books for learning {x}?", "Which books should I read to learn {x}?",
                  "Can you recommend a good book on {x}?"],
        "hard": ["Why is {x} so hard to learn?", "What makes {x} so difficult to learn?"],
        "jobs": ["What jobs can I get if I know {x}?", "What careers can {x} lead to?",
                 "Which jobs can I do with {x}?"],
        "free": ["What are the best websites to learn {x} for free?", "Where can I learn {x} online for free?",
                 "Which free online courses teach {x}?"],
    }),
    "place": (CITIES + COUNTRIES, {
        "see": ["What are the best places to visit in {x}?", "What should I see in {x}?",
                "Which places must a tourist visit in {x}?", "What are the top tourist attractions in {x}?"],
        "cost": ["What is the cost of living in {x}?", "How expensive is it to live in {x}?",
                 "Is {x} an expensive place to live?"],
        "safe": ["Is {x} safe for tourists?", "How safe is {x} for travellers?", "Is it safe to travel to {x}?"],
        "food": ["What food is {x} famous for?", "What are the must-try dishes in {x}?",
                 "What should I eat when I visit {x}?"],
        "when": ["What is the best time of year to visit {x}?", "When is the best time to go to {x}?",
                 "Which month is best for a trip to {x}?"],
        "move": ["How can I move to {x}?", "What do I need to do to move to {x}?", "How do I relocate to {x}?"],
        "work": ["How can I find a job in {x}?", "What is the best way to get a job in {x}?",
                 "How do foreigners find work in {x}?"],
    }),
    "device": (words("""
iPhone, Android phone, laptop, MacBook, Windows PC, PS4, Xbox, smart TV, Kindle, iPad, printer, router, smartwatch,
Chromebook, gaming PC, Samsung Galaxy, tablet, desktop computer, Nintendo Switch, Apple Watch
"""), {
        "fast": ["How can I make my {x} faster?", "How do I speed up my {x}?",
                 "What can I do to make my slow {x} run faster?"],
        "reset": ["How do I factory reset my {x}?", "How can I reset my {x} to factory settings?",
                  "What is the way to restore my {x} to its factory settings?"],
        "buy": ["Which {x} should I buy?", "What is the best {x} to buy right now?", "Which {x} is worth buying this year?"],
        "wifi": ["Why won't my {x} connect to Wi-Fi?", "My {x} can't connect to Wi-Fi. What should I do?",
                 "How do I fix Wi-Fi problems on my {x}?"],
        "sell": ["Where can I sell my old {x}?", "What is the best place to sell a used {x}?",
                 "Where is the best place to sell my used {x}?"],
    }),
    "goal": (words("""
lose weight, sleep better, save money, stop procrastinating, make friends as an adult, become more confident,
wake up early, stop overthinking, get rid of acne, improve my English, focus while studying, quit smoking,
build muscle, get over a breakup, deal with stress, earn money online, be more productive, gain weight,
improve my memory, stop snoring, read faster, get better grades, control my anger, stop biting my nails
"""), {
        "how": ["How can I {x}?", "What is the best way to {x}?", "What are some tips to {x}?", "How do I {x}?",
                "What should I do to {x}?", "What are some good ways to {x}?"],
        "hard": ["Why is it so hard to {x}?", "Why do I find it so difficult to {x}?"],
        "time": ["How long does it take to {x}?", "How much time does it usually take to {x}?"],
        "apps": ["What are the best apps to help me {x}?", "Which apps can help me {x}?"],
        "books": ["What books can help me {x}?", "Which book should I read to {x}?"],
    }),
    "job": (words("""
doctor, software engineer, pilot, lawyer, teacher, nurse, data scientist, architect, chef, journalist, psychologist,
accountant, civil engineer, dentist, game developer, firefighter, product manager, pharmacist, photographer,
electrician, actor, police officer, flight attendant, translator, vet, interior designer
"""), {
        "become": ["How do I become {a}?", "What steps should I take to become {a}?", "What does it take to become {a}?",
                   "How can I become {a}?"],
        "salary": ["How much does {a} earn?", "What is the average salary of {a}?", "How much money does {a} make?"],
        "life": ["What is it like to be {a}?", "What is it like to work as {a}?"],
        "day": ["What is a typical day like for {a}?", "What does {a} do all day at work?"],
        "regret": ["Do you regret becoming {a}?", "Have you ever regretted becoming {a}?"],
        "skills": ["What skills does {a} need?", "What are the most important skills for {a}?"],
    }),
}


def _quora(rng: random.Random, template: str, value: str) -> str:
    """A question as typed on Quora: now and then in lower case or without its question mark."""
    text = template.format(x=value, a=an(value))
    if rng.random() < 0.15:
        text = text.lower()
    return text[:-1] if rng.random() < 0.08 else text


def glue_qqp(rng: random.Random) -> Example:
    """Questions about a skill, a place, a device, a goal or a job. "1": both ask the same thing about the same
    topic in other words; "0": they ask something else about the same topic, or the same thing about another one."""
    label = rng.choice(["0", "1"])
    values, intents = _QQP_TOPICS[rng.choice(list(_QQP_TOPICS))]
    value, intent = rng.choice(values), rng.choice(list(intents))
    first, second = rng.sample(intents[intent], 2)
    other_value = value
    if label == "0":
        if rng.random() < 0.6:
            second = rng.choice(intents[rng.choice([i for i in intents if i != intent])])
        else:
            other_value = rng.choice([v for v in values if v != value])
            second = first if rng.random() < 0.5 else rng.choice(intents[intent])
    return Example({"question1": _quora(rng, first, value), "question2": _quora(rng, second, other_value)}, label)


# --- glue_stsb: a scene told twice, some of its five details blurred, dropped or changed the second time ----------

_STSB_ADJECTIVES = words("tall, young, happy, tired, small, old, little, elderly, smiling, bearded, blond, "
                         "dark-haired, cheerful, sleepy, busy, thin, strong, curious, worried, barefoot, shy, grumpy, "
                         "red-haired, nervous, friendly, muscular, pregnant, bald, teenage")
_STSB_NOUNS = words("man, woman, boy, girl, student, teacher, child, chef, musician, tourist, farmer, doctor, "
                    "cyclist, dancer, soldier, baby, grandmother, police officer, worker, runner, nurse, artist, "
                    "fisherman, waiter, skier, surfer, clown, mechanic, grandfather, toddler")
_STSB_ACTIONS = [tuple(pair.split("/")) for pair in words("""
playing a guitar/played a guitar, eating an apple/ate an apple, reading a book/read a book, riding a bike/rode a bike,
cooking rice/cooked rice, painting a wall/painted a wall, singing a song/sang a song, washing a car/washed a car,
slicing an onion/sliced an onion, walking a dog/walked a dog, drinking coffee/drank coffee, writing a letter/wrote a letter,
kicking a ball/kicked a ball, feeding the birds/fed the birds, climbing a tree/climbed a tree, fixing a bicycle/fixed a bicycle,
playing the piano/played the piano, peeling a potato/peeled a potato, talking on the phone/talked on the phone,
carrying a box/carried a box, swimming in a pool/swam in a pool, taking a photo/took a photo,
dancing with a partner/danced with a partner,
cutting the grass/cut the grass, mixing flour in a bowl/mixed flour in a bowl, jumping on a trampoline/jumped on a trampoline,
throwing a frisbee/threw a frisbee, selling vegetables/sold vegetables, typing on a laptop/typed on a laptop,
brushing a horse/brushed a horse, drawing a picture/drew a picture, chopping wood/chopped wood
""")]
_STSB_PLACES = words("""
in the park, in the kitchen, in the garden, on the street, in the library, at the station, on the beach, in a field,
at the market, on a stage, in a classroom, by the river, in the snow, on a boat, in the backyard, at the airport,
in a small cafe, on the roof, in the forest, at the beach, next to a fountain, in a busy square, on a balcony,
in a parking lot, at a bus stop, in a gym, on a mountain path, in a hospital corridor, under a bridge
""")
_STSB_TIMES = words("""
at night, in the morning, after lunch, on sunday, before dinner, in winter, at sunset, at dawn, in the afternoon,
on a rainy day, during the summer, late at night, on the weekend, after school, at noon, in the evening,
on christmas eve, during a storm, at midnight, in early spring, before breakfast, on a hot day
""")
_STSB_VAGUE = {  # how a detail is blurred, per slot: (ways to blur, or "" to leave it out)
    "adj": ("",), "noun": ("person",), "action": (("doing something", "did something"),),
    "place": ("somewhere", ""), "time": ("at some point", "", "at some time"),
}
_STSB_POOLS = {"adj": _STSB_ADJECTIVES, "noun": _STSB_NOUNS, "action": _STSB_ACTIONS, "place": _STSB_PLACES,
               "time": _STSB_TIMES}


def _stsb_sentence(details: dict, past: bool, time_first: bool) -> str:
    who = an(" ".join(w for w in (details["adj"], details["noun"]) if w))
    action = details["action"][1] if past else "is " + details["action"][0]
    place, time = details["place"], details["time"]
    if time_first and time:
        return f"{cap(time)}, {who} {action}" + (f" {place}" if place else "") + "."
    return cap(" ".join(w for w in (who, action, place, time) if w)) + "."


def glue_stsb(rng: random.Random) -> Example:
    """Sentence 1 tells a scene with five details (who is like what, who, doing what, where, when). Sentence 2
    tells it again with k of them blurred into vague words, left out or swapped for another value: similarity
    5 - k. With nothing changed the two sentences are the same text (5.0)."""
    first = {slot: rng.choice(pool) for slot, pool in _STSB_POOLS.items()}
    changed = rng.sample(list(first), rng.randint(0, 5))
    second = dict(first)
    for slot in changed:
        if rng.random() < 0.5:
            second[slot] = rng.choice(_STSB_VAGUE[slot])
        else:
            second[slot] = rng.choice([v for v in _STSB_POOLS[slot] if v != first[slot]])
    past, time_first = rng.random() < 0.4, rng.random() < 0.25
    sentence1 = _stsb_sentence(first, past, time_first)
    sentence2 = _stsb_sentence(second, past, time_first if not changed or rng.random() < 0.6 else not time_first)
    sentence1, sentence2 = _styled(rng, sentence1, sentence2)
    return Example({"sentence1": sentence1, "sentence2": sentence2}, f"{5 - len(changed)}.0")
