"""The coordinators' pages of the portal with Flask's test client, on two partners' real members and
requests services over HTTP (threads of this process) and the gateway, SQLite and PostgreSQL: logging in
at one's own partner (wrong password, rate limit, CSRF, a volunteer), the inbox with its counts, a
request's page, logging out, an expired or refused session back to the login page, and a coordinator
of B who types a request URL of A gets the refusal page, not the data."""
import re
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from samen030.helprequests.tables import help_requests
from samen030.kernel.config import load_federation
from samen030.portal.app import create_app
from tests.conftest import auth
from tests.live import City
from tests.integration.test_portal_pages import EXTERNAL
from tests.integration.test_requests_api import OFFER, QUESTION

A, B = "wijkinformatiepunt", "powerbypeers"
PASSWORD = "lange-zin met spaties 42"
SECRETS = ("Samira", "Bakkali", "06 98765432", "samira@example.nl", "uit de kliniek")


@pytest.fixture
def city(databases, monkeypatch, tmp_path):
    monkeypatch.setenv("SAMEN030_ACCOUNT_CHECK_SECONDS", "0")  # a disabled account counts at once
    city = City(databases, monkeypatch, tmp_path, {A: ("requests", "members", "directory"),
                                                  B: ("requests", "members", "directory")})
    for key in city.ports:
        city.start(*key)
    city.start_gateway()
    city.federation = load_federation(tmp_path / "federation.toml")
    for partner in (A, B):
        for username, role in (("coordinator", "coordinator"), ("vrijwilliger", "volunteer")):
            made = city.client(partner, "members").post("/accounts", headers=auth(partner), json={
                "username": f"{username}@{partner}.example", "password": PASSWORD, "role": role})
            assert made.status_code == 201, made.json
    yield city
    city.close()


def portal(city, **config):
    return create_app(city.federation, {"GATEWAY_APP": city.gateway, "SECRET_KEY": "test", **config}).test_client()


def csrf_token(client, path="/medewerkers/inloggen") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def log_in(client, partner, username="coordinator", password=PASSWORD, token=None):
    return client.post("/medewerkers/inloggen", data={
        "csrf_token": token or csrf_token(client), "organisatie": partner,
        "gebruikersnaam": f"{username}@{partner}.example", "wachtwoord": password})


def take_in(city, partner=A, **changes) -> dict:
    made = city.client(partner, "requests").post("/requests", json={**QUESTION, **changes}, headers=auth(partner))
    assert made.status_code == 201, made.json
    return made.json


def text(response) -> str:
    return response.get_data(as_text=True)


def test_a_coordinator_logs_in_at_their_own_partner_and_sees_their_inbox(city):
    asked = take_in(city, question="Ik zoek hulp met formulieren van de gemeente.")
    client = portal(city)
    login_page = text(client.get("/medewerkers/inloggen"))
    assert "Stichting Wijkinformatiepunt Utrecht" in login_page and "Power by Peers" in login_page
    assert 'autocomplete="current-password"' in login_page

    answer = log_in(client, A, username="  Coordinator")  # the members service normalises the username
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/medewerkers/")
    cookie = client.get_cookie("samen030")
    assert cookie.http_only and cookie.same_site == "Lax"

    inbox = client.get("/medewerkers/")
    html = text(inbox)
    assert inbox.status_code == 200 and "Hulpvragen van Stichting Wijkinformatiepunt Utrecht" in html
    assert "Ik zoek hulp met formulieren van de gemeente." in html and "Uitloggen" in html
    assert re.search(r"<strong>1</strong> Nieuw", html) and re.search(r"<strong>0</strong> Te laat", html)
    assert "<script" not in html and " style=" not in html
    assert not re.search(r"\b(BU|WK)0344\d+", re.sub(r'(href|id|value)="[^"]*"', "", html))  # places by name

    page = client.get(f"/medewerkers/hulpvragen/{asked['id']}")
    html = text(page)
    assert page.status_code == 200
    for words in ("Ik zoek hulp met formulieren van de gemeente.", "Nieuw", "Lichte zorg en gezondheid",
                  "Kanaleneiland-Noord", "aan de balie", "Samira Bakkali", "binnengekomen", "niet doorverwezen"):
        assert words in html, words
    for path in ("/medewerkers/inloggen", "/medewerkers/", f"/medewerkers/hulpvragen/{asked['id']}",
                 f"/medewerkers/hulpvragen/{uuid.uuid4()}"):
        response = client.get(path)
        assert "unsafe-inline" not in response.headers["Content-Security-Policy"], path
        assert response.headers["Cache-Control"] == "no-store", path  # a request's page is not kept by the browser
        page = text(response)
        assert "<script" not in page and " style=" not in page and "<style" not in page, path
        assert not EXTERNAL.search(page), path


