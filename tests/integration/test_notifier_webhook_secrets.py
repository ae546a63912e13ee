"""Webhook secrets are each partner's own, never derived from a shared one: a webhook is signed with
its partner's secret only, and a partner without one gets no call at all, never an unsigned one. Real
nats-server, SMTP sink and HTTP receiver, on SQLite and PostgreSQL."""
import hashlib
import hmac
import json
import logging

from samen030.notifier.commands import list_deliveries, retry_deliveries
from tests.notifier_events import handover, referral_outcome
from tests.notifier_world import A, B, publish, world, write_webhook_secrets  # noqa: F401 (world: a fixture)


def test_a_partner_without_a_webhook_secret_gets_no_call_and_a_failed_delivery_saying_why(world, monkeypatch,
                                                                                           caplog):
    keys = world.tmp_path / "keys"
    write_webhook_secrets(keys, {A: "a-secret-of-a-s-own"})  # B has none
    monkeypatch.setenv("SAMEN030_SECRET", "the-federation-secret")  # which no webhook secret comes from
    sent, received = handover(B, A)
    publish(world.nats_url, sent, received, referral_outcome(received, False))
    with caplog.at_level(logging.WARNING, logger="samen030.notifier"):
        world.run(lambda: world.count(status="sent") == 3 and world.count(status="failed") == 1)

    assert world.hooks.to("/zb") == [] and len(world.hooks.to("/wip")) == 1
    assert len(world.mails()) == 2  # B's coordinators are mailed all the same
    [failed] = list_deliveries("failed", db=world.db)
    assert (failed["partner"], failed["channel"], failed["attempts"]) == (B, "webhook", 1)  # no use trying again
    assert "no webhook secret for zorgbelang" in failed["last_error"]
    assert "SAMEN030_ZORGBELANG_WEBHOOK_SECRET" in failed["last_error"]
    assert str(keys / "webhook-secrets.json") in failed["last_error"]
    [warning] = [r.getMessage() for r in caplog.records if r.name == "samen030.notifier.worker"]  # on start
    assert warning.startswith("no webhook secret for")
    assert B in warning and A not in warning

    write_webhook_secrets(keys, {A: "a-secret-of-a-s-own", B: "b-secret-of-b-s-own"})  # read on every call
    assert retry_deliveries([failed["id"]], db=world.db) == 1
    world.run(lambda: world.count(status="sent") == 4)
    assert len(world.hooks.to("/zb")) == 1


def test_a_webhook_verifies_with_its_partners_own_secret_and_no_other(world, monkeypatch):
    monkeypatch.setenv("SAMEN030_SECRET", "the-federation-secret")
    monkeypatch.setenv("SAMEN030_WIJKINFORMATIEPUNT_WEBHOOK_SECRET", "given-to-a-by-the-operator")
    write_webhook_secrets(world.tmp_path / "keys", {B: "made-for-b"})
    world.hooks.secrets = {"/wip": "given-to-a-by-the-operator", "/zb": "given-to-a-by-the-operator"}
    sent, received = handover(B, A)
    publish(world.nats_url, sent, received, referral_outcome(received, True))
    world.run(lambda: world.count(channel="webhook", status="sent") == 1
              and world.count(channel="webhook", status="failed") == 1)
    assert [c["status"] for c in world.hooks.to("/wip")] == [200]
    assert {c["status"] for c in world.hooks.to("/zb")} == {401}  # a receiver holding A's secret rejects B's calls
    [failed] = list_deliveries("failed", db=world.db)
    assert failed["partner"] == B and "HTTP 401" in failed["last_error"]

    call = world.hooks.to("/zb")[0]
    derived = hmac.new(b"the-federation-secret", f"webhook:{B}".encode(), hashlib.sha256).hexdigest()
    assert "sha256=" + hmac.new(derived.encode(), call["body"], hashlib.sha256).hexdigest() \
        != call["headers"]["X-Samen030-Signature"]  # nothing comes from the federation's secret
    world.hooks.secrets["/zb"] = "made-for-b"
    retry_deliveries([failed["id"]], db=world.db)
    world.run(lambda: world.count(status="sent") == 4)
    assert world.hooks.to("/zb")[-1]["status"] == 200 and json.loads(call["body"])["partner"] == B
