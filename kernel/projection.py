"""What a durable consumer feeds: a database and a handler per event type. Each event is applied and
recorded as applied in one transaction; a redelivered or duplicated event changes nothing; an event
that is not valid is logged, never applied. An event its handler keeps failing on is parked: kept in
the projection's own database (`parked_events`), to be applied again with `samen030 parked --retry`."""
import asyncio
import json
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from .database import Database, UTCDateTime, select_in
from .events import Event, InvalidEvent, parse_event

log = logging.getLogger(__name__)
Handler = Callable[[Connection, Event], None]  # may have a batch form: see together_with
APPLIED, DUPLICATE, INVALID, FAILED = "applied", "duplicate", "invalid", "failed"


def tracking_table(metadata: MetaData) -> Table:
    return Table(
        "applied_events", metadata,
        Column("event_id", String(36), primary_key=True),
        Column("partner", String(32), nullable=False),
        Column("applied_at", UTCDateTime, nullable=False),
    )


def parked_table(metadata: MetaData) -> Table:
    """Events a consumer gave up on after SAMEN030_MAX_DELIVER failed tries, with what went wrong."""
    return Table(
        "parked_events", metadata,
        Column("event_id", String(36), primary_key=True),
        Column("consumer", String(64), primary_key=True),  # the projection's (durable consumer's) name
        Column("partner", String(32), nullable=False),
        Column("subject", String(200), nullable=False),
        Column("payload", Text, nullable=False),  # the message as it came, to apply again
        Column("error", Text, nullable=False),  # the last one
        Column("attempts", Integer, nullable=False),
        Column("parked_at", UTCDateTime, nullable=False),
    )


class NotYet(Exception):
    """A handler cannot apply the event yet (what it answers is still being recorded here): it is
    delivered again, however often, never parked."""


def together_with(many: Callable[[Connection, list[Event]], None]) -> Callable[[Handler], Handler]:
    """Give a handler its batch form: `many(conn, events)` does what the handler does to each of the
    events in turn. A batch form gets the events of every handler that has it as their batch form (in
    the order of the batch); those events may touch nothing that other handlers' events touch, so that
    the order between them does not matter."""
    def mark(handler: Handler) -> Handler:
        handler.many = many
        return handler
    return mark


class HandlerFailed(Exception):
    """A handler failed on this event while its batch was applied together."""

    def __init__(self, event: Event, error: Exception):
        super().__init__(f"{event.type} {event.id}: {type(error).__name__}: {error}")
        self.event, self.error = event, error


@dataclass(frozen=True)
class Failure:
    event_id: str
    partner: str
    error: str


