"""The gateway's API over its read model (fed here by the projection itself, without a broker)."""
import time
import uuid

import pytest

from samen030.gateway.app import create_app
from samen030.gateway.projector import readmodel_projection
from samen030.gateway.schemas import CityOfferSchema
from samen030.kernel.config import Federation, Partner
from samen030.kernel.events import new_event
from samen030.kernel.natsserver import free_port
from tests.raw_http import raw_server, trickling


def offer_event(partner, buurt="BU03440832", wijk="WK034408", category="informatie", name="Aanbod",
                version=1, offer_id=None):
    offer_id = offer_id or str(uuid.uuid4())
    data = {"offer_id": offer_id, "name": name, "description": "", "category": category, "buurt": buurt,
            "wijk": wijk, "status": "active", "version": version, "updated_at": "2026-11-27T10:00:00Z"}
    event = new_event(partner, "directory", "offer", "created" if version == 1 else "updated", offer_id, data)
    return event.to_json(), event.nats_subject


@pytest.fixture
def federation():
    dead = f"http://127.0.0.1:{free_port()}"
    return Federation("http://127.0.0.1:8080", "nats://127.0.0.1:4250", {
        "krachtstation": Partner("krachtstation", "Krachtstation", {"directory": dead}),
        "zorgbelang": Partner("zorgbelang", "Zorgbelang", {"directory": dead}),
    }, source=None)


@pytest.fixture
def gateway(databases, federation, monkeypatch):
    if schema := databases.schema("city", "gateway"):
        monkeypatch.setenv("DATABASE_SCHEMA", schema)
    app = create_app(databases.url("city", "gateway"), federation, {"TESTING": True})
    databases.opened.append(app.extensions["samen030.db"])
    return app


@pytest.fixture
def project(gateway):
    projection = readmodel_projection(gateway.extensions["samen030.db"])
    return lambda *events: projection.apply(list(events))


def test_offers_from_all_partners_filtered_and_paged(gateway, project):
    project(offer_event("krachtstation", name="Taalcafé"),
            offer_event("zorgbelang", name="Cliëntondersteuning", category="lichte-zorg"),
            offer_event("zorgbelang", name="Inloop", buurt="BU03440111", wijk="WK034401"))
    client = gateway.test_client()
    everything = client.get("/api/v1/offers").json
    assert everything["total_items"] == 3
    assert {o["partner"] for o in everything["items"]} == {"krachtstation", "zorgbelang"}
    assert all(set(o) == set(CityOfferSchema().fields) for o in everything["items"])  # as documented
    assert everything["items"][0]["updated_at"] == "2026-11-27T10:00:00+00:00"
    assert [o["name"] for o in client.get("/api/v1/offers?wijk=WK034408").json["items"]] == [
        "Cliëntondersteuning", "Taalcafé"]
    assert client.get("/api/v1/offers?buurt=BU03440111").json["items"][0]["name"] == "Inloop"
    assert client.get("/api/v1/offers?category=lichte-zorg").json["total_items"] == 1
    assert client.get("/api/v1/offers?partner=krachtstation").json["total_items"] == 1
    page = client.get("/api/v1/offers?per_page=2&page=2").json
    assert (page["total_pages"], len(page["items"])) == (2, 1)


@pytest.mark.parametrize("query, field", [("wijk=WK999", "wijk"), ("buurt=x", "buurt"),
                                          ("category=x", "category"), ("page=0", "page"), ("per_page=abc", "per_page")])
def test_bad_filters_are_named(gateway, query, field):
    response = gateway.test_client().get(f"/api/v1/offers?{query}")
    assert response.status_code == 422
    assert field in response.json["errors"]["query"]


def test_one_offer_and_404(gateway, project):
    payload, subject = offer_event("zorgbelang", name="Inloop")
    project((payload, subject))
    client = gateway.test_client()
    offer_id = client.get("/api/v1/offers").json["items"][0]["id"]
    assert client.get(f"/api/v1/offers/{offer_id}").json["partner"] == "zorgbelang"
    assert client.get("/api/v1/offers/unknown").status_code == 404


def test_partners_with_freshness(gateway, project):
    client = gateway.test_client()
    before = {p["id"]: p for p in client.get("/api/v1/partners").json}
    assert before["zorgbelang"]["last_event_at"] is None and before["zorgbelang"]["events_applied"] == 0
    project(offer_event("zorgbelang"), offer_event("zorgbelang"))
    after = {p["id"]: p for p in client.get("/api/v1/partners").json}
    assert after["zorgbelang"]["events_applied"] == 2
    assert after["zorgbelang"]["last_event_at"] is not None
    assert 0 <= after["zorgbelang"]["seconds_behind"] < 60
    assert after["zorgbelang"]["services"]["directory"].startswith("http://127.0.0.1:")
    assert after["krachtstation"]["events_applied"] == 0


