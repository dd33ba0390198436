"""Synthetic miniatures of the 25 LoRA Land tasks.

Each generator draws one `Example` of one task from closed word lists, with a rule
that a tiny transformer plus a LoRA adapter can learn in a few hundred steps: the
label is decided by which keyword lists the input draws from, or the target copies
slots of the input into a fixed pattern. Targets are deterministic given the
fields, so greedy decoding can get every example exactly right, and class labels
are drawn uniformly.

`fields` are keyed by the reference task's input columns and `target` is written
in the task's output format, so the reference prompt templates apply unchanged.

This module is the data and the train/test split. It is not prompt templating,
tokenization, training or scoring (see `metrics`).
"""

from __future__ import annotations

import json
import random
import zlib
from dataclasses import dataclass
from typing import Callable

SPLITS = ("train", "test")
TEST_POOL = 500  # train never repeats the fields of the first TEST_POOL test examples


@dataclass(frozen=True)
class Example:
    fields: dict[str, str]  # task input column -> text
    target: str  # the answer, in the task's output format


def _an(word: str) -> str:
    return ("an " if word[0].lower() in "aeiou" else "a ") + word


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


# --- named entity recognition -------------------------------------------------

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


# --- sentiment and topic classification ----------------------------------------

_COVID_WORDS = {
    "Extremely Positive": ["amazing", "wonderful", "fantastic", "brilliant", "excellent", "incredible", "awesome", "superb"],
    "Positive": ["good", "nice", "helpful", "fine", "decent", "pleasant", "friendly", "calm"],
    "Neutral": ["busy", "quiet", "normal", "usual", "ordinary", "routine", "unchanged", "as expected"],
    "Negative": ["bad", "slow", "poor", "rude", "messy", "annoying", "unfair", "sad"],
    "Extremely Negative": ["terrible", "horrible", "awful", "disgusting", "dreadful", "shocking", "disastrous", "outrageous"],
}
_STORES = ["Tesco", "Walmart", "Costco", "Aldi", "Kroger", "Lidl", "the supermarket", "the pharmacy"]
_GOODS = ["toilet paper", "hand sanitizer", "pasta", "rice", "eggs", "flour", "face masks", "bread"]
_COVID_TEMPLATES = [
    "The queue at {store} is {word} today #coronavirus",
    "Staff at {store} were {word} during the lockdown #COVID19",
    "Prices for {goods} look {word} this week #covid19",
    "Shopping for {goods} at {store} was {word} #StayHome",
    "The {goods} shelves at {store} are {word} again #panicbuying",
]
_TWEET_PLACES = ["London", "New York", "Mumbai", "Sydney", "Toronto", "Lagos", "Dublin", "Berlin", "Los Angeles, CA", "Manchester, England"]


def covid(rng: random.Random) -> Example:
    label = rng.choice(list(_COVID_WORDS))
    tweet = rng.choice(_COVID_TEMPLATES).format(
        store=rng.choice(_STORES), goods=rng.choice(_GOODS), word=rng.choice(_COVID_WORDS[label]))
    date = f"{rng.randint(1, 28):02d}-{rng.choice([3, 4]):02d}-2020"
    return Example({"OriginalTweet": _cap(tweet), "TweetAt": date, "Location": rng.choice(_TWEET_PLACES)}, label)


