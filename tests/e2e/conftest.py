"""The portal's browser journeys (tests/e2e/test_portal_*.py) share one local federation per database,
started once for all of them: the partners the journeys visit, with the taalcafé in Kanaleneiland and
another in Overvecht at the gateway. Journeys may leave what they made for later ones (the city figures
show the referral of journey 2), but each also makes what it needs when run alone (-k)."""
import os
import time
from pathlib import Path

import pytest
import requests

from samen030.kernel.config import REPO_ROOT
from tests.federation import eventually, running_federation

PORTAL_PARTNERS = ["krachtstation", "wijkinformatiepunt", "powerbypeers", "samen030"]
TAALCAFE = {"name": "Taalcafé Kanaleneiland", "description": "Nederlands oefenen met buren, met koffie en thee.",
            "category": "informatie", "terms": ["taal"], "buurt": "BU03440832", "languages": ["nl", "ar"],
            "schedules": [{"byday": "TU,TH", "opens_at": "10:00", "closes_at": "12:00"}],
            "locations": [{"name": "Krachtstation", "address_1": "Marco Pololaan 6", "postal_code": "3526 GH",
                           "buurt": "BU03440832"}],
            "contacts": [{"name": "Balie Krachtstation", "phone": "030 1234567"}]}
ELSEWHERE = {**TAALCAFE, "name": "Taalcafé Overvecht", "buurt": "BU03440311", "locations": [], "contacts": []}


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def portal_federation(request, tmp_path_factory):
    from tests.browser import create_offer  # selenium is imported there: only when a browser test runs
    workdir = tmp_path_factory.mktemp("portal")
    with running_federation(request, workdir, PORTAL_PARTNERS, services=("directory", "requests", "members")) as (urls, _proc):
        create_offer(urls, "krachtstation", TAALCAFE)
        create_offer(urls, "wijkinformatiepunt", ELSEWHERE)
        eventually(lambda: requests.get(f"{urls['gateway']}/api/v1/search", params={"q": "taalcafé"}, timeout=5)
                   .json()["total_items"] == 2, timeout=30)
        yield urls, request.param


@pytest.fixture
def city(portal_federation):
    """The URLs of the portal's federation (the portal, the gateway, '<partner> <service>')."""
    return portal_federation[0]


@pytest.fixture
def phone(portal_federation, request):
    """Chromium as a phone; its screenshots under var/screenshots/<test>-<database>-<time>/ (printed)."""
    from tests.browser import Phone, axe_source
    _urls, database = portal_federation
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
