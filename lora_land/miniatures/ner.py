"""Named entity recognition: bc5cdr (chemicals and diseases) and conllpp (people, organizations, places)."""

from __future__ import annotations

import json
import random
import re

from lora_land.miniatures.common import CITIES, COMPANIES, COUNTRIES, FIRST_NAMES, LAST_NAMES, Example, cap, words


# --- bc5cdr: biomedical abstract sentences, tokenized as in the dataset ----------------------

_CHEMICALS = words("""
naloxone, clonidine, lithium, cocaine, heparin, aspirin, morphine, caffeine, cisplatin, tamoxifen, haloperidol, digoxin,
warfarin, ketamine, nicotine, propofol, ibuprofen, insulin, dopamine, valproic acid, nitric oxide, retinoic acid,
folic acid, amiodarone, amphotericin B, atropine, azathioprine, baclofen, bleomycin, bupivacaine, captopril,
carbamazepine, carboplatin, chlorpromazine, ciprofloxacin, clozapine, cyclophosphamide, cyclosporine, dexamethasone,
diazepam, diclofenac, doxorubicin, enalapril, ephedrine, epinephrine, estradiol, ethanol, fentanyl, fluoxetine,
fluorouracil, furosemide, gentamicin, glucose, hydrochlorothiazide, hydrocortisone, indomethacin, isoniazid,
isoproterenol, lamotrigine, levodopa, lidocaine, lorazepam, methotrexate, methamphetamine, metformin, methadone,
metoclopramide, midazolam, nifedipine, norepinephrine, olanzapine, oxaliplatin, paclitaxel, paracetamol,
acetaminophen, penicillin, phenobarbital, phenytoin, pilocarpine, prednisone, procainamide, propranolol, quinine,
ranitidine, reserpine, rifampicin, risperidone, scopolamine, sertraline, simvastatin, sodium chloride,
streptozotocin, sulfasalazine, tacrolimus, terbutaline, testosterone, theophylline, thiopental, topiramate, tramadol,
verapamil, vincristine, zidovudine, potassium chloride, calcium carbonate, magnesium sulfate, hydrogen peroxide,
arachidonic acid, ascorbic acid, glutamic acid, uric acid, lactic acid, kainic acid, ethylene glycol,
carbon monoxide, vitamin D, vitamin E, puromycin aminonucleoside, mitomycin C, cytosine arabinoside, gamma globulin,
nitrous oxide, all-trans retinoic acid, L-dopa, 5-fluorouracil, cocaine hydrochloride, amphetamine, apomorphine,
pentylenetetrazole, streptomycin, tetracycline, vancomycin, interferon alfa, cholesterol, creatinine, angiotensin II
""")
_DISEASES = words("""
hypertension, seizures, hepatitis, nephrotoxicity, arrhythmia, bradycardia, hypotension, delirium, anemia, proteinuria,
psychosis, renal failure, heart failure, liver damage, myocardial infarction, pulmonary edema, memory loss,
acute kidney injury, tachycardia, cardiomyopathy, cardiotoxicity, hepatotoxicity, ototoxicity, neurotoxicity,
neutropenia, thrombocytopenia, agranulocytosis, leukopenia, pancytopenia, hyperkalemia, hypokalemia, hyponatremia,
hyperglycemia, hypoglycemia, diabetes, obesity, stroke, epilepsy, migraine, headache, nausea, vomiting, diarrhea,
constipation, pain, fever, rash, pruritus, urticaria, angioedema, anaphylaxis, asthma, bronchospasm, pneumonia,
fibrosis, pulmonary fibrosis, pulmonary hypertension, deep vein thrombosis, pulmonary embolism, thrombosis,
hemorrhage, intracerebral hemorrhage, gastrointestinal bleeding, peptic ulcer, pancreatitis, cirrhosis, jaundice,
cholestasis, liver injury, hepatic necrosis, nephritis, interstitial nephritis, nephrotic syndrome, kidney stones,
cystitis, hemorrhagic cystitis, urinary retention, depression, anxiety, mania, schizophrenia, dementia,
Alzheimer's disease, Parkinson's disease, tardive dyskinesia, dyskinesia, akathisia, dystonia, catalepsy, tremor,
ataxia, neuropathy, peripheral neuropathy, encephalopathy, coma, insomnia, drowsiness, confusion, hallucinations,
cataract, glaucoma, hearing loss, blindness, breast cancer, lung cancer, prostate cancer, leukemia, lymphoma,
tumors, edema, ischemia, myocardial ischemia, angina, atrial fibrillation, ventricular fibrillation,
ventricular tachycardia, QT prolongation, cardiac arrest, sudden death, torsade de pointes, rhabdomyolysis,
myopathy, osteoporosis, hyperthermia, hypothermia, lactic acidosis, metabolic acidosis, weight gain, weight loss,
sexual dysfunction, infertility, birth defects, cleft palate, toxicity, overdose, poisoning, addiction,
withdrawal syndrome, respiratory depression, Stevens-Johnson syndrome, serotonin syndrome, neuroleptic malignant syndrome
""")
# A drug is often named with its salt ("morphine sulfate"): the salt is the entity's I-Chemical word.
_SALTS = words("hydrochloride, sulfate, citrate, maleate, phosphate, acetate, tartrate, mesylate, sodium, bromide")
_BC5CDR_TEMPLATES = [
    "Treatment with CHEM reverses the antihypertensive effect of CHEM .",
    "Chronic CHEM use induced DIS in rats .",
    "Severe DIS was observed after treatment with CHEM .",
    "Patients given CHEM and CHEM developed DIS .",
    "In mice , CHEM did not prevent DIS or DIS .",
    "The risk of DIS increased with the dose of CHEM .",
    "Low doses of CHEM are used to treat DIS .",
    "Two patients with DIS received CHEM and recovered .",
    "CHEM - induced DIS",
    "A case of DIS associated with CHEM therapy .",
    "We report a 54 - year - old woman who developed DIS after receiving CHEM for DIS .",
    "CHEM significantly reduced DIS in a dose - dependent manner ( P < 0.05 ) .",
    "The incidence of DIS was 12 % in the CHEM group and 3 % in the placebo group .",
    "Pretreatment with CHEM attenuated CHEM - induced DIS .",
    "These results suggest that CHEM may protect against DIS .",
    "DIS is a rare but serious adverse effect of CHEM .",
    "Serum levels of CHEM were measured in 40 patients with DIS .",
    "After withdrawal of CHEM , the DIS resolved within two weeks .",
    "The combination of CHEM and CHEM was well tolerated and no DIS was seen .",
    "Rats received CHEM ( 10 mg / kg ) for 14 days .",
    "No patient developed DIS during the study .",
    "DIS and DIS were the most common side effects of CHEM .",
    "A randomized trial compared CHEM with CHEM in patients with DIS .",
    "Intravenous CHEM caused transient DIS in healthy volunteers .",
    "Within hours of taking CHEM , the patient presented with DIS , DIS and DIS .",
    "The mechanism by which CHEM causes DIS remains unclear .",
    "Blood pressure fell after CHEM was given to the children .",
    "DIS developed in 7 of 25 patients treated with high - dose CHEM .",
    "CHEM , but not CHEM , increased the frequency of DIS in the elderly .",
]