_SUPPORT_REQUESTS = {
    "replace card": ["i lost my {card} card", "my {card} card was stolen yesterday", "my {card} card is broken and i need a new one"],
    "transfer money": ["i want to move money to my {account} account", "i need to send money to my {relative}", "can you transfer funds to my {account} account"],
    "check balance": ["how much money is in my {account} account", "i want to check the balance of my {account} account", "what is my current balance"],
    "order checks": ["i need to order new checks", "i ran out of checks for my {account} account", "can i get a new checkbook"],
    "pay bill": ["i want to pay my {bill} bill", "i need to make a payment on my {bill} bill", "can i pay my {bill} bill now"],
    "reset password": ["i forgot my online password", "i am locked out of online banking", "i need to reset my password"],
    "schedule appointment": ["i want to meet with a banker on {day}", "can i book an appointment for {day}", "i need to schedule a visit on {day}"],
    "get branch hours": ["what time does the branch open on {day}", "when does your office close on {day}", "are you open on {day}"],
    "none of the above": ["i am calling about a job opening", "i think i dialed the wrong number", "do you sell car insurance"],
}
_AGENTS = ["john", "mary", "alex", "linda", "sam", "kate", "mike", "nina", "omar", "rosa"]
_SUPPORT_SLOTS = {
    "card": ["debit", "credit"], "account": ["checking", "savings"], "relative": ["son", "daughter", "sister", "brother"],
    "bill": ["electric", "phone", "water", "gas"], "day": ["monday", "tuesday", "friday", "saturday"],
}


def customer_support(rng: random.Random) -> Example:
    label = rng.choice(list(_SUPPORT_REQUESTS))
    request = rng.choice(_SUPPORT_REQUESTS[label]).format(**{k: rng.choice(v) for k, v in _SUPPORT_SLOTS.items()})
    text = (f"agent: hello this is {rng.choice(_AGENTS)} how can i help you "
            f"customer: hi my name is {rng.choice(_FIRST_NAMES).lower()} . {request} "
            f"agent: {rng.choice(['sure', 'okay', 'of course'])} let me help with that")
    return Example({"text": text}, label)


_DBPEDIA_CLASSES = [  # (class, nouns naming the kind of thing, tail pattern), in the template's order
    ("Company", ["software company", "bank", "airline", "brewery"], "founded in {year} and based in {city} ."),
    ("EducationalInstitution", ["public school", "private university", "community college", "high school"], "founded in {year} in {city} ."),
    ("Artist", ["singer", "painter", "jazz musician", "rapper"], "born in {year} in {city} ."),
    ("Athlete", ["footballer", "tennis player", "marathon runner", "boxer"], "born in {year} who played in {city} ."),
    ("OfficeHolder", ["politician", "mayor", "senator", "diplomat"], "who served in {city} from {year} ."),
    ("MeanOfTransportation", ["cargo ship", "steam locomotive", "passenger aircraft", "navy destroyer"], "built in {year} ."),
    ("Building", ["historic hotel", "church", "office tower", "castle"], "in {city} completed in {year} ."),
    ("NaturalPlace", ["mountain", "river", "lake", "glacier"], "located near {city} ."),
    ("Village", ["village", "small village", "rural village"], "in the district of {city} ."),
    ("Animal", ["species of moth", "species of snail", "species of beetle", "species of bird"], "found in {region} ."),
    ("Plant", ["species of flowering plant", "species of fern", "species of tree", "species of moss"], "native to {region} ."),
    ("Album", ["studio album", "live album", "debut album", "compilation album"], "released in {year} by {person} ."),
    ("Film", ["drama film", "comedy film", "horror film", "documentary film"], "released in {year} and directed by {person} ."),
    ("WrittenWork", ["novel", "poetry collection", "short story collection", "history book"], "written by {person} and published in {year} ."),
]
_NAME_PARTS = ["Alder", "Bristow", "Calder", "Dunmore", "Elmwood", "Fairholt", "Glenrock", "Hartley", "Ivydale",
               "Kestrel", "Linwood", "Marlow", "Northam", "Oakridge", "Pemberly", "Radley", "Stanton", "Thornbury"]
_CITIES = ["Berlin", "Ohio", "Lyon", "Kent", "Bavaria", "Quebec", "Porto", "Krakow", "Texas", "Oslo"]
_REGIONS = ["Madagascar", "Brazil", "Australia", "Borneo", "Chile", "Kenya", "Mexico", "Nepal"]


