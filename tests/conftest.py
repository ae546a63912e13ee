"""Fixtures shared by the suite: a real nats-server, real databases (SQLite always, PostgreSQL when
SAMEN030_TEST_POSTGRES_URL is set or a Docker engine can start one), and partner apps."""
import os
import signal
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

# Every partner signs with its own key: the suite keeps its partners' keys in a folder of its own,
# which the processes it starts (samen030 run, workers) inherit.
os.environ.setdefault("SAMEN030_KEYS", tempfile.mkdtemp(prefix="samen030-test-keys-"))

from samen030.kernel import keys  # noqa: E402
from samen030.kernel.auth import issue_token  # noqa: E402
from samen030.kernel.natsserver import (credentials_url, free_port, local_passwords, nats_server_binary,  # noqa: E402
                                       wait_for_port, write_config)


class NatsServer:
    """A nats-server this test owns: it may kill and restart it. With `partners`, the federation's
    users and permissions as `samen030 run` configures them (`url_as(user)` connects as one)."""

    def __init__(self, workdir: Path, partners: list[str] | None = None):
        self.port, self.workdir, self.proc = free_port(), workdir, None
        self.url = f"nats://127.0.0.1:{self.port}"
        passwords = local_passwords(workdir, partners) if partners else None
        self.config = write_config(workdir / "nats.conf", self.port, workdir / "jetstream", passwords=passwords)

    def url_as(self, user: str) -> str:
        return credentials_url(self.url, user, self.workdir)

    def start(self):
        self.proc = subprocess.Popen([nats_server_binary(), "-c", str(self.config)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, self.proc)
        return self

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def _docker_available() -> bool:
    try:
        import docker
        docker.from_env().ping()
        return True
    except Exception:
        return False


@pytest.fixture
def own_nats(tmp_path):
    server = NatsServer(tmp_path / "nats").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory):
    """NATS_URL wins; else testcontainers where Docker runs; else nats-server from the wheel."""
    if url := os.environ.get("NATS_URL"):
        yield url
    elif _docker_available():
        from testcontainers.nats import NatsContainer
        with NatsContainer(jetstream=True) as container:
            yield container.nats_uri()
    else:
        server = NatsServer(tmp_path_factory.mktemp("nats")).start()
        yield server.url
        server.stop()


def _postgres_url():
    return os.environ.get("SAMEN030_TEST_POSTGRES_URL")


@pytest.fixture(scope="session")
def postgres_url():
    if url := _postgres_url():
        yield url
    elif _docker_available():
        from testcontainers.postgres import PostgresContainer
        with PostgresContainer("postgres:16", driver="psycopg") as container:
            yield container.get_connection_url()
    else:
        pytest.skip("PostgreSQL: set SAMEN030_TEST_POSTGRES_URL (or run a Docker engine)")


class Databases:
    """Hands out a fresh database per partner service: a SQLite file, or a PostgreSQL schema."""

    def __init__(self, kind: str, tmp_path: Path, postgres_url: str | None):
        self.kind, self.tmp_path, self.postgres_url = kind, tmp_path, postgres_url
        self.prefix = f"t{uuid.uuid4().hex[:10]}"
        self.opened = []

    def url(self, partner: str, service: str) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.tmp_path / 'db' / partner / f'{service}.sqlite'}"
        return self.postgres_url

    def schema(self, partner: str, service: str) -> str | None:
        return f"{self.prefix}_{partner}_{service}" if self.kind == "postgresql" else None

    def env(self) -> dict:
        """Environment for subprocesses: the same databases as url()/schema() give."""
        if self.kind == "sqlite":
            return {"DATABASE_URL": f"sqlite:///{self.tmp_path / 'db'}/{{partner}}/{{service}}.sqlite"}
        return {"DATABASE_URL": self.postgres_url, "DATABASE_SCHEMA": f"{self.prefix}_{{partner}}_{{service}}"}

    def open(self, partner, service, metadata):
        from samen030.kernel.database import open_database
        db = open_database(partner, service, metadata, self.url(partner, service), self.schema(partner, service))
        self.opened.append(db)
        return db

    def cleanup(self):
        if self.kind == "postgresql":
            from sqlalchemy import create_engine, text
            engine = create_engine(self.postgres_url)
            with engine.begin() as conn:
                schemas = conn.execute(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :p"),
                                       {"p": f"{self.prefix}%"}).scalars().all()
                for schema in schemas:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            engine.dispose()
        for db in self.opened:
            db.engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def databases(request, tmp_path):
    pg = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    dbs = Databases(request.param, tmp_path, pg)
    yield dbs
    dbs.cleanup()


@pytest.fixture
def directory_app(databases, monkeypatch):
    """Factory: the directory service app of a partner, on this test's database."""
    from samen030.directory.app import create_app

    def make(partner="krachtstation"):
        url, schema = databases.url(partner, "directory"), databases.schema(partner, "directory")
        if schema:
            monkeypatch.setenv("DATABASE_SCHEMA", schema)
        app = create_app(partner, url, {"TESTING": True})
        databases.opened.append(app.extensions["samen030.db"])
        return app
    return make


def auth(partner="krachtstation", role="coordinator", user="tester") -> dict:
    """A user's token signed with the partner's own key (made for the suite when it has none yet)."""
    keys.create(partner)
    return {"Authorization": f"Bearer {issue_token(partner, role, user)}"}


@pytest.fixture(scope="session", autouse=True)
def partner_keys():
    """A key for each partner of the shipped federation file and of the tests' cities."""
    from samen030.kernel.config import REPO_ROOT, load_federation
    for partner in [*load_federation(REPO_ROOT / "deploy" / "federation.toml").partners, "testpartner"]:
        keys.create(partner)


@pytest.fixture
def auth_header():
    return auth


def pytest_report_header(config):
    pg = _postgres_url() or ("via testcontainers" if _docker_available() else "not configured: skipped")
    return [f"nats-server: {os.environ.get('NATS_URL') or nats_server_binary()}",
            f"PostgreSQL: {pg}"]
