"""Referral between partners: partner A hands a request to partner B's requests service, point to
point, with only the personal data the resident's consent covers; B takes it in as a new request and
accepts or declines it; the answer comes back to A as B's event on the bus (followup_worker.py).

Nothing is half-referred: A calls B first and commits its own side only after B answered; the
referral id is derived from the request, the partner and how many referrals the request had before,
so a retry after any failure hands over the same referral and B answers with the request it already
made for it."""
import uuid
from datetime import datetime, timezone

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from samen030.kernel import outbox as outbox_rows
from samen030.kernel.database import Database

from . import consents, peers
from .events import referral_sent_event
from .help_requests import apply_move, load_request, take_in
from .lifecycle import InvalidTransition, next_status
from .tables import outbox, referrals

SHAREABLE = ("question", "name", "phone", "email")


class CannotRefer(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.errors = {field: [message]}


def what_may_be_shared(consent: dict[str, bool], request: dict) -> list[str]:
    """The personal data the consent covers: the question and name with consent to share, the phone
    number and e-mail address only with consent to be contacted that way as well."""
    if not consent["share_for_referral"]:
        return []
    shared = ["question"] + [f for f in ("name",) if request.get(f)]
    return shared + [f for f, purpose in (("phone", "contact_phone"), ("email", "contact_email"))
                     if consent[purpose] and request.get(f)]


def refer(db: Database, partner: str, request_id: str, offer_id: str | None, reason: str | None, user: str,
          volunteer_id: str | None = None) -> dict | None:
    """Refer to another partner's offer, or to one of its volunteers (their partner asks them)."""
    with db.connect() as conn:
        request = load_request(conn, request_id)
        if request is None:
            return None
        earlier = conn.execute(select(func.count()).select_from(referrals).where(
            referrals.c.request_id == request_id, referrals.c.direction == "outgoing")).scalar_one()
    next_status("refer", request["status"], request["origin"] == "referral")  # 409 before calling anyone
    to_partner, offer, field = _destination(offer_id, volunteer_id)
    if to_partner == partner:
        raise CannotRefer(field, "Dit aanbod of deze vrijwilliger is van uzelf: help de bewoner zelf (start) "
                                 "(this is your own: help the resident yourself).")
    target = peers.service_url(to_partner, "requests")
    if target is None:
        raise CannotRefer(field, f"{to_partner} neemt geen doorverwijzingen aan: het heeft geen hulpvragendienst "
                                 f"(runs no requests service).")
    shared = what_may_be_shared(consents.in_force(db, partner, request), request)
    referral_id = str(uuid.uuid5(uuid.UUID(request_id), f"referral:{to_partner}:{earlier}"))
    handover = {"referral_id": referral_id, "offer_id": offer_id, "volunteer_id": volunteer_id,
                "category": request["category"], "terms": request["terms"], "buurt": request["buurt"],
                "urgency": request["urgency"], "languages": request["languages"], **{f: request[f] for f in shared}}
    answer = peers.call("POST", f"{target}/incoming-referrals", partner, f"de hulpvragendienst van {to_partner}",
                        json=handover)
    contact = None if shared else _contact(to_partner, offer)
    now = datetime.now(timezone.utc)
    with db.begin() as conn:
        request = load_request(conn, request_id, for_update=True)
        step = next_status("refer", request["status"], request["origin"] == "referral")
        referral = {"id": referral_id, "request_id": request_id, "direction": "outgoing", "partner": to_partner,
                    "other_request_id": answer["request_id"], "offer_id": offer_id, "volunteer_id": volunteer_id,
                    "with_consent": bool(shared), "shared": shared, "status": "sent", "sent_at": now, "sent_by": user,
                    "outcome_at": None, "contact": contact}
        conn.execute(insert(referrals), {**referral, "shared": ",".join(shared)})
        apply_move(conn, partner, request, step, user, reason)
        outbox_rows.record(conn, outbox, referral_sent_event(partner, request, referral))
        return load_referral(conn, referral_id)


def _destination(offer_id: str | None, volunteer_id: str | None) -> tuple[str, dict | None, str]:
    """(the partner referred to, the offer if it is one, the field that named it)."""
    if offer_id:
        offer = _offer(offer_id)
        return offer["partner"], offer, "offer_id"
    gateway = peers.federation().gateway_url
    profile = peers.call("GET", f"{gateway}/api/v1/suggestions/volunteers/{volunteer_id}", "samen030", "de gateway")
    if profile is None:
        raise CannotRefer("volunteer_id", f"Geen vrijwilliger {volunteer_id!r} die gesuggereerd wil worden "
                                          f"(no volunteer who agreed to be suggested).")
    return profile["partner"], None, "volunteer_id"


def receive(db: Database, partner: str, from_partner: str, handover: dict, user: str) -> tuple[dict, bool]:
    """Take in a referral from another partner as a new request here; (request, created). The same
    referral handed over again gives the request made the first time."""
    referral_id = handover.pop("referral_id")
    offer_id = handover.pop("offer_id")
    volunteer_id = handover.pop("volunteer_id", None)
    with db.connect() as conn:
        existing = conn.execute(select(referrals.c.request_id, referrals.c.partner).where(
            referrals.c.id == referral_id, referrals.c.direction == "incoming")).first()
    if existing is not None:
        if existing.partner != from_partner:
            raise CannotRefer("referral_id", "Deze doorverwijzing is van een andere partner (belongs to another partner).")
        with db.connect() as conn:
            return load_request(conn, existing.request_id), False
    shared = [f for f in SHAREABLE if handover.get(f)]
    fields = {"channel": "referral", "member_id": None, "consents": [], "question": None, "name": None,
              "phone": None, "email": None, **handover}
    try:
        request = _take_in_referral(db, partner, fields, user, referral_id, from_partner, offer_id, volunteer_id, shared)
    except IntegrityError:  # the same referral handed over twice at the same moment: the first one won
        return receive(db, partner, from_partner, {**handover, "referral_id": referral_id, "offer_id": offer_id,
                                                   "volunteer_id": volunteer_id}, user)
    return request, True


def _take_in_referral(db: Database, partner: str, fields: dict, user: str, referral_id: str, from_partner: str,
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


def apply_answer(conn: Connection, partner: str, from_partner: str, data: dict) -> None:
    """The other partner accepted or declined our referral (its request event, from the bus)."""
    action = {"accept": "referral_accepted", "decline": "referral_declined"}.get(data["action"])
    if action is None or data.get("referred_by") != partner or not data.get("referral_id"):
        return
    referral = conn.execute(select(referrals).where(referrals.c.id == data["referral_id"],
                                                    referrals.c.direction == "outgoing",
                                                    referrals.c.partner == from_partner)).mappings().first()
    if referral is None or referral["status"] != "sent":
        return
    at = datetime.fromisoformat(data["at"])
    conn.execute(update(referrals).where(referrals.c.id == referral["id"]).values(
        status="accepted" if action == "referral_accepted" else "declined", outcome_at=at))
    request = load_request(conn, referral["request_id"], for_update=True)
    try:
        step = next_status(action, request["status"], False)
    except InvalidTransition:  # withdrawn (or moved on) meanwhile: the answer is kept on the referral
        return
    apply_move(conn, partner, request, step, f"{from_partner}:answer", None)


def list_referrals(db: Database, request_id: str) -> list[dict]:
    with db.connect() as conn:
        rows = conn.execute(select(referrals).where(referrals.c.request_id == request_id)
                            .order_by(referrals.c.sent_at)).mappings()
        return [_referral(r) for r in rows]


def load_referral(conn: Connection, referral_id: str) -> dict:
    return _referral(conn.execute(select(referrals).where(referrals.c.id == referral_id)).mappings().one())


def _referral(row) -> dict:
    referral = dict(row)
    referral["shared"] = [f for f in (referral["shared"] or "").split(",") if f]
    return referral


def _offer(offer_id: str) -> dict:
    gateway = peers.federation().gateway_url
    offer = peers.call("GET", f"{gateway}/api/v1/offers/{offer_id}", "samen030", "de gateway")
    if offer is None:
        raise CannotRefer("offer_id", f"Geen aanbod {offer_id!r} in de stadsbrede sociale kaart (no such offer).")
    if offer["status"] != "active":
        raise CannotRefer("offer_id", f"Dit aanbod is niet actief (the offer is {offer['status']}).")
    return offer


def _contact(partner: str, offer: dict | None) -> dict:
    """How the resident gets in touch with the other partner themselves: the offer's public details
    from that partner's directory, or at least the names when it cannot be reached."""
    contact = {"partner": partner, "partner_name": peers.federation().partner(partner).name}
    if offer is None:  # a volunteer: the resident gets in touch with their partner
        return contact
    contact.update(offer_id=offer["id"], offer_name=offer["name"])
    url = peers.service_url(partner, "directory")
    try:
        details = peers.call("GET", f"{url}/offers/{offer['id']}", partner, f"de sociale kaart van {partner}") if url else None
    except (peers.PeerUnavailable, peers.PeerRefused):
        details = None
    if details:
        contact.update(url=details.get("url"), contacts=details.get("contacts", []), schedules=[
            {k: s.get(k) for k in ("byday", "opens_at", "closes_at")} for s in details.get("schedules", [])],
            locations=[{k: loc.get(k) for k in ("name", "address_1", "postal_code", "city", "url")}
                       for loc in details.get("locations", [])])
    return contact

