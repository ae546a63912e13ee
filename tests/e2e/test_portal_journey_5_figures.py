"""Journey 5 of the portal in a real Chromium on the whole local federation (`samen030 run`), SQLite and
PostgreSQL: someone of the city cooperative opens "Cijfers voor de stad" from the footer (a public
page: the gateway's figures are public aggregates), sees the referral from the Wijkinformatiepunt to
Power by Peers among the flows between partners, narrows the figures down with the filters and downloads
them as CSV. Journey 2 (another test file) makes that referral through the portal; run alone, this test
makes one through the partners' APIs first. Every page is kept as a screenshot and checked with axe-core."""
import csv
import io
import re

import requests

from tests.browser import By, Select, coordinator, create_offer, needs_a_browser
from tests.federation import eventually

pytestmark = needs_a_browser
A, B = "wijkinformatiepunt", "powerbypeers"
OFFER = {"name": "Maatjes van Power by Peers", "description": "Praten met iemand die het zelf heeft meegemaakt.",
         "category": "lichte-zorg", "terms": ["ervaringsdeskundigen"], "buurt": "BU03440832"}
QUESTION = {"channel": "walk_in", "category": "lichte-zorg", "buurt": "BU03440832", "urgency": "normal",
            "question": "Ik zoek iemand om mee te praten die weet hoe het is na een burn-out.",
            "consents": [{"purpose": "share_for_referral", "how": "mondeling"}]}


def flows(urls) -> dict:
    figures = requests.get(f"{urls['gateway']}/api/v1/figures/requests", timeout=5).json()
    return {(r["from_partner"], r["to_partner"]): r for r in figures["referrals"]}


def a_referral_from_a_to_b(urls) -> int:
    """How many referrals A → B the gateway counts; when none (this test alone), one made through the APIs."""
    if (A, B) not in flows(urls):
        offer = create_offer(urls, B, OFFER)
        eventually(lambda: requests.get(f"{urls['gateway']}/api/v1/offers/{offer['id']}", timeout=5).ok, timeout=30)
        base = urls[f"{A} requests"]
        made = requests.post(f"{base}/requests", json=QUESTION, headers=coordinator(A), timeout=10)
        assert made.status_code == 201, made.text
        at = f"{base}/requests/{made.json()['id']}"
        assert requests.post(f"{at}/triage", json={"reason": "Lotgenoten."}, headers=coordinator(A), timeout=10).ok
        referred = requests.post(f"{at}/refer", json={"offer_id": offer["id"]}, headers=coordinator(A), timeout=10)
        assert referred.status_code in (200, 201), referred.text
    return eventually(lambda: (flows(urls).get((A, B)) or {}).get("sent"), timeout=30)


def row_of(table, first: str) -> list[str]:
    for row in table.find_elements(By.CSS_SELECTOR, "tbody tr"):
        cells = [cell.text for cell in row.find_elements(By.CSS_SELECTOR, "th, td")]
        if cells[0] == first:
            return cells
    raise AssertionError(f"no row {first!r} in {table.text!r}")


def test_journey_5_the_city_sees_the_referral_flows_and_downloads_the_figures(city, phone):
    urls = city
    sent = a_referral_from_a_to_b(urls)
    names = {p["id"]: p["name"] for p in requests.get(f"{urls['gateway']}/api/v1/partners", timeout=5).json()}
    browser = phone.driver

    browser.get(f"{urls['portal']}/")
    phone.shot("home")
    phone.follow(By.LINK_TEXT, "Cijfers voor de stad")  # in the footer of every page; no login
    assert browser.current_url.endswith("/stad/cijfers")
    assert "Vragen per wijk" in phone.text()
    assert not re.search(r"\b(BU|WK)0344\d+", phone.text())  # places by name, never a code
    chart = browser.find_element(By.CSS_SELECTOR, "svg.samen030-chart")
    assert chart.get_attribute("role") == "img" and chart.find_elements(By.TAG_NAME, "rect")
    referrals = browser.find_element(By.XPATH, "//table[caption[starts-with(., 'Van welke organisatie')]]")
    flow = row_of(referrals, names[A])
    assert flow[1] == names[B] and int(flow[2]) == sent
    status = {item.find_element(By.TAG_NAME, "h3").text: item.text
              for item in browser.find_elements(By.CSS_SELECTOR, ".samen030-partner-status")}
    assert set(status) == set(names.values()) and all("Bereikbaar" in said for said in status.values())
    phone.shot("figures")

    Select(browser.find_element(By.ID, "organisatie")).select_by_visible_text(names[A])
    Select(browser.find_element(By.ID, "indeling")).select_by_visible_text("organisatie")
    phone.follow(By.CSS_SELECTOR, "main form button[type=submit]")
    assert f"organisatie={A}" in browser.current_url and "indeling=organisatie" in browser.current_url
    per_partner = browser.find_element(By.XPATH, "//table[caption[. = 'Vragen per organisatie']]")
    received, _by_referral, referred = map(int, row_of(per_partner, names[A])[1:4])
    assert received >= 1 and referred >= sent  # the referrals to Power by Peers and any others
    assert len(per_partner.find_elements(By.CSS_SELECTOR, "tbody tr")) == 1  # only the partner asked for
    assert int(row_of(browser.find_element(By.XPATH, "//table[caption[starts-with(., 'Van welke organisatie')]]"),
                      names[A])[2]) >= 1
    phone.shot("figures-filtered")

    link = browser.find_element(By.PARTIAL_LINK_TEXT, "Download deze cijfers als CSV")
    download = requests.get(link.get_attribute("href"), timeout=10)
    assert download.status_code == 200 and download.headers["Content-Type"].startswith("text/csv")
    assert re.fullmatch(r'attachment; filename="hulpvragen-begin-nu\.csv"', download.headers["Content-Disposition"])
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["group", "code", "name", "measure", "description", "value"]
    values = {(group, code, measure): value for group, code, _name, measure, _d, value in rows[1:]}
    assert int(values[("referrals", f"{A} → {B}", "sent")]) >= 1
    assert {code for group, code, _m in values if group == "partner"} == {A}  # the filter went along

    browser.get(f"{urls['portal']}/stad/cijfers?van=gisteren&organisatie={A}")
    assert "Vul een datum in als jjjj-mm-dd" in phone.text()
    assert Select(browser.find_element(By.ID, "organisatie")).first_selected_option.text == names[A]  # kept
    phone.shot("figures-wrong-date")
