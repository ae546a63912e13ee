"""Defects found reviewing the coordinators' pages (journeys 2–5), each pinned by a test: input that gave a
500, and a referral that could share more than the refer page had shown."""
import re

from tests.conftest import auth
from tests.integration.test_portal_referrals import city, coordinator_of, copy_at_b, move, page_of  # noqa: F401
from tests.integration.test_portal_pages import portal as pages_portal
from tests.integration.test_portal_staff import A, B, csrf_token, take_in, text


def test_digits_that_are_not_0_to_9_in_a_page_number_or_version_are_not_a_500(city):
    """'²'.isdigit() is True, int('²') raises: the members list and a move on a request gave a 500."""
    asked = take_in(city)
    at_a = coordinator_of(city, A)
    listing = at_a.get("/medewerkers/leden/?pagina=²")
    assert listing.status_code == 200, listing.status_code
    moved = move(at_a, asked["id"], "triage", versie="²")
    assert moved.status_code == 303, moved.status_code
    assert city.client(A, "requests").get(f"/requests/{asked['id']}", headers=auth(A)).json["status"] == "triaged"


def hidden(html: str) -> dict:
    form = html.split('id="verwijzen"')[-1]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def test_a_referral_never_shares_more_than_the_refer_page_showed(city):
    """The page said "anonymous"; a consent given meanwhile (at the members service) must not make the same
    form send the question and the name without the coordinator seeing that first."""
    members = city.client(A, "members")
    member = members.post("/members", headers=auth(A), json={
        "type": "person", "kind": "bewoner", "membership_number": "WIP-8", "name": "Samira Bakkali",
        "phone": "06 98765432", "buurt": "BU03440832"}).json
    asked = take_in(city, member_id=member["id"], consents=[])
    at_a = coordinator_of(city, A)
    assert move(at_a, asked["id"], "triage").status_code == 303
    refer_page = f"{page_of(asked['id'])}/doorverwijzen"
    html = text(at_a.get(f"{refer_page}?organisatie={B}"))
    assert "Verwijs anoniem door naar Power by Peers" in html
    shown = hidden(html)

    assert members.post(f"/members/{member['id']}/consents", headers=auth(A),
                        json={"purpose": "share_for_referral", "how": "schriftelijk"}).status_code == 201
    sent = at_a.post(refer_page, data={**shown, "doel": f"aanbod:{city.offer['id']}", "toelichting": "Bewaard"})
    html = text(sent)
    assert sent.status_code == 409, sent.status_code
    assert "Wat er wordt gedeeld, is veranderd" in html and "Bewaard" in html
    assert "de naam: Samira Bakkali" in html  # the page now shows what would go
    referrals = city.client(A, "requests").get(f"/requests/{asked['id']}/referrals", headers=auth(A)).json
    assert referrals == []

    unseen = {k: v for k, v in hidden(html).items() if k != "gedeeld"}  # a form that never showed the sharing
    assert at_a.post(refer_page, data={**unseen, "doel": f"aanbod:{city.offer['id']}"}).status_code == 409
    assert city.client(A, "requests").get(f"/requests/{asked['id']}/referrals", headers=auth(A)).json == []

    again = at_a.post(refer_page, data={**hidden(html), "doel": f"aanbod:{city.offer['id']}"})
    assert again.status_code == 303, text(again)
    assert copy_at_b(city)["name"] == "Samira Bakkali"


def test_a_consent_given_after_the_portals_last_look_is_caught_by_the_service(city, monkeypatch):
    """The moment between the portal's last look at the preview and the referral: the consent is given just
    after that look. The portal sends what it showed (expected_shared); the service, under the request's
    lock, refuses, and the page shows what would go now."""
    from samen030.portal import staff_requests
    members = city.client(A, "members")
    member = members.post("/members", headers=auth(A), json={
        "type": "person", "kind": "bewoner", "membership_number": "WIP-9", "name": "Samira Bakkali",
        "phone": "06 98765432", "buurt": "BU03440832"}).json
    asked = take_in(city, member_id=member["id"], consents=[])
    at_a = coordinator_of(city, A)
    assert move(at_a, asked["id"], "triage").status_code == 303
    refer_page = f"{page_of(asked['id'])}/doorverwijzen"
    shown = hidden(text(at_a.get(f"{refer_page}?organisatie={B}")))
    last_look = staff_requests._preview
    looks = []

    def look_then_consent(item):
        preview = last_look(item)
        if not looks:  # the portal's check before referring: right after it, the consent comes in
            assert members.post(f"/members/{member['id']}/consents", headers=auth(A),
                                json={"purpose": "share_for_referral", "how": "schriftelijk"}).status_code == 201
        looks.append(preview)
        return preview
    monkeypatch.setattr(staff_requests, "_preview", look_then_consent)
    sent = at_a.post(refer_page, data={**shown, "doel": f"aanbod:{city.offer['id']}", "toelichting": "Bewaard"})
    html = text(sent)
    assert sent.status_code == 409, html
    assert "Wat er wordt gedeeld, is veranderd" in html and "de naam: Samira Bakkali" in html and "Bewaard" in html
    assert city.client(A, "requests").get(f"/requests/{asked['id']}/referrals", headers=auth(A)).json == []
    assert city.client(B, "requests").get("/requests", query_string={"origin": "referral"},
                                          headers=auth(B)).json["total_items"] == 0  # nothing reached B


