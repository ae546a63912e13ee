"""Whom a referral goes to: another partner's active offer in the city directory, or one of its
volunteers who agreed to be suggested (both public reads at the gateway, without a token); and,
without the resident's consent, how the resident gets in touch with that partner themselves."""
from . import peers


class CannotRefer(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.errors = {field: [message]}


def destination(offer_id: str | None, volunteer_id: str | None) -> tuple[str, dict | None, str]:
    """(the partner referred to, the offer if it is one, the field that named it)."""
    gateway = peers.federation().gateway_url
    if offer_id:
        offer = peers.read_public(f"{gateway}/api/v1/offers/{offer_id}", "de gateway")
        if offer is None:
            raise CannotRefer("offer_id", f"Geen aanbod {offer_id!r} in de stadsbrede sociale kaart (no such offer).")
        if offer["status"] != "active":
            raise CannotRefer("offer_id", f"Dit aanbod is niet actief (the offer is {offer['status']}).")
        return offer["partner"], offer, "offer_id"
    profile = peers.read_public(f"{gateway}/api/v1/suggestions/volunteers/{volunteer_id}", "de gateway")
    if profile is None:
        raise CannotRefer("volunteer_id", f"Geen vrijwilliger {volunteer_id!r} die gesuggereerd wil worden "
                                          f"(no volunteer who agreed to be suggested).")
    return profile["partner"], None, "volunteer_id"


def contact_for(partner: str, offer: dict | None) -> dict:
    """The offer's public details from the partner's own directory, or at least the names when it
    cannot be reached."""
    contact = {"partner": partner, "partner_name": peers.federation().partner(partner).name}
    if offer is None:  # a volunteer: the resident gets in touch with their partner
        return contact
    contact.update(offer_id=offer["id"], offer_name=offer["name"])
    url = peers.service_url(partner, "directory")
    try:
        details = peers.read_public(f"{url}/offers/{offer['id']}", f"de sociale kaart van {partner}") if url else None
    except (peers.PeerUnavailable, peers.PeerRefused):
        details = None
    if details:
        contact.update(url=details.get("url"), contacts=details.get("contacts", []), schedules=[
            {k: s.get(k) for k in ("byday", "opens_at", "closes_at")} for s in details.get("schedules", [])],
            locations=[{k: loc.get(k) for k in ("name", "address_1", "postal_code", "city", "url")}
                       for loc in details.get("locations", [])])
    return contact
