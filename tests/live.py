"""Partner services and the gateway as real HTTP servers in threads of the test process, on this
test's databases, with a federation file naming them: enough for point-to-point calls between
services (referrals, consent checks, suggestions) without starting processes."""
import socket
import threading
import time
from pathlib import Path

from sqlalchemy import select
from werkzeug.serving import make_server

from samen030.kernel.natsserver import free_port

NAMES = {"wijkinformatiepunt": "Stichting Wijkinformatiepunt Utrecht", "powerbypeers": "Power by Peers",
         "krachtstation": "Krachtstation Kanaleneiland"}


def reserved_socket() -> socket.socket:
    """A listening socket on a free port, held from the start: no other process can take the port between
    choosing it and serving on it (free_port() alone leaves that window open)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


class LiveServer:
    def __init__(self, app, port: int, sock: socket.socket | None = None):
        self.app, self.port, self.sock = app, port, sock
        self.url = f"http://127.0.0.1:{port}"
        self.server = None

    def start(self) -> "LiveServer":
        if self.sock is not None:  # the first start serves the socket held since the port was chosen
            self.server = make_server("127.0.0.1", self.port, self.app, threaded=True, fd=self.sock.fileno())
            self.sock.close()  # the server serves its own duplicate of it
            self.sock = None
        else:  # started again after stop(): the port is free again, unless something took it meanwhile
            self.server = _bind_again(self.port, self.app)
        # shutdown() waits for serve_forever's next look at its flag: every 0.5 s by default, which made
        # a test with seven servers wait 2-3 s at its end
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def _bind_again(port: int, app, tries: int = 50):
    for _ in range(tries):
        try:
            return make_server("127.0.0.1", port, app, threaded=True)
        except OSError:
            time.sleep(0.1)
    return make_server("127.0.0.1", port, app, threaded=True)


class City:
    """A federation of `partners` with the given services each, plus the gateway; start what you need."""

    def __init__(self, databases, monkeypatch, workdir: Path, partners: dict[str, tuple[str, ...]]):
        self.databases, self.monkeypatch, self.partners = databases, monkeypatch, partners
        self.sockets = {(p, s): reserved_socket() for p, services in partners.items() for s in services}
        self.sockets[("city", "gateway")] = reserved_socket()
        self.ports = {key: sock.getsockname()[1] for key, sock in self.sockets.items() if key[0] != "city"}
        self.gateway_port = self.sockets[("city", "gateway")].getsockname()[1]
        self.servers: dict[tuple[str, str], LiveServer] = {}
        lines = ["[federation]", f'gateway_url = "http://127.0.0.1:{self.gateway_port}"',
                 f'nats_url = "nats://127.0.0.1:{free_port()}"']
        for partner, services in partners.items():
            urls = ", ".join(f'{s} = "http://127.0.0.1:{self.ports[(partner, s)]}"' for s in services)
            lines += [f"[partners.{partner}]", f'name = "{NAMES.get(partner, partner)}"', f"services = {{ {urls} }}"]
        path = workdir / "federation.toml"
        path.write_text("\n".join(lines) + "\n")
        monkeypatch.setenv("SAMEN030_FEDERATION", str(path))
        self.gateway = self._app("city", "gateway")
        self.apps = {key: self._app(*key) for key in self.ports}
        from samen030.gateway.projector import readmodel_projection
        self.projection = readmodel_projection(self.gateway.extensions["samen030.db"])
        self.synced: set = set()

    def _app(self, partner: str, service: str):
        from samen030.registry import service_app
        if schema := self.databases.schema(partner, service):
            self.monkeypatch.setenv("DATABASE_SCHEMA", schema)
        if service == "gateway":
            from samen030.gateway.app import create_app
            app = create_app(self.databases.url(partner, service), config={"TESTING": True})
        else:
            app = service_app(service, partner, self.databases.url(partner, service))
            app.config["TESTING"] = True
        self.databases.opened.append(app.extensions["samen030.db"])
        return app

    def start(self, partner: str, service: str) -> LiveServer:
        server = self.servers.get((partner, service)) or LiveServer(self.apps[(partner, service)],
                                                                    self.ports[(partner, service)],
                                                                    self.sockets[(partner, service)])
        self.servers[(partner, service)] = server.start()
        return server

    def stop(self, partner: str, service: str) -> None:
        self.servers[(partner, service)].stop()

    def start_gateway(self) -> LiveServer:
        self.servers[("city", "gateway")] = LiveServer(self.gateway, self.gateway_port,
                                                       self.sockets[("city", "gateway")]).start()
        return self.servers[("city", "gateway")]

    def client(self, partner: str, service: str):
        return self.apps[(partner, service)].test_client()

    def outbox(self, partner: str, service: str) -> list[tuple[int, bytes, str]]:
        from samen030.registry import service_tables
        _metadata, outbox = service_tables(service)
        with self.apps[(partner, service)].extensions["samen030.db"].connect() as conn:
            return conn.execute(select(outbox.c.seq, outbox.c.payload, outbox.c.nats_subject).order_by(outbox.c.seq)).all()

    def sync_gateway(self) -> None:
        """Apply every service's new events at the gateway, as relay and projector would."""
        for partner, service in self.ports:
            rows = [(p, s) for seq, p, s in self.outbox(partner, service) if (partner, service, seq) not in self.synced]
            self.synced.update((partner, service, seq) for seq, _p, _s in self.outbox(partner, service))
            if rows:
                self.projection.apply(rows)

    def close(self) -> None:
        for server in self.servers.values():
            server.stop()
        for sock in self.sockets.values():
            sock.close()  # those never served (closing one already handed over does nothing)


def referral_city(databases, monkeypatch, workdir: Path, offer: dict, referrer: str = "wijkinformatiepunt",
                  receiver: str = "powerbypeers") -> City:
    """The referrer with requests, members and directory, the receiver with requests and directory, all
    served, the gateway too; `offer` created at the receiver's directory and known at the gateway
    (`city.offer_id`)."""
    from samen030.kernel.auth import issue_token
    city = City(databases, monkeypatch, workdir, {referrer: ("requests", "members", "directory"),
                                                  receiver: ("requests", "directory")})
    for key in city.ports:
        city.start(*key)
    city.start_gateway()
    token = {"Authorization": f"Bearer {issue_token(receiver, 'coordinator', 'tester')}"}
    city.offer_id = city.client(receiver, "directory").post("/offers", json=offer, headers=token).json["id"]
    city.sync_gateway()
    return city
