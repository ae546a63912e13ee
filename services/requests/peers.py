"""Point-to-point calls this service makes: to its own partner's members service (consents), to the
gateway (offers, suggestions) and to another partner's requests service (referrals). Each call is
authenticated as this partner's requests service and fails fast when the other side is down
(kernel/peers.py, which the members service uses as well)."""
from samen030.kernel import peers
from samen030.kernel.peers import TIMEOUT, PeerRefused, PeerUnavailable, federation, service_url

SERVICE_USER = "service:requests"


def call(method: str, url: str, as_partner: str, what: str, json: dict | None = None,
         params: dict | None = None) -> dict | None:
    """The JSON answer; None for 404; PeerRefused for another 4xx; PeerUnavailable when down or 5xx."""
    return peers.call(method, url, as_partner, what, SERVICE_USER, json=json, params=params)


__all__ = ["TIMEOUT", "PeerRefused", "PeerUnavailable", "call", "federation", "service_url"]
