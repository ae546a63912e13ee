"""Consents behind a referral: may the question and contact details go to another partner, may we
phone or e-mail. A member's consents are kept by the partner's members service, which is asked
every time; a non-member's are the records made at intake."""
from datetime import datetime, timezone

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from samen030.kernel.database import Database

from . import peers
from .tables import consents

PURPOSES = ("share_for_referral", "contact_phone", "contact_email")


class UnknownMember(Exception):
    """The member reference of an intake is not a member of this partner (any longer)."""


def in_force(db: Database, partner: str, request: dict) -> dict[str, bool]:
    """For each purpose, whether the resident's consent holds now."""
    if request["member_id"]:
        return {purpose: _member_consent(partner, request["member_id"], purpose) for purpose in PURPOSES}
    with db.connect() as conn:
        return in_force_in(conn, request["id"])


def in_force_in(conn: Connection, request_id: str) -> dict[str, bool]:
    """For each purpose, whether a non-member's consent recorded at intake holds, in the caller's transaction."""
    held = {c["purpose"] for c in request_consents(conn, request_id) if c["withdrawn_at"] is None}
    return {purpose: purpose in held for purpose in PURPOSES}


def check_member(partner: str, member_id: str) -> None:
    """Before a request refers to a member: they exist at the partner's members service, not erased."""
    member = _ask_members("member.check", partner, f"/members/{member_id}")
    if member is None:
        raise UnknownMember(f"Geen lid {member_id} bij {partner} (no such member).")
    if member.get("erased_at"):
        raise UnknownMember("De gegevens van dit lid zijn gewist (this member's data was erased).")


def _member_consent(partner: str, member_id: str, purpose: str) -> bool:
    answer = _ask_members("member.consent", partner, f"/members/{member_id}/consents/{purpose}")
    return bool(answer and answer.get("in_force"))


def _ask_members(scope: str, partner: str, path: str) -> dict | None:
    return peers.call(scope, partner, partner, path, f"de ledenadministratie van {partner}")


def request_consents(conn: Connection, request_id: str) -> list[dict]:
    query = select(consents).where(consents.c.request_id == request_id).order_by(consents.c.given_at, consents.c.id)
    return [dict(row) for row in conn.execute(query).mappings()]


def history(db: Database, request_id: str) -> list[dict]:
    with db.connect() as conn:
        return request_consents(conn, request_id)


def withdraw(db: Database, request_id: str, purpose: str) -> list[dict] | None:
    """Withdraw the resident's consent for `purpose`; the history stays. None if none was in force."""
    with db.begin() as conn:
        changed = conn.execute(update(consents).where(consents.c.request_id == request_id, consents.c.purpose == purpose,
                                                      consents.c.withdrawn_at.is_(None))
                               .values(withdrawn_at=datetime.now(timezone.utc))).rowcount
        return request_consents(conn, request_id) if changed else None
