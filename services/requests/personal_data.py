"""A person's rights under the AVG (GDPR) in the requests service: to see everything it holds about
them, and to have it erased. Erasure keeps each request as an anonymous counted record (codes, status,
times stay, so figures keep their counts): the question, name, phone and e-mail and the free-text
reasons of its history go, open consents are withdrawn and stay as anonymous records. Its event,
`request.erased`, names the request's outgoing referrals, so that the partners it was referred to
drop their copies too (reason `erasure`; after `retention` they keep to their own period)."""
from datetime import datetime, timezone

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from samen030.kernel import outbox as outbox_rows
from samen030.kernel.database import Database
from samen030.kernel.erasure import scrub
from samen030.kernel.events import new_event

from .consents import request_consents
from .events import _utc
from .help_requests import load_request
from .referrals import _referral
from .tables import PERSONAL_FIELDS, consents, help_requests, outbox, referrals, transitions

REASONS = ("erasure", "retention")
TOUCHED = [help_requests, transitions, consents]  # the tables an erasure changes (for scrub)


def export_request(conn: Connection, request: dict) -> dict:
    """The request with its history, consents and referrals (and what each shared)."""
    rid = request["id"]
    history = conn.execute(select(transitions).where(transitions.c.request_id == rid).order_by(transitions.c.id))
    sent = conn.execute(select(referrals).where(referrals.c.request_id == rid).order_by(referrals.c.sent_at))
    return {**request, "history": [dict(r) for r in history.mappings()], "consents": request_consents(conn, rid),
            "referrals": [_referral(r) for r in sent.mappings()]}


def export_member_requests(db: Database, member_id: str) -> list[dict]:
    with db.connect() as conn:
        ids = conn.execute(select(help_requests.c.id).where(help_requests.c.member_id == member_id)
                           .order_by(help_requests.c.received_at, help_requests.c.id)).scalars().all()
        return [export_request(conn, load_request(conn, rid)) for rid in ids]


def export_one(db: Database, request_id: str) -> dict | None:
    with db.connect() as conn:
        request = load_request(conn, request_id)
        return export_request(conn, request) if request else None


def erase_in(conn: Connection, partner: str, request_id: str, reason: str, now: datetime) -> bool:
    """Erase one request inside the caller's transaction; False when it was erased already."""
    request = conn.execute(select(help_requests.c.erased_at).where(help_requests.c.id == request_id)
                           .with_for_update()).first()
    if request is None or request.erased_at is not None:
        return False
    conn.execute(update(help_requests).where(help_requests.c.id == request_id).values(
        {field: None for field in PERSONAL_FIELDS} | {"erased_at": now}))
    conn.execute(update(transitions).where(transitions.c.request_id == request_id).values(reason=None))
    conn.execute(update(consents).where(consents.c.request_id == request_id, consents.c.withdrawn_at.is_(None))
                 .values(withdrawn_at=now))
    referral_ids = conn.execute(select(referrals.c.id).where(referrals.c.request_id == request_id,
                                                             referrals.c.direction == "outgoing")
                                .order_by(referrals.c.sent_at)).scalars().all()
    outbox_rows.record(conn, outbox, new_event(partner, "requests", "request", "erased", request_id, {
        "request_id": request_id, "referral_ids": list(referral_ids), "reason": reason, "erased_at": _utc(now)}))
    return True


def erase_request(db: Database, partner: str, request_id: str, reason: str = "erasure") -> dict | None:
    """The anonymous record left (None: no such request); erasing again changes nothing, emits nothing."""
    with db.begin() as conn:
        erased = erase_in(conn, partner, request_id, reason, datetime.now(timezone.utc))
    if erased:
        scrub(db, TOUCHED)
    with db.connect() as conn:
        return load_request(conn, request_id)


def erase_member_requests(conn: Connection, partner: str, member_id: str, now: datetime) -> int:
    """Every request of an erased member of this partner (its `member.erased` event); how many."""
    ids = conn.execute(select(help_requests.c.id).where(help_requests.c.member_id == member_id)).scalars().all()
    return sum(erase_in(conn, partner, rid, "erasure", now) for rid in ids)


def erase_copies(conn: Connection, partner: str, from_partner: str, data: dict, now: datetime) -> int:
    """The copies here of requests another partner referred to us, whose resident had them erased
    there (its `request.erased` event); how many. After its retention period we keep to our own."""
    if data["reason"] != "erasure" or not data["referral_ids"] or from_partner == partner:
        return 0
    ids = conn.execute(select(help_requests.c.id).where(help_requests.c.referral_id.in_(data["referral_ids"]),
                                                        help_requests.c.referred_by == from_partner)).scalars().all()
    return sum(erase_in(conn, partner, rid, "erasure", now) for rid in ids)
