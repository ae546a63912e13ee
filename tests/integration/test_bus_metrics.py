"""What the relay and the consumers show at /metrics, against a real nats-server on SQLite and
PostgreSQL: an outbox backlog and its age while the partner's stream is missing, then the events
published and the backlog gone; a consumer's pending messages and lag while it is busy, its events
applied, duplicate and invalid; a parked event."""
import asyncio
import threading
import uuid

import pytest

from samen030.directory import offers as directory
from samen030.directory.tables import metadata as directory_metadata, outbox
from samen030.gateway.readmodel import applied_events, metadata as readmodel_metadata
from samen030.kernel.bus import provision_at, stream_name
from samen030.kernel.consumer import Projection, consume
from samen030.kernel.relay import Relay
from tests.conftest import NatsServer
from tests.integration.test_parked_events import park_one
from tests.metrics import scrape_here, total
from tests.pipeline import publish_raw, read_stream, run_async, running, until

CREATED = "nl.samen030.directory.offer.created.v1"
OFFER = {"name": "Inloop", "category": "informatie", "buurt": "BU03440832", "status": "active"}


def create_offers(db, partner: str, count: int) -> None:
    for i in range(count):
        directory.create_offer(db, partner, {**OFFER, "name": f"Inloop {i}"}, "t")


def test_a_relay_shows_its_backlog_and_its_age_until_the_stream_takes_them(directory_db, partner, tmp_path):
    bus = NatsServer(tmp_path / "nats", partners=[partner]).start()  # the partner may not make its stream
    create_offers(directory_db, partner, 5)
    mine = {"partner": partner, "service": "directory"}

    def shown(name):
        return total(scrape_here(), name, **mine)

    async def go():
        relay = Relay(directory_db, outbox, partner, "directory", bus.url_as(partner))
        async with running(relay.run) as task:
            await until(lambda: shown("samen030_outbox_backlog") == 5, watch=task)
            first_age = shown("samen030_outbox_oldest_age_seconds")
            await asyncio.sleep(0.3)
            assert 0 < first_age < shown("samen030_outbox_oldest_age_seconds") < 60  # it grows while they wait
            assert shown("samen030_events_published_total") == 0

            assert (await provision_at(bus.url_as("admin"), [partner]))[stream_name(partner)] == "created"
            await until(lambda: shown("samen030_events_published_total") == 5, watch=task)
            # the relay counts them published first, then looks at its outbox again
            await until(lambda: shown("samen030_outbox_backlog") == 0 and shown("samen030_outbox_oldest_age_seconds") == 0,
                        watch=task)
            create_offers(directory_db, partner, 2)
            await until(lambda: shown("samen030_events_published_total") == 7, watch=task)
            assert shown("samen030_outbox_backlog") == 0
    try:
        run_async(go())
    finally:
        bus.stop()


def test_a_consumer_shows_pending_and_lag_while_busy_and_what_it_applied(directory_db, databases, partner, nats_url):
    create_offers(directory_db, partner, 30)
    run_async(Relay(directory_db, outbox, partner, "directory", nats_url).run(asyncio.Event(), until_empty=True))
    released, inside = threading.Event(), threading.Event()

    def slow_handler(_conn, _event):
        inside.set()
        released.wait(20)
    projection = Projection("metrics-readmodel", databases.open("metricscity", "gateway", readmodel_metadata),
                            applied_events, {CREATED: slow_handler})
    mine = {"consumer": "metrics-readmodel", "stream": stream_name(partner)}

    def shown(name, **labels):
        return total(scrape_here(), name, **mine, **labels)

    async def go():
        async with running(lambda stop: consume(projection, nats_url, [partner], stop, batch=5)) as task:
            await until(inside.is_set, watch=task)  # the first batch of 5 is being applied
            assert shown("samen030_consumer_pending") == 30  # 25 in the stream and 5 in hand
            lag = shown("samen030_consumer_lag_seconds")
            assert 0 < lag < 60 and shown("samen030_consumer_events_total") == 0
            await asyncio.sleep(0.2)
            assert shown("samen030_consumer_lag_seconds") > lag

            released.set()
            await until(lambda: shown("samen030_consumer_events_total", outcome="applied") == 30, watch=task)
            await until(lambda: shown("samen030_consumer_pending") == 0, watch=task)
            assert shown("samen030_consumer_lag_seconds") == 0

            first = (await read_stream(nats_url, partner))[0]
            await publish_raw(nats_url, first.subject, first.data, str(uuid.uuid4()))  # past the duplicate window
            await publish_raw(nats_url, f"samen030.{partner}.directory.offer.created",
                              b'{"id": "not-an-event"}', str(uuid.uuid4()))
            await until(lambda: shown("samen030_consumer_events_total", outcome="duplicate") == 1
                        and shown("samen030_consumer_events_total", outcome="invalid") == 1, watch=task)
            assert shown("samen030_consumer_events_total", outcome="applied") == 30
    try:
        run_async(go())
    finally:
        released.set()


def test_a_parked_event_shows_in_the_parked_count(directory_db, databases, partner, nats_url, monkeypatch):
    mine = {"consumer": "gateway-readmodel", "stream": stream_name(partner)}
    park_one(directory_db, databases.open("city", "gateway", readmodel_metadata), partner, nats_url, monkeypatch)
    shown = scrape_here()
    assert total(shown, "samen030_consumer_events_total", **mine, outcome="parked") == 1
    assert total(shown, "samen030_consumer_events_total", **mine, outcome="failed") == 3  # each try, the last too
    assert total(shown, "samen030_consumer_events_total", **mine, outcome="applied") == 2
