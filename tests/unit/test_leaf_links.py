"""What the hub servers' monitoring says of the partners' leaves (kernel/leaf_links.py): read from
/leafz over real HTTP; nothing known (None) when no server answers, never "all down"."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from samen030.kernel.leaf_links import leaves_seen
from samen030.kernel.natsserver import free_port


def monitoring(answer: bytes):
    class Leafz(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/leafz" else 404)
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_args):
            pass
    server = ThreadingHTTPServer(("127.0.0.1", 0), Leafz)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return server


@pytest.fixture
def hub_servers():
    servers = []
    yield lambda answer: servers.append(monitoring(answer)) or f"http://127.0.0.1:{servers[-1].server_port}"
    for server in servers:
        server.shutdown()


def test_the_leaves_of_every_hub_server_that_answers(hub_servers):
    one = hub_servers(json.dumps({"leafs": [{"name": "leaf-krachtstation"}, {"name": "something-else"}]}).encode())
    two = hub_servers(json.dumps({"leafs": [{"name": "leaf-zorgbelang"}]}).encode())
    empty = hub_servers(json.dumps({"leafs": None}).encode())
    down = f"http://127.0.0.1:{free_port()}"
    assert leaves_seen([one, two, empty, down]) == {"krachtstation", "zorgbelang"}
    assert leaves_seen([empty, down]) == set()  # a server answered: no leaf is connected


@pytest.mark.parametrize("answer, seen", [(b"not json", None), (b"[]", None), (b'{"leafs": [1, "x"]}', set())])
def test_nothing_known_when_no_hub_server_answers_sensibly(hub_servers, answer, seen):
    odd = hub_servers(answer)
    assert leaves_seen([odd, f"http://127.0.0.1:{free_port()}"], seconds=0.5) == seen
    assert leaves_seen([f"http://127.0.0.1:{free_port()}"], seconds=0.5) is None
