"""The notifier worker: the durable consumer (events → deliveries), the sender (deliveries → SMTP
and webhooks) and the pruning of events that waited too long for their referral, in one asyncio
process, on one database."""
import asyncio
import logging
import os
from datetime import timedelta

from samen030.kernel.config import Federation, load_federation
from samen030.kernel.consumer import consume
from samen030.kernel.database import Database, open_database
from samen030.kernel.workers import wait_or_stop

from . import waiting
from .sender import Policy, Sender
from .subscriber import Notifier, NotifierProjection
from .tables import metadata
from .webhook_secrets import env_name, partners_without_secret, secrets_file

log = logging.getLogger(__name__)


def open_notifier_db(url: str | None = None, schema: str | None = None) -> Database:
    """var/city/notifier.sqlite, or schema city_notifier where DATABASE_URL names PostgreSQL."""
    return open_database("city", "notifier", metadata, url, schema)


def max_age_from_env() -> timedelta | None:
    """Events older than this (SAMEN030_NOTIFY_MAX_AGE_HOURS, default a week; 0: no limit) are applied
    without telling anyone, so a notifier started on a long stream history does not mail the past."""
    hours = float(os.environ.get("SAMEN030_NOTIFY_MAX_AGE_HOURS", 24 * 7))
    return timedelta(hours=hours) if hours > 0 else None


async def serve(stop: asyncio.Event, *, federation: Federation | None = None, nats_url: str | None = None,
                db: Database | None = None, policy: Policy | None = None,
                max_age: timedelta | None | str = "env") -> None:
    """Consume every partner's stream and send what is due, until `stop` is set."""
    federation = federation or load_federation()
    db = db or open_notifier_db()
    if unsigned := partners_without_secret(federation):
        log.warning("no webhook secret for %s: their webhook deliveries fail until one is given (%s or %s)",
                    ", ".join(unsigned), env_name("<partner>"), secrets_file())
    wake, loop = asyncio.Event(), asyncio.get_running_loop()
    notifier = Notifier(federation, max_age_from_env() if max_age == "env" else max_age)
    projection = NotifierProjection(db, notifier, lambda: loop.call_soon_threadsafe(wake.set))  # from its thread
    sender = Sender(db, policy or Policy.from_env())
    await asyncio.gather(consume(projection, nats_url or federation.nats_url, list(federation.partners), stop),
                         sender.run(stop, wake), prune_waiting(db, stop))


async def prune_waiting(db: Database, stop: asyncio.Event, every: float = 3600) -> None:
    """On start and every hour: drop events that waited too long for their referral (waiting.KEEP)."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        try:
            await loop.run_in_executor(None, waiting.prune, db)
        except Exception as exc:
            log.warning("pruning waiting events: %s: %s", type(exc).__name__, exc)
        await wait_or_stop(stop, every)
