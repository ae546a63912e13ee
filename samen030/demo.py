"""Demo offers for the founding partners, loaded over HTTP like any coordinator would."""
import requests as http

from samen030.kernel.auth import issue_token

DEMO_OFFERS = {
    "krachtstation": [
        ("Ondernemersspreekuur Kanaleneiland", "Wekelijks spreekuur voor bewoners die een eigen bedrijf willen starten: van idee tot inschrijving bij de KvK.", "werk-ondernemen", "BU03440832"),
        ("Werken door de Wijk: leerwerkplekken", "Leerwerkplekken in de keuken, de fietsenmakerij en het onderhoud van het Krachtstation.", "werk-ondernemen", "BU03440831"),
        ("Buurtmaaltijd in het Krachtstation", "Elke donderdag samen koken en eten voor een kleine bijdrage.", "welzijn-ontmoeten", "BU03440832"),
        ("Repair café Transwijk", "Samen kapotte spullen repareren met handige buurtgenoten.", "praktische-hulp", "BU03440823"),
        ("Taalcafé Nederlands oefenen", "Ontspannen Nederlands oefenen met vrijwilligers uit de buurt.", "informatie", "BU03440812"),
    ],
    "buurtwerkkamer": [
        ("BuurtWerkKamer Ondiep", "Huiskamer van de buurt, gerund door bewoners: koffie, activiteiten en een luisterend oor.", "welzijn-ontmoeten", "BU03440222"),
        ("Klussenploeg Zuilen", "Vrijwilligers helpen bij kleine klussen in huis voor wie dat zelf niet meer kan.", "praktische-hulp", "BU03440244"),
        ("Moestuin Overvecht", "Samen tuinieren en de oogst delen in de buurtmoestuin.", "welzijn-ontmoeten", "BU03440312"),
        ("Wandelgroep Lunetten", "Elke dinsdagochtend een uur wandelen door het park, voor iedereen.", "lichte-zorg", "BU03440711"),
        ("Buurtkamer Hoograven", "Bewoners organiseren creatieve middagen en spelletjes.", "welzijn-ontmoeten", "BU03440732"),
    ],
    "wijkinformatiepunt": [
        ("Wijkinformatiepunt Overvecht", "Inloop voor vragen over geld, wonen, zorg en formulieren; wij zoeken het samen uit of verwijzen warm door.", "informatie", "BU03440321"),
        ("Formulierenhulp Kanaleneiland", "Hulp bij toeslagen, belastingaangifte en brieven van instanties.", "praktische-hulp", "BU03440831"),
        ("Wijkinformatiepunt Leidsche Rijn", "Vragen over de wijk, voorzieningen en wie je kan helpen.", "informatie", "BU03440931"),
        ("Geldzorgen spreekuur Zuilen", "Vertrouwelijk spreekuur voor wie moeite heeft de eindjes aan elkaar te knopen.", "informatie", "BU03440232"),
        ("Digicafé Lombok", "Hulp met de computer, DigiD en de telefoon.", "praktische-hulp", "BU03440121"),
    ],
    "powerbypeers": [
        ("Lotgenotengroep herstel", "Ervaringsdeskundigen begeleiden een groep voor mensen die herstellen van psychische klachten.", "lichte-zorg", "BU03440412"),
        ("Maatje door ervaring", "Een ervaringsdeskundige loopt een tijd met je mee.", "lichte-zorg", "BU03440522"),
        ("Peer support bij schulden", "Praten met iemand die zelf schulden heeft gehad en eruit kwam.", "informatie", "BU03440812"),
        ("Herstelcafé Vleuten", "Inloop voor ontmoeting en steun van mensen met ervaring.", "welzijn-ontmoeten", "BU03441013"),
    ],
    "zorgbelang": [
        ("Cliëntondersteuning Wmo", "Onafhankelijke hulp bij het aanvragen van zorg en ondersteuning bij de gemeente.", "lichte-zorg", "BU03440611"),
        ("Klachtenbemiddeling zorg", "Ondersteuning als u ontevreden bent over zorg of hulp.", "lichte-zorg", "BU03440533"),
        ("Bewonerspanel zorg in de wijk", "Denk mee over zorg en welzijn in uw wijk.", "buurtzaken", "BU03440913"),
        ("Inloop mantelzorgers De Meern", "Informatie en steun voor mantelzorgers.", "lichte-zorg", "BU03441031"),
    ],
    "samen030": [
        ("Bewonersinitiatief starten", "De stadscoöperatie helpt bewoners een initiatief op te zetten waar nog geen buurtorganisatie is.", "buurtzaken", "BU03441022"),
        ("Buurtbudget Rivierenwijk", "Ideeën voor de buurt indienen en samen beslissen over het buurtbudget.", "buurtzaken", "BU03440812"),
        ("Sociaal makelaar worden", "Training voor bewoners die vragen en aanbod in hun buurt willen verbinden.", "werk-ondernemen", "BU03440433"),
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
        for name, description, category, buurt in offers:
            response = http.post(url, json={"name": name, "description": description, "category": category,
                                            "buurt": buurt}, headers={"Authorization": f"Bearer {token}"}, timeout=5)
            response.raise_for_status()
            created += 1
        log(f"  demo: {len(offers)} offers at {partner_id}")
    return created
