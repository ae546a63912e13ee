"""Journey 3 of the portal in a real Chromium on the local federation (SQLite and PostgreSQL): Krachtstation's
coordinator logs in, opens their offers, changes the Taalcafé Kanaleneiland while a colleague changed it
meanwhile (through the directory's API, between opening the form and saving), sees the new version beside
what they typed, saves on top of it, then closes the taalcafé for a while: a resident searching "taalcafé" in
Kanaleneiland no longer finds it open. At the end it is opened again, so that the other journeys (same
federation) still find it. Every page visited is kept as a screenshot under var/screenshots/."""
import requests

from tests.browser import By, Select, coordinator, log_in, needs_a_browser, staff_account
from tests.federation import eventually

pytestmark = needs_a_browser
KRACHTSTATION = "Krachtstation Kanaleneiland + Stichting Werken door de Wijk"
USERNAME, PASSWORD = "aanbod@krachtstation.example", "het aanbod klopt weer helemaal"
MINE = "Nederlands oefenen met buren, met koffie en thee. Ook voor beginners: je hoeft nog niets te kunnen."
COLLEAGUE = "Nederlands oefenen met buren, met koffie en thee. In de schoolvakanties dicht."


def taalcafe(urls) -> dict:
    offers = requests.get(f"{urls['krachtstation directory']}/offers", params={"per_page": 200}, timeout=5).json()
    return next(o for o in offers["items"] if o["name"] == "Taalcafé Kanaleneiland")


def found_by_residents(urls, offer_id: str) -> bool:
    answer = requests.get(f"{urls['gateway']}/api/v1/search", params={"q": "taalcafé"}, timeout=5).json()
    return offer_id in [item["id"] for item in answer["items"]]


def button(phone, text: str) -> None:
    phone.follow(By.XPATH, f"//main//button[normalize-space()='{text}']")


def test_journey_3_a_coordinator_changes_the_taalcafe_meanwhile_changed_and_closes_it_for_a_while(city, phone):
    urls, browser = city, phone.driver
    offer = taalcafe(urls)
    try:
        staff_account(urls, "krachtstation", USERNAME, PASSWORD)
        log_in(phone, urls, KRACHTSTATION, USERNAME, PASSWORD)
        assert "Hulpvragen van Krachtstation Kanaleneiland" in phone.text()
        phone.shot("staff-inbox")
        phone.follow(By.CSS_SELECTOR, "header a[href$='/medewerkers/aanbod/']")

        assert "Aanbod van Krachtstation Kanaleneiland" in phone.text() and "Taalcafé Overvecht" not in phone.text()
        phone.shot("offers")
        phone.follow(By.LINK_TEXT, "Taalcafé Kanaleneiland")

        page = phone.text()
        for words in ("Open", "Informatie en advies", "Kanaleneiland-Noord", "Arabisch",
                      "dinsdag en donderdag van 10:00 tot 12:00", "Gratis"):
            assert words in page, words
        phone.shot("offer")
        phone.follow(By.LINK_TEXT, "Wijzigen")

        description = browser.find_element(By.ID, "beschrijving")
        assert description.get_attribute("value") == offer["description"]
        description.clear()
        description.send_keys(MINE)
        phone.shot("offer-edit")
        current = taalcafe(urls)  # a colleague changes it meanwhile, through the directory's API
        changed = requests.patch(f"{urls['krachtstation directory']}/offers/{offer['id']}",
                                 headers=coordinator("krachtstation"), timeout=5,
                                 json={"version": current["version"], "description": COLLEAGUE})
        assert changed.status_code == 200, changed.text
        button(phone, "Opslaan")

        page = phone.text()
        assert "Dit aanbod is intussen gewijzigd" in page and COLLEAGUE in page and MINE in page
        assert browser.find_element(By.ID, "beschrijving").get_attribute("value") == MINE  # nothing typed is lost
        assert taalcafe(urls)["description"] == COLLEAGUE  # not saved over the colleague's change unseen
        phone.shot("offer-edit-changed-meanwhile")
        button(phone, "Opslaan")

        assert "Je wijzigingen in Taalcafé Kanaleneiland zijn opgeslagen" in phone.text() and MINE in phone.text()
        saved = taalcafe(urls)
        assert (saved["description"], saved["version"]) == (MINE, current["version"] + 2)
        assert [(s["byday"], s["opens_at"], s["closes_at"]) for s in saved["schedules"]] == [("TU,TH", "10:00", "12:00")]
        assert saved["locations"][0]["address_1"] == "Marco Pololaan 6" and saved["contacts"]  # the rest stays
        phone.shot("offer-saved")
        button(phone, "Tijdelijk sluiten")

        assert "Taalcafé Kanaleneiland is tijdelijk gesloten" in phone.text() and "Weer openen" in phone.text()
        assert taalcafe(urls)["status"] == "temporarily closed"
        phone.shot("offer-closed")
        eventually(lambda: not found_by_residents(urls, offer["id"]), timeout=30)
        phone.follow(By.CSS_SELECTOR, "header form button[type=submit]")  # log out: now as a resident

        browser.get(f"{urls['portal']}/")
        browser.find_element(By.ID, "q").send_keys("taalcafé")
        browser.find_element(By.ID, "waar").send_keys("Kanaleneiland")
        phone.follow(By.CSS_SELECTOR, "form[role=search] button[type=submit]")
        assert "Taalcafé Kanaleneiland" not in phone.text()
        phone.shot("resident-results-closed")

        log_in(phone, urls, KRACHTSTATION, USERNAME, PASSWORD)
        browser.get(f"{urls['portal']}/medewerkers/aanbod/")
        assert "Tijdelijk gesloten (1)" in phone.text()
        phone.shot("offers-closed")
        phone.follow(By.LINK_TEXT, "Taalcafé Kanaleneiland")
        button(phone, "Weer openen")
        assert "Taalcafé Kanaleneiland is weer open" in phone.text() and taalcafe(urls)["status"] == "active"
        phone.shot("offer-reopened")
        eventually(lambda: found_by_residents(urls, offer["id"]), timeout=30)
    finally:  # the other journeys run on this federation and look for the taalcafé, open
        now = taalcafe(urls)
        if now["status"] != "active" or now["description"] != offer["description"]:
            requests.patch(f"{urls['krachtstation directory']}/offers/{offer['id']}", headers=coordinator("krachtstation"),
                           json={"version": now["version"], "status": "active", "description": offer["description"]},
                           timeout=5).raise_for_status()
        eventually(lambda: found_by_residents(urls, offer["id"]), timeout=30)


