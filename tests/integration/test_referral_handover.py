"""The referral handover when A cannot complete it: whatever reached B is taken back, and A keeps a
record of what it sent, so that an erasure at A reaches B's copy. Real HTTP between the two partners'
services (threads of this process), on SQLite and PostgreSQL."""
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from samen030.helprequests import incoming, take_back
from samen030.helprequests.erasures import erasures_projection
from samen030.helprequests.tables import help_requests
from samen030.kernel import peers
from tests.conftest import auth
from tests.federation import eventually
from tests.live import referral_city
from tests.integration.test_requests_api import A, B, OFFER, QUESTION, act, take_in


REAL_CALL = peers.call
REAL_TIMEOUT = peers.TIMEOUT


class ProcessDied(BaseException):
    """A's process ends between B's answer and A's own commit (nothing in A runs after it)."""


@pytest.fixture
def city(databases, monkeypatch, tmp_path):
    city = referral_city(databases, monkeypatch, tmp_path, OFFER, A, B)
    yield city
    city.close()


def after_handover(monkeypatch, meanwhile):
    """Run `meanwhile()` once B has answered the handover and before A goes on."""
    original = peers.call

    def call(*args, **kwargs):
        answer = original(*args, **kwargs)
        if any("incoming-referrals" in str(a) for a in args) and not any("cancel" in str(a) for a in args):
            meanwhile()
        return answer
    monkeypatch.setattr(peers, "call", call)


def handover_times_out_soon(monkeypatch):
    """Only the handover to B gives up after 0.3 s; A's other calls (the gateway's offer) keep their
    usual limit, so that a slow machine does not fail them instead."""
    original = peers.call

    def call(*args, **kwargs):
        if not any("incoming-referrals" in str(a) for a in args):
            return original(*args, **kwargs)
        monkeypatch.setattr(peers, "TIMEOUT", (1.0, 0.3))
        try:
            return original(*args, **kwargs)
        finally:
            monkeypatch.setattr(peers, "TIMEOUT", REAL_TIMEOUT)
    monkeypatch.setattr(peers, "call", call)


def refer(city, request_id):
    return city.client(A, "requests").post(f"/requests/{request_id}/refer", headers=auth(A),
                                           json={"offer_id": city.offer_id, "reason": "Past bij haar vraag."})


def copies_at_b(city) -> list[dict]:
    with city.apps[(B, "requests")].extensions["samen030.db"].connect() as conn:
        return [dict(r) for r in conn.execute(select(help_requests).where(help_requests.c.origin == "referral")).mappings()]


def referrals_at_a(city, request_id) -> list[dict]:
    return city.client(A, "requests").get(f"/requests/{request_id}/referrals", headers=auth(A)).json


def dropped(copy: dict) -> bool:
    return copy["erased_at"] is not None and all(copy[f] is None for f in ("question", "name", "phone", "email"))


def triaged(city):
    request = take_in(city)
    act(city, request["id"], "triage")
    return request


def test_a_withdrawal_meanwhile_takes_the_handover_back(city, monkeypatch):
    request = triaged(city)
    after_handover(monkeypatch, lambda: act(city, request["id"], "withdraw", reason="Toch niet nodig."))
    response = refer(city, request["id"])
    assert response.status_code == 409, response.json
    assert "ingetrokken" in response.json["message"]
    [copy] = copies_at_b(city)
    assert dropped(copy) and copy["status"] == "withdrawn"
    [record] = referrals_at_a(city, request["id"])
    assert record["status"] == "cancelled" and record["shared"] == ["question", "name", "phone"]


def test_a_consent_withdrawn_meanwhile_takes_the_shared_data_back(city, monkeypatch):
    request = triaged(city)
    after_handover(monkeypatch, lambda: city.client(A, "requests").post(
        f"/requests/{request['id']}/consents/share_for_referral/withdraw", headers=auth(A)))
    response = refer(city, request["id"])
    assert response.status_code == 409 and "toestemming" in response.json["message"], response.json
    [copy] = copies_at_b(city)
    assert dropped(copy)
    assert city.client(A, "requests").get(f"/requests/{request['id']}", headers=auth(A)).json["status"] == "triaged"


