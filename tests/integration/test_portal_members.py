"""A coordinator's members and staff-accounts pages of the portal with Flask's test client, on two partners'
real members and requests services over HTTP (threads of this process), SQLite and PostgreSQL: registering a
member (and bad input in Dutch, the form kept), recording and withdrawing a consent, the AVG export as a
download of that member's data, erasure only behind its confirmation, a coordinator of B who types a member
URL of A gets the refusal page and nothing is erased, CSRF, the login, and the accounts page (add, a taken
username, disable, the last coordinator's 409 in Dutch, enable)."""
import json
import re
import uuid

import pytest

from tests.conftest import auth
from tests.integration.test_portal_pages import EXTERNAL
from tests.integration.test_portal_staff import A, B, PASSWORD, city, csrf_token, log_in, portal, text  # noqa: F401

MEMBER = {"naam": "Yasmina El Idrissi", "soort": "vrijwilliger", "lidnummer": "K-0042", "status": "lid",
          "email": "yasmina@example.nl", "telefoon": "06 12345678", "adres": "Marco Pololaan 6",
          "postcode": "3526 gh", "buurt": "Kanaleneiland-Noord", "geboortedatum": "14-3-1985",
          "vaardigheden": ["taal", "digitale-hulp"]}


def register(client, **changes):
    return client.post("/medewerkers/leden/nieuw", data={
        "csrf_token": csrf_token(client, "/medewerkers/leden/nieuw"), **MEMBER, **changes})


def member_id_of(answer) -> str:
    assert answer.status_code == 303, text(answer)
    return re.search(r"/medewerkers/leden/([0-9a-f-]{36})", answer.headers["Location"]).group(1)


def at_service(city, partner, member_id):
    answer = city.client(partner, "members").get(f"/members/{member_id}", headers=auth(partner))
    return answer.json


def consents_at_service(city, partner, member_id):
    return city.client(partner, "members").get(f"/members/{member_id}/consents", headers=auth(partner)).json


def logged_in(city, partner=A):
    client = portal(city)
    assert log_in(client, partner).status_code == 303
    return client


def test_a_coordinator_registers_a_member_who_is_on_their_list(city):
    client = logged_in(city)
    form = text(client.get("/medewerkers/leden/nieuw"))
    assert 'name="csrf_token"' in form and "Lidnummer" in form and "Kanaleneiland-Noord" in form
    answer = register(client)
    member_id = member_id_of(answer)
    stored = at_service(city, A, member_id)
    assert (stored["name"], stored["kind"], stored["type"], stored["membership_number"], stored["postcode"],
            stored["buurt"], stored["birth_date"], stored["membership_status"], sorted(stored["skills"])) == (
        "Yasmina El Idrissi", "vrijwilliger", "person", "K-0042", "3526 GH", "BU03440832", "1985-03-14", "lid",
        ["digitale-hulp", "taal"])

    page = client.get(answer.headers["Location"])
    html = text(page)
    assert page.status_code == 200 and "Het lid is geregistreerd" in html
    for words in ("Yasmina El Idrissi", "Vrijwilliger", "K-0042", "yasmina@example.nl", "Kanaleneiland-Noord",
                  "14 maart 1985", "geen toestemming gegeven", "Taal en Nederlands oefenen"):
        assert words in html, words
    assert not re.search(r"\bBU0344\d+", re.sub(r'(href|id|value|action)="[^"]*"', "", html))
    listing = client.get("/medewerkers/leden/")
    assert listing.status_code == 200 and "Yasmina El Idrissi" in text(listing) and "lidnummer K-0042" in text(listing)
    volunteers = text(client.get("/medewerkers/leden/?soort=vrijwilliger"))
    residents = text(client.get("/medewerkers/leden/?soort=bewoner"))
    assert "Yasmina El Idrissi" in volunteers and "Yasmina El Idrissi" not in residents
    for path in ("/medewerkers/leden/", "/medewerkers/leden/nieuw", f"/medewerkers/leden/{member_id}",
                 f"/medewerkers/leden/{member_id}/wissen", "/medewerkers/accounts/", "/medewerkers/accounts/nieuw"):
        response = client.get(path)
        html = text(response)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
        assert "<script" not in html and " style=" not in html and "<style" not in html, path
        assert not EXTERNAL.search(html), path


