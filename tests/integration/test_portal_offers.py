"""The coordinators' offer pages of the portal with Flask's test client, on two partners' real members
and directory services over HTTP (threads of this process) and the gateway, SQLite and PostgreSQL: the
list of the partner's own offers, a new offer, changing one, a change made meanwhile by someone else (409:
the new version beside what was typed, saved again on top of it), closing for a while, reopening and
withdrawing (behind a question), field errors in Dutch, another partner's offer id, CSRF and the login."""
import html
import re
import uuid

import pytest

from tests.conftest import auth
from tests.integration.test_portal_staff import A, B, csrf_token, log_in, portal, text
from tests.integration.test_portal_staff import city  # noqa: F401 (the fixture: two partners, their coordinators)

SPREEKUUR = {"name": "Spreekuur formulieren", "description": "Hulp bij brieven en formulieren van de gemeente.",
             "category": "informatie", "buurt": "BU03440832", "languages": ["nl", "tr"],
             "schedules": [{"byday": "MO,WE", "opens_at": "09:00", "closes_at": "11:30", "description": "zonder afspraak"}],
             "contacts": [{"name": "Balie", "phone": "030 7654321"}]}


def offer_at(city, partner, offer=SPREEKUUR) -> dict:
    made = city.client(partner, "directory").post("/offers", json=offer, headers=auth(partner))
    assert made.status_code == 201, made.json
    return made.json


def stored(city, partner, offer_id) -> dict:
    return city.client(partner, "directory").get(f"/offers/{offer_id}").json


def form_of(html: str) -> dict:
    """The fields a browser would send for this form as it is shown (text, checked boxes, selected options)."""
    form = re.search(r'<main.*?(<form method="post" action="[^"]*(?:wijzigen|nieuw)".*?</form>)', html, re.S).group(1)
    data = {}

    def add(name, value):
        data.setdefault(name, []).append(value)
    for tag in re.findall(r"<input[^>]*>", form):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and ('type="checkbox"' not in tag and 'type="radio"' not in tag or " checked" in tag):
            add(name.group(1), unescape(value.group(1) if value else ""))
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        add(name, unescape(body))
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option(?: value="([^"]*)")? selected>([^<]*)</option>', body)
        add(name, unescape(chosen.group(1) if chosen and chosen.group(1) is not None else chosen.group(2) if chosen else ""))
    return data


def unescape(value: str) -> str:
    return html.unescape(value)


def with_changes(data: dict, **changes) -> dict:
    return {**data, **{key: value if isinstance(value, list) else [value] for key, value in changes.items()}}


def logged_in(city, partner=A):
    client = portal(city)
    assert log_in(client, partner).status_code == 303
    return client


def test_a_coordinator_sees_their_own_offers_and_adds_one(city):
    mine, theirs = offer_at(city, A), offer_at(city, B, {**SPREEKUUR, "name": "Repaircafé van B"})
    client = logged_in(city)
    listing = client.get("/medewerkers/aanbod/")
    html = text(listing)
    assert listing.status_code == 200 and "Spreekuur formulieren" in html and "Repaircafé van B" not in html
    assert f'href="/medewerkers/aanbod/{mine["id"]}"' in html and theirs["id"] not in html
    assert "Open (1)" in html and "Tijdelijk gesloten (0)" in html and 'aria-current="page"' in html

    page = text(client.get(f"/medewerkers/aanbod/{mine['id']}"))
    for words in ("Spreekuur formulieren", "Informatie en advies", "Kanaleneiland-Noord", "Turks",
                  "maandag en woensdag van 09:00 tot 11:30", "Gratis"):
        assert words in page, words
    assert not re.search(r"\b(BU|WK)0344\d+", re.sub(r'(href|id|value|action)="[^"]*"', "", page))  # places by name

    form = form_of(text(client.get("/medewerkers/aanbod/nieuw")))
    made = client.post("/medewerkers/aanbod/nieuw", data=with_changes(
        form, naam="Buurtmaaltijd", beschrijving="Samen eten op vrijdag.", onderwerp="welzijn-ontmoeten",
        buurt="Oog in Al", talen=["nl", "en"], gratis="nee", kosten="3 euro per maaltijd",
        **{"dagen-0": ["FR"], "open-0": "17.30", "dicht-0": "20:00"}))
    assert made.status_code == 303, text(made)
    offer_id = made.headers["Location"].rsplit("/", 1)[1]
    at_directory = stored(city, A, offer_id)
    assert (at_directory["name"], at_directory["category"], at_directory["buurt"], at_directory["languages"],
            at_directory["free"], at_directory["fees_description"]) == (
        "Buurtmaaltijd", "welzijn-ontmoeten", "BU03440112", ["nl", "en"], False, "3 euro per maaltijd")
    assert [(s["byday"], s["opens_at"], s["closes_at"]) for s in at_directory["schedules"]] == [("FR", "17:30", "20:00")]
    assert "Buurtmaaltijd is toegevoegd" in text(client.get(made.headers["Location"]))


