"""Calling a partner's webhook: POST of the delivery's JSON body, signed with HMAC-SHA256.

A receiver verifies `X-Samen030-Signature: sha256=<hex>` by computing HMAC-SHA256 over the raw request
body with its secret (its own: webhook_secrets.py) and comparing in constant time (`verify` below does
exactly that), and drops a delivery whose `X-Samen030-Delivery` it has seen before: a delivery can come
twice, never with a different body."""
import hashlib
import hmac

import requests

from samen030.kernel.peers import request_within

from .webhook_secrets import missing_secret_reason, webhook_secret

TIMEOUT = 10.0


def signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, header: str | None, secret: str) -> bool:
    return bool(header) and hmac.compare_digest(signature(body, secret), header)


def post_webhook(delivery: dict, session: requests.Session | None = None) -> None:
    """`delivery`: a deliveries row (id, event_id, partner, recipient = URL, body = JSON). Raises
    unless the receiver answers 2xx."""
    if (secret := webhook_secret(delivery["partner"])) is None:
        raise NoWebhookSecret(missing_secret_reason(delivery["partner"]))
    body = delivery["body"].encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": "samen030-notifier",
               "X-Samen030-Signature": signature(body, secret),
               "X-Samen030-Delivery": delivery["id"], "X-Samen030-Event": delivery["event_id"]}
    if session is not None:
        response = session.post(delivery["recipient"], data=body, headers=headers, timeout=TIMEOUT,
                                allow_redirects=False)
    else:  # the whole answer within TIMEOUT: a webhook that trickles it in holds up no other partner's notices
        response = request_within(TIMEOUT, "POST", delivery["recipient"], data=body, headers=headers,
                                  timeout=TIMEOUT, allow_redirects=False)
    if not 200 <= response.status_code < 300:
        raise WebhookRefused(f"HTTP {response.status_code} from {delivery['recipient']}: {response.text[:200]!r}")


class WebhookRefused(RuntimeError):
    pass


class NoWebhookSecret(RuntimeError):
    """Trying again cannot help until the operator gives the partner a secret."""
