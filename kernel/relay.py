"""The relay worker: publishes a service's outbox to its partner's JetStream stream, in outbox order,
with the event id as Nats-Msg-Id so that a retry after a crash is dropped as a duplicate.

Every database call runs in a thread, so a locked or slow database holds up this relay only, never the
other relays of the process; a database or broker error is logged and tried again with backoff, never
the end of the relay. A row counts as published only when the partner's own stream acknowledged it."""
import asyncio
import logging
import os
import time
from datetime import datetime, timedelta, timezone

import nats
from sqlalchemy.exc import SQLAlchemyError

from .bus import connect, ensure_stream, stream_name
from .database import Database
from .events.envelope import CONTENT_TYPE
from .metrics import OutboxFigures
from .outbox import backlog, mark_published, prune, unpublished
from .workers import Backoff, Trouble, wait_or_stop

log = logging.getLogger(__name__)


# After a quiet second, the first new event waits at most this long (idle relays cost next to nothing):
IDLE_INTERVAL = 0.05  # PostgreSQL: each look is a query
PRUNE_EVERY = 3600.0  # seconds between prunes of published outbox rows
IDLE_INTERVAL_SQLITE = 0.02  # SQLite: each look reads PRAGMA data_version
IDLE_INTERVAL_WOKEN = 1.0  # writers in this process wake the relay at each commit: look for other writers seldom
COUNT_EVERY = 5.0  # seconds between counts of the backlog, when a look cannot tell it (a full batch, trouble)
EMPTY, BUSY = "empty", "busy"


class NotAllPublished(RuntimeError):
    """Some rows of a batch were not acknowledged by the partner's stream (yet): the broker restarting,
    or another stream holding the partner's subjects."""


