"""Reasoning and question answering: gsm8k, drop, hellaswag, hellaswag_processed."""

from __future__ import annotations

import json
import random
import re

from lora_land.miniatures.common import CITIES, COMPANIES, COUNTRIES, FIRST_NAMES, LAST_NAMES, Example, cap, words


def _untokenize(text: str) -> str:
    """Ordinary punctuation for a sentence written in the datasets' tokenized style ("dull ." -> "dull.")."""
    return re.sub(r" ([.,:;!?)]|'s\b)", r"\1", text).replace("( ", "(")


# --- gsm8k: short word problems, one or two operations ----------------------------------------

_ITEMS = words("""
apples, pencils, marbles, stickers, books, coins, eggs, balloons, cards, stamps, crayons, seashells, buttons, toy cars,
rocks, beads, shells, comics, postcards, tickets, erasers, candles, flowers, roses, tulips, paper cranes, bottle caps,
badges, keychains, puzzles, magnets, ribbons, socks, notebooks, baseball cards, video games, plants, photos, feathers,
bracelets, pebbles, marker pens, trading cards, stuffed animals, coloring books, paintbrushes
""")
_FOODS = words("""
cookies, cupcakes, grapes, strawberries, candies, muffins, crackers, cherries, oranges, bananas, pretzels, lollipops,
chocolate bars, donuts, peaches, plums, mangoes, biscuits, pancakes, carrots, tomatoes, potatoes, lemons, bagels
""")
_CONTAINERS = words("boxes, bags, packs, jars, baskets, crates, trays, cartons, tins, bundles")
_THINGS_TO_BUY = words("""
a book, a toy, a scarf, a sandwich, a ticket, a plant, a hat, lunch, a pair of socks, a game, a poster, a kite,
a notebook, a cake, a bus pass, some paint, a lamp, a mug
""")
_PLACES = words("the market, the fair, the school sale, the park, the beach, the library sale, a garage sale, the mall")
# (present, past, what follows the number): ways a character's pile grows or shrinks
_GAINS = [("buys", "bought", "more at {place}"), ("finds", "found", "more"), ("gets", "got", "more from {friend}"),
          ("is given", "was given", "more by {friend}"), ("picks up", "picked up", "more at {place}"),
          ("wins", "won", "more at {place}"), ("receives", "received", "more"), ("collects", "collected", "more"),
          ("earns", "earned", "more"), ("borrows", "borrowed", "more from {friend}")]
_LOSSES = [("gives away", "gave away", "of them"), ("loses", "lost", "of them"), ("sells", "sold", "at {place}"),
           ("gives", "gave", "to {friend}"), ("uses", "used", "of them"), ("trades away", "traded away", "to {friend}"),
           ("donates", "donated", "to the school"), ("lends", "lent", "to {friend}")]
_EATS = [("eats", "ate", "of them"), ("packs", "packed", "for {friend}")]
_CONNECTORS = ["", "", "Then ", "Later, ", "After that, ", "The next day, ", "In the afternoon, ", "On the way home, ",
               "That evening, ", "On Saturday, "]


def _evaluate(expr: list[str]) -> int:
    """The value of "a op b [op c]", multiplication first."""
    terms, signs = [int(expr[0])], []
    for op, number in zip(expr[1::2], map(int, expr[2::2])):
        if op == "*":
            terms[-1] *= number
        else:
            terms.append(number)
            signs.append(op)
    total = terms[0]
    for op, term in zip(signs, terms[1:]):
        total = total + term if op == "+" else total - term
    return total


def _amount(rng: random.Random, low: int, high: int) -> int:
    """A count in a story: mostly low..high, one time in three up to four times as many (three-digit numbers too)."""
    return rng.randint(low, high) if rng.random() < 0.65 else rng.randint(high + 1, 4 * high)


