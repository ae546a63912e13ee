"""The notifier's durable consumer: partners' request events in, delivery rows out. The rows are
written in the same transaction as the event's applied_events row (kernel.consumer.Projection), and
the event is acked only after that commit: a redelivered or duplicated event makes no second
delivery, and an event whose rows did not commit is delivered again by JetStream. A notice about a
referral is made only once the referring partner's own referral.sent is recorded (waiting.py)."""
import json
import logging
import uuid
from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from samen030.kernel.config import ConfigError, Federation, Partner
from samen030.kernel.consumer import APPLIED, Projection
from samen030.kernel.database import Database
from samen030.kernel.events import Event

from . import messages, waiting
from .tables import EMAIL, PENDING, WEBHOOK, applied_events, deliveries, referrals_sent

DURABLE = "notifier"
RECEIVED = "nl.samen030.requests.request.received.v1"
CHANGED = "nl.samen030.requests.request.changed.v1"
OVERDUE = "nl.samen030.requests.request.overdue.v1"
REFERRAL_SENT = "nl.samen030.requests.referral.sent.v1"
ABOUT_A_REFERRAL = ("referral_received", "referral_accepted", "referral_declined")  # told once proven: waiting.py
log = logging.getLogger(__name__)


def route(event: Event) -> tuple[str, str] | None:
    """(kind of notice, partner to tell) for an event, or None when nobody is to be told."""
    data = event.data
    referred_by = data.get("referred_by")
    if event.type == RECEIVED and referred_by and referred_by != event.partner:
        return "referral_received", event.partner
    if event.type == CHANGED and referred_by and data.get("action") in ("accept", "decline"):
        return ("referral_accepted" if data["action"] == "accept" else "referral_declined"), referred_by
    if event.type == OVERDUE:
        return "overdue", event.partner
    return None


def request_link(partner: Partner, request_id: str | None) -> str | None:
    if not request_id:
        return None
    try:
        return f"{partner.url('requests')}/requests/{request_id}"
    except ConfigError:
        return None


def compose(kind: str, event: Event, told: Partner, federation: Federation,
            origin_request: str | None = None) -> messages.Mail:
    """The mail for a notice. `origin_request`: the sender's own request a referral came from, if known."""
    data = event.data
    if kind == "referral_received":
        sender = federation.partners.get(data["referred_by"])
        return messages.referral_received(told.name, sender.name if sender else data["referred_by"], data,
                                          request_link(told, data["request_id"]))
    if kind in ("referral_accepted", "referral_declined"):
        by = federation.partners.get(event.partner)
        return messages.referral_outcome(told.name, by.name if by else event.partner, kind == "referral_accepted",
                                         data, request_link(told, origin_request))
    return messages.overdue_reminder(told.name, data, request_link(told, data["request_id"]))


def delivery_id(event_id: str, channel: str, recipient: str) -> str:
    return str(uuid.uuid5(uuid.UUID(event_id), f"{channel}:{recipient}"))


def delivery_rows(kind: str, event: Event, told: Partner, mail: messages.Mail, now: datetime) -> list[dict]:
    """One row per coordinators' address and one for the partner's webhook, if any."""
    common = {"event_id": event.id, "event_type": event.type, "kind": kind, "partner": told.id,
              "status": PENDING, "attempts": 0, "next_attempt_at": now, "created_at": now}
    rows = [{**common, "id": delivery_id(event.id, EMAIL, address), "channel": EMAIL, "recipient": address,
             "subject": mail.subject, "body": mail.body} for address in dict.fromkeys(told.notify_email)]
    if told.webhook:
        ident = delivery_id(event.id, WEBHOOK, told.webhook)
        payload = {"delivery_id": ident, "type": event.type, "kind": kind, "partner": told.id,
                   "from_partner": event.partner, "event_id": event.id, "time": event.time.isoformat(),
                   "subject": mail.subject, "data": event.data}
        rows.append({**common, "id": ident, "channel": WEBHOOK, "recipient": told.webhook, "subject": mail.subject,
                     "body": json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))})
    return rows


class Notifier:
    """The handlers: which event tells whom what."""

    def __init__(self, federation: Federation, max_age: timedelta | None = None):
        self.federation, self.max_age = federation, max_age

    def handlers(self) -> dict:
        return {RECEIVED: self.notify, CHANGED: self.notify, OVERDUE: self.notify, REFERRAL_SENT: self.note_referral}

    def notify(self, conn: Connection, event: Event) -> None:
        if (routed := route(event)) is None or self.too_old(event, *routed):
            return
        if routed[0] in ABOUT_A_REFERRAL and not self.proven_or_kept(conn, event, routed[0]):
            return
        self.tell(conn, event, *routed)

    def too_old(self, event: Event, kind: str, told_id: str) -> bool:
        if self.max_age is not None and event.time < datetime.now(timezone.utc) - self.max_age:
            log.info("not notifying %s about %s %s: the event is older than %s", told_id, kind, event.id, self.max_age)
            return True
        return False

    def proven_or_kept(self, conn: Connection, event: Event, kind: str) -> bool:
        """True when the referral the event names is recorded; else the event waits for it (waiting.py)."""
        if not event.data.get("referral_id"):
            log.warning("%s %s from %s names no referral: nobody told", kind, event.id, event.partner)
            return False
        if waiting.proven(conn, event):
            return True
        log.info("%s %s from %s waits for %s's referral %s to be recorded", kind, event.id, event.partner,
                 event.data["referred_by"], event.data["referral_id"])
        waiting.keep(conn, event)
        return False

    def tell(self, conn: Connection, event: Event, kind: str, told_id: str) -> None:
        told = self.federation.partners.get(told_id)
        if told is None:
            log.warning("%s %s: partner %r is not in the federation file; nobody told", kind, event.id, told_id)
            return
        origin = None
        if kind in ("referral_accepted", "referral_declined"):
            origin = conn.execute(select(referrals_sent.c.request_id).where(
                referrals_sent.c.referral_id == event.data["referral_id"],
                referrals_sent.c.partner == told_id)).scalar()
        now = datetime.now(timezone.utc)
        rows = delivery_rows(kind, event, told, compose(kind, event, told, self.federation, origin), now)
        if rows:
            conn.execute(insert(deliveries), rows)
        else:
            log.info("%s %s: %s has neither notify addresses nor a webhook", kind, event.id, told_id)

    def note_referral(self, conn: Connection, event: Event) -> None:
        data = event.data
        known = conn.execute(select(referrals_sent.c.partner).where(
            referrals_sent.c.referral_id == data["referral_id"])).scalar()
        if known is not None:
            if known != event.partner:
                log.warning("referral %s from %s was recorded as %s's: kept as it was", data["referral_id"],
                            event.partner, known)
            return
        conn.execute(insert(referrals_sent).values(referral_id=data["referral_id"], partner=event.partner,
                                                   request_id=data["request_id"], to_partner=data["to_partner"]))
        for waited in waiting.release(conn, data["referral_id"], event.partner, data["to_partner"]):
            if not self.too_old(waited, *(routed := route(waited))):
                self.tell(conn, waited, *routed)


class NotifierProjection(Projection):
    """kernel.consumer.Projection that wakes the sender when it committed new events."""

    def __init__(self, db: Database, notifier: Notifier, on_applied: Callable[[], None] = lambda: None):
        super().__init__(DURABLE, db, applied_events, notifier.handlers())
        self.on_applied = on_applied

    def apply(self, messages_: list[tuple[bytes, str]]) -> list[str]:
        outcomes = super().apply(messages_)
        if APPLIED in outcomes:
            self.on_applied()
        return outcomes
