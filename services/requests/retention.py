"""Retention: requests closed or withdrawn longer ago than the partner keeps them are anonymised by
the same erasure as a resident's request (reason `retention`: the partners they were referred to keep
to their own period). A request's last change is when it was closed or withdrawn: those are final."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from samen030.kernel.database import Database
from samen030.kernel.erasure import scrub

from .lifecycle import FINAL
from .personal_data import TOUCHED, erase_in
from .tables import help_requests


def expired(db: Database, days: float, now: datetime | None = None) -> list[str]:
    before = (now or datetime.now(timezone.utc)) - timedelta(days=days)
    h = help_requests.c
    with db.connect() as conn:
        return conn.execute(select(h.id).where(h.status.in_(FINAL), h.erased_at.is_(None), h.updated_at < before)
                            .order_by(h.updated_at)).scalars().all()


def apply_retention(db: Database, partner: str, days: float, dry_run: bool = False, batch: int = 200) -> dict:
    """{"requests_anonymised": n, "requests_kept_anonymous": m} — counts only."""
    ids = expired(db, days)
    done = 0
    if not dry_run:
        for start in range(0, len(ids), batch):
            now = datetime.now(timezone.utc)
            with db.begin() as conn:
                done += sum(erase_in(conn, partner, rid, "retention", now) for rid in ids[start:start + batch])
        if done:
            scrub(db, TOUCHED)
    with db.connect() as conn:
        anonymous = conn.execute(select(func.count()).select_from(help_requests)
                                 .where(help_requests.c.erased_at.is_not(None))).scalar_one()
    return {"requests_expired": len(ids), "requests_anonymised": done, "requests_anonymous": anonymous}
