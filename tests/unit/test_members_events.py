"""The members' event schemas admit no field beyond the ones listed, so no personal field can slip in."""
import uuid

import pytest

from samen030.kernel.events import InvalidEvent, new_event

MEMBER = {"member_id": str(uuid.uuid4()), "type": "person", "kind": "vrijwilliger", "buurt": "BU03440832",
          "wijk": "WK034408", "membership_status": "lid", "role": "volunteer", "skills": ["taal"],
          "availability": [{"byday": "MO", "from": "09:00", "until": "12:00"}], "languages": ["nl"],
          "version": 1, "updated_at": "2026-11-27T10:00:00Z"}


def test_a_member_event_is_valid():
    assert new_event("krachtstation", "members", "member", "registered", MEMBER["member_id"], MEMBER).data == MEMBER


@pytest.mark.parametrize("extra", [{"name": "Piet"}, {"membership_number": "K-1"}, {"trade": "bakker"},
                                   {"member_since": "2024-01-01"}])
def test_a_member_event_with_anything_more_is_refused(extra):
    with pytest.raises(InvalidEvent):
        new_event("krachtstation", "members", "member", "updated", MEMBER["member_id"], {**MEMBER, **extra})


@pytest.mark.parametrize("action, data", [
    ("erased", {"member_id": str(uuid.uuid4()), "erased_at": "2026-11-27T10:00:00Z", "name": "Piet"}),
    ("erased", {"member_id": str(uuid.uuid4())}),
])
def test_erased_events_carry_only_the_id_and_time(action, data):
    with pytest.raises(InvalidEvent):
        new_event("krachtstation", "members", "member", action, data["member_id"], data)
