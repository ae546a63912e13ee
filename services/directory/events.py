"""The directory's events: the offer as it is after the change, without personal data (no contact
persons, no addresses, no change log)."""
from samen030.kernel.events import Event, new_event


def offer_event(partner: str, action: str, offer: dict) -> Event:
    data = {
        "offer_id": offer["id"], "name": offer["name"], "description": offer["description"],
        "category": offer["category"], "terms": offer.get("terms") or [], "buurt": offer["buurt"],
        "areas": offer.get("areas") or [],
        "wijk": offer["wijk"], "status": offer["status"], "free": offer.get("free", True),
        "languages": offer.get("languages") or ["nl"], "minimum_age": offer.get("minimum_age"),
        "maximum_age": offer.get("maximum_age"),
        "location_buurten": sorted({loc["buurt"] for loc in offer.get("locations") or [] if loc.get("buurt")}),
        "virtual": any(loc.get("location_type") == "virtual" for loc in offer.get("locations") or []),
        "opening_hours": [{k: s[k] for k in ("byday", "opens_at", "closes_at")} for s in offer.get("schedules") or []],
        "version": offer["version"], "updated_at": offer["updated_at"].isoformat().replace("+00:00", "Z"),
    }
    return new_event(partner, "directory", "offer", action, offer["id"], data)
