"""After an erasure the old values must leave the files, not only the rows. SQLite keeps overwritten
values in freed page space and in the WAL: every connection runs with `PRAGMA secure_delete=ON`
(database.py), which zeroes what a change frees, and `scrub` checkpoints the WAL into the database and
truncates it. PostgreSQL keeps the old row versions as dead tuples until VACUUM: `scrub` vacuums the
tables the erasure touched (cheap: only pages with dead tuples are visited). What neither can reach:
backups, and on PostgreSQL its WAL segments until they are recycled and bytes in pages not yet reused."""
import logging
import time

from sqlalchemy import Table

from .database import Database

log = logging.getLogger(__name__)


def scrub(db: Database, tables: list[Table]) -> None:
    """Make the erased values unreachable in the database's files (call after the erasure committed)."""
    try:
        if db.is_sqlite:
            _checkpoint(db)
        else:
            _vacuum(db, tables)
    except Exception:  # the erasure itself is done; the next scrub or checkpoint finishes this
        log.exception("scrubbing %s after an erasure failed", db.url.split("@")[-1])


def _checkpoint(db: Database, attempts: int = 20) -> None:
    with db.engine.connect() as conn:
        for _ in range(attempts):
            busy, _log_pages, _moved = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            if not busy:
                return
            time.sleep(0.05)  # a reader still holds an older snapshot
    log.warning("WAL of %s not fully checkpointed after an erasure; the next checkpoint does it", db.url)


def _vacuum(db: Database, tables: list[Table]) -> None:
    prefix = f'"{db.schema}".' if db.schema else ""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            conn.exec_driver_sql(f'VACUUM {prefix}"{table.name}"')
