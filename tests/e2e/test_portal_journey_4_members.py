"""Journey 4 of the portal in a real Chromium (Debian's chromium + chromium-driver, driven by Selenium), on
the whole local federation as `samen030 run` starts it, on SQLite and PostgreSQL: Krachtstation's
coordinator logs in, registers a member, records a consent and withdraws it, downloads the AVG export (the
file lands in a folder of the test and holds that member), erases the member behind the confirmation, and
the member's URL is then the refusal page. Then the staff accounts page: add a volunteer's account,
disable it, enable it again. Every page visited is kept as a screenshot under var/screenshots/ (the path
is printed) and checked with axe-core."""
import json
import time

import requests

from tests.browser import By, Select, coordinator, log_in, needs_a_browser, staff_account

pytestmark = needs_a_browser
PARTNER, PARTNER_NAME = "krachtstation", "Krachtstation Kanaleneiland + Stichting Werken door de Wijk"
USERNAME, PASSWORD = "leden@krachtstation.example", "leden van het krachtstation"


def member_at_service(urls, member_id) -> dict:
    return requests.get(f"{urls[f'{PARTNER} members']}/members/{member_id}", headers=coordinator(PARTNER),
                        timeout=5).json()


def downloaded(folder, timeout=15):
    """The one finished file in `folder` (Chromium writes .crdownload until it is done)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = [p for p in folder.iterdir() if not p.name.endswith(".crdownload")]
        if files:
            return files
        time.sleep(0.2)
    raise AssertionError(f"nothing downloaded into {folder}")


def test_journey_4_a_coordinator_registers_a_member_handles_consent_exports_and_erases(city, phone, tmp_path):
    urls, browser = city, phone.driver
    staff_account(urls, PARTNER, USERNAME, PASSWORD)
    log_in(phone, urls, PARTNER_NAME, USERNAME, PASSWORD)
    assert "Hulpvragen van Krachtstation Kanaleneiland" in phone.text()
    phone.follow(By.LINK_TEXT, "Leden")

    assert "Leden en vrijwilligers" in phone.text()
    assert browser.find_element(By.LINK_TEXT, "Leden").get_attribute("aria-current") == "page"
    phone.shot("members")
    phone.follow(By.LINK_TEXT, "Lid of vrijwilliger registreren")

    phone.shot("member-new")
    browser.find_element(By.ID, "naam").send_keys("Noor Bakker")
    browser.find_element(By.ID, "lidnummer").send_keys("K 7")  # a space: not a membership number
    Select(browser.find_element(By.ID, "soort")).select_by_visible_text("Vrijwilliger")
    browser.find_element(By.ID, "vaardigheid-taal").click()
    browser.find_element(By.ID, "email").send_keys("noor@example.nl")
    Select(browser.find_element(By.ID, "buurt")).select_by_visible_text("Kanaleneiland-Noord")
    phone.follow(By.CSS_SELECTOR, "main form button[type=submit]")

    assert "Vul een lidnummer in" in phone.text()
    assert browser.find_element(By.ID, "naam").get_attribute("value") == "Noor Bakker"  # nothing lost
    assert browser.find_element(By.CSS_SELECTOR, "#buurt option:checked").text == "Kanaleneiland-Noord"
    assert browser.find_element(By.ID, "vaardigheid-taal").is_selected()
    phone.shot("member-new-error")
    number = f"K-{int(time.time() * 1000) % 10**9}"  # unique per run: the federation lives for the session
    browser.find_element(By.ID, "lidnummer").clear()
    browser.find_element(By.ID, "lidnummer").send_keys(number)
    phone.follow(By.CSS_SELECTOR, "main form button[type=submit]")

    assert "Het lid is geregistreerd" in phone.text() and "Noor Bakker" in phone.text()
    assert "Kanaleneiland-Noord" in phone.text() and "geen toestemming gegeven" in phone.text()
    member_url = browser.current_url.split("?")[0]
    member_id = member_url.rstrip("/").split("/")[-1]
    stored = member_at_service(urls, member_id)
    assert (stored["name"], stored["kind"], stored["membership_number"], stored["buurt"], stored["skills"]) == (
        "Noor Bakker", "vrijwilliger", number, "BU03440832", ["taal"])
    phone.shot("member")

    Select(browser.find_element(By.ID, "doel")).select_by_value("volunteer_suggestions")
    Select(browser.find_element(By.ID, "hoe")).select_by_visible_text("op papier")
    phone.follow(By.XPATH, "//button[normalize-space()='Toestemming vastleggen']")
    assert "De toestemming is vastgelegd" in phone.text() and "als vrijwilliger voorstellen" in phone.text()
    in_force = requests.get(f"{urls[f'{PARTNER} members']}/members/{member_id}/consents/volunteer_suggestions",
                            headers=coordinator(PARTNER), timeout=5).json()
    assert in_force["in_force"] is True
    phone.shot("member-consent")

    phone.follow(By.XPATH, "//button[normalize-space()='Deze toestemming intrekken']")
    assert "De toestemming is ingetrokken" in phone.text() and "ingetrokken op" in phone.text()
    in_force = requests.get(f"{urls[f'{PARTNER} members']}/members/{member_id}/consents/volunteer_suggestions",
                            headers=coordinator(PARTNER), timeout=5).json()
    assert in_force["in_force"] is False
    phone.shot("member-consent-withdrawn")

    # the AVG export: a file in a folder of this test, with this member in it
    folder = tmp_path / "downloads"
    folder.mkdir()
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)})
    before = browser.current_url
    browser.find_element(By.ID, "inzage").click()
    [file] = downloaded(folder)
    assert file.name.startswith(f"avg-inzage-{PARTNER}-lid-{member_id[:8]}") and file.suffix == ".json"
    document = json.loads(file.read_text())
    assert document["member"]["id"] == member_id and document["member"]["name"] == "Noor Bakker"
    assert [(c["purpose"], c["how"]) for c in document["consents"]] == [("volunteer_suggestions", "schriftelijk")]
    assert document["consents"][0]["withdrawn_at"] is not None
    assert browser.current_url == before  # a download, not another page

    phone.follow(By.ID, "wissen")
    assert "Dit kun je niet ongedaan maken" in phone.text() and "Wat wordt gewist" in phone.text()
    phone.shot("member-erase")
    phone.follow(By.XPATH, "//button[normalize-space()='Gegevens definitief wissen']")  # not ticked
    assert "Zet een vinkje" in phone.text() and member_at_service(urls, member_id)["erased_at"] is None
    phone.shot("member-erase-unconfirmed")
    browser.find_element(By.ID, "bevestig").click()
    phone.follow(By.XPATH, "//button[normalize-space()='Gegevens definitief wissen']")

    assert "De gegevens van het lid zijn gewist" in phone.text() and "Noor Bakker" not in phone.text()
    stored = member_at_service(urls, member_id)
    assert stored["erased_at"] is not None and stored["name"] is None and stored["email"] is None
    phone.shot("members-after-erasure")
    browser.get(member_url)
    assert "Dit lid kun je niet zien" in phone.text() and "Noor Bakker" not in phone.text()
    phone.shot("member-gone")


def test_the_staff_accounts_page_adds_disables_and_enables_an_account(city, phone):
    urls, browser = city, phone.driver
    staff_account(urls, PARTNER, USERNAME, PASSWORD)
    log_in(phone, urls, PARTNER_NAME, USERNAME, PASSWORD)
    phone.follow(By.LINK_TEXT, "Accounts")
    assert "Accounts van medewerkers" in phone.text() and USERNAME in phone.text() and "dit ben jij" in phone.text()
    phone.shot("accounts")
    phone.follow(By.LINK_TEXT, "Account toevoegen")

    phone.shot("account-new")
    volunteer = f"vrijwilliger-{int(time.time() * 1000) % 10**9}@krachtstation.example"
    browser.find_element(By.ID, "gebruikersnaam").send_keys(volunteer)
    browser.find_element(By.ID, "weergavenaam").send_keys("Sem de Vrijwilliger")
    browser.find_element(By.ID, "wachtwoord").send_keys("kort")
    phone.follow(By.CSS_SELECTOR, "main form button[type=submit]")
    assert "minstens 10" in phone.text()
    assert browser.find_element(By.ID, "gebruikersnaam").get_attribute("value") == volunteer
    assert browser.find_element(By.ID, "wachtwoord").get_attribute("value") == ""  # a password is never sent back
    phone.shot("account-new-error")
    browser.find_element(By.ID, "wachtwoord").send_keys("een zin die lang genoeg is")
    phone.follow(By.CSS_SELECTOR, "main form button[type=submit]")

    assert "Het account is aangemaakt" in phone.text() and "Sem de Vrijwilliger" in phone.text()
    phone.shot("accounts-added")
    accounts = requests.get(f"{urls[f'{PARTNER} members']}/accounts", params={"per_page": 200},
                            headers=coordinator(PARTNER), timeout=5).json()["items"]
    made = next(a for a in accounts if a["username"] == volunteer)
    assert (made["role"], made["active"], made["display_name"]) == ("volunteer", True, "Sem de Vrijwilliger")

    phone.follow(By.ID, f"uit-{made['id']}")
    assert "Het account is uitgeschakeld" in phone.text()
    phone.shot("accounts-disabled")
    assert requests.get(f"{urls[f'{PARTNER} members']}/accounts/{made['id']}", headers=coordinator(PARTNER),
                        timeout=5).json()["active"] is False
    phone.follow(By.ID, f"aan-{made['id']}")
    assert "Het account staat weer aan" in phone.text()
    assert requests.get(f"{urls[f'{PARTNER} members']}/accounts/{made['id']}", headers=coordinator(PARTNER),
                        timeout=5).json()["active"] is True
    phone.shot("accounts-enabled")
