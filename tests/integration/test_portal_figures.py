"""The city figures page of the portal (/stad/cijfers) with Flask's test client on the real gateway (its
read model filled by its own projection with help-request and referral events) and two partners' real
services over HTTP, SQLite and PostgreSQL: the figures per wijk, buurt, category and partner with the
chart and the table, the filters, a wrong filter or one the gateway refuses as a Dutch 400 (never a
500), the CSV download, the referral flows, and a partner that is down shown as not reachable."""
import csv
import io
import re
from datetime import timedelta

import pytest

from samen030.kernel.config import load_federation
from samen030.kernel.geography import buurt
from samen030.portal.places import wijk_name
from samen030.portal.app import create_app
from tests.integration.test_gateway_request_figures import MARCH, OVERVECHT, handover, request
from tests.integration.test_portal_pages import EXTERNAL
from tests.live import City

A, B = "wijkinformatiepunt", "powerbypeers"
NAME_A, NAME_B = "Stichting Wijkinformatiepunt Utrecht", "Power by Peers"


@pytest.fixture
def city(databases, monkeypatch, tmp_path):
    city = City(databases, monkeypatch, tmp_path, {A: ("requests", "directory"), B: ("requests", "directory")})
    for key in city.ports:
        city.start(*key)
    city.start_gateway()
    city.federation = load_federation(tmp_path / "federation.toml")
    events = [*handover(A, B, "accept"), *handover(A, B, "decline"), *handover(A, B),  # Kanaleneiland-Noord
              *handover(B, A, "accept", category="lichte-zorg", buurt=OVERVECHT),
              request(A, category="praktische-hulp", received_at=MARCH + timedelta(days=40)),  # in April
              request(B, buurt=OVERVECHT, received_at=MARCH + timedelta(days=40))]
    city.projection.apply(events)
    yield city
    city.close()


def portal(city):
    return create_app(city.federation, {"GATEWAY_APP": city.gateway, "SECRET_KEY": "test"}).test_client()


def text(response) -> str:
    return response.get_data(as_text=True)


def table(html: str, caption: str) -> dict[str, list[str]]:
    """The rows of the table with this caption: its row header → the other cells."""
    found = re.search(rf"<caption[^>]*>{re.escape(caption)}</caption>(.*?)</table>", html, re.S)
    assert found, caption
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.S)[1:]:
        cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        rows[cells[0]] = cells[1:]
    return rows


def totals(html: str) -> dict[str, str]:
    return dict(re.findall(r"<div><dt>([^<]+)</dt><dd>([^<]+)</dd></div>", html))


def test_the_figures_per_wijk_with_a_chart_the_referral_flows_and_the_partners(city):
    client = portal(city)
    home = text(client.get("/"))
    assert 'href="/stad/cijfers"' in home and "Cijfers voor de stad" in home  # linked from every page's footer
    page = client.get("/stad/cijfers")  # public: no login
    html = text(page)
    assert page.status_code == 200
    assert totals(html)["Vragen binnengekomen"] == "10"  # 6 intake + 4 by referral
    assert totals(html)["waarvan via een doorverwijzing"] == "4"
    assert totals(html)["Doorverwezen naar een andere organisatie"] == "4"
    per_wijk = table(html, "Vragen per wijk")
    assert per_wijk["Zuidwest"][:3] == ["7", "3", "3"]  # Kanaleneiland-Noord: named, never a code
    assert per_wijk[wijk_name(buurt(OVERVECHT).wijk_code)][:3] == ["3", "1", "1"]
    assert sum(int(cells[0]) for cells in per_wijk.values()) == 10
    chart = re.search(r'<svg class="samen030-chart".*?</svg>', html, re.S).group(0)
    assert 'role="img"' in chart and "<title" in chart
    bars = dict(zip(re.findall(r'<text x="0"[^>]*>([^<]+)</text>', chart),
                    map(float, re.findall(r'<rect [^>]*width="([\d.]+)"', chart))))
    assert set(bars) == set(per_wijk) and bars["Zuidwest"] == max(bars.values())  # the largest, the longest bar
    flows = table(html, "Van welke organisatie naar welke, in deze periode")
    assert flows[NAME_A] == [NAME_B, "3", "1", "1", "1"]  # to, sent, accepted, declined, pending
    assert flows[NAME_B] == [NAME_A, "1", "1", "0", "0"]
    status = re.findall(r'<h3 class="utrecht-heading-3">([^<]+)</h3>\s*<p class="utrecht-paragraph">(.*?)</p>', html, re.S)
    assert [(name, "Bereikbaar" in said) for name, said in status] == [(NAME_A, True), (NAME_B, True)]
    assert "<script" not in html and " style=" not in html and "<style" not in html and not EXTERNAL.search(html)
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"]


