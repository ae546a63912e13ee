"""The directory's HTTP API on a real database (SQLite and PostgreSQL)."""
import json

import pytest
from sqlalchemy import func, select

from samen030.directory.tables import offers, outbox

OFFER = {"name": "Taalcafé Kanaleneiland", "description": "Nederlands oefenen met buren.",
         "category": "informatie", "buurt": "BU03440832"}


@pytest.fixture
def app(directory_app):
    return directory_app("krachtstation")


@pytest.fixture
def client(app):
    return app.test_client()


def counts(app):
    with app.extensions["samen030.db"].connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one() for t in (offers, outbox))


def test_create_list_show_and_update(client, app, auth_header):
    created = client.post("/offers", json=OFFER, headers=auth_header())
    assert created.status_code == 201, created.json
    offer = created.json
    assert offer["partner"] == "krachtstation" and offer["wijk"] == "WK034408" and offer["version"] == 1
    assert offer["created_at"].endswith("+00:00")

    listed = client.get("/offers?wijk=WK034408").json
    assert listed["total_items"] == 1 and listed["items"][0]["id"] == offer["id"]
    assert client.get("/offers?wijk=WK034401").json["total_items"] == 0
    assert client.get(f"/offers/{offer['id']}").json["name"] == OFFER["name"]

    changed = client.patch(f"/offers/{offer['id']}", json={"version": 1, "buurt": "BU03440111"},
                           headers=auth_header())
    assert changed.status_code == 200, changed.json
    assert (changed.json["version"], changed.json["wijk"]) == (2, "WK034401")
    assert counts(app) == (1, 2)


def test_each_change_writes_one_event_in_the_same_transaction(client, app, auth_header):
    offer = client.post("/offers", json=OFFER, headers=auth_header()).json
    client.patch(f"/offers/{offer['id']}", json={"version": 1, "status": "inactive"}, headers=auth_header())
    with app.extensions["samen030.db"].connect() as conn:
        rows = conn.execute(select(outbox).order_by(outbox.c.seq)).mappings().all()
    events = [json.loads(r["payload"]) for r in rows]
    assert [e["type"] for e in events] == ["nl.samen030.directory.offer.created.v1",
                                           "nl.samen030.directory.offer.updated.v1"]
    assert [e["data"]["version"] for e in events] == [1, 2]
    assert events[1]["data"]["status"] == "inactive"
    assert [r["event_id"] for r in rows] == [e["id"] for e in events]
    assert rows[0]["nats_subject"] == "samen030.krachtstation.directory.offer.created"


def test_a_stale_update_is_refused(client, app, auth_header):
    offer = client.post("/offers", json=OFFER, headers=auth_header()).json
    assert client.patch(f"/offers/{offer['id']}", json={"version": 1, "name": "A"}, headers=auth_header()).status_code == 200
    stale = client.patch(f"/offers/{offer['id']}", json={"version": 1, "name": "B"}, headers=auth_header())
    assert stale.status_code == 409 and "version is now 2" in stale.json["message"]
    assert client.get(f"/offers/{offer['id']}").json["name"] == "A"
    assert counts(app) == (1, 2)


def test_paging(client, auth_header):
    for i in range(7):
        client.post("/offers", json={**OFFER, "name": f"Aanbod {i}"}, headers=auth_header())
    page = client.get("/offers?page=2&per_page=3").json
    assert (page["total_items"], page["total_pages"], len(page["items"])) == (7, 3, 3)
    assert len(client.get("/offers?page=3&per_page=3").json["items"]) == 1
    assert client.get("/offers?per_page=500").status_code == 422


