"""Suggestions for a help request: the read model's active offers that fit its category and buurt,
ranked, each with its reasons — on SQLite and PostgreSQL, fed by the projection itself."""
import uuid

import pytest

from samen030.gateway.app import create_app
from samen030.gateway.projector import readmodel_projection
from samen030.kernel.config import Federation, Partner
from samen030.kernel.events import new_event
from samen030.kernel.geography import buurt as buurt_of
from samen030.kernel.natsserver import free_port

NOORD, ZUID, VLEUTEN = "BU03440832", "BU03440831", "BU03441013"  # Kanaleneiland-Noord and -Zuid (WK034408)
MONDAY_10, SATURDAY_10 = "2026-11-30T10:00:00", "2026-12-05T10:00:00"  # Utrecht time
WEEKDAYS_9_17 = [{"byday": "MO,TU,WE,TH,FR", "opens_at": "09:00", "closes_at": "17:00"}]


def offer(name, partner="zorgbelang", category="informatie", buurt=NOORD, **fields):
    offer_id = str(uuid.uuid4())
    data = {"offer_id": offer_id, "name": name, "description": "", "category": category, "terms": [],
            "buurt": buurt, "wijk": buurt_of(buurt).wijk_code, "status": "active", "free": True, "languages": ["nl"],
            "minimum_age": None, "maximum_age": None, "location_buurten": [buurt], "virtual": False,
            "opening_hours": [], "version": 1, "updated_at": "2026-11-27T10:00:00Z", **fields}
    event = new_event(partner, "directory", "offer", "created", offer_id, data)
    return event.to_json(), event.nats_subject


@pytest.fixture
def suggest(databases, monkeypatch):
    if schema := databases.schema("city", "gateway"):
        monkeypatch.setenv("DATABASE_SCHEMA", schema)
    dead = f"http://127.0.0.1:{free_port()}"
    federation = Federation("http://127.0.0.1:8080", "nats://127.0.0.1:4250", {
        p: Partner(p, p, {"directory": dead}) for p in ("krachtstation", "zorgbelang")}, source=None)
    app = create_app(databases.url("city", "gateway"), federation, {"TESTING": True})
    databases.opened.append(app.extensions["samen030.db"])
    readmodel_projection(app.extensions["samen030.db"]).apply([
        offer("Taalcafé Noord", terms=["taal"], languages=["nl", "tr"], opening_hours=WEEKDAYS_9_17),
        offer("Inloop Zuid", buurt=ZUID, opening_hours=[{"byday": "TU", "opens_at": "13:00", "closes_at": "15:00"}]),
        offer("Digitaal spreekuur", buurt=VLEUTEN, location_buurten=[], virtual=True, languages=["nl", "ar"],
              terms=["digitale-hulp"], opening_hours=WEEKDAYS_9_17),
        offer("Wijkloket Zuidwest", buurt=VLEUTEN, areas=["WK034408"], partner="krachtstation",
              opening_hours=[{"byday": "MO", "opens_at": "11:00", "closes_at": "12:00"}]),
        offer("Spreekuur voor Noord", buurt=VLEUTEN, areas=[NOORD], opening_hours=WEEKDAYS_9_17),
        offer("Huiskamer aan het kanaal", buurt=VLEUTEN, location_buurten=[VLEUTEN, NOORD], partner="krachtstation"),
        offer("Ver weg", buurt=VLEUTEN, opening_hours=WEEKDAYS_9_17),
        offer("Gesloten loket", status="inactive", opening_hours=WEEKDAYS_9_17),
        offer("Tijdelijk dicht", status="temporarily closed", opening_hours=WEEKDAYS_9_17),
        offer("Klussendienst", category="praktische-hulp", opening_hours=WEEKDAYS_9_17),
    ])
    client = app.test_client()

    def get(query):
        response = client.get(f"/api/v1/suggestions?{query}")
        assert response.status_code == 200, response.json
        return response.json["items"]
    get.client = client
    return get


def ranked(items):
    return [(item["name"], item["score"]) for item in items]


def reasons(item):
    return [reason["code"] for reason in item["reasons"]]


def test_only_active_offers_of_the_category_within_reach_best_first(suggest):
    items = suggest(f"category=informatie&buurt={NOORD}&at={MONDAY_10}")
    assert ranked(items) == [("Taalcafé Noord", 60), ("Spreekuur voor Noord", 55), ("Huiskamer aan het kanaal", 40),
                             ("Digitaal spreekuur", 30), ("Inloop Zuid", 30), ("Wijkloket Zuidwest", 30)]
    first = items[0]
    assert reasons(first) == ["category", "same_buurt", "open"]
    assert first["reasons"][1]["text"] == "In de eigen buurt Kanaleneiland-Noord (in the same buurt)"
    assert first["reasons"][2]["text"] == "Open op maandag 30 november 10:00 (open at the moment asked)"
    assert first["next_opening"] == "2026-11-30T10:00:00+01:00"
    assert first["partner"] == "zorgbelang" and first["languages"] == ["nl", "tr"] and "freshness" in first
    assert {item["name"] for item in items}.isdisjoint({"Ver weg", "Gesloten loket", "Tijdelijk dicht", "Klussendienst"})


