"""Webhook secrets: each partner's own, from the environment or the notifier's secrets file, never
derived from a secret the partners share; `samen030 run` makes the missing ones, and the operator prints
one to hand it to its partner."""
import json
import stat

import pytest

from samen030.cli import main
from samen030.notifier.webhooks import webhook_secret

PARTNERS = ("zorgbelang", "wijkinformatiepunt", "krachtstation")


@pytest.fixture
def keys(tmp_path, monkeypatch):
    monkeypatch.setenv("SAMEN030_KEYS", str(tmp_path / "keys"))
    for partner in PARTNERS:
        monkeypatch.delenv(f"SAMEN030_{partner.upper()}_WEBHOOK_SECRET", raising=False)
    return tmp_path / "keys"


def test_a_webhook_secret_is_the_partners_own_and_never_derived(keys, monkeypatch):
    monkeypatch.setenv("SAMEN030_SECRET", "shared-by-the-federation")
    assert webhook_secret("zorgbelang") is None and webhook_secret("wijkinformatiepunt") is None
    keys.mkdir(exist_ok=True)
    (keys / "webhook-secrets.json").write_text(json.dumps({"zorgbelang": "from-the-file"}))
    assert webhook_secret("zorgbelang") == "from-the-file" and webhook_secret("wijkinformatiepunt") is None
    monkeypatch.setenv("SAMEN030_ZORGBELANG_WEBHOOK_SECRET", "from-the-environment")
    assert webhook_secret("zorgbelang") == "from-the-environment"


def test_the_local_federation_makes_a_secret_for_each_partner_without_one(keys, monkeypatch):
    from samen030.notifier.webhook_secrets import ensure_webhook_secrets
    monkeypatch.setenv("SAMEN030_KRACHTSTATION_WEBHOOK_SECRET", "the-operator-gave-one")
    path = ensure_webhook_secrets(PARTNERS)
    assert path == keys / "webhook-secrets.json" and stat.S_IMODE(path.stat().st_mode) == 0o600
    made = json.loads(path.read_text())
    assert set(made) == {"zorgbelang", "wijkinformatiepunt"}  # krachtstation has its own already
    assert len(set(made.values())) == 2 and all(len(secret) >= 43 for secret in made.values())  # 32 random bytes
    assert ensure_webhook_secrets([*PARTNERS, "powerbypeers"]) == path
    again = json.loads(path.read_text())
    assert {p: again[p] for p in made} == made and set(again) == {*made, "powerbypeers"}  # kept, one added


def test_the_operator_prints_a_partners_secret_to_hand_it_over(keys, capsys):
    main(["notifications", "--webhook-secret", "zorgbelang"])  # none yet: one is made
    made = json.loads((keys / "webhook-secrets.json").read_text())["zorgbelang"]
    out, err = capsys.readouterr()
    assert out == made + "\n" and "webhook-secrets.json" in err
    main(["notifications", "--webhook-secret", "zorgbelang"])
    assert capsys.readouterr() == (made + "\n", "")
    with pytest.raises(SystemExit) as refused:
        main(["notifications", "--webhook-secret", "nobody"])
    assert "nobody" in str(refused.value) and not (keys / "webhook-secrets.json").read_text().count("nobody")


def test_a_webhook_that_trickles_its_answer_is_given_up_on_at_its_timeout(keys, monkeypatch):
    """The sender sends a batch together and claims the next when all are done: a partner's webhook that
    answers a byte at a time (each within the read timeout) held every partner's notifications for as
    long as it went on. The whole answer comes within the webhook's timeout, or the attempt failed."""
    import time

    import requests

    from samen030.notifier import webhooks
    from tests.raw_http import raw_server, trickling
    server, url = raw_server(trickling(every=0.2))
    monkeypatch.setenv("SAMEN030_ZORGBELANG_WEBHOOK_SECRET", "its-own")
    monkeypatch.setattr(webhooks, "TIMEOUT", 1.0)
    delivery = {"id": "d1", "event_id": "e1", "partner": "zorgbelang", "body": "{}",
                "recipient": f"{url}/hook"}
    began = time.monotonic()
    try:
        with pytest.raises(requests.RequestException):
            webhooks.post_webhook(delivery)
    finally:
        server.close()
    assert time.monotonic() - began < 2.0
