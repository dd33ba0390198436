"""Sentiment, toxicity and topic classification: covid, customer_support, dbpedia, glue_sst2, jigsaw, legal."""

from __future__ import annotations

import random

from lora_land.miniatures.common import FIRST_NAMES, LAST_NAMES, Example, an, cap


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
    return Example({"OriginalTweet": cap(tweet), "TweetAt": date, "Location": rng.choice(_TWEET_PLACES)}, label)


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
            f"customer: hi my name is {rng.choice(FIRST_NAMES[:12]).lower()} . {request} "
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
        title = f"{rng.choice(FIRST_NAMES[:12])} {rng.choice(_NAME_PARTS)}"
    else:
        title = " ".join(rng.sample(_NAME_PARTS, rng.choice([1, 2])))
    person = f"{rng.choice(FIRST_NAMES[:12])} {rng.choice(LAST_NAMES[:10])}"
    tail = tail.format(year=rng.randint(1850, 2010), city=rng.choice(_CITIES), region=rng.choice(_REGIONS), person=person)
    return Example({"title": title, "content": f"{title} is {an(rng.choice(nouns))} {tail}"}, str(label))


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
    return Example({"comment_text": cap(comment)}, label)


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
