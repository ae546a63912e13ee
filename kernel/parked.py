"""The events a consumer parked (kernel/consumer.py), and applying them again through the same
projection from the stored message: one that applies (or had been applied meanwhile) leaves the list,
one that still fails stays, with its new error and one more attempt."""
from datetime import datetime, timezone

from sqlalchemy import delete, select, update

from .projection import FAILED, INVALID, Projection


def list_parked(projection: Projection, ids: list[str] | None = None) -> list[dict]:
    table = projection.parked
    query = select(table).where(table.c.consumer == projection.name).order_by(table.c.parked_at, table.c.event_id)
    if ids:
        query = query.where(table.c.event_id.in_(ids))
    with projection.db.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def retry_parked(projection: Projection, ids: list[str] | None = None) -> tuple[int, int]:
    """Apply the parked events (those named, or all) again, one at a time; (applied, still failing)."""
    table, applied, failing = projection.parked, 0, 0
    for row in list_parked(projection, ids):
        [(outcome, failure)] = projection.apply_batch([(row["payload"].encode(), row["subject"])])
        key = (table.c.event_id == row["event_id"], table.c.consumer == projection.name)
        with projection.db.begin() as conn:
            if outcome in (FAILED, INVALID):
                error = failure.error if failure else "not a valid event (see the log)"
                conn.execute(update(table).where(*key).values(error=error, attempts=table.c.attempts + 1,
                                                              parked_at=datetime.now(timezone.utc)))
                failing += 1
            else:
                conn.execute(delete(table).where(*key))
                applied += 1
    return applied, failing


def format_parked(rows: list[dict]) -> str:
    """One block per parked event, for the terminal."""
    if not rows:
        return "no parked events"
    lines = []
    for row in rows:
        lines.append(f"{row['event_id']}  {row['consumer']}  from {row['partner']}  {row['subject']}")
        lines.append(f"    parked {row['parked_at']:%Y-%m-%d %H:%M:%S}Z after {row['attempts']} attempts")
        lines.append(f"    error: {row['error']}")
    return "\n".join(lines)
