"""The requests service over real HTTP between real services (threads of this process) on real
databases (SQLite and PostgreSQL): intake, the state machine, referral between partners with and
without consent, answers flowing back as events, follow-up, suggestions, and who may see what."""
import time
import uuid

import pytest
from sqlalchemy import func, select

from samen030.helprequests.followup_worker import answers_projection, report_overdue
from samen030.helprequests.tables import help_requests
from samen030.kernel.events import parse_event
from samen030.kernel.tokens import service_token
from tests.conftest import auth
from tests.endpoints import every_endpoint
from tests.live import referral_city

A, B = "wijkinformatiepunt", "powerbypeers"
QUESTION = {"channel": "walk_in", "category": "lichte-zorg", "terms": ["ervaringsdeskundigen"], "buurt": "BU03440832",
            "urgency": "normal", "languages": ["nl", "ar"],
            "question": "Mijn zoon is net uit de kliniek; ik zoek iemand die dit zelf heeft meegemaakt.",
            "name": "Samira Bakkali", "phone": "06 98765432", "email": "samira@example.nl",
            "consents": [{"purpose": "share_for_referral", "how": "mondeling"},
                         {"purpose": "contact_phone", "how": "mondeling"}]}
SECRETS = ("Samira", "Bakkali", "06 98765432", "samira@example.nl", "uit de kliniek")
OFFER = {"name": "Ervaringsdeskundigen aan tafel", "description": "Praten met iemand die het zelf meemaakte.",
         "category": "lichte-zorg", "terms": ["ervaringsdeskundigen"], "buurt": "BU03440832", "languages": ["nl", "ar"],
         "url": "https://powerbypeers.example/aan-tafel",
         "schedules": [{"byday": "MO,TU,WE,TH,FR", "opens_at": "09:00", "closes_at": "17:00"}],
         "locations": [{"name": "Huiskamer", "address_1": "Oudenoord 1", "postal_code": "3513 EG", "buurt": "BU03440832"}]}


@pytest.fixture
def city(databases, monkeypatch, tmp_path):
    city = referral_city(databases, monkeypatch, tmp_path, OFFER, A, B)
    yield city
    city.close()


def take_in(city, partner=A, **changes):
    response = city.client(partner, "requests").post("/requests", json={**QUESTION, **changes}, headers=auth(partner))
    assert response.status_code == 201, response.json
    return response.json


def act(city, request_id, action, partner=A, **body):
    return city.client(partner, "requests").post(f"/requests/{request_id}/{action}", json=body, headers=auth(partner))


def events(city, partner, service="requests"):
    return [parse_event(payload, subject) for _seq, payload, subject in city.outbox(partner, service)]


def deliver_answers(city, to=A):
    """B's events reach A's follow-up worker, as the bus would bring them."""
    rows = [(payload, subject) for _seq, payload, subject in city.outbox(B, "requests")
            if subject.endswith("request.changed")]
    answers_projection(city.apps[(to, "requests")].extensions["samen030.db"], to).apply(rows)


def test_intake_keeps_everything_here_and_emits_only_codes(city):
    request = take_in(city)
    assert request["status"] == "received" and request["wijk"] == "WK034408" and request["version"] == 1
    assert request["name"] == "Samira Bakkali" and request["possible_actions"] == ["triage", "start", "withdraw"]
    hours = (time.mktime(time.strptime(request["first_contact_due"][:19], "%Y-%m-%dT%H:%M:%S"))
             - time.mktime(time.strptime(request["received_at"][:19], "%Y-%m-%dT%H:%M:%S"))) / 3600
    assert round(hours) == 72  # normal urgency: three days
    [event] = events(city, A)
    assert event.type == "nl.samen030.requests.request.received.v1" and event.data["category"] == "lichte-zorg"
    payload = city.outbox(A, "requests")[0][1].decode()
    assert not [s for s in SECRETS if s in payload]
    consents = city.client(A, "requests").get(f"/requests/{request['id']}/consents", headers=auth(A)).json
    assert {c["purpose"] for c in consents} == {"share_for_referral", "contact_phone"}


@pytest.mark.parametrize("body, field", [
    ({"buurt": "BU09999999"}, "buurt"), ({"channel": "pigeon"}, "channel"), ({"category": "zorg"}, "category"),
    ({"terms": ["klussen"]}, "terms"), ({"question": "   "}, "question"), ({"urgency": "now"}, "urgency"),
    ({"phone": None}, "consents"), ({"member_id": str(uuid.uuid4())}, "consents"),
    ({"consents": [{"purpose": "share_for_referral", "how": "mondeling"}] * 2}, "consents"),
    ({"question": "a\x00b"}, "question"), ({"member_id": "not-a-uuid", "consents": []}, "member_id"),
])
def test_bad_intake_is_named_and_leaves_nothing(city, body, field):
    response = city.client(A, "requests").post("/requests", json={**QUESTION, **body}, headers=auth(A))
    assert response.status_code == 422 and field in response.json["errors"]["json"], response.json
    with city.apps[(A, "requests")].extensions["samen030.db"].connect() as conn:
        assert conn.execute(select(func.count()).select_from(help_requests)).scalar_one() == 0