def test_the_language_switch_sends_back_only_to_a_page_of_the_portal():
    """`terug` with a tab ("/\\t/evil.example") became Location //evil.example (browsers drop tabs and newlines
    in URLs): an open redirect on every page's language link; a newline was a 500."""
    client = pages_portal().test_client()
    for back in ("/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "/\x00/evil.example", "\t//evil.example",
                 "//evil.example", "/\\evil.example", "https://evil.example/"):
        answer = client.get("/taal/en", query_string={"terug": back})
        assert answer.status_code == 303 and answer.headers["Location"] == "/", (back, answer.headers.get("Location"))
    kept = client.get("/taal/en", query_string={"terug": "/zoeken?q=taalcaf%C3%A9&wijk=Kanaleneiland"})
    assert kept.headers["Location"] == "/zoeken?q=taalcaf%C3%A9&wijk=Kanaleneiland"


def test_a_language_code_with_a_newline_is_not_saved_with_an_offer(city):
    """The offer form took "nl\\n" as a language ('$' matches before a final newline) and the directory stored
    it: the offer was then not found under its language."""
    at_a = coordinator_of(city, A)
    data = {"csrf_token": csrf_token(at_a, "/medewerkers/aanbod/nieuw"), "naam": "Taalcafé", "onderwerp": "informatie",
            "buurt": "Kanaleneiland-Noord", "talen": ["nl\n"], "gratis": "ja", "rijen": "1"}
    made = at_a.post("/medewerkers/aanbod/nieuw", data=data)
    assert made.status_code == 400 and "Kies minstens één taal" in text(made), made.status_code
    assert city.client(A, "directory").get("/offers", headers=auth(A)).json["total_items"] == 0
    made = at_a.post("/medewerkers/aanbod/nieuw", data={**data, "talen": ["nl\n", "ar"]})
    assert made.status_code == 303
    [offer] = city.client(A, "directory").get("/offers", headers=auth(A)).json["items"]
    assert offer["languages"] == ["ar"]


def test_a_change_that_may_have_been_made_is_never_called_unchanged(city, monkeypatch):
    """The service took the erasure (or the new offer) but its answer did not come in time: the page said
    "Er is niets veranderd" — a coordinator then believes the data is still there, or makes the offer twice."""
    from samen030.portal import city_api
    member = city.client(A, "members").post("/members", headers=auth(A), json={
        "type": "person", "kind": "bewoner", "membership_number": "WIP-9", "name": "Samira Bakkali"}).json
    at_a = coordinator_of(city, A)
    token = csrf_token(at_a, f"/medewerkers/leden/{member['id']}/wissen")
    real_members, real_directory = city_api.members_call, city_api.directory_write

    def members_late(partner, token, method, path, **kwargs):
        answer = real_members(partner, token, method, path, **kwargs)
        if method == "POST":
            raise city_api.PeerUnavailable("no answer in time", maybe_received=True, timed_out=True)
        return answer

    def directory_late(*args, **kwargs):
        real_directory(*args, **kwargs)
        raise city_api.PeerUnavailable("no answer in time", maybe_received=True, timed_out=True)
    monkeypatch.setattr(city_api, "members_call", members_late)
    monkeypatch.setattr(city_api, "directory_write", directory_late)
    erased = at_a.post(f"/medewerkers/leden/{member['id']}/wissen", data={"csrf_token": token, "bevestig": "ja"})
    html = text(erased)
    assert erased.status_code == 503 and "niets veranderd" not in html and "niet zeker" in html, html
    assert city.client(A, "members").get(f"/members/{member['id']}", headers=auth(A)).json["erased_at"]

    made = at_a.post("/medewerkers/aanbod/nieuw", data={
        "csrf_token": token, "naam": "Taalcafé", "onderwerp": "informatie", "buurt": "Kanaleneiland-Noord",
        "talen": ["nl"], "gratis": "ja", "rijen": "1"})
    html = text(made)
    assert made.status_code == 503 and "niets gewijzigd" not in html and "niet zeker" in html, html


def test_a_control_character_in_the_referral_note_is_not_blamed_on_the_offer(city):
    """The requests service refuses control characters in the reason (422); the refer page said the offer was
    no longer active or the volunteer no longer wanted to be asked — so the coordinator picked another one."""
    asked = take_in(city)
    at_a = coordinator_of(city, A)
    assert move(at_a, asked["id"], "triage").status_code == 303
    refer_page = f"{page_of(asked['id'])}/doorverwijzen"
    shown = hidden(text(at_a.get(f"{refer_page}?organisatie={B}")))
    sent = at_a.post(refer_page, data={**shown, "doel": f"aanbod:{city.offer['id']}", "toelichting": "bel\x07 haar"})
    html = text(sent)
    assert sent.status_code == 400, sent.status_code
    assert "Hiernaar kun je niet doorverwijzen" not in html and "Je toelichting bevat een teken" in html
    assert city.client(A, "requests").get(f"/requests/{asked['id']}/referrals", headers=auth(A)).json == []