def test_bad_input_is_explained_in_dutch_and_what_was_typed_stays(city):
    client = logged_in(city)
    bad = register(client, naam="  ", lidnummer="K 42!", email="geen-adres", telefoon="bel me", postcode="12345",
                   buurt="Atlantis", geboortedatum="1800-01-01", soort="piraat")
    html = text(bad)
    assert bad.status_code == 400
    for words in ("Vul de naam in", "Vul een lidnummer in", "Vul een e-mailadres in", "Vul een telefoonnummer in",
                  "Vul een postcode in", "Kies de buurt uit de lijst", "Vul een geboortedatum in",
                  "Kies wat voor lid dit is"):
        assert words in html, words
    assert 'value="K 42!"' in html and 'value="geen-adres"' in html and 'aria-invalid="true"' in html
    assert 'value="taal" checked' in html  # the ticked skills stay ticked
    resident = register(client, soort="bewoner")  # skills are for volunteers only
    assert resident.status_code == 400 and "Alleen vrijwilligers hebben vaardigheden" in text(resident)
    assert city.client(A, "members").get("/members", headers=auth(A)).json["total_items"] == 0

    member_id_of(register(client))
    taken = register(client, naam="Iemand Anders")  # the service's 422: the number is taken
    assert taken.status_code == 400 and "Dit lidnummer is al in gebruik" in text(taken)
    assert 'value="Iemand Anders"' in text(taken)
    assert city.client(A, "members").get("/members", headers=auth(A)).json["total_items"] == 1


def test_a_consent_is_recorded_and_withdrawn(city):
    client = logged_in(city)
    member_id = member_id_of(register(client))
    page = f"/medewerkers/leden/{member_id}"
    token = csrf_token(client, page)
    missing = client.post(f"{page}/toestemmingen", data={"csrf_token": token, "doel": "contact_email"})
    assert missing.status_code == 400 and "Kies hoe het lid toestemming gaf" in text(missing)
    assert consents_at_service(city, A, member_id) == []

    given = client.post(f"{page}/toestemmingen", data={"csrf_token": token, "doel": "volunteer_suggestions",
                                                       "hoe": "schriftelijk"})
    assert given.status_code == 303
    [consent] = consents_at_service(city, A, member_id)
    assert (consent["purpose"], consent["how"], consent["withdrawn_at"]) == ("volunteer_suggestions", "schriftelijk", None)
    html = text(client.get(given.headers["Location"]))
    assert "De toestemming is vastgelegd" in html and "als vrijwilliger voorstellen" in html and "op papier" in html
    in_force = city.client(A, "members").get(f"/members/{member_id}/consents/volunteer_suggestions", headers=auth(A))
    assert in_force.json["in_force"] is True

    withdrawn = client.post(f"{page}/toestemmingen/{consent['id']}/intrekken", data={"csrf_token": token})
    assert withdrawn.status_code == 303
    assert consents_at_service(city, A, member_id)[0]["withdrawn_at"] is not None
    html = text(client.get(withdrawn.headers["Location"]))
    assert "De toestemming is ingetrokken" in html and "geen toestemming gegeven" in html and "ingetrokken op" in html
    again = client.post(f"{page}/toestemmingen/{consent['id']}/intrekken", data={"csrf_token": token})
    assert again.status_code == 409 and "al ingetrokken" in text(again)  # the service's 409, in Dutch
    unknown = client.post(f"{page}/toestemmingen/{uuid.uuid4()}/intrekken", data={"csrf_token": token})
    assert unknown.status_code == 404 and "heeft deze toestemming niet" in text(unknown)