def test_the_state_machine_records_who_when_why_and_refuses_invalid_moves(city):
    request = take_in(city)
    refused = act(city, request["id"], "close")
    assert refused.status_code == 409 and "triage, start, withdraw" in refused.json["message"]
    assert act(city, request["id"], "accept").status_code == 409  # only for a referral that arrived here
    assert act(city, request["id"], "triage", reason="Gebeld; vraag is helder.").json["status"] == "triaged"
    assert act(city, request["id"], "start", version=1).status_code == 409  # stale version
    started = act(city, request["id"], "start", version=2).json
    assert started["status"] == "in_progress" and started["first_contact_at"]
    assert act(city, request["id"], "resolve").json["resolved_at"]
    closed = act(city, request["id"], "close").json
    assert closed["status"] == "closed" and closed["possible_actions"] == []
    assert act(city, request["id"], "withdraw").status_code == 409
    history = city.client(A, "requests").get(f"/requests/{request['id']}/history", headers=auth(A)).json
    assert [(h["action"], h["to_status"]) for h in history] == [
        ("receive", "received"), ("triage", "triaged"), ("start", "in_progress"), ("resolve", "resolved"),
        ("close", "closed")]
    assert history[1]["by"] == "tester" and history[1]["reason"] == "Gebeld; vraag is helder."
    changes = [e for e in events(city, A) if e.type.endswith("request.changed.v1")]
    assert [(e.data["action"], e.data["previous_status"], e.data["version"]) for e in changes] == [
        ("triage", "received", 2), ("start", "triaged", 3), ("resolve", "in_progress", 4), ("close", "resolved", 5)]
    assert act(city, str(uuid.uuid4()), "triage").status_code == 404
    assert act(city, "nope", "triage").status_code == 404


def test_referral_with_consent_hands_over_what_the_consent_covers(city):
    request = take_in(city)
    act(city, request["id"], "triage")
    response = city.client(A, "requests").post(f"/requests/{request['id']}/refer", headers=auth(A),
                                               json={"offer_id": city.offer_id, "reason": "Past bij haar vraag."})
    assert response.status_code == 201, response.json
    referral = response.json
    assert referral["partner"] == B and referral["with_consent"] and referral["shared"] == ["question", "name", "phone"]
    assert referral["contact"] is None
    incoming = city.client(B, "requests").get(f"/requests/{referral['other_request_id']}", headers=auth(B)).json
    assert incoming["origin"] == "referral" and incoming["referred_by"] == A and incoming["status"] == "received"
    assert incoming["name"] == "Samira Bakkali" and incoming["phone"] == "06 98765432"
    assert incoming["email"] is None  # no consent to be e-mailed: the address stayed at A
    assert incoming["question"] == QUESTION["question"] and incoming["category"] == "lichte-zorg"
    [logged] = city.client(B, "requests").get(f"/requests/{incoming['id']}/referrals", headers=auth(B)).json
    assert logged["direction"] == "incoming" and logged["partner"] == A and logged["shared"] == ["question", "name", "phone"]
    assert city.client(A, "requests").get(f"/requests/{request['id']}", headers=auth(A)).json["status"] == "referred"
    sent = [e for e in events(city, A) if e.type.endswith("referral.sent.v1")]
    assert len(sent) == 1 and sent[0].data["to_request_id"] == incoming["id"] and sent[0].data["shared"] == ["question", "name", "phone"]

    accepted = act(city, incoming["id"], "accept", partner=B, reason="Wij bellen haar vandaag.")
    assert accepted.status_code == 200 and accepted.json["first_contact_at"]
    deliver_answers(city)
    mine = city.client(A, "requests").get(f"/requests/{request['id']}", headers=auth(A)).json
    assert mine["status"] == "accepted"
    [outgoing] = city.client(A, "requests").get(f"/requests/{request['id']}/referrals", headers=auth(A)).json
    assert outgoing["status"] == "accepted" and outgoing["outcome_at"]
    deliver_answers(city)  # the same answers again change nothing
    assert city.client(A, "requests").get(f"/requests/{request['id']}", headers=auth(A)).json["version"] == mine["version"]
    for payload in [p for _s, p, _subj in city.outbox(A, "requests") + city.outbox(B, "requests")]:
        assert not [s for s in SECRETS if s in payload.decode()]