def _bc5cdr_chemicals(rng: random.Random) -> list[str]:
    """Three distinct chemicals; about half are several words (a listed name, or a drug with its salt)."""
    picked = rng.sample(_CHEMICALS, 3)
    for i, name in enumerate(picked):
        if " " not in name and rng.random() < 0.3:
            picked[i] = f"{name} {rng.choice(_SALTS)}"
    return picked


def bc5cdr(rng: random.Random) -> Example:
    """A tokenized abstract sentence naming drugs (Chemical) and diseases (Disease).

    Each entity's first word is a B- tag and any further words are I- tags, listed in order of
    appearance; every tagged word is a word of the sentence. Mentions are all distinct.
    """
    pools = {"CHEM": ("Chemical", _bc5cdr_chemicals(rng)), "DIS": ("Disease", rng.sample(_DISEASES, 3))}
    tags: dict[str, list[str]] = {"B-Chemical": [], "B-Disease": [], "I-Disease": [], "I-Chemical": []}
    tokens = []
    for piece in rng.choice(_BC5CDR_TEMPLATES).split():
        if piece in pools:
            kind, entities = pools[piece]
            first, *rest = entities.pop().split()
            if not tokens:  # an entity opening the sentence is capitalized, as written in the abstract
                first = cap(first)
            tags[f"B-{kind}"].append(first)
            tags[f"I-{kind}"].extend(rest)
            tokens.extend([first, *rest])
        else:
            tokens.append(piece)
    return Example({"tokens_concatenated": " ".join(tokens)}, str(tags))


# --- conllpp: news sentences (sport, politics, business) -------------------------------------

