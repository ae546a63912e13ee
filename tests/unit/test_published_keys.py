"""Another partner's keys are fetched one at a time, with a deadline, and not again for a few seconds:
a partner that hangs (or forged tokens naming it) holds at most one thread of this node, briefly."""
import socket
import threading
import time

import pytest

from samen030.kernel.published_keys import FETCH_SECONDS, KeysUnavailable, PublishedKeys


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
