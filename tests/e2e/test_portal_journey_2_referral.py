"""Journey 2 of the portal in a real Chromium, on the whole local federation (SQLite and PostgreSQL): a
question asked at the Wijkinformatiepunt from the web, with the consent to pass it on; the Wijkinformatiepunt
coordinator logs in, triages it, sees the suggestions with their reasons, refers it to Power by Peers
after reading what will be shared, and logs out; Power by Peers' coordinator logs in, finds it among the
referrals in the inbox and accepts it; the first coordinator logs in again and sees, once the answer has
come over the bus, that Power by Peers took it on. The referral stays in the federation for the city
figures journey (wijkinformatiepunt → powerbypeers). Every page visited is kept as a screenshot."""
import requests

from tests.browser import By, create_offer, log_in, needs_a_browser, staff_account, web_requests
from tests.federation import eventually

pytestmark = needs_a_browser
A, B = "wijkinformatiepunt", "powerbypeers"
A_NAME, B_NAME = "Stichting Wijkinformatiepunt Utrecht", "Power by Peers"
PASSWORD = "ervaring delen met lotgenoten"
QUESTION = "Mijn broer komt net uit de verslavingszorg. Is er iemand die dit zelf heeft meegemaakt?"
PEERS = {"name": "Lotgenoten aan tafel", "description": "Praten met iemand die het zelf meemaakte.",
         "category": "lichte-zorg", "terms": ["ervaringsdeskundigen"], "buurt": "BU03440832", "languages": ["nl"],
         "schedules": [{"byday": "MO,TU,WE,TH,FR", "opens_at": "09:00", "closes_at": "17:00"}],
         "locations": [{"name": "Huiskamer", "address_1": "Oudenoord 1", "postal_code": "3513 EG", "buurt": "BU03440832"}]}


def the_question(urls) -> dict:
    """Asked from the web at the Wijkinformatiepunt, with the consents to pass it on and to be phoned."""
    asked = requests.post(f"{urls[f'{A} requests']}/public/questions", timeout=5, json={
        "category": "lichte-zorg", "terms": ["ervaringsdeskundigen"], "buurt": "BU03440832", "question": QUESTION,
        "name": "Yusuf", "phone": "06 11223344", "email": "yusuf@example.nl",
        "consents": ["share_for_referral", "contact_phone"]})
    assert asked.status_code == 201, asked.text
    return asked.json()


