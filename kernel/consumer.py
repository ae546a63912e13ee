"""Idempotent durable consumers: each event is applied and recorded as applied in one transaction,
and acknowledged only after that transaction committed. A redelivered or duplicated event changes
nothing; an event that is not valid is logged and terminated, never applied. A consumer makes no
stream: it waits until the stream exists."""
import asyncio
import logging
from datetime import datetime, timezone
from typing import Callable

from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from sqlalchemy import Column, MetaData, String, Table, insert, select
from sqlalchemy.engine import Connection

from .bus import connect, stream_name
from .database import Database, UTCDateTime
from .events import Event, InvalidEvent, parse_event
from .workers import Backoff

log = logging.getLogger(__name__)
Handler = Callable[[Connection, Event], None]
APPLIED, DUPLICATE, INVALID, FAILED = "applied", "duplicate", "invalid", "failed"


def tracking_table(metadata: MetaData) -> Table:
    return Table(
        "applied_events", metadata,
        Column("event_id", String(36), primary_key=True),
        Column("partner", String(32), nullable=False),
        Column("applied_at", UTCDateTime, nullable=False),
    )


class Projection:
    """What a durable consumer feeds: a database and a handler per event type."""

    def __init__(self, name: str, db: Database, tracking: Table, handlers: dict[str, Handler]):
        self.name, self.db, self.tracking, self.handlers = name, db, tracking, handlers

    def apply(self, messages: list[tuple[bytes, str]]) -> list[str]:
        """Apply a batch of (payload, subject) in one transaction; an outcome per message."""
        outcomes = []
        with self.db.begin() as conn:
            for payload, subject in messages:
                outcomes.append(self._apply_one(conn, payload, subject))
        return outcomes

    def _apply_one(self, conn: Connection, payload: bytes, subject: str) -> str:
        try:
            event = parse_event(payload, subject)
        except InvalidEvent as exc:
            log.warning("%s: rejected message on %s: %s", self.name, subject, exc)
            return INVALID
        if conn.execute(select(self.tracking.c.event_id).where(self.tracking.c.event_id == event.id)).first():
            return DUPLICATE
        try:
            with conn.begin_nested():
                if handler := self.handlers.get(event.type):
                    handler(conn, event)
                conn.execute(insert(self.tracking).values(event_id=event.id, partner=event.partner,
                                                          applied_at=datetime.now(timezone.utc)))
        except Exception:
            log.exception("%s: could not apply %s %s", self.name, event.type, event.id)
            return FAILED
        return APPLIED


async def consume(projection: Projection, nats_url: str, partners: list[str], stop: asyncio.Event,
                  batch: int = 500, subjects: str = ">") -> None:
    """Feed `projection` from every partner's stream until `stop` is set; `subjects` narrows what it
    reads from each stream (e.g. "requests.request.changed" for samen030.<partner>.requests.request.changed)."""
    nc = await connect(nats_url, projection.name, stop)
    if nc is None:  # stopped before NATS answered
        return
    try:
        await asyncio.gather(*(_consume_stream(nc, projection, p, stop, batch, subjects) for p in partners))
    finally:
        await nc.close()


async def _consume_stream(nc, projection: Projection, partner: str, stop: asyncio.Event, batch: int,
                          subjects: str = ">") -> None:
    js = nc.jetstream()
    config = ConsumerConfig(durable_name=projection.name, ack_policy=AckPolicy.EXPLICIT,
                            deliver_policy=DeliverPolicy.ALL, ack_wait=30, max_ack_pending=20000)
    backoff, sub, waiting = Backoff(limit=1.0), None, False
    while not stop.is_set():
        try:
            if sub is None:
                sub = await js.pull_subscribe(f"samen030.{partner}.{subjects}", durable=projection.name,
                                              stream=stream_name(partner), config=config)
                waiting = False
            try:
                messages = await _fetch(sub, batch)
            except asyncio.TimeoutError:
                continue
            outcomes = projection.apply([(m.data, m.subject) for m in messages])
            for message, outcome in zip(messages, outcomes):
                if outcome == FAILED:
                    await message.nak(delay=5)
                elif outcome == INVALID:
                    await message.term()
                else:
                    await message.ack()
            backoff.reset()
        except NotFoundError as exc:  # no stream yet: the operator (or, where it may, the partner's relay) makes it
            if not waiting:
                log.warning("%s: waiting for stream %s (%s)", projection.name, stream_name(partner), exc.description)
                waiting = True
            sub = await _drop(sub)
            await backoff.sleep(stop)
        except Exception as exc:
            if stop.is_set():
                break
            log.warning("%s/%s: %s: %s", projection.name, partner, type(exc).__name__, exc)
            sub = await _drop(sub)
            await backoff.sleep(stop)


async def _fetch(sub, batch: int, timeout: float = 0.5) -> list:
    """Wait for the next message, then take the ones already waiting behind it, up to `batch`.

    Not one `sub.fetch(batch, timeout)`: when its timeout races the server's expiry of the pull
    request, nats-py leaves that request lingering on the server, and later messages it captures are
    held back until more arrive (~100 ms at 10 events/s, up to the 0.5 s expiry). A pull request for
    one message cannot hold anything back, and `num_pending` says how many more can be taken at once."""
    messages = await sub.fetch(1, timeout=timeout)
    if batch > 1 and (waiting := messages[-1].metadata.num_pending):
        try:
            messages += await sub.fetch(min(batch - 1, waiting), timeout=timeout)
        except Exception as exc:  # the first message is fetched: apply it; the rest come next time
            log.debug("fetching %d more messages: %s: %s", waiting, type(exc).__name__, exc)
    return messages


async def _drop(sub):
    try:
        if sub is not None:
            await sub.unsubscribe()
    except Exception:
        pass
    return None
