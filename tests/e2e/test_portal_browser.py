"""The portal in a real Chromium (Debian's chromium + chromium-driver, driven by Selenium), on the whole
local federation as `samen030 run` starts it, on SQLite and PostgreSQL. Journey 1 of the portal: a
resident on a 375×667 phone screen searches "taalcafé" in Kanaleneiland, opens the offer and asks a
question with one consent; it arrives at that partner as a `web` request with only that consent. Then
that partner's coordinator logs in with their staff account, finds the question in the inbox and opens it.
Every page visited is kept as a screenshot under var/screenshots/ (the path is printed)."""
import os
import re
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

import pytest
import requests

from samen030.kernel.auth import issue_token
from samen030.kernel.config import REPO_ROOT
from tests.federation import eventually, running_federation

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
HOW_TO_GET_IT = ("needs a real Chromium: Debian's `chromium` and `chromium-driver` "
                 "(apt-get install chromium chromium-driver; .ci/run installs them when missing)")
pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason=HOW_TO_GET_IT)
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium: make install (the test extra)")
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402

AXE_CORE = "4.14.1"  # npm axe-core (MPL-2.0), fetched once with `npm pack` into var/test-tools/
PARTNERS = ["krachtstation", "wijkinformatiepunt", "samen030"]
TAALCAFE = {"name": "Taalcafé Kanaleneiland", "description": "Nederlands oefenen met buren, met koffie en thee.",
            "category": "informatie", "terms": ["taal"], "buurt": "BU03440832", "languages": ["nl", "ar"],
            "schedules": [{"byday": "TU,TH", "opens_at": "10:00", "closes_at": "12:00"}],
            "locations": [{"name": "Krachtstation", "address_1": "Marco Pololaan 6", "postal_code": "3526 GH",
                           "buurt": "BU03440832"}],
            "contacts": [{"name": "Balie Krachtstation", "phone": "030 1234567"}]}
ELSEWHERE = {**TAALCAFE, "name": "Taalcafé Overvecht", "buurt": "BU03440311", "locations": [], "contacts": []}
QUESTION = "Ik wil graag beter Nederlands leren praten. Mag ik dinsdag komen kijken?"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def federation(request, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("portal")
    with running_federation(request, workdir, PARTNERS, services=("directory", "requests", "members")) as (urls, _proc):
        yield urls, request.param


@pytest.fixture(scope="module")
def city(federation):
    """The federation with the taalcafé in Kanaleneiland and another in Overvecht, both at the gateway."""
    urls, _database = federation
    create_offer(urls, "krachtstation", TAALCAFE)
    create_offer(urls, "wijkinformatiepunt", ELSEWHERE)
    eventually(lambda: requests.get(f"{urls['gateway']}/api/v1/search", params={"q": "taalcafé"}, timeout=5)
               .json()["total_items"] == 2, timeout=30)
    return urls


def web_requests(urls, partner: str, question: str) -> list[dict]:
    """The partner's requests with this question, as its coordinator sees them at its own service."""
    answer = requests.get(f"{urls[f'{partner} requests']}/requests", params={"per_page": 200},
                          headers=coordinator(partner), timeout=5).json()
    return [r for r in answer["items"] if r["question"] == question]


def consents_of(urls, partner: str, request_id: str) -> list[tuple]:
    answer = requests.get(f"{urls[f'{partner} requests']}/requests/{request_id}/consents", headers=coordinator(partner),
                          timeout=5).json()
    return [(c["purpose"], c["how"], c["withdrawn_at"]) for c in answer]


def coordinator(partner: str) -> dict:
    return {"Authorization": f"Bearer {issue_token(partner, 'coordinator', f'coordinator-{partner}')}"}


def create_offer(urls, partner: str, offer: dict) -> dict:
    answer = requests.post(f"{urls[f'{partner} directory']}/offers", json=offer, headers=coordinator(partner), timeout=5)
    assert answer.status_code == 201, answer.text
    return answer.json()


def axe_source() -> str | None:
    """axe.min.js of AXE_CORE (SAMEN030_AXE_JS names another copy); None without npm or the registry."""
    if path := os.environ.get("SAMEN030_AXE_JS"):
        return Path(path).read_text()
    folder = REPO_ROOT / "var" / "test-tools" / f"axe-core-{AXE_CORE}"
    script = folder / "package" / "axe.min.js"
    if not script.exists() and shutil.which("npm"):
        folder.mkdir(parents=True, exist_ok=True)
        packed = subprocess.run(["npm", "pack", f"axe-core@{AXE_CORE}", "--silent", "--pack-destination", str(folder)],
                                capture_output=True, text=True, timeout=120)
        if packed.returncode == 0:
            with tarfile.open(folder / packed.stdout.split()[-1]) as tar:
                tar.extract("package/axe.min.js", folder, filter="data")
    return script.read_text() if script.exists() else None


AXE_RUN = """const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa"]}})
   .then(result => done(result.violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.html)}))))
   .catch(error => done(String(error)));"""


class Phone:
    """Chromium as a 375×667 phone screen, keeping a screenshot of every page it shows and checking each
    with axe-core (WCAG 2.1 A and AA) when it has it."""

    def __init__(self, shots: Path, axe: str | None):
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         "--window-size=375,667", "--lang=nl-NL", "--no-first-run"):
            options.add_argument(argument)
        options.add_experimental_option("prefs", {"intl.accept_languages": "nl-NL,nl"})
        self.driver = webdriver.Chrome(service=webdriver.ChromeService(CHROMEDRIVER), options=options)
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": 375, "height": 667, "deviceScaleFactor": 1, "mobile": True})
        self.shots, self.count, self.axe = shots, 0, axe
        shots.mkdir(parents=True, exist_ok=True)

    def shot(self, name: str) -> None:
        """The whole page, as tall as it is, then back to the phone's own height."""
        self.count += 1
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": 375, "height": max(667, height), "deviceScaleFactor": 1, "mobile": True})
        self.driver.save_screenshot(str(self.shots / f"{self.count:02d}-{name}.png"))
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": 375, "height": 667, "deviceScaleFactor": 1, "mobile": True})
        assert self.driver.execute_script("return document.documentElement.scrollWidth") <= 375, \
            f"{name}: the page scrolls sideways on a phone"
        if self.axe:
            self.driver.execute_script(self.axe)
            violations = self.driver.execute_async_script(AXE_RUN)
            assert violations == [], f"{name}: {violations}"

    def follow(self, by: str, what: str) -> None:
        """Click what leads to another page, and wait until that page is there."""
        before = self.driver.find_element(By.TAG_NAME, "html")
        self.driver.find_element(by, what).click()
        arrived(self.driver, before)

    def text(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "body").text

    def quit(self) -> None:
        self.driver.quit()