def test_writes_to_an_unreachable_partner_fail_fast(gateway, auth_header):
    client = gateway.test_client()
    started = time.monotonic()
    response = client.post("/api/v1/partners/zorgbelang/offers", json={"name": "x"}, headers=auth_header("zorgbelang"))
    assert response.status_code == 503 and "not reachable" in response.json["message"]
    assert time.monotonic() - started < 3
    assert client.post("/api/v1/partners/nobody/offers", json={}).status_code == 404


def test_a_forwarded_write_names_only_an_offer_of_the_owner(databases, monkeypatch, auth_header):
    """The offer id from the URL goes into the owner's URL: anything but an offer id is refused before."""
    from tests.recording_proxy import RecordingProxy
    owner = RecordingProxy("krachtstation directory", free_port(), free_port())  # records, answers 502
    federation = Federation("http://127.0.0.1:8080", "nats://127.0.0.1:4250", {"krachtstation": Partner(
        "krachtstation", "Krachtstation", {"directory": f"http://127.0.0.1:{owner.port}"})}, source=None)
    if schema := databases.schema("city", "gateway"):
        monkeypatch.setenv("DATABASE_SCHEMA", schema)
    app = create_app(databases.url("city", "gateway"), federation, {"TESTING": True})
    databases.opened.append(app.extensions["samen030.db"])
    client, headers = app.test_client(), auth_header("krachtstation")
    try:
        for smuggled, status in (("abc%3Fdry_run=1%23", 404), ("..%2F..%2Fadmin", 404), ("x%2Fwithdraw", 404),
                                 ("%00", 400)):
            response = client.patch(f"/api/v1/partners/krachtstation/offers/{smuggled}", json={"version": 1},
                                    headers=headers)
            assert response.status_code == status, (smuggled, response.json)
        assert owner.seen == []
        offer_id = str(uuid.uuid4())
        for someone_elses in (auth_header("zorgbelang"), {}, {"Authorization": "Bearer not-a-jwt"}):
            refused = client.patch(f"/api/v1/partners/krachtstation/offers/{offer_id}", json={"version": 1},
                                   headers=someone_elses)
            assert refused.status_code == 401, refused.json
        assert owner.seen == []  # zorgbelang's token was not handed to krachtstation
        client.patch(f"/api/v1/partners/krachtstation/offers/{offer_id}", json={"version": 1}, headers=headers)
        assert [(method, path) for _l, method, path, *_ in owner.seen] == [("PATCH", f"/offers/{offer_id}")]
    finally:
        owner.stop()


def test_a_partner_that_trickles_its_health_holds_up_no_search(monkeypatch):
    """The first search in a gateway process checks every partner's /health, under a lock the other
    searches wait on; the background thread then checks all of them together every 5 s. A partner that
    trickles its answer held both for as long as it went on: every first search, and every partner's
    reachability, waited on it."""
    from samen030.gateway.freshness import PartnerHealth
    server, url = trickling_partner()
    federation = Federation("http://127.0.0.1:8080", "nats://127.0.0.1:4250", {
        "krachtstation": Partner("krachtstation", "Krachtstation", {"directory": url})}, source=None)
    try:
        began = time.monotonic()
        PartnerHealth(federation).check_all()
        took = time.monotonic() - began
    finally:
        server.close()
    assert took < 1.5, f"checked after {took:.1f} s"


def trickling_partner(every: float = 0.3):
    """A partner's node that sends its status line, then a header a byte every `every` seconds."""
    return raw_server(trickling(every=every))


def test_a_partner_that_trickles_its_answer_is_a_503_within_two_seconds(databases, monkeypatch, auth_header):
    """Read timeouts bound each wait for a byte, not the answer: a partner whose node sends its status
    line and then a header a byte every half second (overloaded, or on purpose) held the gateway's thread
    for as long as it went on — a few such writes, and the gateway's threads are all gone, reads too."""
    server, url = raw_server(trickling(b"201 Created", every=0.5, times=20))
    federation = Federation("http://127.0.0.1:8080", "nats://127.0.0.1:4250", {"krachtstation": Partner(
        "krachtstation", "Krachtstation", {"directory": url})}, source=None)
    if schema := databases.schema("city", "gateway"):
        monkeypatch.setenv("DATABASE_SCHEMA", schema)
    app = create_app(databases.url("city", "gateway"), federation, {"TESTING": True})
    databases.opened.append(app.extensions["samen030.db"])
    try:
        began = time.monotonic()
        response = app.test_client().post("/api/v1/partners/krachtstation/offers", json={"name": "x"},
                                          headers=auth_header("krachtstation"))
        took = time.monotonic() - began
    finally:
        server.close()
    assert took < 2.0, f"answered {response.status_code} after {took:.1f} s"
    assert response.status_code == 503 and "did not answer in time" in response.json["message"], response.json
