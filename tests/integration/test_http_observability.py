"""What every HTTP app shows about itself (kernel/observe.py), on SQLite and PostgreSQL: /metrics in
Prometheus text format with its requests counted and timed by endpoint rule (never the path with its
ids), /health that answers without I/O, and /ready that names what is not ready — its database, and a
NATS connection held in the same process (as in a partner's node)."""
import os
import uuid

import pytest

from samen030.directory.tables import outbox
from samen030.gateway.app import create_app as create_gateway
from samen030.kernel import readiness
from samen030.kernel.config import Federation, Partner
from samen030.kernel.relay import Relay
from tests.metrics import label_values, scrape_app, total
from tests.pipeline import run_async, running, until

OFFER = {"name": "Inloop", "category": "informatie", "buurt": "BU03440832", "status": "active"}
REQUESTS, DURATION = "samen030_http_requests_total", "samen030_http_request_duration_seconds"


@pytest.fixture(autouse=True)
def fresh_readiness():
    """Only this test's apps and connections, as in a process of its own."""
    readiness.clear()
    yield
    readiness.clear()


def test_requests_are_counted_and_timed_by_endpoint_rule_method_and_status(directory_app, auth_header):
    client = directory_app().test_client()
    mine = {"partner": "krachtstation", "service": "directory"}
    before = scrape_app(client)
    created = client.post("/offers", json=OFFER, headers=auth_header())
    assert created.status_code == 201
    unknown = [str(uuid.uuid4()), str(uuid.uuid4())]
    for offer_id in [created.json["id"], *unknown]:
        client.get(f"/offers/{offer_id}")
    client.get("/no/such/path/123")
    client.open("/offers", method="BREW")
    after = scrape_app(client)

    def moved(name, **labels):
        return total(after, name, **mine, **labels) - total(before, name, **mine, **labels)
    one = {"endpoint": "/offers/<offer_id>", "method": "GET"}
    assert moved(REQUESTS, **one, status="200") == 1 and moved(REQUESTS, **one, status="404") == 2
    assert moved(REQUESTS, endpoint="/offers", method="POST", status="201") == 1
    assert moved(REQUESTS, endpoint="unmatched", method="GET", status="404") == 1
    assert moved(REQUESTS, endpoint="unmatched", method="other") == 1  # a 401: the guard comes first
    assert moved(f"{DURATION}_count", **one) == 3 and moved(f"{DURATION}_sum", **one) > 0
    assert moved(f"{DURATION}_bucket", **one, le="+Inf") == 3
    endpoints = label_values(after, REQUESTS, "endpoint")
    assert not [e for e in endpoints if created.json["id"] in e or unknown[0] in e or "123" in e], endpoints
    assert client.get("/metrics").content_type.startswith("text/plain; version=0.0.4")
    openmetrics = client.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert openmetrics.content_type.startswith("application/openmetrics-text")
    assert openmetrics.get_data(as_text=True).endswith("# EOF\n")


def test_the_gateway_shows_its_requests_and_answers_ready(databases, monkeypatch):
    if schema := databases.schema("city", "gateway"):
        monkeypatch.setenv("DATABASE_SCHEMA", schema)
    federation = Federation("http://127.0.0.1:8080", "nats://127.0.0.1:4250", {
        "krachtstation": Partner("krachtstation", "Krachtstation", {})}, source=None)
    app = create_gateway(databases.url("city", "gateway"), federation, {"TESTING": True})
    databases.opened.append(app.extensions["samen030.db"])
    client = app.test_client()
    city = {"partner": "city", "service": "gateway", "endpoint": "/api/v1/offers", "status": "200"}
    before = total(scrape_app(client), REQUESTS, **city)
    assert client.get("/api/v1/offers?wijk=WK034408").status_code == 200
    assert total(scrape_app(client), REQUESTS, **city) == before + 1
    ready = client.get("/ready")
    assert (ready.status_code, ready.json["checks"]) == (200, {"database city/gateway": "ok"})


def test_ready_names_the_database_when_it_is_gone_while_health_stays_200(directory_app, caplog):
    client = directory_app().test_client()
    db = client.application.extensions["samen030.db"]
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json == {"status": "ready", "not_ready": [], "checks": {"database krachtstation/directory": "ok"}}

    if db.is_sqlite:  # the file moved away (the pool's open connections would still read the old one)
        os.rename(db.file, db.file + ".away")
    else:
        db.drop_schema()
    gone = client.get("/ready")
    assert gone.status_code == 503, gone.json
    assert gone.json["status"] == "not ready" and gone.json["not_ready"] == ["database krachtstation/directory"]
    print(f"\n{db.url.split(':')[0]}: {gone.json['checks']}")
    assert client.get("/health").status_code == 200
    assert client.get("/ready").status_code == 503
    said = [r.getMessage() for r in caplog.records if r.name == "samen030.kernel.readiness"]
    assert len(said) == 1 and said[0].startswith("database krachtstation/directory is not ready: ")  # once

    if db.is_sqlite:
        os.rename(db.file + ".away", db.file)
    else:
        db.create_tables()
    assert client.get("/ready").status_code == 200


def test_ready_names_a_nats_connection_of_the_process_that_is_down(directory_app, own_nats):
    client = directory_app().test_client()
    db = client.application.extensions["samen030.db"]
    link = "nats relay-krachtstation-directory"

    def ready():
        response = client.get("/ready")
        return response.status_code, response.json["checks"]

    def connected():
        return total(scrape_app(client), "samen030_nats_connected", connection="relay-krachtstation-directory")

    async def go():
        async with running(Relay(db, outbox, "krachtstation", "directory", own_nats.url).run) as task:
            await until(lambda: ready() == (200, {"database krachtstation/directory": "ok", link: "ok"}), watch=task)
            assert connected() == 1
            own_nats.kill()
            await until(lambda: ready()[0] == 503, watch=task)
            status, checks = ready()
            assert checks == {"database krachtstation/directory": "ok", link: "not connected to NATS (reconnecting)"}
            assert client.get("/ready").json["not_ready"] == [link]
            assert client.get("/health").status_code == 200 and connected() == 0
            own_nats.start()
            await until(lambda: ready()[0] == 200, timeout=30, watch=task)
        assert ready() == (200, {"database krachtstation/directory": "ok"})  # closed with the relay: no longer checked
    run_async(go())