def test_a_wrong_password_an_unknown_partner_and_a_volunteer_are_refused_in_plain_dutch(city):
    client = portal(city)
    wrong = log_in(client, A, password="helemaal fout wachtwoord")
    assert wrong.status_code == 401 and "gebruikersnaam of wachtwoord klopt niet" in text(wrong)
    assert client.get("/medewerkers/").status_code == 303  # not logged in
    elsewhere = client.post("/medewerkers/inloggen", data={  # A's account at B's members service: unknown there
        "csrf_token": csrf_token(client), "organisatie": B, "gebruikersnaam": f"coordinator@{A}.example",
        "wachtwoord": PASSWORD})
    assert elsewhere.status_code == 401
    nobody = log_in(client, "atlantis")
    assert nobody.status_code == 400 and "Kies je organisatie uit de lijst" in text(nobody)
    empty = client.post("/medewerkers/inloggen", data={"csrf_token": csrf_token(client), "organisatie": A})
    assert empty.status_code == 400 and "Vul je gebruikersnaam in" in text(empty) and "Vul je wachtwoord in" in text(empty)
    volunteer = log_in(client, A, username="vrijwilliger")
    assert volunteer.status_code == 403 and "Alleen coördinatoren" in text(volunteer)
    assert client.get("/medewerkers/").status_code == 303


def test_logging_in_needs_the_forms_csrf_token(city):
    client = portal(city)
    client.get("/medewerkers/inloggen")
    missing = client.post("/medewerkers/inloggen", data={"organisatie": A, "gebruikersnaam": f"coordinator@{A}.example",
                                                         "wachtwoord": PASSWORD})
    assert missing.status_code == 400 and "Dit formulier is verlopen" in text(missing)
    forged = log_in(client, A, token="forged")
    assert forged.status_code == 400 and client.get("/medewerkers/").status_code == 303
    logout = client.post("/medewerkers/uitloggen")  # logging out needs it too
    assert logout.status_code == 400


