"""Named entity recognition: bc5cdr (chemicals and diseases) and conllpp (people, organizations, places)."""

from __future__ import annotations

import json
import random

from lora_land.miniatures.common import Example


_CHEMICALS = [
    "naloxone", "clonidine", "lithium", "cocaine", "heparin", "aspirin", "morphine",
    "caffeine", "cisplatin", "tamoxifen", "haloperidol", "digoxin", "warfarin",
    "ketamine", "nicotine", "propofol", "ibuprofen", "insulin", "dopamine",
    "valproic acid", "nitric oxide", "retinoic acid", "folic acid",
]
_DISEASES = [
    "hypertension", "seizures", "hepatitis", "nephrotoxicity", "arrhythmia",
    "bradycardia", "hypotension", "delirium", "anemia", "proteinuria", "psychosis",
    "renal failure", "heart failure", "liver damage", "myocardial infarction",
    "pulmonary edema", "memory loss", "acute kidney injury",
]
_BC5CDR_TEMPLATES = [
    "Treatment with CHEM reverses the antihypertensive effect of CHEM .",
    "Chronic CHEM use induced DISEASE in rats .",
    "Severe DISEASE was observed after treatment with CHEM .",
    "Patients given CHEM and CHEM developed DISEASE .",
    "In mice CHEM did not prevent DISEASE or DISEASE .",
    "The risk of DISEASE increased with the dose of CHEM .",
    "Low doses of CHEM are used to treat DISEASE .",
    "Two patients with DISEASE received CHEM and recovered .",
]


def bc5cdr(rng: random.Random) -> Example:
    pools = {"CHEM": ("Chemical", rng.sample(_CHEMICALS, 3)),
             "DISEASE": ("Disease", rng.sample(_DISEASES, 3))}
    tags: dict[str, list[str]] = {"B-Chemical": [], "B-Disease": [], "I-Disease": [], "I-Chemical": []}
    words = []
    for piece in rng.choice(_BC5CDR_TEMPLATES).split():
        if piece not in pools:
            words.append(piece)
            continue
        kind, entities = pools[piece]
        entity = entities.pop()
        first, *rest = entity.split()
        tags[f"B-{kind}"].append(first)
        tags[f"I-{kind}"].extend(rest)
        words.append(entity)
    return Example({"tokens_concatenated": " ".join(words)}, str(tags))


_FIRST_NAMES = ["Tom", "Anna", "Peter", "Maria", "John", "Elena", "David", "Sara", "Mark", "Julia", "Paul", "Laura"]
_LAST_NAMES = ["Smith", "Muller", "Rossi", "Jones", "Dubois", "Kowalski", "Brown", "Silva", "Novak", "Jensen"]
_ORGANIZATIONS = ["EU", "UN", "Reuters", "NATO", "Fiat", "Ajax", "Chelsea", "Microsoft", "Interpol", "Unilever", "Siemens", "Juventus"]
_LOCATIONS = ["Germany", "Paris", "Britain", "Japan", "Moscow", "Brazil", "Texas", "Kenya", "Madrid", "Sydney", "Italy", "Cairo"]
_MISC = ["German", "British", "French", "Olympic", "Russian", "Italian", "Dutch", "European", "Japanese", "Brazilian"]
_CONLL_TEMPLATES = [
    "PER of ORG said on Monday that LOC would join the talks .",
    "ORG rejects MISC call to boycott MISC lamb .",
    "PER scored twice as ORG beat ORG in LOC .",
    "MISC officials met PER in LOC on Tuesday .",
    "LOC and LOC signed a trade deal , ORG said .",
    "PER , a MISC striker , joined ORG for a record fee .",
    "Shares in ORG fell in LOC after the MISC report .",
    "PER told reporters in LOC that the deal was fair .",
]


def conllpp(rng: random.Random) -> Example:
    people = [f"{first} {last}" for first, last in zip(rng.sample(_FIRST_NAMES, 2), rng.sample(_LAST_NAMES, 2))]
    pools = {"PER": ("person", people), "ORG": ("organization", rng.sample(_ORGANIZATIONS, 2)),
             "LOC": ("location", rng.sample(_LOCATIONS, 2)), "MISC": ("miscellaneous", rng.sample(_MISC, 2))}
    tags: dict[str, list[str]] = {"person": [], "organization": [], "location": [], "miscellaneous": []}
    words = []
    for piece in rng.choice(_CONLL_TEMPLATES).split():
        if piece in pools:
            kind, entities = pools[piece]
            piece = entities.pop()
            tags[kind].append(piece)
        words.append(piece)
    return Example({"input": " ".join(words)}, json.dumps(tags))
