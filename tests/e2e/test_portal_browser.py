"""The portal in a real Chromium (Debian's chromium + chromium-driver, driven by Selenium), on the whole
local federation as `samen030 run` starts it, on SQLite and PostgreSQL. Journey 1 of the portal: a
resident on a 375×667 phone screen searches "taalcafé" in Kanaleneiland, opens the offer and asks a
question with one consent; it arrives at that partner as a `web` request with only that consent.
Every page visited is kept as a screenshot under var/screenshots/ (the path is printed)."""
import os
import re
import shutil
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
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.expected_conditions import staleness_of  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402

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
    with running_federation(request, workdir, PARTNERS, services=("directory", "requests")) as (urls, _proc):
        yield urls, request.param


def coordinator(partner: str) -> dict:
    return {"Authorization": f"Bearer {issue_token(partner, 'coordinator', f'coordinator-{partner}')}"}


def create_offer(urls, partner: str, offer: dict) -> dict:
    answer = requests.post(f"{urls[f'{partner} directory']}/offers", json=offer, headers=coordinator(partner), timeout=5)
    assert answer.status_code == 201, answer.text
    return answer.json()


class Phone:
    """Chromium as a 375×667 phone screen, keeping a screenshot of every page it shows."""

    def __init__(self, shots: Path):
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         "--window-size=375,667", "--lang=nl-NL", "--no-first-run"):
            options.add_argument(argument)
        options.add_experimental_option("prefs", {"intl.accept_languages": "nl-NL,nl"})
        self.driver = webdriver.Chrome(service=webdriver.ChromeService(CHROMEDRIVER), options=options)
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": 375, "height": 667, "deviceScaleFactor": 1, "mobile": True})
        self.shots, self.count = shots, 0
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

    def follow(self, by: str, what: str) -> None:
        """Click what leads to another page, and wait until that page is there."""
        before = self.driver.find_element(By.TAG_NAME, "html")
        self.driver.find_element(by, what).click()
        WebDriverWait(self.driver, 15).until(staleness_of(before))
        WebDriverWait(self.driver, 15).until(lambda d: d.execute_script("return document.readyState") == "complete")

    def text(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "body").text

    def quit(self) -> None:
        self.driver.quit()


@pytest.fixture
def phone(federation, request):
    _urls, database = federation
    shots = Path(os.environ.get("SAMEN030_SCREENSHOTS", REPO_ROOT / "var" / "screenshots")) / \
        f"{request.node.originalname}-{database}-{time.strftime('%Y%m%d-%H%M%S')}"
    browser = Phone(shots)
    request.node.user_properties.append(("screenshots", str(shots)))
    print(f"\nscreenshots: {shots}")
    yield browser
    browser.quit()


def test_journey_1_a_resident_finds_the_taalcafe_and_asks_a_question(federation, phone):
    urls, _database = federation
    offer = create_offer(urls, "krachtstation", TAALCAFE)
    create_offer(urls, "wijkinformatiepunt", ELSEWHERE)
    eventually(lambda: requests.get(f"{urls['gateway']}/api/v1/search", params={"q": "taalcafé"}, timeout=5)
               .json()["total_items"] == 2, timeout=30)
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
    api = urls["krachtstation requests"]
    taken = requests.get(f"{api}/requests", headers=coordinator("krachtstation"), timeout=5).json()["items"]
    assert [(r["channel"], r["question"], r["buurt"], r["email"]) for r in taken] == \
        [("web", QUESTION, "BU03440832", "fatima@example.nl")]
    consents = requests.get(f"{api}/requests/{taken[0]['id']}/consents", headers=coordinator("krachtstation"),
                            timeout=5).json()
    assert [(c["purpose"], c["how"], c["withdrawn_at"]) for c in consents] == [("contact_email", "online", None)]
    for other in ("wijkinformatiepunt", "samen030"):
        assert requests.get(f"{urls[f'{other} requests']}/requests", headers=coordinator(other),
                            timeout=5).json()["total_items"] == 0
    assert offer["partner"] == "krachtstation"
