"""The notifier against a real nats-server, a real SMTP server (its own sink), a real HTTP webhook
receiver, on SQLite and PostgreSQL: who gets which mail, signed webhooks, retries with backoff, failures
kept, and no notification lost or doubled across restarts, crashes and duplicated events."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import nats
import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from samen030.kernel.bus import ensure_stream, stream_name
from samen030.kernel.config import load_federation
from samen030.kernel.consumer import consume
from samen030.kernel.natsserver import free_port
from samen030.notifier.commands import format_deliveries, list_deliveries, retry_deliveries
from samen030.notifier.sender import Policy
from samen030.notifier.smtp_sink import start_smtp_sink
from samen030.notifier.subscriber import DURABLE, Notifier, NotifierProjection
from samen030.notifier.tables import deliveries, metadata
from samen030.notifier.webhooks import verify, webhook_secret
from samen030.notifier.worker import serve
from tests.federation import eventually
from tests.notifier_events import (intake_received, overdue, referral_outcome, referral_received,
                                   referral_sent)
from tests.pipeline import publish_raw, run_async, run_until

A, B, C = "wijkinformatiepunt", "zorgbelang", "powerbypeers"  # C has neither addresses nor a webhook
FAST = Policy(first_retry=0.2, max_retry=5, max_attempts=4, lease=30, poll=0.05)


class Hooks:
    """A webhook receiver on a free port: answers each path from a plan of status codes, then 200."""

    def __init__(self):
        self.calls, self.plans, self.always = [], {}, {}
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def app(self, environ, start_response):
        request = Request(environ)
        plan = self.plans.setdefault(request.path, [])
        status = plan.pop(0) if plan else self.always.get(request.path, 200)
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

    def mails(self, subject_start: str = "") -> list:
        return [m for m in list(self.sink.received) if m["Subject"].startswith(subject_start)]


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


def consumer_state(nats_url: str, partner: str):
    async def go():
        nc = await nats.connect(nats_url)
        try:
            return await nc.jetstream().consumer_info(stream_name(partner), DURABLE)
        finally:
            await nc.close()
    return run_async(go())


def test_referrals_their_outcomes_and_reminders_reach_the_right_coordinators(world):
    a_request = str(uuid.uuid4())
    arrived = referral_received(B, A)
    declined_one = referral_received(B, A)
    # A's referral is seen before B answers it (streams are consumed side by side, in no set order)
    publish(world.nats_url, referral_sent(A, arrived, a_request), arrived)
    world.run(lambda: world.count(status="sent") == 2)
    publish(world.nats_url, referral_outcome(arrived, True), declined_one, referral_outcome(declined_one, False),
            overdue(B), intake_received(B), referral_received(C, B), overdue(C))  # C has nobody to tell
    world.run(lambda: world.count(status="sent") == 10)

    b_requests = world.federation.partner(B).url("requests")
    [first, second] = world.mails("Nieuwe doorverwijzing van Stichting Wijkinformatiepunt Utrecht")
    assert first["To"] == "coordinatoren@zb.samen030.test"
    body = first.get_content()
    assert f"{b_requests}/requests/{arrived.data['request_id']}" in body
    assert "Praktische hulp" in body and "Kanaleneiland-Noord" in body and "hoog" in body
    assert "uiterlijk dinsdag 3 december 2024 om 14:30" in body
    assert f"/requests/{declined_one.data['request_id']}" in second.get_content()
    [accepted] = world.mails("Zorgbelang Gelderland / Utrecht heeft uw doorverwijzing aangenomen")
    assert accepted["To"] == "coordinatoren@wip.samen030.test"
    assert f"{world.federation.partner(A).url('requests')}/requests/{a_request}" in accepted.get_content()
    [declined] = world.mails("Zorgbelang Gelderland / Utrecht heeft uw doorverwijzing afgewezen")
    assert declined["To"] == "coordinatoren@wip.samen030.test"
    [reminder] = world.mails("Herinnering: eerste contact is over tijd")
    assert reminder["To"] == "coordinatoren@zb.samen030.test"
    assert len(world.sink.received) == 5 and len(list((world.tmp_path / "mail").glob("*.eml"))) == 5

    # webhooks: signed with the partner's secret, which a wrong secret does not verify
    assert len(world.hooks.to("/zb")) == 3 and len(world.hooks.to("/wip")) == 2
    for call in world.hooks.calls:
        partner = B if call["path"] == "/zb" else A
        payload = json.loads(call["body"])
        assert verify(call["body"], call["headers"]["X-Samen030-Signature"], webhook_secret(partner))
        assert not verify(call["body"], call["headers"]["X-Samen030-Signature"], webhook_secret(C))
        assert not verify(call["body"], call["headers"]["X-Samen030-Signature"], "not-the-secret")
        assert payload["delivery_id"] == call["headers"]["X-Samen030-Delivery"]
        assert payload["event_id"] == call["headers"]["X-Samen030-Event"] and payload["partner"] == partner
    assert {json.loads(c["body"])["kind"] for c in world.hooks.to("/wip")} == {"referral_accepted", "referral_declined"}

    assert world.count(partner=C) == 0 and world.count() == 10  # nobody at C, nothing for the intake
    for partner in (A, B, C):  # every event acked, the ignored ones too
        info = consumer_state(world.nats_url, partner)
        assert info.num_pending == 0 and info.num_ack_pending == 0


def test_a_failing_webhook_is_retried_with_backoff_and_one_that_keeps_failing_is_kept(world):
    world.hooks.plans["/zb"] = [500, 500]  # down twice, then up
    world.hooks.always["/wip"] = 503  # never up
    arrived = referral_received(B, A)
    publish(world.nats_url, arrived, referral_outcome(arrived, True))
    world.run(lambda: world.count(channel="webhook", status="sent") == 1
              and world.count(channel="webhook", status="failed") == 1)

    calls = world.hooks.to("/zb")
    assert [c["status"] for c in calls] == [500, 500, 200]  # delivered once
    assert len({(c["body"], c["headers"]["X-Samen030-Signature"], c["headers"]["X-Samen030-Delivery"])
                for c in calls}) == 1  # every attempt the same signed body
    gaps = [b["at"] - a["at"] for a, b in zip(calls, calls[1:])]
    assert gaps[0] >= 0.2 and gaps[1] >= 0.4, gaps  # 0.2 s, then doubled
    assert len(world.hooks.to("/wip")) == FAST.max_attempts
    assert len(world.mails()) == 2  # the mails went regardless

    [failed] = list_deliveries("failed", db=world.db)
    assert failed["recipient"] == f"{world.hooks.url}/wip" and failed["attempts"] == FAST.max_attempts
    assert "HTTP 503" in failed["last_error"]
    assert "HTTP 503" in format_deliveries([failed]) and failed["id"] in format_deliveries([failed])
    assert retry_deliveries([failed["id"]], db=world.db) == 1
    [again] = list_deliveries("pending", db=world.db)
    assert again["id"] == failed["id"] and again["attempts"] == 0
    world.hooks.always["/wip"] = 200
    world.run(lambda: world.count(status="sent") == 4)
    assert world.hooks.to("/wip")[-1]["status"] == 200


def test_restarts_and_duplicates_lose_nothing_and_double_nothing(world):
    first = [referral_received(B, A) for _ in range(3)]
    publish(world.nats_url, *first)
    world.run(lambda: world.count(status="sent") == 6)  # 3 mails, 3 webhooks; then stopped

    # stopped: more events come, one of them twice, and one old one again (a republish after the
    # broker's duplicate window: same event id, new message id)
    later = [referral_received(B, A) for _ in range(3)]
    publish(world.nats_url, *later, later[0])
    run_async(publish_raw(world.nats_url, first[1].nats_subject, first[1].to_json(), str(uuid.uuid4())))

    # a consumer that dies after committing deliveries, before any was sent
    async def consumer_only(stop):
        projection = NotifierProjection(world.db, Notifier(world.federation))
        await consume(projection, world.nats_url, list(world.federation.partners), stop)
    run_async(run_until(consumer_only, lambda: world.count(status="pending") == 6))
    assert len(world.sink.received) == 3

    world.run(lambda: world.count(status="sent") == 12)
    time.sleep(0.3)
    ids = world.sink.message_ids()
    assert len(ids) == len(set(ids)) == 6
    assert len(world.hooks.calls) == len({c["headers"]["X-Samen030-Delivery"] for c in world.hooks.calls}) == 6


def test_a_killed_notifier_process_loses_nothing(world):
    """SIGKILL mid-way: every mail still arrives; a repeat can only be a mail sent in the instant
    before the kill, and it carries the same Message-ID."""
    env = {**os.environ, **world.databases.env(), "SAMEN030_NOTIFY_POLL": "0.05",
           "SAMEN030_NOTIFY_LEASE": "1", "SAMEN030_VAR": str(world.tmp_path / "var")}
    code = "from samen030.notifier.commands import run_notifier; run_notifier()"
    events = [referral_received(B, A) for _ in range(30)]
    publish(world.nats_url, *events)
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL,
                            stderr=open(world.tmp_path / "notifier.log", "ab"))
    try:
        eventually(lambda: len(world.sink.received) >= 5, timeout=20, interval=0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        killed_at = len(world.sink.received)
        proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL,
                                stderr=open(world.tmp_path / "notifier.log", "ab"))
        eventually(lambda: world.count(status="sent") == 60, timeout=20)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    ids = world.sink.message_ids()
    print(f'killed after {killed_at} mails; {len(ids)} mails, {len(set(ids))} distinct')
    assert len(set(ids)) == 30 and killed_at < 30
    assert len(ids) - len(set(ids)) <= FAST.concurrency  # at most the sends in flight at the kill