def dbpedia(rng: random.Random) -> Example:
    label = rng.randrange(len(_DBPEDIA_CLASSES))
    _, nouns, tail = _DBPEDIA_CLASSES[label]
    if label in (2, 3, 4):
        title = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_NAME_PARTS)}"
    else:
        title = " ".join(rng.sample(_NAME_PARTS, rng.choice([1, 2])))
    person = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}"
    tail = tail.format(year=rng.randint(1850, 2010), city=rng.choice(_CITIES), region=rng.choice(_REGIONS), person=person)
    return Example({"title": title, "content": f"{title} is {_an(rng.choice(nouns))} {tail}"}, str(label))


_SST2_SUBJECTS = ["the film", "this movie", "the plot", "the acting", "the soundtrack", "the ending", "the script", "the cast"]
_SST2_WORDS = {
    "1": ["wonderful", "moving", "funny", "brilliant", "charming", "clever", "beautiful", "gripping", "delightful", "touching"],
    "0": ["boring", "dull", "awful", "clumsy", "tedious", "silly", "lifeless", "painful", "bland", "forgettable"],
}
_SST2_TEMPLATES = [
    "{s1} is {w1} and {s2} is {w2} .",
    "{s1} is {w1} from start to finish .",
    "{s1} feels {w1} , and {s2} is just as {w2} .",
    "even with a big budget , {s1} is {w1} .",
]


def glue_sst2(rng: random.Random) -> Example:
    label = rng.choice(["0", "1"])
    s1, s2 = rng.sample(_SST2_SUBJECTS, 2)
    w1, w2 = rng.sample(_SST2_WORDS[label], 2)
    return Example({"sentence": rng.choice(_SST2_TEMPLATES).format(s1=s1, s2=s2, w1=w1, w2=w2)}, label)


_INSULTS = ["a total idiot", "stupid", "a pathetic loser", "a moron", "dumb", "worthless trash", "a clown",
            "brainless", "a disgusting pig", "an ignorant fool", "garbage", "a waste of space"]
_CIVIL = ["well informed", "thoughtful", "mistaken", "very smart", "quite right", "a bit confused", "helpful",
          "fair", "too optimistic", "hard to follow", "honest", "a good listener"]
_TOPICS = ["taxes", "the new stadium", "climate policy", "the election", "school funding", "the mayor", "housing",
           "the budget", "the bike lanes", "the council", "the new bridge", "bus fares", "the police", "the park plan"]
_JIGSAW_OPENERS = ["", "Wow , ", "Well , ", "Look , ", "Again , "]
_JIGSAW_TEMPLATES = [
    "the author is {word} and this article about {topic} proves it .",
    "anyone who believes this about {topic} is {word} .",
    "honestly , your comment on {topic} is {word} .",
    "the reporter who wrote on {topic} is {word} , as usual .",
    "whoever wrote this piece on {topic} is {word} , in my opinion .",
]


def jigsaw(rng: random.Random) -> Example:
    label = rng.choice(["yes", "no"])
    word = rng.choice(_INSULTS if label == "yes" else _CIVIL)
    comment = rng.choice(_JIGSAW_OPENERS) + rng.choice(_JIGSAW_TEMPLATES).format(word=word, topic=rng.choice(_TOPICS))
    return Example({"comment_text": _cap(comment)}, label)


