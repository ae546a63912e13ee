"""A coordinator's work on a request in the portal, with Flask's test client, on two partners' real members,
requests and directory services over HTTP (threads of this process) and the gateway, SQLite and
PostgreSQL: triage, the suggestions with their reasons in plain Dutch, a referral to another partner that
first shows exactly what will be shared (with the resident's consent, and without it: only the anonymous
question), the other partner's coordinator accepting or declining it and the answer coming back; a
coordinator of B who types A's request or action URLs gets the refusal page; CSRF; the service's 409,
422 and 503 shown in Dutch, with what was typed kept."""
import re

import pytest

from samen030.helprequests.followup_worker import answers_projection
from tests.conftest import auth
from tests.integration.test_portal_staff import A, B, PASSWORD, SECRETS, csrf_token, log_in, portal, take_in, text
from tests.integration.test_requests_api import OFFER
from tests.integration.test_volunteer_suggestions import volunteer
from tests.live import City
from samen030.kernel.config import load_federation


@pytest.fixture
def city(databases, monkeypatch, tmp_path):
    city = City(databases, monkeypatch, tmp_path, {A: ("requests", "members", "directory"),
                                                  B: ("requests", "members", "directory")})
    for key in city.ports:
        city.start(*key)
    city.start_gateway()
    city.federation = load_federation(tmp_path / "federation.toml")
    for partner in (A, B):
        made = city.client(partner, "members").post("/accounts", headers=auth(partner), json={
            "username": f"coordinator@{partner}.example", "password": PASSWORD, "role": "coordinator"})
        assert made.status_code == 201, made.json
    city.offer = city.client(B, "directory").post("/offers", json=OFFER, headers=auth(B)).json
    city.sync_gateway()
    yield city
    city.close()


def coordinator_of(city, partner):
    client = portal(city)
    assert log_in(client, partner).status_code == 303
    return client


def page_of(request_id: str) -> str:
    return f"/medewerkers/hulpvragen/{request_id}"


def move(client, request_id, action, token=None, **fields):
    return client.post(f"{page_of(request_id)}/handeling", data={
        "csrf_token": token or csrf_token(client, page_of(request_id)), "handeling": action, **fields})


def shown_as_shared(client, request_id, partner=B) -> dict:
    """The refer form's `gedeeld`: what the page showed would be shared (the POST refers only if that still holds)."""
    found = re.search(r'name="gedeeld" value="([^"]*)"',
                      text(client.get(f"{page_of(request_id)}/doorverwijzen?organisatie={partner}")))
    return {"gedeeld": found.group(1)} if found else {}


def refer(client, request_id, offer_id, reason="Zij zoekt lotgenoten.", partner=B):
    return client.post(f"{page_of(request_id)}/doorverwijzen", data={
        "csrf_token": csrf_token(client, page_of(request_id)), "organisatie": partner, "doel": f"aanbod:{offer_id}",
        "toelichting": reason, **shown_as_shared(client, request_id, partner)})


def at_service(city, partner, request_id) -> dict:
    return city.client(partner, "requests").get(f"/requests/{request_id}", headers=auth(partner)).json


def deliver_answers(city):
    """B's answers reach A's follow-up worker, as the bus would bring them."""
    rows = [(payload, subject) for _seq, payload, subject in city.outbox(B, "requests")
            if subject.endswith("request.changed")]
    answers_projection(city.apps[(A, "requests")].extensions["samen030.db"], A).apply(rows)


def copy_at_b(city) -> dict:
    found = city.client(B, "requests").get("/requests", query_string={"origin": "referral"}, headers=auth(B)).json
    assert found["total_items"] == 1
    return found["items"][0]