def test_a_change_is_saved_on_the_version_it_was_made_on(city):
    mine = offer_at(city, A)
    client = logged_in(city)
    form = form_of(text(client.get(f"/medewerkers/aanbod/{mine['id']}/wijzigen")))
    assert form["naam"] == ["Spreekuur formulieren"] and form["versie"] == ["1"] and form["buurt"] == ["Kanaleneiland-Noord"]
    assert form["dagen-0"] == ["MO", "WE"] and form["open-0"] == ["09:00"] and sorted(form["talen"]) == ["nl", "tr"]
    saved = client.post(f"/medewerkers/aanbod/{mine['id']}/wijzigen", data=with_changes(
        form, beschrijving="Elke week hulp bij brieven.", **{"dagen-1": ["SA"], "open-1": "10:00", "dicht-1": "12:00"}))
    assert saved.status_code == 303
    now = stored(city, A, mine["id"])
    assert now["version"] == 2 and now["description"] == "Elke week hulp bij brieven."
    assert [s["byday"] for s in now["schedules"]] == ["MO,WE", "SA"]
    assert now["contacts"][0]["phone"] == "030 7654321"  # what the form does not show stays as it was
    assert [s["description"] for s in now["schedules"]] == ["zonder afspraak", None]
    assert "Je wijzigingen in Spreekuur formulieren zijn opgeslagen" in text(client.get(saved.headers["Location"]))


def test_a_change_made_meanwhile_is_shown_beside_what_was_typed_and_saved_over(city):
    mine = offer_at(city, A)
    client = logged_in(city)
    form = form_of(text(client.get(f"/medewerkers/aanbod/{mine['id']}/wijzigen")))
    meanwhile = city.client(A, "directory").patch(f"/offers/{mine['id']}", headers=auth(A), json={
        "version": 1, "description": "Gewijzigd door een collega.", "free": False})
    assert meanwhile.status_code == 200

    typed = with_changes(form, naam="Spreekuur brieven en formulieren", beschrijving="Mijn nieuwe tekst.")
    clash = client.post(f"/medewerkers/aanbod/{mine['id']}/wijzigen", data=typed)
    html = text(clash)
    assert clash.status_code == 409 and "Dit aanbod is intussen gewijzigd" in html
    assert "Gewijzigd door een collega." in html and "Mijn nieuwe tekst." in html  # the new version beside mine
    again = form_of(html)
    assert again["naam"] == ["Spreekuur brieven en formulieren"] and again["beschrijving"] == ["Mijn nieuwe tekst."]
    assert again["versie"] == ["2"]  # nothing typed is lost, and the next save is on top of the new version
    assert again["gratis"] == ["nee"]  # what the coordinator left alone shows the colleague's change
    assert stored(city, A, mine["id"])["description"] == "Gewijzigd door een collega."

    saved = client.post(f"/medewerkers/aanbod/{mine['id']}/wijzigen", data=again)
    assert saved.status_code == 303
    now = stored(city, A, mine["id"])
    assert (now["version"], now["name"], now["description"], now["free"]) == (
        3, "Spreekuur brieven en formulieren", "Mijn nieuwe tekst.", False)  # the colleague's "not free" stays


