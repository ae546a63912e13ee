"""The gateway's city-wide search, over a read model fed by the projection itself (no broker)."""
import uuid

import pytest
from sqlalchemy import delete, func, select, update

from samen030.gateway.app import create_app
from samen030.gateway.projector import readmodel_projection
from samen030.gateway.readmodel import offer_terms, search_index_version
from samen030.gateway.schemas import CityOfferSchema
from samen030.kernel.config import Federation, Partner
from samen030.kernel.consumer import APPLIED, DUPLICATE
from samen030.kernel.events import new_event
from samen030.kernel.geography import buurt as buurt_of
from samen030.kernel.natsserver import free_port

KANALENEILAND, OVERVECHT = "BU03440832", "BU03441031"  # in wijk WK034408 and WK034410


def offer_event(name, description="", partner="zorgbelang", category="informatie", buurt=KANALENEILAND,
                status="active", version=1, offer_id=None):
    offer_id = offer_id or str(uuid.uuid4())
    data = {"offer_id": offer_id, "name": name, "description": description, "category": category,
            "buurt": buurt, "wijk": buurt_of(buurt).wijk_code, "status": status, "version": version,
            "updated_at": "2026-11-27T10:00:00Z"}
    event = new_event(partner, "directory", "offer", "created" if version == 1 else "updated", offer_id, data)
    return event.to_json(), event.nats_subject


@pytest.fixture
def gateway(databases, monkeypatch):
    if schema := databases.schema("city", "gateway"):
        monkeypatch.setenv("DATABASE_SCHEMA", schema)
    dead = f"http://127.0.0.1:{free_port()}"
    federation = Federation("http://127.0.0.1:8080", "nats://127.0.0.1:4250", {
        p: Partner(p, p, {"directory": dead}) for p in ("krachtstation", "zorgbelang")}, source=None)

    def make():
        app = create_app(databases.url("city", "gateway"), federation, {"TESTING": True})
        databases.opened.append(app.extensions["samen030.db"])
        return app
    app = make()
    app.reopen = make
    return app


@pytest.fixture
def project(gateway):
    projection = readmodel_projection(gateway.extensions["samen030.db"])
    return lambda *events: projection.apply(list(events))


@pytest.fixture
def search(gateway):
    client = gateway.test_client()

    def get(query=""):
        response = client.get(f"/api/v1/search?{query}")
        assert response.status_code == 200, response.json
        return response.json
    return get


def names(result):
    return [item["name"] for item in result["items"]]


def test_word_forms_accents_and_case_do_not_matter(project, search):
    project(offer_event("Buurthuizen open"), offer_event("Taalcafé"), offer_event("Samen maaltijden koken"),
            offer_event("Inloop", "Hulp bij brieven voor kinderen"), offer_event("Cliëntondersteuning"),
            offer_event("Straatspeeldag", "Spelen op straat"))
    for query, expected in [("buurthuis", {"Buurthuizen open"}), ("taalcafés", {"Taalcafé"}),
                            ("TAALCAFE", {"Taalcafé"}), ("maaltijd", {"Samen maaltijden koken"}),
                            ("brief", {"Inloop"}), ("kind", {"Inloop"}), ("cliënten", {"Cliëntondersteuning"}),
                            ("client", {"Cliëntondersteuning"}), ("straten", {"Straatspeeldag"}),
                            ("ouderen", set())]:
        assert set(names(search(f"q={query}"))) == expected, query


def test_parts_of_compounds_match_but_fragments_do_not(project, search):
    project(offer_event("Buurthuis De Pijler"), offer_event("Hulp thuis"), offer_event("Mantelzorg"),
            offer_event("Boodschappen bezorgen"), offer_event("Mantelzorgers praten"), offer_event("Taalcafé"))
    assert set(names(search("q=huizen"))) == {"Buurthuis De Pijler"}  # not "thuis"
    assert set(names(search("q=buurt"))) == {"Buurthuis De Pijler"}
    assert set(names(search("q=zorg"))) == {"Mantelzorg"}  # not "bezorgen", nor the middle of "mantelzorgers"
    assert set(names(search("q=mantelzorg"))) == {"Mantelzorg", "Mantelzorgers praten"}
    assert set(names(search("q=café"))) == {"Taalcafé"}
    assert names(search("q=caf")) == []  # three letters match whole words only


def test_more_words_rank_higher_then_the_name_then_whole_words_then_by_name(project, search):
    project(offer_event("Inloop", "taal en koffie"), offer_event("Koffie en taal"),
            offer_event("Koffieochtend"), offer_event("Taalcafé", "met koffie"), offer_event("Taal"),
            offer_event("Buurtkamer", "koffie"), offer_event("Aanloop", "Koffie!"), offer_event("Fietsen"))
    result = search("q=koffie taal")
    assert [(item["name"], item["score"]) for item in result["items"]] == [
        ("Koffie en taal", 222), ("Taalcafé", 211), ("Inloop", 202), ("Taal", 111), ("Koffieochtend", 110),
        ("Aanloop", 101), ("Buurtkamer", 101)]
    assert all(set(item) == set(CityOfferSchema().fields) | {"score"} for item in result["items"])