def test_the_export_is_a_download_of_that_members_data(city):
    client = logged_in(city)
    member_id = member_id_of(register(client))
    other_id = member_id_of(register(client, naam="Piet de Vries", lidnummer="K-0043", email="piet@example.nl"))
    client.post(f"/medewerkers/leden/{member_id}/toestemmingen", data={
        "csrf_token": csrf_token(client, f"/medewerkers/leden/{member_id}"), "doel": "contact_phone", "hoe": "mondeling"})
    assert f'href="/medewerkers/leden/{member_id}/inzage"' in text(client.get(f"/medewerkers/leden/{member_id}"))

    answer = client.get(f"/medewerkers/leden/{member_id}/inzage")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    disposition = answer.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and f"lid-{member_id[:8]}" in disposition and ".json" in disposition
    assert "Yasmina" not in disposition  # no name in a file name that ends up in a downloads folder
    assert answer.headers["Cache-Control"] == "no-store"
    document = json.loads(answer.get_data(as_text=True))
    assert document["member"]["id"] == member_id and document["member"]["name"] == "Yasmina El Idrissi"
    assert document["partner"] == A and [c["purpose"] for c in document["consents"]] == ["contact_phone"]
    assert "requests" in document and "Piet" not in answer.get_data(as_text=True) and other_id not in answer.get_data(as_text=True)


def test_erasure_needs_the_confirmation_and_then_the_member_is_gone(city):
    client = logged_in(city)
    member_id = member_id_of(register(client))
    confirm = text(client.get(f"/medewerkers/leden/{member_id}/wissen"))
    assert "Dit kun je niet ongedaan maken" in confirm and "Wat wordt gewist" in confirm and "Yasmina El Idrissi" in confirm
    token = csrf_token(client, f"/medewerkers/leden/{member_id}/wissen")
    unconfirmed = client.post(f"/medewerkers/leden/{member_id}/wissen", data={"csrf_token": token})
    assert unconfirmed.status_code == 400 and "Zet een vinkje" in text(unconfirmed)
    assert at_service(city, A, member_id)["erased_at"] is None

    erased = client.post(f"/medewerkers/leden/{member_id}/wissen", data={"csrf_token": token, "bevestig": "ja"})
    assert erased.status_code == 303 and "gedaan=gewist" in erased.headers["Location"]
    stored = at_service(city, A, member_id)
    assert stored["erased_at"] is not None and stored["name"] is None and stored["email"] is None
    listing = text(client.get(erased.headers["Location"]))
    assert "De gegevens van het lid zijn gewist" in listing and "Yasmina" not in listing
    for path in (f"/medewerkers/leden/{member_id}", f"/medewerkers/leden/{member_id}/inzage",
                 f"/medewerkers/leden/{member_id}/wissen"):
        gone = client.get(path)
        assert gone.status_code == 404 and "Dit lid kun je niet zien" in text(gone), path


def test_a_coordinator_of_b_gets_the_refusal_page_for_a_member_of_a_and_nothing_is_erased(city):
    at_a = logged_in(city, A)
    member_id = member_id_of(register(at_a))
    consent = at_a.post(f"/medewerkers/leden/{member_id}/toestemmingen", data={
        "csrf_token": csrf_token(at_a, f"/medewerkers/leden/{member_id}"), "doel": "contact_email", "hoe": "online"})
    assert consent.status_code == 303
    [given] = consents_at_service(city, A, member_id)

    at_b = logged_in(city, B)
    token = csrf_token(at_b, "/medewerkers/leden/")
    for path in (f"/medewerkers/leden/{member_id}", f"/medewerkers/leden/{member_id}/inzage",
                 f"/medewerkers/leden/{member_id}/wissen", f"/medewerkers/leden/{member_id.upper()}",
                 f"/medewerkers/leden/{uuid.uuid4()}", "/medewerkers/leden/%00", "/medewerkers/leden/..%5Cmembers"):
        refused = at_b.get(path)
        html = text(refused)
        assert refused.status_code == 404, path
        assert "Dit lid kun je niet zien" in html and "Power by Peers" in html, path
        assert "Yasmina" not in html and "yasmina@example.nl" not in html, path
        assert "attachment" not in refused.headers.get("Content-Disposition", ""), path
    for path, data in ((f"/medewerkers/leden/{member_id}/wissen", {"bevestig": "ja"}),
                       (f"/medewerkers/leden/{member_id}/toestemmingen", {"doel": "contact_phone", "hoe": "online"}),
                       (f"/medewerkers/leden/{member_id}/toestemmingen/{given['id']}/intrekken", {})):
        refused = at_b.post(path, data={"csrf_token": token, **data})
        assert refused.status_code == 404 and "Dit lid kun je niet zien" in text(refused), path
    stored = at_service(city, A, member_id)
    assert stored["erased_at"] is None and stored["name"] == "Yasmina El Idrissi"
    assert [(c["purpose"], c["withdrawn_at"]) for c in consents_at_service(city, A, member_id)] == [("contact_email", None)]
    assert "Yasmina" not in text(at_b.get("/medewerkers/leden/"))