def test_a_save_after_a_change_meanwhile_sends_only_what_the_coordinator_changed(city):
    """Saving the form as it was opened, after a colleague's change, must not put the old values back."""
    mine = offer_at(city, A)
    client = logged_in(city)
    form = form_of(text(client.get(f"/medewerkers/aanbod/{mine['id']}/wijzigen")))
    meanwhile = city.client(A, "directory").patch(f"/offers/{mine['id']}", headers=auth(A), json={
        "version": 1, "description": "Gewijzigd door een collega.", "languages": ["nl"]})
    assert meanwhile.status_code == 200

    clash = client.post(f"/medewerkers/aanbod/{mine['id']}/wijzigen", data=with_changes(form, kosten="5 euro", gratis="nee"))
    assert clash.status_code == 409
    again = form_of(text(clash))
    assert again["beschrijving"] == ["Gewijzigd door een collega."] and again["talen"] == ["nl"]
    assert client.post(f"/medewerkers/aanbod/{mine['id']}/wijzigen", data=again).status_code == 303
    now = stored(city, A, mine["id"])
    assert (now["description"], now["languages"], now["free"], now["fees_description"]) == (
        "Gewijzigd door een collega.", ["nl"], False, "5 euro")


@pytest.mark.parametrize("basis", ["not json", "[]", '{"name": 3}', '{"schedules": [1]}', "{}"])
def test_a_form_whose_starting_point_was_tampered_with_is_no_500(city, basis):
    mine = offer_at(city, A)
    client = logged_in(city)
    form = form_of(text(client.get(f"/medewerkers/aanbod/{mine['id']}/wijzigen")))
    saved = client.post(f"/medewerkers/aanbod/{mine['id']}/wijzigen",
                        data={**with_changes(form, naam="Spreekuur op maandag"), "basis": basis})
    assert saved.status_code == 303
    assert stored(city, A, mine["id"])["name"] == "Spreekuur op maandag"


def test_closing_for_a_while_reopening_and_withdrawing(city):
    mine = offer_at(city, A)
    city.sync_gateway()
    client = logged_in(city)
    search = city.gateway.test_client().get("/api/v1/search", query_string={"q": "spreekuur"}).get_json()
    assert [item["id"] for item in search["items"]] == [mine["id"]]

    token = csrf_token(client, f"/medewerkers/aanbod/{mine['id']}")
    closed = client.post(f"/medewerkers/aanbod/{mine['id']}/sluiten", data={"csrf_token": token, "versie": "1"})
    assert closed.status_code == 303 and stored(city, A, mine["id"])["status"] == "temporarily closed"
    page = text(client.get(closed.headers["Location"]))
    assert "is tijdelijk gesloten" in page and "Weer openen" in page and "Tijdelijk sluiten" not in page
    assert "Tijdelijk gesloten (1)" in text(client.get("/medewerkers/aanbod/"))
    city.sync_gateway()
    search = city.gateway.test_client().get("/api/v1/search", query_string={"q": "spreekuur"}).get_json()
    assert search["items"] == []  # residents no longer find it

    stale = client.post(f"/medewerkers/aanbod/{mine['id']}/heropenen", data={"csrf_token": token, "versie": "1"})
    assert stale.status_code == 409 and "intussen gewijzigd" in text(stale)  # the service's 409, in Dutch
    assert stored(city, A, mine["id"])["status"] == "temporarily closed"
    unreadable = client.post(f"/medewerkers/aanbod/{mine['id']}/heropenen", data={"csrf_token": token, "versie": "x"})
    assert unreadable.status_code == 422 and "nam dit aanbod zo niet aan" in text(unreadable)  # the service's 422
    reopened = client.post(f"/medewerkers/aanbod/{mine['id']}/heropenen", data={"csrf_token": token, "versie": "2"})
    assert reopened.status_code == 303 and stored(city, A, mine["id"])["status"] == "active"

    question = client.get(f"/medewerkers/aanbod/{mine['id']}/intrekken")
    assert question.status_code == 200 and "Spreekuur formulieren intrekken?" in text(question)
    assert stored(city, A, mine["id"])["status"] == "active"  # asking changes nothing
    withdrawn = client.post(f"/medewerkers/aanbod/{mine['id']}/intrekken", data={"csrf_token": token, "versie": "3"})
    assert withdrawn.status_code == 303 and stored(city, A, mine["id"])["status"] == "defunct"
    page = text(client.get(withdrawn.headers["Location"]))
    assert "is ingetrokken" in page and "Wijzigen" not in page
    assert "Ingetrokken (1)" in text(client.get("/medewerkers/aanbod/"))
    assert client.get(f"/medewerkers/aanbod/{mine['id']}/wijzigen").status_code == 409
    for path in ("wijzigen", "heropenen", "sluiten", "intrekken"):  # a withdrawn offer does not come back
        answer = client.post(f"/medewerkers/aanbod/{mine['id']}/{path}", data={"csrf_token": token, "versie": "4"})
        assert answer.status_code == 409 and "je kunt het niet meer wijzigen of openen" in text(answer), path
    assert stored(city, A, mine["id"])["status"] == "defunct" and stored(city, A, mine["id"])["version"] == 4


