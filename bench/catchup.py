"""Figure 12, catching up: 10,000 events of one partner (bench/catchupdata.py: offers created and updated
in several versions, help requests received and changed, volunteers listed, counts; each built by its
service's own event function) already in its stream on the benchmark's nats-server; then the gateway's
projector — readmodel_projection's projection (under a durable name of its own) fed by
samen030.kernel.consumer.consume from a new durable consumer, as `samen030 projector` runs it — applies
them to a fresh read model. Timed from the start of consume() until the last event is applied.

The reference, measured beside it in the same run and fed the same way from a stream holding the first
2,000 of the same events: the apply path of before (OneByOne below) — per event jsonschema's full
validation, a query for its id, a savepoint, its handler, its tracking row and its partner's freshness.
Its handlers are today's, which write an offer's rows in bulk even for one event, so the old path was,
if anything, slower than this reference.

SQLite (a file in the temporary directory), then PostgreSQL: DATABASE_URL when it is one, else
SAMEN030_BENCH_POSTGRES_URL, else the local postgresql://postgres@127.0.0.1:5432/test, in schemas of its
own (dropped afterwards); skipped with a note when it cannot be reached.
Run alone: `.venv/bin/python bench/catchup.py` (starts its own nats-server)."""
import asyncio
import logging
import os
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import nats
from sqlalchemy import func, insert, select

from catchupdata import mixed_events
from intake import postgres_url

from samen030.gateway.projector import HANDLERS, note_freshness
from samen030.gateway.readmodel import applied_events, metadata, offers
from samen030.gateway.search_index import ensure_current
from samen030.kernel.bus import ensure_stream
from samen030.kernel.consumer import APPLIED, DUPLICATE, INVALID, Projection, consume
from samen030.kernel.database import open_database
from samen030.kernel.events import InvalidEvent, parse_event
from samen030.kernel.events.catalog import validator_for
from samen030.kernel.events.envelope import CONTENT_TYPE

EVENTS, REFERENCE = 10_000, 2_000
PARTNER, REFERENCE_PARTNER = "benchcatchup", "benchcatchupref"


class OneByOne(Projection):
    """The projection's apply path of before: every event on its own."""

    def apply(self, messages: list[tuple[bytes, str]]) -> list[str]:
        self.failures = {}
        with self.db.begin() as conn:
            return [self._one(conn, payload, subject) for payload, subject in messages]

    def _one(self, conn, payload: bytes, subject: str) -> str:
        try:
            event = parse_event(payload, subject)
        except InvalidEvent:
            return INVALID
        if sorted(validator_for(event.type).iter_errors(event.data), key=lambda e: list(e.path)):
            return INVALID
        if conn.execute(select(self.tracking.c.event_id).where(self.tracking.c.event_id == event.id)).first():
            return DUPLICATE
        with conn.begin_nested():
            self.handlers[event.type](conn, event)
            conn.execute(insert(self.tracking).values(event_id=event.id, partner=event.partner,
                                                      applied_at=datetime.now(timezone.utc)))
            note_freshness(conn, [event])
        return APPLIED


