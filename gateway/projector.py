"""The gateway's projector: partners' events in, the city-wide read model out."""
import logging
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection

from samen030.kernel.consumer import Projection
from samen030.kernel.database import Database, delete_in, select_in
from samen030.kernel.projection import together_with
from samen030.kernel.events import Event

from .help_requests import nothing_to_keep, apply_referral, apply_request
from .member_events import apply_counts, apply_earlier_member, apply_erased, apply_listed, apply_unlisted
from .readmodel import applied_events, offers, opening_hours, partner_status, places
from .search_index import index_offers

DURABLE = "gateway-readmodel"
log = logging.getLogger(__name__)


def apply_offer(conn: Connection, event: Event) -> None:
    """Offer events carry the whole offer; a newer version wins, whatever order they arrive in."""
    apply_offers(conn, [event])


def apply_offers(conn: Connection, events: list[Event]) -> None:
    """apply_offer to each event in turn, in a few statements: of one partner's versions of an offer
    only the newest is written, in the place of that partner's first one (so that whose offer it is
    is decided as one by one: by the row there was, else by the first partner to send it)."""
    claims: dict[tuple[str, str], list[Event]] = {}
    for event in events:
        claims.setdefault((event.partner, event.data["offer_id"]), []).append(event)
    current = {row.id: row for row in select_in(conn, select(offers.c.id, offers.c.partner, offers.c.version),
                                               offers.c.id, [offer_id for _partner, offer_id in claims])}
    inserts, updates = {}, {}
    for (partner, offer_id), claim in claims.items():
        newest = max(claim, key=lambda event: event.data["version"])  # the first of equals, as one by one
        have = current.get(offer_id)
        if have is not None and have.partner != partner:
            for event in claim:
                log.warning("ignored %s: %s may not change %s's offer %s", event.id, partner, have.partner, offer_id)
        elif have is None or have.version < newest.data["version"]:
            (inserts if have is None else updates)[offer_id] = newest
            current[offer_id] = OfferSeen(offer_id, partner, newest.data["version"])
    rows = {offer_id: offer_row(event) for offer_id, event in [*inserts.items(), *updates.items()]}
    if inserts:
        conn.execute(insert(offers), [rows[offer_id] for offer_id in inserts])
    if updates:
        conn.execute(update(offers).where(offers.c.id == bindparam("offer_key")),
                     [{**rows[offer_id], "offer_key": offer_id} for offer_id in updates])
    if changed := [*inserts.values(), *updates.values()]:
        index_offers(conn, list(rows.values()))
        replace_opening_hours(conn, {e.data["offer_id"]: e.data.get("opening_hours", []) for e in changed})
        replace_places(conn, {e.data["offer_id"]: (e.data.get("location_buurten", []), e.data.get("virtual", False))
                              for e in changed})


@dataclass(frozen=True)
class OfferSeen:
    id: str
    partner: str
    version: int


def offer_row(event: Event) -> dict:
    data = event.data
    return {"id": data["offer_id"], "partner": event.partner, "name": data["name"],
            "description": data["description"], "category": data["category"], "buurt": data["buurt"],
            "wijk": data["wijk"], "status": data["status"], "version": data["version"],
            "updated_at": datetime.fromisoformat(data["updated_at"]),
            # fields added to the event after its first release, so possibly absent
            "terms": ",".join(data.get("terms", [])), "areas": ",".join(data.get("areas", [])),
            "languages": ",".join(data.get("languages", ["nl"])), "free": data.get("free", True),
            "minimum_age": data.get("minimum_age"), "maximum_age": data.get("maximum_age"),
            "location_buurten": ",".join(data.get("location_buurten", [])), "virtual": data.get("virtual", False)}


def replace_places(conn: Connection, offers_places: dict[str, tuple[list[str], bool]]) -> None:
    """{offer id: (buurten, online)}"""
    delete_in(conn, places, places.c.offer_id, list(offers_places))
    rows = [{"id": place_id(offer_id, code), "offer_id": offer_id, "buurt": code}
            for offer_id, (buurten, online) in offers_places.items()
            for code in [*buurten, *([None] if online else [])]]
    if rows:
        conn.execute(insert(places), rows)


def place_id(offer_id: str, buurt: str | None) -> str:
    return str(uuid.uuid5(uuid.UUID(offer_id), buurt or "online"))


def replace_opening_hours(conn: Connection, offers_hours: dict[str, list[dict]]) -> None:
    """{offer id: its opening hours}"""
    delete_in(conn, opening_hours, opening_hours.c.offer_id, list(offers_hours))
    rows = [{"offer_id": offer_id, "day": day, "opens_at": opens, "closes_at": closes}
            for offer_id, hours in offers_hours.items()
            for (day, opens), closes in {(day, h["opens_at"]): h["closes_at"]
                                         for h in hours for day in h["byday"].split(",")}.items()]
    if rows:
        conn.execute(insert(opening_hours), rows)


def note_freshness(conn: Connection, events: list[Event]) -> None:
    """Per partner: how many of its events were applied, and the time of the last of them."""
    now, applied, last = datetime.now(timezone.utc), Counter(e.partner for e in events), {}
    for event in events:
        last[event.partner] = event.time
    for partner, count in applied.items():
        changed = conn.execute(update(partner_status).where(partner_status.c.partner == partner).values(
            last_event_at=last[partner], last_applied_at=now,
            events_applied=partner_status.c.events_applied + count)).rowcount
        if not changed:
            conn.execute(insert(partner_status).values(partner=partner, last_event_at=last[partner],
                                                       last_applied_at=now, events_applied=count))


together_with(apply_offers)(apply_offer)

HANDLERS = {
    "nl.samen030.directory.offer.created.v1": apply_offer,
    "nl.samen030.directory.offer.updated.v1": apply_offer,
    "nl.samen030.members.member.listed.v1": apply_listed,
    "nl.samen030.members.member.unlisted.v1": apply_unlisted,
    "nl.samen030.members.member.erased.v1": apply_erased,
    "nl.samen030.members.counts.changed.v1": apply_counts,
    "nl.samen030.members.member.registered.v1": apply_earlier_member,
    "nl.samen030.members.member.updated.v1": apply_earlier_member,
    "nl.samen030.members.consent.given.v1": nothing_to_keep,
    "nl.samen030.members.consent.withdrawn.v1": nothing_to_keep,
    "nl.samen030.requests.request.received.v1": apply_request,
    "nl.samen030.requests.request.changed.v1": apply_request,
    "nl.samen030.requests.referral.sent.v1": apply_referral,
    "nl.samen030.requests.request.overdue.v1": nothing_to_keep,
    "nl.samen030.requests.request.erased.v1": nothing_to_keep,
}


def readmodel_projection(db: Database) -> Projection:
    return Projection(DURABLE, db, applied_events, HANDLERS, on_batch_applied=note_freshness)
