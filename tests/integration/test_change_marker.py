"""The change marker an idle relay reads instead of querying its outbox: on SQLite it moves with every
commit of any other connection and stays put otherwise; PostgreSQL has none (the relay queries)."""
from datetime import datetime, timezone

from sqlalchemy import insert, select

from samen030.directory.tables import metadata, outbox


def test_the_marker_moves_with_every_commit_and_only_then(databases):
    db = databases.open("krachtstation", "directory", metadata)
    first = db.change_marker()
    if not db.is_sqlite:
        assert first is None
        return
    with db.connect() as conn:
        conn.execute(select(outbox.c.seq)).all()  # reading changes nothing
    assert db.change_marker() == first
    with db.begin() as conn:
        conn.execute(insert(outbox), {"event_id": "e1", "nats_subject": "s", "payload": b"{}",
                                      "created_at": datetime.now(timezone.utc)})
    second = db.change_marker()
    assert second != first and db.change_marker() == second