@pytest.mark.parametrize("body, status, field, words", [
    ({k: v for k, v in OFFER.items() if k != "name"}, 422, "name", "required"),
    ({**OFFER, "name": 42}, 422, "name", "Not a valid string"),
    ({**OFFER, "name": "   "}, 422, "name", "blank"),
    ({**OFFER, "buurt": "BU03449999"}, 422, "buurt", "Unknown buurt code"),
    ({**OFFER, "category": "anything"}, 422, "category", "Must be one of"),
    ({**OFFER, "description": "Mail piet@example.nl"}, 422, "description", "e-mail"),
    ({**OFFER, "extra": 1}, 422, "extra", "Unknown field"),
    ({**OFFER, "description": "x" * 5000}, 422, "description", "Longer than maximum"),
])
def test_bad_input_is_named_and_leaves_nothing(client, app, auth_header, body, status, field, words):
    response = client.post("/offers", json=body, headers=auth_header())
    assert response.status_code == status
    assert words in " ".join(response.json["errors"]["json"][field])
    assert counts(app) == (0, 0)


def test_malformed_json_and_oversized_bodies(client, app, auth_header):
    malformed = client.post("/offers", data=b'{"name": "x",', content_type="application/json", headers=auth_header())
    assert malformed.status_code == 400 and "Invalid JSON" in json.dumps(malformed.json)
    huge = client.post("/offers", data=json.dumps({**OFFER, "description": "x" * 70_000}),
                       content_type="application/json", headers=auth_header())
    assert huge.status_code == 413 and "larger than" in huge.json["message"]
    assert counts(app) == (0, 0)


def test_unknown_offer_is_404(client, auth_header):
    assert client.get("/offers/nope").status_code == 404
    assert client.patch("/offers/nope", json={"version": 1}, headers=auth_header()).status_code == 404


@pytest.mark.parametrize("headers, status", [
    ({}, 401),
    ({"Authorization": "Bearer forged"}, 401),
    ({"Authorization": "Basic abc"}, 401),
])
def test_writes_need_a_valid_token(client, app, headers, status):
    assert client.post("/offers", json=OFFER, headers=headers).status_code == status
    assert counts(app) == (0, 0)


def test_another_partner_cannot_change_our_offers(client, app, auth_header):
    """BOLA: every write with another partner's or a non-coordinator's token is refused."""
    offer = client.post("/offers", json=OFFER, headers=auth_header()).json
    for intruder, status in ((auth_header("zorgbelang"), 401), (auth_header("krachtstation", "volunteer"), 403),
                             (auth_header("samen030", "viewer"), 401)):
        assert client.post("/offers", json=OFFER, headers=intruder).status_code == status
        response = client.patch(f"/offers/{offer['id']}", json={"version": 1, "name": "Overgenomen"}, headers=intruder)
        assert response.status_code == status
    assert client.get(f"/offers/{offer['id']}").json["name"] == OFFER["name"]
    assert counts(app) == (1, 1)


