"""Bearer tokens for partner users. A token names a partner, a role and a user, signed with the
federation secret (SAMEN030_SECRET); every service checks it and lets a partner change only its own
objects. The members service will issue them to real staff accounts."""
import os
from dataclasses import dataclass

from flask import request
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

    def may_write(self, partner: str) -> bool:
        return self.partner == partner and self.role == "coordinator"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(os.environ.get("SAMEN030_SECRET", DEV_SECRET), salt="samen030-token")


def issue_token(partner: str, role: str, user: str) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    return _serializer().dumps({"p": partner, "r": role, "u": user})


def read_token(token: str) -> Principal | None:
    try:
        claims = _serializer().loads(token)
        return Principal(claims["p"], claims["r"], claims["u"])
    except (BadSignature, KeyError, TypeError):
        return None


def current_principal() -> Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        abort(401, message="Authentication required: send 'Authorization: Bearer <token>'.")
    principal = read_token(token.strip())
    if principal is None:
        abort(401, message="The bearer token is not valid.")
    return principal


def require_writer(partner: str, verb: str = "change") -> Principal:
    """The caller, if they are a coordinator of `partner`; 401/403 otherwise."""
    principal = current_principal()
    if not principal.may_write(partner):
        abort(403, message=f"A {principal.role} of {principal.partner!r} may not {verb} {partner!r}'s data.")
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


def guard_everything(app, partner: str) -> None:
    """For services that hold personal data: reads need one of the partner's coordinators as well;
    only the health check and the API description are public."""
    from flask import g

    @app.before_request
    def _authenticate_everything():
        if not request.path.startswith(PUBLIC_PATHS):
            g.principal = require_writer(partner, "see or change")