def test_bad_input_gets_dutch_field_errors_and_keeps_what_was_typed(city):
    mine = offer_at(city, A)
    client = logged_in(city)
    form = form_of(text(client.get(f"/medewerkers/aanbod/{mine['id']}/wijzigen")))
    bad = client.post(f"/medewerkers/aanbod/{mine['id']}/wijzigen", data=with_changes(
        form, naam="  ", beschrijving="Bel 06 12345678 of mail jan@example.nl", onderwerp="iets", buurt="Atlantis",
        talen=[], gratis="misschien", **{"dagen-0": [], "dagen-1": ["TU"], "open-1": "25:00", "dicht-1": "12:00"}))
    html = text(bad)
    assert bad.status_code == 400
    for message in ("Vul de naam van het aanbod in.", "Zet hier geen e-mailadres of telefoonnummer",
                    "Kies een onderwerp uit de lijst.", "Kies de buurt uit de lijst.", "Kies minstens één taal.",
                    "Kies of het gratis is.", "Kies op welke dagen het open is.",
                    "Vul de tijden in als uren en minuten"):
        assert message in html, message
    kept = form_of(html)
    assert kept["beschrijving"] == ["Bel 06 12345678 of mail jan@example.nl"] and kept["open-1"] == ["25:00"]
    assert kept["dagen-1"] == ["TU"] and 'aria-invalid="true"' in html
    late = client.post(f"/medewerkers/aanbod/{mine['id']}/wijzigen", data=with_changes(
        form, **{"open-0": "12:00", "dicht-0": "09:00"}))
    assert late.status_code == 400 and "Het sluit later dan het opengaat" in text(late)
    assert stored(city, A, mine["id"])["version"] == 1  # nothing was sent
    more = client.post(f"/medewerkers/aanbod/{mine['id']}/wijzigen", data=with_changes(form, actie="rij"))
    assert more.status_code == 200 and 'id="open-2"' in text(more) and stored(city, A, mine["id"])["version"] == 1


def test_a_coordinator_of_b_gets_the_refusal_page_for_an_offer_of_a(city):
    at_a = offer_at(city, A)
    client = logged_in(city, B)
    token = csrf_token(client, "/medewerkers/aanbod/")
    for path in (f"/medewerkers/aanbod/{at_a['id']}", f"/medewerkers/aanbod/{at_a['id']}/wijzigen",
                 f"/medewerkers/aanbod/{at_a['id']}/intrekken", f"/medewerkers/aanbod/{uuid.uuid4()}",
                 "/medewerkers/aanbod/niet-een-id/wijzigen"):
        refused = client.get(path)
        html = text(refused)
        assert refused.status_code == 404 and "Dit aanbod kun je niet zien" in html and "Power by Peers" in html, path
        assert "Spreekuur formulieren" not in html, path
    for action in ("wijzigen", "sluiten", "intrekken"):
        refused = client.post(f"/medewerkers/aanbod/{at_a['id']}/{action}", data={
            "csrf_token": token, "versie": "1", "naam": "Overgenomen", "onderwerp": "informatie",
            "buurt": "Oog in Al", "talen": "nl", "gratis": "ja"})
        assert refused.status_code == 404 and "Dit aanbod kun je niet zien" in text(refused), action
    assert stored(city, A, at_a["id"])["version"] == 1 and stored(city, A, at_a["id"])["status"] == "active"


