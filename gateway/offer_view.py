"""An offer of the read model as the gateway's API shows it: lists as lists, with its partner's
freshness."""
UNKNOWN_PARTNER = {"last_event_at": None, "reachable": False, "stale": True}
LISTS = ("terms", "areas", "languages", "location_buurten")


def city_offer(row: dict, freshness: dict[str, dict]) -> dict:
    offer = dict(row)
    for key in LISTS:
        offer[key] = [value for value in (offer.get(key) or "").split(",") if value]
    offer["freshness"] = freshness.get(offer["partner"], UNKNOWN_PARTNER)
    return offer
