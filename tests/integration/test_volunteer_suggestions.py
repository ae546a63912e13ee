"""Volunteers beside the offers for a help request: the partner's own who agreed to be suggested
(named, from its members service), and other partners' in the wijk as anonymous profiles (from the
gateway's read model, fed by the members services' events) — on SQLite and PostgreSQL, over real HTTP."""
import pytest

from tests.conftest import auth
from tests.live import City

A, B = "wijkinformatiepunt", "powerbypeers"
VOLUNTEER = {"type": "person", "kind": "vrijwilliger", "role": "volunteer", "membership_status": "lid",
             "buurt": "BU03440832", "languages": ["nl", "ar"], "skills": ["ervaringsdeskundigen"],
             "availability": [{"byday": "MO,TU,WE,TH,FR,SA,SU", "from": "00:00", "until": "23:59"}]}
QUESTION = {"channel": "walk_in", "category": "lichte-zorg", "terms": ["ervaringsdeskundigen"], "buurt": "BU03440832",
            "languages": ["ar"], "question": "Ik zoek iemand die het zelf heeft meegemaakt."}


@pytest.fixture
def city(databases, monkeypatch, tmp_path):
    city = City(databases, monkeypatch, tmp_path, {A: ("requests", "members"), B: ("requests", "members")})
    for key in city.ports:
        city.start(*key)
    city.start_gateway()
    yield city
    city.close()


def volunteer(city, partner, number, consent=True, **changes):
    members = city.client(partner, "members")
    member = members.post("/members", headers=auth(partner),
                          json={**VOLUNTEER, "membership_number": number, "name": f"Vrijwilliger {number}", **changes})
    assert member.status_code == 201, member.json
    given = None
    if consent:
        given = members.post(f"/members/{member.json['id']}/consents", headers=auth(partner),
                             json={"purpose": "volunteer_suggestions", "how": "schriftelijk"}).json
    return member.json, given


def suggestions(city, request_id):
    response = city.client(A, "requests").get(f"/requests/{request_id}/suggestions", headers=auth(A))
    assert response.status_code == 200, response.json
    return response.json


def test_own_volunteers_who_agreed_are_suggested_with_reasons_until_they_withdraw(city):
    fatima, consent = volunteer(city, A, "WIP-1")
    volunteer(city, A, "WIP-2", consent=False)  # never agreed
    volunteer(city, A, "WIP-3", buurt="BU03440111")  # another wijk
    volunteer(city, A, "WIP-4", languages=["nl"])  # no language in common
    volunteer(city, A, "WIP-5", skills=["klussen"])  # no skill in the category
    request = city.client(A, "requests").post("/requests", json=QUESTION, headers=auth(A)).json
    answer = suggestions(city, request["id"])
    assert [v["id"] for v in answer["volunteers"]] == [fatima["id"]] and answer["notes"] == []
    reasons = {r["code"]: r["text"] for r in answer["volunteers"][0]["reasons"]}
    assert set(reasons) == {"same_buurt", "terms", "language", "open"}
    assert "Arabisch" in reasons["language"] and "Kanaleneiland-Noord" in reasons["same_buurt"]
    assert answer["volunteers"][0]["name"] == "Vrijwilliger WIP-1"

    city.client(A, "members").post(f"/members/{fatima['id']}/consents/{consent['id']}/withdraw",
                                   headers=auth(A), json={})
    assert suggestions(city, request["id"])["volunteers"] == []


