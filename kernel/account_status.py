"""Whether a staff account's token still stands. Tokens issued at login (`POST /login` at a partner's
members service) carry the account id; every service asks the partner's members service
`GET /accounts/<id>/status` (with a service token for `account.status`) and keeps the answer per
process for SAMEN030_ACCOUNT_CHECK_SECONDS (30 s). When the members service does not answer, the last
known answer is used for up to SAMEN030_ACCOUNT_STALE_SECONDS (300 s) after it was fetched; after that
(or with no answer at all) the request fails closed with 503. The members service itself reads its
own database. Tokens without an account (operators, services) are not checked here."""
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Callable

log = logging.getLogger(__name__)

SERVICE_USER = "service:account-check"


@dataclass(frozen=True)
class AccountStatus:
    active: bool
    role: str
    sessions_since_ms: int  # tokens issued before this moment (ms since the epoch) no longer count


class CheckUnavailable(Exception):
    """The partner's members service could not say whether the account stands."""


def refusal(role: str, issued_ms: int | None, status: AccountStatus | None) -> str | None:
    """Why a token of this account no longer counts, or None when it does."""
    if status is None:
        return "Het account bestaat niet meer (the account no longer exists)."
    if not status.active:
        return "Het account is uitgeschakeld (the account is disabled)."
    if status.role != role:
        return "De rol van het account is gewijzigd: log opnieuw in (the account's role changed: log in again)."
    if issued_ms is None or issued_ms < status.sessions_since_ms:
        return ("De sessies van dit account zijn beëindigd (wachtwoord of rol gewijzigd, of uitgeschakeld): "
                "log opnieuw in (this account's sessions were ended: log in again).")
    return None


def _seconds(name: str, default: float) -> float:
    try:
        return max(0.0, float(os.environ.get(name, default)))
    except ValueError:
        return default


def check_seconds() -> float:
    return _seconds("SAMEN030_ACCOUNT_CHECK_SECONDS", 30)


def stale_seconds() -> float:
    return _seconds("SAMEN030_ACCOUNT_STALE_SECONDS", 300)


class StatusCache:
    """Answers per (partner, account), fresh for `ttl()` seconds, usable for `stale_limit()` seconds
    when the source cannot be reached."""

    def __init__(self, fetch: Callable[[str, str], AccountStatus | None], ttl: Callable[[], float] = check_seconds,
                 stale_limit: Callable[[], float] = stale_seconds, clock: Callable[[], float] = time.monotonic):
        self.fetch, self.ttl, self.stale_limit, self.clock = fetch, ttl, stale_limit, clock
        self.entries: dict[tuple[str, str], tuple[float, AccountStatus | None]] = {}
        self.lock = threading.Lock()

    def status(self, partner: str, account: str) -> AccountStatus | None:
        key = (partner, account)
        with self.lock:
            entry = self.entries.get(key)
        now = self.clock()
        if entry and now - entry[0] < self.ttl():
            return entry[1]
        try:
            answer = self.fetch(partner, account)
        except CheckUnavailable as exc:
            if entry and now - entry[0] < max(self.stale_limit(), self.ttl()):
                log.warning("account check for %s unavailable, using the answer of %.0f s ago: %s",
                            partner, now - entry[0], exc)
                return entry[1]
            raise
        with self.lock:
            self.entries[key] = (self.clock(), answer)
            if len(self.entries) > 10_000:  # a bound, not a policy: drop the oldest half
                for old in sorted(self.entries, key=lambda k: self.entries[k][0])[:5_000]:
                    del self.entries[old]
        return answer


def fetch_from_members_service(partner: str, account: str) -> AccountStatus | None:
    """Ask the partner's own members service, with a service token of the partner for this one question."""
    from . import peers

    try:
        body = peers.call("account.status", partner, SERVICE_USER, partner, f"/accounts/{account}/status",
                          f"the members service of {partner!r}")
    except (peers.PeerUnavailable, peers.PeerRefused) as exc:
        raise CheckUnavailable(str(exc)) from None
    if body is None:
        return None
    try:
        return AccountStatus(bool(body["active"]), str(body["role"]), int(body["sessions_since_ms"]))
    except (KeyError, TypeError, ValueError):
        raise CheckUnavailable(f"the members service of {partner!r} gave an unreadable answer") from None


REMOTE = StatusCache(fetch_from_members_service)
