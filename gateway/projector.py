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
from .member_events import apply_counts, apply_earlier_member, apply_erased, apply_listed, apply_unlisted
from .readmodel import applied_events, offers, opening_hours, partner_status, places
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


HANDLERS = {
    "nl.samen030.directory.offer.created.v1": _with_freshness(apply_offer),
    "nl.samen030.directory.offer.updated.v1": _with_freshness(apply_offer),
    "nl.samen030.members.member.listed.v1": _with_freshness(apply_listed),
    "nl.samen030.members.member.unlisted.v1": _with_freshness(apply_unlisted),
    "nl.samen030.members.member.erased.v1": _with_freshness(apply_erased),
    "nl.samen030.members.counts.changed.v1": _with_freshness(apply_counts),
    "nl.samen030.members.member.registered.v1": _with_freshness(apply_earlier_member),
    "nl.samen030.members.member.updated.v1": _with_freshness(apply_earlier_member),
    "nl.samen030.members.consent.given.v1": _with_freshness(nothing_to_keep),
    "nl.samen030.members.consent.withdrawn.v1": _with_freshness(nothing_to_keep),
    "nl.samen030.requests.request.received.v1": _with_freshness(apply_request),
    "nl.samen030.requests.request.changed.v1": _with_freshness(apply_request),
    "nl.samen030.requests.referral.sent.v1": _with_freshness(apply_referral),
    "nl.samen030.requests.request.overdue.v1": _with_freshness(nothing_to_keep),
    "nl.samen030.requests.request.erased.v1": _with_freshness(nothing_to_keep),
}


def readmodel_projection(db: Database) -> Projection:
    return Projection(DURABLE, db, applied_events, HANDLERS)
