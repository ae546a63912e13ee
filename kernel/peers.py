"""Point-to-point calls: to another service of the same partner or of another partner, authenticated
with a short-lived service token of the calling partner that names the one operation
(kernel/operations.py); and public reads (the gateway's, a directory's), which carry no token at all.
Both fail fast when the other side is down. Personal data travels only this way, never on the bus."""
import os
import socket
import threading

import requests as http
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

from .config import ConfigError, load_federation
from .operations import OPERATIONS
from .tokens import service_token

# connect, read: a service that is down is known within a second, one that hangs within two
TIMEOUT = (1.0, float(os.environ.get("SAMEN030_PEER_TIMEOUT_SECONDS", 1.25)))
# … and the whole answer within this, however the other side trickles it in (a read timeout bounds one wait)
DEADLINE = float(os.environ.get("SAMEN030_PEER_DEADLINE_SECONDS", 1.75))


class PeerUnavailable(Exception):
    """The other service did not answer (down, or an error on its side); try again later."""

    def __init__(self, message: str, maybe_received: bool = False, timed_out: bool = False):
        super().__init__(message)
        self.maybe_received = maybe_received  # the request may have reached it (no answer in time)
        self.timed_out = timed_out  # it gave no answer in time: it hangs, or is very slow


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


def call(scope: str, as_partner: str, caller: str, to_partner: str, path: str, what: str, json: dict | None = None,
         params: dict | None = None) -> dict | None:
    """The operation `scope` at `to_partner`'s service, as `caller` (e.g. "service:requests") of
    `as_partner`. The JSON answer; None for 404; PeerRefused for another 4xx; PeerUnavailable when down
    or 5xx. `what` names the other side in the messages (Dutch)."""
    operation = OPERATIONS[scope]
    token = service_token(as_partner, caller, to_partner, operation.service, scope)
    headers = {"Authorization": f"Bearer {token}"}
    if (here := IN_THIS_PROCESS.get((to_partner, operation.service))) is not None:
        answer = here.test_client().open(path, method=operation.method, json=json, query_string=params, headers=headers)
        return answer_of(answer.status_code, lambda: answer.get_json(silent=True), answer.get_data(as_text=True), what)
    base = service_url(to_partner, operation.service)
    if base is None:
        raise PeerUnavailable(f"{what} bestaat niet (partner {to_partner} runs no {operation.service} service)")
    return _request(operation.method, base + path, what, headers, json, params)


# The services this very process serves ({(partner, service): Flask app}, filled by `samen030 node`): a call
# to one of them is made in the calling thread, token and all, instead of over HTTP, so that the node's
# threads never all wait on each other.
IN_THIS_PROCESS: dict = {}


def read_public(url: str, what: str, params: dict | None = None) -> dict | None:
    """A public read (the gateway's combined view, a partner's directory): no token goes with it."""
    return _request("GET", url, what, {}, None, params)


def send_public(url: str, what: str, json: dict) -> dict | None:
    """A write open to anyone (a resident's question from the portal): no token goes with it."""
    return _request("POST", url, what, {}, json, None)


def as_user(method: str, url: str, what: str, token: str | None, json: dict | None = None, params: dict | None = None,
            seconds: float | None = None) -> dict | None:
    """A call on behalf of a person (the shared portal's coordinator), with the token their own partner's
    members service gave them at login (None: a login itself). The answer as `answer_of` gives it."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return _request(method, url, what, headers, json, params, seconds)


def _request(method: str, url: str, what: str, headers: dict, json: dict | None, params: dict | None,
             seconds: float | None = None) -> dict | None:
    """Within DEADLINE and TIMEOUT, or within `seconds` (a longer read timeout to match) when given."""
    timeout = TIMEOUT if seconds is None else (TIMEOUT[0], max(TIMEOUT[1], seconds - TIMEOUT[0]))
    try:
        response = request_within(DEADLINE if seconds is None else seconds, method, url, json=json, params=params,
                                  headers=headers, timeout=timeout)
    except http.RequestException as exc:
        if never_arrived(exc):
            raise PeerUnavailable(f"{what} is niet bereikbaar (is not reachable): {type(exc).__name__}") from None
        raise PeerUnavailable(f"{what} antwoordde niet (op tijd) (gave no answer in time): {type(exc).__name__}",
                              maybe_received=True, timed_out=True) from None
    return answer_of(response.status_code, response.json, response.text, what)


def answer_of(status: int, body, text: str, what: str) -> dict | None:
    """The JSON answer of status 2xx; None for 404; PeerRefused for another 4xx; PeerUnavailable for 5xx."""
    if status == 404:
        return None
    if status >= 500:
        raise PeerUnavailable(f"{what} gaf een fout (answered {status}); probeer het later opnieuw.", maybe_received=True)
    try:
        answer = body()
    except ValueError:
        answer = None
    if status >= 400:
        message = answer.get("message", text[:200]) if isinstance(answer, dict) else text[:200]
        raise PeerRefused(status, f"{what} weigerde (refused, {status}): {message}")
    if answer is None:
        raise PeerUnavailable(f"{what} gaf een onleesbaar antwoord (answered no JSON).", maybe_received=True)
    return answer


def never_arrived(exc: http.RequestException) -> bool:
    """No connection was made, so the other side certainly got nothing."""
    if isinstance(exc, http.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(exc, http.ConnectionError) and isinstance(reason, NewConnectionError)


def request_within(seconds: float, method: str, url: str, **kwargs) -> http.Response:
    """requests.request, with the whole answer (status, headers, body) within `seconds`: when they are
    over, the connection is shut and this raises requests.ReadTimeout."""
    with _Deadline(seconds) as deadline, http.Session() as session:
        adapter = _DeadlineAdapter(deadline)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        try:
            response = session.request(method, url, **kwargs)
        except http.RequestException:
            if deadline.expired:
                raise http.ReadTimeout(f"no whole answer within {seconds:g} s") from None
            raise
        if deadline.expired:  # a connection shut halfway can still read as a (truncated) answer
            raise http.ReadTimeout(f"no whole answer within {seconds:g} s")
        return response


class _Deadline:
    """Shuts the sockets of one call when its time is up."""

    def __init__(self, seconds: float):
        self.expired, self.sockets, self.lock = False, [], threading.Lock()
        self.timer = threading.Timer(seconds, self._expire)
        self.timer.daemon = True

    def __enter__(self) -> "_Deadline":
        self.timer.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.timer.cancel()

    def watch(self, sock) -> None:
        with self.lock:
            self.sockets.append(sock)
            expired = self.expired
        if expired:
            _shut(sock)

    def _expire(self) -> None:
        with self.lock:
            self.expired, sockets = True, list(self.sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class _DeadlineAdapter(HTTPAdapter):
    def __init__(self, deadline: _Deadline):
        self.deadline = deadline  # before HTTPAdapter.__init__, which makes the pool manager
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        deadline = self.deadline

        def watched(base):
            class Watched(base):
                def connect(self):
                    super().connect()
                    deadline.watch(self.sock)
            return Watched
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("HTTPPool", (HTTPConnectionPool,), {"ConnectionCls": watched(HTTPConnection)}),
            "https": type("HTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": watched(HTTPSConnection)})}