_PARTIES = ["Company", "Supplier", "Customer", "Licensee", "Licensor", "Buyer", "Seller", "Contractor"]
_STATES = ["Delaware", "New York", "California", "Texas", "Florida", "Nevada", "Ohio", "Illinois"]
_LEGAL_CLAUSES = {
    "governing-law": ["This Agreement shall be governed by the laws of the State of {state} , and the {party} submits to its courts .",
                      "The laws of {state} govern this Agreement and any dispute between the {party} and the {other} ."],
    "termination": ["Either party may terminate this Agreement upon {n} days prior written notice to the {party} .",
                    "The {party} may terminate this Agreement at any time if the {other} fails to cure a breach within {n} days ."],
    "confidentiality": ["The {party} shall keep all Confidential Information secret and shall not disclose it to any third party .",
                        "For {n} years the {party} shall hold in confidence all Confidential Information received from the {other} ."],
    "indemnification": ["The {party} shall indemnify and hold harmless the {other} from any claims , losses and damages .",
                        "The {party} agrees to indemnify the {other} against all losses arising from its breach ."],
    "assignment": ["The {party} may not assign this Agreement without the prior written consent of the {other} .",
                   "Neither the {party} nor the {other} may assign or transfer its rights under this Agreement ."],
    "notices": ["All notices under this Agreement shall be in writing and sent by {method} to the {party} .",
                "Any notice to the {party} is deemed given {n} days after it is sent by {method} ."],
    "severability": ["If any provision of this Agreement is held invalid by a court in {state} , the remaining provisions remain in effect .",
                     "If a term is found unenforceable , the {party} and the {other} agree the rest of this Agreement stays valid ."],
    "force-majeure": ["The {party} shall not be liable for any delay caused by {event} or other events beyond its control .",
                      "Neither the {party} nor the {other} is responsible for failure to perform due to {event} ."],
    "payment": ["The {party} shall pay all invoices within {n} days of receipt .",
                "The {party} shall pay the {other} a monthly fee of {n} thousand dollars ."],
    "warranties": ["The {party} warrants that the goods will be free from defects for {n} months .",
                   "The {party} represents and warrants to the {other} that it has full power to enter this Agreement ."],
}
_METHODS = ["registered mail", "email", "courier", "certified mail"]
_EVENTS = ["fire", "flood", "war", "earthquake", "strikes", "a pandemic"]


def legal(rng: random.Random) -> Example:
    label = rng.choice(list(_LEGAL_CLAUSES))
    party, other = rng.sample(_PARTIES, 2)
    text = rng.choice(_LEGAL_CLAUSES[label]).format(
        party=party, other=other, state=rng.choice(_STATES), n=rng.randint(10, 90),
        method=rng.choice(_METHODS), event=rng.choice(_EVENTS))
    return Example({"clause_text": text}, label)


# --- sentence pairs (GLUE) ------------------------------------------------------

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
    return Example({"sentence": _cap(" ".join(words)) + " ."}, label)


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
    return Example({"question": question.format(name=name), "sentence": _cap(rng.choice(_QNLI_PREFIXES) + sentence)}, label)


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
        return f"{_cap(_an(s[0]))} {s[1]} is {s[2]} in the {s[3]} {s[4]} .".replace("in the somewhere", "somewhere")

    return Example({"sentence1": sentence(first), "sentence2": sentence(second)}, f"{5 - len(blurred)}.0")


# --- reasoning and question answering -----------------------------------------

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
           f"holding {_an(obj)} . {pronoun}")
    return _cap(ctx), obj


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


# --- structured data to text ----------------------------------------------------

_E2E_NAMES = ["The Mill", "Blue Spice", "The Eagle", "Aromi", "Zizzi", "The Punter", "Cotto", "Strada",
              "Giraffe", "The Phoenix", "Wildwood", "Loch Fyne"]
_E2E_NEAR = ["Cafe Rouge", "The Bakers", "Burger King", "Raja Indian Cuisine", "All Bar One", "Yippee Noodle Bar"]


def e2e_nlg(rng: random.Random) -> Example:
    name, eat_type = rng.choice(_E2E_NAMES), rng.choice(["restaurant", "pub", "coffee shop"])
    slots = [f"name[{name}]", f"eatType[{eat_type}]"]
    sentence = f"{name} is a {eat_type}"
    if rng.random() < 0.6:
        food = rng.choice(["Italian", "French", "Chinese", "Indian", "Japanese", "English", "Fast food"])
        slots.append(f"food[{food}]")
        sentence += f" serving {food} food"
    if rng.random() < 0.5:
        price = rng.choice(["cheap", "moderate", "high"])
        slots.append(f"priceRange[{price}]")
        sentence += f" in the {price} price range"
    if rng.random() < 0.6:
        area = rng.choice(["riverside", "city centre"])
        slots.append(f"area[{area}]")
        sentence += f" in the {area} area"
    if rng.random() < 0.5:
        near = rng.choice(_E2E_NEAR)
        slots.append(f"near[{near}]")
        sentence += f" near {near}"
    sentence += " ."
    if rng.random() < 0.5:
        family = rng.choice(["yes", "no"])
        slots.append(f"familyFriendly[{family}]")
        sentence += " It is family friendly ." if family == "yes" else " It is not family friendly ."
    return Example({"meaning_representation": ", ".join(slots)}, sentence)


