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
    for intruder in (auth_header("zorgbelang"), auth_header("krachtstation", "volunteer"),
                     auth_header("samen030", "viewer")):
        assert client.post("/offers", json=OFFER, headers=intruder).status_code == 403
        response = client.patch(f"/offers/{offer['id']}", json={"version": 1, "name": "Overgenomen"}, headers=intruder)
        assert response.status_code == 403
    assert client.get(f"/offers/{offer['id']}").json["name"] == OFFER["name"]
    assert counts(app) == (1, 1)


def test_openapi_is_served(client):
    spec = client.get("/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert {"/offers", "/offers/{offer_id}"} <= set(spec["paths"])
