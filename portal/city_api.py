"""What the portal asks of the federation, over HTTP only: the gateway's combined read-only view (search,
one offer, the partners and their freshness), a partner's directory for an offer's details, and a
partner's requests service for a resident's question. The portal keeps no database."""
import requests as http
from flask import current_app

from samen030.kernel.peers import (TIMEOUT, PeerRefused, PeerUnavailable, answer_of, as_user, never_arrived,
                                   read_public, request_within, send_public)

__all__ = ["PeerRefused", "PeerUnavailable", "search", "offer", "offer_details", "partners", "ask", "offers_in",
           "log_in", "staff_read", "has_directory", "directory_read", "directory_write", "MembersRefused", "members_call",
           "staff_write", "partner_offers", "volunteer_profile"]
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


# the city figures page (portal/city_figures.py): public aggregates of the gateway, no token needed
def figures(params: dict) -> dict:
    """Help-request figures per wijk, buurt, category and partner, and the referrals between partners."""
    return _gateway("/api/v1/figures/requests", params)


def figures_csv(params: dict) -> tuple[bytes, str]:
    """The same figures as the gateway's CSV table, with the file name its Content-Disposition gives."""
    from samen030.kernel.peers import DEADLINE, TIMEOUT, http, never_arrived, request_within
    what, params = "de stadsgids (gateway)", {**params, "format": "csv"}
    if (gateway := current_app.config.get("GATEWAY_APP")) is not None:
        answer = gateway.test_client().get("/api/v1/figures/requests", query_string=params)
        status, body, disposition = answer.status_code, answer.get_data(), answer.headers.get("Content-Disposition", "")
        as_json = lambda: answer.get_json(silent=True)  # noqa: E731
    else:
        try:
            answer = request_within(DEADLINE, "GET", f"{_federation().gateway_url}/api/v1/figures/requests",
                                    params=params, timeout=TIMEOUT)
        except http.RequestException as exc:
            raise PeerUnavailable(f"{what} is niet bereikbaar (is not reachable): {type(exc).__name__}",
                                  maybe_received=not never_arrived(exc)) from None
        status, body, disposition = answer.status_code, answer.content, answer.headers.get("Content-Disposition", "")
        as_json = answer.json
    if status != 200:
        answer_of(status, as_json, body[:200].decode("utf-8", "replace"), what)
        raise PeerUnavailable(f"{what} gaf geen CSV (answered {status}).")
    return body, disposition
def has_directory(partner: str) -> bool:
    return "directory" in _federation().partner(partner).services


def directory_read(partner: str, token: str, path: str, params: dict | None = None) -> dict | list | None:
    """A read at the partner's own directory with the coordinator's token; None for a 404."""
    where = _federation().partner(partner)
    return as_user("GET", f"{where.url('directory')}{path}", f"de gids van {where.name}", token, params=params,
                   seconds=STAFF_SECONDS)


def directory_write(partner: str, token: str, method: str, path: str, json: dict) -> dict | None:
    """A change at the partner's own directory with the coordinator's token (POST /offers, PATCH
    /offers/<id> with the version changed, POST /offers/<id>/close-temporarily …): the offer as it is
    now; None for a 404; PeerRefused 409 when the version is stale, 422 for fields it does not take."""
    where = _federation().partner(partner)
    return as_user(method, f"{where.url('directory')}{path}", f"de gids van {where.name}", token, json=json,
                   seconds=STAFF_SECONDS)
class MembersRefused(PeerRefused):
    """A 4xx of the partner's members service, with its field errors ({"name": ["Must be …"]}) kept."""
    def __init__(self, status: int, message: str, errors: dict):
        super().__init__(status, message)
        self.errors = errors


def members_call(partner: str, token: str, method: str, path: str, json: dict | None = None,
                 params: dict | None = None) -> dict | list | None:
    """A read or a change at the partner's own members service (members, consents, export, erasure, staff
    accounts) with the coordinator's token: that service decides. The JSON answer; None for a 404;
    MembersRefused (a PeerRefused) for another 4xx, with the fields the service named; PeerUnavailable."""
    where = _federation().partner(partner)
    what = f"de ledenadministratie van {where.name}"
    try:
        response = request_within(STAFF_SECONDS, method, f"{where.url('members')}{path}", json=json, params=params,
                                  headers={"Authorization": f"Bearer {token}"},
                                  timeout=(TIMEOUT[0], max(TIMEOUT[1], STAFF_SECONDS - TIMEOUT[0])))
    except http.RequestException as exc:
        raise PeerUnavailable(f"{what} is niet bereikbaar (is not reachable): {type(exc).__name__}",
                              maybe_received=not never_arrived(exc)) from None
    if 400 <= response.status_code < 500 and response.status_code != 404:
        try:
            body = response.json()
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else {}
        errors = (body.get("errors") or {}).get("json") or {}
        raise MembersRefused(response.status_code, f"{what} weigerde (refused, {response.status_code}): "
                             f"{body.get('message', '')}", errors if isinstance(errors, dict) else {})
    return answer_of(response.status_code, response.json, response.text, what)
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
