"""A partner's directory read as Open Referral HSDS 3.0: every endpoint validates against the
compiled schemas, on generated offers and on the demo data."""
import random
import uuid

import pytest

from samen030.demo import DEMO_OFFERS
from samen030.kernel.geography import buurten
from samen030.kernel.taxonomy import CATEGORIES, TERMS, sub_terms
from tests.hsds import assert_valid, assert_valid_page

PARTNER = "krachtstation"


def generated_offer(rng: random.Random) -> dict:
    category = rng.choice(list(CATEGORIES))
    areas = rng.sample(sorted(buurten()), 3)
    offer = {"name": f"Aanbod {rng.randint(1, 10**6)}", "description": "Iets voor de buurt.", "category": category,
             "terms": rng.sample(sub_terms(category), rng.randint(0, 2)), "buurt": areas[0],
             "status": rng.choice(["active", "inactive", "temporarily closed", "defunct"]),
             "free": rng.random() < 0.7, "languages": rng.sample(["nl", "en", "ar", "tr", "pl"], rng.randint(1, 3)),
             "locations": [], "schedules": [], "contacts": []}
    if not offer["free"]:
        offer["fees_description"] = rng.choice(["€2 per keer", "Vrijwillige bijdrage"])
    if rng.random() < 0.5:
        offer |= {"minimum_age": 18, "maximum_age": rng.choice([None, 67, 99]), "eligibility_description": "Voor volwassenen"}
    for area in areas[1:rng.randint(1, 3)]:
        offer["locations"].append({"name": "Buurthuis", "address_1": "Marshallaan 2", "postal_code": "3527 TK",
                                   "buurt": area, "latitude": 52.07, "longitude": 5.09})
    if rng.random() < 0.3:
        offer["locations"].append({"location_type": "virtual", "url": "https://example.nl/online"})
    for day in rng.sample(["MO", "TU", "WE", "TH", "FR", "SA"], rng.randint(0, 3)):
        offer["schedules"].append({"byday": day, "opens_at": "09:30", "closes_at": "12:00"})
    if rng.random() < 0.5:
        offer["contacts"].append({"name": "Fatima El Amrani", "title": "Coördinator", "email": "fatima@example.nl",
                                  "phone": "06 12345678"})
    return offer


@pytest.fixture
def client(directory_app, auth_header):
    client = directory_app(PARTNER).test_client()
    rng = random.Random(2026)
    for offer in [generated_offer(rng) for _ in range(25)]:
        response = client.post("/offers", json=offer, headers=auth_header(PARTNER))
        assert response.status_code == 201, response.json
    for offer in DEMO_OFFERS[PARTNER]:
        assert client.post("/offers", json=offer, headers=auth_header(PARTNER)).status_code == 201
    return client


def test_every_hsds_endpoint_validates(client):
    assert client.get("/").json["version"] == "3.0"
    for query in ("", "?full=true", "?minimal=true", "?per_page=7&page=2"):
        services = assert_valid_page("service", client.get(f"/services{query}").json)
        assert services
    for service in assert_valid_page("service", client.get("/services?per_page=100").json):
        full = client.get(f"/services/{service['id']}").json
        assert_valid("service", full)
        assert full["organization"]["id"] == full["organization_id"]
    organization = assert_valid_page("organization", client.get("/organizations").json)[0]
    assert_valid("organization", client.get(f"/organizations/{organization['id']}").json)
    places = assert_valid_page("service_at_location", client.get("/service_at_locations?per_page=100").json)
    assert places
    for place in places:
        assert_valid("service_at_location", client.get(f"/service_at_locations/{place['id']}").json)
    terms = assert_valid_page("taxonomy_term", client.get("/taxonomy_terms?per_page=100").json)
    assert len(terms) == len(TERMS)
    for term in terms[:3]:
        assert_valid("taxonomy_term", client.get(f"/taxonomy_terms/{term['id']}").json)
    taxonomy = client.get("/taxonomies").json["contents"][0]
    assert client.get(f"/taxonomies/{taxonomy['id']}").json["name"] == taxonomy["name"]