def _gsm8k_story(rng: random.Random) -> tuple[str, list[str], int]:
    """(question text, operands and operators in story order, answer)."""
    name, friend, other = rng.sample(FIRST_NAMES, 3)
    food = rng.random() < 0.35
    items = rng.choice(_FOODS if food else _ITEMS)
    past = rng.random() < 0.4
    fill = {"friend": friend, "place": rng.choice(_PLACES)}
    shape = rng.choice(["changes", "changes", "together", "compare", "groups", "money"])
    if shape == "changes":  # one character's pile changes once or twice
        total = _amount(rng, 3, 50)
        parts, expr = [f"{name} {'had' if past else 'has'} {total} {items}."], [str(total)]
        if rng.random() < 0.3:  # a number that does not matter
            parts.append(rng.choice([f"{name} is {rng.randint(6, 14)} years old.",
                                     f"{friend} has {rng.randint(2, 40)} {rng.choice(_ITEMS)}."]))
        for _ in range(rng.choice([1, 1, 2])):
            if total >= 2 and rng.random() < 0.5:
                amount = rng.randint(1, min(total, _amount(rng, 20, 30)))
                verb = rng.choice(_LOSSES + (_EATS if food else []))
                expr += ["-", str(amount)]
                total -= amount
            else:
                amount = _amount(rng, 1, 40)
                verb = rng.choice(_GAINS)
                expr += ["+", str(amount)]
                total += amount
            tail = verb[2].format(**fill)
            parts.append(f"{rng.choice(_CONNECTORS)}{name} {verb[1] if past else verb[0]} {amount} {tail}.")
        ending = rng.choice(["have now", "have left" if expr[-2] == "-" else "have in all", "end up with",
                             "have at the end"])
        parts.append(f"How many {items} does {name} {ending}?")
    elif shape == "together":  # two or three children pool what they have
        a, b = _amount(rng, 1, 50), _amount(rng, 1, 50)
        verb = rng.choice(["has", "picked", "brought", "collected", "found", "made" if food else "bought"])
        parts, expr = [f"{name} {verb} {a} {items} and {friend} {verb} {b}."], [str(a), "+", str(b)]
        if rng.random() < 0.4:
            c = _amount(rng, 1, 50)
            parts.append(f"{other} {verb} {c} {items}.")
            expr += ["+", str(c)]
        elif rng.random() < 0.4:
            c = rng.randint(1, min(a + b, _amount(rng, 10, 50)))
            parts.append(f"They {rng.choice(['ate' if food else 'lost', 'gave away', 'sold'])} {c} of them.")
            expr += ["-", str(c)]
        parts.append(f"How many {items} do they have {rng.choice(['together', 'altogether', 'in total', 'now'])}?")
    elif shape == "compare":  # one character has more or fewer than another
        a = _amount(rng, 2, 50)
        b = rng.randint(1, a - 1)
        more = rng.random() < 0.5
        parts = [f"{name} has {a} {items}.",
                 f"{friend} has {b} {'more' if more else 'fewer'} {items} than {name}.",
                 f"How many {items} does {friend} have?"]
        expr = [str(a), "+" if more else "-", str(b)]
    elif shape == "groups":  # equal groups, then maybe one change
        a, b = rng.randint(2, 9), rng.randint(2, 12)
        container = rng.choice(_CONTAINERS)
        parts, expr = [f"{name} buys {a} {container} of {items}.",
                       f"Each one holds {b} {items}."], [str(a), "*", str(b)]
        if rng.random() < 0.5:
            c = rng.randint(1, min(a * b, 50))
            parts.append(f"{name} gives {c} of the {items} to {friend}.")
            expr += ["-", str(c)]
            parts.append(f"How many {items} does {name} have left?")
        else:
            parts.append(f"How many {items} does {name} buy?")
    else:  # pocket money spent on one or two things
        a = _amount(rng, 5, 50)
        b = rng.randint(1, a)
        first, second = rng.sample(_THINGS_TO_BUY, 2)
        parts, expr = [f"{name} has ${a}.", f"{name} spends ${b} on {first}."], [str(a), "-", str(b)]
        if a - b >= 1 and rng.random() < 0.5:
            c = rng.randint(1, a - b)
            parts.append(f"Then {name} spends ${c} on {second}.")
            expr += ["-", str(c)]
        parts.append(f"How many dollars does {name} have left?")
    return " ".join(parts), expr, _evaluate(expr)