class Projection:
    """Handlers per event type on one database. Its work runs in a thread of its own, one batch at a
    time (`off_loop`), so a slow or locked database holds up no other worker of the event loop, and a
    SQLite file is never written by two of its batches at once.

    A batch is applied in one transaction: each handler's events by its batch form where it has one
    (together_with), then `on_batch_applied(conn, events)` with the events applied. When anything in it
    fails, the batch is rolled back and applied again one event at a time, each in a savepoint of its
    own, so that a failing event fails alone."""

    def __init__(self, name: str, db: Database, tracking: Table, handlers: dict[str, Handler],
                 parked: Table | None = None,
                 on_batch_applied: Callable[[Connection, list[Event]], None] | None = None):
        self.name, self.db, self.tracking, self.handlers = name, db, tracking, handlers
        self.parked = parked if parked is not None else tracking.metadata.tables.get("parked_events")
        self.on_batch_applied = on_batch_applied
        self.failures: dict[int, Failure] = {}  # of the last apply(), by position in the batch
        self._thread = ThreadPoolExecutor(1, thread_name_prefix=f"projection-{name}")

    async def off_loop(self, work: Callable, *args):
        return await asyncio.get_running_loop().run_in_executor(self._thread, work, *args)

    def apply(self, messages: list[tuple[bytes, str]]) -> list[str]:
        """Apply a batch of (payload, subject) in one transaction; an outcome per message."""
        self.failures = {}
        events = [self._parse(payload, subject) for payload, subject in messages]
        try:
            with self.db.begin() as conn:
                return self._apply_together(conn, events)
        except Exception as exc:
            failed = exc if isinstance(exc, HandlerFailed) else None
            log.debug("%s: a batch of %d could not be applied at once (%s: %s); applying each event on its own",
                      self.name, len(events), type(exc).__name__, exc)
        with self.db.begin() as conn:
            owners = self._owners(conn, events)
            return [self._apply_alone(conn, event, position, owners, failed) for position, event in enumerate(events)]

    def apply_batch(self, messages: list[tuple[bytes, str]]) -> list[tuple[str, Failure | None]]:
        """apply() (as a subclass makes it), with each failure's reason."""
        outcomes = self.apply(messages)
        return [(outcome, self.failures.get(position)) for position, outcome in enumerate(outcomes)]

    def _parse(self, payload: bytes, subject: str) -> Event | None:
        try:
            return parse_event(payload, subject)
        except InvalidEvent as exc:
            claimed = claimed_id(payload)
            log.warning("%s: rejected message %s on %s: %s", self.name, claimed or "without an id", subject, exc,
                        extra={"event_id": claimed} if claimed else None)
            return None

    def _owners(self, conn: Connection, events: list[Event | None]) -> dict[str, str | None]:
        """Whose event each of these events' ids was recorded for as applied (None: nobody's yet)."""
        ids, t = list({e.id for e in events if e is not None}), self.tracking.c
        owners: dict[str, str | None] = dict.fromkeys(ids)
        owners.update({row.event_id: row.partner
                       for row in select_in(conn, select(t.event_id, t.partner), t.event_id, ids)})
        return owners

    def _tracked_id(self, conn: Connection, event: Event, owners: dict[str, str | None]) -> str | None:
        """The id the event is recorded under as applied; None when it was applied already. An event id is
        its sender's: another partner's event under the same id (by chance, or copied from the bus) does
        not make this one a duplicate; it is recorded under an id derived from its partner and id.
        `owners`: what is known of recorded ids (_owners), asked of the database where it knows nothing."""
        tracked, depth = event.id, 0
        while (owner := self._owner(conn, tracked, owners)) is not None:
            if owner == event.partner:
                return None
            depth += 1
            tracked = str(uuid.uuid5(uuid.NAMESPACE_URL, f"samen030:{event.partner}:{event.id}:{depth}"))
        return tracked

    def _owner(self, conn: Connection, tracked: str, owners: dict[str, str | None]) -> str | None:
        if tracked not in owners:
            owners[tracked] = conn.execute(select(self.tracking.c.partner)
                                           .where(self.tracking.c.event_id == tracked)).scalar()
        return owners[tracked]

    def _apply_together(self, conn: Connection, events: list[Event | None]) -> list[str]:
        owners, fresh, outcomes = self._owners(conn, events), {}, []  # fresh: {tracked id: event}
        for event in events:
            if event is None:
                outcomes.append(INVALID)
            elif (tracked := self._tracked_id(conn, event, owners)) is None:
                outcomes.append(DUPLICATE)
            else:
                owners[tracked], fresh[tracked] = event.partner, event
                outcomes.append(APPLIED)
        together: dict[Callable, list[Event]] = {}  # a handler's batch form: its events, in order
        for event in fresh.values():
            if handler := self.handlers.get(event.type):
                if (many := getattr(handler, "many", None)) is not None:
                    together.setdefault(many, []).append(event)
                else:
                    try:
                        handler(conn, event)
                    except Exception as exc:
                        raise HandlerFailed(event, exc) from exc
        for many, applied in together.items():
            many(conn, applied)
        if fresh:
            now = datetime.now(timezone.utc)
            conn.execute(insert(self.tracking), [{"event_id": tracked, "partner": e.partner, "applied_at": now}
                                                 for tracked, e in fresh.items()])
            if self.on_batch_applied is not None:
                self.on_batch_applied(conn, list(fresh.values()))
        return outcomes

    def _apply_alone(self, conn: Connection, event: Event | None, position: int, owners: dict[str, str | None],
                     failed: HandlerFailed | None) -> str:
        """The event in a savepoint of its own; `failed`: an event whose handler failed in the batch
        before, after the same events as here (those of other handlers touch other rows), and so not
        tried again."""
        if event is None:
            return INVALID
        if (tracked := self._tracked_id(conn, event, owners)) is None:
            return DUPLICATE
        try:
            if failed is not None and failed.event is event:
                raise failed.error
            with conn.begin_nested():
                if handler := self.handlers.get(event.type):
                    handler(conn, event)
                conn.execute(insert(self.tracking).values(event_id=tracked, partner=event.partner,
                                                          applied_at=datetime.now(timezone.utc)))
                if self.on_batch_applied is not None:
                    self.on_batch_applied(conn, [event])
        except OperationalError:  # a lock waited on too long, a deadlock, a lost connection: it passes
            log.warning("%s: the database could not apply %s %s now; it comes again", self.name, event.type, event.id,
                        exc_info=True, extra={"event_id": event.id})
            return FAILED  # without a reason: delivered again, never parked for the database's trouble
        except NotYet as exc:
            log.info("%s: %s %s comes again: %s", self.name, event.type, event.id, exc, extra={"event_id": event.id})
            return FAILED
        except Exception as exc:
            log.exception("%s: could not apply %s %s", self.name, event.type, event.id, extra={"event_id": event.id})
            self.failures[position] = Failure(event.id, event.partner, f"{type(exc).__name__}: {exc}")
            return FAILED
        owners[tracked] = event.partner
        return APPLIED

    def park(self, parked: list[tuple[Failure, str, bytes, int]]) -> None:
        """Keep (failure, subject, payload, attempts) of events given up on, in one transaction."""
        if self.parked is None:
            raise RuntimeError(f"{self.name}: its database has no parked_events table (kernel.projection.parked_table)")
        now = datetime.now(timezone.utc)
        with self.db.begin() as conn:
            for failure, subject, payload, attempts in parked:
                row = {"partner": failure.partner, "subject": subject, "payload": payload.decode("utf-8", "replace"),
                       "error": failure.error, "attempts": attempts, "parked_at": now}
                key = (self.parked.c.event_id == failure.event_id, self.parked.c.consumer == self.name)
                if not conn.execute(update(self.parked).where(*key).values(row)).rowcount:
                    conn.execute(insert(self.parked).values(event_id=failure.event_id, consumer=self.name, **row))


def claimed_id(payload: bytes) -> str | None:
    """The id an event that is not valid says it has, for the log: only a short printable string."""
    try:
        value = json.loads(payload).get("id")
    except (ValueError, AttributeError, RecursionError):
        return None
    return value if isinstance(value, str) and 0 < len(value) <= 64 and value.isprintable() else None