def test_every_way_of_reaching_the_buurt_is_a_reason(suggest):
    items = {item["name"]: item for item in suggest(f"category=informatie&buurt={NOORD}&at={MONDAY_10}")}
    assert reasons(items["Spreekuur voor Noord"])[1] == "serves_buurt"
    assert reasons(items["Huiskamer aan het kanaal"]) == ["category", "same_buurt", "hours_unknown"]
    inloop = items["Inloop Zuid"]["reasons"][1]
    assert inloop == {"code": "same_wijk", "text": "In Kanaleneiland-Zuid, in dezelfde wijk (Wijk 08 Zuidwest) "
                                                   "(neighbouring buurt in the same wijk)"}
    assert items["Wijkloket Zuidwest"]["reasons"][1] == {
        "code": "serves_wijk", "text": "Werkt in heel Wijk 08 Zuidwest (serves the whole wijk)"}
    assert reasons(items["Digitaal spreekuur"])[1] == "online"


def test_a_neighbouring_buurt_of_another_wijk_is_not_near(suggest):
    names = [item["name"] for item in suggest(f"category=informatie&buurt=BU03440111&at={MONDAY_10}")]
    assert names == ["Digitaal spreekuur"]


def test_opening_hours_decide_between_equals_and_say_when_it_opens(suggest):
    items = {item["name"]: item for item in suggest(f"category=informatie&buurt={NOORD}&at=2026-12-01T14:00:00")}
    assert reasons(items["Inloop Zuid"])[-1] == "open" and items["Inloop Zuid"]["score"] == 45
    saturday = {item["name"]: item for item in suggest(f"category=informatie&buurt={NOORD}&at={SATURDAY_10}")}
    taalcafe = saturday["Taalcafé Noord"]
    assert taalcafe["next_opening"] == "2026-12-07T09:00:00+01:00" and taalcafe["score"] == 45
    assert taalcafe["reasons"][-1] == {"code": "opens_later",
                                       "text": "Eerstvolgende opening maandag 7 december 09:00 (next opening)"}
    sunday_evening = suggest(f"category=informatie&buurt={NOORD}&at=2026-12-06T20:00:00%2B01:00")
    assert {item["name"]: item["score"] for item in sunday_evening}["Taalcafé Noord"] == 50  # opens within a day


def test_languages_leave_out_offers_that_speak_none_of_them_and_the_first_counts_most(suggest):
    assert ranked(suggest(f"category=informatie&buurt={NOORD}&at={MONDAY_10}&languages=tr")) == [("Taalcafé Noord", 70)]
    both = suggest(f"category=informatie&buurt={NOORD}&at={MONDAY_10}&languages=ar,tr")
    assert ranked(both) == [("Taalcafé Noord", 65), ("Digitaal spreekuur", 40)]
    assert both[0]["reasons"][-1] == {"code": "language", "text": "Spreekt Turks (speaks tr)"}
    assert both[1]["reasons"][-1] == {"code": "language", "text": "Spreekt Arabisch (speaks ar)"}


def test_sub_terms_asked_for_rank_higher(suggest):
    items = suggest(f"category=informatie&buurt={NOORD}&at={MONDAY_10}&terms=digitale-hulp")
    assert items[0]["name"] == "Taalcafé Noord" and ranked(items)[1:3] == [("Spreekuur voor Noord", 55),
                                                                           ("Digitaal spreekuur", 45)]
    assert items[2]["reasons"][2] == {"code": "terms", "text": "Past bij Digitale hulp (Digital help)"}


def test_a_partner_can_be_left_out_and_the_list_cut_short(suggest):
    names = [item["name"] for item in suggest(f"category=informatie&buurt={NOORD}&exclude_partner=zorgbelang")]
    assert sorted(names) == ["Huiskamer aan het kanaal", "Wijkloket Zuidwest"]
    assert len(suggest(f"category=informatie&buurt={NOORD}&limit=2")) == 2
    assert suggest(f"category=buurtzaken&buurt={NOORD}") == []


@pytest.mark.parametrize("query, field", [
    ("buurt=" + NOORD, "category"), ("category=informatie", "buurt"), ("category=zorg&buurt=" + NOORD, "category"),
    ("category=informatie&buurt=BU99999999", "buurt"), ("category=informatie&buurt=%00", "buurt"),
    ("category=informatie&buurt=" + NOORD + "&terms=klussen", "terms"),
    ("category=informatie&buurt=" + NOORD + "&terms=%00", "terms"),
    ("category=informatie&buurt=" + NOORD + "&languages=Turks", "languages"),
    ("category=informatie&buurt=" + NOORD + "&languages=" + ",".join(["tr"] * 11), "languages"),
    ("category=informatie&buurt=" + NOORD + "&at=morgen", "at"),
    ("category=informatie&buurt=" + NOORD + "&at=9999-12-31T23:59:59", "at"),
    ("category=informatie&buurt=" + NOORD + "&at=0001-01-01T00:00:00%2B14:00", "at"),
    ("category=informatie&buurt=" + NOORD + "&exclude_partner=" + "x" * 300, "exclude_partner"),
    ("category=informatie&buurt=" + NOORD + "&limit=0", "limit"),
    ("category=informatie&buurt=" + NOORD + "&limit=99999999999999999999", "limit"),
])
def test_bad_input_is_a_422_naming_the_field(suggest, query, field):
    response = suggest.client.get(f"/api/v1/suggestions?{query}")
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]["query"]


def test_empty_lists_ask_for_nothing(suggest):
    """The requests service sends `languages=` for a request without languages."""
    assert len(suggest(f"category=informatie&buurt={NOORD}&terms=&languages=")) == 6


def test_odd_input_is_never_a_500(suggest):
    for query in ["category=informatie&buurt=" + NOORD + "&terms=&languages=", "category=informatie&buurt=" + NOORD
                  + "&at=2026-03-29T02:30:00", "category=informatie&buurt=" + NOORD + "&at=2099-12-31T23:00:00",
                  "%ff=%fe&category=informatie&buurt=" + NOORD]:
        assert suggest.client.get(f"/api/v1/suggestions?{query}").status_code < 500, query
