"""A person's rights under the AVG (GDPR) in this service: to see everything it holds about them,
and to have it erased. Erasure keeps the member as an anonymous counted record, so figures per wijk
keep their counts, and keeps the consents as anonymous records (those still open are withdrawn)."""
from datetime import datetime, timezone

from sqlalchemy import update

from samen030.kernel import outbox as outbox_rows
from samen030.kernel.database import Database

from .consents import consent_history, withdraw_in
from .events import erased_event
from .members import load_member
from .tables import PERSONAL_FIELDS, members, outbox

# besides the personal fields: a membership number and a one-person business's trade identify someone too
ERASED_FIELDS = (*PERSONAL_FIELDS, "membership_number", "trade")


def export_member(db: Database, partner: str, member_id: str) -> dict | None:
    with db.connect() as conn:
        member = load_member(conn, member_id)
        if member is None:
            return None
        return {"exported_at": datetime.now(timezone.utc), "partner": partner, "member": member,
                "consents": consent_history(conn, member_id)}


def erase_member(db: Database, partner: str, member_id: str, user: str) -> dict | None:
    """The anonymous record left; erasing again changes nothing and emits nothing."""
    with db.begin() as conn:
        member = load_member(conn, member_id)
        if member is None or member["erased_at"]:
            return member
        now = datetime.now(timezone.utc)
        conn.execute(update(members).where(members.c.id == member_id).values(
            {field: None for field in ERASED_FIELDS} | {"erased_at": now, "updated_at": now, "updated_by": user,
                                                        "version": member["version"] + 1}))
        for consent in consent_history(conn, member_id):
            if consent["withdrawn_at"] is None:
                withdraw_in(conn, partner, consent, None, now)
        outbox_rows.record(conn, outbox, erased_event(partner, member_id, now))
        return load_member(conn, member_id)
