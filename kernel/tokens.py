"""Bearer tokens: JWTs (RFC 7519) signed with EdDSA by the partner that issues them (kernel/keys.py).

Claims: `iss` the partner that signed (the only partner the token may act for), `sub` the user or
service, `aud` the service(s) it is meant for (`samen030:<partner>:<service>`), `iat` and `exp`; the
key id `kid` in the header. A user's token names the `role` (and, from a login, the staff account
`acc`) and is meant for the partner's own services. A service token names one operation (`scope`,
kernel/operations.py), is meant for the one service that receives it and lives at most 60 seconds.

A partner's own public keys are read from its key folder; another partner's from the JWKS document
its node publishes (`<members>/.well-known/jwks.json`, or `jwks_url` in the federation file), fetched
and kept as kernel/published_keys.py says."""
import os
import time

import jwt

from . import keys
from .config import SERVICES, ConfigError, Federation
from .published_keys import KeysUnavailable, published_key

SERVICE_TOKEN_SECONDS = 60
LEEWAY = 5  # seconds of clock difference between nodes
REQUIRED = ["iss", "sub", "aud", "iat", "exp"]
NAMES = ("scope", "role", "acc")  # strings where present: a list or an object is no operation, role or account


class InvalidToken(Exception):
    def __init__(self, reason: str, expired: bool = False):
        super().__init__(reason)
        self.expired = expired


def audience(partner: str, service: str) -> str:
    return f"samen030:{partner}:{service}"


def node_audience(partner: str) -> list[str]:
    return [audience(partner, service) for service in SERVICES]


def token_seconds() -> int:
    """How long a user's token lasts: SAMEN030_TOKEN_HOURS, 12 by default."""
    return int(float(os.environ.get("SAMEN030_TOKEN_HOURS", 12)) * 3600)


def user_token(partner: str, role: str, user: str, account: str | None = None, seconds: int | None = None) -> str:
    """A token for one of the partner's people, for the partner's own services."""
    claims = {"sub": user, "aud": node_audience(partner), "role": role}
    if account is not None:
        claims["acc"] = account
    return _sign(partner, claims, token_seconds() if seconds is None else seconds)


def service_token(partner: str, service_user: str, to_partner: str, to_service: str, scope: str) -> str:
    """A token for one call of one of the partner's services to `to_partner`'s `to_service`."""
    return _sign(partner, {"sub": service_user, "aud": audience(to_partner, to_service), "scope": scope},
                 SERVICE_TOKEN_SECONDS)


def _sign(partner: str, claims: dict, seconds: int) -> str:
    key = keys.signing_key(partner)
    now = time.time()
    payload = {"iss": partner, "iat": round(now, 3), "exp": int(now + seconds), **claims}
    return jwt.encode(payload, key.private_key, algorithm="EdDSA", headers={"kid": key.kid})


def unverified_claims(token: str) -> dict:
    """What a token says, without checking it: for showing a token's expiry to whom it was issued."""
    return jwt.decode(token, options={"verify_signature": False})


def verify(token: str, for_audience: str, federation: Federation, own_partner: str) -> dict:
    """The claims of a token that `iss`'s key signed, meant for `for_audience`, not expired."""
    try:
        unverified = jwt.decode_complete(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise InvalidToken("not a JWT") from None
    header, said = unverified["header"], unverified["payload"]
    issuer, meant_for = said.get("iss"), said.get("aud")
    if header.get("alg") != "EdDSA" or not header.get("kid"):
        raise InvalidToken("the token must be signed with EdDSA and name its key (kid)")
    if not isinstance(issuer, str) or issuer not in federation.partners:
        raise InvalidToken("the issuer (iss) is not a partner of the federation")
    if for_audience not in (meant_for if isinstance(meant_for, list) else [meant_for]):
        raise InvalidToken(f"the token is not meant for this service ({for_audience})")  # no need to fetch keys
    key = issuer_key(issuer, str(header["kid"]), federation, own_partner)
    try:
        claims = jwt.decode(token, key, algorithms=["EdDSA"], audience=for_audience, issuer=issuer, leeway=LEEWAY,
                            options={"require": REQUIRED})
    except jwt.ExpiredSignatureError:
        raise InvalidToken("the token has expired", expired=True) from None
    except jwt.InvalidAudienceError:
        raise InvalidToken(f"the token is not meant for this service ({for_audience})") from None
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"the token is not valid: {exc}") from None
    if wrong := [name for name in NAMES if name in claims and not isinstance(claims[name], str)]:
        raise InvalidToken(f"the claim {wrong[0]!r} must be a string")
    if "scope" in claims and claims["exp"] - claims["iat"] > SERVICE_TOKEN_SECONDS:
        raise InvalidToken(f"a service token lives at most {SERVICE_TOKEN_SECONDS} s")
    return claims


def issuer_key(issuer: str, kid: str, federation: Federation, own_partner: str):
    """The public key `kid` of `issuer`: from the key folder for this node's own partner, else from
    the issuer's published JWKS."""
    if issuer == own_partner:
        if (key := keys.public_key(issuer, kid)) is None:
            raise InvalidToken(f"{issuer} has no key {kid!r} (retired, or never made)")
        return key
    try:
        url = federation.partner(issuer).jwks_url()
    except ConfigError as exc:
        raise InvalidToken(f"the keys of {issuer} are not published: {exc}") from None
    try:
        return published_key(issuer, url, kid)
    except KeysUnavailable as exc:
        raise InvalidToken(f"{issuer}: {exc}") from None
