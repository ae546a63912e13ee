"""A city of 20 partners and their offers in Dutch-ish text, for the city-wide search figure: names
and descriptions are put together from activities, venues and sentences of the kind Utrecht's
residents' organisations write ("Koffieochtend in buurthuis De Leeuw", "Taalcafé Ondiep"), so
that a word such as "koffie" or "buurthuis" matches a realistic share of the city (about a fifth
and a third), not every offer nor none. Every offer has a place in its buurt and weekly opening
hours; the events are the directory's own (samen030.directory.events.offer_event → new_event)."""
import random
import uuid
from datetime import datetime, timezone

from samen030.directory.events import offer_event
from samen030.kernel.events import Event
from samen030.kernel.geography import buurten

PARTNERS = [
    "krachtstation", "buurtwerkkamer", "wijkinformatiepunt", "powerbypeers", "zorgbelang",
    "buurthuisdeleeuw", "wijkcentrumlunetten", "taalhuisoost", "repaircafezuilen", "moestuinovervecht",
    "buurtteamnoordwest", "mantelzorgutrecht", "vrijwilligers030", "bewonersorgwest", "huisvandewijk",
    "dedoorbraak", "stichtingvoorbij", "buurtkameroog", "jongerenwerkzuid", "senioren030",
]
# (name, category, sub-term or None, what it is)
ACTIVITIES = [
    ("Koffieochtend", "welzijn-ontmoeten", "activiteiten", "Elke week koffie of thee en een praatje met buurtgenoten."),
    ("Taalcafé", "informatie", "taal", "Ontspannen Nederlands oefenen met vrijwilligers uit de buurt."),
    ("Repair café", "praktische-hulp", "repaircafe", "Samen kapotte spullen repareren: fietsen, kleding en apparaten."),
    ("Buurtmaaltijd", "welzijn-ontmoeten", "maaltijden", "Samen koken en eten voor een kleine bijdrage."),
    ("Inloopspreekuur", "informatie", "inloopspreekuur",
     "Met vragen over geld, wonen, zorg en formulieren kun je zonder afspraak binnenlopen."),
    ("Formulierenhulp", "informatie", "geldzaken", "Hulp bij toeslagen, belastingaangifte en brieven van instanties."),
    ("Digicafé", "informatie", "digitale-hulp", "Hulp met de computer, DigiD, e-mail en de telefoon."),
    ("Klussendienst", "praktische-hulp", "klussen",
     "Vrijwilligers helpen bij kleine klussen in huis voor wie dat zelf niet meer kan."),
    ("Boodschappenmaatjes", "praktische-hulp", "vervoer-boodschappen",
     "Een vrijwilliger gaat met je mee boodschappen doen of haalt ze voor je."),
    ("Buurtmoestuin", "welzijn-ontmoeten", "groen", "Samen tuinieren en de oogst delen met de buren."),
    ("Wandelgroep", "lichte-zorg", "bewegen", "Een uur wandelen door het park, in je eigen tempo."),
    ("Stoelyoga voor ouderen", "lichte-zorg", "bewegen", "Rustig bewegen op muziek, daarna koffie."),
    ("Mantelzorgcafé", "lichte-zorg", "mantelzorg", "Mantelzorgers ontmoeten elkaar en wisselen tips uit."),
    ("Herstelgroep", "lichte-zorg", "ervaringsdeskundigen", "Ervaringsdeskundigen luisteren en denken met je mee."),
    ("Cliëntondersteuning", "lichte-zorg", "clientondersteuning",
     "Onafhankelijke hulp bij het aanvragen van zorg en ondersteuning."),
    ("Vrijwilligerspunt", "werk-ondernemen", "vrijwilligerswerk", "Vind vrijwilligerswerk dat bij je past."),
    ("Ondernemersspreekuur", "werk-ondernemen", "ondernemerskring",
     "Voor bewoners die een eigen bedrijf willen starten: van idee tot inschrijving bij de KvK."),
    ("Leerwerkplekken", "werk-ondernemen", "werkervaring",
     "Werkervaring opdoen in de keuken, de fietsenmakerij of het onderhoud van het gebouw."),
    ("Bewonersoverleg", "buurtzaken", "meebeslissen", "Praat mee over het buurtbudget en de plannen voor je straat."),
    ("Buurtinitiatief", "buurtzaken", "bewonersinitiatief", "Heb je een idee voor de buurt? Wij helpen het op weg."),
    ("Zelfbeheerders gezocht", "buurtzaken", "zelfbeheer", "Bewoners beheren samen hun gebouw: denk en doe mee."),
    ("Huiswerkklas", "informatie", None, "Kinderen en jongeren krijgen hulp bij hun huiswerk van studenten."),
    ("Naaiatelier", "welzijn-ontmoeten", "activiteiten", "Samen kleding maken en herstellen; naaimachines zijn er."),
    ("Kinderclub", "welzijn-ontmoeten", "activiteiten",
     "Knutselen, spelletjes en buiten spelen voor kinderen van 6 tot 12 jaar."),
    ("Spelletjesmiddag", "welzijn-ontmoeten", "activiteiten", "Sjoelen, kaarten en bordspellen met buurtgenoten."),
    ("Schuldhulpspreekuur", "informatie", "geldzaken",
     "Vertrouwelijke hulp voor wie moeite heeft de eindjes aan elkaar te knopen."),
]
BUURTHUIZEN = ["De Leeuw", "De Boog", "Oase", "De Zeshoek", "Het Klokhuis", "De Speeldoos", "Transwijk",
               "De Jeugdhoeve", "Zuilen", "Op Eigen Wieken", "De Dame", "Hart van Hoograven"]