def test_referral_without_consent_sends_only_the_anonymous_question(city):
    request = take_in(city, consents=[])
    act(city, request["id"], "triage")
    referral = city.client(A, "requests").post(f"/requests/{request['id']}/refer", headers=auth(A),
                                               json={"offer_id": city.offer_id}).json
    assert referral["with_consent"] is False and referral["shared"] == []
    assert referral["contact"]["partner_name"] == "Power by Peers"
    assert referral["contact"]["url"] == OFFER["url"] and referral["contact"]["locations"][0]["address_1"] == "Oudenoord 1"
    incoming = city.client(B, "requests").get(f"/requests/{referral['other_request_id']}", headers=auth(B)).json
    assert [incoming[f] for f in ("question", "name", "phone", "email")] == [None] * 4
    assert incoming["category"] == "lichte-zorg" and incoming["buurt"] == QUESTION["buurt"]

    act(city, incoming["id"], "decline", partner=B, reason="Geen plek deze maand.")
    deliver_answers(city)
    mine = city.client(A, "requests").get(f"/requests/{request['id']}", headers=auth(A)).json
    assert mine["status"] == "declined" and "refer" in mine["possible_actions"]


def test_a_withdrawn_consent_is_respected(city):
    request = take_in(city)
    withdrawn = city.client(A, "requests").post(f"/requests/{request['id']}/consents/share_for_referral/withdraw",
                                                headers=auth(A))
    assert withdrawn.status_code == 200
    act(city, request["id"], "triage")
    referral = city.client(A, "requests").post(f"/requests/{request['id']}/refer", headers=auth(A),
                                               json={"offer_id": city.offer_id}).json
    assert referral["shared"] == [] and referral["with_consent"] is False


def test_a_members_consents_are_asked_at_the_members_service(city):
    members = city.client(A, "members")
    member = members.post("/members", headers=auth(A), json={
        "type": "person", "kind": "bewoner", "membership_number": "WIP-7", "name": "Samira Bakkali",
        "phone": "06 98765432", "buurt": "BU03440832"}).json
    consent = members.post(f"/members/{member['id']}/consents", headers=auth(A),
                           json={"purpose": "share_for_referral", "how": "schriftelijk"}).json
    first = take_in(city, member_id=member["id"], consents=[])
    act(city, first["id"], "triage")
    referral = city.client(A, "requests").post(f"/requests/{first['id']}/refer", headers=auth(A),
                                               json={"offer_id": city.offer_id}).json
    assert referral["shared"] == ["question", "name"]  # no consent to be phoned: the number stays
    members.post(f"/members/{member['id']}/consents/{consent['id']}/withdraw", headers=auth(A), json={})
    second = take_in(city, member_id=member["id"], consents=[])
    act(city, second["id"], "triage")
    referral = city.client(A, "requests").post(f"/requests/{second['id']}/refer", headers=auth(A),
                                               json={"offer_id": city.offer_id}).json
    assert referral["shared"] == []


def test_a_partner_that_is_down_fails_fast_and_nothing_is_half_referred(city):
    request = take_in(city)
    act(city, request["id"], "triage")
    city.stop(B, "requests")
    started = time.monotonic()
    response = city.client(A, "requests").post(f"/requests/{request['id']}/refer", headers=auth(A),
                                               json={"offer_id": city.offer_id})
    assert response.status_code == 503 and time.monotonic() - started < 3, response.json
    assert "opnieuw" in response.json["message"]
    mine = city.client(A, "requests").get(f"/requests/{request['id']}", headers=auth(A)).json
    assert mine["status"] == "triaged" and mine["version"] == 2
    assert not [e for e in events(city, A) if e.type.endswith("referral.sent.v1")]
    city.start(B, "requests")
    retried = city.client(A, "requests").post(f"/requests/{request['id']}/refer", headers=auth(A),
                                              json={"offer_id": city.offer_id})
    assert retried.status_code == 201


def handing_over(partner: str) -> dict:
    """The service token with which `partner`'s requests service hands a referral to B's."""
    return {"Authorization": f"Bearer {service_token(partner, 'service:requests', B, 'requests', 'referral.handover')}"}


def test_a_repeated_handover_makes_one_request(city):
    handover = {"referral_id": str(uuid.uuid4()), "offer_id": city.offer_id, "category": "informatie",
                "buurt": "BU03440832", "question": "Hulp met formulieren"}
    inbound = city.client(B, "requests")
    first = inbound.post("/incoming-referrals", json=handover, headers=handing_over(A))
    again = inbound.post("/incoming-referrals", json=handover, headers=handing_over(A))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["request_id"] == again.json["request_id"] and first.json["received"] == ["question"]
    assert inbound.post("/incoming-referrals", json=handover, headers=auth(A)).status_code == 401  # a user token of A
    with city.apps[(B, "requests")].extensions["samen030.db"].connect() as conn:
        assert conn.execute(select(func.count()).select_from(help_requests)).scalar_one() == 1