def test_other_partners_volunteers_are_anonymous_profiles_in_the_wijk_while_they_agree(city):
    near, consent = volunteer(city, B, "PBP-1", buurt="BU03440831")
    volunteer(city, B, "PBP-2", buurt="BU03440111")  # another wijk
    volunteer(city, B, "PBP-3", consent=False)
    city.sync_gateway()
    request = city.client(A, "requests").post("/requests", json=QUESTION, headers=auth(A)).json
    [profile] = suggestions(city, request["id"])["volunteers_elsewhere"]
    assert profile["id"] == near["id"] and profile["partner"] == B and "name" not in profile
    assert {r["code"] for r in profile["reasons"]} >= {"same_wijk", "terms", "language"}

    city.client(B, "members").post(f"/members/{near['id']}/consents/{consent['id']}/withdraw",
                                   headers=auth(B), json={})
    city.sync_gateway()
    assert suggestions(city, request["id"])["volunteers_elsewhere"] == []


def test_refer_to_another_partners_volunteer_who_then_accepts_through_their_partner(city):
    near, consent = volunteer(city, B, "PBP-7", buurt="BU03440831")
    city.sync_gateway()
    request = city.client(A, "requests").post("/requests", headers=auth(A), json={
        **QUESTION, "name": "Bewoner", "phone": "06 11122233",
        "consents": [{"purpose": "share_for_referral", "how": "mondeling"}]}).json
    city.client(A, "requests").post(f"/requests/{request['id']}/triage", headers=auth(A), json={})
    both = city.client(A, "requests").post(f"/requests/{request['id']}/refer", headers=auth(A),
                                           json={"offer_id": near["id"], "volunteer_id": near["id"]})
    assert both.status_code == 422 and "offer_id" in both.json["errors"]["json"]
    referral = city.client(A, "requests").post(f"/requests/{request['id']}/refer", headers=auth(A),
                                               json={"volunteer_id": near["id"]})
    assert referral.status_code == 201, referral.json
    assert referral.json["partner"] == B and referral.json["volunteer_id"] == near["id"]
    assert referral.json["shared"] == ["question", "name"]  # no consent to be phoned
    [incoming] = city.client(B, "requests").get(f"/requests/{referral.json['other_request_id']}/referrals",
                                                headers=auth(B)).json
    assert incoming["volunteer_id"] == near["id"] and incoming["direction"] == "incoming"

    city.client(B, "members").post(f"/members/{near['id']}/consents/{consent['id']}/withdraw", headers=auth(B), json={})
    city.sync_gateway()
    again = city.client(A, "requests").post("/requests", json=QUESTION, headers=auth(A)).json
    city.client(A, "requests").post(f"/requests/{again['id']}/triage", headers=auth(A), json={})
    refused = city.client(A, "requests").post(f"/requests/{again['id']}/refer", headers=auth(A),
                                              json={"volunteer_id": near["id"]})
    assert refused.status_code == 422 and "volunteer_id" in refused.json["errors"]["json"]


def test_an_erased_volunteer_leaves_the_gateway_profiles(city):
    near, _consent = volunteer(city, B, "PBP-9")
    city.sync_gateway()
    request = city.client(A, "requests").post("/requests", json=QUESTION, headers=auth(A)).json
    assert len(suggestions(city, request["id"])["volunteers_elsewhere"]) == 1
    assert city.client(B, "members").post(f"/members/{near['id']}/erase", headers=auth(B)).status_code == 200
    city.sync_gateway()
    assert suggestions(city, request["id"])["volunteers_elsewhere"] == []


def test_offers_still_come_when_the_members_service_is_down(city):
    request = city.client(A, "requests").post("/requests", json=QUESTION, headers=auth(A)).json
    city.stop(A, "members")
    answer = suggestions(city, request["id"])
    assert answer["volunteers"] == [] and "ledenadministratie" in answer["notes"][0]


def test_volunteer_suggestions_need_a_coordinator_of_the_partner(city):
    members = city.client(A, "members")
    query = "/volunteer-suggestions?category=lichte-zorg&buurt=BU03440832"
    assert members.get(query, headers=auth(A)).status_code == 200
    assert members.get(query, headers=auth(B)).status_code == 401  # not meant for A
    assert members.get(query).status_code == 401
    assert members.get("/volunteer-suggestions?category=zorg&buurt=BU03440832", headers=auth(A)).status_code == 422