def test_a_second_referral_meanwhile_is_refused_and_the_first_one_completes(city, monkeypatch):
    request = triaged(city)
    seconds = []
    after_handover(monkeypatch, lambda: seconds.append(refer(city, request["id"])) if not seconds else None)
    first = refer(city, request["id"])
    assert first.status_code == 201, first.json
    assert seconds[0].status_code == 409 and B in seconds[0].json["message"]
    [copy] = copies_at_b(city)
    assert not dropped(copy) and copy["name"] == QUESTION["name"]
    assert [r["status"] for r in referrals_at_a(city, request["id"])] == ["sent"]


def test_an_answer_after_the_timeout_is_taken_back_once_it_arrived(city, monkeypatch):
    request = triaged(city)
    handover_times_out_soon(monkeypatch)
    slow_receive = incoming.receive

    def receive(*args, **kwargs):
        time.sleep(0.8)
        return slow_receive(*args, **kwargs)
    monkeypatch.setattr(incoming, "receive", receive)
    response = refer(city, request["id"])
    assert response.status_code == 503, response.json
    assert "niets veranderd" not in response.json["message"] and "niet doorverwezen" in response.json["message"]
    eventually(lambda: copies_at_b(city), timeout=5)  # B commits after A gave up
    monkeypatch.setattr(incoming, "receive", slow_receive)
    monkeypatch.setattr(peers, "call", REAL_CALL)
    a_db = city.apps[(A, "requests")].extensions["samen030.db"]
    eventually(lambda: take_back.withdraw_unfinished(a_db, A) or all(dropped(c) for c in copies_at_b(city)), timeout=5)
    [copy] = copies_at_b(city)
    assert dropped(copy) and copy["status"] == "withdrawn"
    assert [r["status"] for r in referrals_at_a(city, request["id"])] == ["cancelled"]
    mine = city.client(A, "requests").get(f"/requests/{request['id']}", headers=auth(A)).json
    assert mine["status"] == "triaged"
    assert refer(city, request["id"]).status_code == 201  # and it can be referred again


def test_a_partner_that_was_not_reached_changes_nothing(city):
    request = triaged(city)
    city.stop(B, "requests")
    response = refer(city, request["id"])
    assert response.status_code == 503 and "niets veranderd" in response.json["message"], response.json
    assert referrals_at_a(city, request["id"]) == []


def test_after_a_crash_the_erasure_at_a_reaches_bs_copy(city, monkeypatch):
    request = triaged(city)

    def die():
        raise ProcessDied()
    after_handover(monkeypatch, die)
    with pytest.raises(ProcessDied):
        refer(city, request["id"])
    [record] = referrals_at_a(city, request["id"])
    assert record["status"] == "sending"
    erased = city.client(A, "requests").post(f"/requests/{request['id']}/erase", headers=auth(A))
    assert erased.status_code == 200
    rows = [(payload, subject) for _seq, payload, subject in city.outbox(A, "requests") if subject.endswith("request.erased")]
    erasures_projection(city.apps[(B, "requests")].extensions["samen030.db"], B).apply(rows)
    [copy] = copies_at_b(city)
    assert dropped(copy)


def test_after_a_crash_the_follow_up_worker_takes_the_handover_back(city, monkeypatch):
    request = triaged(city)

    def die():
        raise ProcessDied()
    after_handover(monkeypatch, die)
    with pytest.raises(ProcessDied):
        refer(city, request["id"])
    monkeypatch.setattr(peers, "call", REAL_CALL)
    a_db = city.apps[(A, "requests")].extensions["samen030.db"]
    assert take_back.withdraw_unfinished(a_db, A) == 0  # still within the handover's own time
    later = datetime.now(timezone.utc) + take_back.HANDOVER_SETTLES + timedelta(seconds=1)
    assert take_back.withdraw_unfinished(a_db, A, now=later) == 1
    [copy] = copies_at_b(city)
    assert dropped(copy) and copy["status"] == "withdrawn"
    assert [r["status"] for r in referrals_at_a(city, request["id"])] == ["cancelled"]
    assert take_back.withdraw_unfinished(a_db, A, now=later) == 0


