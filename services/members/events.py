"""The members service's events (publishing.py says when each goes): a listed volunteer's anonymous
profile, its end, an erasure, and the partner's counts — never a name, contact detail, address,
postcode, birth date, membership number or trade, and nothing under a member's id unless they agreed."""
from datetime import datetime, timezone

from samen030.kernel.events import Event, new_event


def _utc(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def listed_event(partner: str, listing: dict, sequence: int) -> Event:
    return new_event(partner, "members", "member", "listed", listing["member_id"], {**listing, "sequence": sequence})


def unlisted_event(partner: str, member_id: str, sequence: int) -> Event:
    return new_event(partner, "members", "member", "unlisted", member_id,
                     {"member_id": member_id, "sequence": sequence})


def erased_event(partner: str, member_id: str, at: datetime) -> Event:
    return new_event(partner, "members", "member", "erased", member_id, {"member_id": member_id, "erased_at": _utc(at)})


def counts_event(partner: str, counts: dict, sequence: int) -> Event:
    return new_event(partner, "members", "counts", "changed", partner,
                     {**counts, "sequence": sequence, "counted_at": _utc(datetime.now(timezone.utc))})