@pytest.mark.parametrize("body, field", [({"offer_id": "x"}, "offer_id"), ({}, "offer_id")])
def test_referral_needs_an_offer_of_another_partner(city, body, field):
    request = take_in(city)
    act(city, request["id"], "triage")
    for sent in (body, {"offer_id": str(uuid.uuid4())}):
        response = city.client(A, "requests").post(f"/requests/{request['id']}/refer", headers=auth(A), json=sent)
        assert response.status_code == 422 and field in response.json["errors"]["json"], response.json
    early = take_in(city)
    assert city.client(A, "requests").post(f"/requests/{early['id']}/refer", headers=auth(A),
                                           json={"offer_id": city.offer_id}).status_code == 409


def test_overdue_requests_are_listed_and_reported_once(city, monkeypatch):
    monkeypatch.setenv("SAMEN030_FIRST_CONTACT_HOURS", "high=0")
    late = take_in(city, urgency="high")
    take_in(city, urgency="low")
    listed = city.client(A, "requests").get("/requests?overdue=true", headers=auth(A)).json
    assert [r["id"] for r in listed["items"]] == [late["id"]] and listed["items"][0]["overdue"]
    db = city.apps[(A, "requests")].extensions["samen030.db"]
    assert report_overdue(db, A) == 1 and report_overdue(db, A) == 0
    [overdue] = [e for e in events(city, A) if e.type.endswith("request.overdue.v1")]
    assert overdue.data["request_id"] == late["id"] and overdue.data["urgency"] == "high"
    act(city, late["id"], "triage")
    assert city.client(A, "requests").get("/requests?overdue=true", headers=auth(A)).json["total_items"] == 0


def test_suggestions_come_from_the_city_directory(city):
    request = take_in(city)
    response = city.client(A, "requests").get(f"/requests/{request['id']}/suggestions", headers=auth(A))
    assert response.status_code == 200, response.json
    [suggestion] = response.json["offers"]
    assert suggestion["id"] == city.offer_id and suggestion["partner"] == B and suggestion["reasons"]
    city.stop("city", "gateway")
    assert city.client(A, "requests").get(f"/requests/{request['id']}/suggestions", headers=auth(A)).status_code == 503


def test_another_partner_cannot_read_or_change_our_requests(city):
    request = take_in(city)
    endpoints = every_endpoint(city.apps[(A, "requests")], {"request_id": request["id"], "purpose": "share_for_referral",
                                                           "member_id": str(uuid.uuid4())}, ("/incoming-referrals",))
    assert len(endpoints) >= 20  # every endpoint of the service, found from its URL map
    bodies = {"/requests": QUESTION, f"/requests/{request['id']}/refer": {"offer_id": city.offer_id}}
    client = city.client(A, "requests")
    for caller, status in [(auth(B), 401), (auth(A, "volunteer"), 403), (auth(A, "viewer"), 403),
                           ({"Authorization": "Bearer forged"}, 401), ({}, 401)]:
        for method, path in endpoints:
            response = getattr(client, method)(path, json=bodies.get(path, {}), headers=caller)
            assert response.status_code == status, (caller, method, path, response.status_code)
    assert client.post("/incoming-referrals", json={}, headers=auth(A)).status_code == 403  # not to yourself
    assert client.post("/incoming-referrals", json={}, headers=auth("unknownpartner")).status_code == 401
    after = client.get(f"/requests/{request['id']}", headers=auth(A)).json
    assert after["version"] == 1 and after["status"] == "received" and after["name"] == QUESTION["name"]


def test_a_member_reference_must_be_a_member_of_the_partner(city):
    unknown = city.client(A, "requests").post("/requests", headers=auth(A),
                                              json={**QUESTION, "consents": [], "member_id": str(uuid.uuid4())})
    assert unknown.status_code == 422 and "member_id" in unknown.json["errors"]["json"]
    member = city.client(A, "members").post("/members", headers=auth(A), json={
        "type": "person", "kind": "bewoner", "membership_number": "WIP-8", "name": "Samira Bakkali"}).json
    assert take_in(city, member_id=member["id"], consents=[])["member_id"] == member["id"]
    city.client(A, "members").post(f"/members/{member['id']}/erase", headers=auth(A))
    erased = city.client(A, "requests").post("/requests", headers=auth(A),
                                             json={**QUESTION, "consents": [], "member_id": member["id"]})
    assert erased.status_code == 422 and "gewist" in erased.json["message"]
    city.stop(A, "members")
    down = city.client(A, "requests").post("/requests", headers=auth(A),
                                           json={**QUESTION, "consents": [], "member_id": member["id"]})
    assert down.status_code == 503
