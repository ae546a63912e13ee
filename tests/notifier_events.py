"""Request events as the requests service publishes them, for the notifier's tests."""
import uuid
from datetime import datetime, timedelta, timezone

from samen030.kernel.events import new_event

BUURT, WIJK = "BU03440832", "WK034408"  # Kanaleneiland-Noord, Zuidwest
DUE = datetime(2024, 12, 3, 13, 30, tzinfo=timezone.utc)  # dinsdag 3 december 2024 om 14:30 in Utrecht


def request_data(request_id=None, referred_by=None, action="receive", status="received", **extra) -> dict:
    now = datetime.now(timezone.utc)
    data = {"request_id": request_id or str(uuid.uuid4()), "version": 1, "status": status,
            "previous_status": None, "action": action, "origin": "referral" if referred_by else "intake",
            "channel": "referral" if referred_by else "walk_in", "category": "praktische-hulp",
            "buurt": BUURT, "wijk": WIJK, "urgency": "high",
            "referral_id": str(uuid.uuid4()) if referred_by else None, "referred_by": referred_by,
            "received_at": now.isoformat(), "first_contact_due": DUE.isoformat(), "first_contact_at": None,
            "resolved_at": None, "at": now.isoformat()}
    return {**data, **extra}


def referral_received(partner: str, from_partner: str, **extra):
    data = request_data(referred_by=from_partner, **extra)
    return new_event(partner, "requests", "request", "received", data["request_id"], data)


def referral_outcome(received_event, accepted: bool, **extra):
    """B accepts or declines the referral it received in `received_event`; `extra` changes its data."""
    data = {**received_event.data, "action": "accept" if accepted else "decline",
            "status": "accepted" if accepted else "declined", "previous_status": "received", "version": 2,
            "at": datetime.now(timezone.utc).isoformat(), **extra}
    return new_event(received_event.partner, "requests", "request", "changed", data["request_id"], data)


def referral_sent(partner: str, received_event, request_id=None):
    """A's event for the referral B received in `received_event`."""
    data = {"referral_id": received_event.data["referral_id"], "request_id": request_id or str(uuid.uuid4()),
            "to_partner": received_event.partner, "to_request_id": received_event.data["request_id"],
            "offer_id": None, "with_consent": True, "shared": ["question"], "category": "praktische-hulp",
            "buurt": BUURT, "wijk": WIJK, "urgency": "high", "at": datetime.now(timezone.utc).isoformat()}
    return new_event(partner, "requests", "referral", "sent", data["referral_id"], data)


def overdue(partner: str, request_id=None):
    data = {"request_id": request_id or str(uuid.uuid4()), "category": "lichte-zorg", "buurt": BUURT,
            "wijk": WIJK, "urgency": "normal", "first_contact_due": DUE.isoformat(),
            "at": (DUE + timedelta(minutes=1)).isoformat()}
    return new_event(partner, "requests", "request", "overdue", data["request_id"], data)


def intake_received(partner: str):
    data = request_data()
    return new_event(partner, "requests", "request", "received", data["request_id"], data)


def handover(partner: str, from_partner: str):
    """One referral from `from_partner` to `partner` as both record it: (its referral.sent, the request.received)."""
    received = referral_received(partner, from_partner)
    return referral_sent(from_partner, received), received