_NATIONALITIES = words("""
German, French, British, Italian, Spanish, Russian, Dutch, Japanese, Chinese, Brazilian, American, Canadian, Mexican,
Australian, Indian, Pakistani, Egyptian, Nigerian, Kenyan, Turkish, Greek, Polish, Swedish, Norwegian, Danish, Finnish,
Irish, Scottish, Belgian, Swiss, Austrian, Hungarian, Czech, Romanian, Bulgarian, Serbian, Croatian, Ukrainian, Iranian,
Iraqi, Israeli, Saudi, Argentine, Chilean, Peruvian, Colombian, Portuguese, Korean, Vietnamese, Thai, Indonesian,
European, African, Asian, Arab, Latin American, Scandinavian
""")
_EVENTS = words("""
World Cup, Olympics, Olympic Games, Tour de France, European Championship, Australian Open, US Open, French Open,
Davis Cup, Champions League, UEFA Cup, Grand Prix, Commonwealth Games, Asian Games, Ryder Cup, Super Bowl,
World Championships, Paris Marathon, Nobel Prize, Cold War, Gulf War, Christmas, Ramadan, Euro 96
""")
_LANGUAGES = words("English, Arabic, Spanish, Mandarin, Swahili, Hindi, Portuguese, Russian, French, German, Urdu, Dutch")
_AGENCIES = words("""
UN, NATO, EU, IMF, WHO, UNICEF, OPEC, Interpol, Red Cross, World Bank, FIFA, UEFA, IOC, Reuters, Amnesty International,
Greenpeace, Europol, Federal Reserve, Bundesbank, European Commission, Security Council, Associated Press, BBC, CNN,
Supreme Court, Senate, Parliament, Finance Ministry, Foreign Ministry, Central Bank
""")
_PARTIES = words("""
Labour Party, Conservative Party, Social Democrats, Green Party, Christian Democrats, Liberal Party, Freedom Party,
National Front, People's Party, Socialist Party, Democratic Party, Republican Party, Workers' Party, Centre Party
""")
_CLUB_PATTERNS = ["{} United", "{} Rovers", "FC {}", "Real {}", "{} City", "Sporting {}", "Dynamo {}", "{} Wanderers",
                  "Inter {}", "Athletic {}", "{} Athletic", "Olympique {}"]
_FIRM_SUFFIXES = words("Holdings, Group, Motors, Bank, Airlines, Energy, Steel, Insurance, Foods, Telecom")
_DAYS = words("Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday")
_ORDINALS = words("second, third, fourth, fifth, sixth, seventh")
# Sentence shapes; a leading "^" marks an all-caps headline. Slots: FULL (first and last name), SUR (surname),
# PER (either), COMPANY, CLUB, AGENCY, PARTY, ORG (any of those), CITY, COUNTRY, LOC (either), NAT, EVENT, LANG,
# MISC (nationality or event); N, PCT, SCORE, DAY and ORD fill in plain words and numbers.
_CONLL_TEMPLATES = [
    "{FULL} of {ORG} said on {DAY} that {COUNTRY} would join the talks .",
    "{CLUB} beat {CLUB} {SCORE} in {CITY} on {DAY} .",
    "{SUR} scored twice as {CLUB} beat {CLUB} {SCORE} .",
    "{NAT} officials met {FULL} in {CITY} on {DAY} .",
    "{COUNTRY} and {COUNTRY} signed a trade deal , {AGENCY} said .",
    "{FULL} , a {NAT} striker , joined {CLUB} for a record fee .",
    "Shares in {COMPANY} fell {PCT} percent in {CITY} after the {NAT} report .",
    "{PER} told reporters in {CITY} that the deal was fair .",
    "The {PARTY} won {N} seats in the election , officials in {CITY} said .",
    "{COMPANY} said on {DAY} it would cut {N} jobs in {COUNTRY} .",
    "{FULL} ( {COUNTRY} ) won the {EVENT} title on {DAY} .",
    "{NAT} police arrested {N} people near {CITY} , a spokesman said .",
    "{SUR} , who speaks fluent {LANG} , will lead the {AGENCY} mission to {COUNTRY} .",
    "^SOCCER - {CLUB} BEAT {CLUB} {SCORE} .",
    "^TENNIS - {SUR} WINS IN {CITY} .",
    "^{COUNTRY} PLANS NEW TAX ON {NAT} IMPORTS .",
    "The match was postponed because of heavy rain .",
    "Prices rose {PCT} percent in the first half of the year .",
    "There was no immediate comment from the ministry on {DAY} .",
    "{FULL} , chief executive of {COMPANY} , said profits rose {PCT} percent .",
    "{ORG} spokesman {FULL} declined to comment .",
    "The {NAT} government said it would send troops to {COUNTRY} .",
    "{FULL} will travel to {CITY} next week for talks with {SUR} .",
    "{CLUB} coach {FULL} said his side deserved to win .",
    "Oil prices rose in {CITY} on {DAY} after {AGENCY} cut its forecast .",
    "{COMPANY} agreed to buy {COMPANY} for {N} million dollars .",
    "The {EVENT} will be held in {CITY} next year , organisers said .",
    "{SUR} finished {ORD} in the {EVENT} behind {FULL} of {COUNTRY} .",
    "{NAT} and {NAT} troops crossed into {COUNTRY} on {DAY} .",
    "Police said {FULL} was born in {CITY} and moved to {COUNTRY} as a child .",
    "Prime Minister {FULL} arrived in {COUNTRY} for a {N}-day visit .",
    "{COUNTRY} 's {PARTY} has chosen {FULL} as its new leader .",
    "{SUR} 's goal in the {N}th minute gave {CLUB} the lead .",
    "He said the {MISC} team would arrive on {DAY} .",
    "{LOC} , {DAY} : {AGENCY} inspectors arrived to check the site .",
    "{COMPANY} opened its first store in {LOC} last year .",
    "It was the worst result for the {PARTY} since {N} .",
]
_SLOT = re.compile(r"\{(\w+)\}")