_GAMES = ["Portal 2", "Little Nightmares", "The Sims", "Minecraft", "Tetris", "Halo 3", "Spyro", "Rayman",
          "Celeste", "Bastion", "Limbo", "Hades", "Doom", "Braid", "Fez", "Journey", "Inside", "Cuphead",
          "Stardew Valley", "Hollow Knight", "Gran Turismo", "Street Fighter", "Age of Empires", "Tomb Raider"]
_GENRES = ["puzzle", "platformer", "shooter", "racing", "adventure", "strategy", "simulation", "fighting", "sports"]
_PLATFORMS = ["PC", "Xbox", "PlayStation", "Nintendo Switch"]
_DEVELOPERS = ["Valve", "Nintendo", "Ubisoft", "Bungie", "Maxis", "Capcom", "Sega", "Bethesda"]


def viggo(rng: random.Random) -> Example:
    name, year, genre = rng.choice(_GAMES), str(rng.randint(1995, 2020)), rng.choice(_GENRES)
    platform = rng.choice(_PLATFORMS)
    act = rng.choice(["inform", "give_opinion", "request", "confirm", "suggest"])
    if act == "inform":
        genres = rng.sample(_GENRES, rng.randint(1, 2))
        slots = [f"name[{name}]", f"release_year[{year}]", f"genres[{', '.join(genres)}]"]
        sentence = f"{name} is {_an(' and '.join(genres))} game released in {year}"
        if rng.random() < 0.5:
            slots.append(f"platforms[{platform}]")
            sentence += f" for {platform}"
        sentence += " ."
    elif act == "give_opinion":
        rating = rng.choice(["excellent", "good", "average", "poor"])
        slots = [f"name[{name}]", f"rating[{rating}]", f"genres[{genre}]"]
        sentence = f"I think {name} is {_an(rating)} {genre} game ."
    elif act == "request":
        specifier = rng.choice(["good", "bad", "exciting", "boring", "terrible"])
        slots = [f"release_year[{year}]", f"specifier[{specifier}]", f"genres[{genre}]"]
        sentence = f"Were there any {specifier} {genre} games released in {year} ?"
    elif act == "confirm":
        developer = rng.choice(_DEVELOPERS)
        slots = [f"name[{name}]", f"release_year[{year}]", f"developer[{developer}]"]
        sentence = f"You mean {name} , the {year} game made by {developer} , right ?"
    else:
        slots = [f"name[{name}]", f"genres[{genre}]", f"platforms[{platform}]"]
        sentence = f"Have you tried {name} on {platform} ? It is a great {genre} game ."
    return Example({"meaning_representation": f"{act}({', '.join(slots)})"}, sentence)


