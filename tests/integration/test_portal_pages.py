"""The portal's residents' pages with Flask's test client, on a stand-in for the gateway: security
headers, CSRF, nothing from another host, plain-Dutch 4xx (never a 500) for bad input, the language
and its direction, and the question that reaches the partner with only the consents ticked."""
import re
import shutil
import uuid

import pytest
from flask import Flask, abort, jsonify, request

from samen030.kernel.config import REPO_ROOT, load_federation
from samen030.portal import city_api
from samen030.portal.app import create_app

OFFER_ID = str(uuid.uuid4())
FRESH = {"last_event_at": "2026-11-29T10:00:00+00:00", "reachable": True, "stale": False}
OFFER = {"id": OFFER_ID, "partner": "krachtstation", "name": "Taalcafé Kanaleneiland", "description": "Nederlands oefenen",
         "category": "informatie", "buurt": "BU03440832", "wijk": "WK034408", "status": "active", "terms": [], "areas": [],
         "languages": ["nl", "ar"], "free": True, "minimum_age": None, "maximum_age": None, "location_buurten": [],
         "virtual": False, "version": 1, "updated_at": "2026-11-29T10:00:00+00:00", "freshness": FRESH}
DETAILS = {**OFFER, "schedules": [{"byday": "MO,WE", "opens_at": "10:00", "closes_at": "12:00"}],
           "locations": [{"name": "Krachtstation", "address_1": "Marco Pololaan 6", "postal_code": "3526 GH",
                          "city": "Utrecht", "buurt": "BU03440832"}],
           "contacts": [{"name": "Balie", "phone": "030 1234567", "email": "balie@krachtstation.example"}]}
STAND_IN = Flask("gateway-stand-in")
SEARCHES = []


@STAND_IN.get("/api/v1/search")
def _search():
    SEARCHES.append(request.args.to_dict())
    return jsonify(items=[{**OFFER, "score": 111}], page=1, per_page=10, total_items=1, total_pages=1, facets={})


@STAND_IN.get("/api/v1/offers")
def _offers():
    return jsonify(items=[OFFER], page=1, per_page=200, total_items=1, total_pages=1)


@STAND_IN.get("/api/v1/offers/<offer_id>")
def _offer(offer_id):
    if offer_id != OFFER_ID:
        abort(404)
    return jsonify(OFFER)


@pytest.fixture
def sent(monkeypatch):
    """The questions the portal sends, instead of to a partner's requests service."""
    questions = []

    def ask(partner, question):
        questions.append((partner, question))
        return {"reference": str(uuid.uuid4()), "partner": partner, "status": "received",
                "received_at": "2026-11-29T10:00:00+00:00", "first_contact_due": "2026-12-02T10:00:00+00:00"}
    monkeypatch.setattr(city_api, "ask", ask)
    monkeypatch.setattr(city_api, "offer_details", lambda partner, offer_id: DETAILS)
    return questions


def portal(**config):
    federation = load_federation(REPO_ROOT / "deploy" / "federation.toml")
    return create_app(federation, {"GATEWAY_APP": STAND_IN, "SECRET_KEY": "test", **config})


@pytest.fixture
def client(sent):
    return portal().test_client()


PAGES = ["/", "/aanbod", "/aanbod?q=taalcaf%C3%A9&waar=Kanaleneiland", f"/aanbod/{OFFER_ID}", "/vraag",
         f"/vraag?aanbod={OFFER_ID}", "/bestaat-niet", "/aanbod?waar=Atlantis"]
EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//""", re.I)


def csrf_token(client, path="/vraag") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def test_every_page_has_the_security_headers_and_loads_nothing_from_another_host(client):
    for path in PAGES:
        response = client.get(path)
        assert response.status_code < 500, path
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "unsafe-inline" not in csp and "script-src 'self'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        html = response.get_data(as_text=True)
        assert not EXTERNAL.search(html), (path, EXTERNAL.search(html))
        assert "<script" not in html and " style=" not in html and "<style" not in html, path
        for asset in re.findall(r'<link[^>]+href="([^"]+)"', html):
            assert client.get(asset).status_code == 200, asset


