"""Figure 4, city-wide search (`GET /api/v1/search`) with 20 partners and 10,000 offers in the read model.

The read model is a database of its own (a SQLite file in the temporary directory, or a schema of its
own under DATABASE_URL), filled without NATS: 10,000 offer.created events built by the directory's own
samen030.directory.events.offer_event (→ samen030.kernel.events.new_event, schema and privacy checks
included) are applied through samen030.gateway.projector.readmodel_projection(db).apply(...) in
batches of 500 — the projector's own code path, one transaction per batch, minus the bus. The events
are built in a helper process while this one applies the previous batch.

A gateway with its own federation file of 20 partners (2 sync gunicorn workers × 1 thread) is then
loaded by bench/loadgen.py next to the minimal Flask endpoint served the same way, measured again
here. The partners' /health URLs point at a stub HTTP server in this process that answers 200, so the
gateway's partner health checker (gateway/freshness.py) finds every partner reachable and no offer is
marked stale, as in a city where the partners are up."""
import multiprocessing
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests as http

from citydata import PARTNERS, city_events
from infra import Federation, bench_port
from search import BENCH_DIR, gateway_total, run_loadgen

from samen030.gateway.app import CITY_NODE
from samen030.gateway.projector import readmodel_projection
from samen030.gateway.readmodel import metadata
from samen030.gateway.search_index import ensure_current
from samen030.kernel.consumer import APPLIED
from samen030.kernel.database import open_database

OFFERS, BATCH = 10_000, 500
SEARCHES = {"buurthuis+wijk": "q=buurthuis&wijk=WK034408", "koffie": "q=koffie"}


def event_batch(number: int) -> list[tuple[bytes, str]]:
    """Batch `number` of the city's events as the bus carries them: (CloudEvent JSON, NATS subject)."""
    events = city_events(PARTNERS, BATCH, seed=1000 + number, first=number * BATCH)
    return [(event.to_json(), event.nats_subject) for event in events]


class City:
    """The city's own federation file, var directory and read-model database inside `workdir`."""

    def __init__(self, workdir: Path, nats_url: str):
        self.workdir = workdir
        self.workdir.mkdir(parents=True)
        self.gateway_port, self.health_port = bench_port(), bench_port()
        self.federation = workdir / "federation.toml"
        lines = ["[federation]", f'gateway_url = "http://127.0.0.1:{self.gateway_port}"', f'nats_url = "{nats_url}"']
        for partner in PARTNERS:
            lines += ["", f"[partners.{partner}]", f'name = "{partner}"',
                      f'services = {{ directory = "http://127.0.0.1:{self.health_port}/{partner}" }}']
        self.federation.write_text("\n".join(lines) + "\n")
        self.env = {"SAMEN030_FEDERATION": str(self.federation), "SAMEN030_VAR": str(workdir / "var")}
        if os.environ.get("DATABASE_URL"):  # PostgreSQL: a schema of its own, not figure 2's read model
            self.env["DATABASE_SCHEMA"] = f"bench{os.getpid()}city_{{partner}}_{{service}}"
            self.url = None
        else:
            self.url = f"sqlite:///{workdir / 'var' / CITY_NODE / 'gateway.sqlite'}"  # where the gateway looks

    def open_readmodel(self):
        """As samen030.gateway.app.open_readmodel opens it in the gateway, with this city's settings."""
        schema = self.env.get("DATABASE_SCHEMA", "").format(partner=CITY_NODE, service="gateway") or None
        db = open_database(CITY_NODE, "gateway", metadata, self.url, schema)
        ensure_current(db)
        return db


def load_readmodel(city: City) -> dict:
    db = city.open_readmodel()
    projection = readmodel_projection(db)
    batches = OFFERS // BATCH
    outcomes: dict[str, int] = {}
    applying = 0.0
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(1) as builder:
        for messages in builder.imap(event_batch, range(batches)):
            began = time.perf_counter()
            for outcome in projection.apply(messages):
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
            applying += time.perf_counter() - began
    seconds = time.perf_counter() - started
    db.dispose()
    if outcomes.get(APPLIED) != OFFERS:
        raise RuntimeError(f"the city's read model: {outcomes} of {OFFERS} events")
    return {"events": OFFERS, "batch": BATCH, "seconds": seconds, "apply_s": applying,
            "events_per_s": OFFERS / seconds, "applied_per_s": OFFERS / applying}


class _Healthy(BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path.endswith("/health")
        body = b'{"status": "ok"}' if ok else b"{}"
        self.send_response(200 if ok else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


def measure(fed: Federation, city: City) -> dict:
    """The minimal endpoint, then each city search; both servers side by side, idle when not loaded."""
    health = ThreadingHTTPServer(("127.0.0.1", city.health_port), _Healthy)
    threading.Thread(target=health.serve_forever, daemon=True).start()
    minimal_port = bench_port()
    try:
        fed.start_samen030("gateway-city", "gateway", "--port", str(city.gateway_port), "--workers", "2",
                           "--threads", "1", env=city.env)
        fed.start("minimal-flask-city", [str(BENCH_DIR / "minimal_app.py"), str(minimal_port)])
        fed.wait_healthy("gateway-city", city.gateway_port)
        fed.wait_healthy("minimal-flask-city", minimal_port, "/ok")
        results = {"offers": gateway_total(city.gateway_port),
                   "matches": {name: _matches(city.gateway_port, query) for name, query in SEARCHES.items()},
                   "minimal": run_loadgen(minimal_port, "/ok")}
        for name, query in SEARCHES.items():
            results[name] = run_loadgen(city.gateway_port, f"/api/v1/search?{query}")
        results["stale"] = _stale_share(city.gateway_port)
        return results
    finally:
        fed.stop("gateway-city", "minimal-flask-city")
        health.shutdown()
        health.server_close()


def _matches(port: int, query: str) -> int:
    response = http.get(f"http://127.0.0.1:{port}/api/v1/search?per_page=1&{query}", timeout=10)
    response.raise_for_status()
    return response.json()["total_items"]


def _stale_share(port: int) -> str:
    """How many of a page of offers the gateway marks stale (its health checker's verdict)."""
    items = http.get(f"http://127.0.0.1:{port}/api/v1/search?q=koffie&per_page=100", timeout=10).json()["items"]
    return f"{sum(item['freshness']['stale'] for item in items)} of {len(items)}"


def drop(city: City) -> None:
    if os.environ.get("DATABASE_URL"):
        from sqlalchemy import MetaData
        schema = city.env["DATABASE_SCHEMA"].format(partner=CITY_NODE, service="gateway")
        open_database(CITY_NODE, "gateway", MetaData(), None, schema).drop_schema()
