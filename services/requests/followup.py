"""Follow-up: the first-contact deadline per urgency, and which requests are past it."""
import os
from datetime import datetime, timedelta

URGENCIES = ("high", "normal", "low")
# Hours until the first contact is due; SAMEN030_FIRST_CONTACT_HOURS="high=8,normal=72,low=168" overrides.
DEFAULT_HOURS = {"high": 24, "normal": 72, "low": 168}


def first_contact_hours() -> dict[str, int]:
    hours = dict(DEFAULT_HOURS)
    for part in filter(None, os.environ.get("SAMEN030_FIRST_CONTACT_HOURS", "").split(",")):
        urgency, _, value = part.partition("=")
        if urgency.strip() not in hours or not value.strip().isdigit():
            raise ValueError(f"SAMEN030_FIRST_CONTACT_HOURS: {part!r} is not <urgency>=<hours> "
                             f"with urgency one of {', '.join(URGENCIES)}")
        hours[urgency.strip()] = int(value)
    return hours


def first_contact_due(urgency: str, received_at: datetime) -> datetime:
    return received_at + timedelta(hours=first_contact_hours()[urgency])


def is_overdue(request: dict, now: datetime) -> bool:
    return (request["first_contact_at"] is None and request["status"] == "received"
            and request["first_contact_due"] < now)
