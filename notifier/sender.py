"""Sends the deliveries that are due. Each is claimed first (next_attempt_at moved one lease ahead, a
compare-and-set, so two senders never send the same delivery at once and a sender that dies mid-send
leaves it to be retried when the lease ends), then sent, then marked sent right away. A failure counts
an attempt and sets the next one after an exponential backoff; after `max_attempts` the delivery is
`failed`, kept with its last error for `samen030 notifications --failed`. A webhook whose partner has
no secret is `failed` at once: no retry mends that, the operator does (then `--retry`)."""
import asyncio
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy import select, update

from samen030.kernel.database import Database
from samen030.kernel.metrics import NOTIFICATIONS
from samen030.kernel.workers import Backoff

from .mail import send_mail
from .tables import EMAIL, FAILED, PENDING, SENT, WEBHOOK, deliveries
from .webhooks import NoWebhookSecret, post_webhook

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Policy:
    first_retry: float = 30.0  # seconds before the second attempt; doubled each time …
    max_retry: float = 3600.0  # … up to this
    max_attempts: int = 8  # then the delivery is failed (30 s … ~1 h: about 1 h 30 min of trying)
    lease: float = 120.0  # a claimed delivery is left alone this long (longer than a send can take)
    poll: float = 1.0  # how often to look for due deliveries when not woken
    concurrency: int = 8

    @classmethod
    def from_env(cls) -> "Policy":
        env, default = os.environ, cls()
        return cls(first_retry=float(env.get("SAMEN030_NOTIFY_RETRY_FIRST", default.first_retry)),
                   max_retry=float(env.get("SAMEN030_NOTIFY_RETRY_MAX", default.max_retry)),
                   max_attempts=int(env.get("SAMEN030_NOTIFY_MAX_ATTEMPTS", default.max_attempts)),
                   lease=float(env.get("SAMEN030_NOTIFY_LEASE", default.lease)),
                   poll=float(env.get("SAMEN030_NOTIFY_POLL", default.poll)))

    def retry_delay(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th failed attempt."""
        return min(self.first_retry * 2 ** max(attempts - 1, 0), self.max_retry)


CHANNELS: dict[str, Callable[[dict], None]] = {EMAIL: send_mail, WEBHOOK: post_webhook}


class Sender:
    def __init__(self, db: Database, policy: Policy | None = None, channels: dict | None = None):
        self.db, self.policy = db, policy or Policy()
        self.channels = channels or CHANNELS

    def claim_due(self, limit: int) -> list[dict]:
        now = datetime.now(timezone.utc)
        until = now + timedelta(seconds=self.policy.lease)
        claimed = []
        with self.db.begin() as conn:
            rows = conn.execute(select(deliveries).where(deliveries.c.status == PENDING,
                                                         deliveries.c.next_attempt_at <= now)
                                .order_by(deliveries.c.next_attempt_at, deliveries.c.created_at).limit(limit)).mappings().all()
            for row in rows:
                won = conn.execute(update(deliveries).where(
                    deliveries.c.id == row["id"], deliveries.c.status == PENDING,
                    deliveries.c.next_attempt_at <= now).values(next_attempt_at=until)).rowcount
                if won:
                    claimed.append(dict(row))
        return claimed

    def deliver(self, row: dict) -> bool:
        """Send one claimed delivery and record the outcome; True when it was sent."""
        try:
            self.channels[row["channel"]](row)
        except NoWebhookSecret as exc:
            self._failed(row, str(exc), for_good=True)
            return False
        except Exception as exc:
            self._failed(row, f"{type(exc).__name__}: {exc}")
            return False
        with self.db.begin() as conn:
            conn.execute(update(deliveries).where(deliveries.c.id == row["id"]).values(
                status=SENT, attempts=row["attempts"] + 1, sent_at=datetime.now(timezone.utc), last_error=None))
        NOTIFICATIONS.labels(row["channel"], "sent").inc()
        log.info("sent %s %s to %s (%s)", row["channel"], row["kind"], row["recipient"], row["id"],
                 extra={"event_id": row["event_id"]})
        return True

    def _failed(self, row: dict, error: str, for_good: bool = False) -> None:
        attempts = row["attempts"] + 1
        now = datetime.now(timezone.utc)
        about = {"event_id": row["event_id"]}
        if for_good or attempts >= self.policy.max_attempts:
            values, outcome = {"status": FAILED}, "failed"
            log.error("%s %s to %s failed for good after %d attempts: %s", row["channel"], row["id"],
                      row["recipient"], attempts, error, extra=about)
        else:
            delay = self.policy.retry_delay(attempts)
            values, outcome = {"next_attempt_at": now + timedelta(seconds=delay)}, "retrying"
            log.warning("%s %s to %s failed (attempt %d), next in %.1f s: %s", row["channel"], row["id"],
                        row["recipient"], attempts, delay, error, extra=about)
        with self.db.begin() as conn:
            conn.execute(update(deliveries).where(deliveries.c.id == row["id"]).values(
                attempts=attempts, last_error=error[:2000], **values))
        NOTIFICATIONS.labels(row["channel"], outcome).inc()

    async def run(self, stop: asyncio.Event, wake: asyncio.Event | None = None) -> None:
        """Send due deliveries until `stop`; sends in progress are finished and recorded first."""
        wake = wake or asyncio.Event()
        loop = asyncio.get_running_loop()
        backoff = Backoff(limit=self.policy.poll * 5)
        with ThreadPoolExecutor(self.policy.concurrency, thread_name_prefix="notifier-send") as pool:
            while not stop.is_set():
                try:
                    wake.clear()
                    due = await loop.run_in_executor(pool, self.claim_due, self.policy.concurrency * 2)
                    if due:
                        await asyncio.gather(*(loop.run_in_executor(pool, self.deliver, row) for row in due))
                    else:
                        await _wait_any(stop, wake, self.policy.poll)
                    backoff.reset()
                except Exception as exc:
                    log.warning("sender: %s: %s", type(exc).__name__, exc)
                    await backoff.sleep(stop)


async def _wait_any(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
