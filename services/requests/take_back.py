"""Taking back a referral handover A could not complete (referrals.py): B is told to drop its copy
(incoming.drop_copy) and the referral goes from `sending` to `cancelling` to `cancelled` once B confirms.
The follow-up worker runs withdraw_unfinished every 30 s for what is being taken back, and for handovers
still `sending` after HANDOVER_SETTLES (A's process died halfway)."""
import logging
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, delete, or_, select, update

from samen030.kernel.database import Database

from . import peers
from .tables import referrals

HANDOVER_SETTLES = timedelta(seconds=60)  # a handover `sending` this long has failed, or lost its race with this
B_FORGETS_AFTER = timedelta(minutes=10)  # B may still be taking it in; after this, "unknown at B" is final
log = logging.getLogger(__name__)


def take_back(db: Database, partner: str, referral: dict, now: datetime | None = None) -> bool:
    """Ask B to drop its copy of a handover A could not complete; True once B confirmed it (or, long
    after, that it never had one). A handover completed meanwhile (`sent`) is left alone. Never raises:
    what is not confirmed stays `cancelling` for the follow-up worker."""
    now = now or datetime.now(timezone.utc)
    try:
        if (status := mark_cancelling(db, referral["id"])) != "cancelling":
            return status == "cancelled"
        answer = peers.call("referral.cancel", partner, referral["partner"], f"/incoming-referrals/{referral['id']}/cancel",
                            f"de hulpvragendienst van {referral['partner']}")
        if answer is None and now - utc(referral["sent_at"]) < B_FORGETS_AFTER:
            return False  # B does not know it (yet): it may still be taking it in
        with db.begin() as conn:
            conn.execute(update(referrals).where(referrals.c.id == referral["id"], referrals.c.status == "cancelling")
                         .values(status="cancelled", outcome_at=now))
        return True
    except Exception as exc:
        log.warning("%s: referral %s to %s not taken back yet: %s", partner, referral["id"], referral["partner"], exc)
        return False


def mark_cancelling(db: Database, referral_id: str) -> str | None:
    """The referral's status after this: `cancelling` when it was being sent or taken back; otherwise
    as it was (`sent` when A completed it first — the row lock orders this against referrals._complete)."""
    with db.begin() as conn:
        status = conn.execute(select(referrals.c.status).where(referrals.c.id == referral_id)
                              .with_for_update()).scalar()
        if status == "sending":
            conn.execute(update(referrals).where(referrals.c.id == referral_id).values(status="cancelling"))
            return "cancelling"
        return status


def forget(db: Database, referral_id: str) -> bool:
    """B certainly got nothing: the record goes. False when it was no longer `sending` (being taken back)."""
    with db.begin() as conn:
        return conn.execute(delete(referrals).where(referrals.c.id == referral_id,
                                                    referrals.c.status == "sending")).rowcount == 1


def withdraw_unfinished(db: Database, partner: str, now: datetime | None = None) -> int:
    """Take back every handover that is being taken back, or still `sending` after HANDOVER_SETTLES;
    how many B confirmed."""
    now = now or datetime.now(timezone.utc)
    with db.connect() as conn:
        rows = conn.execute(select(referrals).where(referrals.c.direction == "outgoing", or_(
            referrals.c.status == "cancelling",
            and_(referrals.c.status == "sending", referrals.c.sent_at < now - HANDOVER_SETTLES)))).mappings().all()
    return sum(take_back(db, partner, dict(row), now) for row in rows)


def utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
