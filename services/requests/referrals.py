"""Partner A's side of a referral: A hands a request to partner B's requests service, point to point,
with only the personal data the resident's consent covers; B takes it in (incoming.py) and accepts or
declines; the answer comes back to A as B's event on the bus (followup_worker.py).

Nothing is half-referred, and nothing A shared is lost track of:
1. A records the referral as `sending` (with what it shares) before calling B, so an erasure at A
   reaches B's copy whatever happens next (personal_data.erase_in names every outgoing referral);
2. A hands over; B not reached → the record goes, nothing changed;
3. A completes in one transaction — the request not erased, the move still allowed, the referral still
   `sending`, the consent still covering what was shared — or takes the handover back (take_back.py): B
   drops its copy. A handover still `sending` after HANDOVER_SETTLES (A's process died) is taken back
   by the follow-up worker; whichever of completing and taking back comes first wins, the other gives way.
Referral ids are random: nobody can claim one on the bus before A has sent it."""
import logging
import uuid
from datetime import datetime, timezone

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from samen030.kernel import outbox as outbox_rows
from samen030.kernel.database import Database
from samen030.kernel.projection import NotYet

from . import consents, peers
from .events import referral_sent_event
from .help_requests import apply_move, load_request
from .lifecycle import InvalidTransition, next_status
from .referral_targets import CannotRefer, contact_for, destination
from .tables import outbox, referrals
from .take_back import HANDOVER_SETTLES, forget, mark_cancelling, take_back, utc

log = logging.getLogger(__name__)


