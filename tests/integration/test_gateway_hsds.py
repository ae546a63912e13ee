"""The gateway's /hsds: the whole city as one HSDS 3.0 API, valid against the compiled schemas."""
import random
import uuid

import pytest

from samen030.demo import DEMO_OFFERS
from samen030.directory.app import create_app as create_directory
from samen030.directory.tables import outbox
from samen030.gateway.app import create_app as create_gateway
from samen030.gateway.projector import readmodel_projection
from samen030.kernel.config import load_federation
from samen030.kernel.taxonomy import TERMS
from sqlalchemy import select
from tests.hsds import assert_valid, assert_valid_page

PARTNERS = ["krachtstation", "zorgbelang", "powerbypeers"]


@pytest.fixture
def city(databases, monkeypatch, auth_header):
    """Three partners' demo offers, created through their directories and projected from their
    outboxes' events into the gateway's read model."""
    events = []
    for partner in PARTNERS:
        if schema := databases.schema(partner, "directory"):
            monkeypatch.setenv("DATABASE_SCHEMA", schema)
        directory = create_directory(partner, databases.url(partner, "directory"), {"TESTING": True})
        databases.opened.append(directory.extensions["samen030.db"])
        client = directory.test_client()
        for offer in DEMO_OFFERS[partner]:
            assert client.post("/offers", json=offer, headers=auth_header(partner)).status_code == 201
        with directory.extensions["samen030.db"].connect() as conn:
            events += conn.execute(select(outbox.c.payload, outbox.c.nats_subject).order_by(outbox.c.seq)).all()
    if schema := databases.schema("city", "gateway"):
        monkeypatch.setenv("DATABASE_SCHEMA", schema)
    gateway = create_gateway(databases.url("city", "gateway"), load_federation(), {"TESTING": True})
    databases.opened.append(gateway.extensions["samen030.db"])
    random.Random(7).shuffle(events)
    readmodel_projection(gateway.extensions["samen030.db"]).apply([tuple(e) for e in events])
    return gateway.test_client()


def test_an_hsds_client_pages_through_the_whole_city(city):
    expected = sum(len(DEMO_OFFERS[p]) for p in PARTNERS)
    seen, page = [], 1
    while True:
        body = city.get(f"/hsds/services?per_page=5&page={page}").json
        seen += assert_valid_page("service", body)
        if body["last_page"]:
            break
        page += 1
    assert len(seen) == len({s["id"] for s in seen}) == expected == body["total_items"]
    for service in seen:
        full = city.get(f"/hsds/services/{service['id']}").json
        assert_valid("service", full)
        assert full["organization"]["id"] == service["organization_id"]
    assert_valid_page("service", city.get("/hsds/services?full=true&per_page=50").json)


def test_nested_service_carries_what_the_events_carry(city):
    found = city.get("/hsds/services?search=inloop arabisch").json["contents"] or \
        city.get("/hsds/services?search=cliëntondersteuning").json["contents"]
    service = city.get(f"/hsds/services/{found[0]['id']}").json
    assert service["schedules"] and all(s["freq"] == "WEEKLY" for s in service["schedules"])
    assert service["languages"] and service["service_areas"][0]["extent"].startswith("BU0344")
    assert "contacts" not in service or service["contacts"] == []
    assert service["service_at_locations"][0]["location"]["location_type"] in ("physical", "virtual")


def test_organizations_and_filters(city):
    organizations = assert_valid_page("organization", city.get("/hsds/organizations?per_page=50").json)
    by_name = {o["name"]: o for o in organizations}
    zorgbelang = by_name["Zorgbelang Gelderland / Utrecht"]
    detail = city.get(f"/hsds/organizations/{zorgbelang['id']}").json
    assert_valid("organization", detail)
    assert len(detail["services"]) == len(DEMO_OFFERS["zorgbelang"])
    only = city.get(f"/hsds/services?organization_id={zorgbelang['id']}&per_page=50").json
    assert only["total_items"] == len(DEMO_OFFERS["zorgbelang"])
    mantelzorg = city.get(f"/hsds/services?taxonomy_term_id={TERMS['mantelzorg'].id}").json
    assert mantelzorg["total_items"] == sum("mantelzorg" in o["terms"] for p in PARTNERS for o in DEMO_OFFERS[p])
    assert city.get(f"/hsds/services?organization_id={uuid.uuid4()}").json["total_items"] == 0
    assert city.get("/hsds/services?wijk=WK034406").json["total_items"] >= 1
    assert_valid_page("taxonomy_term", city.get("/hsds/taxonomy_terms?top_only=true").json)
    places = assert_valid_page("service_at_location", city.get("/hsds/service_at_locations?per_page=100").json)
    assert len(places) == sum(len(o["locations"]) for p in PARTNERS for o in DEMO_OFFERS[p])
    for place in places[:5]:
        assert_valid("service_at_location", city.get(f"/hsds/service_at_locations/{place['id']}").json)
    assert city.get(f"/hsds/service_at_locations/{uuid.uuid4()}").status_code == 404
    assert city.get(f"/hsds/services/{uuid.uuid4()}").status_code == 404
    assert city.get("/hsds/services?wijk=nope").status_code == 422
    assert city.get("/hsds/").json["version"] == "3.0"


def test_a_buurt_code_the_gateway_does_not_know_is_no_500_for_the_city(databases, monkeypatch):
    """A partner's offer event names a buurt by a code of the right form that the gateway's CBS table
    does not hold (a newer CBS year, or a mistake): the event is valid (the schema checks the form), the
    read model keeps it, and /hsds/service_at_locations — every partner's locations, one list — and the
    offer's own HSDS page were a 500 (UnknownArea) for everyone."""
    from samen030.kernel.events import new_event
    if schema := databases.schema("city", "gateway"):
        monkeypatch.setenv("DATABASE_SCHEMA", schema)
    gateway = create_gateway(databases.url("city", "gateway"), load_federation(), {"TESTING": True})
    databases.opened.append(gateway.extensions["samen030.db"])
    offer_id = str(uuid.uuid4())
    event = new_event("krachtstation", "directory", "offer", "created", offer_id, {
        "offer_id": offer_id, "name": "Inloop", "description": "", "category": "informatie", "buurt": "BU03440832",
        "wijk": "WK034408", "status": "active", "version": 1, "updated_at": "2026-11-29T10:00:00Z",
        "location_buurten": ["BU03449999"]})
    readmodel_projection(gateway.extensions["samen030.db"]).apply([(event.to_json(), event.nats_subject)])
    client = gateway.test_client()
    service = client.get(f"/hsds/services/{offer_id}")
    assert service.status_code == 200
    assert_valid("service", service.json)
    listed = client.get("/hsds/service_at_locations")
    assert listed.status_code == 200 and listed.json["total_items"] == 1