def test_every_form_needs_its_csrf_token_and_every_page_a_login(city):
    client = logged_in(city)
    member_id = member_id_of(register(client))
    accounts = city.client(A, "members").get("/accounts", headers=auth(A)).json["items"]
    writes = (("/medewerkers/leden/nieuw", {**MEMBER, "lidnummer": "K-0099"}),
              (f"/medewerkers/leden/{member_id}/toestemmingen", {"doel": "contact_email", "hoe": "online"}),
              (f"/medewerkers/leden/{member_id}/wissen", {"bevestig": "ja"}),
              ("/medewerkers/accounts/nieuw", {"gebruikersnaam": "nieuw@example.nl", "rol": "volunteer",
                                               "wachtwoord": PASSWORD}),
              (f"/medewerkers/accounts/{accounts[0]['id']}/uitschakelen", {}))
    for path, data in writes:
        for token in (None, "vervalst"):
            refused = client.post(path, data={**data, **({"csrf_token": token} if token else {})})
            assert refused.status_code == 400 and "Dit formulier is verlopen" in text(refused), path
    assert at_service(city, A, member_id)["erased_at"] is None and consents_at_service(city, A, member_id) == []
    assert city.client(A, "members").get("/members", headers=auth(A)).json["total_items"] == 1
    assert len(city.client(A, "members").get("/accounts", headers=auth(A)).json["items"]) == len(accounts)

    stranger = portal(city)
    for path in ("/medewerkers/leden/", "/medewerkers/leden/nieuw", f"/medewerkers/leden/{member_id}",
                 f"/medewerkers/leden/{member_id}/inzage", f"/medewerkers/leden/{member_id}/wissen",
                 "/medewerkers/accounts/", "/medewerkers/accounts/nieuw"):
        answer = stranger.get(path)
        assert answer.status_code == 303 and answer.headers["Location"].endswith("/medewerkers/inloggen"), path
    token = csrf_token(stranger)
    erase = stranger.post(f"/medewerkers/leden/{member_id}/wissen", data={"csrf_token": token, "bevestig": "ja"})
    assert erase.status_code == 303 and erase.headers["Location"].endswith("/medewerkers/inloggen")
    assert at_service(city, A, member_id)["erased_at"] is None


def test_the_accounts_page_adds_disables_and_enables_and_keeps_the_last_coordinator(city):
    client = logged_in(city)
    page = text(client.get("/medewerkers/accounts/"))
    assert f"coordinator@{A}.example" in page and f"vrijwilliger@{A}.example" in page and "dit ben jij" in page
    token = csrf_token(client, "/medewerkers/accounts/nieuw")
    bad = client.post("/medewerkers/accounts/nieuw", data={"csrf_token": token, "gebruikersnaam": "x",
                                                           "weergavenaam": "Xander", "rol": "baas", "wachtwoord": "kort"})
    assert bad.status_code == 400
    for words in ("Vul een gebruikersnaam in", "Kies een rol", "minstens 10"):
        assert words in text(bad), words
    assert 'value="Xander"' in text(bad) and "kort" not in re.findall(r'value="([^"]*)"', text(bad))

    added = client.post("/medewerkers/accounts/nieuw", data={
        "csrf_token": token, "gebruikersnaam": "Tweede@Example.nl", "weergavenaam": "Tweede Coördinator",
        "rol": "coordinator", "wachtwoord": PASSWORD})
    assert added.status_code == 303
    assert "Het account is aangemaakt" in text(client.get(added.headers["Location"]))
    taken = client.post("/medewerkers/accounts/nieuw", data={
        "csrf_token": token, "gebruikersnaam": "tweede@example.nl", "rol": "volunteer", "wachtwoord": PASSWORD})
    assert taken.status_code == 400 and "al in gebruik" in text(taken)
    second = portal(city)
    assert second.post("/medewerkers/inloggen", data={  # the new coordinator logs in with the starting password
        "csrf_token": csrf_token(second), "organisatie": A, "gebruikersnaam": "tweede@example.nl",
        "wachtwoord": PASSWORD}).status_code == 303

    accounts = {a["username"]: a for a in city.client(A, "members").get("/accounts", headers=auth(A)).json["items"]}
    mine, theirs = accounts[f"coordinator@{A}.example"], accounts["tweede@example.nl"]
    off = client.post(f"/medewerkers/accounts/{theirs['id']}/uitschakelen", data={"csrf_token": token})
    assert off.status_code == 303 and "uitgeschakeld" in text(client.get(off.headers["Location"]))
    assert city.client(A, "members").get(f"/accounts/{theirs['id']}", headers=auth(A)).json["active"] is False
    assert second.get("/medewerkers/leden/").status_code == 303  # their session ends with it

    last = client.post(f"/medewerkers/accounts/{mine['id']}/uitschakelen", data={"csrf_token": token})
    assert last.status_code == 409 and "laatste coördinatoraccount" in text(last)
    assert city.client(A, "members").get(f"/accounts/{mine['id']}", headers=auth(A)).json["active"] is True

    on = client.post(f"/medewerkers/accounts/{theirs['id']}/inschakelen", data={"csrf_token": token})
    assert on.status_code == 303 and "staat weer aan" in text(client.get(on.headers["Location"]))
    assert city.client(A, "members").get(f"/accounts/{theirs['id']}", headers=auth(A)).json["active"] is True

    at_b = logged_in(city, B)  # A's account id typed at B: not B's, nothing changes
    refused = at_b.post(f"/medewerkers/accounts/{theirs['id']}/uitschakelen",
                        data={"csrf_token": csrf_token(at_b, "/medewerkers/accounts/")})
    assert refused.status_code == 404 and "bestaat niet bij je organisatie" in text(refused)
    assert "tweede@example.nl" not in text(refused)
    assert city.client(A, "members").get(f"/accounts/{theirs['id']}", headers=auth(A)).json["active"] is True


