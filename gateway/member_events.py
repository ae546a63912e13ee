"""The members services' events in the read model: the profiles of volunteers who agreed to be suggested
(`member.listed` / `member.unlisted` / `member.erased`) and each partner's counts (`counts.changed`). Delivery
is at least once and in any order: the highest `sequence` wins, and an erasure is for good.

Events of the earlier release, which carried every member whatever their consent, are still read: their
member events only count (kind, wijk, status, skills), until the partner's first counts event removes
them; their consent events are not kept."""
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection

from samen030.kernel.database import select_in
from samen030.kernel.events import Event
from samen030.kernel.projection import together_with

from .readmodel import listed_volunteers, member_counts, members

log = logging.getLogger(__name__)
NO_PROFILE = {"listed": False, "buurt": None, "wijk": None, "skills": "", "languages": "", "availability": []}


def apply_listed(conn: Connection, event: Event) -> None:
    apply_member_events(conn, [event])


def apply_unlisted(conn: Connection, event: Event) -> None:
    apply_member_events(conn, [event])


def _listed_profile(event: Event) -> dict:
    data = event.data
    return {"listed": True, "buurt": data["buurt"], "wijk": data["wijk"], "skills": ",".join(data["skills"]),
            "languages": ",".join(data["languages"]), "availability": data["availability"]}


PROFILES = {"nl.samen030.members.member.listed.v1": _listed_profile,
            "nl.samen030.members.member.unlisted.v1": lambda _event: NO_PROFILE}


def apply_member_events(conn: Connection, events: list[Event]) -> None:
    """The members services' events, each in turn as one by one: listings and their ends written in
    bulk, and before an event of another kind."""
    profiles = _Profiles(conn, [event.data["member_id"] for event in events if event.type in PROFILES])
    for event in events:
        if (profile := PROFILES.get(event.type)) is not None:
            profiles.change(event, profile(event))
        else:
            profiles.write()
            OTHERS[event.type](conn, event)
            if event.type == ERASED:
                profiles.read_again(event.data["member_id"])
    profiles.write()


class _Profiles:
    """Listed volunteers as this batch leaves them, and what is still to be written of it."""

    def __init__(self, conn: Connection, ids: list[str]):
        self.conn, v = conn, listed_volunteers.c
        self.query = select(v.id, v.partner, v.sequence, v.erased)
        self.current = {row.id: row for row in select_in(conn, self.query, v.id, list(set(ids)))}
        self.inserts, self.updates = {}, {}

    def change(self, event: Event, profile: dict) -> None:
        member_id, sequence = event.data["member_id"], event.data["sequence"]
        current = self.current.get(member_id)
        if current is None:
            self.inserts[member_id] = {"id": member_id, "partner": event.partner, "sequence": sequence,
                                       "erased": False, **profile}
        elif current.partner != event.partner:
            log.warning("ignored %s: %s may not change %s's member %s", event.id, event.partner, current.partner,
                        member_id)
            return
        elif current.sequence < sequence and not current.erased:
            if member_id in self.inserts:
                self.inserts[member_id].update(sequence=sequence, **profile)
            else:
                self.updates[member_id] = {"sequence": sequence, **profile}
        else:
            return
        self.current[member_id] = _Seen(member_id, event.partner, sequence, False)

    def write(self) -> None:
        if self.inserts:
            self.conn.execute(insert(listed_volunteers), list(self.inserts.values()))
        if self.updates:
            self.conn.execute(update(listed_volunteers).where(listed_volunteers.c.id == bindparam("member_key")),
                              [{**row, "member_key": key} for key, row in self.updates.items()])
        self.inserts, self.updates = {}, {}

    def read_again(self, member_id: str) -> None:
        self.current.pop(member_id, None)
        if row := self.conn.execute(self.query.where(listed_volunteers.c.id == member_id)).first():
            self.current[member_id] = row


@dataclass(frozen=True)
class _Seen:
    id: str
    partner: str
    sequence: int
    erased: bool


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
        conn.execute(insert(member_counts), row)
        conn.execute(delete(members).where(members.c.partner == event.partner))
    elif current.sequence < row["sequence"]:
        conn.execute(update(member_counts).where(member_counts.c.partner == bindparam("counts_key")),
                     {**row, "counts_key": event.partner})


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


ERASED = "nl.samen030.members.member.erased.v1"
OTHERS = {ERASED: apply_erased,
          "nl.samen030.members.counts.changed.v1": apply_counts,
          "nl.samen030.members.member.registered.v1": apply_earlier_member,
          "nl.samen030.members.member.updated.v1": apply_earlier_member}
for _handler in (apply_listed, apply_unlisted, apply_erased, apply_counts, apply_earlier_member):
    together_with(apply_member_events)(_handler)