class NotReferred(Exception):
    """The request was not referred; the message says what happened to what reached B."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


# What every handover carries, with or without consent: nothing that names or describes the resident.
ALWAYS_SHARED = ("category", "terms", "buurt", "urgency", "languages")
SHAREABLE = ("question", "name", "phone", "email")  # the personal data a consent can let go along


def what_may_be_shared(consent: dict[str, bool], request: dict) -> list[str]:
    """The personal data the consent covers: the question and name with consent to share, the phone
    number and e-mail address only with consent to be contacted that way as well."""
    if not consent["share_for_referral"]:
        return []
    shared = ["question"] + [f for f in ("name",) if request.get(f)]
    return shared + [f for f, purpose in (("phone", "contact_phone"), ("email", "contact_email"))
                     if consent[purpose] and request.get(f)]


def refer(db: Database, partner: str, request_id: str, offer_id: str | None, reason: str | None, user: str,
          volunteer_id: str | None = None, expected_shared: list[str] | None = None) -> dict | None:
    """Refer to another partner's offer, or to one of its volunteers (their partner asks them).
    `expected_shared`: the personal data the coordinator was shown would go (referral-preview); when
    given, the referral is refused (409) unless it is exactly that."""
    with db.connect() as conn:
        request = load_request(conn, request_id)
    if request is None:
        return None
    _referable(request)  # 409 before calling anyone
    to_partner, offer, field = destination(offer_id, volunteer_id)
    if to_partner == partner:
        raise CannotRefer(field, "Dit aanbod of deze vrijwilliger is van uzelf: help de bewoner zelf (start) "
                                 "(this is your own: help the resident yourself).")
    if peers.service_url(to_partner, "requests") is None:
        raise CannotRefer(field, f"{to_partner} neemt geen doorverwijzingen aan: het heeft geen hulpvragendienst "
                                 f"(runs no requests service).")
    member_consent = consents.in_force(db, partner, request) if request["member_id"] else None
    referral, handover = _reserve(db, request_id, to_partner, offer_id, volunteer_id, member_consent, user,
                                  expected_shared)
    what = f"de hulpvragendienst van {to_partner}"
    try:
        answer = peers.call("referral.handover", partner, to_partner, "/incoming-referrals", what, json=handover)
        if not isinstance(answer, dict) or not isinstance(answer.get("request_id"), str):
            raise peers.PeerUnavailable(f"{what} gaf geen bruikbaar antwoord (gave no usable answer).",
                                        maybe_received=True)
    except peers.PeerUnavailable as exc:
        raise _not_handed_over(db, partner, referral, exc) from None
    except peers.PeerRefused:
        forget(db, referral["id"])  # B refused: it kept nothing
        raise
    try:
        held = consents.in_force(db, partner, request) if request["member_id"] else None
        contact = None if referral["shared"] else contact_for(to_partner, offer)
        return _complete(db, partner, request_id, referral, answer["request_id"], held, contact, reason)
    except (InvalidTransition, ConsentChanged, HandoverLost, RequestErased, peers.PeerUnavailable) as exc:
        back = take_back(db, partner, referral)
        raise NotReferred(409, f"{_why(exc)} De overdracht aan {to_partner} is "
                               f"{'ingetrokken' if back else 'niet voltooid en wordt automatisch ingetrokken'} "
                               f"(the handover was taken back).") from None
    except Exception:
        take_back(db, partner, referral)
        raise


class ConsentChanged(Exception):
    pass


class HandoverLost(Exception):
    """The follow-up worker took the handover back while it was still going on."""


class RequestErased(Exception):
    pass


def _why(exc: Exception) -> str:
    if isinstance(exc, ConsentChanged):
        return "De toestemming van de bewoner dekt niet meer wat is gedeeld (the resident's consent changed meanwhile)."
    if isinstance(exc, HandoverLost):
        return "De overdracht duurde te lang (the handover took too long)."
    if isinstance(exc, RequestErased):
        return "De gegevens van deze hulpvraag zijn intussen gewist (the request was erased meanwhile)."
    if isinstance(exc, peers.PeerUnavailable):
        return f"De toestemming kon niet opnieuw worden nagevraagd: {exc}"
    return f"De hulpvraag is intussen veranderd: {exc}"


def _referable(request: dict) -> None:
    if request["erased_at"] is not None:
        raise NotReferred(409, "De gegevens van deze hulpvraag zijn gewist: hij kan niet meer worden doorverwezen "
                               "(the request was erased).")
    next_status("refer", request["status"], request["origin"] == "referral")


def _reserve(db: Database, request_id: str, to_partner: str, offer_id: str | None, volunteer_id: str | None,
             member_consent: dict | None, user: str, expected_shared: list[str] | None = None) -> tuple[dict, dict]:
    """The referral recorded as `sending`, with what it shares, and the handover for B, both from the
    request as it is in this transaction; 409 when the request moved, was erased, or another referral
    of it is being handed over right now."""
    with db.begin() as conn:
        now = datetime.now(timezone.utc)
        request = load_request(conn, request_id, for_update=True)
        _referable(request)
        held = member_consent if request["member_id"] else consents.in_force_in(conn, request_id)
        shared = what_may_be_shared(held, request)
        if expected_shared is not None and set(expected_shared) != set(shared):
            raise NotReferred(409, "Wat er met deze doorverwijzing zou worden gedeeld, is veranderd sinds het werd "
                                   "getoond: de toestemming van de bewoner is intussen gewijzigd. Bekijk opnieuw wat er "
                                   f"meegaat (would share {sorted(shared)}, not {sorted(expected_shared)}).")
        busy = conn.execute(select(referrals.c.partner, referrals.c.sent_at).where(
            referrals.c.request_id == request_id, referrals.c.direction == "outgoing", referrals.c.status == "sending")).all()
        if busy := [r.partner for r in busy if now - utc(r.sent_at) < HANDOVER_SETTLES]:
            raise NotReferred(409, f"Deze hulpvraag wordt op dit moment al doorverwezen naar {busy[0]}; probeer "
                                   f"het zo opnieuw (a referral to {busy[0]} is being handed over right now).")
        referral = {"id": str(uuid.uuid4()),  # never guessable: others' events name it only once it is sent
                    "request_id": request_id, "direction": "outgoing", "partner": to_partner, "other_request_id": None,
                    "offer_id": offer_id, "volunteer_id": volunteer_id, "with_consent": bool(shared), "shared": shared,
                    "status": "sending", "sent_at": now, "sent_by": user, "outcome_at": None, "contact": None}
        conn.execute(insert(referrals), {**referral, "shared": ",".join(shared)})
    handover = {"referral_id": referral["id"], "offer_id": offer_id, "volunteer_id": volunteer_id,
                **{f: request[f] for f in ALWAYS_SHARED}, **{f: request[f] for f in shared}}
    return referral, handover


def _complete(db: Database, partner: str, request_id: str, referral: dict, other_request_id: str,
              member_consent: dict | None, contact: dict | None, reason: str | None) -> dict:
    with db.begin() as conn:
        request = load_request(conn, request_id, for_update=True)
        if request["erased_at"] is not None:
            raise RequestErased()
        step = next_status("refer", request["status"], request["origin"] == "referral")
        held = member_consent if request["member_id"] else consents.in_force_in(conn, request_id)
        if not set(referral["shared"]) <= set(what_may_be_shared(held, request)):
            raise ConsentChanged()
        if conn.execute(update(referrals).where(referrals.c.id == referral["id"], referrals.c.status == "sending")
                        .values(status="sent", other_request_id=other_request_id, contact=contact)).rowcount != 1:
            raise HandoverLost()
        apply_move(conn, partner, request, step, referral["sent_by"], reason)
        sent = {**referral, "status": "sent", "other_request_id": other_request_id, "contact": contact}
        outbox_rows.record(conn, outbox, referral_sent_event(partner, request, sent))
        return load_referral(conn, referral["id"])


def _not_handed_over(db: Database, partner: str, referral: dict, exc: peers.PeerUnavailable) -> NotReferred:
    if not exc.maybe_received and forget(db, referral["id"]):
        return NotReferred(503, f"{exc} Er is niets veranderd; probeer het opnieuw (nothing changed; retry).")
    if exc.timed_out:  # B hangs: asking it now would hold the coordinator as long again; the follow-up worker asks
        try:
            mark_cancelling(db, referral["id"])
        except Exception:  # still `sending`: the follow-up worker takes it back after HANDOVER_SETTLES
            log.warning("%s: referral %s to %s left to the follow-up worker", partner, referral["id"],
                        referral["partner"], exc_info=True)
    elif take_back(db, partner, referral):
        return NotReferred(503, f"{exc} Wat er is aangekomen is weer ingetrokken; de hulpvraag is niet doorverwezen. "
                                f"Probeer het opnieuw (the handover was taken back; the request is not referred; retry).")
    return NotReferred(503, f"{exc} De hulpvraag is niet doorverwezen; wat er eventueel is aangekomen wordt "
                            f"automatisch ingetrokken. Probeer het later opnieuw (the request is not referred; whatever "
                            f"arrived is taken back automatically; retry later).")


def apply_answer(conn: Connection, partner: str, from_partner: str, data: dict) -> None:
    """The other partner accepted or declined our referral (its request event, from the bus)."""
    action = {"accept": "referral_accepted", "decline": "referral_declined"}.get(data["action"])
    if action is None or data.get("referred_by") != partner or not data.get("referral_id"):
        return
    referral = conn.execute(select(referrals).where(referrals.c.id == data["referral_id"],
                                                    referrals.c.direction == "outgoing",
                                                    referrals.c.partner == from_partner)).mappings().first()
    if referral is not None and referral["status"] == "sending":  # B answered before A recorded it as sent
        raise NotYet(f"referral {referral['id']} to {from_partner} is still being handed over")
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
