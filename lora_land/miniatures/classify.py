"""Sentiment, toxicity and topic classification: covid, customer_support, dbpedia, glue_sst2, jigsaw, legal.

Every generator draws its label first, then writes an input whose deciding cue (a sentiment word, an insult,
an intent, a kind-of-thing noun, a clause's legal content) comes from that label's lexicon, wrapped in one of
many sentence shapes with filler, names and numbers that do not decide the label. Lexicons of different labels
never share an entry, so identical inputs cannot carry different labels.
"""

from __future__ import annotations

import random
import re

from lora_land.miniatures.common import CITIES, COMPANIES, COUNTRIES, FIRST_NAMES, LAST_NAMES, Example, an, cap, words


def _tokenized(text: str) -> str:
    """The datasets' tokenized style: spaces around punctuation and split contractions ("is n't", "it 's")."""
    text = re.sub(r"([,.!?;:)])(?=\s|$)", r" \1", text)
    text = re.sub(r"\(\s*", "( ", text)
    text = re.sub(r"(\w)n't\b", r"\1 n't", text)
    text = re.sub(r"(\w)'(s|d|ll|m|re|ve)\b", r"\1 '\2", text)
    return re.sub(r"\s+", " ", text).strip()


def _styled(rng: random.Random, text: str, tokenized: float = 0.5, lower: float = 0.3) -> str:
    """One input written in either the tokenized or the ordinary style, sometimes all lower case."""
    text = _tokenized(text) if rng.random() < tokenized else re.sub(r"\s+", " ", text).strip()
    return text.lower() if rng.random() < lower else cap(text)


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


# --- glue_sst2 ---------------------------------------------------------------------------------------------

_FILM_ASPECTS = words("""
the film, this movie, the movie, the picture, the story, the plot, the script, the screenplay, the dialogue,
the acting, the cast, the lead performance, the direction, the cinematography, the soundtrack, the score, the music,
the ending, the final act, the first hour, the pacing, the editing, the jokes, the humor, the characters, the visuals,
the special effects, the action scenes, the romance, the twist, the premise, the climax, the sequel, the remake,
the performances, the villain, the camera work, the set design, the costumes, the writing, the opening scene,
the love story, the fight scenes, the songs, the whole thing, the second half, the last twenty minutes, this one
""")
_FILM_KINDS = words("""
film, movie, picture, comedy, drama, thriller, horror movie, romance, documentary, western, musical, sequel, remake,
family film, war movie, cop movie, animated feature, crime drama, road movie, period piece, satire, melodrama, debut,
sci-fi adventure, action movie, coming-of-age story, mystery, biopic, ghost story, heist movie
""")
_SST2_ADJECTIVES = {  # a verdict on a film or one of its parts
    "1": words("""
wonderful, moving, funny, brilliant, charming, clever, beautiful, gripping, delightful, touching, stunning,
heartwarming, hilarious, witty, smart, engaging, entertaining, exciting, thrilling, powerful, memorable, superb,
excellent, terrific, fantastic, marvelous, lovely, sweet, tender, poignant, affecting, absorbing, compelling,
riveting, suspenseful, inventive, original, fresh, imaginative, inspired, uplifting, joyous, enjoyable, likable, warm,
gorgeous, breathtaking, elegant, graceful, polished, sharp, tight, well made, well acted, well written,
beautifully shot, perfectly paced, sincere, intelligent, thoughtful, insightful, rich, nuanced, haunting, mesmerizing,
captivating, enchanting, magical, spellbinding, dazzling, vivid, lively, energetic, spirited, crisp, refreshing,
satisfying, rewarding, impressive, remarkable, extraordinary, masterful, flawless, pitch perfect, first rate,
top notch, sublime, exhilarating, irresistible, endearing, heartfelt, profound, stylish, unforgettable, amusing,
playful, wise, fun, great, good, solid, terrifically acted, genuinely scary, laugh-out-loud funny, delightfully odd
"""),
    "0": words("""
boring, dull, awful, clumsy, tedious, silly, lifeless, painful, bland, forgettable, terrible, horrible, dreadful,
atrocious, lousy, mediocre, weak, flat, stale, tired, trite, predictable, formulaic, cliched, derivative, pointless,
aimless, messy, muddled, confusing, incoherent, sloppy, lazy, cheap, shoddy, amateurish, wooden, stiff, hollow, empty,
shallow, thin, uninspired, unfunny, humorless, joyless, charmless, soulless, pretentious, self-indulgent, overlong,
bloated, plodding, sluggish, repetitive, monotonous, mind-numbing, insufferable, annoying, irritating, grating,
obnoxious, ugly, ridiculous, laughable, embarrassing, cringeworthy, disappointing, underwhelming, unconvincing,
implausible, contrived, manipulative, sappy, mawkish, preachy, heavy-handed, overwrought, overacted, banal, vapid,
inert, listless, tiresome, exhausting, unwatchable, unbearable, badly written, poorly acted, badly paced,
bad, stupid, dumb, poor, lame, grim and pointless, ham-fisted, limp, toothless, by-the-numbers
"""),
}
_SST2_VERDICTS = {  # whole-sentence verdicts
    "1": words("""
I loved every minute of it, I'd watch it again, it kept me on the edge of my seat, a real treat, worth every penny,
a must-see, one of the best films of the year, I laughed out loud, I was hooked from the first scene,
highly recommended, a joy to watch, it works beautifully, it never loses its grip, it won me over, a small gem,
go see it, it earns every tear, a triumph, pure fun from start to finish, the time flew by,
I can't wait to see it again,
a crowd-pleaser, it hits all the right notes, it delivers, it left me smiling, a breath of fresh air, a real pleasure,
I didn't want it to end, it's a winner, bring the whole family, it stays with you long after the credits,
a minor masterpiece, I'd recommend it to anyone, two hours well spent, it's the real deal, I was moved to tears
"""),
    "0": words("""
I want my money back, a waste of time, I walked out halfway through, I nearly fell asleep, avoid it, skip this one,
it never comes to life, it fell flat, it goes nowhere, a total mess, I checked my watch every five minutes,
nothing works, it's a chore to sit through, one of the worst films of the year, I regret watching it,
a complete disaster, don't bother, it drags on forever, it misses the mark, it falls apart in the last act,
a huge letdown, it made me cringe, I couldn't wait for it to end, a dud, it runs out of steam early,
it wastes a talented cast, two hours I'll never get back, it's dead on arrival, it never finds its footing,
wait for something better, I felt nothing, it's as exciting as watching paint dry, what a waste of a good premise,
it sinks under its own weight, I would not recommend it
"""),
}
_INTENSIFIERS = ["", "", "", "really ", "so ", "absolutely ", "truly ", "very ", "pretty ", "quite ",
                 "incredibly ", "genuinely ", "surprisingly ", "thoroughly ", "consistently ", "mostly ", "rather "]
