"""The requests service's events: codes, areas and times — never the question, who asks, or how to
reach them (the schemas in kernel/events/schemas/requests.*.json refuse anything else)."""
from datetime import datetime

from samen030.kernel.events import Event, new_event


def _utc(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def request_event(partner: str, request: dict, action: str, previous_status: str | None, at: datetime) -> Event:
    """`received` when the request is new here, `changed` for every later move."""
    data = {
        "request_id": request["id"], "version": request["version"], "status": request["status"],
        "previous_status": previous_status, "action": action, "origin": request["origin"],
        "channel": request["channel"], "category": request["category"], "buurt": request["buurt"],
        "wijk": request["wijk"], "urgency": request["urgency"], "referral_id": request["referral_id"],
        "referred_by": request["referred_by"], "received_at": _utc(request["received_at"]),
        "first_contact_due": _utc(request["first_contact_due"]), "first_contact_at": _utc(request["first_contact_at"]),
        "resolved_at": _utc(request["resolved_at"]), "at": _utc(at),
    }
    return new_event(partner, "requests", "request", "received" if action == "receive" else "changed",
                     request["id"], data)


def referral_sent_event(partner: str, request: dict, referral: dict) -> Event:
    data = {"referral_id": referral["id"], "request_id": request["id"], "to_partner": referral["partner"],
            "to_request_id": referral["other_request_id"], "offer_id": referral["offer_id"],
            "volunteer_id": referral["volunteer_id"],
            "with_consent": referral["with_consent"], "shared": referral["shared"],
            "category": request["category"], "buurt": request["buurt"], "wijk": request["wijk"],
            "urgency": request["urgency"], "at": _utc(referral["sent_at"])}
    return new_event(partner, "requests", "referral", "sent", referral["id"], data)


def overdue_event(partner: str, request: dict, at: datetime) -> Event:
    data = {"request_id": request["id"], "category": request["category"], "buurt": request["buurt"],
            "wijk": request["wijk"], "urgency": request["urgency"],
            "first_contact_due": _utc(request["first_contact_due"]), "at": _utc(at)}
    return new_event(partner, "requests", "request", "overdue", request["id"], data)
