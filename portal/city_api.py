"""What the portal asks of the federation, over HTTP only: the gateway's combined read-only view (search,
one offer, the partners and their freshness), a partner's directory for an offer's details, and a
partner's requests service for a resident's question. The portal keeps no database."""
from flask import current_app

from samen030.kernel.peers import PeerRefused, PeerUnavailable, answer_of, read_public, send_public

__all__ = ["PeerRefused", "PeerUnavailable", "search", "offer", "offer_details", "partners", "ask", "offers_in"]


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