def _organization(rng: random.Random, kind: str) -> str:
    if kind == "ORG":
        kind = rng.choice(["COMPANY", "CLUB", "AGENCY", "PARTY"])
    if kind == "CLUB":
        return rng.choice(_CLUB_PATTERNS).format(rng.choice(CITIES))
    if kind == "AGENCY":
        return rng.choice(_AGENCIES)
    if kind == "PARTY":
        return rng.choice(_PARTIES)
    if rng.random() < 0.25:  # invented firms, so a company name cannot be recalled from training
        return f"{rng.choice(LAST_NAMES)} {rng.choice(_FIRM_SUFFIXES)}"
    return rng.choice(COMPANIES)


def _conll_slot(rng: random.Random, slot: str) -> tuple[str | None, str, str]:
    """(category or None, text written in the sentence, entity as listed) for one template slot."""
    if slot == "PER":
        slot = rng.choice(["FULL", "SUR"])
    if slot == "FULL":
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        return "person", name, name
    if slot == "SUR":
        name = rng.choice(LAST_NAMES)
        return "person", name, name
    if slot in ("COMPANY", "CLUB", "AGENCY", "PARTY", "ORG"):
        name = _organization(rng, slot)
        return "organization", name, name
    if slot == "LOC":
        slot = rng.choice(["CITY", "COUNTRY"])
    if slot == "CITY":
        name = rng.choice(CITIES)
        return "location", name, name
    if slot == "COUNTRY":
        name = rng.choice(COUNTRIES)
        return "location", name, name.removeprefix("the ")  # "the" is not part of the entity
    if slot == "MISC":
        slot = rng.choice(["NAT", "EVENT"])
    if slot in ("NAT", "EVENT", "LANG"):
        name = rng.choice({"NAT": _NATIONALITIES, "EVENT": _EVENTS, "LANG": _LANGUAGES}[slot])
        return "miscellaneous", name, name
    text = {"N": lambda: str(rng.randint(2, 500)), "PCT": lambda: f"{rng.randint(1, 40)}.{rng.randint(0, 9)}",
            "SCORE": lambda: f"{rng.randint(0, 5)}-{rng.randint(0, 4)}", "DAY": lambda: rng.choice(_DAYS),
            "ORD": lambda: rng.choice(_ORDINALS)}[slot]()
    return None, text, text


def _untokenize(text: str) -> str:
    return re.sub(r" ([.,:;!?)]|'s\b)", r"\1", text).replace("( ", "(")


def conllpp(rng: random.Random) -> Example:
    """A news sentence; the target lists its people, organizations, locations and miscellaneous names.

    Miscellaneous names are nationalities, languages and events. Each category lists its entities in
    order of appearance, each copied verbatim from the sentence (all-caps in a headline). Half the
    sentences are tokenized as in CoNLL (" ,", " .", " 's"), half use ordinary punctuation.
    """
    template = rng.choice(_CONLL_TEMPLATES)
    headline = template.startswith("^")
    tags: dict[str, list[str]] = {"person": [], "organization": [], "location": [], "miscellaneous": []}
    used: set[str] = set()

    def fill(match: re.Match) -> str:
        for _ in range(20):  # entities in one sentence are all different
            category, text, entity = _conll_slot(rng, match.group(1))
            if category is None or entity not in used:
                break
        if category is not None:
            used.add(entity)
            tags[category].append(entity.upper() if headline else entity)
        return text

    sentence = cap(_SLOT.sub(fill, template.lstrip("^")))
    if headline:
        sentence = sentence.upper()
    if rng.random() < 0.5:
        sentence = _untokenize(sentence)
    return Example({"input": sentence}, json.dumps(tags))
