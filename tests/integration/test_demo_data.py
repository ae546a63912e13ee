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