def test_triage_suggestions_refer_with_consent_and_the_answer_comes_back(city):
    asked = take_in(city)  # consent to share for a referral, and to be phoned
    at_a = coordinator_of(city, A)
    html = text(at_a.get(page_of(asked["id"])))
    assert "Uitgevraagd: ik heb contact gehad" in html and "Doorverwijzen kan als je de vraag hebt uitgevraagd" in html
    assert "doorverwijzen?" not in html  # no way to refer before the triage
    assert "Ervaringsdeskundigen aan tafel" in html and "Power by Peers" in html  # a suggestion, with its reasons
    assert "In de eigen buurt Kanaleneiland-Noord" in html and "Past bij Steun van ervaringsdeskundigen" in html
    assert "(in the same buurt)" not in html and "(same category)" not in html  # plain Dutch

    triaged = move(at_a, asked["id"], "triage", toelichting="Gebeld; ze zoekt lotgenoten.", versie="1")
    assert triaged.status_code == 303 and triaged.headers["Location"].endswith(page_of(asked["id"]))
    html = text(at_a.get(page_of(asked["id"])))
    assert "Gelukt: de hulpvraag is nu ‘Uitgevraagd’." in html and "Gebeld; ze zoekt lotgenoten." in html
    assert at_service(city, A, asked["id"])["status"] == "triaged"
    link = f"{page_of(asked['id'])}/doorverwijzen?aanbod={city.offer['id']}"
    assert f'href="{link}"' in html  # the suggestion leads to the referral form

    form = at_a.get(link)
    html = text(form)
    assert form.status_code == 200
    assert re.search(rf'<option value="{B}" selected>Power by Peers</option>', html)
    assert re.search(rf'value="aanbod:{city.offer["id"]}" checked', html)
    shared = html[html.index("Wat er wordt gedeeld"):html.index("Naar welke organisatie?")]
    for words in ("De bewoner gaf toestemming", "de vraag, in de woorden van de bewoner", "de naam: Samira Bakkali",
                  "het telefoonnummer: 06 98765432", "Niet gedeeld: het e-mailadres (geen toestemming om te mailen)",
                  "Altijd mee, zonder persoonsgegevens: het onderwerp"):
        assert words in shared, words
    assert "samira@example.nl" not in shared and "Verwijs door naar Power by Peers" in html

    sent = refer(at_a, asked["id"], city.offer["id"])
    assert sent.status_code == 303, text(sent)
    html = text(at_a.get(page_of(asked["id"])))
    assert "Doorverwezen naar Power by Peers. Gedeeld: de vraag, naam, telefoonnummer." in html
    assert "Naar Power by Peers" in html and "verstuurd" in html and "Zij zoekt lotgenoten." in html
    assert at_service(city, A, asked["id"])["status"] == "referred"
    copy = copy_at_b(city)
    assert (copy["question"], copy["name"], copy["phone"], copy["email"]) == (
        asked["question"], "Samira Bakkali", "06 98765432", None)

    at_b = coordinator_of(city, B)
    inbox = text(at_b.get("/medewerkers/"))
    assert re.search(r"<strong>1</strong> Doorverwezen naar jullie", inbox) and page_of(copy["id"]) in inbox
    assert "doorverwezen door Stichting Wijkinformatiepunt Utrecht" in inbox
    html = text(at_b.get(page_of(copy["id"])))
    assert "Doorverwijzing aannemen" in html and "Doorverwijzing afwijzen" in html
    assert "Stichting Wijkinformatiepunt Utrecht verwees deze vraag naar jullie" in html
    accepted = move(at_b, copy["id"], "accept", toelichting="Een ervaringsdeskundige belt haar.")
    assert accepted.status_code == 303
    assert "Gelukt: de hulpvraag is nu ‘Aangenomen’." in text(at_b.get(page_of(copy["id"])))

    deliver_answers(city)  # B's answer on the bus, at A's follow-up worker
    html = text(at_a.get(page_of(asked["id"])))
    assert re.search(r'<span id="status">Aangenomen</span>', html)
    assert re.search(r'samen030-referral-status">aangenomen<', html) and "doorverwijzing aangenomen" in html


def test_without_the_consent_only_the_anonymous_question_goes_and_the_resident_gets_the_contact(city):
    asked = take_in(city, consents=[])
    at_a = coordinator_of(city, A)
    assert move(at_a, asked["id"], "triage").status_code == 303
    html = text(at_a.get(f"{page_of(asked['id'])}/doorverwijzen?organisatie={B}"))
    assert "De bewoner gaf geen toestemming om de vraag door te geven" in html
    assert "Verwijs anoniem door naar Power by Peers" in html and "Samira Bakkali" not in html.split("Wat er wordt")[1]
    assert "Ervaringsdeskundigen aan tafel" in html

    sent = refer(at_a, asked["id"], city.offer["id"])
    assert sent.status_code == 303
    html = text(at_a.get(page_of(asked["id"])))
    assert "zonder gegevens van de bewoner" in html and "Zonder toestemming: er is niets over de bewoner gedeeld." in html
    assert "Geef de bewoner deze contactgegevens" in html and "Oudenoord 1" in html
    copy = copy_at_b(city)
    assert [copy[f] for f in ("question", "name", "phone", "email")] == [None] * 4
    assert copy["category"] == "lichte-zorg"
    at_b = coordinator_of(city, B)
    assert not any(secret in text(at_b.get(page_of(copy["id"]))) for secret in SECRETS)


