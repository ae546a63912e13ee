"""The members services' events in the read model: the profiles of volunteers who agreed to be suggested
(`member.listed` / `member.unlisted` / `member.erased`) and each partner's counts (`counts.changed`). Delivery
is at least once and in any order: the highest `sequence` wins, and an erasure is for good.

Events of the earlier release, which carried every member whatever their consent, are still read: their
member events only count (kind, wijk, status, skills), until the partner's first counts event removes
them; their consent events are not kept."""
import logging
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from samen030.kernel.events import Event

from .readmodel import listed_volunteers, member_counts, members

log = logging.getLogger(__name__)
NO_PROFILE = {"listed": False, "buurt": None, "wijk": None, "skills": "", "languages": "", "availability": []}


def apply_listed(conn: Connection, event: Event) -> None:
    data = event.data
    _profile_change(conn, event, {
        "listed": True, "buurt": data["buurt"], "wijk": data["wijk"], "skills": ",".join(data["skills"]),
        "languages": ",".join(data["languages"]), "availability": data["availability"]})


def apply_unlisted(conn: Connection, event: Event) -> None:
    _profile_change(conn, event, NO_PROFILE)


def apply_erased(conn: Connection, event: Event) -> None:
    """The person is gone: their profile for good; an earlier release's row keeps counting, without skills."""
    member_id = event.data["member_id"]
    row = conn.execute(select(listed_volunteers.c.partner).where(listed_volunteers.c.id == member_id)).first()
    if row is None:
        conn.execute(insert(listed_volunteers).values(id=member_id, partner=event.partner, sequence=0, erased=True,
                                                       **NO_PROFILE))
    elif row.partner == event.partner:
        conn.execute(update(listed_volunteers).where(listed_volunteers.c.id == member_id)
                     .values(erased=True, **NO_PROFILE))
    conn.execute(update(members).where(members.c.id == member_id, members.c.partner == event.partner)
                 .values(erased=True, skills=""))


def apply_counts(conn: Connection, event: Event) -> None:
    data = event.data
    row = {"partner": event.partner, "sequence": data["sequence"],
           "counted_at": datetime.fromisoformat(data["counted_at"]), "members": data["members"],
           "volunteer_capacity": data["volunteer_capacity"]}
    current = conn.execute(select(member_counts.c.sequence).where(member_counts.c.partner == event.partner)).first()
    if current is None:
        conn.execute(insert(member_counts).values(row))
        conn.execute(delete(members).where(members.c.partner == event.partner))
    elif current.sequence < row["sequence"]:
        conn.execute(update(member_counts).where(member_counts.c.partner == event.partner).values(row))


def apply_earlier_member(conn: Connection, event: Event) -> None:
    """An earlier release's member.registered / member.updated: counted until the partner counts itself."""
    if conn.execute(select(member_counts.c.partner).where(member_counts.c.partner == event.partner)).first():
        return
    data = event.data
    row = {"id": data["member_id"], "partner": event.partner, "kind": data["kind"], "wijk": data["wijk"],
           "membership_status": data["membership_status"], "skills": ",".join(data["skills"]),
           "version": data["version"], "buurt": None, "languages": "", "availability": []}
    current = conn.execute(select(members.c.partner, members.c.version, members.c.erased)
                           .where(members.c.id == row["id"])).first()
    if current is None:
        conn.execute(insert(members).values(row))
    elif current.partner == event.partner and current.version < row["version"] and not current.erased:
        conn.execute(update(members).where(members.c.id == row["id"]).values(row))


def _profile_change(conn: Connection, event: Event, profile: dict) -> None:
    member_id, sequence = event.data["member_id"], event.data["sequence"]
    current = conn.execute(select(listed_volunteers.c.partner, listed_volunteers.c.sequence,
                                  listed_volunteers.c.erased).where(listed_volunteers.c.id == member_id)).first()
    if current is None:
        conn.execute(insert(listed_volunteers).values(id=member_id, partner=event.partner, sequence=sequence,
                                                       erased=False, **profile))
    elif current.partner != event.partner:
        log.warning("ignored %s: %s may not change %s's member %s", event.id, event.partner, current.partner, member_id)
    elif current.sequence < sequence and not current.erased:
        conn.execute(update(listed_volunteers).where(listed_volunteers.c.id == member_id)
                     .values(sequence=sequence, **profile))
