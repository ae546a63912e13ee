"""The gateway's projector: partners' events in, the city-wide read model out."""
import logging
import uuid
from datetime import datetime, timezone

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from samen030.kernel.consumer import Projection
from samen030.kernel.database import Database
from samen030.kernel.events import Event

from .help_requests import nothing_to_keep, apply_referral, apply_request
from .readmodel import applied_events, members, offers, opening_hours, partner_status, places, volunteer_consents
from .search_index import index_offer

DURABLE = "gateway-readmodel"
log = logging.getLogger(__name__)


def apply_offer(conn: Connection, event: Event) -> None:
    """Offer events carry the whole offer; a newer version wins, whatever order they arrive in."""
    data = event.data
    row = {"id": data["offer_id"], "partner": event.partner, "name": data["name"],
           "description": data["description"], "category": data["category"], "buurt": data["buurt"],
           "wijk": data["wijk"], "status": data["status"], "version": data["version"],
           "updated_at": datetime.fromisoformat(data["updated_at"]),
           # fields added to the event after its first release, so possibly absent
           "terms": ",".join(data.get("terms", [])), "areas": ",".join(data.get("areas", [])), "languages": ",".join(data.get("languages", ["nl"])),
           "free": data.get("free", True), "minimum_age": data.get("minimum_age"),
           "maximum_age": data.get("maximum_age"), "location_buurten": ",".join(data.get("location_buurten", [])),
           "virtual": data.get("virtual", False)}
    current = conn.execute(select(offers.c.partner, offers.c.version).where(offers.c.id == row["id"])).first()
    if current is not None and current.partner != event.partner:
        log.warning("ignored %s: %s may not change %s's offer %s", event.id, event.partner, current.partner, row["id"])
    elif current is None or current.version < row["version"]:
        conn.execute(insert(offers).values(row) if current is None
                     else update(offers).where(offers.c.id == row["id"]).values(row))
        index_offer(conn, row)
        replace_opening_hours(conn, row["id"], data.get("opening_hours", []))
        replace_places(conn, row["id"], data.get("location_buurten", []), data.get("virtual", False))


def replace_places(conn: Connection, offer_id: str, buurten: list[str], online: bool) -> None:
    conn.execute(delete(places).where(places.c.offer_id == offer_id))
    rows = [{"id": place_id(offer_id, code), "offer_id": offer_id, "buurt": code}
            for code in [*buurten, *([None] if online else [])]]
    if rows:
        conn.execute(insert(places), rows)


def place_id(offer_id: str, buurt: str | None) -> str:
    return str(uuid.uuid5(uuid.UUID(offer_id), buurt or "online"))


def replace_opening_hours(conn: Connection, offer_id: str, hours: list[dict]) -> None:
    conn.execute(delete(opening_hours).where(opening_hours.c.offer_id == offer_id))
    rows = {(day, h["opens_at"]): h["closes_at"] for h in hours for day in h["byday"].split(",")}
    if rows:
        conn.execute(insert(opening_hours), [{"offer_id": offer_id, "day": day, "opens_at": opens, "closes_at": closes}
                                             for (day, opens), closes in rows.items()])


def note_freshness(conn: Connection, event: Event) -> None:
    now = datetime.now(timezone.utc)
    changed = conn.execute(update(partner_status).where(partner_status.c.partner == event.partner).values(
        last_event_at=event.time, last_applied_at=now,
        events_applied=partner_status.c.events_applied + 1)).rowcount
    if not changed:
        conn.execute(insert(partner_status).values(partner=event.partner, last_event_at=event.time,
                                                   last_applied_at=now, events_applied=1))


def _with_freshness(handler):
    def apply(conn: Connection, event: Event) -> None:
        handler(conn, event)
        note_freshness(conn, event)
    return apply


def apply_member(conn: Connection, event: Event) -> None:
    data = event.data
    row = {"id": data["member_id"], "partner": event.partner, "kind": data["kind"], "wijk": data.get("wijk"),
           "membership_status": data["membership_status"], "skills": ",".join(data.get("skills", [])),
           "version": data["version"], "buurt": data.get("buurt"), "languages": ",".join(data.get("languages", ["nl"])),
           "availability": data.get("availability", [])}
    current = conn.execute(select(members.c.partner, members.c.version, members.c.erased)
                           .where(members.c.id == row["id"])).first()
    if current is None:
        conn.execute(insert(members).values(row))
    elif current.partner == event.partner and current.version < row["version"] and not current.erased:
        conn.execute(update(members).where(members.c.id == row["id"]).values(row))


def apply_member_erased(conn: Connection, event: Event) -> None:
    """The person is gone; the count stays (kind, wijk), the profile goes."""
    member_id = event.data["member_id"]
    conn.execute(update(members).where(members.c.id == member_id, members.c.partner == event.partner)
                 .values(erased=True, skills="", buurt=None, languages="", availability=[]))
    conn.execute(delete(volunteer_consents).where(volunteer_consents.c.member_id == member_id,
                                                  volunteer_consents.c.partner == event.partner))


def apply_consent(conn: Connection, event: Event) -> None:
    """Only the consent to appear in other partners' volunteer suggestions matters here."""
    data = event.data
    if data["purpose"] != "volunteer_suggestions":
        return
    withdrawn = event.type.endswith(".withdrawn.v1")
    current = conn.execute(select(volunteer_consents.c.partner).where(
        volunteer_consents.c.consent_id == data["consent_id"])).first()
    if current is None:
        conn.execute(insert(volunteer_consents).values(consent_id=data["consent_id"], member_id=data["member_id"],
                                                       partner=event.partner, withdrawn=withdrawn))
    elif current.partner == event.partner and withdrawn:  # a withdrawal is final, whatever order they come in
        conn.execute(update(volunteer_consents).where(volunteer_consents.c.consent_id == data["consent_id"])
                     .values(withdrawn=True))


HANDLERS = {
    "nl.samen030.directory.offer.created.v1": _with_freshness(apply_offer),
    "nl.samen030.directory.offer.updated.v1": _with_freshness(apply_offer),
    "nl.samen030.members.member.registered.v1": _with_freshness(apply_member),
    "nl.samen030.members.member.updated.v1": _with_freshness(apply_member),
    "nl.samen030.members.member.erased.v1": _with_freshness(apply_member_erased),
    "nl.samen030.members.consent.given.v1": _with_freshness(apply_consent),
    "nl.samen030.members.consent.withdrawn.v1": _with_freshness(apply_consent),
    "nl.samen030.requests.request.received.v1": _with_freshness(apply_request),
    "nl.samen030.requests.request.changed.v1": _with_freshness(apply_request),
    "nl.samen030.requests.referral.sent.v1": _with_freshness(apply_referral),
    "nl.samen030.requests.request.overdue.v1": _with_freshness(nothing_to_keep),
    "nl.samen030.requests.request.erased.v1": _with_freshness(nothing_to_keep),
}


def readmodel_projection(db: Database) -> Projection:
    return Projection(DURABLE, db, applied_events, HANDLERS)
