"""Partner B's side of a referral: another partner's requests service hands a request over (point to
point, with only what the resident's consent covers) and B takes it in as a new request; when the
referrer cannot complete the handover it takes it back, and B drops its copy."""
from datetime import datetime, timezone

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from samen030.kernel.database import Database
from samen030.kernel.erasure import scrub

from .help_requests import apply_move, load_request, take_in
from .lifecycle import InvalidTransition, next_status
from .personal_data import TOUCHED, erase_in
from .tables import referrals

SHAREABLE = ("question", "name", "phone", "email")
TAKEN_BACK = "Ingetrokken door de doorverwijzer: de overdracht is niet voltooid (taken back by the referrer)."


class NotYours(Exception):
    """The referral belongs to another partner."""


def receive(db: Database, partner: str, from_partner: str, handover: dict, user: str) -> tuple[dict, bool]:
    """Take in a referral from another partner as a new request here; (request, created). The same
    referral handed over again gives the request made the first time."""
    referral_id = handover.pop("referral_id")
    offer_id = handover.pop("offer_id")
    volunteer_id = handover.pop("volunteer_id", None)
    if (existing := _handed_over(db, referral_id, from_partner)) is not None:
        return existing, False
    shared = [f for f in SHAREABLE if handover.get(f)]
    fields = {"channel": "referral", "member_id": None, "consents": [], "question": None, "name": None,
              "phone": None, "email": None, **handover}
    try:
        return _take_in(db, partner, fields, user, referral_id, from_partner, offer_id, volunteer_id, shared), True
    except IntegrityError:  # the same referral handed over twice at the same moment: the first one won
        if (existing := _handed_over(db, referral_id, from_partner)) is not None:
            return existing, False
        raise NotYours("Deze doorverwijzing bestaat hier al (this referral id is taken here).") from None


def _handed_over(db: Database, referral_id: str, from_partner: str) -> dict | None:
    """The request made for this referral when `from_partner` handed it over before; NotYours when the id
    is another's (another partner's referral, or one of ours to elsewhere)."""
    with db.connect() as conn:
        existing = conn.execute(select(referrals.c.request_id, referrals.c.partner, referrals.c.direction)
                                .where(referrals.c.id == referral_id)).first()
        if existing is None:
            return None
        if existing.direction != "incoming" or existing.partner != from_partner:
            raise NotYours("Deze doorverwijzing is van een andere partner (belongs to another partner).")
        return load_request(conn, existing.request_id)


def _take_in(db: Database, partner: str, fields: dict, user: str, referral_id: str, from_partner: str,
             offer_id: str | None, volunteer_id: str | None, shared: list[str]) -> dict:
    return take_in(db, partner, fields, user, origin="referral",
                   referral={"id": referral_id, "from_partner": from_partner},
                   also=lambda conn, request: conn.execute(insert(referrals), {
                       "id": referral_id, "request_id": request["id"], "direction": "incoming",
                       "partner": from_partner, "other_request_id": None, "offer_id": offer_id,
                       "volunteer_id": volunteer_id,
                       "with_consent": bool(shared), "shared": ",".join(shared), "status": "sent",
                       "sent_at": request["received_at"], "sent_by": f"{from_partner}:{user}",
                       "outcome_at": None, "contact": None}))


def drop_copy(db: Database, partner: str, from_partner: str, referral_id: str) -> dict | None:
    """The referrer took the handover back: the request made for it is withdrawn and its personal data
    erased (with this partner's own `request.erased`, so a copy it referred on is dropped in turn).
    None when `from_partner` handed over no such referral; dropping again changes nothing."""
    now = datetime.now(timezone.utc)
    with db.begin() as conn:
        referral = conn.execute(select(referrals).where(referrals.c.id == referral_id,
                                                        referrals.c.direction == "incoming")).mappings().first()
        if referral is None or referral["partner"] != from_partner:
            return None
        erased = False
        if referral["status"] != "cancelled":
            conn.execute(update(referrals).where(referrals.c.id == referral_id).values(status="cancelled", outcome_at=now))
            request = load_request(conn, referral["request_id"], for_update=True)
            try:
                apply_move(conn, partner, request, next_status("withdraw", request["status"], True),
                           f"{from_partner}:handover", TAKEN_BACK)
            except InvalidTransition:  # closed already: erasing is what matters
                pass
            erased = erase_in(conn, partner, referral["request_id"], "erasure", now)
    if erased:
        scrub(db, TOUCHED)
    return {"referral_id": referral_id, "request_id": referral["request_id"], "dropped": True}