def test_a_service_that_does_not_answer_is_a_503_page_and_no_half_export(city):
    client = logged_in(city)
    member_id = member_id_of(register(client))
    city.stop(A, "requests")  # the export holds the member's help requests: without them, no file
    export = client.get(f"/medewerkers/leden/{member_id}/inzage")
    assert export.status_code == 503 and "niet bereikbaar" in text(export)
    assert "Content-Disposition" not in export.headers and "Yasmina" not in text(export)
    city.stop(A, "members")
    for path in ("/medewerkers/leden/", f"/medewerkers/leden/{member_id}", "/medewerkers/accounts/"):
        down = client.get(path)
        assert down.status_code == 503 and "De ledenadministratie van je organisatie is nu niet bereikbaar" in text(down), path


def test_the_english_catalogue_has_the_members_pages(city):
    client = logged_in(city)
    member_id = member_id_of(register(client))
    english = {"Accept-Language": "en"}
    assert "Members and volunteers" in text(client.get("/medewerkers/leden/", headers=english))
    page = text(client.get(f"/medewerkers/leden/{member_id}", headers=english))
    assert "Record a consent" in page and "We may e-mail this member." in page and "This cannot be undone" not in page
    assert "This cannot be undone" in text(client.get(f"/medewerkers/leden/{member_id}/wissen", headers=english))
    assert "Staff accounts" in text(client.get("/medewerkers/accounts/", headers=english))


def test_the_members_service_decides_a_volunteers_token_gets_the_refusal_page(city):
    """Only coordinators log in to the portal; were a volunteer's token in a session, the members service
    itself refuses it, and the portal shows its refusal page rather than an error or the data."""
    client = logged_in(city)
    member_id = member_id_of(register(client))
    login = city.client(A, "members").post("/login", json={"username": f"vrijwilliger@{A}.example", "password": PASSWORD})
    assert login.status_code == 200, login.json
    with client.session_transaction() as session:
        session["staff"] = {**session["staff"], "token": login.json["token"], "role": "volunteer"}
    for path in ("/medewerkers/leden/", f"/medewerkers/leden/{member_id}", f"/medewerkers/leden/{member_id}/inzage",
                 "/medewerkers/accounts/"):
        refused = client.get(path)
        assert refused.status_code == 403 and "Dit lid kun je niet zien" in text(refused), path
        assert "Yasmina" not in text(refused) and "attachment" not in refused.headers.get("Content-Disposition", "")
