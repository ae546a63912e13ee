"""Another partner's keys are fetched one at a time, with a deadline, and not again for a few seconds:
a partner that hangs (or forged tokens naming it) holds at most one thread of this node, briefly."""
import json
import socket
import threading
import time

import pytest

from samen030.kernel.published_keys import FETCH_SECONDS, KeysUnavailable, PublishedKeys
from tests.raw_http import raw_server


@pytest.fixture
def hung_partner():
    """A port that accepts connections and never answers, as a SIGSTOPped node does."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    yield f"http://127.0.0.1:{server.getsockname()[1]}/.well-known/jwks.json"
    server.close()


def test_requests_do_not_queue_behind_a_hung_partners_keys(hung_partner):
    keys = PublishedKeys(hung_partner)
    took, failed = [], []

    def verify():
        began = time.monotonic()
        try:
            keys.key("some-kid")
        except KeysUnavailable as exc:
            failed.append(str(exc))
        took.append(time.monotonic() - began)
    threads = [threading.Thread(target=verify) for _ in range(8)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(failed) == 8
    assert time.monotonic() - began < FETCH_SECONDS + 0.5  # one fetch, with its deadline; nobody waited for it
    assert sorted(took)[-2] < 0.2  # all but the one that fetched answered at once
    again = time.monotonic()
    with pytest.raises(KeysUnavailable):
        keys.key("another-kid")  # tried just now: not again for a few seconds
    assert time.monotonic() - again < 0.1


def test_keys_are_published_over_https_unless_on_this_machine():
    with pytest.raises(KeysUnavailable, match="https"):
        PublishedKeys("http://partner.example.org/.well-known/jwks.json").key("k")


def _serving(answer):
    """A partner's node whose key document is `answer(connection)` (raw HTTP), on a port of this machine."""
    server, url = raw_server(answer)
    return server, f"{url}/.well-known/jwks.json"


@pytest.mark.parametrize("document", [b"[]", b"null", b'"keys"', b"42"])
def test_a_key_document_that_is_not_an_object_is_keys_unavailable_not_a_crash(document):
    def answer(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                     b"Connection: close\r\n\r\n%s" % (len(document), document))
    server, url = _serving(answer)
    try:
        with pytest.raises(KeysUnavailable):
            PublishedKeys(url).key("some-kid")
    finally:
        server.close()


@pytest.mark.parametrize("head, trickled", [
    (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n", b" "),  # the body
    (b"HTTP/1.1 200 OK\r\nX-Slow: ", b"a"),  # a header
])
def test_a_key_document_that_trickles_in_is_given_up_on_at_the_deadline(head, trickled):
    """A partner that sends its document a byte at a time (each within the read timeout) holds the
    request's thread no longer than the deadline, not until 64 kB (or a header line) have trickled in."""
    def answer(conn):
        conn.sendall(head)
        for _ in range(40):
            conn.sendall(trickled)
            time.sleep(FETCH_SECONDS / 4)
    server, url = _serving(answer)
    outcome = []

    def fetch():
        try:
            PublishedKeys(url).key("some-kid")
        except KeysUnavailable as exc:
            outcome.append(exc)
    try:
        began = time.monotonic()
        fetching = threading.Thread(target=fetch, daemon=True)
        fetching.start()
        fetching.join(FETCH_SECONDS * 3)
        assert not fetching.is_alive(), f"still fetching after {time.monotonic() - began:.1f} s"
        assert outcome and "too slow" in str(outcome[0])
    finally:
        server.close()


def test_a_retired_key_is_not_trusted_for_ever_while_the_partners_document_cannot_be_had(monkeypatch):
    """A partner retired a leaked key (and took its node off the line, as one does after a breach): this
    node cannot fetch the document any more, and kept answering with the key it knew — "stale but
    known" — for every request but the one that tried to fetch, every 5 s, for ever. A known key
    counts for at most the cache time plus SAMEN030_JWKS_STALE_SECONDS after it was last fetched."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from samen030.kernel import published_keys
    from samen030.kernel.keys import public_jwk
    jwk = public_jwk(Ed25519PrivateKey.generate())
    document = json.dumps({"keys": [jwk]}).encode()
    up = [True]

    def answer(conn):
        if up[0]:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                         b"Connection: close\r\n\r\n%s" % (len(document), document))
    server, url = _serving(answer)
    clock = [1000.0]
    monkeypatch.setattr(published_keys.time, "monotonic", lambda: clock[0])
    monkeypatch.setenv("SAMEN030_JWKS_CACHE_SECONDS", "300")
    monkeypatch.setenv("SAMEN030_JWKS_STALE_SECONDS", "300")
    try:
        keys = PublishedKeys(url)
        assert keys.key(jwk["kid"]) is not None
        up[0] = False  # the partner's node is off the line
        clock[0] += 400  # past the cache time, within the stale time: the fetch fails, the key still counts
        with pytest.raises(KeysUnavailable):
            keys.key(jwk["kid"])  # this one tried to fetch
        clock[0] += 1
        assert keys.key(jwk["kid"]) is not None
        clock[0] += 300  # long past: the key it knew no longer counts, fetched or not
        for _ in range(3):
            with pytest.raises(KeysUnavailable):
                keys.key(jwk["kid"])
            clock[0] += 1
    finally:
        server.close()
