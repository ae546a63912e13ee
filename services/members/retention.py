"""Retention: members who ended their membership (`opgezegd`) longer ago than the partner keeps them are
erased as a person asking for it would be (personal_data.erase_member: the anonymous counted record
stays, `member.erased` makes the requests service erase their requests). The moment they left is not
recorded apart: the record's last change counts, which is at the latest when they left — a later
change restarts the period, so a member is never erased early."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from samen030.kernel.database import Database
from samen030.kernel.erasure import scrub

from .personal_data import TOUCHED, erase_member
from .tables import members

USER = "retention"


def expired(db: Database, days: float, now: datetime | None = None) -> list[str]:
    before = (now or datetime.now(timezone.utc)) - timedelta(days=days)
    m = members.c
    with db.connect() as conn:
        return conn.execute(select(m.id).where(m.membership_status == "opgezegd", m.erased_at.is_(None),
                                               m.updated_at < before).order_by(m.updated_at)).scalars().all()


def apply_retention(db: Database, partner: str, days: float, dry_run: bool = False) -> dict:
    """{"members_expired": n, "members_erased": m, "members_anonymous": k} — counts only."""
    ids = expired(db, days)
    erased = 0 if dry_run else sum(1 for member_id in ids if erase_member(db, partner, member_id, USER, False))
    if erased:
        scrub(db, TOUCHED)
    with db.connect() as conn:
        anonymous = conn.execute(select(func.count()).select_from(members)
                                 .where(members.c.erased_at.is_not(None))).scalar_one()
    return {"members_expired": len(ids), "members_erased": erased, "members_anonymous": anonymous}