def test_the_offer_forms_need_the_csrf_token(city):
    mine = offer_at(city, A)
    client = logged_in(city)
    form = form_of(text(client.get(f"/medewerkers/aanbod/{mine['id']}/wijzigen")))
    del form["csrf_token"]
    for path, data in ((f"/medewerkers/aanbod/{mine['id']}/wijzigen", with_changes(form, naam="Gekaapt")),
                       (f"/medewerkers/aanbod/{mine['id']}/sluiten", {"versie": "1"}),
                       (f"/medewerkers/aanbod/{mine['id']}/intrekken", {"versie": "1", "csrf_token": "vervalst"}),
                       ("/medewerkers/aanbod/nieuw", with_changes(form, naam="Gekaapt"))):
        refused = client.post(path, data=data)
        assert refused.status_code == 400 and "Dit formulier is verlopen" in text(refused), path
    now = stored(city, A, mine["id"])
    assert (now["version"], now["status"]) == (1, "active")
    assert city.client(A, "directory").get("/offers").json["total_items"] == 1


def test_the_offer_pages_need_a_login(city):
    mine = offer_at(city, A)
    client = portal(city)
    for path in ("/medewerkers/aanbod/", "/medewerkers/aanbod/nieuw", f"/medewerkers/aanbod/{mine['id']}",
                 f"/medewerkers/aanbod/{mine['id']}/wijzigen", f"/medewerkers/aanbod/{mine['id']}/intrekken"):
        answer = client.get(path)
        assert answer.status_code == 303 and answer.headers["Location"].endswith("/medewerkers/inloggen"), path


@pytest.mark.parametrize("path", ["/medewerkers/aanbod/", "/medewerkers/aanbod/nieuw"])
def test_the_offer_pages_keep_to_the_portals_rules(city, path):
    client = logged_in(city)
    answer = client.get(path)
    page = text(answer)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert "<script" not in page and " style=" not in page and "<style" not in page


def test_a_directory_out_of_reach_is_a_503_page_and_nothing_typed_is_claimed_saved(city):
    mine = offer_at(city, A)
    client = logged_in(city)
    form = form_of(text(client.get(f"/medewerkers/aanbod/{mine['id']}/wijzigen")))
    city.stop(A, "directory")
    for answer in (client.get("/medewerkers/aanbod/"), client.post(f"/medewerkers/aanbod/{mine['id']}/wijzigen",
                                                                   data=with_changes(form, naam="Nieuwe naam"))):
        assert answer.status_code == 503 and "Het aanbod van je organisatie is nu niet bereikbaar" in text(answer)


def test_the_offer_pages_are_in_english_too(city):
    mine = offer_at(city, A)
    client = logged_in(city)
    page = text(client.get(f"/medewerkers/aanbod/{mine['id']}", headers={"Accept-Language": "en"}))
    assert "Close for a while" in page and "Information and advice" in page and "Monday and Wednesday" in page
    form = text(client.get(f"/medewerkers/aanbod/{mine['id']}/wijzigen", headers={"Accept-Language": "en"}))
    assert "Opening hours (optional)" in form and "Another opening time" in form


def test_a_refusal_of_the_directory_is_the_offer_pages_own_refusal(city):
    """Were a volunteer's token in a session, the directory refuses the change (403): the offer pages say
    so on their own refusal page, not the requests' one, and nothing changes."""
    from tests.integration.test_portal_staff import PASSWORD
    mine = offer_at(city, A)
    client = logged_in(city)
    token = csrf_token(client, f"/medewerkers/aanbod/{mine['id']}")
    login = city.client(A, "members").post("/login", json={"username": f"vrijwilliger@{A}.example", "password": PASSWORD})
    assert login.status_code == 200, login.json
    with client.session_transaction() as session:
        session["staff"] = {**session["staff"], "token": login.json["token"], "role": "volunteer"}
    refused = client.post(f"/medewerkers/aanbod/{mine['id']}/sluiten", data={"csrf_token": token, "versie": "1"})
    assert refused.status_code == 403 and "Dit aanbod kun je niet zien" in text(refused), text(refused)
    assert "hulpvraag" not in text(refused).lower()
    assert stored(city, A, mine["id"])["status"] == "active"
