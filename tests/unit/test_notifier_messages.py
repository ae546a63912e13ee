"""The notifier's pure logic: who is told what, in Dutch; delivery ids; backoff; signatures."""
import json
from datetime import datetime, timezone

from samen030.kernel.config import Federation, Partner
from samen030.notifier import messages
from samen030.notifier.mail import build_message
from samen030.notifier.sender import Policy
from samen030.notifier.subscriber import compose, delivery_rows, route
from samen030.notifier.webhooks import signature, verify
from tests.notifier_events import intake_received, overdue, referral_outcome, referral_received

A = Partner("wijkinformatiepunt", "Stichting Wijkinformatiepunt Utrecht",
            {"requests": "http://127.0.0.1:8132"}, notify_email=("coordinatoren@wip.test",),
            webhook="https://wip.test/hook")
B = Partner("zorgbelang", "Zorgbelang Gelderland / Utrecht", {"requests": "http://127.0.0.1:8152"},
            notify_email=("a@zb.test", "b@zb.test"))
C = Partner("powerbypeers", "Power by Peers")
FED = Federation("http://gw", "nats://x", {p.id: p for p in (A, B, C)}, source=None)


def test_times_are_utrecht_times_in_dutch():
    assert messages.dutch_time("2024-12-03T13:30:00+00:00") == "dinsdag 3 december 2024 om 14:30"
    assert messages.dutch_time("2024-07-01T10:05:00Z") == "maandag 1 juli 2024 om 12:05"  # summer time
    assert messages.dutch_time(datetime(2025, 3, 30, 0, 59, tzinfo=timezone.utc)) == "zondag 30 maart 2025 om 01:59"
    assert messages.dutch_time(datetime(2025, 3, 30, 1, 0, tzinfo=timezone.utc)) == "zondag 30 maart 2025 om 03:00"


def test_routes_tell_the_right_partner():
    received = referral_received("zorgbelang", "wijkinformatiepunt")
    assert route(received) == ("referral_received", "zorgbelang")
    assert route(referral_outcome(received, True)) == ("referral_accepted", "wijkinformatiepunt")
    assert route(referral_outcome(received, False)) == ("referral_declined", "wijkinformatiepunt")
    assert route(overdue("zorgbelang")) == ("overdue", "zorgbelang")
    assert route(intake_received("zorgbelang")) is None  # no referral: nobody to tell
    resolved = referral_outcome(received, True)
    other = type(resolved)(**{**resolved.__dict__, "data": {**resolved.data, "action": "resolve"}})
    assert route(other) is None  # only accept and decline are told


def test_referral_arrival_in_dutch_with_the_link():
    event = referral_received("zorgbelang", "wijkinformatiepunt")
    mail = compose("referral_received", event, B, FED)
    assert mail.subject == "Nieuwe doorverwijzing van Stichting Wijkinformatiepunt Utrecht"
    assert "Beste coördinatoren van Zorgbelang Gelderland / Utrecht" in mail.body
    assert "Praktische hulp" in mail.body and "Kanaleneiland-Noord (Wijk 08 Zuidwest)" in mail.body
    assert "Urgentie:" in mail.body and "hoog" in mail.body
    assert "uiterlijk dinsdag 3 december 2024 om 14:30" in mail.body
    assert f"http://127.0.0.1:8152/requests/{event.data['request_id']}" in mail.body


def test_outcomes_and_reminders_in_dutch():
    received = referral_received("zorgbelang", "wijkinformatiepunt")
    accepted = compose("referral_accepted", referral_outcome(received, True), A, FED, "a0000000-0000-4000-8000-000000000001")
    assert accepted.subject == "Zorgbelang Gelderland / Utrecht heeft uw doorverwijzing aangenomen"
    assert "http://127.0.0.1:8132/requests/a0000000-0000-4000-8000-000000000001" in accepted.body
    declined = compose("referral_declined", referral_outcome(received, False), A, FED)
    assert declined.subject == "Zorgbelang Gelderland / Utrecht heeft uw doorverwijzing afgewezen"
    assert "/requests/" not in declined.body  # A's own request unknown: no link rather than a wrong one
    reminder = compose("overdue", overdue("zorgbelang"), B, FED)
    assert reminder.subject == "Herinnering: eerste contact is over tijd"
    assert "Lichte zorg en gezondheid" in reminder.body and "normaal" in reminder.body


def test_no_link_for_a_partner_without_a_requests_service():
    event = referral_received("powerbypeers", "zorgbelang")
    mail = compose("referral_received", event, C, FED)
    assert "http" not in mail.body and mail.subject == "Nieuwe doorverwijzing van Zorgbelang Gelderland / Utrecht"


def test_one_delivery_per_address_and_webhook_with_stable_ids():
    event = referral_received("wijkinformatiepunt", "zorgbelang")
    now = datetime.now(timezone.utc)
    mail = compose("referral_received", event, A, FED)
    rows = delivery_rows("referral_received", event, A, mail, now)
    assert [(r["channel"], r["recipient"]) for r in rows] == [("email", "coordinatoren@wip.test"),
                                                             ("webhook", "https://wip.test/hook")]
    assert [r["id"] for r in rows] == [r["id"] for r in delivery_rows("referral_received", event, A, mail, now)]
    payload = json.loads(rows[1]["body"])
    assert payload["delivery_id"] == rows[1]["id"] and payload["type"] == event.type
    assert payload["partner"] == "wijkinformatiepunt" and payload["data"] == event.data
    assert len({r["id"] for r in delivery_rows("overdue", event, B, mail, now)}) == 2
    assert delivery_rows("overdue", event, C, mail, now) == []


def test_backoff_doubles_up_to_a_limit():
    policy = Policy(first_retry=30, max_retry=300)
    assert [policy.retry_delay(n) for n in range(1, 7)] == [30, 60, 120, 240, 300, 300]


def test_webhook_signatures():
    body, secret = b'{"delivery_id":"x"}', "given-to-zorgbelang"
    assert verify(body, signature(body, secret), secret)
    assert not verify(body, signature(body, "wrong"), secret)
    assert not verify(body + b" ", signature(body, secret), secret)
    assert not verify(body, None, secret)


def test_mail_has_a_message_id_made_from_the_delivery():
    row = {"id": "3f1c2d8e-3b0a-4c59-9a57-5a3b0d3e0300", "event_id": "e", "recipient": "a@zb.test",
           "subject": "Herinnering: eerste contact is over tijd", "body": "Beste coördinatoren…"}
    msg = build_message(row, "SAMEN030 <noreply@samen030.test>")
    assert msg["Message-ID"] == "<3f1c2d8e-3b0a-4c59-9a57-5a3b0d3e0300@samen030.test>"
    assert msg["X-Samen030-Delivery"] == row["id"] and msg["To"] == "a@zb.test"
    assert "coördinatoren" in msg.get_content()