def test_a_coordinator_adds_an_offer_after_a_field_error_and_withdraws_it(city, phone):
    """The form's errors and the withdrawal's question, as a coordinator sees them (and axe checks them)."""
    urls, browser = city, phone.driver
    username = "klussen@krachtstation.example"  # its own: staff_account refuses a name made before (422)
    staff_account(urls, "krachtstation", username, PASSWORD)
    log_in(phone, urls, KRACHTSTATION, username, PASSWORD)
    browser.get(f"{urls['portal']}/medewerkers/aanbod/nieuw")
    phone.shot("offer-new")
    browser.find_element(By.ID, "beschrijving").send_keys("Samen klussen in de buurt. Bel 06 12345678.")
    browser.find_element(By.ID, "open-0").send_keys("19:00")
    button(phone, "Opslaan")

    page = phone.text()
    for message in ("Vul de naam van het aanbod in.", "Zet hier geen e-mailadres of telefoonnummer",
                    "Kies een onderwerp uit de lijst.", "Kies de buurt uit de lijst.", "Kies op welke dagen het open is."):
        assert message in page, message
    assert browser.find_element(By.ID, "open-0").get_attribute("value") == "19:00"  # kept
    phone.shot("offer-new-errors")
    browser.find_element(By.ID, "naam").send_keys("Klusgroep Kanaleneiland")
    description = browser.find_element(By.ID, "beschrijving")
    description.clear()
    description.send_keys("Samen klussen in de buurt.")
    Select(browser.find_element(By.ID, "onderwerp")).select_by_visible_text("Praktische hulp")
    Select(browser.find_element(By.ID, "buurt")).select_by_visible_text("Kanaleneiland-Zuid")
    browser.find_element(By.ID, "dagen-0-SA").click()
    browser.find_element(By.ID, "dicht-0").send_keys("21:30")
    button(phone, "Opslaan")

    assert "Klusgroep Kanaleneiland is toegevoegd" in phone.text() and "zaterdag van 19:00 tot 21:30" in phone.text()
    phone.shot("offer-added")
    phone.follow(By.LINK_TEXT, "Intrekken")
    assert "Klusgroep Kanaleneiland intrekken?" in phone.text()
    phone.shot("offer-withdraw-question")
    button(phone, "Ja, intrekken")
    assert "Klusgroep Kanaleneiland is ingetrokken" in phone.text() and "Wijzigen" not in phone.text()
    phone.shot("offer-withdrawn")
    offers = requests.get(f"{urls['krachtstation directory']}/offers", params={"per_page": 200}, timeout=5).json()
    assert [o["status"] for o in offers["items"] if o["name"] == "Klusgroep Kanaleneiland"][-1] == "defunct"
