"""What the portal asks of the federation, over HTTP only: the gateway's combined read-only view (search,
one offer, the partners and their freshness), a partner's directory for an offer's details, and a
partner's requests service for a resident's question. The portal keeps no database."""
from flask import current_app

from samen030.kernel.peers import PeerRefused, PeerUnavailable, answer_of, as_user, read_public, send_public

__all__ = ["PeerRefused", "PeerUnavailable", "search", "offer", "offer_details", "partners", "ask", "offers_in",
           "log_in", "staff_read", "staff_write", "partner_offers", "volunteer_profile"]
STAFF_SECONDS = 6.0  # a login hashes a password, a read checks the account at the members service: more than 1.75 s
# a referral asks the gateway, hands over to the other partner and fetches its contact details: each within 1.75 s
STAFF_WRITE_SECONDS = 12.0


def _federation():
    return current_app.config["FEDERATION"]


def _gateway(path: str, params: dict | None = None) -> dict | None:
    what = "de stadsgids (gateway)"
    if (gateway := current_app.config.get("GATEWAY_APP")) is not None:
        # served by this very process (`samen030 city`): asked in this thread, so that the portal's
        # requests never wait for a free thread of the server they are holding
        answer = gateway.test_client().get(path, query_string=params)
        return answer_of(answer.status_code, lambda: answer.get_json(silent=True), answer.get_data(as_text=True), what)
    return read_public(f"{_federation().gateway_url}{path}", what, params)


def search(params: dict) -> dict:
    return _gateway("/api/v1/search", params)


def offer(offer_id: str) -> dict | None:
    return _gateway(f"/api/v1/offers/{offer_id}")


def offers_in(area: dict) -> list[dict]:
    return (_gateway("/api/v1/offers", {**area, "per_page": 200}) or {}).get("items", [])


def partners() -> dict[str, dict]:
    return {p["id"]: p for p in _gateway("/api/v1/partners") or []}


def offer_details(partner: str, offer_id: str) -> dict | None:
    """The offer as its own partner's directory has it (places, times, contact); None when it is not
    reachable: the gateway's copy is then all there is."""
    base = _federation().partners.get(partner) and _federation().partners[partner].services.get("directory")
    if not base:
        return None
    try:
        return read_public(f"{base}/offers/{offer_id}", f"de gids van {partner}")
    except (PeerUnavailable, PeerRefused):
        return None


def ask(partner: str, question: dict) -> dict:
    """The resident's question at the partner's requests service (its public web intake)."""
    base = _federation().partner(partner).url("requests")
    return send_public(f"{base}/public/questions", f"{_federation().partner(partner).name}", question)


def log_in(partner: str, username: str, password: str) -> dict:
    """A coordinator's token from their own partner's members service (`POST /login`); PeerRefused 401
    for a wrong username or password or a disabled account (the service does not say which)."""
    where = _federation().partner(partner)
    return as_user("POST", f"{where.url('members')}/login", f"de ledenadministratie van {where.name}", None,
                   json={"username": username, "password": password}, seconds=STAFF_SECONDS)


def staff_read(partner: str, token: str, path: str, params: dict | None = None) -> dict | list | None:
    """A read at the partner's own requests service with the coordinator's token: that service decides
    what they may see (only its own partner's requests); None for a 404."""
    where = _federation().partner(partner)
    return as_user("GET", f"{where.url('requests')}{path}", f"de hulpvragen van {where.name}", token, params=params,
                   seconds=STAFF_SECONDS)


def staff_write(partner: str, token: str, path: str, body: dict) -> dict | None:
    """A POST at the partner's own requests service with the coordinator's token (a move, a referral):
    PeerRefused with the service's status for a 4xx (409: changed meanwhile, 422: not possible), None for a 404."""
    where = _federation().partner(partner)
    return as_user("POST", f"{where.url('requests')}{path}", f"de hulpvragen van {where.name}", token, json=body,
                   seconds=STAFF_WRITE_SECONDS)


def partner_offers(partner: str) -> list[dict]:
    """A partner's active offers in the city directory (the gateway), by name."""
    items = (_gateway("/api/v1/offers", {"partner": partner, "per_page": 200}) or {}).get("items", [])
    return sorted((o for o in items if o.get("status") == "active"), key=lambda o: o.get("name") or "")


def volunteer_profile(volunteer_id: str) -> dict | None:
    """A volunteer's anonymous profile at the gateway (partner, buurt, skills), while they agree to be suggested."""
    return _gateway(f"/api/v1/suggestions/volunteers/{volunteer_id}")
