"""The members' event schemas admit no field beyond the ones listed, so no personal field can slip in: a
listing carries a volunteer's anonymous profile only, the end of a listing and an erasure only the id,
the counts only counts per wijk."""
import uuid

import pytest

from samen030.kernel.events import InvalidEvent, new_event

LISTING = {"member_id": str(uuid.uuid4()), "buurt": "BU03440832", "wijk": "WK034408", "skills": ["taal"],
           "availability": [{"byday": "MO", "from": "09:00", "until": "12:00"}], "languages": ["nl"], "sequence": 4}
COUNTS = {"members": [{"wijk": "WK034408", "kind": "bewoner", "count": 12}, {"wijk": None, "kind": "ondernemer", "count": 1}],
          "volunteer_capacity": [{"wijk": "WK034408", "category": "informatie", "volunteers": 3}],
          "sequence": 7, "counted_at": "2026-11-27T10:00:00Z"}


def refused(aggregate: str, action: str, valid: dict, changed: dict) -> bool:
    """`valid` passes and `changed` does not: the refusal is about the change, not the event type."""
    subject = valid.get("member_id", "krachtstation")
    assert new_event("krachtstation", "members", aggregate, action, subject, valid).data == valid
    try:
        new_event("krachtstation", "members", aggregate, action, subject, changed)
    except InvalidEvent:
        return True
    return False


def test_a_listing_is_valid():
    assert new_event("krachtstation", "members", "member", "listed", LISTING["member_id"], LISTING).data == LISTING


@pytest.mark.parametrize("extra", [{"name": "Piet"}, {"membership_number": "K-1"}, {"trade": "bakker"},
                                   {"member_since": "2024-01-01"}, {"kind": "vrijwilliger"}, {"role": "volunteer"},
                                   {"membership_status": "lid"}, {"birth_date": "1971-03-09"}])
def test_a_listing_with_anything_more_is_refused(extra):
    assert refused("member", "listed", LISTING, {**LISTING, **extra})


def test_a_listing_needs_a_buurt_of_utrecht():
    assert refused("member", "listed", LISTING, {**LISTING, "buurt": None, "wijk": None})


ERASED = {"member_id": str(uuid.uuid4()), "erased_at": "2026-11-27T10:00:00Z"}
UNLISTED = {"member_id": str(uuid.uuid4()), "sequence": 5}


@pytest.mark.parametrize("action, valid, changed", [
    ("erased", ERASED, {**ERASED, "name": "Piet"}),
    ("erased", ERASED, {"member_id": ERASED["member_id"]}),
    ("unlisted", UNLISTED, {**UNLISTED, "buurt": "BU03440832"}),
    ("unlisted", UNLISTED, {"member_id": UNLISTED["member_id"]}),
])
def test_the_end_of_a_listing_and_an_erasure_carry_only_the_id(action, valid, changed):
    assert refused("member", action, valid, changed)


def test_counts_are_valid():
    assert new_event("krachtstation", "members", "counts", "changed", "krachtstation", COUNTS).data == COUNTS


@pytest.mark.parametrize("change", [
    {"members": [{"wijk": "WK034408", "kind": "bewoner", "count": 1, "member_id": str(uuid.uuid4())}]},
    {"members": [{"wijk": "WK034408", "buurt": "BU03440832", "kind": "bewoner", "count": 1}]},
    {"members": [{"wijk": "WK034408", "kind": "bewoner", "count": 0}]},
    {"volunteer_capacity": [{"wijk": "WK034408", "category": "informatie", "volunteers": 1, "skills": ["taal"]}]},
    {"member_ids": [str(uuid.uuid4())]},
])
def test_counts_with_anything_about_a_person_are_refused(change):
    assert refused("counts", "changed", COUNTS, {**COUNTS, **change})

