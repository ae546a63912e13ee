"""Point-to-point calls this service makes: to its own partner's members service (members, consents,
volunteers), to another partner's requests service (referrals) — each with a service token for that one
operation — and public reads of the gateway and of directories, which carry no token (kernel/peers.py,
which the members service uses as well)."""
from samen030.kernel import peers
from samen030.kernel.peers import TIMEOUT, PeerRefused, PeerUnavailable, federation, read_public, service_url

SERVICE_USER = "service:requests"


def call(scope: str, as_partner: str, to_partner: str, path: str, what: str, json: dict | None = None,
         params: dict | None = None) -> dict | None:
    """The JSON answer; None for 404; PeerRefused for another 4xx; PeerUnavailable when down or 5xx."""
    return peers.call(scope, as_partner, SERVICE_USER, to_partner, path, what, json=json, params=params)


__all__ = ["TIMEOUT", "PeerRefused", "PeerUnavailable", "call", "federation", "read_public", "service_url"]