_WEBNLG_SUBJECTS = {
    "person": ["Alan_Bean", "Buzz_Aldrin", "Elliot_See", "William_Anders", "Ada_Jensen", "Maria_Silva", "Peter_Novak", "Laura_Dubois"],
    "airport": ["Aarhus_Airport", "Allama_Iqbal_International_Airport", "Antwerp_International_Airport",
                "Ardmore_Airport", "Alpena_County_Regional_Airport", "Amsterdam_Airport_Schiphol"],
}
_WEBNLG_RELATIONS = {  # subject kind -> relation -> (phrase, objects)
    "person": {
        "occupation": ("works as {o}", ["astronaut", "engineer", "test_pilot", "painter", "teacher", "writer"]),
        "birthPlace": ("was born in {o}", ["Wheeler,_Texas", "Glen_Ridge,_New_Jersey", "Dallas", "Boston", "Lisbon", "Prague"]),
        "almaMater": ("studied at {o}", ["UT_Austin", "MIT", "Princeton_University", "Yale_University", "Purdue_University"]),
        "nationality": ("is from {o}", ["United_States", "France", "Portugal", "Canada", "Czech_Republic"]),
    },
    "airport": {
        "location": ("is located in {o}", ["Tirstrup", "Lahore", "Antwerp", "Ardmore,_Oklahoma", "Michigan", "Haarlemmermeer"]),
        "cityServed": ("serves the city of {o}", ["Aarhus", "Lahore", "Antwerp", "Ardmore", "Alpena", "Amsterdam"]),
        "runwayLength": ("has a runway length of {o} metres", [f"{n}.0" for n in range(1500, 4001, 125)]),
        "elevationAboveTheSeaLevel": ("is {o} metres above sea level", [str(n) for n in range(-5, 300, 7)]),
    },
}


def webnlg(rng: random.Random) -> Example:
    kind = rng.choice(list(_WEBNLG_SUBJECTS))
    subject = rng.choice(_WEBNLG_SUBJECTS[kind])
    relations = rng.sample(list(_WEBNLG_RELATIONS[kind]), rng.randint(1, 3))
    triples, phrases = [], []
    for relation in relations:
        phrase, objects = _WEBNLG_RELATIONS[kind][relation]
        obj = rng.choice(objects)
        triples.append(f"{subject} | {relation} | {obj}")
        readable = obj.replace("_", " ")
        phrases.append(phrase.format(o=_an(readable) if relation == "occupation" else readable))
    said = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]
    return Example({"modified_triple_set_preprocessed": " && ".join(triples)},
                   f"{subject.replace('_', ' ')} {said} .")


_TABLES = {  # table -> column -> values
    "players": {"Name": [f"{f} {l}" for f in _FIRST_NAMES[:8] for l in _LAST_NAMES[:6]],
                "Team": ["Lakers", "Celtics", "Bulls", "Spurs", "Heat", "Knicks"],
                "Position": ["guard", "forward", "center"], "Number": [str(n) for n in range(1, 40)]},
    "cities": {"City": ["Lyon", "Porto", "Krakow", "Oslo", "Leeds", "Graz", "Turin", "Ghent"],
               "Country": ["France", "Portugal", "Poland", "Norway", "England", "Austria", "Italy", "Belgium"],
               "Population": [str(n * 1000) for n in range(100, 900, 25)],
               "Mayor": [f"{f} {l}" for f in _FIRST_NAMES[4:] for l in _LAST_NAMES[4:]]},
    "films": {"Title": ["The Long Road", "Blue Harbor", "Night Train", "Silent Hill", "Red River", "Cold Summer"],
              "Director": [f"{f} {l}" for f in _FIRST_NAMES[:6] for l in _LAST_NAMES[3:9]],
              "Year": [str(y) for y in range(1980, 2021)], "Genre": ["drama", "comedy", "horror", "western", "thriller"]},
    "cars": {"Model": ["Corsa", "Polo", "Civic", "Focus", "Golf", "Yaris", "Clio", "Astra"],
             "Maker": ["Opel", "Volkswagen", "Honda", "Ford", "Toyota", "Renault"],
             "Engine": ["diesel", "petrol", "electric", "hybrid"], "Price": [str(n * 500) for n in range(20, 80)]},
}
_WIKISQL_QUESTIONS = [
    ("What is the {a} when the {b} is {v}?", "SELECT {A} FROM {t} WHERE {B} = '{v}'"),
    ("Which {a} has a {b} of {v}?", "SELECT {A} FROM {t} WHERE {B} = '{v}'"),
    ("Tell me the {a} for the {b} {v}.", "SELECT {A} FROM {t} WHERE {B} = '{v}'"),
    ("How many {a} entries have the {b} {v}?", "SELECT COUNT({A}) FROM {t} WHERE {B} = '{v}'"),
]


