"""The projector's handlers for the requests services' events: help requests and referrals, codes and
times only. A request event carries the whole request and its version, so the newest version wins
whatever order they arrive in; a referral's outcome (the receiving partner's accept or decline) is kept
on both sides, so it survives arriving before the referral itself (they travel in different streams)."""
import logging
from datetime import datetime

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.engine import Connection

from samen030.kernel.database import select_in
from samen030.kernel.events import Event
from samen030.kernel.projection import together_with

from .readmodel import help_requests, referrals

log = logging.getLogger(__name__)
COPIED = ("status", "origin", "channel", "category", "buurt", "wijk", "urgency", "referral_id", "referred_by",
          "version")
TIMES = ("received_at", "first_contact_due", "first_contact_at", "resolved_at")
OUTCOMES = {"accept": "accepted", "decline": "declined"}
REFERRAL_SENT = "nl.samen030.requests.referral.sent.v1"


def request_row(event: Event) -> dict:
    """The read model's row of the request as the event describes it."""
    data = event.data
    row = {"id": data["request_id"], "partner": event.partner, **{name: data[name] for name in COPIED},
           **{name: _moment(data[name]) for name in TIMES}}
    row["seconds_to_first_contact"] = _seconds(row["received_at"], row["first_contact_at"])
    row["seconds_to_resolution"] = _seconds(row["received_at"], row["resolved_at"])
    return row


def apply_request(conn: Connection, event: Event) -> None:
    apply_request_events(conn, [event])


def apply_referral(conn: Connection, event: Event) -> None:
    apply_request_events(conn, [event])


def apply_request_events(conn: Connection, events: list[Event]) -> None:
    """Requests received or changed and referrals sent, each in turn as one by one: the requests' rows
    are written in bulk, and before a referral or a receiver's answer reads or changes them."""
    h = help_requests.c
    ids = list({event.data["request_id"] for event in events if event.type != REFERRAL_SENT})
    current = {row.id: (row.partner, row.version)
               for row in select_in(conn, select(h.id, h.partner, h.version), h.id, ids)}
    inserts, updates = {}, {}

    def write():
        if inserts:
            conn.execute(insert(help_requests), list(inserts.values()))
        if updates:
            conn.execute(update(help_requests).where(h.id == bindparam("request_key")),
                         [{**row, "request_key": key} for key, row in updates.items()])
        inserts.clear(), updates.clear()
    for event in events:
        if event.type == REFERRAL_SENT:
            write()
            _apply_referral(conn, event)
            continue
        data, row = event.data, request_row(event)
        have = current.get(row["id"])
        if have is not None and have[0] != event.partner:
            log.warning("ignored %s: %s may not change %s's request %s", event.id, event.partner, have[0], row["id"])
            continue
        if have is None or have[1] < row["version"]:
            (inserts if have is None or row["id"] in inserts else updates)[row["id"]] = row
            current[row["id"]] = (event.partner, row["version"])
        if (outcome := OUTCOMES.get(data["action"])) and row["referral_id"]:
            write()
            _note_outcome(conn, event.partner, row, outcome, _moment(data["at"]))
    write()


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


def _apply_referral(conn: Connection, event: Event) -> None:
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


together_with(apply_request_events)(apply_request)
together_with(apply_request_events)(apply_referral)


def nothing_to_keep(conn: Connection, event: Event) -> None:
    """`request.overdue`: the figures derive "overdue now" from first_contact_due and first_contact_at;
    `request.erased`: the read model never held the personal data, and the figures keep counting it."""


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _seconds(start: datetime, end: datetime | None) -> int | None:
    return round((end - start).total_seconds()) if end is not None else None
