"""A person's rights under the AVG (GDPR) in this service: to see everything it holds about them,
and to have it erased. Erasure keeps the member as an anonymous counted record, so figures per wijk
keep their counts, and keeps the consents as anonymous records (those still open are withdrawn).
The export also holds the member's help requests, asked point to point from the partner's requests
service (all or nothing: when it does not answer, there is no export); the erasure reaches them through
the `member.erased` event (the requests service's follow-up worker erases them, services/requests)."""
from datetime import datetime, timezone

from sqlalchemy import select, update

from samen030.kernel import outbox as outbox_rows
from samen030.kernel import peers
from samen030.kernel.database import Database
from samen030.kernel.erasure import scrub

from .consents import consent_history, withdraw_in
from .events import erased_event
from .members import load_member
from .publishing import begin_publishing, publish_counts
from .tables import PERSONAL_FIELDS, accounts, consents, members, outbox

# besides the personal fields: a membership number and a one-person business's trade identify someone too
ERASED_FIELDS = (*PERSONAL_FIELDS, "membership_number", "trade")
SERVICE_USER = "service:members"
TOUCHED = [members, consents, accounts]  # the tables an erasure changes (kernel/erasure.py)


def export_member(db: Database, partner: str, member_id: str) -> dict | None:
    """None when there is no such member; peers.PeerUnavailable / PeerRefused when the requests service
    does not give the member's requests."""
    with db.connect() as conn:
        if load_member(conn, member_id) is None:
            return None
    requests = member_requests(partner, member_id)
    with db.connect() as conn:
        return {"exported_at": datetime.now(timezone.utc), "partner": partner, "member": load_member(conn, member_id),
                "consents": consent_history(conn, member_id), "requests": requests}


def member_requests(partner: str, member_id: str) -> list[dict]:
    """The member's help requests at the partner's requests service, each with its history, consents and
    referrals; none when the partner runs no requests service."""
    if peers.service_url(partner, "requests") is None:
        return []
    what = f"de hulpvragendienst van {partner}"
    answer = peers.call("requests.export", partner, SERVICE_USER, partner, f"/members/{member_id}/requests", what)
    if answer is None:
        raise peers.PeerUnavailable(f"{what} kent geen export van hulpvragen (has no export of requests).")
    return answer["requests"]


def erase_member(db: Database, partner: str, member_id: str, user: str, scrub_files: bool = True) -> dict | None:
    """The anonymous record left; erasing again changes nothing and emits nothing. `scrub_files=False`
    leaves scrubbing the files to the caller (scrub(db, TOUCHED)), for many erasures at once."""
    with db.begin() as conn:
        begin_publishing(conn, partner)
        member = load_member(conn, member_id)
        if member is None or member["erased_at"]:
            return member
        now = datetime.now(timezone.utc)
        conn.execute(update(members).where(members.c.id == member_id).values(
            {field: None for field in ERASED_FIELDS} | {"erased_at": now, "updated_at": now, "updated_by": user,
                                                        "version": member["version"] + 1}))
        for consent in consent_history(conn, member_id):
            if consent["withdrawn_at"] is None:
                withdraw_in(conn, consent, None, now)
        _erase_accounts(conn, member_id, user, now)
        outbox_rows.record(conn, outbox, erased_event(partner, member_id, now))  # also ends a listing
        publish_counts(conn, partner)
    if scrub_files:
        scrub(db, TOUCHED)
    with db.connect() as conn:
        return load_member(conn, member_id)


def _erase_accounts(conn, member_id: str, user: str, now: datetime) -> None:
    """A staff account of the person goes too: its login and name are personal. The row stays, disabled,
    under a login no one can use, so the history of who changed what still points somewhere."""
    for account_id in conn.execute(select(accounts.c.id).where(accounts.c.member_id == member_id)).scalars().all():
        conn.execute(update(accounts).where(accounts.c.id == account_id).values(
            username=f"gewist-{account_id}", display_name=None, password_hash="!", disabled_at=now,
            sessions_since=now, updated_at=now, updated_by=user))
