"""What the portal's browser tests share: Chromium (Debian's chromium + chromium-driver) driven by
Selenium as a 375×667 phone, axe-core to check every page, the keyboard, and the few API calls the
journeys make to set up and check what the portal did. The federation they run on is in
tests/e2e/conftest.py (one per database for all journeys)."""
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
import requests

from samen030.kernel.auth import issue_token
from samen030.kernel.config import REPO_ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
HOW_TO_GET_IT = ("needs a real Chromium: Debian's `chromium` and `chromium-driver` "
                 "(apt-get install chromium chromium-driver; .ci/run installs them when missing)")
needs_a_browser = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason=HOW_TO_GET_IT)
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium: make install (the test extra)")
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402

__all__ = ["By", "Keys", "Select", "Phone", "Keyboard", "arrived", "axe_source", "needs_a_browser", "coordinator",
           "create_offer", "web_requests", "consents_of", "staff_account", "log_in"]
AXE_CORE = "4.14.1"  # npm axe-core (MPL-2.0), fetched once with `npm pack` into var/test-tools/


def coordinator(partner: str) -> dict:
    """Headers with a coordinator token of the partner, for the API calls that set up or check a journey."""
    return {"Authorization": f"Bearer {issue_token(partner, 'coordinator', f'coordinator-{partner}')}"}


def create_offer(urls, partner: str, offer: dict) -> dict:
    answer = requests.post(f"{urls[f'{partner} directory']}/offers", json=offer, headers=coordinator(partner), timeout=5)
    assert answer.status_code == 201, answer.text
    return answer.json()


def web_requests(urls, partner: str, question: str) -> list[dict]:
    """The partner's requests with this question, as its coordinator sees them at its own service."""
    answer = requests.get(f"{urls[f'{partner} requests']}/requests", params={"per_page": 200},
                          headers=coordinator(partner), timeout=5).json()
    return [r for r in answer["items"] if r["question"] == question]


def consents_of(urls, partner: str, request_id: str) -> list[tuple]:
    answer = requests.get(f"{urls[f'{partner} requests']}/requests/{request_id}/consents", headers=coordinator(partner),
                          timeout=5).json()
    return [(c["purpose"], c["how"], c["withdrawn_at"]) for c in answer]


def staff_account(urls, partner: str, username: str, password: str, role: str = "coordinator") -> None:
    """A staff account at the partner's members service (once: a second call for the same name is fine)."""
    made = requests.post(f"{urls[f'{partner} members']}/accounts", headers=coordinator(partner), timeout=5,
                         json={"username": username, "password": password, "role": role,
                               "display_name": f"Coördinator {partner}"})
    assert made.status_code == 201 or "username" in (made.json().get("errors") or {}).get("json", {}), made.text


def log_in(phone, urls, partner_name: str, username: str, password: str) -> None:
    """Through the portal's login page, as a coordinator does."""
    phone.driver.get(f"{urls['portal']}/medewerkers/inloggen")
    Select(phone.driver.find_element(By.ID, "organisatie")).select_by_visible_text(partner_name)
    phone.driver.find_element(By.ID, "gebruikersnaam").send_keys(username)
    phone.driver.find_element(By.ID, "wachtwoord").send_keys(password)
    phone.follow(By.CSS_SELECTOR, "main form button[type=submit]")


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