def test_the_other_partner_declines_and_the_first_can_refer_again(city):
    asked = take_in(city)
    at_a = coordinator_of(city, A)
    move(at_a, asked["id"], "triage")
    assert refer(at_a, asked["id"], city.offer["id"]).status_code == 303
    at_b = coordinator_of(city, B)
    copy = copy_at_b(city)
    assert move(at_b, copy["id"], "decline", toelichting="Geen plek deze maand.").status_code == 303
    assert "Gelukt: de hulpvraag is nu ‘Afgewezen’." in text(at_b.get(page_of(copy["id"])))
    deliver_answers(city)
    html = text(at_a.get(page_of(asked["id"])))
    assert re.search(r'<span id="status">Afgewezen</span>', html) and 'referral-status">afgewezen<' in html
    assert "Doorverwijzen naar een andere organisatie" in html  # refer again, or help yourself
    assert "Zelf oppakken" in html
    english = text(at_a.get(page_of(asked["id"]), headers={"Accept-Language": "en"}))
    assert "What do you do with this question?" in english and "Refer to another organisation" in english
    assert "(in the same buurt)" in english  # the service's reasons, with their English


def test_a_coordinator_of_b_gets_the_refusal_page_for_as_request_and_its_actions(city):
    asked = take_in(city)
    at_b = coordinator_of(city, B)
    token = csrf_token(at_b, "/medewerkers/")
    tries = [at_b.get(page_of(asked["id"])), at_b.get(f"{page_of(asked['id'])}/doorverwijzen?organisatie={B}"),
             move(at_b, asked["id"], "triage", token=token),
             at_b.post(f"{page_of(asked['id'])}/doorverwijzen", data={
                 "csrf_token": token, "organisatie": A, "doel": f"aanbod:{city.offer['id']}"}),
             move(at_b, "not-a-uuid", "triage", token=token)]
    for answer in tries:
        html = text(answer)
        assert answer.status_code in (403, 404) and "Deze hulpvraag kun je niet zien" in html
        assert not any(secret in html for secret in SECRETS)
    assert at_service(city, A, asked["id"])["status"] == "received"  # nothing moved


def test_forms_need_the_csrf_token_and_a_login(city):
    asked = take_in(city)
    at_a = coordinator_of(city, A)
    for path, data in ((f"{page_of(asked['id'])}/handeling", {"handeling": "triage"}),
                       (f"{page_of(asked['id'])}/doorverwijzen", {"organisatie": B, "doel": f"aanbod:{city.offer['id']}"})):
        missing = at_a.post(path, data=data)
        assert missing.status_code == 400 and "Dit formulier is verlopen" in text(missing), path
        forged = at_a.post(path, data={**data, "csrf_token": "forged"})
        assert forged.status_code == 400, path
    assert at_service(city, A, asked["id"])["status"] == "received"

    stranger = portal(city)
    token = csrf_token(stranger)
    for answer in (stranger.get(f"{page_of(asked['id'])}/doorverwijzen"),
                   stranger.post(f"{page_of(asked['id'])}/handeling", data={"csrf_token": token, "handeling": "triage"})):
        assert answer.status_code == 303 and answer.headers["Location"].endswith("/medewerkers/inloggen")
    assert at_service(city, A, asked["id"])["status"] == "received"


def test_the_services_409_422_and_503_are_shown_in_dutch_with_what_was_typed(city):
    asked = take_in(city)
    at_a = coordinator_of(city, A)
    token = csrf_token(at_a, page_of(asked["id"]))  # the page as it was: version 1
    assert city.client(A, "requests").post(f"/requests/{asked['id']}/triage", json={}, headers=auth(A)).status_code == 200
    stale = move(at_a, asked["id"], "triage", token=token, versie="1", toelichting="Mijn notitie")
    html = text(stale)
    assert stale.status_code == 409 and "de hulpvraag is intussen veranderd" in html and "Mijn notitie" in html
    assert re.search(r'<span id="status">Uitgevraagd</span>', html)

    odd = move(at_a, asked["id"], "start", toelichting="bel\x07 haar")  # the service refuses control characters
    assert odd.status_code == 422 and "Dat nam je organisatie niet aan" in text(odd)
    assert at_service(city, A, asked["id"])["status"] == "triaged"

    wrong = at_a.post(f"{page_of(asked['id'])}/doorverwijzen", data={
        "csrf_token": token, "organisatie": B, "doel": "aanbod:00000000-0000-4000-8000-000000000000",
        "toelichting": "Bewaard"})
    assert wrong.status_code == 400 and "Kies een aanbod van Power by Peers." in text(wrong) and "Bewaard" in text(wrong)
    nobody = at_a.post(f"{page_of(asked['id'])}/doorverwijzen", data={"csrf_token": token, "organisatie": "atlantis"})
    assert nobody.status_code == 400 and "Kies de organisatie waarnaar je doorverwijst." in text(nobody)

    city.stop(B, "requests")  # B does not answer the handover: not referred, and the form keeps what was typed
    down = refer(at_a, asked["id"], city.offer["id"], reason="Nog een keer proberen")
    html = text(down)
    assert down.status_code == 503 and "De hulpvraag is niet doorverwezen: Power by Peers" in html
    assert "Nog een keer proberen" in html and at_service(city, A, asked["id"])["status"] == "triaged"
    city.start(B, "requests")

    assert refer(at_a, asked["id"], city.offer["id"]).status_code == 303
    again = refer(at_a, asked["id"], city.offer["id"], reason="Dubbel")  # referred already: the service's 409
    html = text(again)
    assert again.status_code == 409 and "kan nu niet worden doorverwezen" in html and "Doorverwezen" in html