def test_too_many_login_attempts_are_asked_to_wait(city):
    client = portal(city, LOGINS_PER_TEN_MINUTES=3)
    statuses = [log_in(client, A, password="helemaal fout wachtwoord").status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    refused = log_in(client, A)  # even the right password now waits: guessing stops here
    assert refused.status_code == 429 and "te vaak geprobeerd in te loggen" in text(refused)
    assert "Wacht tien minuten" in text(refused) and client.get("/medewerkers/").status_code == 303


def test_pages_for_coordinators_refuse_without_a_login(city):
    asked = take_in(city)
    client = portal(city)
    for path in ("/medewerkers/", f"/medewerkers/hulpvragen/{asked['id']}", "/medewerkers/hulpvragen/x"):
        answer = client.get(path)
        assert answer.status_code == 303 and answer.headers["Location"].endswith("/medewerkers/inloggen"), path
    assert "Log in om deze pagina te zien" in text(client.get("/medewerkers/inloggen"))
    assert not any(secret in text(client.get(f"/medewerkers/hulpvragen/{asked['id']}", follow_redirects=True))
                   for secret in SECRETS)


def test_a_coordinator_of_b_gets_the_refusal_page_for_a_request_of_a(city):
    at_a = take_in(city)
    at_b = take_in(city, B, question="Een vraag bij Power by Peers.", name="Bob")
    client = portal(city)
    assert log_in(client, B).status_code == 303
    assert "Een vraag bij Power by Peers." in text(client.get(f"/medewerkers/hulpvragen/{at_b['id']}"))

    for path in (f"/medewerkers/hulpvragen/{at_a['id']}", f"/medewerkers/hulpvragen/{at_a['id'].upper()}",
                 f"/medewerkers/hulpvragen/{uuid.uuid4()}", "/medewerkers/hulpvragen/%00",
                 "/medewerkers/hulpvragen/..%5C..%5Crequests"):
        refused = client.get(path)
        html = text(refused)
        assert refused.status_code in (403, 404), path
        assert "Deze hulpvraag kun je niet zien" in html and "Power by Peers" in html, path
        assert not any(secret in html for secret in SECRETS), path
    beside = client.get("/medewerkers/hulpvragen/..%2F..%2Frequests")  # no page of the portal at all
    assert beside.status_code == 404 and not any(secret in text(beside) for secret in SECRETS)
    inbox = text(client.get("/medewerkers/"))
    assert "Een vraag bij Power by Peers." in inbox and not any(secret in inbox for secret in SECRETS)


def test_the_inbox_counts_new_overdue_and_incoming_referrals(city):
    offer = city.client(B, "directory").post("/offers", json=OFFER, headers=auth(B)).json
    city.sync_gateway()
    first, late = take_in(city), take_in(city, question="Al lang geleden gevraagd.")
    with city.apps[(A, "requests")].extensions["samen030.db"].begin() as conn:
        conn.execute(update(help_requests).where(help_requests.c.id == late["id"]).values(
            first_contact_due=datetime.now(timezone.utc) - timedelta(days=1)))
    client = city.client(A, "requests")
    assert client.post(f"/requests/{first['id']}/triage", json={}, headers=auth(A)).status_code == 200
    referred = client.post(f"/requests/{first['id']}/refer", headers=auth(A),
                           json={"offer_id": offer["id"], "reason": "Past bij haar vraag."})
    assert referred.status_code == 201, referred.json

    at_a = portal(city)
    assert log_in(at_a, A).status_code == 303
    html = text(at_a.get("/medewerkers/"))
    assert re.search(r"<strong>1</strong> Nieuw", html) and re.search(r"<strong>1</strong> Te laat", html)
    assert re.search(r"<strong>0</strong> Doorverwezen naar jullie", html) and "te laat: contact uiterlijk" in html
    page = text(at_a.get(f"/medewerkers/hulpvragen/{first['id']}"))
    assert "Naar Power by Peers" in page and "Gedeeld: de vraag, naam, telefoonnummer" in page
    assert "uitgevraagd door jou" not in page and "doorverwezen" in page

    at_b = portal(city)
    assert log_in(at_b, B).status_code == 303
    html = text(at_b.get("/medewerkers/"))
    assert re.search(r"<strong>1</strong> Doorverwezen naar jullie", html) and QUESTION["question"] in html
    copy = re.search(r'href="/medewerkers/hulpvragen/([0-9a-f-]{36})"', html).group(1)
    page = text(at_b.get(f"/medewerkers/hulpvragen/{copy}"))
    assert "doorverwezen door Stichting Wijkinformatiepunt Utrecht" in page and "Van Stichting Wijkinformatiepunt" in page
    assert text(at_b.get(f"/medewerkers/hulpvragen/{first['id']}")).count("Deze hulpvraag kun je niet zien") >= 1


def test_logging_out_forgets_the_token(city):
    client = portal(city)
    assert log_in(client, A).status_code == 303
    out = client.post("/medewerkers/uitloggen", data={"csrf_token": csrf_token(client, "/medewerkers/")})
    assert out.status_code == 303 and out.headers["Location"].endswith("/medewerkers/inloggen")
    assert "Je bent uitgelogd" in text(client.get("/medewerkers/inloggen"))
    assert client.get("/medewerkers/").status_code == 303
    with client.session_transaction() as session:
        assert "staff" not in session


def test_an_expired_token_leads_back_to_the_login_page_in_plain_dutch(city, monkeypatch):
    monkeypatch.setenv("SAMEN030_TOKEN_HOURS", "0.01")  # 36 s: within the portal's margin, so expired at once
    client = portal(city)
    assert log_in(client, A).status_code == 303
    back = client.get("/medewerkers/")
    assert back.status_code == 303 and back.headers["Location"].endswith("/medewerkers/inloggen")
    assert "Je sessie is verlopen" in text(client.get("/medewerkers/inloggen"))


def test_a_disabled_account_is_sent_back_to_the_login_page(city):
    client = portal(city)
    assert log_in(client, A).status_code == 303
    assert client.get("/medewerkers/").status_code == 200
    accounts = city.client(A, "members").get("/accounts", headers=auth(A)).json["items"]
    mine = next(a for a in accounts if a["username"] == f"coordinator@{A}.example")
    other = city.client(A, "members").post("/accounts", headers=auth(A), json={
        "username": "tweede@example.nl", "password": PASSWORD, "role": "coordinator"})
    assert other.status_code == 201
    assert city.client(A, "members").post(f"/accounts/{mine['id']}/disable", headers=auth(A)).status_code == 200
    time.sleep(0.01)
    back = client.get("/medewerkers/")
    assert back.status_code == 303 and "accepteert je sessie niet meer" in text(client.get("/medewerkers/inloggen"))


def test_the_english_catalogue_has_the_coordinators_pages(city):
    client = portal(city)
    page = text(client.get("/medewerkers/inloggen", headers={"Accept-Language": "en"}))
    assert "Log in for staff" in page and "Your organisation" in page
