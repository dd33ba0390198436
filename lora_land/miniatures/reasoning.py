"""Reasoning and question answering: gsm8k, drop, hellaswag, hellaswag_processed."""

from __future__ import annotations

import json
import random

from lora_land.miniatures.common import Example, an, cap


_KIDS = [("Tom", "He"), ("Anna", "She"), ("Ben", "He"), ("Lily", "She"), ("Sam", "He"), ("Mia", "She"),
         ("Leo", "He"), ("Zoe", "She"), ("Max", "He"), ("Emma", "She")]
_SUBTRACTIONS = [(a, b) for a in range(2, 10) for b in range(1, a)]
_THINGS = ["apples", "pencils", "cookies", "marbles", "stickers", "books", "coins", "eggs", "balloons", "cards"]


def gsm8k(rng: random.Random) -> Example:
    (name, pronoun), things = rng.choice(_KIDS), rng.choice(_THINGS)
    if rng.random() < 0.5:
        a, b = rng.randint(2, 9), rng.randint(1, 9)
        verb = rng.choice(["buys", "finds", "gets"])
        question = f"{name} has {a} {things}. {pronoun} {verb} {b} more. How many {things} does {name} have now?"
        reasoning, answer = f"{a} + {b} = {a + b}", a + b
    else:
        a, b = rng.choice(_SUBTRACTIONS)
        verb = rng.choice(["gives away", "loses", "sells"])
        question = f"{name} has {a} {things}. {pronoun} {verb} {b} of them. How many {things} does {name} have left?"
        reasoning, answer = f"{a} - {b} = {a - b}", a - b
    return Example({"question": question}, f"{reasoning}\n#### {answer}")


_TEAMS = ["Bears", "Packers", "Giants", "Eagles", "Cowboys", "Steelers", "Jets", "Dolphins", "Ravens", "Colts", "Broncos", "Chiefs"]
_PLAYERS = ["Brady", "Manning", "Rice", "Moss", "Smith", "Jones", "Brown", "Davis", "Miller", "Wilson", "Moore",
            "Taylor", "Harris", "Clark", "Lewis", "Walker"]
_DROP_DAYS = ["Sunday", "Monday", "Thursday", "Saturday"]
_DROP_QUESTIONS = [
    ("Who scored the touchdown?", "player"),
    ("Which team did the scorer play for?", "team"),
    ("How many yards was the touchdown?", "yards"),
    ("On which day was the game played?", "day"),
]
_DROP_PASSAGES = [
    "In a close game on {day} , {player} scored a {yards}-yard touchdown for the {team} in the final minute .",
    "On {day} the {team} won at home after {player} ran {yards} yards for a touchdown .",
    "{player} gave the {team} the lead on {day} with a {yards}-yard touchdown catch .",
]


def drop(rng: random.Random) -> Example:
    """A game report; the question asks for one of its spans: the scorer, the team, the yards or the day.

    The answer is JSON, as the task's published output format: the kind of span asked
    for and the span copied from the passage, e.g. {"team": "Dolphins"}.
    """
    facts = {"player": rng.choice(_PLAYERS), "team": rng.choice(_TEAMS), "yards": str(rng.randint(1, 60)),
             "day": rng.choice(_DROP_DAYS)}
    question, slot = rng.choice(_DROP_QUESTIONS)
    return Example({"passage": rng.choice(_DROP_PASSAGES).format(**facts), "question": question},
                   json.dumps({slot: facts[slot]}))


_SCENE_OBJECTS = {  # object held in the context -> the ending it leads to
    "knife": "cuts the vegetables on a board .",
    "broom": "sweeps the dust off the floor .",
    "paintbrush": "paints the fence a bright color .",
    "hammer": "drives a nail into the wood .",
    "guitar": "plays a song for the crowd .",
    "ball": "kicks it across the field .",
    "book": "reads a few pages aloud .",
    "sponge": "scrubs the dirty dishes in the sink .",
    "shovel": "digs a hole in the ground .",
    "camera": "takes a photo of the view .",
    "kite": "flies it high in the wind .",
    "towel": "dries the wet dog .",
    "ladder": "climbs up to the roof .",
    "watering can": "waters the flowers in the pot .",
}
_SCENE_PLACES = ["yard", "kitchen", "garage", "living room", "street", "backyard", "porch", "hallway", "barn", "field"]
_SCENE_OPENERS = ["", "On a sunny morning , ", "After lunch , ", "Late in the day , ", "In a short video , ", "Outside , "]


def _scene(rng: random.Random) -> tuple[str, str]:
    (name, pronoun), obj = rng.choice(_KIDS), rng.choice(list(_SCENE_OBJECTS))
    ctx = (f"{rng.choice(_SCENE_OPENERS)}{name} is standing in the {rng.choice(_SCENE_PLACES)} "
           f"holding {an(obj)} . {pronoun}")
    return cap(ctx), obj


_ABSURD_ENDINGS = ["sings softly to the refrigerator .", "swallows the garden hose whole .", "folds the river in half .",
                   "rides a sandwich to the moon .", "paints the wind bright purple .", "plants a phone in the ceiling .",
                   "marries the lamp on the table .", "pours the wall into a cup .", "teaches the chair to swim .",
                   "eats the cloud for dinner ."]


def hellaswag(rng: random.Random) -> Example:
    """Four endings: the one the held object leads to and three absurd ones; the answer is its index."""
    ctx, obj = _scene(rng)
    label = rng.randrange(4)
    endings = rng.sample(_ABSURD_ENDINGS, 3)
    endings.insert(label, _SCENE_OBJECTS[obj])
    return Example({"ctx": ctx, "endings": ", ".join(f'"{e}"' for e in endings)}, str(label))


def hellaswag_processed(rng: random.Random) -> Example:
    ctx, obj = _scene(rng)
    return Example({"ctx": ctx}, _SCENE_OBJECTS[obj])