def gsm8k(rng: random.Random) -> Example:
    """A word problem with one or two operations (+, -, small *); the target works it out in story order.

    The numbers come from the question in the order the story gives them; results are never negative.
    """
    question, expr, answer = _gsm8k_story(rng)
    return Example({"question": question}, f"{' '.join(expr)} = {answer}\n#### {answer}")


# --- drop: passages with several names and numbers; the question asks for one span ------------

_MASCOTS = words("""
Bears, Packers, Giants, Eagles, Cowboys, Steelers, Jets, Dolphins, Ravens, Colts, Broncos, Chiefs, Hawks, Lions,
Tigers, Wolves, Panthers, Falcons, Raiders, Rams, Chargers, Titans, Jaguars, Vikings, Saints, Bulls, Sharks, Pirates,
Rangers, Knights, Comets, Stallions, Hornets, Wildcats, Mustangs, Thunder, Storm, Rockets
""")
_DAYS = words("Sunday, Monday, Tuesday, Wednesday, Thursday, Friday, Saturday")
_ROMAN = words("I, II, III, IV, V, VI, VII, VIII")
_SETTLEMENTS = words("county, city, town, village, borough")
# Each passage shape comes with the questions it can answer: (question, answer kind, fact key).
_DROP_SHAPES = {
    "game": [
        ("In a close game on {day} , {p1} scored a {y1}-yard touchdown for the {home} in the final minute . Earlier , "
         "{p2} of the {away} had kicked a {y2}-yard field goal .",
         [("Who scored the touchdown?", "player", "p1"), ("Which team scored the touchdown?", "team", "home"),
          ("How many yards was the touchdown?", "yards", "y1"), ("On which day was the game played?", "day", "day"),
          ("Who kicked the field goal?", "player", "p2"), ("How long was the field goal?", "yards", "y2"),
          ("Which team kicked the field goal?", "team", "away")]),
        ("The {home} hosted the {away} on {day} . {p1} opened the scoring with a {y1}-yard run , and {p2} answered "
         "with a {y2}-yard catch for the {away} . In the fourth quarter {p3} threw a {y3}-yard pass to {p4} , and the "
         "{home} won by {margin} points .",
         [("Who opened the scoring?", "player", "p1"), ("Which team hosted the game?", "team", "home"),
          ("Which team were the visitors?", "team", "away"), ("How many yards was the opening run?", "yards", "y1"),
          ("Who caught the pass for the visitors?", "player", "p2"), ("Who threw the pass in the fourth quarter?",
                                                                       "player", "p3"),
          ("Who caught the pass in the fourth quarter?", "player", "p4"),
          ("How many points did the home team win by?", "points", "margin"),
          ("How long was the pass in the fourth quarter?", "yards", "y3")]),
        ("Coming off a loss , the {away} traveled to face the {home} on {day} . {p1} kicked field goals of {y1} and "
         "{y2} yards , but {p2} ran for a {y3}-yard touchdown late and the {home} held on .",
         [("Which team traveled for the game?", "team", "away"), ("Who kicked the field goals?", "player", "p1"),
          ("Who ran for the late touchdown?", "player", "p2"), ("How long was the late touchdown run?", "yards", "y3"),
          ("How long was the first field goal?", "yards", "y1"), ("How long was the second field goal?", "yards", "y2"),
          ("Which team held on?", "team", "home"), ("On which day was the game?", "day", "day")]),
    ],
    "history": [
        ("In {year1} , the army of {country1} under {person1} besieged {city1} . The siege lasted {n1} months before "
         "the garrison of {n2} men surrendered . A peace treaty was signed at {city2} in {year2} .",
         [("Who led the army?", "person", "person1"), ("Which city was besieged?", "city", "city1"),
          ("Where was the treaty signed?", "city", "city2"), ("In which year was the treaty signed?", "year", "year2"),
          ("How many months did the siege last?", "number", "n1"), ("How many men were in the garrison?", "number",
                                                                     "n2"),
          ("Which country's army besieged the city?", "country", "country1"),
          ("In which year did the siege begin?", "year", "year1")]),
        ("{king} became king of {country1} in {year1} after the death of his brother {person1} . During his reign he "
         "moved the capital from {city1} to {city2} and fought {n1} wars against {country2} . He died in {year2} .",
         [("Who became king?", "person", "king"), ("Who was the king's brother?", "person", "person1"),
          ("To which city was the capital moved?", "city", "city2"), ("From which city was the capital moved?",
                                                                      "city", "city1"),
          ("In which year did the king die?", "year", "year2"), ("How many wars did he fight?", "number", "n1"),
          ("Which country did he fight against?", "country", "country2"),
          ("In which year did he become king?", "year", "year1")]),
        ("After the war , {person1} and {person2} signed an agreement in {city1} in {year1} . Under its terms , "
         "{country1} gave up {n1} towns to {country2} , and {n2} prisoners were sent home .",
         [("Which country gave up towns?", "country", "country1"), ("Which country received the towns?", "country",
                                                                    "country2"),
          ("Where was the agreement signed?", "city", "city1"), ("How many towns were given up?", "number", "n1"),
          ("How many prisoners were sent home?", "number", "n2"), ("When was the agreement signed?", "year", "year1"),
          ("Who signed the agreement with {person2}?", "person", "person1")]),
    ],
    "census": [
        ("As of the census of {year1} , there were {pop} people , {hh} households , and {fam} families residing in the "
         "{place} . The population density was {dens} people per square mile . The median age was {age} years .",
         [("How many people lived in the {place}?", "number", "pop"), ("How many households were there?", "number",
                                                                        "hh"),
          ("How many families lived there?", "number", "fam"), ("What was the median age?", "number", "age"),
          ("In which year was the census taken?", "year", "year1"),
          ("What was the population density?", "number", "dens")]),
        ("The {place} of {town} had a population of {pop} in {year2} , up from {pop2} in {year1} . The largest "
         "employer is {company} , followed by the hospital in {city1} .",
         [("What was the population in {year2}?", "number", "pop"), ("What was the population in {year1}?", "number",
                                                                      "pop2"),
          ("Which company is the largest employer?", "company", "company"),
          ("Where is the hospital?", "city", "city1")]),
    ],
    "business": [
        ("{company} was founded in {year1} by {person1} in {city1} . By {year2} it employed {n1} people and had opened "
         "offices in {city2} and {city3} . In {year3} it was bought by {company2} for ${n2} million .",
         [("Who founded {company}?", "person", "person1"), ("In which city was {company} founded?", "city", "city1"),
          ("Which company bought {company}?", "company", "company2"), ("How many people did it employ in {year2}?",
                                                                       "number", "n1"),
          ("In which year was {company} founded?", "year", "year1"), ("When was {company} bought?", "year", "year3")]),
        ("Sales at {company} rose {n1} percent last year , chief executive {person1} said in {city1} . The company "
         "plans to open {n2} new stores in {country1} , where it competes with {company2} .",
         [("Who is the chief executive?", "person", "person1"), ("By how many percent did sales rise?", "number", "n1"),
          ("How many new stores does it plan to open?", "number", "n2"),
          ("In which country will the new stores open?", "country", "country1"),
          ("Which company does it compete with?", "company", "company2"),
          ("Where did the chief executive speak?", "city", "city1")]),
    ],
}


