"""The projector's handlers for the requests services' events: help requests and referrals, codes and
times only. A request event carries the whole request and its version, so the newest version wins
whatever order they arrive in; a referral's outcome (the receiving partner's accept or decline) is kept
on both sides, so it survives arriving before the referral itself (they travel in different streams)."""
import logging
from datetime import datetime

from sqlalchemy import insert, or_, select, update
from sqlalchemy.engine import Connection

from samen030.kernel.events import Event

from .readmodel import help_requests, referrals

log = logging.getLogger(__name__)
COPIED = ("status", "origin", "channel", "category", "buurt", "wijk", "urgency", "referral_id", "referred_by",
          "version")
TIMES = ("received_at", "first_contact_due", "first_contact_at", "resolved_at")
OUTCOMES = {"accept": "accepted", "decline": "declined"}


def request_row(event: Event) -> dict:
    """The read model's row of the request as the event describes it."""
    data = event.data
    row = {"id": data["request_id"], "partner": event.partner, **{name: data[name] for name in COPIED},
           **{name: _moment(data[name]) for name in TIMES}}
    row["seconds_to_first_contact"] = _seconds(row["received_at"], row["first_contact_at"])
    row["seconds_to_resolution"] = _seconds(row["received_at"], row["resolved_at"])
    return row


def apply_request(conn: Connection, event: Event) -> None:
    data, row = event.data, request_row(event)
    current = conn.execute(select(help_requests.c.partner, help_requests.c.version)
                           .where(help_requests.c.id == row["id"])).first()
    if current is not None and current.partner != event.partner:
        log.warning("ignored %s: %s may not change %s's request %s", event.id, event.partner, current.partner, row["id"])
        return
    if current is None:
        conn.execute(insert(help_requests).values(row))
    elif current.version < row["version"]:
        conn.execute(update(help_requests).where(help_requests.c.id == row["id"]).values(row))
    if (outcome := OUTCOMES.get(data["action"])) and row["referral_id"]:
        _note_outcome(conn, event.partner, row, outcome, _moment(data["at"]))


def _note_outcome(conn: Connection, partner: str, request: dict, outcome: str, at: datetime) -> None:
    """The receiver's answer, also when an older version of its request arrives after a newer one; the
    latest answer wins."""
    h, r = help_requests.c, referrals.c
    conn.execute(update(help_requests)
                 .where(h.id == request["id"], h.partner == partner,
                        or_(h.referral_outcome_at.is_(None), h.referral_outcome_at <= at))
                 .values(referral_outcome=outcome, referral_outcome_at=at))
    conn.execute(update(referrals)
                 .where(r.referral_id == request["referral_id"], r.to_partner == partner,
                        r.to_request_id == request["id"], or_(r.outcome_at.is_(None), r.outcome_at <= at))
                 .values(outcome=outcome, outcome_at=at))


def apply_referral(conn: Connection, event: Event) -> None:
    """Sent once by the referring partner; an answer that came first is taken from the receiver's request."""
    data = event.data
    current = conn.execute(select(referrals.c.from_partner)
                           .where(referrals.c.referral_id == data["referral_id"])).first()
    if current is not None:
        if current.from_partner != event.partner:
            log.warning("ignored %s: %s may not change %s's referral %s", event.id, event.partner,
                        current.from_partner, data["referral_id"])
        return
    h = help_requests.c
    answered = conn.execute(select(h.referral_outcome, h.referral_outcome_at).where(
        h.id == data["to_request_id"], h.partner == data["to_partner"], h.referral_id == data["referral_id"])).first()
    conn.execute(insert(referrals).values(
        referral_id=data["referral_id"], from_partner=event.partner, to_partner=data["to_partner"],
        request_id=data["request_id"], to_request_id=data["to_request_id"], offer_id=data["offer_id"],
        with_consent=data["with_consent"], category=data["category"], buurt=data["buurt"], wijk=data["wijk"],
        urgency=data["urgency"], sent_at=_moment(data["at"]),
        outcome=answered.referral_outcome if answered else None,
        outcome_at=answered.referral_outcome_at if answered else None))


def nothing_to_keep(conn: Connection, event: Event) -> None:
    """`request.overdue`: the figures derive "overdue now" from first_contact_due and first_contact_at;
    `request.erased`: the read model never held the personal data, and the figures keep counting it."""


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _seconds(start: datetime, end: datetime | None) -> int | None:
    return round((end - start).total_seconds()) if end is not None else None
