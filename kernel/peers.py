"""Point-to-point calls between a partner's services and to other partners' services: authenticated
as a service of the calling partner, failing fast when the other side is down. Personal data travels
only this way, never on the bus."""
import requests as http

from .auth import issue_token
from .config import ConfigError, load_federation

TIMEOUT = (1.0, 5.0)  # connect, read: a service that is down is known within a second


class PeerUnavailable(Exception):
    """The other service did not answer (down, or an error on its side); try again later."""


class PeerRefused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def federation():
    return load_federation()


def service_url(partner: str, service: str) -> str | None:
    try:
        return federation().partner(partner).url(service)
    except ConfigError:
        return None


def call(method: str, url: str, as_partner: str, what: str, service_user: str, json: dict | None = None,
         params: dict | None = None) -> dict | None:
    """The JSON answer; None for 404; PeerRefused for another 4xx; PeerUnavailable when down or 5xx.
    `what` names the other side in the messages (Dutch); `service_user` the calling service."""
    headers = {"Authorization": f"Bearer {issue_token(as_partner, 'coordinator', service_user)}"}
    try:
        response = http.request(method, url, json=json, params=params, headers=headers, timeout=TIMEOUT)
    except http.RequestException as exc:
        raise PeerUnavailable(f"{what} is niet bereikbaar (is not reachable): {type(exc).__name__}") from None
    if response.status_code == 404:
        return None
    if response.status_code >= 500:
        raise PeerUnavailable(f"{what} gaf een fout (answered {response.status_code}); probeer het later opnieuw.")
    if response.status_code >= 400:
        try:
            message = response.json().get("message", response.text[:200])
        except ValueError:
            message = response.text[:200]
        raise PeerRefused(response.status_code, f"{what} weigerde (refused, {response.status_code}): {message}")
    return response.json()