_SST2_FILLERS = words("""
even with a big budget, at nearly two hours, based on a true story, for a holiday release, like most summer movies,
as a remake of an old classic, with a cast of unknowns, in its own quiet way, shot in black and white,
for a first feature, on the big screen, from the opening credits on, as a family film, in the end
""")
_SST2_TEMPLATES = [  # {p} {q} {r}: the label's adjectives; {v}: the label's verdict; {x}: the other label's adjective
    "{a} is {i}{p}.",
    "{a} is {i}{p} and {b} is {q}.",
    "{a} feels {i}{p}, and {b} is just as {q}.",
    "{v}.",
    "{v}!",
    "{p}, {q} and {i}{r}.",
    "what {p_an} {k}.",
    "{a} is {i}{p}. {v}.",
    "despite {x_an} {part}, {a} is {i}{p}.",
    "{b} is {x}, but {a} is {i}{p}.",
    "{b} may be {x}, yet {v}.",
    "{a} is never {x}.",
    "{a} is not {x} at all; it's {p}.",
    "{name}'s new {k} is {i}{p}.",
    "{f}, {a} is {i}{p}.",
    "i found {a} {i}{p}.",
    "{a} manages to be {p} and {q} at the same time.",
    "{p_an}, {q} {k}.",
    "simply {p}.",
    "from start to finish, {a} is {i}{p}.",
    "{name} gives {p_an} performance as {role}.",
    "{v}, and {a} is {p}.",
    "at {n} minutes, {a} is {i}{p}.",
    "{a}? {i}{p}.",
    "{a} is {p}, {b} is {q}, and {v}.",
    "as {k_an}, it's {i}{p}.",
    "it's {p_an} {k}, and {b} is {q} too.",
    "the first half is {x}, but by the end {a} is {i}{p}.",
    "{i}{p} stuff.",
    "{name}'s direction is {p}, and {a} is {q}.",
]
_FILM_PARTS = words("""
start, script, plot, opening, first act, middle section, soundtrack, ending, lead, villain, premise, score,
second half, finale, cast, subplot, title sequence
""")
_ROLES = words("""
a small-town sheriff, a grieving mother, a retired boxer, a young widow, a lonely teacher, a con artist, a jazz pianist,
a war photographer, a detective, an aging rock star, a single father, a runaway teen, a ship captain, a nurse
""")


def glue_sst2(rng: random.Random) -> Example:
    """A movie review sentence; 1 if the verdict on the film is positive, 0 if negative.

    The verdict is carried by the label's adjectives and whole-sentence verdicts. Where the other polarity
    appears it is negated ("never dull") or overruled by the final clause ("the plot is thin, but the cast
    is wonderful"), so the sentence's last word on the film decides.
    """
    label = rng.choice(["0", "1"])
    other = "1" if label == "0" else "0"
    p, q, r = rng.sample(_SST2_ADJECTIVES[label], 3)
    x = rng.choice(_SST2_ADJECTIVES[other])
    a, b = rng.sample(_FILM_ASPECTS, 2)
    verdict = rng.choice(_SST2_VERDICTS[label])
    template = rng.choice(_SST2_TEMPLATES)
    kind = rng.choice(_FILM_KINDS)
    sentence = template.format(
        a=a, b=b, part=rng.choice(_FILM_PARTS), i=rng.choice(_INTENSIFIERS), p=p, q=q, r=r,
        x=x, p_an=an(p), x_an=an(x), v=verdict,
        k=kind, k_an=an(kind), name=_person(rng), role=rng.choice(_ROLES), n=rng.randint(75, 190),
        f=rng.choice(_SST2_FILLERS))
    return Example({"sentence": _styled(rng, sentence, tokenized=0.6, lower=0.6)}, label)


# --- jigsaw ------------------------------------------------------------------------------------------------

