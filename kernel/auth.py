"""Bearer tokens for partner users. A token names a partner, a role and a user, signed with the
federation secret (SAMEN030_SECRET); every service checks it and lets a partner change only its own
objects. Staff log in at their partner's members service (`POST /login`): their tokens also carry the
account id, when they were issued and when they expire, and every service checks that the account still
stands (`account_status.py`). Tokens without an account (`samen030 token`, services) never expire."""
import os
import time
from dataclasses import dataclass

from flask import current_app, request
from flask_smorest import abort
from itsdangerous import BadSignature, URLSafeSerializer

ROLES = ("coordinator", "volunteer", "viewer")
CITY = "samen030"
DEV_SECRET = "samen030-local-development-secret"


@dataclass(frozen=True)
class Principal:
    partner: str
    role: str
    user: str
    account: str | None = None  # a staff account's id (tokens from POST /login)
    issued_ms: int | None = None
    expires: int | None = None  # seconds since the epoch

    def may_write(self, partner: str) -> bool:
        return self.partner == partner and self.role == "coordinator"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(os.environ.get("SAMEN030_SECRET", DEV_SECRET), salt="samen030-token")


def token_seconds() -> int:
    """How long a staff account's token lasts: SAMEN030_TOKEN_HOURS, 12 by default."""
    return int(float(os.environ.get("SAMEN030_TOKEN_HOURS", 12)) * 3600)


def issue_token(partner: str, role: str, user: str, account: str | None = None,
                lifetime: int | None = None) -> str:
    """A token; with `account` (a staff account's id) it also says when it was issued and expires."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    claims = {"p": partner, "r": role, "u": user}
    if account is not None:
        now_ms = time.time_ns() // 1_000_000
        claims.update(a=account, i=now_ms, x=now_ms // 1000 + (token_seconds() if lifetime is None else lifetime))
    return _serializer().dumps(claims)


class ExpiredToken(Exception):
    pass


def _decode(token: str) -> Principal | None:
    try:
        claims = _serializer().loads(token)
        principal = Principal(claims["p"], claims["r"], claims["u"], claims.get("a"), claims.get("i"), claims.get("x"))
    except (BadSignature, KeyError, TypeError, AttributeError):
        return None
    if principal.account is not None and (principal.expires is None or principal.expires <= time.time()):
        raise ExpiredToken()
    return principal


def read_token(token: str) -> Principal | None:
    """The token's principal; None when it is not valid or has expired."""
    try:
        return _decode(token)
    except ExpiredToken:
        return None


def _bearer() -> Principal:
    """The caller as the token says, account not yet checked."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        abort(401, message="Authentication required: send 'Authorization: Bearer <token>'.")
    try:
        principal = _decode(token.strip())
    except ExpiredToken:
        abort(401, message="The bearer token has expired: log in again (POST /login at your partner's members service).")
    if principal is None:
        abort(401, message="The bearer token is not valid.")
    return principal


LOCAL_ACCOUNTS = "samen030.accounts"  # app.extensions: {partner: status function} where a service holds them


def check_account(principal: Principal) -> None:
    """401 when the principal's staff account no longer stands, 503 when nobody can say; nothing for
    tokens without an account."""
    from .account_status import REMOTE, CheckUnavailable, refusal
    if principal.account is None:
        return
    local = current_app.extensions.get(LOCAL_ACCOUNTS, {}).get(principal.partner)
    try:
        status = local(principal.account) if local else REMOTE.status(principal.partner, principal.account)
    except CheckUnavailable as exc:
        abort(503, message=f"Het account kan nu niet worden gecontroleerd (the account cannot be checked now): {exc}; "
                           "try again later.")
    if reason := refusal(principal.role, principal.issued_ms, status):
        abort(401, message=reason)


def current_principal() -> Principal:
    principal = _bearer()
    check_account(principal)
    return principal


def require_writer(partner: str, verb: str = "change") -> Principal:
    """The caller, if they are a coordinator of `partner`; 401/403 otherwise."""
    principal = _bearer()
    if not principal.may_write(partner):
        abort(403, message=f"A {principal.role} of {principal.partner!r} may not {verb} {partner!r}'s data.")
    check_account(principal)
    return principal


WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def guard_writes(app, partner: str) -> None:
    """Every write to this partner's service needs one of its coordinators, before anything else."""
    from flask import g

    @app.before_request
    def _authenticate_writes():
        if request.method in WRITE_METHODS:
            g.principal = require_writer(partner)


PUBLIC_PATHS = ("/health", "/openapi.json", "/docs")


def guard_everything(app, partner: str, public: tuple[str, ...] = ()) -> None:
    """For services that hold personal data: reads need one of the partner's coordinators as well;
    only the health check, the API description and the exact paths in `public` are open."""
    from flask import g

    @app.before_request
    def _authenticate_everything():
        if not request.path.startswith(PUBLIC_PATHS) and request.path not in public:
            g.principal = require_writer(partner, "see or change")