def test_paging_follows_hsds(client):
    total = client.get("/services").json["total_items"]
    pages = [client.get(f"/services?per_page=10&page={n}").json for n in (1, 2, 99)]
    assert [p["page_number"] for p in pages] == [1, 2, 99]
    assert pages[0]["first_page"] and not pages[0]["last_page"] and pages[0]["size"] == 10
    assert pages[0]["total_pages"] == -(-total // 10)
    assert pages[2]["empty"] and pages[2]["last_page"] and pages[2]["contents"] == []
    ids = [s["id"] for n in range(1, pages[0]["total_pages"] + 1)
           for s in client.get(f"/services?per_page=10&page={n}").json["contents"]]
    assert len(ids) == len(set(ids)) == total


def test_a_fully_nested_service(client, auth_header):
    offer = {"name": "Repair café Transwijk", "description": "Samen repareren.", "category": "praktische-hulp",
             "terms": ["repaircafe"], "buurt": "BU03440823", "free": False, "fees_description": "€2 per keer",
             "languages": ["nl", "ar"], "schedules": [{"byday": "SA", "opens_at": "10:00", "closes_at": "13:00"}],
             "locations": [{"name": "Krachtstation", "address_1": "Marshallaan 2", "postal_code": "3527 TK",
                            "buurt": "BU03440832"}],
             "contacts": [{"name": "Jan Jansen", "phone": "06 12345678"}]}
    created = client.post("/offers", json=offer, headers=auth_header(PARTNER)).json
    client.patch(f"/offers/{created['id']}", json={"version": 1, "name": "Repair café Transwijk-Zuid"},
                 headers=auth_header(PARTNER))
    service = client.get(f"/services/{created['id']}").json
    assert service["name"] == "Repair café Transwijk-Zuid"
    assert [a["taxonomy_term"]["code"] for a in service["attributes"]] == ["praktische-hulp", "repaircafe"]
    assert [(s["byday"], s["opens_at"], s["closes_at"]) for s in service["schedules"]] == [("SA", "10:00:00", "13:00:00")]
    assert [lang["code"] for lang in service["languages"]] == ["nl", "ar"]
    assert service["cost_options"][0]["option"] == "€2 per keer"
    address = service["service_at_locations"][0]["location"]["addresses"][0]
    assert (address["postal_code"], address["country"]) == ("3527 TK", "NL")
    assert service["contacts"][0]["phones"][0]["number"] == "06 12345678"
    renamed = [m for m in service["metadata"] if m["field_name"] == "name" and m["last_action_type"] == "update"]
    assert renamed[0]["previous_value"] == "Repair café Transwijk"


def test_filters(client, auth_header):
    offer = client.post("/offers", headers=auth_header(PARTNER), json={
        "name": "Zoekbaar Taalcafé", "category": "informatie", "terms": ["taal"], "buurt": "BU03440111",
        "locations": [{"buurt": "BU03441013", "postal_code": "3451 AB"}]}).json
    found = lambda query: {s["id"] for s in client.get(f"/services?per_page=200&{query}").json["contents"]}
    assert offer["id"] in found("search=taalcaf")
    assert offer["id"] in found(f"taxonomy_term_id={TERMS['taal'].id}")
    assert offer["id"] in found(f"taxonomy_term_id={TERMS['informatie'].id}")
    assert offer["id"] not in found(f"taxonomy_term_id={TERMS['klussen'].id}")
    assert offer["id"] in found("wijk=WK034401") and offer["id"] in found("wijk=WK034410")  # offer and location
    assert offer["id"] in found("buurt=BU03441013") and offer["id"] not in found("buurt=BU03440112")
    assert offer["id"] in found("postcode=3451") and offer["id"] in found("postcode=3451 AB")
    serving = client.post("/offers", headers=auth_header(PARTNER), json={
        "name": "Klussen in heel Overvecht", "category": "praktische-hulp", "buurt": "BU03440832",
        "areas": ["WK034403", "BU03440111"]}).json
    assert serving["id"] in found("wijk=WK034403") and serving["id"] in found("buurt=BU03440111")
    assert serving["id"] in found("wijk=WK034401") and serving["id"] not in found("wijk=WK034405")
    areas = client.get(f"/services/{serving['id']}").json["service_areas"]
    assert [(a["extent"], a["extent_type"]) for a in areas] == [
        ("BU03440832", "CBS buurtcode"), ("WK034403", "CBS wijkcode"), ("BU03440111", "CBS buurtcode")]
    assert client.post("/offers", headers=auth_header(PARTNER), json={
        "name": "x", "category": "praktische-hulp", "buurt": "BU03440832", "areas": ["WK034499"]}).status_code == 422
    assert offer["id"] not in found("postcode=3452")
    assert found(f"organization_id={uuid.uuid4()}") == set() and found(f"taxonomy_id={uuid.uuid4()}") == set()
    assert found("modified_after=2999-01-01T00:00:00Z") == set()
    assert offer["id"] in found("modified_after=2000-01-01T00:00:00Z")


@pytest.mark.parametrize("url, status", [
    ("/services/not-a-uuid", 404), (f"/services/{uuid.uuid4()}", 404), (f"/organizations/{uuid.uuid4()}", 404),
    (f"/taxonomy_terms/{uuid.uuid4()}", 404), (f"/service_at_locations/{uuid.uuid4()}", 404),
    ("/services?taxonomy_term_id=nope", 422), ("/services?modified_after=yesterday", 422),
    ("/services?postcode=12", 422), ("/services?per_page=0", 422), ("/services?search=%07", 422),
])
def test_bad_hsds_requests(client, url, status):
    assert client.get(url).status_code == status
