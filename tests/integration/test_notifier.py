"""The notifier against a real nats-server, a real SMTP server (its own sink), a real HTTP webhook
receiver, on SQLite and PostgreSQL: who gets which mail, signed webhooks, retries with backoff, failures
kept, and no notification lost or doubled across restarts, crashes and duplicated events."""
import json
import os
import signal
import subprocess
import sys
import time
import uuid

from samen030.kernel.consumer import consume
from samen030.notifier.commands import format_deliveries, list_deliveries, retry_deliveries
from samen030.notifier.subscriber import Notifier, NotifierProjection
from samen030.notifier.webhooks import verify, webhook_secret
from tests.federation import eventually
from tests.notifier_events import (handover, intake_received, overdue, referral_outcome, referral_received,
                                   referral_sent)
from tests.notifier_world import A, B, C, FAST, consumer_state, publish, republish, world  # noqa: F401 (world: a fixture)
from tests.pipeline import run_async, run_until


def test_referrals_their_outcomes_and_reminders_reach_the_right_coordinators(world):
    a_request = str(uuid.uuid4())
    arrived = referral_received(B, A)
    declined_one = referral_received(B, A)
    # A's referral is seen before B answers it (streams are consumed side by side, in no set order)
    publish(world.nats_url, referral_sent(A, arrived, a_request), arrived)
    world.run(lambda: world.count(status="sent") == 2)
    to_c = referral_received(C, B)
    publish(world.nats_url, referral_sent(A, declined_one), referral_outcome(arrived, True), declined_one,
            referral_outcome(declined_one, False), overdue(B), intake_received(B), referral_sent(B, to_c), to_c,
            overdue(C))  # C has nobody to tell
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
        assert not verify(call["body"], call["headers"]["X-Samen030-Signature"], webhook_secret(A if partner == B else B))
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
    sent, arrived = handover(B, A)
    publish(world.nats_url, sent, arrived, referral_outcome(arrived, True))
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
    first = [handover(B, A) for _ in range(3)]
    publish(world.nats_url, *(e for pair in first for e in pair))
    world.run(lambda: world.count(status="sent") == 6)  # 3 mails, 3 webhooks; then stopped

    # stopped: more events come, one of them twice, and one old one again (a republish after the
    # broker's duplicate window: same event id, new message id)
    later = [handover(B, A) for _ in range(3)]
    publish(world.nats_url, *(e for pair in later for e in pair), later[0][1])
    republish(world.nats_url, *first[1])

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
    publish(world.nats_url, *(e for _ in range(30) for e in handover(B, A)))
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