def test_only_the_referrer_takes_a_handover_back(city):
    request = triaged(city)
    referral = refer(city, request["id"]).json
    path = f"/incoming-referrals/{referral['id']}/cancel"
    with pytest.raises(peers.PeerRefused) as own:  # B's own service: the operation is for another partner
        peers.call("referral.cancel", B, "service:requests", B, path, "B")
    assert own.value.status == 403
    assert city.client(B, "requests").post(path, headers=auth(A)).status_code == 401  # A's user token: not for B
    b_db = city.apps[(B, "requests")].extensions["samen030.db"]
    assert incoming.drop_copy(b_db, B, "krachtstation", referral["id"]) is None  # handed over by A, not them
    [copy] = copies_at_b(city)
    assert not dropped(copy)
    assert peers.call("referral.cancel", A, "service:requests", B, path, "B")["dropped"]
    assert dropped(copies_at_b(city)[0])


def test_a_late_take_back_leaves_a_completed_referral_alone(city):
    """The follow-up worker read the handover as still `sending`; A completed it meanwhile: B keeps it."""
    request = triaged(city)
    referral = refer(city, request["id"]).json
    a_db = city.apps[(A, "requests")].extensions["samen030.db"]
    stale_copy = {**referral, "status": "sending"}
    assert take_back.take_back(a_db, A, stale_copy) is False
    later = datetime.now(timezone.utc) + take_back.HANDOVER_SETTLES * 10
    assert take_back.withdraw_unfinished(a_db, A, now=later) == 0
    [copy] = copies_at_b(city)
    assert not dropped(copy) and copy["status"] == "received"
    assert [r["status"] for r in referrals_at_a(city, request["id"])] == ["sent"]


def test_a_request_erased_before_the_handover_is_not_handed_over(city, monkeypatch):
    from samen030.helprequests import referrals
    request = triaged(city)
    looked_up = referrals.destination

    def erased_meanwhile(*args):
        city.client(A, "requests").post(f"/requests/{request['id']}/erase", headers=auth(A))
        return looked_up(*args)
    monkeypatch.setattr(referrals, "destination", erased_meanwhile)
    response = refer(city, request["id"])
    assert response.status_code == 409 and "gewist" in response.json["message"], response.json
    assert copies_at_b(city) == [] and referrals_at_a(city, request["id"]) == []


def test_a_handover_under_an_id_b_already_uses_is_refused(city):
    """Another partner's handover naming one of B's own referral ids (ids pass on the bus) is a 409."""
    from sqlalchemy import insert
    from samen030.helprequests.tables import referrals as referral_rows
    mine = city.client(B, "requests").post("/requests", headers=auth(B), json=QUESTION).json
    taken = "0b5c8d2e-4f7a-4c1e-9d3b-2a6f8e1c7b90"
    with city.apps[(B, "requests")].extensions["samen030.db"].begin() as conn:
        conn.execute(insert(referral_rows), {"id": taken, "request_id": mine["id"], "direction": "outgoing",
                                             "partner": "krachtstation", "with_consent": False, "shared": "",
                                             "status": "sent", "sent_at": datetime.now(timezone.utc), "sent_by": "x"})
    handover = {"referral_id": taken, "offer_id": city.offer_id, "category": "informatie", "buurt": "BU03440832"}
    with pytest.raises(peers.PeerRefused) as refused:
        peers.call("referral.handover", A, "service:requests", B, "/incoming-referrals", "B", json=handover)
    assert refused.value.status == 409
    assert copies_at_b(city) == []