def test_journey_2_a_coordinator_refers_a_question_and_the_other_partner_accepts_it(city, phone):
    urls, browser = city, phone.driver
    offer = create_offer(urls, B, PEERS)
    eventually(lambda: requests.get(f"{urls['gateway']}/api/v1/offers/{offer['id']}", timeout=5).status_code == 200,
               timeout=30)
    asked = the_question(urls)
    for partner in (A, B):
        staff_account(urls, partner, f"coordinator@{partner}.example", PASSWORD)

    # the Wijkinformatiepunt: triage, suggestions, refer with consent
    log_in(phone, urls, A_NAME, f"coordinator@{A}.example", PASSWORD)
    assert f"Hulpvragen van {A_NAME}" in phone.text()
    new = browser.find_element(By.ID, "new").find_element(By.XPATH, "..").text
    assert QUESTION[:60] in new
    phone.shot("a-inbox")
    phone.follow(By.PARTIAL_LINK_TEXT, QUESTION[:40])

    page = phone.text()
    for words in (QUESTION, "Nieuw", "Yusuf", "06 11223344", "Wat past bij deze vraag", "Lotgenoten aan tafel",
                  "In de eigen buurt Kanaleneiland-Noord", "Doorverwijzen kan als je de vraag hebt uitgevraagd"):
        assert words in page, words
    assert "(in the same buurt)" not in page
    phone.shot("a-request-new")
    browser.find_element(By.ID, "toelichting").send_keys("Gebeld: hij wil graag een lotgenoot spreken.")
    phone.follow(By.CSS_SELECTOR, "button[value=triage]")

    page = phone.text()
    assert "Gelukt: de hulpvraag is nu ‘Uitgevraagd’." in page and browser.find_element(By.ID, "status").text == "Uitgevraagd"
    assert "Gebeld: hij wil graag een lotgenoot spreken." in page
    phone.shot("a-request-triaged")
    phone.follow(By.LINK_TEXT, "Doorverwijzen naar Lotgenoten aan tafel")

    shared = browser.find_element(By.CSS_SELECTOR, ".samen030-shared").text
    for words in ("Wat er wordt gedeeld", "De bewoner gaf toestemming om de vraag door te geven",
                  "de vraag, in de woorden van de bewoner", "de naam: Yusuf",
                  "het telefoonnummer: 06 11223344 (de bewoner mag gebeld worden)",
                  "Niet gedeeld: het e-mailadres (geen toestemming om te mailen)"):
        assert words in shared, words
    assert "yusuf@example.nl" not in shared
    assert browser.find_element(By.CSS_SELECTOR, "#organisatie option:checked").text == B_NAME
    assert browser.find_element(By.CSS_SELECTOR, f"input[name=doel][value='aanbod:{offer['id']}']").is_selected()
    browser.find_element(By.CSS_SELECTOR, "form#verwijzen #toelichting").send_keys("Lotgenotencontact past het best.")
    phone.shot("a-refer")
    phone.follow(By.CSS_SELECTOR, "form#verwijzen button[type=submit]")

    page = phone.text()
    assert "Doorverwezen naar Power by Peers. Gedeeld: de vraag, naam, telefoonnummer." in page
    assert browser.find_element(By.ID, "status").text == "Doorverwezen" and "Naar Power by Peers: verstuurd" in page
    phone.shot("a-request-referred")
    phone.follow(By.CSS_SELECTOR, "header form button[type=submit]")
    assert "Je bent uitgelogd" in phone.text()

    # Power by Peers: the referral among the incoming ones, accepted
    log_in(phone, urls, B_NAME, f"coordinator@{B}.example", PASSWORD)
    incoming = browser.find_element(By.ID, "incoming").find_element(By.XPATH, "..").text
    assert QUESTION[:60] in incoming and f"doorverwezen door {A_NAME}" in incoming
    phone.shot("b-inbox")
    browser.find_element(By.ID, "incoming").find_element(By.XPATH, "..").find_element(
        By.PARTIAL_LINK_TEXT, QUESTION[:40]).click()
    eventually(lambda: "Doorverwijzing aannemen" in phone.text(), timeout=15)
    page = phone.text()
    for words in (QUESTION, "Yusuf", "06 11223344", f"doorverwezen door {A_NAME}", f"Van {A_NAME}"):
        assert words in page, words
    assert "yusuf@example.nl" not in page  # no consent to e-mail: it did not travel
    phone.shot("b-request-incoming")
    browser.find_element(By.ID, "toelichting").send_keys("Een ervaringsdeskundige belt hem deze week.")
    phone.follow(By.CSS_SELECTOR, "button[value=accept]")
    assert "Gelukt: de hulpvraag is nu ‘Aangenomen’." in phone.text()
    phone.shot("b-request-accepted")
    phone.follow(By.CSS_SELECTOR, "header form button[type=submit]")

    # the Wijkinformatiepunt again: the answer came back over the bus
    log_in(phone, urls, A_NAME, f"coordinator@{A}.example", PASSWORD)
    phone.shot("a-inbox-again")
    request_page = f"{urls['portal']}/medewerkers/hulpvragen/{asked['reference']}"

    def accepted_there() -> bool:
        browser.get(request_page)
        return browser.find_element(By.ID, "status").text == "Aangenomen"
    eventually(accepted_there, timeout=30, interval=1)
    page = phone.text()
    assert "Naar Power by Peers: aangenomen" in page and "doorverwijzing aangenomen" in page
    phone.shot("a-request-accepted")
    assert [r["status"] for r in web_requests(urls, A, QUESTION)] == ["accepted"]
