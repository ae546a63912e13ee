"""Consents as records: who agreed to what, how and when, and when it was withdrawn. The history is
never rewritten; whether a purpose is in force is computed from it. Consents stay here: other services
ask whether one is in force point to point; the bus only hears of the consent to be suggested through
the listing it starts or ends (publishing.py)."""
import uuid
from datetime import datetime, timezone

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from samen030.kernel.database import Database

from .members import Erased, load_member
from .publishing import SUGGESTIONS, begin_publishing, listing_of, publish_listing
from .tables import consents


class NoMember(Exception):
    pass


class InvalidWithdrawal(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.errors = {field: [message]}


def give_consent(db: Database, partner: str, member_id: str, fields: dict, user: str) -> dict:
    with db.begin() as conn:
        begin_publishing(conn, partner)
        member = load_member(conn, member_id)
        if member is None:
            raise NoMember()
        if member["erased_at"]:
            raise Erased()
        return give_consent_in(conn, partner, member_id, fields, user)


def give_consent_in(conn: Connection, partner: str, member_id: str, fields: dict, user: str) -> dict:
    """give_consent within the caller's publishing transaction, to a member known to exist and not erased."""
    now = datetime.now(timezone.utc)
    # a moment ahead (clocks differ by minutes) counts as now: what the bus says must hold from the start
    consent = {**fields, "given_at": min(fields["given_at"].astimezone(timezone.utc), now), "id": str(uuid.uuid4()),
               "member_id": member_id, "withdrawn_at": None, "withdrawn_how": None, "recorded_at": now,
               "recorded_by": user}
    if consent["purpose"] != SUGGESTIONS:  # only this one can list the member
        conn.execute(insert(consents), consent)
        return consent
    member = load_member(conn, member_id)
    listed = listing_of(conn, member)
    conn.execute(insert(consents), consent)
    publish_listing(conn, partner, listed, listing_of(conn, member))
    return consent


def withdraw_consent(db: Database, partner: str, member_id: str, consent_id: str, how: str | None,
                     at: datetime | None) -> dict | None:
    """The consent withdrawn now (or at `at`); None if the member has no such consent."""
    with db.begin() as conn:
        begin_publishing(conn, partner)
        consent = _load(conn, member_id, consent_id)
        if consent is None:
            return None
        if consent["withdrawn_at"]:
            raise InvalidWithdrawal("consent_id", "Deze toestemming is al ingetrokken (already withdrawn).")
        now = datetime.now(timezone.utc)
        at = min(at.astimezone(timezone.utc), now) if at else now  # ahead of now counts as now (see give_consent_in)
        if at < consent["given_at"]:
            raise InvalidWithdrawal("withdrawn_at", "Must not be before the consent was given.")
        member = load_member(conn, member_id)
        listed = listing_of(conn, member)
        withdraw_in(conn, consent, how, at)
        publish_listing(conn, partner, listed, listing_of(conn, member))
        return _load(conn, member_id, consent_id)


def withdraw_in(conn: Connection, consent: dict, how: str | None, at: datetime) -> None:
    conn.execute(update(consents).where(consents.c.id == consent["id"]).values(withdrawn_at=at, withdrawn_how=how))


def consent_history(conn: Connection, member_id: str) -> list[dict]:
    query = select(consents).where(consents.c.member_id == member_id).order_by(consents.c.given_at, consents.c.id)
    return [dict(row) for row in conn.execute(query).mappings()]


def history(db: Database, member_id: str) -> list[dict]:
    with db.connect() as conn:
        return consent_history(conn, member_id)


def in_force(db: Database, member_id: str, purpose: str) -> dict:
    """Whether some consent for `purpose` holds now, and since when (the earliest one still holding)."""
    now = datetime.now(timezone.utc)
    holding = [c for c in history(db, member_id) if c["purpose"] == purpose and c["given_at"] <= now
               and (c["withdrawn_at"] is None or c["withdrawn_at"] > now)]
    first = holding[0] if holding else None
    return {"purpose": purpose, "in_force": bool(first), "since": first and first["given_at"],
            "consent_id": first and first["id"]}


def _load(conn: Connection, member_id: str, consent_id: str) -> dict | None:
    row = conn.execute(select(consents).where(consents.c.id == consent_id,
                                              consents.c.member_id == member_id)).mappings().first()
    return dict(row) if row else None
