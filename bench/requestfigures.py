"""Figure 6, city figures over 100,000 help requests (`GET /api/v1/figures/requests`).

A read model of its own (a SQLite file in the temporary directory, or a schema of its own under
DATABASE_URL) is filled without NATS by the projector's own code (samen030.gateway.help_requests), in
transactions of 5,000 events: 95,000 requests received over 2026 by 5 partners, as rows built by
request_row (the handler's own row, inserted in bulk: on a fresh read model there is no older version to
compare with); then 5,000 handovers through the handlers themselves, apply_request for the receiver's
request (~4,250 accepted or declined) and apply_referral for the referral.sent. Events are built as
Event objects directly: the schema and privacy checks of new_event are figure 4's business.

The gateway app then answers in this process (Flask test client, no HTTP server): the whole year and
one month, each the median of 7 calls after one warm-up, next to a reference measured on the same
database just before: a plain `SELECT wijk, count(*) FROM help_requests GROUP BY wijk` (the cheapest
query that reads the whole table). Run alone: `.venv/bin/python bench/requestfigures.py`."""
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, insert, select, text

from samen030.gateway.app import CITY_NODE, create_app
from samen030.gateway.help_requests import apply_referral, apply_request, request_row
from samen030.gateway.readmodel import help_requests
from samen030.kernel.database import open_database
from samen030.kernel.events import Event
from samen030.kernel.geography import buurten
from samen030.kernel.taxonomy import CATEGORIES

REQUESTS, REFERRALS, BATCH, CALLS = 100_000, 5_000, 5_000, 7
PARTNERS = ["krachtstation", "buurtwerkkamer", "wijkinformatiepunt", "powerbypeers", "zorgbelang"]
YEAR = datetime(2026, 1, 1, tzinfo=timezone.utc)
QUERIES = {"whole period": "", "one month": "from=2026-03-01&until=2026-03-31"}


def _event(partner: str, kind: str, subject: str, data: dict) -> Event:
    return Event(str(uuid.uuid4()), f"nl.samen030.requests.{kind}.v1", f"/partners/{partner}/requests", subject,
                 partner, datetime.now(timezone.utc), data)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _request(rng: random.Random, partner: str, area, category: str, received: datetime, **referral) -> dict:
    """The latest state of a request: mostly resolved, some in progress, a few still waiting."""
    fate = rng.random()
    contact = received + timedelta(hours=rng.expovariate(1 / 20)) if fate < 0.9 else None
    resolved = contact + timedelta(hours=rng.expovariate(1 / 120)) if fate < 0.7 else None
    return {"request_id": str(uuid.uuid4()), "version": 1 if not referral else 2,
            "status": "resolved" if resolved else "in_progress" if contact else "received",
            "previous_status": None, "action": "receive", "origin": "referral" if referral else "intake",
            "channel": "referral" if referral else rng.choice(["walk_in", "phone", "web", "email"]),
            "category": category, "buurt": area.code, "wijk": area.wijk_code,
            "urgency": rng.choice(["high", "normal", "normal", "low"]),
            "referral_id": referral.get("referral_id"), "referred_by": referral.get("referred_by"),
            "received_at": _iso(received), "first_contact_due": _iso(received + timedelta(days=2)),
            "first_contact_at": _iso(contact), "resolved_at": _iso(resolved), "at": _iso(resolved or contact or received)}


def city_requests(seed: int = 6) -> tuple[list[Event], list[tuple]]:
    """The city's year: intake requests, and (handler, event) for the handovers and the receivers' requests."""
    rng, areas, categories = random.Random(seed), list(buurten().values()), list(CATEGORIES)
    intake, applied = [], []
    for n in range(REQUESTS - REFERRALS):
        partner, area, category = PARTNERS[n % 5], rng.choice(areas), rng.choice(categories)
        received = YEAR + timedelta(seconds=rng.randrange(365 * 86400))
        data = _request(rng, partner, area, category, received)
        intake.append(_event(partner, "request.received", data["request_id"], data))
        if n < REFERRALS:
            receiver, referral_id = PARTNERS[(n + 1 + rng.randrange(4)) % 5], str(uuid.uuid4())
            sent = received + timedelta(hours=rng.expovariate(1 / 24))
            theirs = _request(rng, receiver, area, category, sent, referral_id=referral_id, referred_by=partner)
            answer = rng.random()
            theirs["action"] = "accept" if answer < 0.6 else "decline" if answer < 0.85 else "receive"
            theirs["status"] = "declined" if theirs["action"] == "decline" else theirs["status"]
            applied.append((apply_request, _event(receiver, "request.changed", theirs["request_id"], theirs)))
            applied.append((apply_referral, _event(partner, "referral.sent", data["request_id"], {
                "referral_id": referral_id, "request_id": data["request_id"], "to_partner": receiver,
                "to_request_id": theirs["request_id"], "offer_id": None, "with_consent": True, "shared": ["question"],
                "category": category, "buurt": area.code, "wijk": area.wijk_code, "urgency": theirs["urgency"],
                "at": _iso(sent)})))
    return intake, applied


def measure(workdir: Path) -> dict:
    schema = f"bench{os.getpid()}requests_{{partner}}_{{service}}" if os.environ.get("DATABASE_URL") else None
    url = None if schema else f"sqlite:///{workdir / 'requests-figures.sqlite'}"
    saved = os.environ.get("DATABASE_SCHEMA")
    if schema:
        os.environ["DATABASE_SCHEMA"] = schema
    try:
        return _measure(url)
    finally:
        if schema:
            from sqlalchemy import MetaData
            own = schema.format(partner=CITY_NODE, service="gateway")
            open_database(CITY_NODE, "gateway", MetaData(), None, own).drop_schema()
            os.environ.pop("DATABASE_SCHEMA") if saved is None else os.environ.update(DATABASE_SCHEMA=saved)


def _measure(url: str | None) -> dict:
    app = create_app(url, config={"TESTING": True})
    db = app.extensions["samen030.db"]
    started = time.perf_counter()
    intake, handovers = city_requests()
    built = time.perf_counter()
    for start in range(0, len(intake), BATCH):
        with db.begin() as conn:
            conn.execute(insert(help_requests), [request_row(event) for event in intake[start:start + BATCH]])
    for start in range(0, len(handovers), BATCH):
        with db.begin() as conn:
            for handler, event in handovers[start:start + BATCH]:
                handler(conn, event)
    loaded = time.perf_counter()
    if not db.is_sqlite:
        with db.begin() as conn:
            conn.execute(text("ANALYZE"))
    with db.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(help_requests)).scalar_one()
        reference = _median_ms(lambda: conn.execute(select(help_requests.c.wijk, func.count())
                                                    .group_by(help_requests.c.wijk)).all())
    client, results = app.test_client(), {}
    for name, query in QUERIES.items():
        def call():
            response = client.get(f"/api/v1/figures/requests?{query}")
            assert response.status_code == 200, response.data[:500]
            return response.json
        answer = call()
        totals = answer["totals"]
        results[name] = {"ms": _median_ms(call), "received": totals["received"] + totals["received_by_referral"],
                         "referred": totals["referred"]}
    results["csv"] = _median_ms(lambda: client.get("/api/v1/figures/requests?format=csv").data)
    db.engine.dispose()
    return {"events": len(intake) + len(handovers), "requests": stored, "build_s": built - started,
            "load_s": loaded - built, "reference_ms": reference, **results}


def _median_ms(work) -> float:
    work()
    times = []
    for _ in range(CALLS):
        began = time.perf_counter()
        work()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="samen030-bench-") as directory:
        figures = measure(Path(directory))
    print(figures)
