"""`request.erased` names ids, a reason and a time: nothing else can slip in."""
import uuid

import pytest

from samen030.kernel.events import InvalidEvent, new_event, parse_event

ERASED = {"request_id": str(uuid.uuid4()), "referral_ids": [str(uuid.uuid4())], "reason": "erasure",
          "erased_at": "2026-11-27T10:00:00Z"}


def test_a_request_erased_event_is_valid_and_reads_back():
    event = new_event("wijkinformatiepunt", "requests", "request", "erased", ERASED["request_id"], ERASED)
    assert parse_event(event.to_json(), "samen030.wijkinformatiepunt.requests.request.erased").data == ERASED


@pytest.mark.parametrize("change", [{"name": "Piet"}, {"question": "..."}, {"reason": "asked"},
                                    {"referral_ids": ["not-a-uuid"]}, {"member_id": str(uuid.uuid4())}])
def test_a_request_erased_event_with_anything_else_is_refused(change):
    with pytest.raises(InvalidEvent):
        new_event("wijkinformatiepunt", "requests", "request", "erased", ERASED["request_id"], {**ERASED, **change})


def test_a_request_erased_event_needs_its_referral_ids():
    data = {k: v for k, v in ERASED.items() if k != "referral_ids"}
    with pytest.raises(InvalidEvent):
        new_event("wijkinformatiepunt", "requests", "request", "erased", ERASED["request_id"], data)
