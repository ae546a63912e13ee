"""Defect 2 of the review: one database error ended Relay.run() (and, through asyncio.gather, every relay of
the partner's process), and the relay's database calls ran on the event loop, so one relay waiting for a
lock held up all the others. Against real databases (SQLite and PostgreSQL) and a real nats-server."""
import asyncio
import logging
import sqlite3
import threading
import time

import nats
from sqlalchemy import create_engine, event, func, select, text

from samen030.directory import offers as directory
from samen030.directory.tables import metadata as directory_metadata, outbox
from samen030.kernel.bus import stream_name
from samen030.kernel.database import Database
from samen030.kernel.relay import Relay
from tests.pipeline import run_async, running, until

OFFER = {"name": "Inloop", "category": "informatie", "buurt": "BU03440832", "status": "active"}
LOCKED, FREE = "krachtstation", "zorgbelang"


class Lock:
    """Another connection holding the database up: the write lock of a SQLite file (BEGIN EXCLUSIVE), or
    an ACCESS EXCLUSIVE lock on the outbox on PostgreSQL (which stops reads too). Let go by release(),
    or after `at_most` seconds from a thread of its own, so an event loop stuck behind it ends."""

    def __init__(self, db: Database, schema: str | None, at_most: float = 20.0):
        self.db, self.released = db, threading.Event()
        if db.is_sqlite:
            self.conn = sqlite3.connect(db.file, isolation_level=None, check_same_thread=False)
            self.conn.execute("BEGIN EXCLUSIVE")
        else:
            self.engine = create_engine(db.url)
            self.conn = self.engine.connect()
            self.conn.execute(text(f'LOCK TABLE "{schema}".outbox IN ACCESS EXCLUSIVE MODE'))
        self.timer = threading.Timer(at_most, self.release)
        self.timer.start()

    def release(self) -> None:
        if not self.released.is_set():
            self.released.set()
            self.conn.rollback()
            self.conn.close()
            self.timer.cancel()

    def someone_waits(self) -> bool:
        """PostgreSQL: a lock on the outbox is asked for and not granted."""
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar() > 0


def impatient(databases, partner: str) -> Database:
    """The partner's directory database, waiting 0.3 s for a lock instead of 30 s (SQLite busy_timeout,
    PostgreSQL lock_timeout), so that a lock outlasting the wait is quick to test."""
    db = Database(databases.url(partner, "directory"), directory_metadata, databases.schema(partner, "directory"))

    def wait_less(dbapi_conn, _record):
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA busy_timeout = 300" if db.is_sqlite else "SET lock_timeout = '300ms'")
        cursor.close()
        if not db.is_sqlite:
            dbapi_conn.commit()
    event.listen(db.engine.pool, "connect", wait_less)
    db.create_tables()
    databases.opened.append(db)
    return db


def create_offers(db, partner: str, count: int) -> None:
    for i in range(count):
        directory.create_offer(db, partner, {**OFFER, "name": f"Inloop {i}"}, "t")


def published(db) -> int:
    with db.connect() as conn:
        return conn.execute(select(func.count()).select_from(outbox).where(outbox.c.published_at.is_not(None))).scalar()


async def stored(nc, partner: str) -> int:
    try:
        return (await nc.jetstream().stream_info(stream_name(partner))).state.messages
    except nats.js.errors.NotFoundError:
        return 0


def test_a_relay_outlives_a_locked_database(databases, own_nats, caplog):
    db = impatient(databases, LOCKED)
    create_offers(db, LOCKED, 3)

    async def go():
        lock = Lock(db, databases.schema(LOCKED, "directory"))
        relay = Relay(db, outbox, LOCKED, "directory", own_nats.url)
        async with running(relay.run) as task:
            def refused():
                """the lock outlasted the relay's wait: the database refused it (and it goes on)"""
                return any(r.levelno == logging.ERROR and "OperationalError" in r.getMessage() for r in caplog.records)
            await until(refused, watch=task)
            lock.release()
            await until(lambda: published(db) == 3, watch=task)
        nc = await nats.connect(own_nats.url)
        assert await stored(nc, LOCKED) == 3
        await nc.close()
    with caplog.at_level(logging.INFO):
        run_async(go())


def test_a_locked_database_holds_up_no_other_relay(databases, own_nats, monkeypatch):
    monkeypatch.setenv("SAMEN030_OUTBOX_KEEP_DAYS", "0")  # no prune first: the relay goes straight to the outbox
    locked_db = databases.open(LOCKED, "directory", directory_metadata)  # the usual lock wait of 30 s
    free_db = databases.open(FREE, "directory", directory_metadata)
    create_offers(locked_db, LOCKED, 1)
    relays = [Relay(locked_db, outbox, LOCKED, "directory", own_nats.url),
              Relay(free_db, outbox, FREE, "directory", own_nats.url)]

    async def both(stop):
        await asyncio.gather(*(relay.run(stop) for relay in relays))

    async def go():
        nc = await nats.connect(own_nats.url)
        lock = Lock(locked_db, databases.schema(LOCKED, "directory"))
        try:
            async with running(both) as task:
                if locked_db.is_sqlite:  # it read and published the row, and waits to mark it published
                    await until(lambda: stored(nc, LOCKED), watch=task)
                else:  # it waits to read the outbox
                    await until(lock.someone_waits, watch=task)
                create_offers(free_db, FREE, 5)
                started = time.monotonic()

                async def all_five():
                    return await stored(nc, FREE) == 5
                await until(all_five, timeout=25, watch=task)
                took = time.monotonic() - started
                assert not lock.released.is_set(), f"the other relay's events came only after the lock ({took:.1f} s)"
                print(f"\n{databases.kind}: 5 events of the other relay in its stream {took * 1000:.0f} ms after "
                      "they were written, while the first relay waited for its database")
                lock.release()
                await until(lambda: published(locked_db) == 1 and published(free_db) == 5, watch=task)
        finally:
            lock.release()
            await nc.close()
    run_async(go())