@pytest.fixture
def phone(federation, request):
    _urls, database = federation
    shots = Path(os.environ.get("SAMEN030_SCREENSHOTS", REPO_ROOT / "var" / "screenshots")) / \
        f"{request.node.originalname}-{database}-{time.strftime('%Y%m%d-%H%M%S')}"
    axe = axe_source()
    if axe is None:
        print("axe-core not available (no npm or registry): pages not checked for accessibility")
    browser = Phone(shots, axe)
    request.node.user_properties.append(("screenshots", str(shots)))
    print(f"\nscreenshots: {shots}")
    yield browser
    browser.quit()


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
    made = requests.post(f"{urls['krachtstation members']}/accounts", headers=coordinator("krachtstation"), timeout=5,
                         json={"username": "coordinator@krachtstation.example", "password": STAFF_PASSWORD,
                               "role": "coordinator", "display_name": "Coördinator Krachtstation"})
    assert made.status_code == 201, made.text

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


class Keyboard:
    def __init__(self, driver):
        self.driver = driver

    def tab_to(self, what: str, found, most: int = 60):
        """Press Tab until the focused element is what `found` says; it, with visible focus."""
        for _ in range(most):
            ActionChains(self.driver).send_keys(Keys.TAB).perform()
            focused = self.driver.switch_to.active_element
            if found(focused):
                outline = self.driver.execute_script(
                    "const s = getComputedStyle(arguments[0]); return [s.outlineStyle, s.boxShadow]", focused)
                assert outline[0] != "none" or outline[1] != "none", f"{what}: no visible focus"
                return focused
        raise AssertionError(f"{what}: not reached with Tab")

    def press(self, key, phone) -> None:
        """A key that leads to another page; wait until it is there."""
        before = self.driver.find_element(By.TAG_NAME, "html")
        ActionChains(self.driver).send_keys(key).perform()
        arrived(self.driver, before)


def arrived(driver, before) -> None:
    """Wait until the page `before` belonged to is gone and the next one is loaded."""
    def gone(_driver) -> bool:
        try:
            before.tag_name
        except WebDriverException:  # stale, or "does not belong to the document" while it is being replaced
            return True
        return False
    WebDriverWait(driver, 15).until(gone)
    WebDriverWait(driver, 15, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script("return document.readyState") == "complete")
