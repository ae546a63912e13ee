"""Demo aanbod for the founding partners, loaded over HTTP like any coordinator would.

Places and opening hours are plausible, not real; no contact persons (they would be personal data)."""
import requests as http

from samen030.kernel.auth import issue_token


def place(name, address, postcode, buurt):
    return {"name": name, "address_1": address, "postal_code": postcode, "buurt": buurt}


def hours(days, opens, closes):
    return {"byday": days, "opens_at": opens, "closes_at": closes}


def offer(name, description, category, buurt, terms=(), places=(), schedule=(), languages=("nl",), **extra):
    return {"name": name, "description": description, "category": category, "buurt": buurt, "terms": list(terms),
            "locations": list(places), "schedules": list(schedule), "languages": list(languages), **extra}


KRACHTSTATION = place("Krachtstation Kanaleneiland", "Marshallaan 2", "3527 TK", "BU03440832")
BWK_ONDIEP = place("BuurtWerkKamer Ondiep", "Zijdebalenstraat 7", "3551 RB", "BU03440222")
BWK_HOOGRAVEN = place("BuurtWerkKamer Hoograven", "Van Riebeeckstraat 40", "3532 ZK", "BU03440732")
WIP_OVERVECHT = place("Wijkinformatiepunt Overvecht", "Zamenhofdreef 15", "3562 JT", "BU03440321")
WIP_LEIDSCHE_RIJN = place("Wijkinformatiepunt Leidsche Rijn", "Brennerbaan 150", "3524 BN", "BU03440931")
PEERS_HUIS = place("Herstelhuis Power by Peers", "Biltstraat 106", "3572 BJ", "BU03440412")
ZORGBELANG = place("Zorgbelang Utrecht", "Oudegracht 245", "3511 NK", "BU03440611")
ONLINE = {"location_type": "virtual", "url": "https://samen030.nl/online"}