class Relay:
    def __init__(self, db: Database, outbox, partner: str, service: str, nats_url: str, *,
                 batch: int = 1000, poll_interval: float = 0.005, ack_timeout: float = 5.0, woken: bool = False):
        """`woken`: the service writing the outbox runs in this process (`samen030 node`), so its commits
        wake the relay and idle looks can be rare."""
        self.db, self.outbox, self.partner, self.service = db, outbox, partner, service
        self.nats_url, self.batch, self.poll_interval, self.ack_timeout = nats_url, batch, poll_interval, ack_timeout
        self.published, self.stream = 0, stream_name(partner)
        self.idle_at, self.idle_polls, self.looked_at, self.pruned_at = None, 0, 0.0, 0.0
        self.trouble = Trouble(log, f"relay {partner}/{service}")
        self.woken, self.wake = woken, None
        self.figures, self.counted_at = OutboxFigures(partner, service), 0.0

    async def run(self, stop: asyncio.Event, until_empty: bool = False) -> None:
        nc = await connect(self.nats_url, f"relay-{self.partner}-{self.service}", stop)
        if nc is None:  # stopped before NATS answered
            return
        js = nc.jetstream(publish_async_max_pending=self.batch * 2)
        backoff, self.stream_ready, last_report, reported = Backoff(), False, time.monotonic(), 0
        if self.woken:
            loop, self.wake = asyncio.get_running_loop(), asyncio.Event()
            listener = lambda: loop.call_soon_threadsafe(self.wake.set)  # noqa: E731 (from the committing thread)
            self.db.committed.append(listener)
        try:
            while not stop.is_set():
                try:
                    if await self._relay_once(js, stop, until_empty) == EMPTY and until_empty:
                        return
                    backoff.reset()
                    self.trouble.over()
                except Exception as exc:  # say so, wait, try again: a broker restarting passes by itself (a
                    # warning); a database error or a stream that is not the partner's wants someone (an error)
                    passing = isinstance(exc, (NotAllPublished, nats.errors.Error, asyncio.TimeoutError))
                    self.trouble.happened(exc, logging.WARNING if passing else logging.ERROR)
                    if not isinstance(exc, SQLAlchemyError):  # the rows wait: show how many, and since when
                        await self._count_backlog()
                    await backoff.sleep(stop)
                if time.monotonic() - last_report > 10 and self.published != reported:  # quiet when idle
                    log.info("relay %s/%s: %d events published", self.partner, self.service, self.published)
                    last_report, reported = time.monotonic(), self.published
        finally:
            if self.woken:
                self.db.committed.remove(listener)
            await nc.close()

    async def _idle(self, stop: asyncio.Event, seconds: float) -> None:
        if self.wake is None:
            await wait_or_stop(stop, seconds)
            return
        waits = [asyncio.ensure_future(self.wake.wait()), asyncio.ensure_future(stop.wait())]
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        for waiting in waits:
            waiting.cancel()
        self.wake.clear()  # before the next look, which sees every commit made until then

    async def _relay_once(self, js, stop: asyncio.Event, until_empty: bool) -> str:
        if time.monotonic() - self.pruned_at > PRUNE_EVERY:
            self.pruned_at = time.monotonic()
            await asyncio.to_thread(self.prune_published)
        if not self.stream_ready:
            await ensure_stream(js, self.partner)
            self.stream_ready = True
        # before the query: a commit after it changes the marker
        marker = await asyncio.to_thread(self.db.change_marker) if self.db.file else None
        if marker is not None and marker == self.idle_at and time.monotonic() - self.looked_at < 1.0:
            self.idle_polls += 1  # nothing was written since the last empty look
            await self._idle(stop, self._idle_interval(False))
            return EMPTY
        self.looked_at = time.monotonic()
        rows = await asyncio.to_thread(self._unpublished)
        await self._saw(rows)
        if not rows:
            self.idle_at, self.idle_polls = marker, self.idle_polls + 1
            if not until_empty:
                await self._idle(stop, self._idle_interval(marker is None))
            return EMPTY
        self.idle_at, self.idle_polls = None, 0
        done = await self._publish(js, rows)
        if done:
            await asyncio.to_thread(self._mark_published, done)
            self.published += len(done)
            self.figures.did_publish(len(done))
        if len(done) < len(rows):
            self.stream_ready = False
            raise NotAllPublished(f"{len(rows) - len(done)} of {len(rows)} events not acknowledged by {self.stream}; "
                                  "they will be published again")
        return BUSY

    def _unpublished(self) -> list:
        with self.db.connect() as conn:
            return unpublished(conn, self.outbox, self.batch)

    async def _saw(self, rows: list) -> None:
        """The backlog as a look found it: exactly, when the batch was not full; else counted, at most
        every COUNT_EVERY seconds (an idle relay never counts: its looks find no rows)."""
        if len(rows) < self.batch:
            self.figures.saw(len(rows), rows[0].created_at if rows else None)
        else:
            self.figures.saw(max(self.figures.waiting, len(rows)), rows[0].created_at)
            await self._count_backlog()

    async def _count_backlog(self) -> None:
        """At most every COUNT_EVERY seconds."""
        if time.monotonic() - self.counted_at < COUNT_EVERY:
            return
        self.counted_at = time.monotonic()
        try:
            self.figures.saw(*await asyncio.to_thread(self._backlog))
        except Exception as exc:  # the next look tells
            log.debug("relay %s/%s: counting the backlog: %s", self.partner, self.service, exc)

    def _backlog(self) -> tuple[int, datetime | None]:
        with self.db.connect() as conn:
            return backlog(conn, self.outbox)

    def _mark_published(self, seqs: list[int]) -> None:
        with self.db.begin() as conn:
            mark_published(conn, self.outbox, seqs)

    def prune_published(self, now: datetime | None = None) -> int:
        """Published rows older than SAMEN030_OUTBOX_KEEP_DAYS (default 7; 0 keeps them all) go: the
        stream has them, and its duplicate window is an hour. Unpublished rows always stay."""
        days = float(os.environ.get("SAMEN030_OUTBOX_KEEP_DAYS", "7"))
        if days <= 0:
            return 0
        before = (now or datetime.now(timezone.utc)) - max(timedelta(days=days), timedelta(hours=1))
        total = 0
        try:
            while True:
                with self.db.begin() as conn:
                    gone = prune(conn, self.outbox, before)
                total += gone
                if gone < 5000:
                    break
        except Exception as exc:  # a locked or unreachable database: the next prune tries again
            log.warning("relay %s/%s: pruning the outbox failed: %s", self.partner, self.service, exc)
        if total:
            log.info("relay %s/%s: %d published outbox rows older than %s days pruned", self.partner, self.service,
                     total, days)
        return total

    def _idle_interval(self, must_query: bool) -> float:
        """After a second of nothing, look less often: SQLite every IDLE_INTERVAL_SQLITE (a look is a
        PRAGMA data_version, and a query at least once a second), PostgreSQL every IDLE_INTERVAL (a look
        is a query). Busy, every poll_interval."""
        if self.idle_polls * self.poll_interval <= 1.0:
            return self.poll_interval
        if self.woken:
            return IDLE_INTERVAL_WOKEN
        return max(self.poll_interval, IDLE_INTERVAL if must_query else IDLE_INTERVAL_SQLITE)

    async def _publish(self, js, rows) -> list[int]:
        """Publish rows pipelined; return the outbox seqs that the partner's own stream acknowledged."""
        futures = []
        try:
            for row in rows:
                headers = {"Nats-Msg-Id": row.event_id, "Content-Type": CONTENT_TYPE}
                futures.append(await js.publish_async(row.nats_subject, row.payload, headers=headers,
                                                      wait_stall=self.ack_timeout))
        except Exception as exc:
            log.warning("relay %s: publish failed after %d of %d: %s", self.partner, len(futures), len(rows), exc)
        if futures:
            _done, pending = await asyncio.wait(futures, timeout=self.ack_timeout)
            for future in pending:
                future.cancel()
        acks = [(row, f.result().stream) for row, f in zip(rows, futures)
                if f.done() and not f.cancelled() and f.exception() is None]
        if strangers := [(row, stream) for row, stream in acks if stream != self.stream]:
            log.error("relay %s/%s: stream %s, not %s, stored %d events published under samen030.%s (the first %s): "
                      "they do not count as published", self.partner, self.service,
                      ", ".join(sorted({stream for _row, stream in strangers})), self.stream, len(strangers),
                      self.partner, strangers[0][0].event_id, extra={"event_id": strangers[0][0].event_id})
        return [row.seq for row, stream in acks if stream == self.stream]