def test_the_filters_narrow_the_figures_and_choose_the_breakdown(city):
    client = portal(city)
    march = text(client.get("/stad/cijfers?van=2026-03-01&tot=2026-03-31&indeling=organisatie"))
    per_partner = table(march, "Vragen per organisatie")
    assert per_partner[NAME_A][:3] == ["4", "1", "3"] and per_partner[NAME_B][:3] == ["4", "3", "1"]
    assert 'value="2026-03-01"' in march and '<option value="organisatie" selected>' in march
    lichte_zorg = text(client.get("/stad/cijfers?categorie=lichte-zorg&indeling=categorie"))
    assert list(table(lichte_zorg, "Vragen per onderwerp")) == ["Lichte zorg en gezondheid"]
    assert table(lichte_zorg, "Van welke organisatie naar welke, in deze periode")[NAME_B][1] == "1"
    zuidwest = text(client.get("/stad/cijfers?wijk=WK034408&indeling=buurt"))
    assert list(table(zuidwest, "Vragen per buurt")) == ["Kanaleneiland-Noord"]
    only_b = text(client.get(f"/stad/cijfers?organisatie={B}"))
    assert totals(only_b)["Vragen binnengekomen"] == "5"  # B's own: 1 + 1 intake, 3 by referral
    assert set(table(only_b, "Van welke organisatie naar welke, in deze periode")) == {NAME_A, NAME_B}
    nothing = text(client.get("/stad/cijfers?van=2027-01-01"))
    assert "Geen vragen in deze periode met deze keuzes." in nothing and "Geen doorverwijzingen" in nothing


@pytest.mark.parametrize("query, field, message", [
    ("van=gisteren", "van", "Vul een datum in als jjjj-mm-dd"),
    ("van=2026-04-01&tot=2026-03-01", "tot", "De einddatum ligt vóór de begindatum"),
    ("wijk=WK999999", "wijk", "Kies een wijk uit de lijst"),
    ("categorie=%3Cscript%3E", "categorie", "Kies een onderwerp uit de lijst"),
    ("organisatie=atlantis", "organisatie", "Kies een organisatie uit de lijst"),
    ("indeling=straat", "indeling", "Kies een indeling uit de lijst"),
    ("van=1990-01-01", "van", "Voor deze keuzes kunnen we geen cijfers maken"),  # the gateway refuses the year
])
def test_a_wrong_filter_is_a_dutch_400_beside_its_field_with_the_form_kept(city, query, field, message):
    answer = portal(city).get(f"/stad/cijfers?{query}")
    html = text(answer)
    assert answer.status_code == 400 and message in html
    assert f'id="{field}-fout"' in html and f'href="#{field}"' in html  # beside the field, in the summary
    assert "<script>" not in html  # what was typed comes back escaped
    csv_answer = portal(city).get(f"/stad/cijfers.csv?{query}")
    assert csv_answer.status_code == 400 and "text/html" in csv_answer.content_type


def test_the_csv_download_has_the_filtered_figures_for_a_spreadsheet(city):
    client = portal(city)
    page = text(client.get("/stad/cijfers?van=2026-03-01&tot=2026-03-31&categorie=informatie"))
    link = re.search(r'href="(/stad/cijfers\.csv[^"]*)" download', page).group(1).replace("&amp;", "&")
    assert "van=2026-03-01" in link and "categorie=informatie" in link
    answer = client.get(link)
    assert answer.status_code == 200 and answer.content_type.startswith("text/csv")
    assert answer.headers["Content-Disposition"] == 'attachment; filename="hulpvragen-2026-03-01-2026-03-31.csv"'
    body = answer.get_data()
    assert body.startswith("\ufeff".encode())  # a byte-order mark: Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["group", "code", "name", "measure", "description", "value"]
    values = {(group, code, measure): value for group, code, _name, measure, _d, value in rows[1:]}
    assert values[("total", "", "received")] == "3" and values[("total", "", "received_by_referral")] == "3"
    assert values[("referrals", f"{A} → {B}", "sent")] == "3" and ("referrals", f"{B} → {A}", "sent") not in values
    assert values[("category", "informatie", "received")] == "3"
    assert not any(code == "lichte-zorg" for _g, code, _m in values)


def test_a_partner_that_is_down_is_shown_as_not_reachable(city):
    city.stop(B, "requests")
    city.gateway.extensions["samen030.health"].check_all()  # as its thread does every few seconds
    html = text(portal(city).get("/stad/cijfers"))
    said = dict(re.findall(r'<h3 class="utrecht-heading-3">([^<]+)</h3>\s*<p class="utrecht-paragraph">(.*?)</p>', html, re.S))
    assert "Nu niet bereikbaar" in said[NAME_B] and "Nu niet bereikbaar" not in said[NAME_A]
    assert table(html, "Vragen per wijk")["Zuidwest"][0] == "7"  # the figures still come from the read model


def test_the_gateway_down_is_a_503_page_not_a_500(city):
    client = create_app(city.federation, {"SECRET_KEY": "test"}).test_client()  # over HTTP, to the gateway's URL
    city.servers[("city", "gateway")].stop()
    for path in ("/stad/cijfers", "/stad/cijfers.csv"):
        answer = client.get(path)
        assert answer.status_code == 503 and "Even niet bereikbaar" in text(answer), path
