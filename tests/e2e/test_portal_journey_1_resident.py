"""The portal in a real Chromium (Debian's chromium + chromium-driver, driven by Selenium), on the whole
local federation as `samen030 run` starts it, on SQLite and PostgreSQL. Journey 1 of the portal: a
resident on a 375×667 phone screen searches "taalcafé" in Kanaleneiland, opens the offer and asks a
question with one consent; it arrives at that partner as a `web` request with only that consent. Then
that partner's coordinator logs in with their staff account, finds the question in the inbox and opens it.
Every page visited is kept as a screenshot under var/screenshots/ (the path is printed)."""
import re

import requests

from tests.browser import (By, Keyboard, Keys, Select, consents_of, needs_a_browser, staff_account,
                           web_requests)

pytestmark = needs_a_browser
QUESTION = "Ik wil graag beter Nederlands leren praten. Mag ik dinsdag komen kijken?"


def test_journey_1_a_resident_finds_the_taalcafe_and_asks_a_question(city, phone):
    urls = city
    browser = phone.driver

    browser.get(f"{urls['portal']}/")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "nl"
    phone.shot("home")
    browser.find_element(By.ID, "q").send_keys("taalcafé")
    browser.find_element(By.ID, "waar").send_keys("Kanaleneiland")
    phone.follow(By.CSS_SELECTOR, "form[role=search] button[type=submit]")

    assert "Taalcafé Kanaleneiland" in phone.text() and "Taalcafé Overvecht" not in phone.text()
    assert "1 resultaat" in phone.text() and "Gegevens van" in phone.text()
    assert not re.search(r"\b(BU|WK)0344\d+", phone.text())  # places by name, never a code
    phone.shot("results")
    phone.follow(By.LINK_TEXT, "Taalcafé Kanaleneiland")

    page = phone.text()
    for words in ("Marco Pololaan 6", "Dinsdag en donderdag", "van 10:00 tot 12:00", "Gratis", "030 1234567",
                  "Krachtstation Kanaleneiland"):
        assert words in page, words
    phone.shot("offer")
    phone.follow(By.LINK_TEXT, "Stel je vraag")

    assert browser.find_element(By.CSS_SELECTOR, "#organisatie option:checked").get_attribute("value") == "krachtstation"
    assert browser.find_element(By.CSS_SELECTOR, "#buurt option:checked").text == "Kanaleneiland-Noord"
    boxes = browser.find_elements(By.CSS_SELECTOR, "input[type=checkbox][name=toestemming]")
    assert len(boxes) == 3 and not any(box.is_selected() for box in boxes)  # each consent its own, unticked
    browser.find_element(By.ID, "vraag").send_keys(QUESTION)
    browser.find_element(By.ID, "naam").send_keys("Fatima")
    browser.find_element(By.ID, "email").send_keys("fatima@example.nl")
    browser.find_element(By.ID, "toestemming-contact_email").click()
    phone.shot("question")
    phone.follow(By.CSS_SELECTOR, "button[value=controleren]")

    assert "Controleer je vraag" in phone.text() and QUESTION in phone.text()
    phone.shot("check")
    phone.follow(By.CSS_SELECTOR, "button[value=versturen]")

    assert "Je vraag is verstuurd" in phone.text() and "Uiterlijk" in phone.text()
    phone.shot("sent")

    # at the partner's own requests service: one web request, with only the consent that was ticked
    taken = web_requests(urls, "krachtstation", QUESTION)
    assert [(r["channel"], r["buurt"], r["email"]) for r in taken] == [("web", "BU03440832", "fatima@example.nl")]
    assert consents_of(urls, "krachtstation", taken[0]["id"]) == [("contact_email", "online", None)]
    for other in ("wijkinformatiepunt", "samen030"):
        assert web_requests(urls, other, QUESTION) == []


