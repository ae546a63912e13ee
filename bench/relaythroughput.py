"""Figure 3, relay throughput: a backlog of outbox rows (real offer-created CloudEvents, written in one
transaction) is drained by samen030.kernel.relay.Relay(...).run(stop, until_empty=True), timed from
start to return (connect, stream check, read batches, publish pipelined with Nats-Msg-Id, wait for
the acks, mark rows published). The reference publishes the same payloads with the same headers via
raw nats-py `js.publish_async` to a stream of the same configuration on the same server, timed from
connect to the last ack. Both streams are checked to hold every message afterwards."""
import asyncio
import random
import time
import uuid

import nats

from dataset import offer_event, offer_fields

from samen030.directory.tables import metadata, outbox
from samen030.kernel import outbox as outbox_rows
from samen030.kernel.bus import ensure_stream, stream_name
from samen030.kernel.database import Database, open_database
from samen030.kernel.events.envelope import CONTENT_TYPE
from samen030.kernel.relay import Relay

RELAY_PARTNER, RAW_PARTNER = "benchrelay", "benchraw"
RAW_SUBJECT = f"samen030.{RAW_PARTNER}.directory.offer.created"


def write_backlog(rows: int) -> tuple[Database, list[bytes]]:
    """`rows` unpublished outbox rows in a fresh directory database; returns it and the payloads."""
    rng = random.Random(3)
    events = [offer_event(RELAY_PARTNER, offer_fields(rng, n))[1] for n in range(rows)]
    db = open_database(RELAY_PARTNER, "directory", metadata)
    with db.begin() as conn:
        for event in events:
            outbox_rows.record(conn, outbox, event)
    return db, [event.to_json() for event in events]


async def time_relay(db: Database, nats_url: str) -> tuple[float, int]:
    relay = Relay(db, outbox, RELAY_PARTNER, "directory", nats_url)
    started = time.perf_counter()
    await asyncio.wait_for(relay.run(asyncio.Event(), until_empty=True), timeout=120)
    return time.perf_counter() - started, relay.published


async def time_raw_publish(nats_url: str, payloads: list[bytes]) -> tuple[float, int]:
    ids = [str(uuid.uuid4()) for _ in payloads]
    started = time.perf_counter()
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, RAW_PARTNER)
        futures = [await js.publish_async(RAW_SUBJECT, payload, headers={"Nats-Msg-Id": msg_id,
                                                                          "Content-Type": CONTENT_TYPE})
                   for payload, msg_id in zip(payloads, ids)]
        acks = await asyncio.wait_for(asyncio.gather(*futures), timeout=120)
    finally:
        await nc.close()
    return time.perf_counter() - started, len(acks)


async def stream_sizes(nats_url: str) -> dict[str, int]:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        return {p: (await js.stream_info(stream_name(p))).state.messages for p in (RELAY_PARTNER, RAW_PARTNER)}
    finally:
        await nc.close()


async def measure(nats_url: str, rows: int = 20_000) -> dict:
    db, payloads = write_backlog(rows)
    relay_s, published = await time_relay(db, nats_url)
    raw_s, acked = await time_raw_publish(nats_url, payloads)
    sizes = await stream_sizes(nats_url)
    return {"rows": rows, "payload_bytes": sum(map(len, payloads)) // len(payloads),
            "relay_s": relay_s, "relay_events_per_s": published / relay_s, "relay_published": published,
            "raw_s": raw_s, "raw_events_per_s": acked / raw_s, "raw_acked": acked, "stream_messages": sizes}
