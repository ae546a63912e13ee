"""Published outbox rows are pruned after SAMEN030_OUTBOX_KEEP_DAYS; unpublished ones never are."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, select

from samen030.directory.tables import metadata, outbox
from samen030.kernel.relay import Relay

NOW = datetime(2026, 11, 27, 12, tzinfo=timezone.utc)


def rows(db):
    with db.connect() as conn:
        return sorted(conn.execute(select(outbox.c.event_id)).scalars())


def test_old_published_rows_go_and_the_rest_stays(databases, monkeypatch):
    db = databases.open("krachtstation", "directory", metadata)
    with db.begin() as conn:
        for event_id, created_days_ago, published_days_ago in [
                ("old-published", 30, 30), ("old-unpublished", 30, None), ("recent-published", 2, 2), ("new", 0, None)]:
            conn.execute(insert(outbox), {
                "event_id": event_id, "nats_subject": "samen030.krachtstation.directory.offer.created", "payload": b"{}",
                "created_at": NOW - timedelta(days=created_days_ago),
                "published_at": None if published_days_ago is None else NOW - timedelta(days=published_days_ago)})
    relay = Relay(db, outbox, "krachtstation", "directory", "nats://127.0.0.1:1")
    monkeypatch.setenv("SAMEN030_OUTBOX_KEEP_DAYS", "0")
    assert relay.prune_published(NOW) == 0 and len(rows(db)) == 4  # 0: keep everything
    monkeypatch.setenv("SAMEN030_OUTBOX_KEEP_DAYS", "7")
    assert relay.prune_published(NOW) == 1
    assert rows(db) == ["new", "old-unpublished", "recent-published"]
    monkeypatch.setenv("SAMEN030_OUTBOX_KEEP_DAYS", "1")
    assert relay.prune_published(NOW) == 1 and rows(db) == ["new", "old-unpublished"]
