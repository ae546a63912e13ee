"""One database per service per partner: a SQLite file under var/ by default, PostgreSQL when
DATABASE_URL says so (each partner's service then lives in its own schema, `<partner>_<service>`)."""
import logging
import os
import sqlite3
import zlib
from contextlib import contextmanager
from datetime import timezone

from sqlalchemy import DateTime, MetaData, TypeDecorator, create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine

from .config import var_dir


def database_url(partner: str, service: str) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url.format(partner=partner, service=service)
    return f"sqlite:///{var_dir() / partner / f'{service}.sqlite'}"


class Database:
    """An engine bound to one service's tables; `begin()` is the unit of work."""

    def __init__(self, url: str, metadata: MetaData, schema: str | None = None):
        self.url = url
        self.metadata = metadata
        self.is_sqlite = url.startswith("sqlite")
        self.file, self._watcher = None, None
        self.committed: list = []  # called after each commit of begin(): a relay in this process wakes up
        if self.is_sqlite:
            path = url.split("///", 1)[1] if "///" in url else ""
            if path and path != ":memory:":
                self.file = os.path.abspath(path)
                os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
            self.schema = None
        else:
            engine = create_engine(url, pool_size=5, max_overflow=10, pool_pre_ping=True)
            self.schema = schema
            if schema:
                engine = engine.execution_options(schema_translate_map={None: schema})
        self.engine: Engine = engine

    def change_marker(self) -> int | None:
        """A number that changes whenever another connection commits to this SQLite file (PRAGMA
        data_version, on a connection of its own that never writes: no query planning, no disk read);
        None where there is no such thing (PostgreSQL, in-memory). Lets an idle poller skip its query
        while nothing was written."""
        if self.file is None:
            return None
        if self._watcher is None:
            self._watcher = sqlite3.connect(self.file, check_same_thread=False)
        return self._watcher.execute("PRAGMA data_version").fetchone()[0]

    def create_tables(self) -> None:
        """Create what is missing; safe when several processes start at once."""
        with self.begin() as conn:  # SQLite: BEGIN IMMEDIATE serialises concurrent starts
            if self.schema:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(self.schema.encode())})
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))
            self.metadata.create_all(conn)
            add_missing_columns(conn, self.metadata)

    def drop_schema(self) -> None:
        if self.schema:
            with self.engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))

    @contextmanager
    def begin(self):
        """A write transaction; on SQLite it takes the write lock up front so writers queue
        instead of failing halfway."""
        with self.engine.connect() as conn:
            if self.is_sqlite:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
        for listener in list(self.committed):
            try:
                listener()
            except Exception:  # committed is committed: a listener's trouble must not look like a failed write
                logging.getLogger(__name__).exception("a commit listener failed")

    def connect(self) -> Connection:
        return self.engine.connect()

    def dispose(self) -> None:
        self.engine.dispose(close=False)
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None


def chunks(values: list, size: int = 500) -> list[list]:
    """`values` in lists of at most `size`: as many as one `IN (…)` takes."""
    return [values[start:start + size] for start in range(0, len(values), size)]


def select_in(conn: Connection, query, column, values: list) -> list:
    """The rows of `query` whose `column` is one of `values`."""
    return [row for chunk in chunks(values) for row in conn.execute(query.where(column.in_(chunk)))]


def delete_in(conn: Connection, table, column, values: list) -> None:
    """Delete the rows of `table` whose `column` is one of `values`."""
    for chunk in chunks(values):
        conn.execute(table.delete().where(column.in_(chunk)))


def add_missing_columns(conn: Connection, metadata: MetaData) -> None:
    """Additive migration on start: columns added to a table since its database was made are added
    to it (nullable or with a default). Renames and removals would need Alembic; none so far."""
    inspector = inspect(conn)
    schema = conn.get_execution_options().get("schema_translate_map", {}).get(None)
    for table in metadata.sorted_tables:
        existing = {c["name"] for c in inspector.get_columns(table.name, schema=schema)}
        qualified = f'"{schema}"."{table.name}"' if schema else f'"{table.name}"'
        for column in table.columns:
            if column.name in existing:
                continue
            kind = column.type.compile(dialect=conn.dialect)
            default = column.default.arg if column.default is not None and column.default.is_scalar else None
            clause = f" DEFAULT {_literal(default)}" if default is not None else ""
            not_null = " NOT NULL" if not column.nullable and default is not None else ""
            conn.execute(text(f'ALTER TABLE {qualified} ADD COLUMN "{column.name}" {kind}{clause}{not_null}'))


def _literal(value) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def open_database(partner: str, service: str, metadata: MetaData, url: str | None = None,
                  schema: str | None = None) -> Database:
    url = url or database_url(partner, service)
    schema = schema or os.environ.get("DATABASE_SCHEMA", "{partner}_{service}").format(
        partner=partner, service=service)
    db = Database(url, metadata, schema)
    db.create_tables()
    return db


def _sqlite_pragmas(dbapi_conn, _record):
    dbapi_conn.isolation_level = None  # reads autocommit; Database.begin() opens write transactions
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA secure_delete=ON")  # what a change frees is zeroed: erased values leave the file (erasure.py)
    cur.close()



class UTCDateTime(TypeDecorator):
    """Timestamps stored as UTC and always read back timezone-aware, on SQLite as on PostgreSQL."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, _dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one")
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value, _dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value