def wikisql(rng: random.Random) -> Example:
    table = rng.choice(list(_TABLES))
    columns = _TABLES[table]
    asked, known = rng.sample(list(columns), 2)
    value = rng.choice(columns[known])
    question, sql = rng.choice(_WIKISQL_QUESTIONS)
    schema = f"table_name: {table}, columns: {', '.join(columns)}"
    slots = dict(a=asked.lower(), b=known.lower(), A=asked, B=known, v=value, t=table)
    return Example({"table": schema, "question": question.format(**slots)}, sql.format(**slots))


# --- news headlines and content ------------------------------------------------

_PRODUCTS = ["phone", "laptop", "chip", "app", "watch", "headset", "browser", "robot", "tablet", "speaker"]
_MARKETS = ["Europe", "India", "Japan", "Canada", "Brazil"]
_MONTHS = ["January", "March", "May", "July", "September", "November"]


def _news(rng: random.Random) -> tuple[str, str]:
    company, other = rng.sample(_COMPANIES, 2)
    product, market, month, n = rng.choice(_PRODUCTS), rng.choice(_MARKETS), rng.choice(_MONTHS), rng.randint(2, 99)
    return rng.choice([
        (f"{company} launches new {product} in {market}",
         f"{company} has unveiled a new {product} in {market} . The company says the {product} will reach stores next month ."),
        (f"{company} acquires {other} for {n} billion dollars",
         f"{company} has agreed to buy {other} for {n} billion dollars . The deal is expected to close later this year ."),
        (f"{company} raises {n} million dollars",
         f"{company} has raised {n} million dollars in new funding . The money will be used to hire more engineers ."),
        (f"{company} cuts {n} percent of its staff",
         f"{company} is laying off {n} percent of its employees . The company says the cuts will reduce costs ."),
        (f"{company} fined {n} million dollars in {market}",
         f"Regulators in {market} have fined {company} {n} million dollars . {company} says it will appeal the decision ."),
        (f"{company} delays its {product} until {month}",
         f"{company} has pushed back the release of its {product} to {month} . The company did not give a reason for the delay ."),
    ])


def tldr_content_gen(rng: random.Random) -> Example:
    headline, content = _news(rng)
    return Example({"headline": headline}, content)


def tldr_headline_gen(rng: random.Random) -> Example:
    headline, content = _news(rng)
    return Example({"content": content}, headline)


# --- code -------------------------------------------------------------------------

_CODE_KINDS = [  # (function names, problem, python body, javascript body); {p} the parameter, {k} the constant
    (["add_k", "plus_k", "increase"], "takes an integer {p} and returns {p} plus {k}", "{p} + {k}", "{p} + {k}"),
    (["sub_k", "minus_k", "decrease"], "takes an integer {p} and returns {p} minus {k}", "{p} - {k}", "{p} - {k}"),
    (["times_k", "scale", "multiply"], "takes an integer {p} and returns {p} times {k}", "{p} * {k}", "{p} * {k}"),
    (["power_k", "raise_to", "pow_k"], "takes an integer {p} and returns {p} raised to the power {k}", "{p} ** {k}", "{p} ** {k}"),
    (["mod_k", "remainder", "modulo"], "takes an integer {p} and returns the remainder of {p} divided by {k}", "{p} % {k}", "{p} % {k}"),
    (["divisible", "is_multiple", "divides"], "takes an integer {p} and returns whether {p} is divisible by {k}", "{p} % {k} == 0", "{p} % {k} === 0"),
    (["greater", "is_above", "exceeds"], "takes an integer {p} and returns whether {p} is greater than {k}", "{p} > {k}", "{p} > {k}"),
    (["cap", "at_most", "clamp_high"], "takes an integer {p} and returns the smaller of {p} and {k}", "min({p}, {k})", "Math.min({p}, {k})"),
    (["floor_at", "at_least", "clamp_low"], "takes an integer {p} and returns the larger of {p} and {k}", "max({p}, {k})", "Math.max({p}, {k})"),
    (["repeat", "copies", "echo"], "takes a string {p} and returns {p} repeated {k} times", "{p} * {k}", "{p}.repeat({k})"),
    (["head", "first_k", "take"], "takes a list {p} and returns its first {k} elements", "{p}[:{k}]", "{p}.slice(0, {k})"),
]
_PARAMS = ["x", "n", "value", "num"]