def test_a_request_just_taken_in_cannot_be_referred_yet(city):
    asked = take_in(city)
    at_a = coordinator_of(city, A)
    html = text(at_a.get(f"{page_of(asked['id'])}/doorverwijzen"))
    assert "Doorverwijzen kan als je de vraag hebt uitgevraagd" in html and 'name="doel"' not in html
    tried = refer(at_a, asked["id"], city.offer["id"])
    assert tried.status_code == 409 and "Doorverwijzen kan als je de vraag hebt uitgevraagd" in text(tried)
    assert at_service(city, A, asked["id"])["status"] == "received"


def test_the_service_previews_what_a_referral_would_share(city):
    """GET /requests/<id>/referral-preview, which the portal shows before a referral: as `refer` decides."""
    with_consent, without = take_in(city), take_in(city, consents=[])
    client = city.client(A, "requests")
    preview = client.get(f"/requests/{with_consent['id']}/referral-preview", headers=auth(A)).json
    assert preview["shared"] == ["question", "name", "phone"] and preview["consents"] == {
        "share_for_referral": True, "contact_phone": True, "contact_email": False}
    assert preview["always"] == ["category", "terms", "buurt", "urgency", "languages"]
    assert client.get(f"/requests/{without['id']}/referral-preview", headers=auth(A)).json["shared"] == []
    assert client.get(f"/requests/{with_consent['id']}/referral-preview", headers=auth(B)).status_code in (401, 403)
    assert client.post(f"/requests/{with_consent['id']}/consents/share_for_referral/withdraw",
                       headers=auth(A)).status_code == 200
    assert client.get(f"/requests/{with_consent['id']}/referral-preview", headers=auth(A)).json["shared"] == []


def test_volunteers_fit_too_and_another_partners_volunteer_can_be_referred_to(city):
    own, _consent = volunteer(city, A, "A-1")
    theirs, _consent = volunteer(city, B, "B-1")
    city.sync_gateway()  # B's volunteer, as an anonymous profile, at the gateway
    asked = take_in(city)
    at_a = coordinator_of(city, A)
    move(at_a, asked["id"], "triage")
    html = text(at_a.get(page_of(asked["id"])))
    assert "Vrijwilliger A-1</strong> · jullie eigen vrijwilliger" in html and "Woont in de buurt Kanaleneiland-Noord" in html
    assert "Een vrijwilliger van Power by Peers" in html and "Vrijwilliger B-1" not in html  # anonymous
    link = f"{page_of(asked['id'])}/doorverwijzen?vrijwilliger={theirs['id']}"
    assert f'href="{link}"' in html and f"vrijwilliger={own['id']}" not in html  # not to one's own

    html = text(at_a.get(link))
    assert re.search(rf'<option value="{B}" selected>Power by Peers</option>', html)
    assert re.search(rf'value="vrijwilliger:{theirs["id"]}" checked', html)
    sent = at_a.post(f"{page_of(asked['id'])}/doorverwijzen", data={
        "csrf_token": csrf_token(at_a, page_of(asked["id"])), "organisatie": B, "doel": f"vrijwilliger:{theirs['id']}",
        **shown_as_shared(at_a, asked["id"])})
    assert sent.status_code == 303, text(sent)
    referral = city.client(A, "requests").get(f"/requests/{asked['id']}/referrals", headers=auth(A)).json
    assert [(r["partner"], r["volunteer_id"], r["offer_id"]) for r in referral] == [(B, theirs["id"], None)]
