"""The gateway's projector: partners' events in, the city-wide read model out."""
import logging
from datetime import datetime, timezone

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from samen030.kernel.consumer import Projection
from samen030.kernel.database import Database
from samen030.kernel.events import Event

from .readmodel import applied_events, offers, partner_status
from .search_index import index_offer

DURABLE = "gateway-readmodel"
log = logging.getLogger(__name__)


def apply_offer(conn: Connection, event: Event) -> None:
    """Offer events carry the whole offer; a newer version wins, whatever order they arrive in."""
    data = event.data
    row = {"id": data["offer_id"], "partner": event.partner, "name": data["name"],
           "description": data["description"], "category": data["category"], "buurt": data["buurt"],
           "wijk": data["wijk"], "status": data["status"], "version": data["version"],
           "updated_at": datetime.fromisoformat(data["updated_at"])}
    current = conn.execute(select(offers.c.partner, offers.c.version).where(offers.c.id == row["id"])).first()
    if current is not None and current.partner != event.partner:
        log.warning("ignored %s: %s may not change %s's offer %s", event.id, event.partner, current.partner, row["id"])
    elif current is None or current.version < row["version"]:
        conn.execute(insert(offers).values(row) if current is None
                     else update(offers).where(offers.c.id == row["id"]).values(row))
        index_offer(conn, row)


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
}


def readmodel_projection(db: Database) -> Projection:
    return Projection(DURABLE, db, applied_events, HANDLERS)
