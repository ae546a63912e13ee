"""Other partners' public keys, as each partner's node publishes them (its JWKS document), kept per
issuer for SAMEN030_JWKS_CACHE_SECONDS (300).

When the document cannot be had, a key known from it still counts for SAMEN030_JWKS_STALE_SECONDS (300)
after the cache time, never longer: a key the partner retired stops counting here within both.

A token naming a key id not known yet (a partner rotated its key) fetches the document again, at most
once every SAMEN030_JWKS_REFRESH_SECONDS (5) per issuer, successful or not: a forged token naming a
partner cannot make this node fetch more often than that. One fetch at a time per issuer, with a
deadline of its own; a request arriving meanwhile does not wait for it (it gets "try again"), so a
partner that hangs holds a request's thread for at most FETCH_SECONDS; the fetch itself runs in a
thread of its own, one per partner at most, however slowly a partner trickles its answer in."""
import json
import os
import threading
import time

from urllib.parse import urlsplit

import jwt
import requests as http
import urllib3

FETCH_SECONDS = 1.0
MAX_BYTES = 64 * 1024
LOOPBACK = ("127.0.0.1", "localhost", "::1")  # one machine: the local federation and its tests


class KeysUnavailable(Exception):
    pass


class PublishedKeys:
    def __init__(self, url: str):
        self.url, self.lock, self.fetching = url, threading.Lock(), threading.Lock()
        self.keys: dict[str, object] = {}
        self.fetched_at = self.tried_at = float("-inf")

    def key(self, kid: str):
        now = time.monotonic()
        with self.lock:
            known, age = self.keys.get(kid), now - self.fetched_at
            may_try = now - self.tried_at >= _seconds("SAMEN030_JWKS_REFRESH_SECONDS", 5)
        cache = _seconds("SAMEN030_JWKS_CACHE_SECONDS", 300)
        if known is not None and age < cache:
            return known
        if not may_try or not self.fetching.acquire(blocking=False):
            if known is not None and age < cache + _seconds("SAMEN030_JWKS_STALE_SECONDS", 300):
                return known  # stale but known: better than nothing while the document cannot be had, for a while
            raise KeysUnavailable("its keys are being fetched, or were just fetched without this key; try again")
        with self.lock:
            self.tried_at = now
        outcome: list[Exception] = []
        fetched = threading.Event()

        def fetch():  # in a thread of its own: no socket timeout bounds a partner that trickles its headers in
            try:
                self._fetch()
            except Exception as exc:
                outcome.append(exc)
            finally:
                self.fetching.release()  # only when it ended: one such thread per partner, however long it lingers
                fetched.set()
        threading.Thread(target=fetch, name=f"jwks {self.url}"[:60], daemon=True).start()
        if not fetched.wait(FETCH_SECONDS):
            raise KeysUnavailable(f"its key document is too slow (no answer within {FETCH_SECONDS:g} s)")
        if outcome:
            if isinstance(outcome[0], KeysUnavailable):
                raise outcome[0]
            raise KeysUnavailable(f"its keys cannot be fetched now ({type(outcome[0]).__name__})")
        with self.lock:
            if (found := self.keys.get(kid)) is None:
                raise KeysUnavailable(f"it publishes no key {kid!r}")
            return found

    def _fetch(self) -> None:
        if urlsplit(self.url).scheme != "https" and urlsplit(self.url).hostname not in LOOPBACK:
            raise KeysUnavailable(f"its keys must be published over https, not {self.url}")
        deadline = time.monotonic() + FETCH_SECONDS
        try:
            with http.get(self.url, timeout=FETCH_SECONDS, stream=True, allow_redirects=False) as response:
                response.raise_for_status()
                body = b""
                # read1: whatever has arrived (each wait bounded by the read timeout), so that the deadline
                # holds for a document that trickles in; iter_content would wait for 8 kB at a time
                while chunk := response.raw.read1(8192, decode_content=True):
                    body += chunk
                    if len(body) > MAX_BYTES or time.monotonic() > deadline:
                        raise KeysUnavailable("its key document is too large or too slow")
            document = json.loads(body.decode())
            if not isinstance(document, dict):
                raise ValueError("the key document is not a JSON object")
            keys = {jwk.key_id: jwk.key for jwk in jwt.PyJWKSet.from_dict(document).keys if isinstance(jwk.key_id, str)}
        except (http.RequestException, urllib3.exceptions.HTTPError, ValueError, jwt.PyJWKSetError,
                jwt.PyJWKError) as exc:
            raise KeysUnavailable(f"its keys cannot be fetched now ({type(exc).__name__})") from None
        with self.lock:
            self.keys, self.fetched_at = keys, time.monotonic()


def _seconds(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


_documents: dict[tuple[str, str], PublishedKeys] = {}
_documents_lock = threading.Lock()


def published_key(issuer: str, url: str, kid: str):
    with _documents_lock:
        document = _documents.setdefault((issuer, url), PublishedKeys(url))
    return document.key(kid)
