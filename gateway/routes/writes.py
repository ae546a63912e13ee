"""Writes go to the partner that owns the data: the gateway forwards them with the caller's token and
fails fast when that partner's service does not answer."""
import jwt
import requests as http
from flask import Response, current_app, request
from flask_smorest import Blueprint, abort

from samen030.kernel.config import ConfigError
from samen030.kernel.peers import DEADLINE, TIMEOUT, never_arrived, request_within
from samen030.kernel.tokens import audience, unverified_claims
from samen030.kernel.web import existing_id

blp = Blueprint("writes", __name__, url_prefix="/api/v1/partners",
                description="Writes, forwarded to the owning partner's service")
FORWARD_TIMEOUT = TIMEOUT  # a partner that hangs is a 503 within two seconds, holding one thread that long
FORWARD_DEADLINE = DEADLINE  # also one that trickles its answer in


@blp.route("/<partner>/offers", methods=["POST"])
@blp.doc(security=[{"bearer": []}])
def create_offer(partner):
    """Create an offer at a partner (forwarded to its directory)"""
    return _forward(partner, "directory", "/offers")


@blp.route("/<partner>/offers/<offer_id>", methods=["PATCH"])
@blp.doc(security=[{"bearer": []}])
def update_offer(partner, offer_id):
    """Change a partner's offer (forwarded to its directory)"""
    return _forward(partner, "directory", f"/offers/{existing_id(offer_id, 'offer')}")  # an id, never a path or query


def _only_the_owners_token(partner_id: str, service: str) -> None:
    """A token goes on only to the partner that issued it, for the service it is meant for: the gateway
    never hands one partner's token to another (the owner verifies the signature itself)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401, message="Authentication required: send 'Authorization: Bearer <token>' of the owning partner.")
    try:
        claims = unverified_claims(token.strip())
    except jwt.PyJWTError:
        abort(401, message="The bearer token is not valid.")
    meant_for = claims.get("aud") if isinstance(claims.get("aud"), list) else [claims.get("aud")]
    if claims.get("iss") != partner_id or audience(partner_id, service) not in meant_for:
        abort(401, message=f"This token is not {partner_id!r}'s for its {service} service: it is not passed on.")


def _forward(partner_id: str, service: str, path: str) -> Response:
    try:
        base = current_app.config["FEDERATION"].partner(partner_id).url(service)
    except ConfigError as exc:
        abort(404, message=str(exc))
    _only_the_owners_token(partner_id, service)
    headers = {k: v for k, v in request.headers.items() if k in ("Authorization", "Content-Type")}
    try:
        upstream = request_within(FORWARD_DEADLINE, request.method, base + path, data=request.get_data(),
                                  headers=headers, timeout=FORWARD_TIMEOUT, allow_redirects=False)
    except http.RequestException as exc:
        if never_arrived(exc):
            abort(503, message=f"The {service} service of {partner_id!r} is not reachable now; nothing was "
                               "changed: try again later (the gateway keeps no copy of writes).")
        abort(503, message=f"The {service} service of {partner_id!r} did not answer in time: the write may or may "
                           "not have been made there; look before trying again.")
    return Response(upstream.content, status=upstream.status_code,
                    content_type=upstream.headers.get("Content-Type", "application/json"))
