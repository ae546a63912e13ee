"""Figure 8, the cost of knowing who calls: verifying a coordinator's token in-process, as every
service does before each request (kernel/tokens.verify: the header and claims read, the issuer's key
found by its kid, the EdDSA signature, audience and expiry checked), next to what the same check cost
before each partner had its own key — one federation secret, an HMAC token read by itsdangerous — and
a bare Ed25519 signature check by cryptography (the floor of any EdDSA token). Median of 7 rounds."""
import statistics
import time

import jwt
from itsdangerous import URLSafeSerializer

from samen030.kernel import keys
from samen030.kernel.auth import issue_token
from samen030.kernel.config import current_federation
from samen030.kernel.tokens import audience, verify

PARTNER = "krachtstation"
ROUNDS, CALLS = 7, 2000


def per_call_us(check) -> float:
    rounds = []
    for _ in range(ROUNDS):
        began = time.perf_counter()
        for _ in range(CALLS):
            check()
        rounds.append((time.perf_counter() - began) / CALLS * 1e6)
    return statistics.median(rounds)


def measure() -> dict:
    keys.create(PARTNER)
    federation, service = current_federation(), audience(PARTNER, "directory")
    token = issue_token(PARTNER, "coordinator", "bench")
    assert verify(token, service, federation, PARTNER)["iss"] == PARTNER
    before = URLSafeSerializer("one federation secret", salt="samen030-token")
    old_token = before.dumps({"p": PARTNER, "r": "coordinator", "u": "bench"})
    signing_input, _, signature = token.rpartition(".")
    public_key = keys.signing_key(PARTNER).private_key.public_key()
    raw_signature = jwt.utils.base64url_decode(signature)
    return {"ours_us": per_call_us(lambda: verify(token, service, federation, PARTNER)),
            "before_us": per_call_us(lambda: before.loads(old_token)),
            "ed25519_us": per_call_us(lambda: public_key.verify(raw_signature, signing_input.encode())),
            "token_bytes": len(token), "before_bytes": len(old_token)}
