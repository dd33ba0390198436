"""Sentence pairs and acceptability (GLUE): cola, mnli, mrpc, qnli, qqp, stsb."""

from __future__ import annotations

import random

from lora_land.miniatures.common import Example, an, cap


_COLA_SUBJECTS = ["the dog", "the teacher", "my sister", "the old man", "a child", "the farmer", "the pilot",
                  "our neighbor", "the cat", "the doctor", "the young girl", "his uncle", "the baker", "a student"]
_COLA_VERBS = [("chases", "chase"), ("sees", "see"), ("likes", "like"), ("finds", "find"), ("helps", "help"),
               ("watches", "watch"), ("paints", "paint"), ("carries", "carry"), ("visits", "visit"), ("calls", "call"),
               ("cleans", "clean"), ("follows", "follow")]
_COLA_OBJECTS = ["the ball", "a letter", "the red car", "the small house", "a new book", "the garden", "his friend",
                 "the old boat", "a big box", "the fence", "her brother", "the little bird"]
_COLA_ENDINGS = ["every day", "in the park", "at night", "after lunch", "again"]


def glue_cola(rng: random.Random) -> Example:
    label = rng.choice(["0", "1"])
    subject, (verb, bare), obj, ending = (rng.choice(_COLA_SUBJECTS), rng.choice(_COLA_VERBS),
                                          rng.choice(_COLA_OBJECTS), rng.choice(_COLA_ENDINGS))
    if label == "1":
        words = [subject, verb, obj, ending]
    elif rng.random() < 0.5:  # agreement violation
        words = [subject, bare, obj, ending]
    else:  # word order violation
        words = [subject, obj, verb, ending]
    return Example({"sentence": cap(" ".join(words)) + " ."}, label)


_PEOPLE = ["Anna", "Tom", "Maria", "John", "Elena", "David", "Sara", "Mark", "Julia", "Paul", "Laura", "Omar", "Kate", "Ben"]
_ROOMS = ["the kitchen", "the garden", "the library", "the park", "the office", "the station", "the cafe", "the garage"]
_ACTIVITIES = ["reading a book", "cooking dinner", "painting a fence", "playing chess", "washing the car",
               "writing a letter", "fixing a bike", "drinking tea", "eating lunch", "singing a song"]
_FEELINGS = ["happy", "tired", "bored", "hungry", "nervous", "excited"]


def glue_mnli(rng: random.Random) -> Example:
    name, (room, other_room), activity = rng.choice(_PEOPLE), rng.sample(_ROOMS, 2), rng.choice(_ACTIVITIES)
    label = rng.choice(["0", "1", "2"])
    hypotheses = {
        "0": [f"{name} is in {room} .", f"{name} is {activity} .", f"Someone is {activity} in {room} ."],
        "1": [f"{name} is {rng.choice(_FEELINGS)} today .", f"{name} is {activity} with a friend ."],
        "2": [f"{name} is in {other_room} .", f"{name} is not {activity} .", f"Nobody is in {room} ."],
    }
    premise = f"{name} is {activity} in {room} ."
    return Example({"premise": premise, "hypothesis": rng.choice(hypotheses[label])}, label)


_COMPANIES = ["Apple", "Google", "Amazon", "Tesla", "Netflix", "Uber", "Spotify", "Intel", "Nvidia", "Samsung",
              "Oracle", "Adobe", "Nokia", "Sony", "IBM", "Stripe"]
_METRICS = ["profit", "revenue", "sales", "shares", "costs", "earnings"]
_QUARTERS = ["first", "second", "third", "fourth"]


_MRPC_SAME = [
    "{company} said its {metric} {moved} {n} percent in the {quarter} quarter .",
    "{company} reported that its {metric} {moved} by {n} percent in the {quarter} quarter .",
    "In the {quarter} quarter , {metric} at {company} {moved} {n} percent .",
]
_MRPC_DIFFERENT = [  # the same words, another claim: a forecast, a denial, a rival, a hope
    "{company} expects its {metric} to change next year , analysts said .",
    "{company} denied a report that its {metric} {moved} in the {quarter} quarter .",
    "Analysts at a rival of {company} said their own {metric} {moved} {n} percent .",
    "{company} hopes its {metric} will recover after the {quarter} quarter .",
]


def glue_mrpc(rng: random.Random) -> Example:
    """Paraphrase ("1"): the second sentence restates the first; "0": it makes another claim about the same firm."""
    facts = {"company": rng.choice(_COMPANIES), "metric": rng.choice(_METRICS), "moved": rng.choice(["rose", "fell"]),
             "n": str(rng.randint(2, 30)), "quarter": rng.choice(_QUARTERS)}
    label = rng.choice(["0", "1"])
    first, second = rng.sample(_MRPC_SAME, 2)
    if label == "0":
        second = rng.choice(_MRPC_DIFFERENT)
    return Example({"sentence1": first.format(**facts), "sentence2": second.format(**facts)}, label)