async def publish(nats_url: str, partner: str, messages: list[tuple[str, bytes, str]]) -> None:
    """(event id, payload, subject) into the partner's stream, as the relay publishes them."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, partner)
        acks = [await js.publish_async(subject, payload, headers={"Nats-Msg-Id": event_id,
                                                                  "Content-Type": CONTENT_TYPE})
                for event_id, payload, subject in messages]
        await asyncio.wait_for(asyncio.gather(*acks), timeout=120)
    finally:
        await nc.close()


async def catch_up(projection: Projection, nats_url: str, partner: str, expected: int, timeout: float = 120) -> dict:
    """Start `projection`'s consumer from zero on the partner's stream; seconds until `expected` events
    were applied (or had been)."""
    counted = {"done": 0, "batches": 0, "applying_s": 0.0}
    apply_batch = projection.apply_batch

    def counting(messages):
        began = time.perf_counter()
        results = apply_batch(messages)
        counted["applying_s"] += time.perf_counter() - began
        counted["done"] += sum(outcome in (APPLIED, DUPLICATE) for outcome, _failure in results)
        counted["batches"] += 1
        return results
    projection.apply_batch = counting
    stop = asyncio.Event()
    started = time.perf_counter()
    task = asyncio.create_task(consume(projection, nats_url, [partner], stop))
    try:
        while counted["done"] < expected:
            if task.done():
                task.result()
                raise RuntimeError("the consumer stopped early")
            if time.perf_counter() - started > timeout:
                raise TimeoutError(f"{counted['done']} of {expected} events applied in {timeout} s")
            await asyncio.sleep(0.005)
        seconds = time.perf_counter() - started
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    return {"seconds": seconds, "events_per_s": expected / seconds, "batches": counted["batches"],
            "applying_s": counted["applying_s"]}


def read_model(kind: str, workdir: Path, name: str):
    if kind == "SQLite":
        db = open_database("city", "gateway", metadata, f"sqlite:///{workdir / f'{name}.sqlite'}", None)
    else:
        db = open_database("city", "gateway", metadata, postgres_url(), f"bench{os.getpid()}_{name}")
    ensure_current(db)
    return db


def counts(db) -> dict:
    with db.connect() as conn:
        return {"applied": conn.execute(select(func.count()).select_from(applied_events)).scalar_one(),
                "offers": conn.execute(select(func.count()).select_from(offers)).scalar_one()}


async def measure_on(kind: str, nats_url: str, workdir: Path) -> dict:
    ours_db = read_model(kind, workdir, f"catchup_{kind.lower()}")
    reference_db = read_model(kind, workdir, f"catchupref_{kind.lower()}")
    try:
        ours = Projection(f"catchup-{kind.lower()}", ours_db, applied_events, HANDLERS,
                          on_batch_applied=note_freshness)  # readmodel_projection's, named for this run
        reference = OneByOne(f"catchupref-{kind.lower()}", reference_db, applied_events, HANDLERS)
        result = {"ours": await catch_up(ours, nats_url, PARTNER, EVENTS),
                  "reference": await catch_up(reference, nats_url, REFERENCE_PARTNER, REFERENCE)}
        result["stored"], result["reference_stored"] = counts(ours_db), counts(reference_db)
        return result
    finally:
        for db in (ours_db, reference_db):
            db.drop_schema()
            db.dispose()


async def measure(nats_url: str, workdir: Path) -> dict:
    began = time.perf_counter()
    events = [(event.id, event.to_json(), event.nats_subject) for event in mixed_events(EVENTS, [PARTNER])]
    again = [(event.id, event.to_json(), event.nats_subject)
             for event in mixed_events(REFERENCE, [REFERENCE_PARTNER])]  # the same mix, the partner's own
    await publish(nats_url, PARTNER, events)
    await publish(nats_url, REFERENCE_PARTNER, again)
    results = {"events": EVENTS, "reference_events": REFERENCE, "prepare_s": time.perf_counter() - began,
               "SQLite": await measure_on("SQLite", nats_url, workdir)}
    try:
        results["PostgreSQL"] = await measure_on("PostgreSQL", nats_url, workdir)
    except Exception as exc:  # no PostgreSQL here: SQLite's figure still counts
        results["PostgreSQL"] = None
        results["postgres_skipped"] = f"{type(exc).__name__}: {str(exc)[:200]}"
    return results


if __name__ == "__main__":
    from samen030.kernel.natsserver import free_port, start_nats
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="samen030-bench-") as directory:
        port = free_port()
        server = start_nats(port, Path(directory) / "nats")
        try:
            figures = asyncio.run(measure(f"nats://127.0.0.1:{port}", Path(directory)))
        finally:
            server.terminate()
            server.wait(10)
    for kind in ("SQLite", "PostgreSQL"):
        if (r := figures[kind]) is not None:
            print(f"{kind}: {r['ours']['events_per_s']:,.0f} events/s ({r['ours']['batches']} batches), "
                  f"reference {r['reference']['events_per_s']:,.0f} events/s, "
                  f"ratio {r['ours']['events_per_s'] / r['reference']['events_per_s']:.1f}; stored {r['stored']}; "
                  f"{r['ours']['seconds']:.2f} s, of which applying {r['ours']['applying_s']:.2f} s")
    print({k: v for k, v in figures.items() if k not in ("SQLite", "PostgreSQL")})
