"""City search by language, cost and opening hours, and offers of a partner that is down: still
found, marked stale."""
import uuid

import pytest

from samen030.gateway.app import create_app
from samen030.gateway.projector import readmodel_projection
from samen030.kernel.config import Federation, Partner
from samen030.kernel.events import new_event
from samen030.kernel.natsserver import free_port


def event(partner, name, **fields):
    offer_id = str(uuid.uuid4())
    data = {"offer_id": offer_id, "name": name, "description": "", "category": "informatie", "terms": [],
            "buurt": "BU03440832", "wijk": "WK034408", "status": "active", "free": True, "languages": ["nl"],
            "minimum_age": None, "maximum_age": None, "location_buurten": [], "virtual": False,
            "opening_hours": [], "version": 1, "updated_at": "2026-11-27T10:00:00Z", **fields}
    e = new_event(partner, "directory", "offer", "created", offer_id, data)
    return e.to_json(), e.nats_subject


@pytest.fixture
def gateway(databases, monkeypatch, tmp_path):
    live = create_live_partner_server()
    federation = Federation("http://127.0.0.1:8080", "nats://127.0.0.1:4250", {
        "zorgbelang": Partner("zorgbelang", "Zorgbelang", {"directory": live}),
        "powerbypeers": Partner("powerbypeers", "Power by Peers", {"directory": f"http://127.0.0.1:{free_port()}"}),
    }, source=None)
    if schema := databases.schema("city", "gateway"):
        monkeypatch.setenv("DATABASE_SCHEMA", schema)
    app = create_app(databases.url("city", "gateway"), federation, {"TESTING": True})
    databases.opened.append(app.extensions["samen030.db"])
    projection = readmodel_projection(app.extensions["samen030.db"])
    projection.apply([
        event("zorgbelang", "Inloop Arabisch", languages=["nl", "ar"],
              opening_hours=[{"byday": "MO,WE", "opens_at": "09:00", "closes_at": "12:00"}]),
        event("zorgbelang", "Avondspreekuur", free=False,
              opening_hours=[{"byday": "WE", "opens_at": "19:00", "closes_at": "21:00"}]),
        event("powerbypeers", "Herstelgroep", languages=["nl", "en"],
              opening_hours=[{"byday": "SA", "opens_at": "10:00", "closes_at": "12:00"}]),
    ])
    return app.test_client()


def create_live_partner_server() -> str:
    """A partner whose health endpoint answers: a tiny HTTP server in a thread."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Health(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/health" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def names(client, query):
    response = client.get(f"/api/v1/search?{query}")
    assert response.status_code == 200, response.json
    return sorted(item["name"] for item in response.json["items"])


def test_language_cost_and_opening_hours(gateway):
    assert names(gateway, "language=ar") == ["Inloop Arabisch"]
    assert names(gateway, "language=en") == ["Herstelgroep"]
    assert names(gateway, "free=false") == ["Avondspreekuur"]
    assert names(gateway, "free=true") == ["Herstelgroep", "Inloop Arabisch"]
    # Wednesday 2 December 2026, Utrecht time
    assert names(gateway, "open_at=2026-12-02T10:30:00") == ["Inloop Arabisch"]
    assert names(gateway, "open_at=2026-12-02T19:30:00%2B01:00") == ["Avondspreekuur"]
    assert names(gateway, "open_at=2026-12-02T18:30:00Z") == ["Avondspreekuur"]  # 19:30 in Utrecht
    assert names(gateway, "open_at=2026-12-02T12:00:00") == []  # closes at 12:00
    assert names(gateway, "open_at=2026-12-05T11:00:00&language=en") == ["Herstelgroep"]
    assert gateway.get("/api/v1/search?open_now=true").status_code == 200
    assert gateway.get("/api/v1/search?open_at=woensdag").status_code == 422
    assert gateway.get("/api/v1/search?language=Arabisch").status_code == 422


def test_offers_of_a_partner_that_is_down_are_found_marked_stale(gateway):
    items = {i["name"]: i for i in gateway.get("/api/v1/search?q=herstelgroep").json["items"]}
    assert items["Herstelgroep"]["freshness"]["stale"] is True
    assert items["Herstelgroep"]["freshness"]["reachable"] is False
    assert items["Herstelgroep"]["freshness"]["last_event_at"] is not None
    listed = {i["name"]: i for i in gateway.get("/api/v1/offers").json["items"]}
    assert listed["Herstelgroep"]["freshness"]["stale"] is True
    assert listed["Inloop Arabisch"]["freshness"]["stale"] is False
    partners = {p["id"]: p for p in gateway.get("/api/v1/partners").json}
    assert (partners["powerbypeers"]["reachable"], partners["zorgbelang"]["reachable"]) == (False, True)
