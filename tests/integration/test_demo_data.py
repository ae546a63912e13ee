"""The demo aanbod is valid for every partner and fills every wijk and category."""
import pytest

from samen030.demo import DEMO_OFFERS
from samen030.kernel.geography import buurt, wijken
from samen030.kernel.taxonomy import CATEGORIES
from tests.hsds import assert_valid_page


@pytest.mark.parametrize("partner", list(DEMO_OFFERS))
def test_demo_offers_are_accepted_and_valid_hsds(directory_app, auth_header, partner):
    client = directory_app(partner).test_client()
    for offer in DEMO_OFFERS[partner]:
        response = client.post("/offers", json=offer, headers=auth_header(partner))
        assert response.status_code == 201, (offer["name"], response.json)
    assert len(assert_valid_page("service", client.get("/services?full=true&per_page=100").json)) == len(DEMO_OFFERS[partner])


def test_demo_covers_the_city():
    offers = [o for partner in DEMO_OFFERS.values() for o in partner]
    assert {o["category"] for o in offers} == set(CATEGORIES)
    assert len({buurt(o["buurt"]).wijk_code for o in offers}) == len(wijken())


def test_the_demo_federation_loads_offers_volunteers_and_requests_with_referrals(databases, monkeypatch, tmp_path):
    """What `samen030 run` loads, through the services' APIs, with suggestions showing volunteers."""
    from samen030.demo import load_demo
    from samen030.demo_members import load_demo_members
    from samen030.demo_requests import load_demo_requests
    from samen030.kernel.config import load_federation
    from tests.conftest import auth
    from tests.live import City

    wip, pbp = "wijkinformatiepunt", "powerbypeers"
    city = City(databases, monkeypatch, tmp_path, {p: ("directory", "requests", "members") for p in (wip, pbp)})
    try:
        for key in city.ports:
            city.start(*key)
        city.start_gateway()
        federation = load_federation()
        quiet = lambda _line: None  # noqa: E731
        assert load_demo(federation, log=quiet) == len(DEMO_OFFERS[wip]) + len(DEMO_OFFERS[pbp])
        assert load_demo_members(federation, log=quiet) == 3
        city.sync_gateway()
        assert load_demo_requests(federation, federation.gateway_url, log=quiet, timeout=5) == 3
        requests = city.client(wip, "requests").get("/requests", headers=auth(wip)).json["items"]
        assert sorted(r["status"] for r in requests) == ["received", "referred", "referred"]  # no follow-up worker here
        [accepted] = city.client(pbp, "requests").get("/requests?status=accepted", headers=auth(pbp)).json["items"]
        assert accepted["referred_by"] == wip and accepted["name"]  # shared with consent
        city.sync_gateway()
        suggested = city.client(wip, "requests").get(f"/requests/{requests[0]['id']}/suggestions", headers=auth(wip)).json
        assert suggested["offers"] and (suggested["volunteers"] or suggested["volunteers_elsewhere"])
    finally:
        city.close()