# (share of offers, how the name ends, a sentence about the place); the rest carries the buurt's name
VENUES = [
    (0.30, "in buurthuis {x}", "Je vindt ons in buurthuis {x}.", BUURTHUIZEN),
    (0.12, "in wijkcentrum {x}", "In wijkcentrum {x}, op de begane grond.", ["Lunetten", "De Musketon", "Overvecht"]),
    (0.08, "in de bibliotheek", "In de bibliotheek van de wijk, naast de leestafel.", [""]),
    (0.10, "in de buurtkamer", "In de buurtkamer, de huiskamer van de buurt.", [""]),
]
EXTRAS = [  # (chance, sentence)
    (0.35, "Iedereen is welkom, aanmelden hoeft niet."),
    (0.12, "Koffie en thee zijn gratis."),
    (0.20, "Kom gerust een keer kijken."),
    (0.15, "Ook nieuwe Utrechters zijn van harte welkom."),
    (0.10, "Het gebouw is toegankelijk voor rolstoelen."),
    (0.10, "Kinderen mogen mee."),
    (0.08, "Vrijwilligers gezocht: help je mee?"),
]
LANGUAGES = [("ar", 0.15), ("tr", 0.12), ("en", 0.10), ("pl", 0.04), ("so", 0.03), ("ti", 0.02)]
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA"]


def directory_offer(rng: random.Random, areas: list) -> dict:
    """An offer as the directory holds it (what services/directory/events.py reads)."""
    name, category, term, what = rng.choice(ACTIVITIES)
    area = rng.choice(areas)
    sentences = [what]
    pick, cumulative = rng.random(), 0.0
    suffix = area.name
    for share, ending, sentence, names in VENUES:
        cumulative += share
        if pick < cumulative:
            venue = rng.choice(names)
            suffix, _ = ending.format(x=venue), sentences.append(sentence.format(x=venue))
            break
    sentences += [sentence for chance, sentence in EXTRAS if rng.random() < chance]
    opens = rng.choice(["09:00", "09:30", "10:00", "13:00", "14:00", "19:00"])
    closes = f"{int(opens[:2]) + rng.choice([1, 2, 3]):02d}:{opens[3:]}"
    now = datetime.now(timezone.utc)
    return {"id": str(uuid.uuid4()), "name": f"{name} {suffix}", "description": " ".join(sentences),
            "category": category, "terms": [term] if term else [], "buurt": area.code, "wijk": area.wijk_code,
            "status": "active", "free": rng.random() < 0.85,
            "languages": ["nl"] + [code for code, chance in LANGUAGES if rng.random() < chance],
            "minimum_age": 55 if "ouderen" in name else None, "maximum_age": 12 if name == "Kinderclub" else None,
            "locations": [{"location_type": "physical", "buurt": area.code}],
            "schedules": [{"byday": ",".join(sorted(rng.sample(DAYS, rng.choice([1, 1, 2])), key=DAYS.index)),
                           "opens_at": opens, "closes_at": closes}],
            "version": 1, "updated_at": now}


def city_events(partners: list[str], count: int, seed: int = 30, first: int = 0) -> list[Event]:
    """`count` offer.created events of offers `first`… of the city, round robin over `partners`, each
    built by the directory's own offer_event."""
    rng = random.Random(seed)
    areas = [buurten()[code] for code in sorted(buurten())]
    return [offer_event(partners[(first + n) % len(partners)], "created", directory_offer(rng, areas))
            for n in range(count)]