def test_an_answer_that_comes_before_a_has_completed_the_handover_is_not_lost(city, monkeypatch):
    """B's coordinator accepts the copy (B's event reaches A's follow-up worker) before A has recorded
    its referral as sent — A's commit waits for its database, a slow directory, the members service.
    The answer found the referral `sending` and was dropped, and acked: A's request stayed `referred`
    for ever while B helped the resident. It comes again until the handover is settled either way."""
    from samen030.kernel.projection import FAILED
    request = triaged(city)
    first_try = []

    def b_accepts_at_once():
        [copy] = copies_at_b(city)
        assert act(city, copy["id"], "accept", partner=B).status_code == 200
        first_try.extend(deliver_answers(city))
    after_handover(monkeypatch, b_accepts_at_once)
    assert refer(city, request["id"]).status_code == 201
    assert first_try == [(FAILED, None)]  # not acked, and never parked for it: it comes again
    deliver_answers(city)  # JetStream brings an answer that was not acked again
    assert [r["status"] for r in referrals_at_a(city, request["id"])] == ["accepted"]
    assert city.client(A, "requests").get(f"/requests/{request['id']}", headers=auth(A)).json["status"] == "accepted"


def deliver_answers(city):
    """B's answers as A's follow-up worker gets them from the bus: (outcome, failure) each."""
    from samen030.helprequests.followup_worker import answers_projection
    rows = [(payload, subject) for _seq, payload, subject in city.outbox(B, "requests")
            if subject.endswith("request.changed")]
    return answers_projection(city.apps[(A, "requests")].extensions["samen030.db"], A).apply_batch(rows)


def test_a_partner_that_hangs_is_a_503_within_two_seconds(city, monkeypatch):
    """Issue 10: the referral handover gives 503 within 2 s when the other side hangs (a SIGSTOPped node
    accepts connections and never answers). The handover waited its 1.25 s, and then the take-back of
    what might have arrived waited another 1.25 s on the same hung partner, in the coordinator's request."""
    import socket
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(64)
    monkeypatch.setenv(f"SAMEN030_{B.upper()}_REQUESTS_URL", f"http://127.0.0.1:{hung.getsockname()[1]}")
    try:
        request = triaged(city)
        began = time.monotonic()
        response = refer(city, request["id"])
        took = time.monotonic() - began
    finally:
        hung.close()
    assert response.status_code == 503, response.json
    assert "niets veranderd" not in response.json["message"]  # it may have arrived: taken back later
    assert took < 2.0, f"503 after {took:.2f} s"
    [record] = referrals_at_a(city, request["id"])
    assert record["status"] in ("sending", "cancelling")  # the follow-up worker takes it back


def test_a_referral_that_would_share_other_than_the_coordinator_was_shown_is_refused_before_b_is_called(city):
    """The refer page shows what will go (referral-preview) and sends it back as expected_shared; a consent
    given or withdrawn since then must not change what goes unseen, even in the moment between the page's
    last look and the referral (checked under the request's lock)."""
    request = triaged(city)
    preview = city.client(A, "requests").get(f"/requests/{request['id']}/referral-preview", headers=auth(A))
    assert preview.status_code == 200 and sorted(preview.json["shared"]) == ["name", "phone", "question"]

    def refer_expecting(shared):
        return city.client(A, "requests").post(f"/requests/{request['id']}/refer", headers=auth(A), json={
            "offer_id": city.offer_id, "reason": None, "expected_shared": shared})
    seen_before_the_phone_consent = refer_expecting(["question", "name"])
    assert seen_before_the_phone_consent.status_code == 409, seen_before_the_phone_consent.json
    assert "gedeeld" in seen_before_the_phone_consent.json["message"]
    assert copies_at_b(city) == [] and referrals_at_a(city, request["id"]) == []  # B was not called
    assert refer_expecting(["surname"]).status_code == 422  # not a field a referral can share
    referred = refer_expecting(["phone", "question", "name"])
    assert referred.status_code == 201, referred.json
    assert sorted(referred.json["shared"]) == ["name", "phone", "question"]
