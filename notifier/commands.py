"""What the command-line tool and the local federation call: the worker, the SMTP sink, the
inspection of deliveries (failed ones above all) with a way to try them again, and a partner's webhook
secret to hand over."""
import logging
import signal
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select, update

from samen030.kernel.config import load_federation, var_dir
from samen030.kernel.database import Database
from samen030.kernel.logs import configure_logging
from samen030.kernel.workers import run_worker

from .mail import smtp_url
from .smtp_sink import DEFAULT_PORT, start_smtp_sink
from .tables import FAILED, PENDING, deliveries
from .webhook_secrets import ensure_webhook_secrets, secrets_file, webhook_secret
from .worker import open_notifier_db, serve

log = logging.getLogger(__name__)


def run_notifier(nats_url: str | None = None) -> None:
    """The notifier worker until SIGINT/SIGTERM (`samen030 notifier`). `nats_url`: with credentials
    where the broker needs them; default the federation's."""
    run_worker(lambda stop: serve(stop, nats_url=nats_url))


def run_smtp_sink(port: int | None = None, directory: Path | None = None, host: str = "127.0.0.1") -> None:
    """The local SMTP sink until SIGINT/SIGTERM (`samen030 smtp-sink`): mails land in var/mail/*.eml.
    Default port: the one of SAMEN030_SMTP_URL (8025)."""
    configure_logging()
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's line per SMTP command
    port = port or urlsplit(smtp_url()).port or DEFAULT_PORT
    directory = Path(directory) if directory else var_dir() / "mail"
    controller, _sink = start_smtp_sink(port, directory, host)
    log.info("SMTP sink on %s:%d writing to %s", host, port, directory)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    try:
        done.wait()
    finally:
        controller.stop()


def list_deliveries(status: str | None = FAILED, limit: int = 100, db: Database | None = None) -> list[dict]:
    """Deliveries, newest first; `status` pending | sent | failed, or None for all."""
    db = db or open_notifier_db()
    query = select(deliveries).order_by(deliveries.c.created_at.desc(), deliveries.c.id).limit(limit)
    if status:
        query = query.where(deliveries.c.status == status)
    with db.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def retry_deliveries(ids: list[str] | None = None, db: Database | None = None) -> int:
    """Failed deliveries (those named, or all) become pending again with a fresh count of attempts;
    the running notifier sends them. Returns how many."""
    db = db or open_notifier_db()
    where = [deliveries.c.status == FAILED]
    if ids:
        where.append(deliveries.c.id.in_(ids))
    with db.begin() as conn:
        return conn.execute(update(deliveries).where(*where).values(
            status=PENDING, attempts=0, next_attempt_at=datetime.now(timezone.utc))).rowcount


def format_deliveries(rows: list[dict]) -> str:
    """One block per delivery, for the terminal."""
    if not rows:
        return "no deliveries"
    lines = []
    for row in rows:
        lines.append(f"{row['id']}  {row['status']:<7} {row['channel']:<7} {row['kind']:<17} "
                     f"{row['partner']} → {row['recipient']}")
        lines.append(f"    event {row['event_id']}  created {row['created_at']:%Y-%m-%d %H:%M:%S}Z  "
                     f"attempts {row['attempts']}"
                     + (f"  sent {row['sent_at']:%Y-%m-%d %H:%M:%S}Z" if row["sent_at"] else
                        f"  next {row['next_attempt_at']:%Y-%m-%d %H:%M:%S}Z" if row["status"] == PENDING else ""))
        if row["last_error"]:
            lines.append(f"    last error: {row['last_error']}")
    return "\n".join(lines)


def print_webhook_secret(partner: str) -> None:
    """The partner's webhook secret on stdout, for the operator to give to the partner over a safe
    channel (`samen030 notifications --webhook-secret P`); made in the secrets file when it has none."""
    load_federation().partner(partner)  # a ConfigError for a partner the federation does not know
    if webhook_secret(partner) is None:
        ensure_webhook_secrets([partner])
        print(f"made a webhook secret for {partner} in {secrets_file()}; the notifier signs with it from now on",
              file=sys.stderr)
    print(webhook_secret(partner))