def test_journey_1_with_the_keyboard_only(city, phone):
    """Tab to each field, type, Space for a checkbox, Enter for a link or a button: no mouse."""
    urls, keys = city, Keyboard(phone.driver)
    phone.driver.get(f"{urls['portal']}/")
    keys.tab_to("skip link", lambda e: e.get_attribute("class").startswith("utrecht-skip-link"))
    keys.tab_to("search words", lambda e: e.get_attribute("id") == "q").send_keys("taalcafé")
    keys.tab_to("place", lambda e: e.get_attribute("id") == "waar").send_keys("Kanaleneiland")
    keys.tab_to("search button", lambda e: e.text == "Zoeken")
    keys.press(Keys.ENTER, phone)
    assert "Taalcafé Kanaleneiland" in phone.text()
    phone.shot("results")
    keys.tab_to("the offer", lambda e: e.text == "Taalcafé Kanaleneiland")
    keys.press(Keys.ENTER, phone)
    phone.shot("offer")
    keys.tab_to("Stel je vraag", lambda e: e.text == "Stel je vraag")
    keys.press(Keys.ENTER, phone)
    keys.tab_to("question", lambda e: e.get_attribute("id") == "vraag").send_keys(KEYBOARD_QUESTION)
    keys.tab_to("phone", lambda e: e.get_attribute("id") == "telefoon").send_keys("06 12345678")
    keys.tab_to("may we phone", lambda e: e.get_attribute("id") == "toestemming-contact_phone").send_keys(Keys.SPACE)
    phone.shot("question")
    keys.tab_to("continue", lambda e: e.text == "Verder")
    keys.press(Keys.ENTER, phone)
    assert "Controleer je vraag" in phone.text()
    phone.shot("check")
    keys.tab_to("send", lambda e: e.text == "Verstuur mijn vraag")
    keys.press(Keys.ENTER, phone)
    assert "Je vraag is verstuurd" in phone.text()
    phone.shot("sent")
    taken = web_requests(urls, "krachtstation", KEYBOARD_QUESTION)
    assert [(r["channel"], r["phone"], r["email"]) for r in taken] == [("web", "06 12345678", None)]
    assert consents_of(urls, "krachtstation", taken[0]["id"]) == [("contact_phone", "online", None)]


KEYBOARD_QUESTION = "Ik gebruik geen muis. Is het taalcafé ook op donderdag?"
STAFF_PASSWORD = "taalcafe op dinsdag en donderdag"


def test_a_coordinator_logs_in_and_finds_the_residents_question_in_the_inbox(city, phone):
    """The start of journey 2: Krachtstation's coordinator logs in with the staff account at Krachtstation's
    own members service, sees journey 1's question among the new ones, opens it, and logs out."""
    urls, browser = city, phone.driver
    if not web_requests(urls, "krachtstation", QUESTION):  # journey 1 not run in this session (-k)
        asked = requests.post(f"{urls['krachtstation requests']}/public/questions", timeout=5, json={
            "category": "informatie", "buurt": "BU03440832", "question": QUESTION, "name": "Fatima",
            "email": "fatima@example.nl", "consents": ["contact_email"]})
        assert asked.status_code == 201, asked.text
    staff_account(urls, "krachtstation", "coordinator@krachtstation.example", STAFF_PASSWORD)

    browser.get(f"{urls['portal']}/medewerkers/")
    assert "Log in om deze pagina te zien" in phone.text()
    phone.shot("staff-login")
    Select(browser.find_element(By.ID, "organisatie")).select_by_visible_text(
        "Krachtstation Kanaleneiland + Stichting Werken door de Wijk")
    browser.find_element(By.ID, "gebruikersnaam").send_keys("coordinator@krachtstation.example")
    browser.find_element(By.ID, "wachtwoord").send_keys("niet mijn wachtwoord")
    phone.follow(By.CSS_SELECTOR, "main form button[type=submit]")
    assert "wachtwoord klopt niet" in phone.text()
    phone.shot("staff-login-wrong")
    browser.find_element(By.ID, "wachtwoord").send_keys(STAFF_PASSWORD)
    phone.follow(By.CSS_SELECTOR, "main form button[type=submit]")

    assert "Hulpvragen van Krachtstation Kanaleneiland" in phone.text()
    assert browser.execute_script("return document.cookie") == ""  # the session (and its token) is HttpOnly
    new = browser.find_element(By.ID, "new").find_element(By.XPATH, "..").text
    assert QUESTION[:60] in new
    phone.shot("staff-inbox")
    phone.follow(By.PARTIAL_LINK_TEXT, QUESTION[:40])

    page = phone.text()
    for words in (QUESTION, "Nieuw", "Informatie en advies", "Kanaleneiland-Noord", "via de website", "Fatima",
                  "fatima@example.nl", "binnengekomen via de website"):
        assert words in page, words
    phone.shot("staff-request")
    phone.follow(By.CSS_SELECTOR, "header form button[type=submit]")
    assert "Je bent uitgelogd" in phone.text()
    phone.shot("staff-logged-out")
    browser.get(f"{urls['portal']}/medewerkers/")
    assert QUESTION not in phone.text() and "Inloggen voor medewerkers" in phone.text()
