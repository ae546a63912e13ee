"""A partner's event names who referred to it (`referred_by`), but only the referring partner's own
`referral.sent` proves that it did: the notifier tells nobody about a referral until that is recorded,
and keeps what comes before it waiting rather than dropping it. Real nats-server, SMTP sink and webhook
receiver, on SQLite and PostgreSQL."""
import json
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select, update

from tests.notifier_events import overdue, referral_outcome, referral_received, referral_sent
from tests.notifier_world import A, B, C, publish, republish, world  # noqa: F401 (world: a fixture)

NEW_FROM_A = "Nieuwe doorverwijzing van Stichting Wijkinformatiepunt Utrecht"
NEW_FROM_C = "Nieuwe doorverwijzing van Power by Peers"
ACCEPTED_BY_B = "Zorgbelang Gelderland / Utrecht heeft uw doorverwijzing aangenomen"
DECLINED_BY_B = "Zorgbelang Gelderland / Utrecht heeft uw doorverwijzing afgewezen"


def test_an_answer_naming_a_partner_that_never_referred_tells_that_partner_nothing(world):
    forged = referral_received(B, A)  # A never sent this referral
    c_referral = referral_received(B, C)  # C's real referral to B …
    answered_for_a = referral_outcome(c_referral, True, referred_by=A)  # … answered as if A had sent it
    real = referral_received(B, A)  # and one A did send, in the usual order
    events = [referral_sent(C, c_referral), referral_sent(A, real), forged, referral_outcome(forged, True),
              c_referral, answered_for_a, real, referral_outcome(real, False)]
    publish(world.nats_url, *events)
    world.run(lambda: world.applied() == len(events) and world.count(status="pending") == 0)

    assert [m["To"] for m in world.mails(DECLINED_BY_B)] == ["coordinatoren@wip.samen030.test"]
    assert world.mails(ACCEPTED_BY_B) == []  # neither the forged referral's answer nor C's answered as A's
    [to_b] = world.mails(NEW_FROM_A)  # the forged one does not claim A referred either
    assert f"/requests/{real.data['request_id']}" in to_b.get_content()
    assert len(world.mails(NEW_FROM_C)) == 1 and len(world.sink.received) == 3
    assert [json.loads(c["body"])["kind"] for c in world.hooks.to("/wip")] == ["referral_declined"]
    assert world.count(partner=A) == 2 and world.count() == 6  # A: its mail and webhook; B: two of each


def test_an_answer_that_comes_before_the_referral_is_told_once_the_referral_is_recorded(world):
    a_request = str(uuid.uuid4())
    received = referral_received(B, A)
    accepted = referral_outcome(received, True)
    publish(world.nats_url, received, accepted)  # B's stream is read before A's referral is on A's
    world.run(lambda: world.applied() == 2)
    assert world.count() == 0  # not told yet, nor dropped:

    republish(world.nats_url, accepted)  # redelivered while it waits
    sent = referral_sent(A, received, a_request)
    publish(world.nats_url, sent)
    world.run(lambda: world.count(status="sent") == 4)  # B's and A's mail and webhook
    [to_a] = world.mails(ACCEPTED_BY_B)
    assert to_a["To"] == "coordinatoren@wip.samen030.test"
    assert f"{world.federation.partner(A).url('requests')}/requests/{a_request}" in to_a.get_content()
    assert [m["To"] for m in world.mails(NEW_FROM_A)] == ["coordinatoren@zb.samen030.test"]

    republish(world.nats_url, received, accepted, sent)  # everything once more, after it was told
    publish(world.nats_url, overdue(A), overdue(B))  # behind them on both streams
    world.run(lambda: world.count(kind="overdue", status="sent") == 4)
    assert len(world.mails(ACCEPTED_BY_B)) == len(world.mails(NEW_FROM_A)) == 1
    assert len(world.hooks.to("/wip")) == len(world.hooks.to("/zb")) == 2  # an answer and a reminder each
    assert world.count() == 8


def test_what_waits_30_days_for_its_referral_is_dropped_by_the_notifier(world):
    from samen030.notifier.tables import awaiting_referral
    old, recent = referral_received(B, A), referral_received(B, A)  # A never sends either
    publish(world.nats_url, old, recent)
    world.run(lambda: world.applied() == 2)
    with world.db.begin() as conn:
        assert conn.execute(select(func.count()).select_from(awaiting_referral)).scalar() == 2
        conn.execute(update(awaiting_referral).where(awaiting_referral.c.event_id == old.id).values(
            waiting_since=datetime.now(timezone.utc) - timedelta(days=30, minutes=1)))
        conn.execute(update(awaiting_referral).where(awaiting_referral.c.event_id == recent.id).values(
            waiting_since=datetime.now(timezone.utc) - timedelta(days=29, hours=23)))

    def waiting() -> list[str]:
        with world.db.connect() as conn:
            return conn.execute(select(awaiting_referral.c.event_id)).scalars().all()
    world.run(lambda: waiting() == [recent.id])  # on start, then every hour
    publish(world.nats_url, referral_sent(A, old), referral_sent(A, recent))
    world.run(lambda: world.count(status="sent") == 2)
    assert [m.get_content().count(recent.data["request_id"]) > 0 for m in world.mails(NEW_FROM_A)] == [True]