def test_openapi_is_served(client):
    spec = client.get("/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert {"/offers", "/offers/{offer_id}"} <= set(spec["paths"])


RICH = {**OFFER, "terms": ["taal"], "languages": ["nl", "ar"], "free": False, "fees_description": "€1 voor koffie",
        "locations": [{"name": "Krachtstation", "address_1": "Marshallaan 2", "postal_code": "3527 TK",
                       "buurt": "BU03440832", "latitude": 52.07, "longitude": 5.09}],
        "schedules": [{"byday": "TU,TH", "opens_at": "13:30", "closes_at": "15:00"}],
        "contacts": [{"name": "Fatima El Amrani", "email": "fatima@example.nl", "phone": "06 12345678"}]}


def test_an_offer_with_places_hours_and_contacts(client, app, auth_header):
    offer = client.post("/offers", json=RICH, headers=auth_header()).json
    assert offer["locations"][0]["wijk"] == "WK034408" and offer["schedules"][0]["byday"] == "TU,TH"
    assert offer["contacts"][0]["name"] == "Fatima El Amrani"
    changed = client.patch(f"/offers/{offer['id']}", headers=auth_header(), json={
        "version": 1, "schedules": [{"byday": "MO", "opens_at": "09:00", "closes_at": "10:00"}], "contacts": []}).json
    assert [s["byday"] for s in changed["schedules"]] == ["MO"] and changed["contacts"] == []
    assert changed["locations"] == offer["locations"]  # lists not sent stay as they were
    shown = client.get(f"/offers/{offer['id']}").json
    assert (shown["schedules"], shown["contacts"], shown["languages"]) == (changed["schedules"], [], ["nl", "ar"])


def test_events_carry_no_contact_persons_or_addresses(client, app, auth_header):
    offer = client.post("/offers", json=RICH, headers=auth_header()).json
    with app.extensions["samen030.db"].connect() as conn:
        payload = conn.execute(select(outbox.c.payload)).scalar_one().decode()
    data = json.loads(payload)["data"]
    for secret in ("Fatima", "fatima@example.nl", "06 12345678", "Marshallaan", "3527"):
        assert secret not in payload
    assert data["location_buurten"] == ["BU03440832"] and data["opening_hours"][0]["opens_at"] == "13:30"
    assert (data["free"], data["languages"], data["terms"]) == (False, ["nl", "ar"], ["taal"])
    assert offer["id"] == data["offer_id"]


@pytest.mark.parametrize("action, status", [("close-temporarily", "temporarily closed"), ("withdraw", "defunct")])
def test_close_reopen_and_withdraw(client, app, auth_header, action, status):
    offer = client.post("/offers", json=OFFER, headers=auth_header()).json
    closed = client.post(f"/offers/{offer['id']}/{action}", json={"version": 1}, headers=auth_header())
    assert (closed.status_code, closed.json["status"], closed.json["version"]) == (200, status, 2)
    assert client.post(f"/offers/{offer['id']}/{action}", json={"version": 1}, headers=auth_header()).status_code == 409
    reopened = client.post(f"/offers/{offer['id']}/reopen", json={"version": 2}, headers=auth_header()).json
    assert reopened["status"] == "active"
    assert client.post(f"/offers/{offer['id']}/withdraw", json={"version": 3}, headers=auth_header("zorgbelang")).status_code == 401
    assert counts(app) == (1, 3)


@pytest.mark.parametrize("body, field", [
    ({**OFFER, "terms": ["klussen"]}, "terms"),
    ({**OFFER, "minimum_age": 60, "maximum_age": 18}, "maximum_age"),
    ({**OFFER, "locations": [{"name": "zonder buurt"}]}, "locations"),
    ({**OFFER, "locations": [{"location_type": "virtual"}]}, "locations"),
    ({**OFFER, "schedules": [{"byday": "MO", "opens_at": "12:00", "closes_at": "09:00"}]}, "schedules"),
    ({**OFFER, "schedules": [{"byday": "MAANDAG", "opens_at": "09:00", "closes_at": "12:00"}]}, "schedules"),
    ({**OFFER, "languages": ["Nederlands"]}, "languages"),
    ({**OFFER, "status": "gesloten"}, "status"),
    ({**OFFER, "contacts": [{"email": "geen-mail"}]}, "contacts"),
])
def test_inconsistent_offers_are_refused(client, app, auth_header, body, field):
    response = client.post("/offers", json=body, headers=auth_header())
    assert response.status_code == 422 and field in response.json["errors"]["json"], response.json
    assert counts(app) == (0, 0)


def test_a_partial_change_must_leave_the_offer_consistent(client, app, auth_header):
    offer = client.post("/offers", json={**OFFER, "terms": ["taal"]}, headers=auth_header()).json
    response = client.patch(f"/offers/{offer['id']}", json={"version": 1, "category": "praktische-hulp"},
                            headers=auth_header())
    assert response.status_code == 422 and "terms" in response.json["errors"]["json"]
    assert client.get(f"/offers/{offer['id']}").json["category"] == "informatie"
    assert counts(app) == (1, 1)