_QNLI_RELATIONS = {  # relation -> (question, answer sentence, answer values)
    "work": ("Where does {name} work?", "{name} works at the {value} .", ["bank", "hospital", "school", "bakery", "factory", "museum"]),
    "live": ("Where does {name} live?", "{name} lives in {value} .", ["Paris", "Boston", "Madrid", "Tokyo", "Cairo", "Oslo"]),
    "age": ("How old is {name}?", "{name} is {value} years old .", [str(n) for n in range(18, 70)]),
    "pet": ("What pet does {name} have?", "{name} has a pet {value} .", ["cat", "dog", "parrot", "rabbit", "turtle", "hamster"]),
    "breakfast": ("What does {name} eat for breakfast?", "{name} eats {value} for breakfast .", ["eggs", "toast", "oatmeal", "pancakes", "fruit", "rice"]),
}
_QNLI_PREFIXES = ["", "According to a friend , ", "As far as we know , ", "These days , ", "Since last year , "]


_QNLI_EVASIONS = ["{name} never talks about that .", "Nobody has asked {name} about it yet .",
                  "{name} would rather not say .",
                  "Friends of {name} are not sure either ."]


def glue_qnli(rng: random.Random) -> Example:
    """"0" when the sentence gives the asked fact about the person; "1" when it says something else."""
    name = rng.choice(_PEOPLE)
    relation = rng.choice(list(_QNLI_RELATIONS))
    question, answer, values = _QNLI_RELATIONS[relation]
    label = rng.choice(["0", "1"])  # 0: the sentence answers the question
    sentence = answer.format(name=name, value=rng.choice(values)) if label == "0" else rng.choice(_QNLI_EVASIONS).format(name=name)
    return Example({"question": question.format(name=name), "sentence": cap(rng.choice(_QNLI_PREFIXES) + sentence)}, label)


_QQP_GOALS = {
    "learn": ["python", "spanish", "chess", "the guitar", "math", "to swim"],
    "fix": ["a flat tire", "a leaky tap", "a slow laptop", "a broken zipper", "a squeaky door", "a cracked phone screen"],
    "cook": ["rice", "pasta", "salmon", "eggs", "a steak", "lentils"],
    "grow": ["tomatoes", "basil", "strawberries", "roses", "potatoes", "a lemon tree"],
    "clean": ["a carpet", "an oven", "white shoes", "a laptop keyboard", "a bathtub", "windows"],
    "save": ["money", "time", "water", "energy", "battery life", "space"],
}
_QQP_QUALIFIERS = ["", " at home", " as a beginner", " in one week", " for free", " this year"]
_QQP_SAME = ["How do I {goal}{qualifier}?", "What is the best way to {goal}{qualifier}?",
             "How can I {goal}{qualifier}?", "What should I do to {goal}{qualifier}?"]
_QQP_DIFFERENT = ["Why is it so hard to {goal}{qualifier}?", "Is it worth it to {goal}{qualifier}?",
                  "How long does it take to {goal}{qualifier}?", "Who taught you to {goal}{qualifier}?"]


def glue_qqp(rng: random.Random) -> Example:
    """Duplicates ("1") ask how to reach the same goal; "0" asks another thing about it (why, how long, ...)."""
    verb = rng.choice(list(_QQP_GOALS))
    goal, qualifier = f"{verb} {rng.choice(_QQP_GOALS[verb])}", rng.choice(_QQP_QUALIFIERS)
    label = rng.choice(["0", "1"])
    first, second = rng.sample(_QQP_SAME, 2)
    if label == "0":
        second = rng.choice(_QQP_DIFFERENT)
    return Example({"question1": first.format(goal=goal, qualifier=qualifier),
                    "question2": second.format(goal=goal, qualifier=qualifier)}, label)


_STSB_SLOTS = [
    ["tall", "young", "happy", "tired", "small", "old"],
    ["man", "woman", "boy", "girl", "student", "teacher"],
    ["playing a guitar", "eating an apple", "reading a book", "riding a bike", "cooking rice", "painting a wall",
     "singing a song", "washing a car"],
    ["park", "kitchen", "garden", "street", "library", "station"],
    ["at night", "in the morning", "after lunch", "on sunday", "before dinner", "in winter"],
]


_STSB_VAGUE = ["certain", "person", "doing something", "somewhere", "at some point"]


def glue_stsb(rng: random.Random) -> Example:
    """Sentence 2 retells sentence 1 with k of its 5 details blurred into vague words: similarity 5 - k."""
    first = [rng.choice(words) for words in _STSB_SLOTS]
    blurred = set(rng.sample(range(5), rng.randint(0, 5)))
    second = [_STSB_VAGUE[i] if i in blurred else word for i, word in enumerate(first)]

    def sentence(s: list[str]) -> str:
        return f"{cap(an(s[0]))} {s[1]} is {s[2]} in the {s[3]} {s[4]} .".replace("in the somewhere", "somewhere")

    return Example({"sentence1": sentence(first), "sentence2": sentence(second)}, f"{5 - len(blurred)}.0")
