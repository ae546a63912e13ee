"""Notices about a referral wait for proof that it was made. B's events name who referred to B
(`referred_by`), but B can name anyone there; only the referrer's own `referral.sent` (on its own
stream, which only it can publish to) proves that A referred to B. So a notice naming referral R from
A is made only when referrals_sent holds R sent by A to B. The streams are read side by side, in no set
order, so B's event often comes first: it is kept here, in the transaction that applies it, and its
deliveries are made in the transaction that records A's referral.sent. A forged one waits until it is
pruned, telling nobody."""
import logging
import zlib
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.engine import Connection

from samen030.kernel.database import Database
from samen030.kernel.events import Event, InvalidEvent, parse_event

from .tables import awaiting_referral, referrals_sent

KEEP = timedelta(days=30)
log = logging.getLogger(__name__)


def proven(conn: Connection, event: Event) -> bool:
    """Whether the referral `event` names was recorded as sent by the partner it names, to its partner."""
    lock_referral(conn, event.data["referral_id"])
    return conn.execute(select(referrals_sent.c.referral_id).where(
        referrals_sent.c.referral_id == event.data["referral_id"],
        referrals_sent.c.partner == event.data["referred_by"],
        referrals_sent.c.to_partner == event.partner)).first() is not None


def keep(conn: Connection, event: Event) -> None:
    conn.execute(insert(awaiting_referral).values(
        event_id=event.id, event_type=event.type, partner=event.partner, referral_id=event.data["referral_id"],
        referred_by=event.data["referred_by"], event=event.to_json().decode("utf-8"),
        waiting_since=datetime.now(timezone.utc)))


def release(conn: Connection, referral_id: str, sender: str, to_partner: str) -> list[Event]:
    """The events that waited for `sender`'s referral `referral_id` to `to_partner`, oldest first,
    no longer waiting. Call in the transaction that records that referral."""
    lock_referral(conn, referral_id)
    where = (awaiting_referral.c.referral_id == referral_id, awaiting_referral.c.referred_by == sender,
             awaiting_referral.c.partner == to_partner)
    rows = conn.execute(select(awaiting_referral.c.event).where(*where)
                        .order_by(awaiting_referral.c.waiting_since, awaiting_referral.c.event_id)).scalars().all()
    conn.execute(delete(awaiting_referral).where(*where))
    return [event for row in rows if (event := _reread(row)) is not None]


def _reread(stored: str) -> Event | None:
    try:
        return parse_event(stored.encode("utf-8"))
    except InvalidEvent as exc:  # valid when it came; a later schema refuses it: not worth blocking A's event
        log.warning("a waiting event no longer reads as valid, dropped: %s", exc)
        return None


def lock_referral(conn: Connection, referral_id: str) -> None:
    """On PostgreSQL, B's event and A's referral.sent may be applied in two transactions at once, each
    not seeing the other's row (READ COMMITTED): the one that waits and the one that releases would
    miss each other, and the notice would wait for ever. A lock per referral, held to the commit,
    puts them one after the other. SQLite's write transactions (BEGIN IMMEDIATE) are one at a time."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(f"referral:{referral_id}".encode())})


def prune(db: Database, keep_for: timedelta = KEEP) -> int:
    """Drop what waited longer than `keep_for`: its referral never came, and most likely never will."""
    before = datetime.now(timezone.utc) - keep_for
    with db.begin() as conn:
        stale = conn.execute(select(awaiting_referral.c.partner, awaiting_referral.c.referred_by, func.count())
                             .where(awaiting_referral.c.waiting_since < before)
                             .group_by(awaiting_referral.c.partner, awaiting_referral.c.referred_by)).all()
        conn.execute(delete(awaiting_referral).where(awaiting_referral.c.waiting_since < before))
    for partner, referred_by, count in stale:
        log.warning("dropped %d event(s) of %s naming referrals from %s that %s never recorded in %s",
                    count, partner, referred_by, referred_by, keep_for)
    return sum(count for *_, count in stale)