def test_a_form_without_its_csrf_token_is_refused_in_plain_dutch(client, sent):
    response = client.post("/vraag", data={"vraag": "Hallo", "onderwerp": "informatie", "buurt": "Oog in Al",
                                           "stap": "versturen"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Dit formulier is verlopen" in html and "beveiligingscode" in html
    forged = client.post("/vraag", data={"csrf_token": "forged", "vraag": "Hallo", "stap": "versturen"})
    assert forged.status_code == 400 and not sent


def test_the_session_cookie_is_httponly_samesite_lax_and_secure_outside_local(sent):
    client = portal().test_client()
    client.get("/vraag")
    cookie = client.get_cookie("samen030")
    assert cookie.http_only and cookie.same_site == "Lax" and not cookie.secure  # http://127.0.0.1 locally
    federation = load_federation(REPO_ROOT / "deploy" / "federation.toml")
    public = create_app(type(federation)(**{**federation.__dict__, "portal_url": "https://samen030.example"}),
                        {"GATEWAY_APP": STAND_IN, "SECRET_KEY": "test"})
    assert public.config["SESSION_COOKIE_SECURE"] is True


def test_search_by_place_name_never_shows_a_code(client):
    SEARCHES.clear()
    html = client.get("/aanbod?q=taalcaf%C3%A9&waar=Kanaleneiland").get_data(as_text=True)
    assert SEARCHES[-1]["wijk"] == "WK034408" and SEARCHES[-1]["q"] == "taalcafé"  # three buurten of Zuidwest
    assert "Taalcafé Kanaleneiland" in html and "Kanaleneiland-Noord" in html and "Gegevens van" in html
    for path in PAGES:
        page = client.get(path).get_data(as_text=True)
        shown = re.sub(r'(value|href|id|for|name|list|aria-[a-z]+)="[^"]*"', "", page)
        assert not re.search(r"\b(BU|WK)0344\d+", shown), path
    client.get("/aanbod?waar=Kanaleneiland-Noord&nu_open=ja&gratis=ja&taal=ar&categorie=informatie")
    assert SEARCHES[-1] | {"q": ""} == {"q": "", "buurt": "BU03440832", "open_now": "true", "free": "true",
                                        "language": "ar", "category": "informatie", "page": "1", "per_page": "10"}


def test_the_offer_page_says_what_where_when_costs_for_whom_and_contact(client):
    html = client.get(f"/aanbod/{OFFER_ID}").get_data(as_text=True)
    for words in ("Taalcafé Kanaleneiland", "Marco Pololaan 6", "Maandag en woensdag", "van 10:00 tot 12:00", "Gratis",
                  "Iedereen", "Arabisch", "030 1234567", "Krachtstation Kanaleneiland", "Stel je vraag"):
        assert words in html, words


@pytest.mark.parametrize("path", [
    "/aanbod?q=%00", "/aanbod?waar=%00", "/aanbod?categorie=%3Cscript%3E", "/aanbod?taal=xx", "/aanbod?pagina=abc",
    "/aanbod?pagina=-5", "/aanbod?q=" + "woord%20" * 300, "/aanbod/niet-een-id", "/aanbod/%00", f"/aanbod/{uuid.uuid4()}",
    "/vraag?aanbod=..%2F..%2Fetc", "/vraag?aanbod=%00", "/taal/xx?terug=https://evil.example", "/taal/en?terug=//evil.example",
    "/vraag/verstuurd", "/%00",
])
def test_bad_input_in_a_url_is_never_a_500(client, path):
    response = client.get(path)
    assert response.status_code < 500, (path, response.status_code)
    if path.startswith("/taal/"):
        assert response.headers["Location"] == "/"


def test_a_question_goes_to_the_partner_of_the_offer_with_only_the_consents_ticked(client, sent):
    token = csrf_token(client, f"/vraag?aanbod={OFFER_ID}")
    page = client.get(f"/vraag?aanbod={OFFER_ID}").get_data(as_text=True)
    assert re.search(r'<option value="krachtstation" selected>', page)
    assert 'type="checkbox"' in page and "checked" not in page  # every consent unticked
    answers = {"csrf_token": token, "aanbod": OFFER_ID, "organisatie": "krachtstation", "onderwerp": "informatie",
               "buurt": "Kanaleneiland-Noord", "vraag": "Wanneer is het taalcafé?", "naam": "Fatima",
               "email": "fatima@example.nl", "toestemming": ["contact_email"]}
    check = client.post("/vraag", data={**answers, "stap": "controleren"})
    assert check.status_code == 200 and "Controleer je vraag" in check.get_data(as_text=True) and not sent
    done = client.post("/vraag", data={**answers, "stap": "versturen"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/vraag/verstuurd")
    assert sent == [("krachtstation", {"category": "informatie", "buurt": "BU03440832", "question": "Wanneer is het taalcafé?",
                                       "name": "Fatima", "email": "fatima@example.nl", "phone": None, "languages": ["nl"],
                                       "consents": ["contact_email"]})]
    confirmation = client.get("/vraag/verstuurd").get_data(as_text=True)
    assert "Je vraag is verstuurd" in confirmation and "Uiterlijk" in confirmation and "Krachtstation" in confirmation


@pytest.mark.parametrize("changes, field, words", [
    ({"vraag": ""}, "vraag", "Schrijf je vraag op"), ({"vraag": "x" * 4001}, "vraag", "te lang"),
    ({"buurt": "Atlantis"}, "buurt", "Kies de buurt"), ({"onderwerp": "x"}, "onderwerp", "Kies waar"),
    ({"organisatie": "nobody"}, "organisatie", "Kies een organisatie"), ({"email": "nee"}, "email", "e-mailadres"),
    ({"email": "", "toestemming": ["contact_email"]}, "email", "als we je mogen e-mailen"),
    ({"telefoon": "bel me"}, "telefoon", "alleen cijfers"), ({"naam": "a\x00b"}, "naam", "teken"),
])
def test_a_wrong_answer_is_a_400_naming_the_field_in_plain_dutch(client, sent, changes, field, words):
    answers = {"csrf_token": csrf_token(client), "organisatie": "", "onderwerp": "informatie", "buurt": "Oog in Al",
               "vraag": "Hallo", "stap": "versturen"}
    response = client.post("/vraag", data={**answers, **changes})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Er gaat iets mis" in html and words in html
    assert f'href="#{field}"' in html and f'id="{field}-fout"' in html and not sent


def test_english_second_and_the_direction_follows_the_catalogue(client, tmp_path, sent):
    dutch = client.get("/").get_data(as_text=True)
    assert '<html lang="nl" dir="ltr">' in dutch and "Waar zoek je hulp bij?" in dutch
    english = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in english and "What do you need help with?" in english
    switched = client.get("/taal/en?terug=/vraag")
    assert switched.status_code == 303 and switched.headers["Location"] == "/vraag"
    assert "Ask your question" in client.get("/vraag").get_data(as_text=True)
    catalogues = tmp_path / "translations"
    shutil.copytree(REPO_ROOT / "portal" / "translations" / "en", catalogues / "en")
    shutil.copytree(REPO_ROOT / "portal" / "translations" / "en", catalogues / "ar")  # a right-to-left language
    arabic = portal(BABEL_TRANSLATION_DIRECTORIES=str(catalogues)).test_client()
    assert '<html lang="ar" dir="rtl">' in arabic.get("/", headers={"Accept-Language": "ar"}).get_data(as_text=True)


def test_one_address_sending_too_many_questions_is_asked_to_wait(sent):
    client = portal(QUESTIONS_PER_TEN_MINUTES=2).test_client()
    answers = {"csrf_token": csrf_token(client), "onderwerp": "informatie", "buurt": "Oog in Al", "vraag": "Hallo",
               "organisatie": "", "stap": "versturen"}
    statuses = [client.post("/vraag", data=answers).status_code for _ in range(3)]
    assert statuses == [303, 303, 429] and len(sent) == 2
    assert "Even wachten" in client.post("/vraag", data=answers).get_data(as_text=True)


def test_without_a_chosen_partner_the_question_goes_to_the_one_with_aanbod_in_the_buurt(client, sent):
    answers = {"csrf_token": csrf_token(client), "onderwerp": "informatie", "buurt": "Kanaleneiland-Noord",
               "vraag": "Hallo", "organisatie": "", "stap": "versturen"}
    assert client.post("/vraag", data=answers).status_code == 303
    assert sent[-1][0] == "krachtstation"  # the stand-in gateway's only offer there is theirs


def test_the_home_page_offers_words_place_subjects_open_now_language_and_free(client):
    html = client.get("/").get_data(as_text=True)
    for field in ('name="q"', 'name="waar"', 'list="plekken"', 'name="categorie"', 'name="nu_open"', 'name="taal"',
                  'name="gratis"'):
        assert field in html, field
    tiles = re.findall(r'class="samen030-tile" href="([^"]+)"', html)
    assert len(tiles) == 6 and "/aanbod?categorie=informatie" in tiles
    assert '<option value="Kanaleneiland-Noord">' in html and '<option value="Zuidwest">' in html


def test_only_partners_that_take_questions_are_offered(sent, tmp_path):
    (tmp_path / "federation.toml").write_text(
        '[federation]\ngateway_url = "http://127.0.0.1:9"\nnats_url = "nats://127.0.0.1:9"\n'
        '[partners.krachtstation]\nname = "Krachtstation"\nservices = { directory = "http://127.0.0.1:9", '
        'requests = "http://127.0.0.1:9" }\n[partners.zorgbelang]\nname = "Zorgbelang"\n'
        'services = { directory = "http://127.0.0.1:9" }\n')
    client = create_app(load_federation(tmp_path / "federation.toml"),
                        {"GATEWAY_APP": STAND_IN, "SECRET_KEY": "test"}).test_client()
    page = client.get("/vraag").get_data(as_text=True)
    assert 'value="krachtstation"' in page and 'value="zorgbelang"' not in page
    answers = {"csrf_token": csrf_token(client), "onderwerp": "informatie", "buurt": "Oog in Al", "vraag": "Hallo",
               "organisatie": "zorgbelang", "stap": "versturen"}
    assert client.post("/vraag", data=answers).status_code == 400 and not sent
    assert client.post("/vraag", data={**answers, "organisatie": ""}).status_code == 303
    assert sent[-1][0] == "krachtstation"  # no samen030 here, and zorgbelang takes no questions


@pytest.mark.parametrize("freshness, says, not_said", [
    ({**FRESH, "reachable": False, "stale": True}, "nu niet bereikbaar", "komen nu niet door"),
    ({**FRESH, "link": "down", "stale": True}, "komen nu niet door", "nu niet bereikbaar"),
    ({**FRESH, "link": "connected"}, None, "verouderd"),
])
def test_results_say_why_a_partners_data_may_be_out_of_date(client, monkeypatch, freshness, says, not_said):
    monkeypatch.setitem(OFFER, "freshness", freshness)
    html = client.get("/aanbod?q=taalcaf%C3%A9").get_data(as_text=True)
    assert "Taalcafé Kanaleneiland" in html and not_said not in html
    assert says is None or says in html