def test_facets_count_the_matches_of_the_query_and_all_filters(project, search):
    project(offer_event("Taalles", category="informatie"),
            offer_event("Taalcafé", category="welzijn-ontmoeten"),
            offer_event("Taalmaatjes", category="welzijn-ontmoeten", buurt=OVERVECHT),
            offer_event("Taal op het werk", partner="krachtstation", category="werk-ondernemen", buurt=OVERVECHT),
            offer_event("Koffieochtend", category="welzijn-ontmoeten"))
    everything = search("q=taal")
    assert everything["total_items"] == 4
    assert everything["facets"] == {"category": {"informatie": 1, "welzijn-ontmoeten": 2, "werk-ondernemen": 1},
                                    "wijk": {"WK034408": 2, "WK034410": 2}}
    in_overvecht = search("q=taal&wijk=WK034410")
    assert set(names(in_overvecht)) == {"Taalmaatjes", "Taal op het werk"}
    assert in_overvecht["facets"] == {"category": {"welzijn-ontmoeten": 1, "werk-ondernemen": 1},
                                      "wijk": {"WK034410": 2}}
    assert names(search("q=taal&wijk=WK034410&category=werk-ondernemen&partner=krachtstation")) == [
        "Taal op het werk"]
    assert names(search(f"q=taal&buurt={KANALENEILAND}&category=welzijn-ontmoeten")) == ["Taalcafé"]
    assert search("q=taal&partner=krachtstation&wijk=WK034408") == {
        "items": [], "page": 1, "per_page": 25, "total_items": 0, "total_pages": 0,
        "facets": {"category": {}, "wijk": {}}}
    browse = search("wijk=WK034408")
    assert (browse["total_items"], names(browse)) == (3, ["Koffieochtend", "Taalcafé", "Taalles"])
    assert browse["facets"]["category"] == {"informatie": 1, "welzijn-ontmoeten": 2}


def test_without_words_every_active_offer_in_name_order(project, search):
    project(offer_event("Zwemles"), offer_event("Aquarel"), offer_event("Gesloten", status="inactive"))
    for query in ("", "q=", "q=de het", "q=!?"):
        result = search(query)
        assert [(item["name"], item["score"]) for item in result["items"]] == [("Aquarel", 0), ("Zwemles", 0)]
        assert result["facets"] == {"category": {"informatie": 2}, "wijk": {"WK034408": 2}}


def test_pages_follow_the_ranking(project, search):
    project(*(offer_event(f"Inloop {n}", "spreekuur") for n in range(5)),
            offer_event("Spreekuur", "spreekuur"), offer_event("Spreekuren in de wijk"))
    first = search("q=spreekuur&per_page=3")
    assert (first["total_items"], first["total_pages"]) == (7, 3)
    assert names(first) == ["Spreekuren in de wijk", "Spreekuur", "Inloop 0"]
    rest = names(search("q=spreekuur&per_page=3&page=2")) + names(search("q=spreekuur&per_page=3&page=3"))
    assert rest == ["Inloop 1", "Inloop 2", "Inloop 3", "Inloop 4"]
    beyond = search("q=spreekuur&per_page=3&page=4")
    assert (beyond["items"], beyond["total_items"]) == ([], 7)


def test_a_new_version_is_found_by_its_own_words_only(project, search):
    offer_id = str(uuid.uuid4())
    first = offer_event("Taalcafé", "elke dinsdag", offer_id=offer_id)
    assert project(first, offer_event("Repair café", "dinsdag", offer_id=offer_id, version=2)) == [APPLIED] * 2
    assert names(search("q=taal")) == [] and names(search("q=dinsdag")) == ["Repair café"]
    # a late older version, and a redelivery, change nothing
    assert project(offer_event("Taalcafé", offer_id=offer_id, version=1), first) == [APPLIED, DUPLICATE]
    assert names(search("q=taal")) == [] and names(search("q=repair")) == ["Repair café"]
    project(offer_event("Repair café", "dinsdag", offer_id=offer_id, version=3, status="inactive"))
    assert search("q=repair")["total_items"] == 0 and search("")["total_items"] == 0
    project(offer_event("Repair café", "dinsdag", offer_id=offer_id, version=4))
    assert names(search("q=repair")) == ["Repair café"]


def test_another_partner_cannot_change_an_offers_words(project, search):
    offer_id = str(uuid.uuid4())
    project(offer_event("Taalcafé", offer_id=offer_id, partner="zorgbelang"),
            offer_event("Gekaapt", offer_id=offer_id, partner="krachtstation", version=2))
    assert names(search("q=taal")) == ["Taalcafé"] and names(search("q=gekaapt")) == []


def test_the_index_is_built_for_a_read_model_from_before_the_search(gateway, project):
    project(offer_event("Buurthuizen"), offer_event("Gesloten", status="inactive"))
    db = gateway.extensions["samen030.db"]
    with db.begin() as conn:
        conn.execute(delete(offer_terms))
        conn.execute(update(search_index_version).values(version=0))
    reopened = gateway.reopen()
    assert reopened.test_client().get("/api/v1/search?q=huis").json["total_items"] == 1
    with db.connect() as conn:
        assert conn.execute(select(func.count(func.distinct(offer_terms.c.offer_id)))).scalar_one() == 1


@pytest.mark.parametrize("query, field", [
    ("q=" + "taal" * 250, "q"), ("q=%00", "q"), ("q=taal%07cafe", "q"),
    ("q=" + "+".join(f"woord{n}" for n in range(10)), "q"),
    ("wijk=%00", "wijk"), ("wijk=WK999", "wijk"), ("buurt=" + "B" * 3000, "buurt"), ("category=x", "category"),
    ("partner=" + "x" * 3000, "partner"), ("partner=%00", "partner"), ("page=0", "page"),
    ("page=99999999999999999999", "page"), ("per_page=1e9", "per_page"), ("per_page=%00", "per_page"),
])
def test_bad_input_is_a_422_naming_the_field(gateway, query, field):
    response = gateway.test_client().get(f"/api/v1/search?{query}")
    assert response.status_code == 422, response.json
    assert list(response.json["errors"]["query"]) == [field]


def test_offers_names_the_field_with_a_nul(gateway):
    response = gateway.test_client().get("/api/v1/offers?wijk=%00")
    assert response.status_code == 422 and list(response.json["errors"]["query"]) == ["wijk"]
