"""Who is calling a partner's service, checked before anything else: a bearer token (kernel/tokens.py)
signed by the key of the partner it names as issuer, meant for this service, not expired.

- A user's token lets the partner's own coordinators see and change its data; a staff account's
  token counts only while the account stands (account_status.py).
- A service token lets a service do the one operation its scope names (kernel/operations.py), from the
  callers that operation allows; nothing else.
A token from another partner is not meant for this service: 401, like a forged or expired one."""
from dataclasses import dataclass

from flask import current_app, g, request
from flask_smorest import abort

from .config import current_federation
from .keys import require as require_key
from .operations import OTHER_PARTNER, SAME_PARTNER, Operation, received_by
from .tokens import InvalidToken, audience, unverified_claims, user_token, verify

ROLES = ("coordinator", "volunteer", "viewer")
PUBLIC_PATHS = ("/health", "/ready", "/metrics", "/openapi.json", "/docs", "/.well-known/")
READS = ("GET", "HEAD")


@dataclass(frozen=True)
class Principal:
    partner: str  # the issuer: the only partner the caller acts for
    user: str
    role: str | None = None  # user tokens
    scope: str | None = None  # service tokens
    account: str | None = None  # a staff account's id (tokens from POST /login)
    issued_ms: int | None = None
    expires: int | None = None  # seconds since the epoch

    def may_write(self, partner: str) -> bool:
        return self.partner == partner and self.role == "coordinator"

    @classmethod
    def of(cls, claims: dict) -> "Principal":
        return cls(claims["iss"], str(claims["sub"]), claims.get("role"), claims.get("scope"), claims.get("acc"),
                   int(float(claims["iat"]) * 1000), int(claims["exp"]))


def issue_token(partner: str, role: str, user: str, account: str | None = None, seconds: int | None = None) -> str:
    """A user's token, signed with the partner's own key (which must be on this node)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    return user_token(partner, role, user, account, seconds)


def token_expiry(token: str) -> int:
    return int(unverified_claims(token)["exp"])


def authenticate(partner: str, service: str) -> Principal:
    """The caller as a valid token for this service names them; 401 otherwise."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401, message="Authentication required: send 'Authorization: Bearer <token>'.")
    try:
        claims = verify(token.strip(), audience(partner, service), _federation(), partner)
        principal = Principal.of(claims)
    except InvalidToken as exc:
        if exc.expired:
            abort(401, message="The bearer token has expired: log in again (POST /login at your partner's members service).")
        abort(401, message=f"The bearer token is not valid: {exc}.")
    except (KeyError, TypeError, ValueError):
        abort(401, message="The bearer token lacks a claim this service needs.")
    if principal.scope is None and principal.role not in ROLES:
        abort(401, message="The bearer token names neither a role nor an operation (scope).")
    return principal


def _federation():
    return current_app.config.get("FEDERATION") or current_federation()


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


def allow_operation(principal: Principal, partner: str, operations: dict[str, Operation]) -> None:
    """403 unless the service token's scope is an operation of this service, on this endpoint, from
    a caller that operation allows."""
    operation = operations.get(principal.scope)
    rule = request.url_rule.rule if request.url_rule else None
    if operation is None or (operation.method, operation.rule) != (request.method, rule):
        abort(403, message=f"A service token for {principal.scope!r} does not open {request.method} {request.path}.")
    own = principal.partner == partner
    if (operation.callers == SAME_PARTNER and not own) or (operation.callers == OTHER_PARTNER and own):
        abort(403, message=f"{principal.scope!r} is for a service of {operation.callers}, not {principal.partner!r}.")


def guard(app, partner: str, service: str, public_reads: bool = False, public: tuple[str, ...] = ()) -> None:
    """Before every request to the partner's `service`: a coordinator of the partner, or a service
    token for one of the service's operations. Open: health, metrics, the API description, the
    partner's public keys, the exact paths in `public`, and with `public_reads` every read."""
    require_key(partner)
    operations = received_by(service)
    for_services_only = {(op.method, op.rule) for op in operations.values() if op.callers == OTHER_PARTNER}

    @app.before_request
    def _authenticate():
        if request.path.startswith(PUBLIC_PATHS) or request.path in public:
            return
        if public_reads and request.method in READS:
            if "Authorization" in request.headers:
                authenticate(partner, service)  # public, but a token that does not verify is still refused
            return
        principal = authenticate(partner, service)
        if principal.scope is not None:
            allow_operation(principal, partner, operations)
        elif (request.method, request.url_rule.rule if request.url_rule else None) in for_services_only:
            abort(403, message="Only another partner's service may call this, with a service token for it.")
        elif not principal.may_write(partner):
            abort(403, message=f"A {principal.role} of {principal.partner!r} may not see or change {partner!r}'s data here.")
        else:
            check_account(principal)
        g.principal = principal
