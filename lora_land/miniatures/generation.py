"""Data to text, text to text and code: e2e_nlg, viggo, webnlg, wikisql, tldr_content_gen, tldr_headline_gen, magicoder."""

from __future__ import annotations

import random

from lora_land.miniatures.common import COMPANIES, FIRST_NAMES, LAST_NAMES, Example, an


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
        sentence = f"{name} is {an(' and '.join(genres))} game released in {year}"
        if rng.random() < 0.5:
            slots.append(f"platforms[{platform}]")
            sentence += f" for {platform}"
        sentence += " ."
    elif act == "give_opinion":
        rating = rng.choice(["excellent", "good", "average", "poor"])
        slots = [f"name[{name}]", f"rating[{rating}]", f"genres[{genre}]"]
        sentence = f"I think {name} is {an(rating)} {genre} game ."
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
        phrases.append(phrase.format(o=an(readable) if relation == "occupation" else readable))
    said = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]
    return Example({"modified_triple_set_preprocessed": " && ".join(triples)},
                   f"{subject.replace('_', ' ')} {said} .")


_TABLES = {  # table -> column -> values
    "players": {"Name": [f"{f} {l}" for f in FIRST_NAMES[:12][:8] for l in LAST_NAMES[:10][:6]],
                "Team": ["Lakers", "Celtics", "Bulls", "Spurs", "Heat", "Knicks"],
                "Position": ["guard", "forward", "center"], "Number": [str(n) for n in range(1, 40)]},
    "cities": {"City": ["Lyon", "Porto", "Krakow", "Oslo", "Leeds", "Graz", "Turin", "Ghent"],
               "Country": ["France", "Portugal", "Poland", "Norway", "England", "Austria", "Italy", "Belgium"],
               "Population": [str(n * 1000) for n in range(100, 900, 25)],
               "Mayor": [f"{f} {l}" for f in FIRST_NAMES[:12][4:] for l in LAST_NAMES[:10][4:]]},
    "films": {"Title": ["The Long Road", "Blue Harbor", "Night Train", "Silent Hill", "Red River", "Cold Summer"],
              "Director": [f"{f} {l}" for f in FIRST_NAMES[:12][:6] for l in LAST_NAMES[:10][3:9]],
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
    company, other = rng.sample(COMPANIES[:16], 2)
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
