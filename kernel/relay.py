"""The relay worker: publishes a service's outbox to its partner's JetStream stream, in outbox order,
with the event id as Nats-Msg-Id so that a retry after a crash is dropped as a duplicate. A row counts
as published only when the partner's own stream acknowledged it."""
import asyncio
import logging
import os
import time
from datetime import datetime, timedelta, timezone

from .bus import StreamMismatch, StreamMissing, connect, ensure_stream, stream_name
from .database import Database
from .events.envelope import CONTENT_TYPE
from .outbox import mark_published, prune, unpublished
from .workers import Backoff, wait_or_stop

log = logging.getLogger(__name__)


# After a quiet second, the first new event waits at most this long (idle relays cost next to nothing):
IDLE_INTERVAL = 0.05  # PostgreSQL: each look is a query
PRUNE_EVERY = 3600.0  # seconds between prunes of published outbox rows
IDLE_INTERVAL_SQLITE = 0.02  # SQLite: each look reads PRAGMA data_version


class Relay:
    def __init__(self, db: Database, outbox, partner: str, service: str, nats_url: str, *,
                 batch: int = 1000, poll_interval: float = 0.005, ack_timeout: float = 5.0):
        self.db, self.outbox, self.partner, self.service = db, outbox, partner, service
        self.nats_url, self.batch, self.poll_interval, self.ack_timeout = nats_url, batch, poll_interval, ack_timeout
        self.published, self.stream = 0, stream_name(partner)

    async def run(self, stop: asyncio.Event, until_empty: bool = False) -> None:
        nc = await connect(self.nats_url, f"relay-{self.partner}-{self.service}", stop)
        if nc is None:  # stopped before NATS answered
            return
        js = nc.jetstream(publish_async_max_pending=self.batch * 2)
        backoff, stream_ready, last_report = Backoff(), False, time.monotonic()
        idle_at, idle_polls, looked_at, pruned_at = None, 0, 0.0, 0.0
        try:
            while not stop.is_set():
                if time.monotonic() - pruned_at > PRUNE_EVERY:
                    pruned_at = time.monotonic()
                    await asyncio.to_thread(self.prune_published)
                if not stream_ready:
                    try:
                        await ensure_stream(js, self.partner)
                        stream_ready = True
                    except (StreamMismatch, StreamMissing) as exc:  # someone must act
                        log.error("relay %s: %s", self.partner, exc)
                        await backoff.sleep(stop)
                        continue
                    except Exception as exc:  # broker down or restarting
                        log.warning("relay %s: stream not ready: %s", self.partner, exc)
                        await backoff.sleep(stop)
                        continue
                marker = self.db.change_marker()  # before the query: a commit after it changes the marker
                if marker is not None and marker == idle_at and time.monotonic() - looked_at < 1.0:
                    idle_polls += 1  # nothing was written since the last empty look
                    await wait_or_stop(stop, self._idle_interval(idle_polls, False))
                    continue
                looked_at = time.monotonic()
                with self.db.connect() as conn:
                    rows = unpublished(conn, self.outbox, self.batch)
                if not rows:
                    if until_empty:
                        return
                    idle_at = marker
                    idle_polls += 1
                    await wait_or_stop(stop, self._idle_interval(idle_polls, marker is None))
                    continue
                idle_at, idle_polls = None, 0
                done = await self._publish(js, rows)
                if done:
                    with self.db.begin() as conn:
                        mark_published(conn, self.outbox, done)
                    self.published += len(done)
                if len(done) < len(rows):
                    stream_ready = False
                    await backoff.sleep(stop)
                else:
                    backoff.reset()
                if time.monotonic() - last_report > 10:
                    log.info("relay %s/%s: %d events published", self.partner, self.service, self.published)
                    last_report = time.monotonic()
        finally:
            await nc.close()

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

    def _idle_interval(self, idle_polls: int, must_query: bool) -> float:
        """After a second of nothing, look less often: SQLite every IDLE_INTERVAL_SQLITE (a look is a
        PRAGMA data_version, and a query at least once a second), PostgreSQL every IDLE_INTERVAL (a look
        is a query). Busy, every poll_interval."""
        if idle_polls * self.poll_interval <= 1.0:
            return self.poll_interval
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
        acks = [(row.seq, f.result().stream) for row, f in zip(rows, futures)
                if f.done() and not f.cancelled() and f.exception() is None]
        if strangers := {stream for _seq, stream in acks if stream != self.stream}:
            log.error("relay %s/%s: stream %s, not %s, stored events published under samen030.%s: they do not "
                      "count as published", self.partner, self.service, ", ".join(sorted(strangers)), self.stream,
                      self.partner)
        acked = [seq for seq, stream in acks if stream == self.stream]
        if len(acked) < len(rows):
            log.warning("relay %s: %d of %d events not acknowledged, will retry", self.partner,
                        len(rows) - len(acked), len(rows))
        return acked