DEMO_OFFERS = {
    "krachtstation": [
        offer("Ondernemersspreekuur Kanaleneiland", "Wekelijks spreekuur voor bewoners die een eigen bedrijf willen starten: van idee tot inschrijving bij de KvK.",
              "werk-ondernemen", "BU03440832", ["ondernemerskring"], [KRACHTSTATION], [hours("WE", "13:00", "16:00")], ["nl", "ar", "tr"]),
        offer("Werken door de Wijk: leerwerkplekken", "Leerwerkplekken in de keuken, de fietsenmakerij en het onderhoud van het Krachtstation.",
              "werk-ondernemen", "BU03440831", ["werkervaring"], [KRACHTSTATION], [hours("MO,TU,WE,TH", "09:00", "15:00")], minimum_age=18),
        offer("Buurtmaaltijd in het Krachtstation", "Elke donderdag samen koken en eten voor een kleine bijdrage.",
              "welzijn-ontmoeten", "BU03440832", ["maaltijden"], [KRACHTSTATION], [hours("TH", "17:30", "19:30")],
              ["nl", "ar"], free=False, fees_description="€3,50 per maaltijd"),
        offer("Repair café Transwijk", "Samen kapotte spullen repareren met handige buurtgenoten.",
              "praktische-hulp", "BU03440823", ["repaircafe"], [place("Buurthuis Transwijk", "Van Heemstraweg 1", "3525 BE", "BU03440823")],
              [hours("SA", "10:00", "13:00")]),
        offer("Taalcafé Nederlands oefenen", "Ontspannen Nederlands oefenen met vrijwilligers uit de buurt.",
              "informatie", "BU03440812", ["taal"], [KRACHTSTATION], [hours("TU", "10:00", "11:30")], ["nl", "ar", "tr", "ti"]),
        offer("Vrijwilligerscentrale Zuidwest", "Vind vrijwilligerswerk in Kanaleneiland, Transwijk en Dichterswijk.",
              "werk-ondernemen", "BU03440822", ["vrijwilligerswerk"], [KRACHTSTATION], [hours("FR", "10:00", "12:00")]),
        offer("Beweegochtend voor 55-plussers", "Rustig bewegen met muziek, daarna koffie.",
              "lichte-zorg", "BU03440831", ["bewegen"], [KRACHTSTATION], [hours("MO", "10:00", "11:00")], minimum_age=55),
    ],
    "buurtwerkkamer": [
        offer("BuurtWerkKamer Ondiep", "Huiskamer van de buurt, gerund door bewoners: koffie, activiteiten en een luisterend oor.",
              "welzijn-ontmoeten", "BU03440222", ["buurtwerkkamer"], [BWK_ONDIEP], [hours("MO,WE,FR", "10:00", "16:00")]),
        offer("Klussenploeg Zuilen", "Vrijwilligers helpen bij kleine klussen in huis voor wie dat zelf niet meer kan.",
              "praktische-hulp", "BU03440244", ["klussen"], [BWK_ONDIEP], [hours("TU", "09:00", "12:00")]),
        offer("Moestuin Overvecht", "Samen tuinieren en de oogst delen in de buurtmoestuin.",
              "welzijn-ontmoeten", "BU03440312", ["groen"], [place("Buurtmoestuin Overvecht", "Wolgadreef 2", "3564 JA", "BU03440312")],
              [hours("WE,SA", "10:00", "12:00")], ["nl", "tr"]),
        offer("Wandelgroep Lunetten", "Elke dinsdagochtend een uur wandelen door het park, voor iedereen.",
              "lichte-zorg", "BU03440711", ["bewegen"], [place("Ingang Park Lunetten", "Hondsrug 1", "3524 BP", "BU03440711")],
              [hours("TU", "09:30", "10:30")]),
        offer("Buurtkamer Hoograven", "Bewoners organiseren creatieve middagen en spelletjes.",
              "welzijn-ontmoeten", "BU03440732", ["buurtwerkkamer", "activiteiten"], [BWK_HOOGRAVEN], [hours("TH", "13:30", "16:30")]),
        offer("Boodschappenmaatjes Hoograven", "Een vrijwilliger gaat met je mee boodschappen doen of haalt ze voor je.",
              "praktische-hulp", "BU03440733", ["vervoer-boodschappen"], [BWK_HOOGRAVEN], [hours("MO,TH", "10:00", "12:00")]),
        offer("Zelfbeheer buurthuis De Sterrenwijk", "Bewoners beheren samen het buurthuis: denk en doe mee.",
              "buurtzaken", "BU03440522", ["zelfbeheer"], [place("Buurthuis Sterrenwijk", "Jupiterstraat 8", "3584 CP", "BU03440522")],
              [hours("WE", "19:30", "21:30")]),
    ],
    "wijkinformatiepunt": [
        offer("Wijkinformatiepunt Overvecht", "Inloop voor vragen over geld, wonen, zorg en formulieren; wij zoeken het samen uit of verwijzen warm door.",
              "informatie", "BU03440321", ["inloopspreekuur"], [WIP_OVERVECHT], [hours("MO,TU,WE,TH", "09:30", "12:30")], ["nl", "ar", "tr", "so"]),
        offer("Formulierenhulp Kanaleneiland", "Hulp bij toeslagen, belastingaangifte en brieven van instanties.",
              "informatie", "BU03440831", ["geldzaken"], [KRACHTSTATION], [hours("TU,TH", "13:00", "15:00")], ["nl", "ar"]),
        offer("Wijkinformatiepunt Leidsche Rijn", "Vragen over de wijk, voorzieningen en wie je kan helpen.",
              "informatie", "BU03440931", ["inloopspreekuur"], [WIP_LEIDSCHE_RIJN], [hours("WE,FR", "10:00", "13:00")], ["nl", "en"]),
        offer("Geldzorgen spreekuur Zuilen", "Vertrouwelijk spreekuur voor wie moeite heeft de eindjes aan elkaar te knopen.",
              "informatie", "BU03440232", ["geldzaken"], [place("Bibliotheek Zuilen", "Prinses Christinalaan 4", "3554 PD", "BU03440232")],
              [hours("WE", "14:00", "16:00")]),
        offer("Digicafé Lombok", "Hulp met de computer, DigiD en de telefoon.",
              "informatie", "BU03440121", ["digitale-hulp"], [place("Buurthuis Lombok", "Jan Pieterszoon Coenstraat 2", "3531 EK", "BU03440121")],
              [hours("FR", "10:00", "12:00")], ["nl", "ar", "tr"]),
        offer("Online vragenuur", "Stel je vraag via videobellen aan een vrijwilliger van het wijkinformatiepunt.",
              "informatie", "BU03440611", ["inloopspreekuur"], [ONLINE], [hours("MO", "19:00", "20:30")], ["nl", "en"]),
    ],
    "powerbypeers": [
        offer("Lotgenotengroep herstel", "Ervaringsdeskundigen begeleiden een groep voor mensen die herstellen van psychische klachten.",
              "lichte-zorg", "BU03440412", ["ervaringsdeskundigen"], [PEERS_HUIS], [hours("TU", "19:00", "21:00")], minimum_age=18),
        offer("Maatje door ervaring", "Een ervaringsdeskundige loopt een tijd met je mee.",
              "lichte-zorg", "BU03440522", ["ervaringsdeskundigen"], [PEERS_HUIS], [hours("MO,WE", "10:00", "16:00")], ["nl", "en"]),
        offer("Peer support bij schulden", "Praten met iemand die zelf schulden heeft gehad en eruit kwam.",
              "informatie", "BU03440812", ["geldzaken"], [KRACHTSTATION], [hours("TH", "14:00", "16:00")]),
        offer("Herstelcafé Vleuten", "Inloop voor ontmoeting en steun van mensen met ervaring.",
              "welzijn-ontmoeten", "BU03441013", ["activiteiten"], [place("Dorpshuis Vleuten", "Schoolstraat 1", "3451 AB", "BU03441013")],
              [hours("SA", "13:00", "16:00")]),
        offer("Online herstelgroep", "Elke week een herstelgroep via videobellen, voor wie niet naar een groep kan komen.",
              "lichte-zorg", "BU03440412", ["ervaringsdeskundigen"], [ONLINE], [hours("TH", "20:00", "21:30")]),
    ],
    "zorgbelang": [
        offer("Cliëntondersteuning Wmo", "Onafhankelijke hulp bij het aanvragen van zorg en ondersteuning bij de gemeente.",
              "lichte-zorg", "BU03440611", ["clientondersteuning"], [ZORGBELANG], [hours("MO,TU,WE,TH,FR", "09:00", "17:00")], ["nl", "en", "tr"]),
        offer("Klachtenbemiddeling zorg", "Ondersteuning als u ontevreden bent over zorg of hulp.",
              "lichte-zorg", "BU03440533", ["clientondersteuning"], [ZORGBELANG], [hours("TU,TH", "10:00", "15:00")]),
        offer("Bewonerspanel zorg in de wijk", "Denk mee over zorg en welzijn in uw wijk.",
              "buurtzaken", "BU03440913", ["meebeslissen"], [WIP_LEIDSCHE_RIJN], [hours("WE", "19:30", "21:00")]),
        offer("Inloop mantelzorgers De Meern", "Informatie en steun voor mantelzorgers.",
              "lichte-zorg", "BU03441031", ["mantelzorg"], [place("Buurthuis De Meern", "Mereveldplein 9", "3454 CK", "BU03441031")],
              [hours("FR", "10:00", "12:00")]),
        offer("Mantelzorgcafé Overvecht", "Mantelzorgers ontmoeten elkaar en wisselen tips uit.",
              "lichte-zorg", "BU03440321", ["mantelzorg"], [WIP_OVERVECHT], [hours("TH", "14:00", "16:00")], ["nl", "tr", "ar"]),
    ],
    "samen030": [
        offer("Bewonersinitiatief starten", "De stadscoöperatie helpt bewoners een initiatief op te zetten waar nog geen buurtorganisatie is.",
              "buurtzaken", "BU03441022", ["bewonersinitiatief"], [place("Wijkcentrum Vleuterweide", "Vleuterweide-Centrum 10", "3452 MV", "BU03441022")],
              [hours("TU", "19:00", "21:00")]),
        offer("Buurtbudget Rivierenwijk", "Ideeën voor de buurt indienen en samen beslissen over het buurtbudget.",
              "buurtzaken", "BU03440812", ["meebeslissen"], [place("Buurthuis Rivierenwijk", "Waalstraat 24", "3522 SP", "BU03440812")]),
        offer("Sociaal makelaar worden", "Training voor bewoners die vragen en aanbod in hun buurt willen verbinden.",
              "werk-ondernemen", "BU03440433", ["vrijwilligerswerk"], [ONLINE], [hours("MO", "19:30", "21:30")], ["nl", "en"]),
        offer("Ondernemerskring Binnenstad", "Ondernemers uit de binnenstad werken samen aan een levendige buurt.",
              "werk-ondernemen", "BU03440625", ["ondernemerskring"],
              [place("Buurtkamer Binnenstad", "Lange Nieuwstraat 7", "3512 PA", "BU03440625")], [hours("WE", "08:00", "09:30")],
              free=False, fees_description="Contributie €25 per jaar"),
    ],
}


def load_demo(federation, only_if_empty: bool = True, log=print) -> int:
    created = 0
    for partner_id, offers in DEMO_OFFERS.items():
        partner = federation.partners.get(partner_id)
        if partner is None or "directory" not in partner.services:
            continue
        url = partner.url("directory") + "/offers"
        if only_if_empty and http.get(url, params={"per_page": 1}, timeout=5).json()["total_items"]:
            continue
        token = issue_token(partner_id, "coordinator", f"demo-{partner_id}")
        for body in offers:
            response = http.post(url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=5)
            if response.status_code != 201:
                raise RuntimeError(f"demo offer {body['name']!r} refused by {partner_id}: {response.text}")
            created += 1
        log(f"  demo: {len(offers)} offers at {partner_id}")
    return created
