"""Calling a partner's webhook: POST of the delivery's JSON body, signed with HMAC-SHA256.

A receiver verifies `X-Samen030-Signature: sha256=<hex>` by computing HMAC-SHA256 over the raw request
body with its secret and comparing in constant time (`verify` below does exactly that), and drops a
delivery whose `X-Samen030-Delivery` it has seen before: a delivery can come twice, never with a
different body."""
import hashlib
import hmac
import os

import requests

from samen030.kernel.auth import DEV_SECRET

TIMEOUT = 10.0


def webhook_secret(partner: str) -> str:
    """SAMEN030_<PARTNER>_WEBHOOK_SECRET, else derived from the federation secret and the partner id
    (give the partner the value `samen030.notifier.webhooks.webhook_secret(partner)` returns)."""
    if explicit := os.environ.get(f"SAMEN030_{partner.upper()}_WEBHOOK_SECRET"):
        return explicit
    federation_secret = os.environ.get("SAMEN030_SECRET", DEV_SECRET)
    return hmac.new(federation_secret.encode(), f"webhook:{partner}".encode(), hashlib.sha256).hexdigest()


def signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, header: str | None, secret: str) -> bool:
    return bool(header) and hmac.compare_digest(signature(body, secret), header)


def post_webhook(delivery: dict, session: requests.Session | None = None) -> None:
    """`delivery`: a deliveries row (id, event_id, partner, recipient = URL, body = JSON). Raises
    unless the receiver answers 2xx."""
    body = delivery["body"].encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": "samen030-notifier",
               "X-Samen030-Signature": signature(body, webhook_secret(delivery["partner"])),
               "X-Samen030-Delivery": delivery["id"], "X-Samen030-Event": delivery["event_id"]}
    response = (session or requests).post(delivery["recipient"], data=body, headers=headers,
                                          timeout=TIMEOUT, allow_redirects=False)
    if not 200 <= response.status_code < 300:
        raise WebhookRefused(f"HTTP {response.status_code} from {delivery['recipient']}: {response.text[:200]!r}")


class WebhookRefused(RuntimeError):
    pass