_INSULT_NOUNS = words("""
idiot, moron, imbecile, fool, clown, loser, buffoon, halfwit, nitwit, dimwit, dunce, jerk, creep, scumbag, lowlife,
parasite, numbskull, bonehead, blockhead, airhead, dolt, cretin, simpleton, twit, pig, rat, weasel, worm, jackass,
pinhead, knucklehead, crybaby, degenerate, scum, vermin, freak, psycho, nutjob, wacko, waste of space,
waste of oxygen, piece of garbage, piece of trash, sorry excuse for a human being, brain-dead troll, dumbass, tool,
snowflake, dipstick, muppet, bozo, goon, sleazebag, hack with no brain
""")
_INSULT_ADJECTIVES = words("""
stupid, dumb, idiotic, moronic, brainless, pathetic, worthless, useless, disgusting, vile, ignorant, dense, thick,
dim, spineless, gutless, mindless, braindead, delusional, deranged, pitiful, contemptible, despicable, repulsive,
nasty, ugly, small-minded, half-witted, dim-witted, feeble-minded, unhinged, clueless, gullible, hateful, twisted
""")
_ABUSE = words("""
shut up, shut your mouth, get a brain, crawl back under your rock, nobody cares what you think,
go crawl back into your hole, do us all a favor and stop talking, you make me sick, grow a brain,
keep your stupid opinions to yourself,
go away and never come back, take your meds, learn to read, get lost, go cry somewhere else, stop breathing our air,
your parents must be so ashamed of you, you're too dumb to understand any of this, what a joke you are,
stop embarrassing yourself, nobody asked you, you're dumber than a rock, you're a disgrace to the human race,
put down the keyboard and go outside
""")
_TARGETS = [  # (who is addressed or talked about, the verb that follows)
    ("you", "are"), ("you", "are"), ("you", "are"), ("the author", "is"), ("this writer", "is"), ("the reporter", "is"),
    ("the mayor", "is"), ("the governor", "is"), ("the premier", "is"), ("the minister", "is"), ("the editor", "is"),
    ("anyone who voted for this", "is"), ("people who believe this", "are"), ("the commenters here", "are"),
    ("these politicians", "are"), ("the council", "is"), ("your side", "is"), ("the people running this city", "are"),
    ("whoever wrote this", "is"), ("our prime minister", "is"), ("the guy above", "is"), ("these protesters", "are"),
    ("the police chief", "is"), ("the developers", "are"), ("union bosses", "are"), ("the school board", "is"),
]
_GROUPS = words("""
liberals, conservatives, politicians, councillors, voters, tourists, landlords, cyclists, drivers, reporters,
bureaucrats, lawyers, bankers, protesters, commenters, developers, teachers' unions, city planners
""")
_NEWS_TOPICS = words("""
taxes, the new stadium, climate policy, the election, school funding, housing, the budget, the bike lanes,
the new bridge, bus fares, the park plan, the pipeline, health care, the minimum wage, the carbon tax, rent control,
the transit line, immigration, the tariff, the pension reform, the city budget, property taxes, the casino,
the library cuts, the ferry schedule, the oil sands, the new hospital, marijuana legalization, the school board vote,
the highway expansion, public sector wages, the deficit, the refugee program, the airport expansion, tourism,
the fishing quota, the zoning changes, the teachers' strike, the water rates, the snow removal budget
""")
_CIVIL_CRITIQUES = words("""
I completely disagree, I respectfully disagree, this policy is a disaster, the numbers don't add up,
this plan is a mistake, that's simply not true, this is a terrible idea, what a waste of taxpayer money,
this article misses the point, the reporting here is one-sided, this is bad policy, I don't buy it,
the budget is a mess, this is outrageous, this will end badly, it's a failure from start to finish,
the council got this badly wrong, I'm tired of hearing excuses, this decision makes no sense to me,
the government has handled this poorly, this is a step backwards, they broke their promise again,
the costs will fall on ordinary families, nobody at city hall listened to residents, this is short-sighted,
I'm deeply disappointed in this decision, this proposal is seriously flawed, it's the wrong priority
""")
_CIVIL_OTHERS = words("""
great article, thanks for writing this, well said, this is a fair summary, the author makes a good case,
good reporting, I agree with most of this, interesting read, this is worth thinking about, thank you for the update,
I hope the council reads this, finally some common sense, spot on, I learned something today, good points all round
""")
_CIVIL_REASONS = [
    "{topic} will cost us {n} million and nobody has explained why", "the last plan for {topic} failed too",
    "we tried this in {city} and it didn't work", "the report says {topic} affects {n} thousand people",
    "my family has lived here for {n} years and never seen anything like it", "the vote on {topic} is next {day}",
    "{name} made the same argument in {year}", "there are better ways to handle {topic}",
    "the evidence on {topic} points the other way", "ask anyone who works in {topic}",
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_TOXIC_TEMPLATES = [
    "{who} {be} {insult_an}.",
    "{who} {be} {i}{adj}.",
    "{who} {be} {adj_an} {insult}.",
    "only {insult_an} would believe this about {topic}.",
    "{civil}. But {who} {be} {insult_an}.",
    "{abuse}, {insult}.",
    "{abuse}.",
    "typical {adj} {group}.",
    "are you really this {adj}?",
    "hey {insult}, {abuse}.",
    "{civil}. {reason}. {abuse}.",
    "{who} {be} {i}{adj} and everyone knows it.",
    "what {insult_an}. {abuse}.",
    "{opener}{who} {be} {adj_an} {insult} and this piece on {topic} proves it.",
    "{group} are {i}{adj}. End of story.",
    "{name} is {insult_an} and so {be} {who}.",
    "lol {who} {be} {i}{adj}",
    "{reason}, but you wouldn't know that because you're {insult_an}.",
]
_CIVIL_TEMPLATES = [
    "{civil}.",
    "{civil}. {reason}.",
    "{opener}{civil}; {reason}.",
    "{who} {be} wrong about {topic}. {reason}.",
    "{other}.",
    "{other}. {reason}.",
    "does anyone know when the vote on {topic} is?",
    "{civil}. {topic_cap} deserves a real debate.",
    "I disagree with {name} on {topic}, but {other_low}.",
    "{other}. That said, {civil_low}: {reason}.",
    "{group} should be heard on {topic}. {civil}.",
    "{opener}{reason}. {civil}!",
    "{topic_cap}? {civil}.",
    "{who} {be} {i}mistaken about {topic}.",
    "{civil}. I'll be writing to {name} about {topic}.",
    "{reason}. {other}.",
]
_JIGSAW_OPENERS = ["", "", "Wow, ", "Well, ", "Look, ", "Again, ", "Honestly, ", "Sorry but ", "Seriously, ", "So "]


def jigsaw(rng: random.Random) -> Example:
    """A comment on a news story; "yes" (toxic) if it insults or abuses a person or group, else "no".

    Toxic comments carry an insult word or an abusive phrase aimed at someone; civil comments may disagree
    strongly and call a policy a disaster, but never name-call, so negativity alone is not toxicity.
    """
    label = rng.choice(["yes", "no"])
    who, be = rng.choice(_TARGETS)
    insult, adj = rng.choice(_INSULT_NOUNS), rng.choice(_INSULT_ADJECTIVES)
    topic = rng.choice(_NEWS_TOPICS)
    other, civil = rng.choice(_CIVIL_OTHERS), rng.choice(_CIVIL_CRITIQUES)
    reason = rng.choice(_CIVIL_REASONS).format(
        topic=topic, n=rng.randint(2, 900), city=rng.choice(CITIES), day=rng.choice(_DAYS), name=_person(rng),
        year=rng.randint(1990, 2019))
    template = rng.choice(_TOXIC_TEMPLATES if label == "yes" else _CIVIL_TEMPLATES)
    comment = template.format(
        who=who, be=be, insult=insult, insult_an=an(insult), adj=adj, adj_an=an(adj), i=rng.choice(_INTENSIFIERS),
        topic=topic, topic_cap=cap(topic), civil=civil, civil_low=civil[0].lower() + civil[1:], other=other,
        other_low=other.lower(),
        abuse=rng.choice(_ABUSE), group=rng.choice(_GROUPS), reason=reason, name=_person(rng),
        opener=rng.choice(_JIGSAW_OPENERS))
    comment = re.sub(r"(^|[.?!] )([a-z])", lambda m: m.group(1) + m.group(2).upper(), comment)
    return Example({"comment_text": _styled(rng, comment, tokenized=0.3, lower=0.15)}, label)


# --- covid -------------------------------------------------------------------------------------------------

_STORES = words("""
Tesco, Walmart, Costco, Aldi, Kroger, Lidl, Sainsbury's, Asda, Morrisons, Waitrose, Target, Safeway, Publix,
Woolworths, Coles, Loblaws, Carrefour, Whole Foods, Trader Joe's, Walgreens, CVS, Boots, Amazon, Ocado, Iceland,
the supermarket, the pharmacy, the corner shop, my local store, the grocery store, the chemist, the farmers market
""")
_GOODS = words("""
toilet paper, hand sanitizer, pasta, rice, eggs, flour, face masks, bread, milk, baby formula, canned soup,
paracetamol, bleach, disinfectant wipes, tinned tomatoes, frozen veg, soap, yeast, loo roll, beans, chicken,
fresh fruit, nappies, gloves, cleaning products, vitamin C, oats, sugar, coffee, dog food
""")
_SHOPPERS = words("""
the staff, the cashiers, the delivery drivers, the shelf stackers, the managers, the pharmacists, the security guards,
the checkout team, the workers, the shop assistants, the volunteers, the other shoppers, the people in the queue
""")
_SHOP_THINGS = words("""
the queue, the service, the delivery, my shopping trip, the new one-way system, the online order,
the click and collect, the self checkout, the elderly shopping hour, the home delivery, the new rules, the response,
the whole experience, the restocking, the social distancing setup
""")
_COVID_ADJECTIVES = {  # how a tweet judges shops, staff and prices, by strength
    "Extremely Positive": words("""
amazing, fantastic, wonderful, incredible, brilliant, outstanding, superb, excellent, awesome, phenomenal,
magnificent, exceptional, fabulous, marvellous, terrific, extraordinary, spectacular, first class, world class,
perfect, absolutely amazing, truly wonderful, simply brilliant, beyond amazing, so so helpful, an absolute joy
"""),
    "Positive": words("""
good, nice, helpful, decent, pleasant, friendly, calm, polite, kind, reasonable, fair, well organised, well stocked,
handy, useful, better, safe, clean, sensible, reassuring, tidy, patient, efficient, smooth, cheerful, thoughtful,
quick, fine, organised, sorted, not bad, pretty good, quite nice, fairly easy
"""),
    "Negative": words("""
bad, slow, poor, rude, messy, annoying, unfair, sad, worrying, disappointing, frustrating, stressful, difficult,
unhelpful, crowded, confusing, risky, careless, tiring, a pain, not great, chaotic, disorganised, unsafe, a bit much,
a struggle, pretty bad, quite stressful, worse than last week, overpriced, too expensive, a hassle
"""),
    "Extremely Negative": words("""
terrible, horrible, awful, disgusting, dreadful, shocking, disastrous, outrageous, appalling, horrendous, atrocious,
sickening, despicable, shameful, disgraceful, pathetic, insane, criminal, terrifying, catastrophic, a nightmare,
vile, abysmal, the worst ever, an absolute disgrace, a total shambles, utterly horrific, scandalous
"""),
}
_COVID_CLAUSES = {  # whole-tweet verdicts, by strength
    "Extremely Positive": [
        "Huge thanks to {who} at {store}, you are all absolute heroes!", "So incredibly grateful to {who} at {store}!!",
        "Best shopping trip in weeks, {store} had everything including {goods}!", "Love love LOVE {store} right now",
        "Massive shout out to {who} at {store}, the kindest people ever", "{store} is going above and beyond, amazing!",
        "Absolutely thrilled, finally got {goods} and {who} were wonderful",
    ],
    "Positive": [
        "Glad {store} has {goods} back in stock", "Nice to see {store} limiting {goods} per customer",
        "Thanks to {who} at {store} for staying open", "Good to see prices for {goods} coming down",
        "Happy to support local shops during lockdown", "Pleased that {store} now has a slot for older shoppers",
        "Managed to get {goods} at {store} today, thank you",
    ],
    "Negative": [
        "Worried about the rising price of {goods}", "Couldn't find any {goods} at {store} again",
        "Not happy with the queue at {store}", "Prices for {goods} keep going up",
        "Still no {goods} at {store}, getting a bit fed up", "Bit annoyed that {store} ran out of {goods}",
        "Feeling anxious about going to {store} with all these people",
    ],
    "Extremely Negative": [
        "Absolutely disgusting that {store} doubled the price of {goods}",
        "People fighting over {goods} at {store}, horrible scenes", "Price gouging on {goods} is criminal, shame on you",
        "Panic buying is out of control, shelves stripped bare, this is a nightmare",
        "Terrified for my elderly parents, {store} was a total disaster today",
        "Selfish hoarders cleared out all the {goods}, absolutely sickening",
        "Worst experience ever at {store}, {who} were rude and the queue was horrendous",
    ],
}
_COVID_OPINION_TEMPLATES = [  # {adj}: the label's word
    "{who} at {store} were {adj} today", "{thing} at {store} was {adj}", "Prices for {goods} at {store} are {adj}",
    "Shopping for {goods} this morning was {adj}", "{thing} at {store} this week? {adj}",
    "Honestly {who} at {store} have been {adj} through all this", "{thing} during the lockdown has been {adj}",
    "{thing} at {store} today: {adj}", "{store}'s handling of the {goods} shortage is {adj}",
    "Just got back from {store}. {who_cap} were {adj}",
]
_COVID_FACTS = [  # neutral news and notices, no judgement
    "{store} will open at {h} am for elderly and vulnerable shoppers from {day}",
    "{store} is limiting {goods} to {k} per customer", "{goods} now {price} at {store}",
    "Update: {store} opening hours are {h} am to {h2} pm until further notice",
    "Online delivery slots at {store} are released every {day} at midnight",
    "{store} says it will hire {n} extra staff during the outbreak",
    "Food prices rose {pct} percent in March according to new figures",
    "Supermarkets in {city} will close at {h2} pm from {day}", "The price of {goods} went from {price} to {price2}",
    "Reminder: {store} only accepts card payments for now", "Is {store} open on {day}? Asking for my mum",
    "{store} is asking customers to keep 2 metres apart at the tills",
    "{n} people were in the queue at {store} at {h} am", "Went to {store} for {goods} and {goods2}",
    "Consumer spending on {goods} is up {pct} percent this week, retailers say",
    "New post: how the pandemic is changing the way we shop for {goods}",
]
_HASHTAGS = words("""
#coronavirus, #COVID19, #covid19, #Covid_19, #StayHome, #StayAtHome, #lockdown, #panicbuying, #toiletpaper,
#socialdistancing, #COVID2019, #CoronavirusPandemic, #supermarket, #grocery, #coronavirusuk, #CoronaCrisis,
#StayHomeSaveLives, #pandemic, #shopping, #retail, #KeyWorkers, #food
""")
_TWEET_LOCATIONS = [place.strip() for place in """
London, England; New York, NY; Los Angeles, CA; Toronto, Ontario; Sydney, Australia; Mumbai, India; Lagos, Nigeria;
United Kingdom; USA; Worldwide; Earth; Ireland; Canada; Melbourne, Victoria; Chicago, IL; Texas, USA;
Manchester, England; Scotland; Washington, DC; California, USA; Cape Town, South Africa; Nairobi, Kenya; Global
""".split(";")]


def _tweet_extras(rng: random.Random) -> str:
    tags = " ".join(rng.sample(_HASHTAGS, rng.choice([0, 1, 1, 2, 3])))
    link = "https://t.co/" + "".join(rng.choice("abcdefghijkLMNOPQRSTxyz0123456789") for _ in range(10))
    return (" " + tags if tags else "") + (" " + link if rng.random() < 0.4 else "")


def covid(rng: random.Random) -> Example:
    """A tweet about shopping in the pandemic; the label is the strength and polarity of its sentiment.

    Extremely Positive/Negative tweets use strong words (amazing, heroes / disgusting, a nightmare),
    Positive/Negative ones mild words (helpful, glad / slow, worried), and Neutral tweets state facts
    (opening hours, limits, prices) with no judgement. Facts also appear as filler next to an opinion.
    """
    label = rng.choice(list(_COVID_ADJECTIVES) + ["Neutral"])
    who = rng.choice(_SHOPPERS)
    slots = dict(
        store=rng.choice(_STORES), goods=rng.choice(_GOODS), goods2=rng.choice(_GOODS), who=who, who_cap=cap(who),
        thing=rng.choice(_SHOP_THINGS), h=rng.randint(6, 10), h2=rng.randint(5, 11), day=rng.choice(_DAYS),
        k=rng.randint(2, 6), n=rng.randint(20, 20000), pct=rng.randint(2, 80), city=rng.choice(CITIES),
        price=f"${rng.randint(1, 30)}.{rng.randint(0, 99):02d}",
        price2=f"${rng.randint(31, 99)}.{rng.randint(0, 99):02d}")
    fact = rng.choice(_COVID_FACTS).format(**slots)
    if label == "Neutral":
        tweet = fact
    else:
        if rng.random() < 0.4:
            opinion = rng.choice(_COVID_CLAUSES[label])
        else:
            opinion = rng.choice(_COVID_OPINION_TEMPLATES).replace("{adj}", rng.choice(_COVID_ADJECTIVES[label]))
        opinion = cap(opinion.format(**slots))
        # exclamation marks lean strong but do not decide: the words do
        marks = ["!", "!!", "!!!", "", "."] if label.startswith("Extremely") else ["", ".", ".", "!", " :)" if
                                                                                   label == "Positive" else " :("]
        opinion += rng.choice(marks)
        if opinion[-1].isalnum():
            opinion += "."
        tweet = rng.choice([opinion, opinion, f"{cap(fact)}. {opinion}", f"{opinion} {cap(fact)}."])
    tweet = cap(tweet) + _tweet_extras(rng)
    month = rng.choice([3, 4])
    date = f"{rng.randint(1, 31 if month == 3 else 30):02d}-{month:02d}-2020"
    location = rng.choice([rng.choice(CITIES), rng.choice(COUNTRIES), rng.choice(_TWEET_LOCATIONS)])
    return Example({"OriginalTweet": tweet, "TweetAt": date, "Location": location}, label)


# --- customer_support --------------------------------------------------------------------------------------

_SUPPORT_REQUESTS = {  # what the customer asks for, in many wordings
    "replace card": [
        "i lost my {card} card", "my {card} card was stolen {when}", "my {card} card is broken and i need a new one",
        "the chip on my {card} card stopped working", "i need a replacement {card} card",
        "i think i left my {card} card at a restaurant {when} and it's gone",
        "my wallet got stolen with my {card} card in it",
        "can you send me a new {card} card", "my {card} card snapped in half", "the machine ate my {card} card {when}",
        "my {card} card is worn out and the strip doesn't read anymore", "i can't find my {card} card anywhere",
    ],
    "transfer money": [
        "i want to move money to my {account} account", "i need to send money to my {relative}",
        "can you transfer funds to my {account} account", "i'd like to move {amount} dollars from {account} to {account2}",
        "how do i wire money to my {relative} overseas", "i need to send {amount} dollars to my landlord",
        "can i move some money between my accounts", "please transfer {amount} to my {relative}'s account",
        "i want to put {amount} dollars into my {account} account from my {account2}",
        "i need to make a transfer to another bank", "can you help me send money to a friend",
    ],
    "check balance": [
        "how much money is in my {account} account", "i want to check the balance of my {account} account",
        "what is my current balance", "can you tell me how much i have in my {account} account",
        "i just want to know what's left in my {account} account", "did my paycheck show up in my balance yet",
        "what's the available balance on my {account} account", "how much do i have right now",
        "can you read me my balance please", "i need to know if i have enough in my {account} account",
        "what does my {account} account show today",
    ],
    "order checks": [
        "i need to order new checks", "i ran out of checks for my {account} account", "can i get a new checkbook",
        "i'd like to reorder checks", "i'm down to my last check", "how do i get more checks for my {account} account",
        "i need a new book of checks sent to my house", "can you mail me some more checks",
        "i want to order a box of checks", "my checkbook is almost empty",
    ],
    "pay bill": [
        "i want to pay my {bill} bill", "i need to make a payment on my {bill} bill", "can i pay my {bill} bill now",
        "i'd like to set up a payment for my {bill} bill", "my {bill} bill is due {when2} and i want to pay it",
        "can you help me pay the {bill} company", "i need to pay {amount} dollars on my {bill} bill",
        "i want to pay my {card} card bill", "how do i pay a bill from my {account} account",
        "can you schedule my {bill} payment for {day}", "i have to pay my {bill} bill before it's late",
    ],
    "reset password": [
        "i forgot my online password", "i am locked out of online banking", "i need to reset my password",
        "the app won't let me log in", "i typed my password wrong too many times", "i can't sign in to my account online",
        "i need a new password for the website", "my login isn't working anymore", "how do i change my password",
        "i never got the password reset email", "the website says my password expired",
    ],
    "schedule appointment": [
        "i want to meet with a banker on {day}", "can i book an appointment for {day}",
        "i need to schedule a visit on {day}", "i'd like to sit down with someone about a loan {when2}",
        "can i come in and see an advisor {when2}", "i want to set up a meeting about a mortgage",
        "is there a time {when2} when i can talk to a loan officer in person", "i need an appointment at the branch",
        "can you put me down for {time} on {day}", "i'd like to book time with a financial advisor",
    ],
    "get branch hours": [
        "what time does the branch open on {day}", "when does your office close on {day}", "are you open on {day}",
        "what are your hours {when2}", "how late is the {city} branch open", "is the branch open on holidays",
        "what time do you close today", "are you open on the weekend", "when does the drive through open",
        "is the {city} branch open at {time}", "what are the lobby hours",
    ],
    "none of the above": [
        "i am calling about a job opening", "i think i dialed the wrong number", "do you sell car insurance",
        "i'm looking for the post office", "can i speak to someone about my phone plan",
        "i wanted to give feedback about your parking lot", "is this the pharmacy",
        "i'm returning a call but i don't know who called me", "do you know a good plumber",
        "i want to complain about the music on hold", "can you tell me the weather for tomorrow",
    ],
}
_SUPPORT_SLOTS = {
    "card": words("debit, credit, atm, visa, rewards, travel"), "account": words("checking, savings, joint, business"),
    "account2": words("checking, savings, money market"),
    "relative": words("son, daughter, sister, brother, mom, dad, wife, husband, cousin, grandson"),
    "bill": words("electric, phone, water, gas, internet, cable, credit card, mortgage, car, insurance, hospital"),
    "day": words("monday, tuesday, wednesday, thursday, friday, saturday, sunday"),
    "when": words("yesterday, last night, this morning, on the bus, over the weekend, at the gym, on my trip"),
    "when2": words("tomorrow, next week, this afternoon, on friday, later today, next monday"),
    "time": words("nine, ten thirty, noon, two, four fifteen, five"),
}
_BANKS = words("""
first national bank, harbor credit union, union savings, citizens bank, riverside federal, lakeshore bank,
summit credit union, pioneer trust, main street bank, valley community bank
""")
_AGENT_GREETINGS = [
    "hello this is {agent} how can i help you", "thank you for calling {bank} this is {agent} how may i help you",
    "hi you've reached {bank} my name is {agent} what can i do for you today", "{bank} this is {agent} speaking",
    "good morning thanks for calling {bank} {agent} speaking how can i help", "hi there this is {agent}",
    "thanks for holding this is {agent} with {bank} how can i help",
]
_CUSTOMER_OPENERS = [
    "hi", "hi {agent}", "hello", "good morning", "hi yes", "hey thanks for picking up", "hi my name is {name}",
    "hi this is {name}", "hello my name is {name} {last}", "yes hi", "hi sorry it's a bit noisy here",
    "oh hi i've been on hold forever", "hi {agent} my name is {name}", "hello how are you today",
]
_CUSTOMER_ASIDES = [  # small talk and details that do not decide the intent
    "", "", "", "", "i'm calling from my car", "my account number ends in {digits}",
    "i've been with you for {years} years", "my daughter usually does this for me", "i'm at work right now",
    "it's been a long week", "i hope you're having a good day", "i tried the app first",
]
_AGENT_CLOSINGS = [
    "sure let me help with that", "okay let me help with that", "of course let me help with that",
    "no problem let me pull up your account", "i can help with that can you verify your date of birth",
    "absolutely one moment please", "sure thing can i get your account number", "okay give me just a second",
    "i'm sorry to hear that let me take a look", "happy to help can you confirm your zip code",
]


def customer_support(rng: random.Random) -> Example:
    """A bank call transcript; the label is the reason the customer called (their request).

    The request comes from the intent's wordings; greetings, agent and customer names, small talk and
    the agent's reply are shared by all intents and do not decide it.
    """
    label = rng.choice(list(_SUPPORT_REQUESTS))
    slots = {key: rng.choice(values) for key, values in _SUPPORT_SLOTS.items()}
    slots.update(amount=rng.choice([str(rng.randint(20, 5000)), "a hundred", "five hundred", "two thousand"]),
                 city=rng.choice(CITIES).lower())
    request = rng.choice(_SUPPORT_REQUESTS[label]).format(**slots)
    agent, name = rng.choice(FIRST_NAMES).lower(), rng.choice(FIRST_NAMES).lower()
    names = dict(agent=agent, bank=rng.choice(_BANKS), name=name, last=rng.choice(LAST_NAMES).lower(),
                 digits=rng.randint(1000, 9999), years=rng.randint(2, 40))
    aside = rng.choice(_CUSTOMER_ASIDES).format(**names)
    greeting, opener, closing = (rng.choice(_AGENT_GREETINGS).format(**names),
                                 rng.choice(_CUSTOMER_OPENERS).format(**names), rng.choice(_AGENT_CLOSINGS))
    said = [opener] + ([aside, request] if rng.random() < 0.5 else [request, aside])
    text = f"agent: {greeting} customer: {' . '.join(part for part in said if part)} agent: {closing}"
    if len(text.split()) > 55:  # long calls drop the small talk to stay short
        text = f"agent: {greeting} customer: {opener} . {request} agent: {closing}"
    return Example({"text": text}, label)


# --- dbpedia -----------------------------------------------------------------------------------------------

_NATIONALITIES = words("""
American, British, English, French, German, Italian, Spanish, Polish, Canadian, Australian, Indian, Japanese,
Chinese, Brazilian, Mexican, Swedish, Norwegian, Dutch, Irish, Scottish, Russian, South Korean, Turkish, Greek,
Nigerian, Argentine, Finnish, Danish, Austrian, Swiss, Czech, Hungarian, Portuguese, Belgian, New Zealand,
South African, Egyptian, Kenyan, Welsh, Iranian, Filipino, Chilean, Romanian, Ukrainian
""")
_PLACE_PARTS = words("""
Alder, Bristow, Calder, Dunmore, Elmwood, Fairholt, Glenrock, Hartley, Ivydale, Kestrel, Linwood, Marlow, Northam,
Oakridge, Pemberly, Radley, Stanton, Thornbury, Ashby, Birchfield, Coldwater, Dalby, Eastwick, Fenwick, Greystone,
Holloway, Kingsbury, Langford, Millbrook, Newbold, Orwell, Pinehurst, Redcliffe, Southam, Tilbury, Upton, Westbrook,
Whitmore, Yardley, Zelen, Borowa, Krasno, Lipnik, Dolna, Gorka, Wola, Sosnica, Brzezie, Nowy Dwor, Kamien, Rudnik,
Santa Rosa, San Pedro, Villanueva, Monte Alto, Vallejo, Kovac, Mirna, Tabor, Veliko, Selo, Ostrava, Bjornvik,
Lindholm, Skara, Haldor, Tarn, Kilbride, Ballymore, Carrick, Dunbar, Penrith, Tanaka, Hoshino, Mizuki, Tamar
""")
_WORK_WORDS = words("""
Night, River, Summer, Silence, Glass, Light, Storm, Winter, Garden, Shadow, Fire, Stone, Heart, Road, Sea, Moon,
Dream, Echo, Mirror, Harvest, Iron, Blue, Paper, Letters, Kingdom, Crossing, Thunder, Memory, Horizon, Salt, Ashes,
Orchard, Lantern, Island, Wolves, Saints, Strangers, Machine, Velvet, Distance, Gold, Wild, Broken, Last, Hidden
""")
_GENUS_PARTS = words("""
Eupi, Acro, Crypto, Lepto, Micro, Pachy, Ortho, Chloro, Melan, Xantho, Rhodo, Phyllo, Dendro, Hydro, Litho,
Cyclo, Steno, Platy, Amphi, Brachy, Cteno, Mega, Neo, Pseudo, Tricho
""")
_GENUS_ENDS = words("thecia, phora, cera, gaster, ptera, dactylus, carpus, phyllum, stoma, soma, derma, notus, pus, nema")
_EPITHETS = words("""
alba, nigra, rubra, minor, major, gracilis, elegans, australis, borealis, montana, sylvestris, orientalis,
occidentalis, silvatica, maculata, striata, lutea, viridis, longipes, brevis, hirsuta, robusta, tenuis, simplex
""")
_DBPEDIA_CLASSES = [  # (class, how its titles look, nouns naming the kind of thing, tails), in the template's order
    ("Company", "org", words("""
company, software company, bank, airline, brewery, retailer, manufacturer, record label, publishing house,
investment firm, insurance company, holding company, restaurant chain, telecommunications company,
video game developer, automaker, shipping company, mining company, pharmaceutical company, consulting firm,
law firm, media company, food company, energy company, engineering firm, fashion brand, privately held company,
supermarket chain, venture capital firm, biotechnology company"""), [
        "founded in {year} and based in {city}.", "headquartered in {city}, {country}.",
        "that was founded by {person} in {year}. It employs about {n} people.",
        "based in {city}. The company was acquired by {firm} in {year}.",
        "with offices in {city} and {city2}.", "listed on the stock exchange since {year}."]),
    ("EducationalInstitution", "org", words("""
public school, private university, community college, high school, university, college, secondary school,
boarding school, primary school, elementary school, liberal arts college, academy, research university,
technical institute, grammar school, seminary, music conservatory, art school, medical school, business school,
polytechnic, middle school, Catholic school, public research university, girls' school, vocational school,
law school, charter school"""), [
        "founded in {year} in {city}.", "located in {city}, {country}. It has about {n} students.",
        "established in {year}. Its campus is in {city}.", "in {city} that enrolls around {n} pupils.",
        "affiliated with the University of {city2}.", "whose alumni include {person}."]),
    ("Artist", "person", words("""
singer, painter, jazz musician, rapper, sculptor, songwriter, singer-songwriter, guitarist, pianist, composer,
photographer, illustrator, drummer, violinist, cellist, DJ, record producer, folk singer, pop singer,
country singer, opera singer, cartoonist, printmaker, rock musician, bassist, actor, actress, film director,
novelist, poet, playwright, dancer, comedian, architect, fashion designer"""), [
        "born in {city}.", "known for {pronoun} work with {person}.", "who has released {k} albums.",
        "based in {city}. {pronoun_cap} first exhibition was held in {year}.", "active since {year}.",
        "who rose to fame in the {decade}s."]),
    ("Athlete", "person", words("""
footballer, tennis player, marathon runner, boxer, cyclist, swimmer, basketball player, baseball pitcher,
ice hockey player, rugby union player, cricketer, golfer, sprinter, high jumper, wrestler, figure skater,
speed skater, rower, fencer, gymnast, racing driver, jockey, volleyball player, alpine skier, triathlete,
goalkeeper, professional footballer, midfielder, defender, shortstop, quarterback, long-distance runner, judoka,
table tennis player, water polo player, handball player"""), [
        "who plays for {city} FC.", "who competed at the {olympics} Summer Olympics.",
        "who won {k} national titles.", "who played for {city} and {city2}.",
        "born in {city}. {she} retired in {year}.", "who currently plays in the {country} league."]),
    ("OfficeHolder", "person", words("""
politician, mayor, senator, diplomat, governor, member of parliament, judge, ambassador, civil servant,
cabinet minister, state representative, city councillor, prime minister, lawyer and politician,
county commissioner, lieutenant governor, magistrate, party leader, foreign minister, trade unionist and politician,
state senator, member of the House of Representatives, provincial premier, attorney general, Supreme Court justice"""), [
        "who served from {year} to {year2}.", "who represented {city} in parliament.",
        "and member of the {party} Party.", "who was mayor of {city} from {year}.",
        "who served as ambassador to {country}.", "elected in {year}."]),
    ("MeanOfTransportation", "craft", words("""
cargo ship, steam locomotive, passenger aircraft, navy destroyer, frigate, cruiser, submarine, ocean liner, ferry,
tugboat, schooner, battleship, aircraft carrier, sports car, motorcycle, bus, tram, diesel locomotive,
fighter aircraft, airliner, helicopter, light aircraft, minesweeper, paddle steamer, yacht, sedan, pickup truck,
hatchback, compact car, patrol boat, gunboat, corvette, transport aircraft, bomber, racing car, luxury car, trawler"""), [
        "built in {year}.", "in service from {year} to {year2}.", "built by {firm} in {city}.",
        "produced from {year} to {year2}.", "operated by {firm} since {year}.", "first introduced in {year}."]),
    ("Building", "org", words("""
historic hotel, church, office tower, castle, cathedral, mansion, skyscraper, lighthouse, chapel, parish church,
manor house, country house, farmhouse, courthouse, temple, mosque, synagogue, apartment building, theatre,
palace, tower, town hall, mill, plantation house, Victorian house, shopping mall, museum building, fort, abbey,
basilica, opera house, hotel, historic house"""), [
        "in {city} completed in {year}.", "located in {city}, {country}.", "built in {year} by {person}.",
        "that was listed on the national register in {year}.", "designed by the architect {person}.",
        "in the centre of {city}. It has {k} floors."]),
    ("NaturalPlace", "place", words("""
mountain, river, lake, glacier, peak, volcano, island, bay, waterfall, hill, valley, cave, creek, stream,
tributary, mountain range, mountain pass, ridge, beach, cape, lagoon, canyon, plateau, summit, spring, marsh,
headland, fjord, gorge, atoll"""), [
        "located near {city}.", "in {country}.", "with an elevation of {n} metres.", "that flows into the {river}.",
        "about {k} kilometres from {city}.", "in the north of {country}."]),
    ("Village", "place", words("""
village, small village, rural village, hamlet, settlement, farming village, mountain village, fishing village,
village and civil parish, village and municipality, small rural settlement"""), [
        "in the administrative district of Gmina {part}, within {part2} County.", "in {country}.",
        "with a population of {n}.", "about {k} kilometres from {city}.", "in the district of {city}.",
        "in {country}. At the {census} census it had {n} inhabitants."]),
    ("Animal", "species", words("""
species of moth, species of snail, species of beetle, species of bird, species of butterfly, species of spider,
species of fish, species of frog, species of lizard, species of snake, species of bat, sea snail,
marine gastropod mollusk, species of ant, species of wasp, species of fly, species of dragonfly, species of crab,
species of shrimp, jumping spider, species of catfish, cichlid, gecko, skink, species of rodent, shrew, weevil,
grasshopper, species of bee, leaf beetle, noctuid moth, genus of moths, species of songbird,
species of parrot, land snail"""), [
        "found in {country}.", "endemic to {country}.", "described by {person} in {year}.",
        "known from {country} and {country2}.", "in the family {family}idae.", "that is found near {city}."]),
    ("Plant", "species", words("""
species of flowering plant, species of fern, species of tree, species of moss, species of orchid, species of grass,
shrub, species of cactus, species of palm, conifer, perennial herb, climbing plant, aquatic plant, liverwort,
species of sedge, species of lily, flowering plant in the daisy family, species of legume, succulent plant,
flowering plant in the mint family, species of plant, species of oak, species of eucalyptus"""), [
        "native to {country}.", "endemic to {country}.", "described by {person} in {year}.",
        "found in {country} and {country2}.", "in the family {family}aceae.", "that grows in the hills near {city}."]),
    ("Album", "work", words("""
studio album, live album, debut album, compilation album, second studio album, soundtrack album,
greatest hits album, mixtape, remix album, tribute album, Christmas album, double album, concept album,
extended play, third studio album, debut EP, box set"""), [
        "released in {year} by {person}.", "by the band {band}.", "recorded in {city} and released in {year}.",
        "by {person}. It was produced by {person2}.", "released on {firm} Records in {year}.",
        "by {person}, featuring the single {work2}."]),
    ("Film", "work", words("""
drama film, comedy film, horror film, documentary film, thriller film, romantic comedy, western, animated film,
action film, science fiction film, war film, crime film, musical film, silent film, short film, television film,
independent film, adventure film, biographical film, fantasy film, mystery film, family film, sports drama film,
comedy-drama, psychological thriller, road movie"""), [
        "released in {year} and directed by {person}.", "directed by {person} and starring {person2}.",
        "written and directed by {person}.", "set in {city} and filmed in {year}.",
        "based on the novel by {person}.", "produced by {firm} Pictures."]),
    ("WrittenWork", "work", words("""
novel, poetry collection, short story collection, history book, memoir, biography, children's book,
graphic novel, non-fiction book, essay collection, play, novella, textbook, travel book, cookbook, magazine,
newspaper, academic journal, comic book series, science fiction novel, fantasy novel, crime novel,
young adult novel, picture book, daily newspaper, literary magazine, epic poem"""), [
        "written by {person} and published in {year}.", "by {person}.", "first published in {year} by {firm}.",
        "by {person}, set in {city}.", "published in {city} since {year}.",
        "by {person}, adapted into a film in {year}."]),
]
_MONTHS = words("January, February, March, April, May, June, July, August, September, October, November, December")
_PARTIES_POLITICAL = words("Labour, Conservative, Liberal, Democratic, Republican, Green, Socialist, People's, Centre")


def _dbpedia_title(rng: random.Random, kind: str) -> str:
    if kind == "person":
        middle = f" {rng.choice('ABCDEFGHJKLMRST')}." if rng.random() < 0.15 else ""
        return f"{rng.choice(FIRST_NAMES)}{middle} {rng.choice(LAST_NAMES)}"
    if kind == "species":
        genus = rng.choice(_GENUS_PARTS) + rng.choice(_GENUS_ENDS)
        return f"{genus} {rng.choice(_EPITHETS)}" if rng.random() < 0.8 else genus
    if kind == "work":
        a, b = rng.sample(_WORK_WORDS, 2)
        return rng.choice([f"The {a} of {b}", f"{a} {b}", a, f"The {a}", f"{a} and {b}", f"{b} in {rng.choice(CITIES)}"])
    if kind == "craft":
        name = rng.choice(_PLACE_PARTS)
        return rng.choice([name, f"{rng.choice(['HMS', 'USS', 'SS', 'MV'])} {name}", f"{rng.choice(COMPANIES)} {name}",
                           f"{name} {rng.randint(2, 900)}"])
    parts = rng.sample(_PLACE_PARTS, 2)
    if kind == "org":
        return rng.choice([parts[0], f"{parts[0]} {parts[1]}", f"{rng.choice(LAST_NAMES)} {parts[0]}",
                           f"{rng.choice(CITIES)} {parts[0]}"])
    return rng.choice([parts[0], f"{parts[0]} {parts[1]}", f"{parts[0]}-{parts[1]}"])


def dbpedia(rng: random.Random) -> Example:
    """An encyclopedia article's first sentences; the label is the index of the kind of thing it describes.

    The kind is named by the noun phrase after "is a"/"was a" (a brewery, a midfielder, a species of fern);
    titles, places, dates and the people mentioned are drawn from big pools shared by all classes.
    """
    label = rng.randrange(len(_DBPEDIA_CLASSES))
    _, kind, nouns, tails = _DBPEDIA_CLASSES[label]
    title = _dbpedia_title(rng, kind)
    born = rng.randint(1920, 1995)
    first_year = {"person": born + 18, "work": 1920, "craft": 1900}.get(kind, 1820)
    year = rng.randint(first_year, born + 25 if kind == "person" else 2015)
    pronoun, she = rng.choice([("his", "He"), ("her", "She")])
    slots = dict(
        year=year, year2=min(year + rng.randint(1, 40), 2020), city=rng.choice(CITIES), city2=rng.choice(CITIES),
        country=rng.choice(COUNTRIES), country2=rng.choice(COUNTRIES), person=_person(rng), person2=_person(rng),
        firm=rng.choice(COMPANIES), n=rng.randint(40, 9000), k=rng.randint(2, 60), pronoun=pronoun,
        pronoun_cap=cap(pronoun), she=she, decade=year // 10 * 10, olympics=max(1948, year - year % 4 + 4),
        party=rng.choice(_PARTIES_POLITICAL), river=rng.choice(_PLACE_PARTS) + " River",
        part=rng.choice(_PLACE_PARTS), part2=rng.choice(_PLACE_PARTS), census=rng.choice([2001, 2010, 2011]),
        family=rng.choice(_GENUS_PARTS) + rng.choice(["ph", "th", "c", "l"]),
        band=f"The {rng.choice(_WORK_WORDS)} {rng.choice(_WORK_WORDS)}s",
        work2=f"{rng.choice(_WORK_WORDS)} {rng.choice(_WORK_WORDS)}")
    noun = rng.choice(nouns)
    described = rng.choice([noun, noun, f"{rng.choice(_NATIONALITIES)} {noun}"])
    if kind == "work" and rng.random() < 0.4:
        described = f"{year} {noun}"
    subject = title
    if kind == "person" and rng.random() < 0.6:
        subject += rng.choice([f" (born {born})", f" (born {rng.randint(1, 28)} {rng.choice(_MONTHS)} {born})",
                               f" ({born} - {min(born + rng.randint(40, 90), 2019)})"])
    elif kind == "craft" and rng.random() < 0.5:
        subject = "The " + subject
    verb = "was" if "-" in subject or rng.random() < 0.2 else "is"
    content = f"{subject} {verb} {an(described)} {rng.choice(tails).format(**slots)}"
    return Example({"title": title, "content": _styled(rng, content, tokenized=0.5, lower=0.0)}, str(label))


# --- legal -------------------------------------------------------------------------------------------------

_ROLES_LEGAL = words("""
Company, Supplier, Customer, Licensee, Licensor, Buyer, Seller, Contractor, Client, Consultant, Distributor, Vendor,
Purchaser, Lender, Borrower, Landlord, Tenant, Employer, Executive, Agent, Service Provider, Manufacturer, Reseller,
Investor, Sponsor, Developer, Publisher, Owner, Operator, Guarantor
""")
_FIRM_SUFFIXES = ["Inc.", "LLC", "Ltd.", "Corporation", "Holdings, Inc.", "Group LLC", "Partners LP"]
_STATES = words("""
Delaware, New York, California, Texas, Florida, Nevada, Ohio, Illinois, Georgia, Massachusetts, Washington,
New Jersey, Pennsylvania, Colorado, Michigan, Virginia, North Carolina, Minnesota, Arizona, Maryland, Oregon,
Tennessee, Utah, Connecticut, Missouri, Wisconsin, Indiana, Louisiana
""")
_METHODS = words("""
registered mail, email, courier, certified mail, overnight delivery service, hand delivery, first class mail,
facsimile, recognized international courier
""")
_EVENTS = words("""
fire, flood, war, earthquake, strikes, a pandemic, acts of God, terrorism, riots, embargoes, epidemics,
governmental action, power failures, hurricanes, labor disputes, civil unrest, explosions
""")
_LEGAL_CLAUSES = {  # each type's wordings; {p}/{o}: the two parties
    "governing-law": [
        "This Agreement shall be governed by the laws of the State of {state}, and the {p} submits to its courts.",
        "The laws of {state} govern this Agreement and any dispute between the {p} and the {o}.",
        "This Agreement and all claims arising out of it shall be construed in accordance with the laws of the State of "
        "{state}, without regard to its conflict of laws principles.",
        "The validity, interpretation and performance of this Agreement are governed by {state} law.",
        "Each of the {p} and the {o} agrees that the internal laws of {state} apply to this Agreement.",
    ],
    "termination": [
        "Either party may terminate this Agreement upon {n} days prior written notice to the other party.",
        "The {p} may terminate this Agreement at any time if the {o} fails to cure a material breach within {n} days.",
        "This Agreement shall remain in effect for {years} years unless terminated earlier as provided herein.",
        "The {o} may end this Agreement immediately if the {p} becomes insolvent or files for bankruptcy.",
        "Upon expiration or termination of this Agreement, the {p} shall cease all use of the {o}'s materials.",
        "The {p} may terminate this Agreement for convenience on {n} days' notice.",
    ],
    "confidentiality": [
        "The {p} shall keep all Confidential Information secret and shall not disclose it to any third party.",
        "For {years} years the {p} shall hold in confidence all Confidential Information received from the {o}.",
        "The {p} shall use the {o}'s proprietary information solely to perform this Agreement and shall not reveal it "
        "to anyone except its employees who need to know it.",
        "Neither party shall disclose the terms of this Agreement without the other party's consent, except as "
        "required by law.",
        "All non-public information disclosed by the {o} shall be treated as strictly confidential by the {p}.",
    ],
    "indemnification": [
        "The {p} shall indemnify and hold harmless the {o} from any claims, losses and damages.",
        "The {p} agrees to indemnify the {o} against all losses arising from its breach of this Agreement.",
        "The {p} shall defend, indemnify and hold harmless the {o} and its officers from all third-party claims, "
        "including reasonable attorneys' fees.",
        "The {o} shall be indemnified by the {p} for any liability caused by the {p}'s negligence or willful misconduct.",
        "The {p} will compensate the {o} for all costs incurred in defending any claim of infringement.",
    ],
    "assignment": [
        "The {p} may not assign this Agreement without the prior written consent of the {o}.",
        "Neither the {p} nor the {o} may assign or transfer its rights under this Agreement.",
        "The {o} may assign this Agreement to any affiliate or to a successor in a merger without the {p}'s consent.",
        "Any attempted assignment or delegation in violation of this Section shall be null and void.",
        "This Agreement binds and benefits the parties and their permitted successors and assigns; the {p} may not "
        "delegate its duties hereunder.",
    ],
    "notices": [
        "All notices under this Agreement shall be in writing and sent by {method} to the {p}.",
        "Any notice to the {p} is deemed given {n} days after it is sent by {method}.",
        "Notices shall be delivered to the addresses set forth above, or to such other address as the {o} may "
        "designate in writing.",
        "Any notice required hereunder shall be sent by {method}, with a copy to the {p}'s legal department at "
        "{number} {street} Street, {city}.",
        "Notice is effective upon receipt if delivered by {method}.",
    ],
    "severability": [
        "If any provision of this Agreement is held invalid by a court in {state}, the remaining provisions remain in "
        "effect.",
        "If a term is found unenforceable, the {p} and the {o} agree the rest of this Agreement stays valid.",
        "Should any clause of this Agreement be declared void, it shall be replaced by a valid clause closest to its "
        "intent, and the other clauses shall continue in full force.",
        "The invalidity of any part of this Agreement shall not affect the validity of the remainder.",
        "Each provision of this Agreement is severable, and if one is held illegal the others are unaffected.",
    ],
    "force-majeure": [
        "The {p} shall not be liable for any delay caused by {event} or other events beyond its control.",
        "Neither the {p} nor the {o} is responsible for failure to perform due to {event}.",
        "If performance is prevented by {event} or {event2}, the affected party's obligations are suspended for the "
        "duration of the event.",
        "No party shall be in breach for any failure caused by circumstances beyond its reasonable control, "
        "including {event}.",
        "If a force majeure event lasts more than {n} days, the {p} may cancel the affected order.",
    ],
    "payment": [
        "The {p} shall pay all invoices within {n} days of receipt.",
        "The {p} shall pay the {o} a monthly fee of ${amount}.",
        "Fees are due net {n} days, and late payments shall accrue interest at {pct} percent per month.",
        "The {p} shall pay the {o} ${amount} upon signing and the balance on delivery.",
        "All amounts payable to the {o} shall be paid in US dollars by wire transfer within {n} days of the invoice "
        "date.",
        "The {o} shall invoice the {p} quarterly, and the {p} shall remit payment within {n} days.",
    ],
    "warranties": [
        "The {p} warrants that the goods will be free from defects in materials and workmanship for {months} months.",
        "The {p} represents and warrants to the {o} that it has full power to enter into this Agreement.",
        "The {p} warrants that the services will be performed in a professional and workmanlike manner.",
        "EXCEPT AS EXPRESSLY STATED HEREIN, THE {P} MAKES NO OTHER WARRANTIES, EXPRESS OR IMPLIED.",
        "The {p} represents that the software does not infringe any third party's intellectual property.",
        "The {p} warrants that it holds all licenses required to deliver the products in {state}.",
    ],
}
_LEGAL_OPENERS = ["", "", "", "Except as otherwise provided herein, ", "Subject to Section {sec}, ",
                  "Notwithstanding anything to the contrary, ", "For the avoidance of doubt, ", "{sec} "]
_STREETS = words("Main, Oak, Market, Elm, Park, Broad, Pine, Maple, Water, Church, High, Lake")


def legal(rng: random.Random) -> Example:
    """A contract clause; the label is the clause's type, read from its legal content.

    Each type has several wordings (governing law names a state's laws, termination ends the agreement,
    payment sets fees and due dates ...); parties, states, numbers and section numbers vary and do not decide it.
    """
    label = rng.choice(list(_LEGAL_CLAUSES))
    party, other = rng.sample(_ROLES_LEGAL, 2)
    if rng.random() < 0.2:
        party = f"{rng.choice(COMPANIES)} {rng.choice(_FIRM_SUFFIXES)}"
    sec = f"{rng.randint(1, 25)}.{rng.randint(1, 12)}"
    events = rng.sample(_EVENTS, 2)
    clause = rng.choice(_LEGAL_CLAUSES[label]).format(
        p=party, o=other, P=party.upper(), state=rng.choice(_STATES), method=rng.choice(_METHODS),
        n=rng.choice([5, 7, 10, 14, 15, 30, 45, 60, 90, rng.randint(2, 180)]), years=rng.randint(1, 10),
        months=rng.randint(3, 60), event=events[0], event2=events[1], amount=f"{rng.randint(1, 999) * 100:,}",
        pct=rng.choice(["1", "1.5", "2"]), number=rng.randint(1, 9999), street=rng.choice(_STREETS),
        city=rng.choice(CITIES))
    if party not in _ROLES_LEGAL:  # a named firm takes no article: "Nokia Ltd. shall pay", not "the Nokia Ltd."
        clause = clause.replace(f"The {party}", party).replace(f"the {party}", party)
    opener = rng.choice(_LEGAL_OPENERS).format(sec=sec)
    if opener.endswith(", ") and clause[1:2].islower() and not clause.startswith(party):
        clause = clause[0].lower() + clause[1:]
    text = opener + clause
    return Example({"clause_text": _styled(rng, text, tokenized=0.4, lower=0.0)}, label)