def magicoder(rng: random.Random) -> Example:
    names, problem, python_body, javascript_body = rng.choice(_CODE_KINDS)
    name, p, k, lang = rng.choice(names), rng.choice(_PARAMS), rng.randint(2, 20), rng.choice(["Python", "JavaScript"])
    if "string" in problem:
        p = rng.choice(["s", "text", "word"])
    elif "list" in problem:
        p = rng.choice(["xs", "items", "values"])
    problem = f"Write a function `{name}` that " + problem.format(p=p, k=k) + "."
    if lang == "Python":
        solution = f"def {name}({p}):\n    return {python_body.format(p=p, k=k)}"
    else:
        solution = f"function {name}({p}) {{\n  return {javascript_body.format(p=p, k=k)};\n}}"
    return Example({"problem": problem, "lang": lang}, solution)


# --- registry and splits -----------------------------------------------------------

GENERATORS: dict[str, Callable[[random.Random], Example]] = {
    "bc5cdr": bc5cdr, "conllpp": conllpp, "covid": covid, "customer_support": customer_support,
    "dbpedia": dbpedia, "drop": drop, "e2e_nlg": e2e_nlg, "glue_cola": glue_cola, "glue_mnli": glue_mnli,
    "glue_mrpc": glue_mrpc, "glue_qnli": glue_qnli, "glue_qqp": glue_qqp, "glue_sst2": glue_sst2,
    "glue_stsb": glue_stsb, "gsm8k": gsm8k, "hellaswag": hellaswag, "hellaswag_processed": hellaswag_processed,
    "jigsaw": jigsaw, "legal": legal, "magicoder": magicoder, "tldr_content_gen": tldr_content_gen,
    "tldr_headline_gen": tldr_headline_gen, "viggo": viggo, "webnlg": webnlg, "wikisql": wikisql,
}


def tasks() -> list[str]:
    return sorted(GENERATORS)


def _rng(task: str, split: str, seed: int) -> random.Random:
    return random.Random(zlib.crc32(f"{task}/{split}/{seed}".encode()))


def _key(example: Example) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(example.fields.items()))


def make_split(task: str, split: str, n: int, seed: int = 0) -> list[Example]:
    """The first `n` examples of `task`'s `split`, deterministic from (task, split, seed).

    Test examples come from their own stream, so a test set does not depend on the
    train size. Train examples skip any example whose fields equal one of the first
    TEST_POOL test examples, which is why a test split is capped at TEST_POOL.
    """
    if task not in GENERATORS:
        raise ValueError(f"unknown task {task!r}; expected one of {tasks()}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    generate = GENERATORS[task]
    if split == "test":
        if n > TEST_POOL:
            raise ValueError(f"test split of {n} examples; at most {TEST_POOL} are kept out of train")
        rng = _rng(task, "test", seed)
        return [generate(rng) for _ in range(n)]
    held_out = {_key(example) for example in make_split(task, "test", TEST_POOL, seed)}
    rng = _rng(task, "train", seed)
    examples: list[Example] = []
    for _ in range(20 * n + 1000):
        if len(examples) == n:
            break
        example = generate(rng)
        if _key(example) not in held_out:
            examples.append(example)
    if len(examples) < n:
        raise RuntimeError(f"{task}: could not draw {n} train examples outside the test pool")
    return examples
