"""Outbox → relay → JetStream → projector → read model, on a real nats-server and real databases."""
import json
import uuid

import pytest
from sqlalchemy import func, select, update

from samen030.directory import offers as directory
from samen030.directory.tables import metadata as directory_metadata, outbox
from samen030.gateway.projector import readmodel_projection
from samen030.gateway.readmodel import applied_events, metadata as readmodel_metadata, offers as city_offers
from samen030.kernel.consumer import consume
from samen030.kernel.relay import Relay
from tests.pipeline import publish_raw, read_stream, run_async, run_until

OFFER = {"name": "Buurtmaaltijd", "description": "Samen koken en eten.", "category": "welzijn-ontmoeten",
         "buurt": "BU03440832", "status": "active"}


@pytest.fixture
def readmodel(databases):
    return readmodel_projection(databases.open("city", "gateway", readmodel_metadata))


def count(db, table, *where):
    with db.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def relay_all(db, partner, nats_url):
    run_async(Relay(db, outbox, partner, "directory", nats_url).run(stop=_never(), until_empty=True))


def _never():
    import asyncio
    return asyncio.Event()


def test_relay_publishes_each_event_once_in_outbox_order(directory_db, partner, nats_url):
    created = [directory.create_offer(directory_db, partner, {**OFFER, "name": f"Aanbod {i}"}, "t") for i in range(5)]
    directory.update_offer(directory_db, partner, created[0]["id"], {"version": 1, "name": "Nieuw"}, "t")
    relay_all(directory_db, partner, nats_url)

    messages = run_async(read_stream(nats_url, partner))
    with directory_db.connect() as conn:
        rows = conn.execute(select(outbox).order_by(outbox.c.seq)).mappings().all()
    assert [m.headers["Nats-Msg-Id"] for m in messages] == [r["event_id"] for r in rows]
    assert [json.loads(m.data)["id"] for m in messages] == [r["event_id"] for r in rows]
    assert all(m.headers["Content-Type"] == "application/cloudevents+json" for m in messages)
    assert messages[-1].subject == f"samen030.{partner}.directory.offer.updated"
    assert all(r["published_at"] is not None for r in rows)

    # A relay that crashed after publishing but before marking the rows publishes them again:
    with directory_db.begin() as conn:
        conn.execute(update(outbox).values(published_at=None))
    relay_all(directory_db, partner, nats_url)
    assert len(run_async(read_stream(nats_url, partner))) == 6  # the stream dropped the duplicates


def test_projector_builds_the_read_model_idempotently(directory_db, readmodel, partner, nats_url):
    first = directory.create_offer(directory_db, partner, OFFER, "t")
    second = directory.create_offer(directory_db, partner, {**OFFER, "buurt": "BU03440111"}, "t")
    directory.update_offer(directory_db, partner, first["id"], {"version": 1, "status": "inactive"}, "t")
    relay_all(directory_db, partner, nats_url)

    def offers_seen():
        return count(readmodel.db, city_offers, city_offers.c.partner == partner)

    def applied():
        return count(readmodel.db, applied_events, applied_events.c.partner == partner)

    run_async(run_until(lambda stop: consume(readmodel, nats_url, [partner], stop), lambda: applied() == 3))
    with readmodel.db.connect() as conn:
        rows = {r["id"]: r for r in conn.execute(select(city_offers)).mappings()}
    assert (rows[first["id"]]["status"], rows[first["id"]]["version"]) == ("inactive", 2)
    assert (rows[second["id"]]["wijk"], rows[second["id"]]["partner"]) == ("WK034401", partner)

    # The same events again under new message ids (past the duplicate window), plus garbage and
    # a forged event: nothing changes, the consumer keeps going, and a later event still lands.
    for message in run_async(read_stream(nats_url, partner)):
        run_async(publish_raw(nats_url, message.subject, message.data, str(uuid.uuid4())))
    run_async(publish_raw(nats_url, f"samen030.{partner}.directory.offer.created", b"{not json", "x1"))
    forged = json.loads(message.data) | {"partnerid": "zorgbelang"}
    run_async(publish_raw(nats_url, message.subject, json.dumps(forged).encode(), "x2"))
    third = directory.create_offer(directory_db, partner, {**OFFER, "name": "Later"}, "t")
    relay_all(directory_db, partner, nats_url)
    run_async(run_until(lambda stop: consume(readmodel, nats_url, [partner], stop), lambda: applied() == 4))
    assert offers_seen() == 3
    with readmodel.db.connect() as conn:
        assert conn.execute(select(city_offers.c.version).where(city_offers.c.id == first["id"])).scalar_one() == 2
        assert conn.execute(select(city_offers.c.name).where(city_offers.c.id == third["id"])).scalar_one() == "Later"


def test_an_older_version_arriving_late_does_not_win(directory_db, readmodel, partner):
    offer = directory.create_offer(directory_db, partner, OFFER, "t")
    directory.update_offer(directory_db, partner, offer["id"], {"version": 1, "name": "Versie 2"}, "t")
    with directory_db.connect() as conn:
        rows = conn.execute(select(outbox.c.payload, outbox.c.nats_subject).order_by(outbox.c.seq.desc())).all()
    assert readmodel.apply([(p, s) for p, s in rows]) == ["applied", "applied"]
    with readmodel.db.connect() as conn:
        assert conn.execute(select(city_offers.c.name)).scalar_one() == "Versie 2"
    assert readmodel.apply([(rows[0][0], rows[0][1])]) == ["duplicate"]
