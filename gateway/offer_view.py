"""An offer of the read model as the gateway's API shows it: lists as lists, times as ISO text, and
its partner's freshness added per request."""
UNKNOWN_PARTNER = {"last_event_at": None, "reachable": False, "stale": True}
LISTS = ("terms", "areas", "languages", "location_buurten")


def listed(row) -> dict:
    """JSON-ready, so that it can be kept in the answer cache."""
    offer = dict(row)
    for key in LISTS:
        offer[key] = [value for value in (offer.get(key) or "").split(",") if value]
    offer["updated_at"] = offer["updated_at"].isoformat()
    return offer


def with_freshness(offer: dict, freshness: dict[str, dict]) -> dict:
    return {**offer, "freshness": freshness.get(offer["partner"], UNKNOWN_PARTNER)}