def _company(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(COMPANIES)
    return f"{rng.choice(LAST_NAMES)} {rng.choice(words('Group, Holdings, Foods, Motors, Steel, Textiles, Airlines'))}"


def _drop_facts(rng: random.Random) -> dict[str, str]:
    """Every value a passage shape may name; values of one kind are all different."""
    mascots = rng.sample(_MASCOTS, 2)
    if rng.random() < 0.5:  # "Dolphins" or "Lisbon Dolphins"
        teams = [f"{city} {mascot}" for city, mascot in zip(rng.sample(CITIES, 2), mascots)]
    else:
        teams = mascots
    players = rng.sample(LAST_NAMES, 4)
    people = [f"{first} {last}" for first, last in zip(rng.sample(FIRST_NAMES, 2), rng.sample(LAST_NAMES, 2))]
    cities, countries, companies = rng.sample(CITIES, 3), rng.sample(COUNTRIES, 2), [_company(rng), _company(rng)]
    while companies[1] == companies[0]:
        companies[1] = _company(rng)
    years = sorted(rng.sample(range(1700, 2021), 3))
    yards, numbers = rng.sample(range(1, 70), 3), rng.sample(range(2, 90), 2)
    pop = rng.randint(800, 95000)
    facts = {"home": teams[0], "away": teams[1], "p1": players[0], "p2": players[1], "p3": players[2],
             "p4": players[3], "y1": str(yards[0]), "y2": str(yards[1]), "y3": str(yards[2]),
             "margin": str(rng.randint(2, 21)), "day": rng.choice(_DAYS), "person1": people[0], "person2": people[1],
             "king": f"{rng.choice(FIRST_NAMES)} {rng.choice(_ROMAN)}", "city1": cities[0], "city2": cities[1],
             "city3": cities[2], "country1": countries[0], "country2": countries[1], "company": companies[0],
             "company2": companies[1], "year1": str(years[0]), "year2": str(years[1]), "year3": str(years[2]),
             "n1": str(numbers[0]), "n2": str(numbers[1]), "pop": f"{pop:,}", "pop2": f"{rng.randint(500, pop - 1):,}",
             "hh": f"{rng.randint(pop // 4, pop // 2):,}", "fam": f"{rng.randint(pop // 8, pop // 4 - 1):,}",
             "dens": f"{rng.randint(10, 3000):,}.{rng.randint(0, 9)}", "age": str(rng.randint(24, 52)),
             "place": rng.choice(_SETTLEMENTS), "town": rng.choice(CITIES + LAST_NAMES)}
    return facts


def drop(rng: random.Random) -> Example:
    """A game report, history note, census note or company note; the question asks for one of its spans.

    The answer is JSON, as the task's published output format: the kind of span asked for and the
    span copied verbatim from the passage, e.g. {"team": "Dolphins"}. The other names and numbers in
    the passage are distractors of the same kinds.
    """
    facts = _drop_facts(rng)
    passage, questions = rng.choice(_DROP_SHAPES[rng.choice(list(_DROP_SHAPES))])
    question, kind, key = rng.choice(questions)
    passage = cap(passage.format(**facts))
    if rng.random() < 0.5:
        passage = _untokenize(passage)
    return Example({"passage": passage, "question": question.format(**facts)}, json.dumps({kind: facts[key]}))


# --- hellaswag: everyday scenes and what the person does next ---------------------------------

# Each activity: where the person is (starts with an -ing verb), then (what they do, what they do next).
_ACTIVITIES = [
    (["standing in a driveway next to a dusty car", "standing beside a muddy pickup truck in the yard"],
     [("fills a bucket with soapy water and picks up a sponge", "scrubs the hood and the doors with the soapy sponge ."),
      ("finishes scrubbing the car", "sprays the suds off the car with a garden hose ."),
      ("rinses the car one last time", "wipes the windows dry with a soft towel .")]),
    (["standing in a bright kitchen with a bowl of cookie dough", "working at a counter covered in flour"],
     [("rolls the dough into small balls", "places them on a baking tray and slides it into the oven ."),
      ("takes a tray of cookies out of the oven", "lets the cookies cool on a rack before eating one .")]),
    (["standing in an empty room with a can of blue paint", "standing on a ladder in front of a bare wall"],
     [("dips a roller into the paint tray", "rolls paint up and down the wall in long even strokes ."),
      ("tapes the edges around the window frame", "brushes paint carefully along the taped edges .")]),
    (["sitting on a couch with an acoustic guitar", "sitting on a stool on a small stage with a guitar"],
     [("turns the tuning pegs while plucking each string", "strums a few chords to check that the guitar is in tune ."),
      ("finishes the last song of the set", "lifts the guitar strap over the head and waves to the crowd .")]),
    (["standing in a backyard where the grass has grown tall", "standing next to a red lawn mower in the front yard"],
     [("pulls the cord to start the mower", "pushes the mower in straight rows across the lawn ."),
      ("finishes cutting the grass", "rakes the clippings into a pile and stuffs them into a bag .")]),
    (["kneeling in a bathroom beside a muddy dog in the tub", "standing at a grooming table with a small wet dog"],
     [("wets the dog's fur with warm water", "rubs shampoo into the fur until it foams ."),
      ("rinses the last of the soap off the dog", "wraps the dog in a big towel and rubs it dry .")]),
    (["standing at a skate park with a skateboard", "riding a skateboard down an empty parking lot"],
     [("rolls toward a low metal rail", "jumps onto the rail and slides along it on the board ."),
      ("falls off the board on a sharp turn", "gets back up , brushes off the dirt and tries the trick again .")]),
    (["standing in a small kitchen next to a kettle", "standing at the counter of a busy cafe"],
     [("pours boiling water over a tea bag in a mug", "lets the tea steep for a few minutes and stirs in some honey ."),
      ("grinds a handful of coffee beans", "tips the ground coffee into the machine and presses the start button .")]),
    (["sitting at a table with a box and a roll of wrapping paper", "sitting on the floor surrounded by presents"],
     [("cuts a piece of paper large enough to cover the box", "folds the paper around the box and tapes the edges ."),
      ("finishes wrapping the present", "ties a ribbon around it and sticks a name tag on top .")]),
    (["standing outside a house after a heavy snowfall", "standing on a snowy sidewalk in a thick coat"],
     [("picks up a snow shovel", "clears a path through the snow from the door to the street ."),
      ("finishes clearing the sidewalk", "sprinkles salt on the path so it will not freeze .")]),
    (["sitting on a wooden dock by a lake with a fishing rod", "standing in a small boat on a calm river"],
     [("puts a worm on the hook", "casts the line far out into the water and waits ."),
      ("feels a strong tug on the line", "reels in a small fish and lifts it out of the water .")]),
    (["standing in a barber shop behind a customer in the chair", "working in a hair salon with a pair of scissors"],
     [("combs the customer's hair straight", "trims the sides with a pair of electric clippers ."),
      ("finishes the haircut", "holds up a mirror so the customer can see the back .")]),
    (["kneeling in a garage next to a bicycle with a flat tire", "working on an upside down bike in the yard"],
     [("pulls the tire off the wheel", "finds the hole in the inner tube and covers it with a patch ."),
      ("puts the wheel back on the bike", "pumps air into the tire until it feels firm .")]),
    (["kneeling in a vegetable garden with a tray of seedlings", "working in a flower bed with a small trowel"],
     [("digs a hole in the soft soil", "sets the plant in the hole and presses soil around the roots ."),
      ("plants the last seedling in the row", "waters the whole row with a watering can .")]),
    (["standing in a laundry room with a basket of dirty clothes", "sorting clothes in a basement laundry room"],
     [("loads the clothes into the washing machine", "adds a scoop of detergent and turns the dial to start it ."),
      ("takes the warm clothes out of the dryer", "folds the shirts and stacks them neatly on the table .")]),
    (["standing at the edge of a swimming pool in goggles", "standing on a starting block at an indoor pool"],
     [("dives into the water", "swims several fast laps of freestyle down the lane ."),
      ("touches the wall at the end of the last lap", "climbs out of the pool and wraps up in a towel .")]),
    (["standing at a kitchen sink piled with dirty plates", "standing by the sink after a big family dinner"],
     [("fills the sink with hot soapy water", "scrubs each plate with a sponge and sets it in the rack ."),
      ("puts the last clean plate in the rack", "dries the dishes with a towel and puts them in the cupboard .")]),
    (["sitting at a grand piano in a concert hall", "sitting at an old upright piano in a living room"],
     [("opens a book of sheet music", "begins to play a slow piece , pressing the keys gently ."),
      ("plays the final chord of the piece", "stands up from the bench and bows to the audience .")]),
    (["standing at a counter with bread , ham and cheese", "preparing lunch at a small kitchen table"],
     [("spreads butter on two slices of bread", "layers ham and cheese on one slice and closes the sandwich ."),
      ("finishes making the sandwich", "cuts it in half and puts it on a plate .")]),
    (["standing on an outdoor court with a basketball", "dribbling a basketball in a school gym"],
     [("dribbles toward the hoop", "jumps and lays the ball up off the backboard into the net ."),
      ("stands at the free throw line", "bends the knees and shoots the ball through the hoop .")]),
    (["standing in a bedroom next to an ironing board", "standing by an ironing board with a pile of shirts"],
     [("lays a wrinkled shirt flat on the board", "presses the hot iron slowly over the sleeves and the collar ."),
      ("finishes ironing the shirt", "hangs it on a hanger in the closet .")]),
    (["standing at a campsite with a folded tent", "kneeling on a grassy field beside a pile of tent poles"],
     [("spreads the tent out on flat ground", "pushes the poles through the sleeves and raises the tent ."),
      ("gets the tent standing", "hammers the stakes into the ground to hold it down .")]),
    (["standing in front of a bathroom mirror with a toothbrush", "standing at the bathroom sink before bed"],
     [("squeezes toothpaste onto the brush", "brushes the teeth in small circles for two minutes ."),
      ("finishes brushing", "rinses the mouth with water and spits into the sink .")]),
    (["standing in a stable next to a brown horse", "leading a horse out of a barn"],
     [("lifts a saddle from the rack", "places the saddle on the horse's back and tightens the straps ."),
      ("climbs up into the saddle", "rides the horse slowly out of the stable and into the field .")]),
    (["standing outside a shop with a squeegee and a bucket", "standing on a ladder by a row of dirty windows"],
     [("sprays cleaner on the glass", "pulls the squeegee across the window in smooth strokes .")]),
    (["sitting in an armchair with yarn and knitting needles", "sitting by the fire with a basket of wool"],
     [("loops the yarn around one needle", "knits row after row until a scarf begins to take shape .")]),
    (["standing on a sunny beach with a surfboard", "walking into the ocean with a surfboard under one arm"],
     [("paddles out past the breaking waves", "stands up on the board and rides a wave toward the shore .")]),
    (["standing at a stove with a bowl of batter", "cooking breakfast on a griddle"],
     [("pours a ladle of batter into the hot pan", "waits for bubbles to form and flips the pancake with a spatula ."),
      ("stacks the pancakes on a plate", "pours maple syrup over the top and adds a handful of berries .")]),
    (["standing at a bowling alley with a heavy ball", "waiting for a turn at a crowded bowling alley"],
     [("steps up to the lane", "swings the ball back and rolls it down the lane toward the pins .")]),
    (["sitting at a vanity mirror with a makeup kit", "sitting in front of a ring light with brushes laid out"],
     [("dabs foundation onto the face with a sponge", "brushes powder over the cheeks and adds some eyeliner .")]),
    (["standing in a kitchen with a cutting board and a knife", "working at a counter next to a pot of soup"],
     [("washes a pile of carrots and onions", "chops the vegetables into small pieces on the board ."),
      ("finishes chopping the vegetables", "slides them off the board into the simmering pot .")]),
    (["standing at an archery range with a bow", "standing in a field facing a round straw target"],
     [("fits an arrow to the string", "draws the bow back , aims and lets the arrow fly at the target .")]),
    (["standing in a living room with a vacuum cleaner", "cleaning a carpeted hallway"],
     [("plugs in the vacuum", "pushes it back and forth over the carpet , picking up the crumbs .")]),
    (["standing on a frozen pond in ice skates", "lacing up skates at the edge of an ice rink"],
     [("glides slowly onto the ice", "skates a wide circle and spins on one foot .")]),
    (["standing at a grill in the backyard", "standing by a barbecue at a picnic"],
     [("lays burgers on the hot grill", "flips the burgers with a spatula once they brown on one side ."),
      ("takes the cooked burgers off the grill", "puts them in buns and adds lettuce and tomato .")]),
    (["sitting at a desk with a laptop", "sitting in a quiet library with a laptop"],
     [("opens an empty document", "types a title and starts writing the first paragraph ."),
      ("finishes the report", "clicks print and picks up the pages from the printer .")]),
    (["standing on a mat in a quiet yoga studio", "standing on a yoga mat in a park"],
     [("raises both arms above the head", "bends forward slowly and touches the toes ."),
      ("finishes the last pose", "rolls up the mat and takes a sip of water .")]),
]
_SUBJECTS = [("a man", "He", "The man"), ("a woman", "She", "The woman"), ("a young boy", "He", "The boy"),
             ("a little girl", "She", "The girl"), ("an older man", "He", "The man"),
             ("an older woman", "She", "The woman"), ("a teenage boy", "He", "The boy"),
             ("a teenage girl", "She", "The girl"), ("a young man", "He", "The man"),
             ("a young woman", "She", "The woman")]
_SCENE_OPENERS = ["", "", "In a short video , ", "On a sunny morning , ", "Late in the day , ", "After lunch , ",
                  "Early in the morning , ", "At the start of the clip , ", "On a rainy afternoon , "]


def _scene(rng: random.Random) -> tuple[str, int, int, bool]:
    """(context ending just before the next action, activity index, step index, tokenized style)."""
    activity = rng.randrange(len(_ACTIVITIES))
    settings, steps = _ACTIVITIES[activity]
    step = rng.randrange(len(steps))
    subject, pronoun, noun = rng.choice(_SUBJECTS)
    setting, action = rng.choice(settings), steps[step][0]
    shape = rng.randrange(4)
    if shape == 0:
        ctx = f"{rng.choice(_SCENE_OPENERS)}{subject} is {setting} . {pronoun} {action} ."
    elif shape == 1:
        ctx = f"{rng.choice(_SCENE_OPENERS)}{subject} {action} ."
    elif shape == 2:
        ctx = f"We see {subject} {setting} . {noun} {action} ."
    else:
        ctx = f"{cap(subject)} is shown {setting} . {pronoun} {action} ."
    ctx = f"{cap(ctx)} {rng.choice([pronoun, pronoun, noun])}"
    return ctx, activity, step, rng.random() < 0.5


def _ending(activity: int, step: int, tokenized: bool) -> str:
    ending = _ACTIVITIES[activity][1][step][1]
    return ending if tokenized else _untokenize(ending)


def hellaswag(rng: random.Random) -> Example:
    """Four endings: what the person does next in this activity, and three next steps of other activities.

    The wrong endings are sensible actions, just not ones the scene leads to; the answer is the index of
    the right one.
    """
    ctx, activity, step, tokenized = _scene(rng)
    if not tokenized:
        ctx = _untokenize(ctx)
    label = rng.randrange(4)
    others = rng.sample([i for i in range(len(_ACTIVITIES)) if i != activity], 3)
    endings = [_ending(i, rng.randrange(len(_ACTIVITIES[i][1])), tokenized) for i in others]
    endings.insert(label, _ending(activity, step, tokenized))
    return Example({"ctx": ctx, "endings": ", ".join(f'"{e}"' for e in endings)}, str(label))


def hellaswag_processed(rng: random.Random) -> Example:
    """The target is what the person does next in the scene's activity, given the step the context ends on."""
    ctx, activity, step, tokenized = _scene(rng)
    return Example({"ctx": ctx if tokenized else _untokenize(ctx)}, _ending(activity, step, tokenized))
