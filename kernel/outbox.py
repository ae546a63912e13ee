"""Transactional outbox: an event is a row written in the same transaction as the state change."""
from datetime import datetime, timezone

from sqlalchemy import (BigInteger, Column, Index, Integer, LargeBinary, MetaData, String,
                        Table, delete, func, insert, select, update)
from sqlalchemy.engine import Connection

from .database import UTCDateTime
from .events import Event

SeqType = BigInteger().with_variant(Integer, "sqlite")


def outbox_table(metadata: MetaData) -> Table:
    table = Table(
        "outbox", metadata,
        Column("seq", SeqType, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("nats_subject", String(200), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("published_at", UTCDateTime),
    )
    Index("outbox_unpublished", table.c.seq, sqlite_where=table.c.published_at.is_(None),
          postgresql_where=table.c.published_at.is_(None))
    return table


def record(conn: Connection, outbox: Table, event: Event) -> None:
    conn.execute(insert(outbox), {"event_id": event.id, "nats_subject": event.nats_subject,
                                  "payload": event.to_json(), "created_at": event.time})


def unpublished(conn: Connection, outbox: Table, limit: int) -> list:
    query = (select(outbox.c.seq, outbox.c.event_id, outbox.c.nats_subject, outbox.c.payload, outbox.c.created_at)
             .where(outbox.c.published_at.is_(None)).order_by(outbox.c.seq).limit(limit))
    return list(conn.execute(query))


def backlog(conn: Connection, outbox: Table) -> tuple[int, datetime | None]:
    """How many rows wait to be published, and when the oldest of them was written."""
    waiting = outbox.c.published_at.is_(None)
    count = conn.execute(select(func.count()).select_from(outbox).where(waiting)).scalar_one()
    oldest = conn.execute(select(outbox.c.created_at).where(waiting).order_by(outbox.c.seq).limit(1)).scalar()
    return count, oldest


def mark_published(conn: Connection, outbox: Table, seqs: list[int]) -> None:
    now = datetime.now(timezone.utc)
    for start in range(0, len(seqs), 500):
        conn.execute(update(outbox).where(outbox.c.seq.in_(seqs[start:start + 500])).values(published_at=now))


def prune(conn: Connection, outbox: Table, before: datetime, limit: int = 5000) -> int:
    """Delete up to `limit` rows published before `before`; how many went. Unpublished rows stay."""
    old = (select(outbox.c.seq).where(outbox.c.published_at.is_not(None), outbox.c.published_at < before)
           .order_by(outbox.c.seq).limit(limit))
    seqs = list(conn.execute(old).scalars())
    for start in range(0, len(seqs), 500):
        conn.execute(delete(outbox).where(outbox.c.seq.in_(seqs[start:start + 500])))
    return len(seqs)
