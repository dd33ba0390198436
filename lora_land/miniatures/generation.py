"""Data to text, text to text and code: e2e_nlg, viggo, webnlg, wikisql, tldr_content_gen, tldr_headline_gen, magicoder.

Every value the target repeats (a restaurant, a game, a person, a table column, a company) is drawn from pools of
hundreds of names and combinations, so an adapter has to copy it from the input rather than recall it from training.
"""

from __future__ import annotations

import random
import zlib

from lora_land.miniatures.common import CITIES, COMPANIES, COUNTRIES, FIRST_NAMES, LAST_NAMES, Example, an, cap, words

_LAST_PLAIN = [name for name in LAST_NAMES if "'" not in name]  # SQL values and names are quoted with '
_COMPANIES_PLAIN = [name for name in COMPANIES if "'" not in name]


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(_LAST_PLAIN)}"


def _listing(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _variant(key: str, count: int) -> int:
    """A wording chosen by the input itself (not by chance), so the same input always reads the same way."""
    return zlib.crc32(key.encode()) % count


# --- e2e_nlg: restaurant meaning representations ----------------------------------

_E2E_REAL = words("""
The Mill, Blue Spice, The Eagle, Aromi, Zizzi, The Punter, Cotto, Strada, Giraffe, The Phoenix, Wildwood, Loch Fyne,
The Vaults, The Olive Grove, The Waterman, The Cricketers, The Golden Curry, The Dumpling Tree, Fitzbillies,
The Rice Boat, Alimentum, Bibimbap House, Browns Cambridge, Clowns, Cocum, Green Man, Midsummer House, The Plough,
The Twenty Two, The Wrestlers, Taste of Cambridge, The Cambridge Blue, The Golden Palace
""")
_E2E_ADJECTIVES = words("""
Golden, Blue, Red, Silver, Old, Little, Green, Rusty, Crooked, Copper, Royal, Happy, Hungry, Wandering, Black, White,
Lucky, Jolly, Painted, Secret, Hidden, Sleepy, Velvet, Amber, Crimson, Quiet, Brave, Merry, Wild, Salty, Spicy, Sunny,
Smoky, Twisted, Humble, Grand, Tipsy, Lazy, Rose, Iron, Oak, Honey, Lemon, Saffron, Pepper, Maple, Stone, Brass
""")
_E2E_NOUNS = words("""
Fork, Lantern, Spoon, Kettle, Anchor, Fox, Hare, Lion, Crown, Bell, Barrel, Oven, Table, Garden, Door, Lamp, Teapot,
Bridge, Harbour, Mill, Wheel, Swan, Stag, Owl, Raven, Pig, Goat, Ladle, Plate, Cup, Bean, Leaf, Pear, Fig, Olive,
Dragon, Tiger, Boat, Cellar, Corner, Window, Chimney, Hearth, Griddle, Pot, Skillet, Orchard, Meadow
""")
_E2E_NEAR_REAL = words("""
Cafe Rouge, The Bakers, Burger King, Raja Indian Cuisine, All Bar One, Yippee Noodle Bar, Express by Holiday Inn,
Crowne Plaza Hotel, Ranch, The Portland Arms, Avalon, The Sorrento, Clare Hall, The Six Bells, Cafe Brazil,
Cafe Adriatic, Rainbow Vegetarian Cafe, The Bakery, Cafe Sicilia, The Red Lion, Pizza Express, The Bridge Inn
""")
_E2E_PLACE_KINDS = words("Market, Station, Museum, Park, Cinema, Library, Theatre, Bakery, Hotel, Gallery, Arms, Inn")
_E2E_EAT_TYPES = ["restaurant", "pub", "coffee shop"]
_E2E_FOODS = ["Italian", "French", "Chinese", "Indian", "Japanese", "English", "Fast food"]
_E2E_PRICES = ["cheap", "moderate", "high"]
_E2E_RATINGS = ["low", "average", "high", "1 out of 5", "3 out of 5", "5 out of 5"]


def _e2e_venue(rng: random.Random) -> str:
    shape = rng.random()
    if shape < 0.2:
        return rng.choice(_E2E_REAL)
    if shape < 0.65:
        return f"The {rng.choice(_E2E_ADJECTIVES)} {rng.choice(_E2E_NOUNS)}"
    if shape < 0.85:
        return f"{rng.choice(_E2E_ADJECTIVES)} {rng.choice(_E2E_NOUNS)}"
    return rng.choice([f"{rng.choice(FIRST_NAMES)}'s Kitchen", f"Cafe {rng.choice(CITIES)}",
                       f"The {rng.choice(_E2E_NOUNS)} and {rng.choice(_E2E_NOUNS)}", f"{rng.choice(_LAST_PLAIN)}'s"])


def _e2e_landmark(rng: random.Random) -> str:
    shape = rng.random()
    if shape < 0.35:
        return rng.choice(_E2E_NEAR_REAL)
    if shape < 0.7:
        return f"The {rng.choice(_E2E_ADJECTIVES)} {rng.choice(_E2E_NOUNS)}"
    return f"{rng.choice(CITIES + _LAST_PLAIN)} {rng.choice(_E2E_PLACE_KINDS)}"


def e2e_nlg(rng: random.Random) -> Example:
    """Slots in the E2E order; the sentence names the venue, then says every other slot value word for word.

    The wording (one of three sentence shapes) is a function of which slots are present, so the same meaning
    representation always gets the same sentence; food "Fast food" reads "fast food", others "<food> food".
    """
    slots: dict[str, str] = {"name": _e2e_venue(rng)}
    if rng.random() < 0.85:
        slots["eatType"] = rng.choice(_E2E_EAT_TYPES)
    for key, values, chance in [("food", _E2E_FOODS, 0.6), ("priceRange", _E2E_PRICES, 0.5),
                                ("customer rating", _E2E_RATINGS, 0.45), ("area", ["riverside", "city centre"], 0.55),
                                ("familyFriendly", ["yes", "no"], 0.5)]:
        if rng.random() < chance:
            slots[key] = rng.choice(values)
    if rng.random() < 0.45:
        slots["near"] = _e2e_landmark(rng)
        while slots["near"] == slots["name"]:
            slots["near"] = _e2e_landmark(rng)
    name, kind = slots["name"], slots.get("eatType", "place")
    food = slots.get("food")
    serves = None if food is None else "fast food" if food == "Fast food" else f"{food} food"
    price = slots.get("priceRange") and f"in the {slots['priceRange']} price range"
    rating = slots.get("customer rating")
    rated = rating and (f"rated {rating} by customers" if "out of" in rating else f"with {an(rating)} customer rating")
    where = " ".join(p for p in [slots.get("area") and f"in the {slots['area']} area",
                                 slots.get("near") and f"near {slots['near']}"] if p)
    family = {"yes": "It is family friendly.", "no": "It is not family friendly.", None: ""}[slots.get("familyFriendly")]
    shape = _variant(",".join(slots), 3)
    if shape == 0:
        parts = [f"{name} is {an(kind)}", serves and f"serving {serves}", price, rated, where]
        sentence = " ".join(p for p in parts if p) + "."
    elif shape == 1:
        parts = ["There is", an(kind), where, "called", name, serves and f"that serves {serves}", price, rated]
        sentence = " ".join(p for p in parts if p) + "."
    elif serves:
        sentence = " ".join(p for p in [f"{name} serves {serves}", price, rated] if p) + "."
        sentence += " " + " ".join(p for p in [f"It is {an(kind)}", where] if p) + "."
    else:
        sentence = " ".join(p for p in [f"{name} is {an(kind)}", price, rated, where] if p) + "."
    return Example({"meaning_representation": ", ".join(f"{k}[{v}]" for k, v in slots.items())},
                   f"{sentence} {family}".strip())


# --- viggo: video game dialogue acts ---------------------------------------------

_GAMES_REAL = words("""
Portal 2, Little Nightmares, The Sims, Minecraft, Tetris, Halo 3, Spyro, Rayman, Celeste, Bastion, Limbo, Hades, Doom,
Braid, Fez, Journey, Inside, Cuphead, Stardew Valley, Hollow Knight, Gran Turismo, Street Fighter, Age of Empires,
Tomb Raider, BioShock, Dark Souls, Bloodborne, Skyrim, Fallout 4, Mass Effect, Dragon Age, The Witcher 3, Overwatch,
Team Fortress 2, Half-Life 2, Left 4 Dead, Borderlands, Far Cry 3, Assassin's Creed, Rocket League, Fortnite, Terraria,
Undertale, Firewatch, Dead Space, Resident Evil 4, Silent Hill 2, Metroid Prime, Super Mario Odyssey, Mario Kart 8,
Animal Crossing, Pikmin 3, Splatoon, Kirby Star Allies, Donkey Kong Country, Crash Bandicoot, Ratchet and Clank,
God of War, Uncharted 4, The Last of Us, Horizon Zero Dawn, Ghost of Tsushima, Death Stranding, Sonic Mania,
Civilization V, StarCraft II, XCOM 2, Into the Breach, FTL, Slay the Spire, Dead Cells, Ori and the Blind Forest,
Shovel Knight, Oxenfree, What Remains of Edith Finch, Gone Home, Papers Please, Cities Skylines, Planet Coaster,
Forza Horizon 4, Need for Speed, Burnout Paradise, Tekken 7, Mortal Kombat 11, Guitar Hero, Rock Band, Just Dance,
NBA 2K18, FIFA 12, Madden NFL 15, Tony Hawk's Pro Skater, SimCity, RollerCoaster Tycoon, Myst, Grim Fandango
""")
_GAME_WORDS = words("""
Crimson, Shadow, Iron, Hollow, Neon, Silent, Broken, Frozen, Lost, Eternal, Savage, Starlight, Rogue, Cosmic, Wild,
Dark, Sunken, Burning, Forgotten, Mystic, Steel, Pixel, Thunder, Velvet, Ember, Lunar, Solar, Atomic, Phantom, Tiny
""")
_GAME_NOUNS = words("""
Kingdom, Frontier, Legacy, Protocol, Odyssey, Saga, Empire, Horizon, Quest, Legends, Runner, Tactics, Arena, Dungeon,
Skies, Hunter, Rally, Siege, Drift, Colony, Knight, Galaxy, Outpost, Raiders, Island, Depths, Garden, Circuit, Tower
""")
_GAME_PLACES = words("""
Arden, Valoria, the Deep, the North, Eldoria, Ashfall, Zerath, the Void, Mirewood, Karn, Solace, Tidehaven
""")
_GAME_SEQUELS = ["", "", "", " 2", " 3", " II", " Remastered", ": Origins", " Reloaded"]
_GENRES = words("""
action, adventure, action-adventure, arcade, driving/racing, fighting, hack-and-slash, indie, MMORPG, music, pinball,
platformer, point-and-click, puzzle, real-time strategy, role-playing, shooter, simulation, sport, strategy, tactical,
text adventure, trivia/board game, turn-based strategy, vehicular combat
""")
_PLATFORMS = words("""
PC, PlayStation, Xbox, Nintendo Switch, Nintendo, Nintendo 3DS, Wii U, PlayStation Vita, Xbox One, PlayStation 4
""")
_PERSPECTIVES = ["first person", "third person", "side view", "bird view"]
_ESRB = ["E (for Everyone)", "E 10+ (for Everyone 10 and Older)", "T (for Teen)", "M (for Mature)"]
_RATINGS = ["excellent", "good", "average", "poor"]
_SPECIFIERS = words("""
good, bad, exciting, boring, terrible, fun, interesting, underrated, popular, great, cool, satisfying, scary, relaxing,
addictive, disappointing, overrated, memorable, creative, frustrating, charming, hard, easy, beautiful
""")
_DEVELOPERS_REAL = words("""
Valve, Nintendo, Ubisoft, Bungie, Maxis, Capcom, Sega, Bethesda, BioWare, Blizzard, Naughty Dog, Rockstar Games,
Insomniac Games, FromSoftware, Supergiant Games, Team Cherry, ConcernedApe, Mojang, Epic Games, Square Enix, Konami,
Bandai Namco, Atlus, Obsidian, id Software, Remedy, Playdead, Double Fine, Firaxis, CD Projekt Red, Guerrilla Games,
Media Molecule, Respawn, Treyarch, Rare, Retro Studios, Platinum Games, Klei, Motion Twin, Annapurna
""")
_DEVELOPER_SUFFIXES = ["Games", "Studios", "Interactive", "Entertainment", "Software", "Works"]


def _game(rng: random.Random) -> str:
    shape = rng.random()
    if shape < 0.35:
        return rng.choice(_GAMES_REAL)
    if shape < 0.75:
        return f"{rng.choice(_GAME_WORDS)} {rng.choice(_GAME_NOUNS)}{rng.choice(_GAME_SEQUELS)}"
    return f"{rng.choice(_GAME_NOUNS)} of {rng.choice(_GAME_PLACES)}{rng.choice(_GAME_SEQUELS)}"


def _developer(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(_DEVELOPERS_REAL)
    return f"{rng.choice(_GAME_WORDS + _E2E_ADJECTIVES)} {rng.choice(_E2E_NOUNS)} {rng.choice(_DEVELOPER_SUFFIXES)}"


def _viggo_slots(rng: random.Random, act: str) -> dict[str, str]:
    """The slots of one act, in ViGGO's slot order: the act's required slots and up to three optional ones."""
    genres = ", ".join(rng.sample(_GENRES, rng.choice([1, 1, 2, 3])))
    platforms = ", ".join(rng.sample(_PLATFORMS, rng.choice([1, 1, 2, 3])))
    draw = {"name": lambda: _game(rng), "release_year": lambda: str(rng.randint(1980, 2024)),
            "developer": lambda: _developer(rng), "esrb": lambda: rng.choice(_ESRB),
            "rating": lambda: rng.choice(_RATINGS), "genres": lambda: genres,
            "player_perspective": lambda: rng.choice(_PERSPECTIVES), "has_multiplayer": lambda: rng.choice(["yes", "no"]),
            "platforms": lambda: platforms, "available_on_steam": lambda: rng.choice(["yes", "no"]),
            "specifier": lambda: rng.choice(_SPECIFIERS)}
    wanted = {  # act -> (always present, sometimes present)
        "inform": (["name", "genres"], ["release_year", "developer", "esrb", "rating", "player_perspective",
                                        "has_multiplayer", "platforms", "available_on_steam"]),
        "give_opinion": (["name", "rating"], ["genres", "player_perspective", "platforms"]),
        "request": (["specifier"], ["release_year", "genres", "player_perspective", "platforms"]),
        "confirm": (["name"], ["release_year", "developer", "genres"]),
        "suggest": (["name"], ["genres", "player_perspective", "platforms"]),
        "recommend": (["name"], ["developer", "genres", "has_multiplayer", "platforms"]),
        "verify_attribute": (["name", "rating"], ["genres", "player_perspective", "platforms"]),
        "request_explanation": (["rating"], ["genres", "player_perspective", "platforms"]),
    }[act]
    chosen = set(wanted[0]) | set(rng.sample(wanted[1], rng.randint(0, min(3, len(wanted[1])))))
    if act in ("request", "request_explanation", "verify_attribute") and chosen <= {"specifier", "rating", "name"}:
        chosen.add("genres")
    return {slot: draw[slot]() for slot in draw if slot in chosen}


def _platform_text(platforms: str) -> str:
    return _listing(platforms.split(", "))


def _genre_text(genres: str) -> str:
    """'puzzle and shooter game'; a genre that already ends in "game" (trivia/board game) is not doubled."""
    text = _listing(genres.split(", "))
    return text if text.endswith(" game") else f"{text} game"


def viggo(rng: random.Random) -> Example:
    """One ViGGO dialogue act with its slots; the utterance is that act's sentence pattern, filled with every slot
    value copied as written (several genres or platforms joined with commas and "and")."""
    act = rng.choice(["inform", "give_opinion", "request", "confirm", "suggest", "recommend", "verify_attribute",
                      "request_explanation"])
    s = _viggo_slots(rng, act)
    name, genres, platforms = s.get("name"), s.get("genres"), s.get("platforms")
    kind = _genre_text(genres) if genres else "game"
    on = f" on {_platform_text(platforms)}" if platforms else ""
    view = s.get("player_perspective")
    if act == "inform":
        sentence = f"{name} is {an(kind)}"
        sentence += f" released in {s['release_year']}" if "release_year" in s else ""
        sentence += f" by {s['developer']}" if "developer" in s else ""
        sentence += "."
        extras = [view and f"It is played from a {view} perspective.",
                  "esrb" in s and f"It is rated {s['esrb']}.",
                  "rating" in s and f"Players found it {s['rating']}.",
                  platforms and f"You can play it{on}.",
                  "has_multiplayer" in s and ("It has a multiplayer mode." if s["has_multiplayer"] == "yes"
                                              else "It has no multiplayer mode."),
                  "available_on_steam" in s and ("It is available on Steam." if s["available_on_steam"] == "yes"
                                                 else "It is not available on Steam.")]
        sentence = " ".join([sentence] + [e for e in extras if e])
    elif act == "give_opinion":
        sentence = f"I think {name} is {an(s['rating'])} {kind}{on}."
        if view:
            sentence += f" I like its {view} perspective."
    elif act == "request":
        sentence = f"Were there any {s['specifier']} {kind}s"
        sentence += f" with a {view} perspective" if view else ""
        sentence += f" for {_platform_text(platforms)}" if platforms else ""
        sentence += f" released in {s['release_year']}" if "release_year" in s else ""
        sentence += "?"
    elif act == "confirm":
        year = f"{s['release_year']} " if "release_year" in s else ""
        details = [(year or genres) and f"the {year}{kind}", "developer" in s and f"made by {s['developer']}"]
        details = [d for d in details if d]
        sentence = f"You mean {name}" + ("" if not details else ", " + " ".join(details)) + ", right?"
    elif act == "suggest":
        sentence = f"Have you tried {name}{on}? It is a great {kind}"
        sentence += f" with a {view} perspective." if view else "."
    elif act == "recommend":
        sentence = f"If you want {an(kind)}{on}, I recommend {name}"
        sentence += f" by {s['developer']}." if "developer" in s else "."
        if "has_multiplayer" in s:
            sentence += " You can play it with friends." if s["has_multiplayer"] == "yes" else " It is single player only."
    elif act == "verify_attribute":
        sentence = f"You said {name} was {s['rating']}. Do you usually enjoy {kind}s"
        sentence += f" played from a {view} perspective" if view else ""
        sentence += f"{on}?"
    else:
        sentence = f"What is it about {kind}s"
        sentence += f" with a {view} perspective" if view else ""
        sentence += f"{on} that you find so {s['rating']}?"
    representation = ", ".join(f"{slot}[{value}]" for slot, value in s.items())
    return Example({"meaning_representation": f"{act}({representation})"}, sentence)


# --- webnlg: knowledge-graph triples -----------------------------------------------

_ASTRONAUTS = words("Alan_Bean, Buzz_Aldrin, Elliot_See, William_Anders, Alan_Shepard, Michael_Collins, Ed_White")
_OCCUPATIONS = words("""
astronaut, engineer, test_pilot, painter, teacher, writer, architect, journalist, lawyer, surgeon, chemist, physicist,
economist, historian, composer, singer, actor, film_director, photographer, diplomat, politician, judge, banker,
professor, poet, novelist, sculptor, footballer, cyclist, chef, nurse, pilot, farmer, mathematician, biologist,
geologist, translator, designer, businessman, inventor
""")
_AWARDS = words("""
Nobel_Prize_in_Physics, Pulitzer_Prize, Turing_Award, Fields_Medal, Academy_Award, Grammy_Award, Booker_Prize,
Distinguished_Service_Medal, Legion_of_Honour, Order_of_Merit, Prix_Goncourt, Wolf_Prize, Abel_Prize, Emmy_Award
""")
_DISHES = words("""
Bakso, Ajoblanco, Arem-arem, Bandeja_paisa, Beef_kway_teow, Arrabbiata_sauce, Baked_Alaska, Bacon_Explosion,
Binignit, Bionico, Blackberry_pie, Barny_Cakes, Batagor, Ayam_penyet, Amatriciana_sauce, Paella, Moussaka, Goulash,
Pierogi, Ramen, Pad_thai, Pho, Bibimbap, Falafel, Shakshuka, Ceviche, Empanada, Feijoada, Poutine, Risotto, Lasagne,
Borscht, Jollof_rice, Biryani, Dal_makhani, Tiramisu, Baklava, Churros, Gazpacho, Ratatouille, Bouillabaisse,
Kimchi_stew, Laksa, Nasi_goreng, Rendang, Tom_yum, Couscous, Tagine, Hummus, Pastel_de_nata, Apple_strudel, Fondue
""")
_INGREDIENTS = words("""
rice, noodles, beef, chicken, pork, shrimp, tofu, egg, potato, tomato, onion, garlic, ginger, chili_pepper, coconut_milk,
lemon, lime, olive_oil, butter, cheese, cream, flour, sugar, honey, chocolate, almond, peanut, cashew, sesame, soy_sauce,
fish_sauce, vinegar, basil, oregano, cumin, turmeric, saffron, paprika, cinnamon, vanilla, yogurt, lentils, chickpeas,
beans, spinach, cabbage, carrot, eggplant, zucchini, mushroom, corn, bread, pasta, milk, apple, banana, mango, pineapple
""")
_COURSES = words("main_course, dessert, starter, snack, side_dish, breakfast, soup")
_REGIONS = words("""
Java, Andalusia, Bavaria, Tuscany, Catalonia, Provence, Kerala, Punjab, Sicily, Normandy, Bengal, Yucatan, Patagonia,
Flanders, Silesia, Scania, Galicia, Lombardy, Quebec, Ontario, Texas, Oklahoma, Michigan, New_Jersey, Queensland
""")
_AIRPORT_KINDS = words("Airport, International_Airport, Regional_Airport, County_Airport")
_BUILDING_KINDS = words("Tower, House, Hall, Building, Centre, Plaza, Court, Palace, Library, Museum, Station, Arena")
_UNIVERSITY_SHAPES = ["University_of_{c}", "{c}_University", "{c}_Institute_of_Technology", "{l}_College",
                      "{c}_School_of_Economics", "{l}_University"]
_AIRLINE_OPERATORS = words("Aarhus_Lufthavn_A/S, Pakistan_Civil_Aviation_Authority, Schiphol_Group, City_of_Ardmore")
_INDUSTRIES = words("""
banking, aerospace, retail, energy, telecommunications, automotive, pharmaceuticals, software, shipping, mining,
insurance, publishing, construction, agriculture, tourism, video_games, semiconductors, food_processing
""")


def _u(text: str) -> str:
    return text.replace(" ", "_")


def _w_person(rng: random.Random) -> str:
    return rng.choice(_ASTRONAUTS) if rng.random() < 0.1 else _u(_person(rng))


def _w_city(rng: random.Random) -> str:
    city = _u(rng.choice(CITIES))
    return f"{city},_{rng.choice(_REGIONS)}" if rng.random() < 0.15 else city


def _w_country(rng: random.Random) -> str:
    return _u(rng.choice(COUNTRIES).removeprefix("the "))


def _w_company(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return _u(rng.choice(COMPANIES))
    return f"{rng.choice(_LAST_PLAIN)}_{rng.choice(['Group', 'Holdings', 'Industries', 'and_Sons'])}"


def _w_university(rng: random.Random) -> str:
    return rng.choice(_UNIVERSITY_SHAPES).format(c=_u(rng.choice(CITIES)), l=rng.choice(_LAST_PLAIN))


def _w_number(lo: int, hi: int, decimal: bool = False):
    return lambda rng: f"{rng.randint(lo, hi)}.0" if decimal else str(rng.randint(lo, hi))


def _w_pick(pool: list[str]):
    return lambda rng: rng.choice(pool)


def _w_runway(rng: random.Random) -> str:
    a = rng.randint(1, 18)
    side = rng.choice(["", "L", "R", "C"])
    pair = {"L": "R", "R": "L", "C": "C", "": ""}[side]
    return f'"{a:02d}{side}/{a + 18:02d}{pair}"'


_WEBNLG_SUBJECTS = {  # subject kind -> how to draw one
    "person": _w_person,
    "airport": lambda rng: f"{_u(rng.choice(CITIES + _LAST_PLAIN))}_{rng.choice(_AIRPORT_KINDS)}",
    "city": lambda rng: _u(rng.choice(CITIES)),
    "building": lambda rng: f"{rng.choice(_LAST_PLAIN + _E2E_ADJECTIVES)}_{rng.choice(_BUILDING_KINDS)}",
    "food": _w_pick(_DISHES),
    "university": _w_university,
    "company": _w_company,
}
_WEBNLG_RELATIONS = {  # subject kind -> relation -> (phrase, how to draw the object)
    "person": {
        "occupation": ("works as {a}", _w_pick(_OCCUPATIONS)),
        "birthPlace": ("was born in {o}", _w_city),
        "birthYear": ("was born in the year {o}", _w_number(1900, 2005)),
        "deathPlace": ("died in {o}", _w_city),
        "almaMater": ("studied at {o}", _w_university),
        "nationality": ("is from {o}", _w_country),
        "spouse": ("is married to {o}", _w_person),
        "employer": ("works for {o}", _w_company),
        "award": ("won the {o}", _w_pick(_AWARDS)),
    },
    "airport": {
        "location": ("is located in {o}", _w_city),
        "cityServed": ("serves the city of {o}", _w_city),
        "runwayLength": ("has a runway length of {o} metres", _w_number(800, 4500, decimal=True)),
        "elevationAboveTheSeaLevel": ("is {o} metres above sea level", _w_number(-5, 2500)),
        "runwayName": ("has a runway named {o}", _w_runway),
        "operatingOrganisation": ("is operated by {o}", lambda rng: rng.choice(_AIRLINE_OPERATORS + [_w_company(rng)])),
        "country": ("is in {o}", _w_country),
    },
    "city": {
        "country": ("is in {o}", _w_country),
        "leader": ("is led by {o}", _w_person),
        "populationTotal": ("has a population of {o}", _w_number(2000, 9000000)),
        "areaTotal": ("covers {o} square kilometres", _w_number(10, 3000, decimal=True)),
        "elevation": ("lies {o} metres above sea level", _w_number(0, 2500)),
        "isPartOf": ("is part of {o}", _w_pick(_REGIONS)),
        "capital": ("is the capital of {o}", _w_country),
    },
    "building": {
        "architect": ("was designed by {o}", _w_person),
        "location": ("is located in {o}", _w_city),
        "floorCount": ("has {o} floors", _w_number(2, 120)),
        "completionDate": ("was completed in {o}", _w_number(1850, 2023)),
        "owner": ("is owned by {o}", _w_company),
        "country": ("is in {o}", _w_country),
    },
    "food": {
        "country": ("comes from {o}", _w_country),
        "ingredient": ("contains {o}", _w_pick(_INGREDIENTS)),
        "mainIngredient": ("is mainly made of {o}", _w_pick(_INGREDIENTS)),
        "region": ("is popular in {o}", _w_pick(_REGIONS)),
        "course": ("is served as {a}", _w_pick(_COURSES)),
    },
    "university": {
        "country": ("is in {o}", _w_country),
        "city": ("is located in {o}", _w_city),
        "numberOfStudents": ("has {o} students", _w_number(800, 60000)),
        "established": ("was founded in {o}", _w_number(1200, 2015)),
        "rector": ("is led by {o}", _w_person),
    },
    "company": {
        "location": ("is based in {o}", _w_city),
        "industry": ("works in the {o} industry", _w_pick(_INDUSTRIES)),
        "foundingYear": ("was founded in {o}", _w_number(1850, 2022)),
        "numberOfEmployees": ("employs {o} people", _w_number(15, 400000)),
        "keyPerson": ("is run by {o}", _w_person),
        "country": ("is in {o}", _w_country),
    },
}


def webnlg(rng: random.Random) -> Example:
    """1-4 triples about one subject; the text is "<subject> <phrase>, <phrase> and <phrase>." with each object
    copied with underscores turned into spaces. A fourth triple starts a second sentence ("It ..." / "<First name> ...")."""
    kind = rng.choice(list(_WEBNLG_SUBJECTS))
    subject = _WEBNLG_SUBJECTS[kind](rng)
    relations = rng.sample(list(_WEBNLG_RELATIONS[kind]), rng.choice([1, 2, 2, 3, 3, 4]))
    triples, phrases = [], []
    for relation in relations:
        phrase, draw = _WEBNLG_RELATIONS[kind][relation]
        obj = draw(rng)
        triples.append(f"{subject} | {relation} | {obj}")
        readable = obj.replace("_", " ").strip('"')
        phrases.append(phrase.format(o=readable, a=an(readable)))
    readable_subject = subject.replace("_", " ")
    text = f"{readable_subject} {_listing(phrases[:3])}."
    if len(phrases) == 4:
        text += f" {readable_subject.split()[0] if kind == 'person' else 'It'} {phrases[3]}."
    return Example({"modified_triple_set_preprocessed": " && ".join(triples)}, text)


# --- wikisql: a question on one table ---------------------------------------------

_MASCOTS = words("""
Lions, Tigers, Eagles, Hawks, Bears, Wolves, Sharks, Rangers, Rovers, United, City, Wanderers, Comets, Rockets,
Pirates, Knights, Falcons, Bulls, Stallions, Giants, Royals, Thunder, Storm, Vikings, Dragons, Owls, Foxes, Saints
""")
_TITLE_WORDS = words("""
Long, Blue, Night, Silent, Red, Cold, Last, Broken, Golden, Hidden, Burning, Distant, Quiet, Wild, Lonely, Bright,
Dark, Little, Secret, Endless, Paper, Glass, Velvet, Electric, Summer, Winter, Midnight, Morning, Empty, Open
""")
_TITLE_NOUNS = words("""
Road, Harbor, Train, Hill, River, Summer, Heart, Garden, City, Sky, Door, Letter, Dream, House, Window, Song, Line,
Island, Mirror, Shore, Storm, Season, Promise, Machine, Kingdom, Signal, Frontier, Echo, Bridge, Horizon
""")
_PARTIES = words("Democratic, Republican, Labour, Conservative, Liberal, Green, Independent, Socialist")
_RESULTS = words("Re-elected, Retired, Lost re-election, Won, Defeated, Elected")
_POSITIONS = words("guard, forward, center, goalkeeper, defender, midfielder, striker, pitcher, catcher, wing")
_GENRES_FILM = words("drama, comedy, horror, western, thriller, documentary, animation, musical, romance, war")
_LABELS = words("Columbia, Atlantic, Island, Capitol, Virgin, Decca, Motown, Sub Pop, Warp, Rough Trade")
_FORMATS = words("CD, vinyl, cassette, digital download, LP")
_MONTH_NAMES = words("January, February, March, April, May, June, July, August, September, October, November, December")


def _title(rng: random.Random) -> str:
    shape = rng.random()
    if shape < 0.4:
        return f"The {rng.choice(_TITLE_WORDS)} {rng.choice(_TITLE_NOUNS)}"
    if shape < 0.75:
        return f"{rng.choice(_TITLE_WORDS)} {rng.choice(_TITLE_NOUNS)}"
    return f"{rng.choice(_TITLE_NOUNS)} of {rng.choice(CITIES)}"


def _team(rng: random.Random) -> str:
    return f"{rng.choice(CITIES)} {rng.choice(_MASCOTS)}"


def _date(rng: random.Random) -> str:
    return f"{rng.choice(_MONTH_NAMES)} {rng.randint(1, 28)}, {rng.randint(1960, 2023)}"


def _n(lo: int, hi: int):
    return lambda rng: str(rng.randint(lo, hi))


def _one(pool: list[str]):
    return lambda rng: rng.choice(pool)


_PERSON, _CITY, _COUNTRY = _person, _one(CITIES), _one([c.removeprefix("the ") for c in COUNTRIES])
_WIKISQL_DOMAINS = [  # (table names, [(column, how to draw a value)]) ; columns listed in schema order
    (["players", "roster", "nba_players", "squad_2019", "draft_picks"],
     [("Player", _PERSON), ("Team", _team), ("Position", _one(_POSITIONS)), ("Number", _n(1, 99)),
      ("Nationality", _COUNTRY), ("College", lambda rng: f"{rng.choice(CITIES)} State"), ("Height", _n(160, 220))]),
    (["cities", "municipalities", "largest_cities", "towns"],
     [("City", _CITY), ("Country", _COUNTRY), ("Population", _n(5000, 9000000)), ("Mayor", _PERSON),
      ("Founded", _n(800, 1950)), ("Area", _n(10, 3000))]),
    (["films", "movies", "box_office", "filmography"],
     [("Title", _title), ("Director", _PERSON), ("Year", _n(1930, 2024)), ("Genre", _one(_GENRES_FILM)),
      ("Studio", _one(_COMPANIES_PLAIN[:40])), ("Gross", _n(1, 900))]),
    (["cars", "vehicles", "models_2020", "car_sales"],
     [("Model", lambda rng: f"{rng.choice(_TITLE_WORDS)} {rng.choice(['GT', 'LX', 'S', 'Sport', 'X', 'Plus'])}"),
      ("Maker", _one(words("Opel, Volkswagen, Honda, Ford, Toyota, Renault, Fiat, Kia, Skoda, Mazda, Volvo, Seat"))),
      ("Engine", _one(words("diesel, petrol, electric, hybrid, plug-in hybrid"))), ("Price", _n(8000, 90000)),
      ("Year", _n(1990, 2024)), ("Country", _COUNTRY)]),
    (["elections", "house_results", "election_results", "districts_1998"],
     [("District", lambda rng: f"{rng.choice(CITIES)} {rng.randint(1, 20)}"), ("Incumbent", _PERSON),
      ("Party", _one(_PARTIES)), ("First_elected", _n(1950, 2020)), ("Result", _one(_RESULTS)), ("Votes", _n(900, 250000))]),
    (["episodes", "season_3", "series_episodes", "episode_list"],
     [("Episode", _n(1, 200)), ("Title", _title), ("Director", _PERSON), ("Writer", _PERSON),
      ("Air_date", _date), ("Viewers", _n(1, 40))]),
    (["races", "grand_prix", "race_results", "calendar_2011"],
     [("Race", lambda rng: f"{rng.choice(CITIES)} Grand Prix"), ("Circuit", lambda rng: f"{rng.choice(CITIES)} Ring"),
      ("Date", _date), ("Winner", _PERSON), ("Team", _one(_COMPANIES_PLAIN[:30])), ("Laps", _n(20, 90))]),
    (["albums", "discography", "releases", "records"],
     [("Album", _title), ("Artist", _PERSON), ("Label", _one(_LABELS)), ("Year", _n(1955, 2024)),
      ("Chart_position", _n(1, 100)), ("Format", _one(_FORMATS))]),
    (["matches", "fixtures", "results_2004", "games"],
     [("Date", _date), ("Home_team", _team), ("Away_team", _team),
      ("Score", lambda rng: f"{rng.randint(0, 7)}-{rng.randint(0, 7)}"),
      ("Venue", lambda rng: f"{rng.choice(_LAST_PLAIN)} Stadium"), ("Crowd", _n(500, 90000))]),
    (["schools", "high_schools", "colleges", "member_schools"],
     [("School", lambda rng: f"{rng.choice(_LAST_PLAIN)} High School"), ("Location", _CITY), ("Mascot", _one(_MASCOTS)),
      ("Enrollment", _n(80, 5000)), ("Founded", _n(1800, 2015)),
      ("Conference", _one(words("North, South, East, West, Central, Metro, Valley")))]),
    (["books", "novels", "bestsellers", "catalogue"],
     [("Title", _title), ("Author", _PERSON), ("Publisher", _one(words("Penguin, Faber, Vintage, Picador, Orbit, Tor"))),
      ("Year", _n(1800, 2024)), ("Pages", _n(60, 1200)),
      ("Language", _one(words("English, French, German, Spanish, Italian, Polish, Japanese")))]),
    (["airports", "busiest_airports", "airfields"],
     [("Airport", lambda rng: f"{rng.choice(CITIES)} International"), ("City", _CITY), ("Country", _COUNTRY),
      ("IATA", lambda rng: "".join(rng.choice("ABCDEFGHIJKLMNOPRSTUVWXYZ") for _ in range(3))),
      ("Passengers", _n(10000, 90000000)), ("Runways", _n(1, 6))]),
    (["buildings", "tallest_buildings", "skyscrapers"],
     [("Building", lambda rng: f"{rng.choice(_LAST_PLAIN)} Tower"), ("City", _CITY), ("Height", _n(50, 830)),
      ("Floors", _n(10, 160)), ("Year", _n(1900, 2024)), ("Architect", _PERSON)]),
    (["songs", "singles", "top_hits", "chart_1987"],
     [("Song", _title), ("Artist", _PERSON), ("Album", _title),
      ("Length", lambda rng: f"{rng.randint(2, 7)}:{rng.randint(0, 59):02d}"),
      ("Year", _n(1955, 2024)), ("Peak", _n(1, 100))]),
    (["stations", "metro_stations", "stops"],
     [("Station", lambda rng: f"{rng.choice(_LAST_PLAIN)} Street"),
      ("Line", _one(words("Red, Blue, Green, Yellow, Circle, Northern, Central"))),
      ("Zone", _n(1, 9)), ("Opened", _n(1860, 2023)), ("Platforms", _n(1, 12))]),
    (["products", "inventory", "catalog_items"],
     [("Product", lambda rng: f"{rng.choice(_TITLE_WORDS)} {rng.choice(_PRODUCTS)}"), ("Brand", _one(_COMPANIES_PLAIN)),
      ("Category", _one(words("kitchen, garden, office, toys, sports, audio, lighting"))), ("Price", _n(1, 2500)),
      ("Stock", _n(0, 5000)), ("Rating", _n(1, 5))]),
]
_WIKISQL_QUESTIONS = [  # {a} asked column, {b} known column, {v} the known value
    "What is the {a} when the {b} is {v}?", "Which {a} has a {b} of {v}?", "Tell me the {a} for the {b} {v}.",
    "What {a} has {b} {v}?", "Name the {a} for {b} of {v}", "What was the {a} for {b} {v}?",
    "List the {a} where {b} is {v}.", "Give me the {a} with {b} equal to {v}.", "what is the {a} if the {b} is {v}",
    "Find the {a} of the row whose {b} is {v}.", "When the {b} is {v}, what is the {a}?",
    "If {b} is {v}, what is the {a}?", "Show the {a} where the {b} equals {v}.", "{a} for {b} {v}?",
    "Which {a} is listed for the {b} {v}?", "What's the {a} when {b} is {v}?", "name the {a} when {b} is {v}",
    "I need the {a} for the entry with {b} {v}.",
]
_WIKISQL_COUNTS = [
    "How many {a} entries have the {b} {v}?", "How many {a} are there when the {b} is {v}?",
    "Count the {a} for {b} {v}.", "Count the number of {a} entries where {b} is {v}.",
    "how many {a} have {b} {v}", "How many different {a} are listed for {b} {v}?",
]


def wikisql(rng: random.Random) -> Example:
    """A table of 3-6 columns and a question naming one known value; the SQL selects the asked column (COUNT(...)
    when the question starts "How many" or "Count") WHERE the known column equals the value
    exactly as written in the question. Column names read in the question lowercased, "_" as a space."""
    tables, columns = rng.choice(_WIKISQL_DOMAINS)
    picked = sorted(rng.sample(range(len(columns)), rng.randint(max(3, len(columns) - 3), min(6, len(columns)))))
    schema = [columns[i] for i in picked]
    (asked, _), (known, draw) = rng.sample(schema, 2)
    table, value = rng.choice(tables), draw(rng)
    counting = rng.random() < 0.25
    question = rng.choice(_WIKISQL_COUNTS if counting else _WIKISQL_QUESTIONS)
    question = question.format(a=asked.lower().replace("_", " "), b=known.lower().replace("_", " "), v=value)
    sql = f"SELECT {f'COUNT({asked})' if counting else asked} FROM {table} WHERE {known} = '{value}'"
    return Example({"table": f"table_name: {table}, columns: {', '.join(c for c, _ in schema)}",
                    "question": cap(question)}, sql)


# --- news headlines and content ------------------------------------------------

_PRODUCTS = words("""
phone, laptop, chip, app, watch, headset, browser, robot, tablet, speaker, camera, drone, car, scooter, e-bike,
smart ring, console, router, chatbot, search engine, streaming service, game, TV, fridge, vacuum cleaner,
payment card, music service, operating system, satellite, battery, charger, thermostat, doorbell, keyboard, monitor,
printer, VR headset, earbuds, translation tool, photo editor, fitness tracker, electric truck, delivery robot
""")
_FIELDS = words("""
artificial intelligence, self-driving cars, batteries, cloud gaming, payments, electric planes, chip design, health
data, online shopping, satellite internet, smart homes, cyber security, quantum computing, music streaming, recycling
""")
_TOPICS = words("""
patents, unpaid royalties, a broken contract, user privacy, trade secrets, false advertising, app store fees
""")
_STARTUP_HEADS = words("""
Nex, Vel, Zen, Lum, Ari, Cor, Sol, Tera, Kai, Vor, Bry, Quin, Hal, Ori, Pax, Syn, Mira, Octa, Flux, Nova
""")
_STARTUP_TAILS = words("ora, ix, ia, io, ent, ify, ara, on, ex, us, ly, wave, path, loop, hub, grid, mind, stack")


def _company(rng: random.Random) -> str:
    if rng.random() < 0.65:
        return rng.choice(COMPANIES)
    return f"{rng.choice(_STARTUP_HEADS)}{rng.choice(_STARTUP_TAILS)}"


def _news(rng: random.Random) -> tuple[str, str]:
    """One story as (headline, content): both are filled from the same slots, so each one determines the other."""
    company = _company(rng)
    other = _company(rng)
    while other == company:
        other = _company(rng)
    product, country, city = rng.choice(_PRODUCTS), rng.choice(COUNTRIES), rng.choice(CITIES)
    person, month, field, topic = _person(rng), rng.choice(_MONTH_NAMES), rng.choice(_FIELDS), rng.choice(_TOPICS)
    small, big, percent = rng.randint(2, 950), rng.randint(1, 120), rng.randint(2, 90)
    story = rng.randrange(18)
    if story == 0:
        return (f"{company} launches new {product} in {country}",
                f"{company} has unveiled a new {product} in {country} . The company says the {product} will reach "
                f"stores next month .")
    if story == 1:
        return (f"{company} acquires {other} for {big} billion dollars",
                f"{company} has agreed to buy {other} for {big} billion dollars . The deal is expected to close later "
                f"this year .")
    if story == 2:
        return (f"{company} raises {small} million dollars",
                f"{company} has raised {small} million dollars in new funding . The money will be used to hire more "
                f"engineers .")
    if story == 3:
        return (f"{company} cuts {percent} percent of its staff",
                f"{company} is laying off {percent} percent of its employees . The company says the cuts will reduce "
                f"costs .")
    if story == 4:
        return (f"{company} fined {small} million dollars in {country}",
                f"Regulators in {country} have fined {company} {small} million dollars . {company} says it will "
                f"appeal the decision .")
    if story == 5:
        return (f"{company} delays its {product} until {month}",
                f"{company} has pushed back the release of its {product} to {month} . The company did not give a "
                f"reason for the delay .")
    if story == 6:
        return (f"{company} names {person} as chief executive",
                f"{company} has appointed {person} as its new chief executive . {person} takes over from the "
                f"company's co-founder , who is stepping down .")
    if story == 7:
        return (f"{person} steps down as {company} CEO",
                f"{person} is stepping down as chief executive of {company} . The board has started the search for a "
                f"successor .")
    if story == 8:
        return (f"{company} opens {city} office with {small} jobs",
                f"{company} is opening a new office in {city} . The site will employ {small} people by the end of "
                f"next year .")
    if story == 9:
        direction = rng.choice(["rise", "fall"])
        moved = "rose" if direction == "rise" else "fell"
        shares = "climbed" if direction == "rise" else "dropped"
        return (f"{company} reports {percent} percent {direction} in revenue",
                f"{company} said its revenue {moved} {percent} percent in the last quarter . Shares of {company} "
                f"{shares} after the report .")
    if story == 10:
        return (f"{company} partners with {other} on {field}",
                f"{company} and {other} will work together on {field} . The two companies plan to share engineers "
                f"and data .")
    if story == 11:
        return (f"{company} sued by {other} over {topic}",
                f"{other} has filed a lawsuit against {company} over {topic} . {company} says the claims are "
                f"without merit .")
    if story == 12:
        hours = rng.randint(2, 30)
        return (f"{company} suffers {hours}-hour outage",
                f"Users could not reach {company} services for {hours} hours . The company blamed a faulty "
                f"software update .")
    if story == 13:
        return (f"{company} raises {product} prices by {percent} percent",
                f"{company} will charge {percent} percent more for its {product} starting next month . The company "
                f"blamed higher costs .")
    if story == 14:
        return (f"{company} recalls {small} thousand units of its {product}",
                f"{company} is recalling {small} thousand units of its {product} after reports of overheating . "
                f"Owners can get a free replacement .")
    if story == 15:
        return (f"{cap(country)} bans {company} {product}",
                f"{cap(country)} has banned the {company} {product} , citing security concerns . {company} says it "
                f"is talking to officials there .")
    if story == 16:
        return (f"{company} targets {month} IPO at {big} billion dollar valuation",
                f"{company} has filed to go public and is seeking a valuation of {big} billion dollars . The listing "
                f"could happen as soon as {month} .")
    return (f"{company} {product} now used by {small} million people",
            f"The {company} {product} has reached {small} million users , the company said . It plans to add new "
            f"features later this year .")


def tldr_content_gen(rng: random.Random) -> Example:
    """Headline -> the two-sentence story of its kind, repeating every company, person, product, place and number."""
    headline, content = _news(rng)
    return Example({"headline": headline}, content)


def tldr_headline_gen(rng: random.Random) -> Example:
    """Story -> its headline: the story's kind decides the headline pattern, filled with the story's own values."""
    headline, content = _news(rng)
    return Example({"content": content}, headline)


# --- code -------------------------------------------------------------------------

# (parameter kind, function names, problem, python expression, javascript expression); {p} the parameter,
# {q} a second integer parameter, {k} the constant, {w} a short string constant
_CODE_KINDS = [
    ("int", "add_k, plus_k, increase, add_offset, shift_up", "returns {p} plus {k}", "{p} + {k}", "{p} + {k}"),
    ("int", "sub_k, minus_k, decrease, shift_down, lower_by", "returns {p} minus {k}", "{p} - {k}", "{p} - {k}"),
    ("int", "times_k, scale, multiply, scale_by, times", "returns {p} times {k}", "{p} * {k}", "{p} * {k}"),
    ("int", "power_k, raise_to, pow_k, to_power", "returns {p} raised to the power {s}", "{p} ** {s}", "{p} ** {s}"),
    ("int", "mod_k, remainder, modulo, rest_of", "returns the remainder of {p} divided by {k}", "{p} % {k}", "{p} % {k}"),
    ("int", "divisible, is_multiple, divides, is_divisible", "returns whether {p} is divisible by {k}",
     "{p} % {k} == 0", "{p} % {k} === 0"),
    ("int", "greater, is_above, exceeds, over_limit", "returns whether {p} is greater than {k}", "{p} > {k}", "{p} > {k}"),
    ("int", "less, is_below, under_limit, smaller_than", "returns whether {p} is less than {k}", "{p} < {k}", "{p} < {k}"),
    ("int", "equals_k, is_k, matches", "returns whether {p} is equal to {k}", "{p} == {k}", "{p} === {k}"),
    ("int", "cap, at_most, clamp_high, limit", "returns the smaller of {p} and {k}", "min({p}, {k})", "Math.min({p}, {k})"),
    ("int", "floor_at, at_least, clamp_low, bound_below", "returns the larger of {p} and {k}", "max({p}, {k})",
     "Math.max({p}, {k})"),
    ("int", "distance, gap, diff_from", "returns the absolute difference between {p} and {k}", "abs({p} - {k})",
     "Math.abs({p} - {k})"),
    ("int", "double_plus, twice_plus", "returns twice {p} plus {k}", "2 * {p} + {k}", "2 * {p} + {k}"),
    ("int", "square_plus, squared_plus", "returns the square of {p} plus {k}", "{p} * {p} + {k}", "{p} * {p} + {k}"),
    ("int", "int_div, whole_div, floor_div", "returns {p} divided by {k}, rounded down", "{p} // {k}",
     "Math.floor({p} / {k})"),
    ("int", "is_even, even", "returns whether {p} is even", "{p} % 2 == 0", "{p} % 2 === 0"),
    ("int", "negate, flip_sign, opposite", "returns {p} with its sign flipped", "-{p}", "-{p}"),
    ("int", "last_digit, ones_digit", "returns the last digit of {p} (assume {p} is not negative)", "{p} % 10", "{p} % 10"),
    ("int", "in_range, within, between", "returns whether {p} is between 0 and {k} inclusive",
     "0 <= {p} <= {k}", "0 <= {p} && {p} <= {k}"),
    ("int", "triangle, sum_to, total_up_to", "returns the sum of the integers from 1 to {p} (assume {p} is not negative)",
     "{p} * ({p} + 1) // 2", "{p} * ({p} + 1) / 2"),
    ("str", "repeat, copies, echo, duplicate", "returns {p} repeated {s} times", "{p} * {s}", "{p}.repeat({s})"),
    ("str", "prefix, first_chars, head_chars", "returns the first {s} characters of {p}", "{p}[:{s}]",
     "{p}.slice(0, {s})"),
    ("str", "suffix, last_chars, tail_chars", "returns the last {s} characters of {p}", "{p}[-{s}:]", "{p}.slice(-{s})"),
    ("str", "shout, to_upper, upper", "returns {p} in upper case", "{p}.upper()", "{p}.toUpperCase()"),
    ("str", "whisper, to_lower, lower", "returns {p} in lower case", "{p}.lower()", "{p}.toLowerCase()"),
    ("str", "length, size_of, count_chars", "returns the number of characters in {p}", "len({p})", "{p}.length"),
    ("str", "reverse, backwards, mirror", "returns {p} reversed", "{p}[::-1]", '{p}.split("").reverse().join("")'),
    ("str", "starts_with, has_prefix, begins_with", 'returns whether {p} starts with "{w}"', '{p}.startswith("{w}")',
     '{p}.startsWith("{w}")'),
    ("str", "ends_with, has_suffix, finishes_with", 'returns whether {p} ends with "{w}"', '{p}.endswith("{w}")',
     '{p}.endsWith("{w}")'),
    ("str", "contains, has_word, mentions", 'returns whether {p} contains "{w}"', '"{w}" in {p}', '{p}.includes("{w}")'),
    ("str", "add_suffix, append_tag, with_ending", 'returns {p} followed by "{w}"', '{p} + "{w}"', '{p} + "{w}"'),
    ("str", "add_prefix, prepend_tag, with_start", 'returns "{w}" followed by {p}', '"{w}" + {p}', '"{w}" + {p}'),
    ("str", "trim, strip_spaces, clean", "returns {p} without leading or trailing whitespace", "{p}.strip()",
     "{p}.trim()"),
    ("list", "head, first_k, take", "returns its first {s} elements", "{p}[:{s}]", "{p}.slice(0, {s})"),
    ("list", "tail, last_k, take_last", "returns its last {s} elements", "{p}[-{s}:]", "{p}.slice(-{s})"),
    ("list", "count, size, how_many", "returns the number of elements in it", "len({p})", "{p}.length"),
    ("list", "total, sum_all, add_up", "returns the sum of its elements", "sum({p})",
     "{p}.reduce((a, b) => a + b, 0)"),
    ("list", "scale_all, times_each, multiply_all", "returns a new list with every element multiplied by {k}",
     "[x * {k} for x in {p}]", "{p}.map((x) => x * {k})"),
    ("list", "above, keep_large, filter_above", "returns the elements greater than {k}", "[x for x in {p} if x > {k}]",
     "{p}.filter((x) => x > {k})"),
    ("list", "count_above, how_many_above", "returns how many elements are greater than {k}",
     "len([x for x in {p} if x > {k}])", "{p}.filter((x) => x > {k}).length"),
    ("list", "has_k, includes_k, contains_k", "returns whether it contains {k}", "{k} in {p}", "{p}.includes({k})"),
    ("list", "append_k, push_k, with_k", "returns a new list with {k} added at the end", "{p} + [{k}]", "[...{p}, {k}]"),
    ("list", "flip, reversed_list, backwards_list", "returns a new list with its elements in reverse order",
     "{p}[::-1]", "[...{p}].reverse()"),
    ("pair", "add, sum_two, plus", "returns their sum", "{p} + {q}", "{p} + {q}"),
    ("pair", "product, mul, times_two", "returns their product", "{p} * {q}", "{p} * {q}"),
    ("pair", "bigger, max_of, larger", "returns the larger of the two", "max({p}, {q})", "Math.max({p}, {q})"),
    ("pair", "smaller, min_of, lesser", "returns the smaller of the two", "min({p}, {q})", "Math.min({p}, {q})"),
    ("pair", "apart, abs_diff, distance_between", "returns the absolute difference between them", "abs({p} - {q})",
     "Math.abs({p} - {q})"),
    ("pair", "same, is_equal, equal", "returns whether they are equal", "{p} == {q}", "{p} === {q}"),
    ("pair", "weighted, combine, mix", "returns {p} plus {k} times {q}", "{p} + {k} * {q}", "{p} + {k} * {q}"),
    ("pair", "sum_over, total_exceeds, sum_above", "returns whether their sum is greater than {k}", "{p} + {q} > {k}",
     "{p} + {q} > {k}"),
]
_CODE_PARAMS = {
    "int": ["x", "n", "value", "num", "count", "score", "age", "amount", "size", "total"],
    "str": ["s", "text", "word", "name", "line", "message", "title", "label"],
    "list": ["xs", "items", "values", "nums", "numbers", "scores", "data", "arr"],
    "pair": [("a", "b"), ("x", "y"), ("m", "n"), ("first", "second"), ("left", "right"), ("width", "height")],
}
_CODE_TYPES = {"int": "an integer {p}", "str": "a string {p}", "list": "a list {p}",
               "pair": "two integers {p} and {q}"}
_CODE_OPENERS = ["Write a function `{f}` that takes {t} and", "Implement a function `{f}` that takes {t} and",
                 "Create a function named `{f}` that takes {t} and", "Define `{f}`, a function that takes {t} and",
                 "Write `{f}`: it takes {t} and"]
_CODE_STRINGS = words("ab, the, x, ing, un, re, ok, hello, abc, er, py, !, -, end, pre, a, zz, data")


def magicoder(rng: random.Random) -> Example:
    """A one-line function spec; the solution is `def`/`function` with the asked name and parameter names and a
    single return of the described expression (a correct solution, checked by running the Python ones)."""
    kind, names, problem, python_body, javascript_body = rng.choice(_CODE_KINDS)
    name, lang = rng.choice(words(names)), rng.choice(["Python", "JavaScript"])
    params = rng.choice(_CODE_PARAMS[kind])
    p, q = params if kind == "pair" else (params, "")
    values = dict(p=p, q=q, k=rng.randint(2, 99), s=rng.randint(2, 9), w=rng.choice(_CODE_STRINGS))
    if "power" in problem:
        values["s"] = rng.randint(2, 6)
    opener = rng.choice(_CODE_OPENERS).format(f=name, t=_CODE_TYPES[kind].format(**values))
    text = f"{opener} {problem.format(**values)}."
    signature = f"{p}, {q}" if kind == "pair" else p
    if lang == "Python":
        solution = f"def {name}({signature}):\n    return {python_body.format(**values)}"
    else:
        solution = f"function {name}({signature}) {{\n  return {javascript_body.format(**values)};\n}}"
    return Example({"problem": text, "lang": lang}, solution)
