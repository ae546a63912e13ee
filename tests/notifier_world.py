"""The notifier's test world: a federation file of three partners (A and B with coordinators' addresses
and a webhook each, C with neither), a real nats-server, a real SMTP server (its own sink), a real HTTP
webhook receiver, and the notifier's database on SQLite or PostgreSQL."""
import json
import threading
import time
import uuid
from pathlib import Path

import nats
import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from samen030.kernel.bus import ensure_stream, stream_name
from samen030.kernel.config import load_federation
from samen030.kernel.natsserver import free_port
from samen030.notifier.sender import Policy
from samen030.notifier.smtp_sink import start_smtp_sink
from samen030.notifier.subscriber import DURABLE
from samen030.notifier.tables import applied_events, deliveries, metadata
from samen030.notifier.webhooks import verify
from samen030.notifier.worker import serve
from tests.pipeline import publish_raw, run_async, run_until

A, B, C = "wijkinformatiepunt", "zorgbelang", "powerbypeers"  # C has neither addresses nor a webhook
FAST = Policy(first_retry=0.2, max_retry=5, max_attempts=4, lease=30, poll=0.05)


class Hooks:
    """A webhook receiver on a free port: answers each path from a plan of status codes, then 200; a path
    given a secret in `secrets` answers 401 to a call whose signature that secret does not verify."""

    def __init__(self):
        self.calls, self.plans, self.always, self.secrets = [], {}, {}, {}
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def app(self, environ, start_response):
        request = Request(environ)
        plan = self.plans.setdefault(request.path, [])
        status = plan.pop(0) if plan else self.always.get(request.path, 200)
        if request.path in self.secrets and not verify(request.get_data(), request.headers.get("X-Samen030-Signature"),
                                                       self.secrets[request.path]):
            status = 401
        self.calls.append({"path": request.path, "headers": dict(request.headers), "body": request.get_data(),
                           "status": status, "at": time.monotonic()})
        return Response("ok" if status < 300 else "nope", status=status)(environ, start_response)

    def to(self, path: str) -> list[dict]:
        return [c for c in self.calls if c["path"] == path]


@pytest.fixture
def world(own_nats, databases, tmp_path, monkeypatch):
    hooks = Hooks()
    ports = {p: free_port() for p in (A, B)}
    path = tmp_path / "federation.toml"
    path.write_text(f"""
[federation]
nats_url = "{own_nats.url}"
[partners.{A}]
name = "Stichting Wijkinformatiepunt Utrecht"
services = {{ requests = "http://127.0.0.1:{ports[A]}" }}
notify = {{ email = ["coordinatoren@wip.samen030.test"], webhook = "{hooks.url}/wip" }}
[partners.{B}]
name = "Zorgbelang Gelderland / Utrecht"
services = {{ requests = "http://127.0.0.1:{ports[B]}" }}
notify = {{ email = ["coordinatoren@zb.samen030.test"], webhook = "{hooks.url}/zb" }}
[partners.{C}]
name = "Power by Peers"
services = {{ requests = "http://127.0.0.1:{free_port()}" }}
""")
    monkeypatch.setenv("SAMEN030_FEDERATION", str(path))
    monkeypatch.setenv("SAMEN030_KEYS", str(tmp_path / "keys"))
    write_webhook_secrets(tmp_path / "keys", {A: "secret-of-a-" + uuid.uuid4().hex, B: "secret-of-b-" + uuid.uuid4().hex})
    for partner in (A, B, C):
        monkeypatch.delenv(f"SAMEN030_{partner.upper()}_WEBHOOK_SECRET", raising=False)
    monkeypatch.setenv("NATS_URL", own_nats.url)
    smtp_port = free_port()
    monkeypatch.setenv("SAMEN030_SMTP_URL", f"smtp://127.0.0.1:{smtp_port}")
    controller, sink = start_smtp_sink(smtp_port, tmp_path / "mail")
    world = World(own_nats.url, load_federation(), databases.open("city", "notifier", metadata), sink, hooks,
                  databases, tmp_path)
    yield world
    controller.stop()
    hooks.server.shutdown()


class World:
    def __init__(self, nats_url, federation, db, sink, hooks, databases, tmp_path):
        self.nats_url, self.federation, self.db, self.sink, self.hooks = nats_url, federation, db, sink, hooks
        self.databases, self.tmp_path = databases, tmp_path

    def run(self, condition, timeout=20.0):
        run_async(run_until(lambda stop: serve(stop, federation=self.federation, nats_url=self.nats_url,
                                               db=self.db, policy=FAST, max_age=None), condition, timeout))

    def count(self, **where) -> int:
        with self.db.connect() as conn:
            return conn.execute(select(func.count()).select_from(deliveries).where(
                *(deliveries.c[k] == v for k, v in where.items()))).scalar()

    def applied(self) -> int:
        with self.db.connect() as conn:
            return conn.execute(select(func.count()).select_from(applied_events)).scalar()

    def mails(self, subject_start: str = "") -> list:
        return [m for m in list(self.sink.received) if m["Subject"].startswith(subject_start)]


def write_webhook_secrets(keys: Path, secrets: dict[str, str]) -> Path:
    """The notifier's file of webhook secrets, as `samen030 run` makes it."""
    keys.mkdir(mode=0o700, exist_ok=True)
    path = keys / "webhook-secrets.json"
    path.write_text(json.dumps(secrets))
    path.chmod(0o600)
    return path


def publish(nats_url: str, *events) -> None:
    async def go():
        nc = await nats.connect(nats_url)
        try:
            js = nc.jetstream()
            for partner in {e.partner for e in events}:
                await ensure_stream(js, partner)
            for event in events:
                await js.publish(event.nats_subject, event.to_json(), headers=event.headers(), timeout=5)
        finally:
            await nc.close()
    run_async(go())


def republish(nats_url: str, *events) -> None:
    """The same events again under new message ids: past the broker's duplicate window, as after a
    relay that published but crashed before it recorded that."""
    for event in events:
        run_async(publish_raw(nats_url, event.nats_subject, event.to_json(), str(uuid.uuid4())))


def consumer_state(nats_url: str, partner: str):
    async def go():
        nc = await nats.connect(nats_url)
        try:
            return await nc.jetstream().consumer_info(stream_name(partner), DURABLE)
        finally:
            await nc.close()
    return run_async(go())
