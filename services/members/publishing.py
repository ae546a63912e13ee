"""What this service puts of its members on the shared bus, and when (AVG: a pseudonymous profile is
personal data).

- A volunteer's anonymous profile (buurt, wijk, skills, languages, availability) only while they agree to
  be suggested (consent `volunteer_suggestions` in force) and can be: a volunteer (`vrijwilliger`), not
  departed, not erased, living in a buurt of Utrecht. `member.listed` when the profile appears or changes,
  `member.unlisted` when it ends (consent withdrawn, kind or status changed); an erasure says
  `member.erased` (personal_data.py). Nothing else about a member goes under their id.
- Every member counted per wijk (counting.py) in `counts.changed`, in the same transaction as each change
  that alters the counts.

Each such transaction first calls `begin_publishing`: transactions then publish one after another, and
`sequence` numbers their events in that order so the gateway keeps the latest whatever order they come in."""
from datetime import datetime, timezone

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from samen030.kernel import outbox as outbox_rows
from samen030.kernel.database import Database

from .counting import member_counts
from .events import counts_event, listed_event, unlisted_event
from .tables import consents, member_of, members, outbox, publishing

SUGGESTIONS = "volunteer_suggestions"
ROW = "bus"
NOTHING_COUNTED = {"members": [], "volunteer_capacity": []}


def begin_publishing(conn: Connection, partner: str) -> None:
    """Wait for the publishing transaction before this one to commit (a row lock on PostgreSQL; SQLite's
    write lock already queues writers), so that what this one reads, counts and numbers comes after it.
    A database this service never published from (new, or from a release that put every member on the bus)
    first publishes the profiles of its listed volunteers and its counts."""
    insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    first = conn.execute(insert(publishing).values(id=ROW, sequence=0, counts=NOTHING_COUNTED)
                         .on_conflict_do_nothing().returning(publishing.c.id)).first() is not None
    conn.execute(select(publishing.c.sequence).where(publishing.c.id == ROW).with_for_update())
    if first:
        query = (select(members).where(members.c.kind == "vrijwilliger", consenting(datetime.now(timezone.utc)))
                 .order_by(members.c.created_at, members.c.id))
        for member in [member_of(row) for row in conn.execute(query).mappings()]:
            publish_listing(conn, partner, None, listing_of(conn, member))
        publish_counts(conn, partner)


def catch_up(db: Database, partner: str) -> None:
    """On start: publish what a database of an earlier release has not published yet (a no-op after)."""
    with db.begin() as conn:
        begin_publishing(conn, partner)


def consenting(now: datetime):
    """The members whose consent to be suggested holds at `now`."""
    return _in_force(now, members.c.id)


def listing_of(conn: Connection, member: dict) -> dict | None:
    """The member's anonymous profile as the bus may carry it now, or None."""
    if (member["kind"] != "vrijwilliger" or member["membership_status"] == "opgezegd" or member["erased_at"]
            or not member.get("buurt")):
        return None
    if not conn.execute(select(_in_force(datetime.now(timezone.utc), member["id"]))).scalar():
        return None
    return {"member_id": member["id"], "buurt": member["buurt"], "wijk": member["wijk"],
            "skills": list(member.get("skills") or []), "languages": list(member.get("languages") or []),
            "availability": [{"byday": w["byday"], "from": w["from"], "until": w["until"]}
                             for w in member.get("availability") or []]}


def publish_listing(conn: Connection, partner: str, before: dict | None, after: dict | None) -> None:
    """The event that takes the bus from the listing `before` a change to the one `after` it, if any."""
    if after is not None and after != before:
        outbox_rows.record(conn, outbox, listed_event(partner, after, _next_sequence(conn)))
    elif after is None and before is not None:
        outbox_rows.record(conn, outbox, unlisted_event(partner, before["member_id"], _next_sequence(conn)))


def publish_counts(conn: Connection, partner: str) -> None:
    """The partner's counts, when they differ from the ones last published."""
    counts = member_counts(conn)
    if counts != conn.execute(select(publishing.c.counts).where(publishing.c.id == ROW)).scalar_one():
        sequence = _next_sequence(conn)
        conn.execute(update(publishing).where(publishing.c.id == ROW).values(counts=counts))
        outbox_rows.record(conn, outbox, counts_event(partner, counts, sequence))


def _next_sequence(conn: Connection) -> int:
    return conn.execute(update(publishing).where(publishing.c.id == ROW).values(sequence=publishing.c.sequence + 1)
                        .returning(publishing.c.sequence)).scalar_one()


def _in_force(now: datetime, member_id):
    c = consents.c
    return (select(c.id).where(c.member_id == member_id, c.purpose == SUGGESTIONS, c.given_at <= now,
                               or_(c.withdrawn_at.is_(None), c.withdrawn_at > now)).exists())
