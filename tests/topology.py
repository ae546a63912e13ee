"""The `hub` topology on loopback, owned by a test: 3 hub nats-servers and one leaf per partner, each
leaf's link to the hub through a TCP proxy the test can cut and restore; any server can be SIGKILLed
and started again on its own ports and store (kernel/topology.py writes every configuration)."""
import json
import secrets
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from samen030.kernel.nats_users import ADMIN_USER, GATEWAY_USER, NOTIFIER_USER
from samen030.kernel.natsserver import free_port, nats_server_binary, wait_for_port
from samen030.kernel.topology import hub_server_config, leaf_server_config


class LinkProxy:
    """A TCP proxy in front of the hub's leaf ports: each connection goes to the first hub server that
    accepts it. `cut()` closes every connection and refuses new ones until `restore()`."""

    def __init__(self, upstream_ports: list[int]):
        self.upstream_ports, self.port = upstream_ports, free_port()
        self.up, self.pairs, self.lock = True, [], threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.listener.settimeout(0.2)
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            upstream = self._connect()
            if upstream is None:
                client.close()
                continue
            client.settimeout(None)  # blocking: a quiet link is no broken one
            upstream.settimeout(None)
            with self.lock:
                self.pairs.append((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _connect(self):
        for port in self.upstream_ports:
            try:
                return socket.create_connection(("127.0.0.1", port), timeout=1)
            except OSError:
                continue
        return None

    @staticmethod
    def _pipe(src, dst) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        self.up = False
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            for sock in pair:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.cut()
        self.closed = True
        self.listener.close()


@dataclass
class Server:
    name: str
    role: str  # hub | leaf
    partner: str | None
    client_port: int
    config: Path
    monitor_port: int
    proc: subprocess.Popen | None = None
    log: Path | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None


@dataclass
class Topology:
    workdir: Path
    partners: list[str]
    hub: list[Server] = field(default_factory=list)
    leaves: dict[str, Server] = field(default_factory=dict)
    links: dict[str, LinkProxy] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)
    leaf_passwords: dict[str, str] = field(default_factory=dict)
    route_password: str = ""
    ports: list[dict] = field(default_factory=list)

    @classmethod
    def make(cls, workdir: Path, partners: list[str], hub_size: int = 3) -> "Topology":
        top = cls(workdir, partners)
        password = lambda: secrets.token_urlsafe(12)  # noqa: E731
        top.passwords = {user: password() for user in (ADMIN_USER, GATEWAY_USER, NOTIFIER_USER)}
        leaf_passwords = top.leaf_passwords = {p: password() for p in partners}
        top.route_password = password()
        ports = top.ports = [dict(client=free_port(), cluster=free_port(), leaf=free_port(), monitor=free_port())
                             for _ in range(hub_size)]
        for n, mine in enumerate(ports, 1):
            path = workdir / f"hub-{n}" / "nats.conf"
            path.parent.mkdir(parents=True, exist_ok=True)
            top.hub.append(Server(f"hub-{n}", "hub", None, mine["client"], path, mine["monitor"]))
        top.write_hub_configs(partners)
        for partner in partners:
            link = top.links[partner] = LinkProxy([p["leaf"] for p in ports])
            local = {partner: password(), ADMIN_USER: password()}
            top.passwords[f"{partner}@leaf"], top.passwords[f"admin@{partner}"] = local[partner], local[ADMIN_USER]
            path = workdir / f"leaf-{partner}" / "nats.conf"
            path.parent.mkdir(parents=True, exist_ok=True)
            port, monitor = free_port(), free_port()
            path.write_text(leaf_server_config(
                partner=partner, partners=partners, client_port=port, store_dir=path.parent / "jetstream",
                passwords=local, hub_leaf_urls=[f"127.0.0.1:{link.port}"], leaf_password=leaf_passwords[partner],
                monitor_port=monitor, reconnect="0.25s", only_these_urls=True))
            top.leaves[partner] = Server(f"leaf-{partner}", "leaf", partner, port, path, monitor)
        return top

    def write_hub_configs(self, partners: list[str]) -> None:
        """The hub servers' configurations for `partners` (a partner added: a leaf password of its own)."""
        for partner in partners:
            self.leaf_passwords.setdefault(partner, secrets.token_urlsafe(12))
        for server, mine in zip(self.hub, self.ports):
            server.config.write_text(hub_server_config(
                name=server.name, host="127.0.0.1", client_port=mine["client"], cluster_port=mine["cluster"],
                leaf_port=mine["leaf"], routes=[f"127.0.0.1:{o['cluster']}" for o in self.ports if o is not mine],
                store_dir=server.config.parent / "jetstream", partners=partners,
                passwords={u: self.passwords[u] for u in (ADMIN_USER, GATEWAY_USER, NOTIFIER_USER)},
                leaf_passwords={p: self.leaf_passwords[p] for p in partners}, route_password=self.route_password,
                monitor_port=mine["monitor"]))

    def servers(self) -> list[Server]:
        return [*self.hub, *self.leaves.values()]

    def server(self, name: str) -> Server:
        return next(s for s in self.servers() if s.name == name)

    def start(self, *names: str) -> "Topology":
        chosen = [self.server(n) for n in names] if names else self.servers()
        for server in chosen:
            server.log = server.config.parent / "nats.log"
            with open(server.log, "ab") as log:
                server.proc = subprocess.Popen([nats_server_binary(), "-c", str(server.config)],
                                               stdout=log, stderr=subprocess.STDOUT)
        for server in chosen:
            wait_for_port(server.client_port, server.proc)
        return self

    def kill(self, name: str) -> None:
        server = self.server(name)
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()

    def stop(self) -> None:
        for link in self.links.values():
            link.close()
        for server in self.servers():
            if server.proc and server.proc.poll() is None:
                server.proc.terminate()
        for server in self.servers():
            if server.proc:
                try:
                    server.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.proc.kill()

    def hub_url(self, user: str) -> str:
        return ",".join(f"nats://{user}:{self.passwords[user]}@127.0.0.1:{s.client_port}" for s in self.hub)

    def leaf_url(self, partner: str, user: str | None = None) -> str:
        """As the partner's own user (default), or `admin` (the leaf's local operator)."""
        password = self.passwords[f"{partner}@leaf"] if user in (None, partner) else self.passwords[f"admin@{partner}"]
        return f"nats://{user or partner}:{password}@127.0.0.1:{self.leaves[partner].client_port}"

    def monitor(self, name: str, path: str) -> dict:
        import requests
        return requests.get(f"http://127.0.0.1:{self.server(name).monitor_port}/{path}", timeout=2).json()

    def leaf_connected(self, partner: str) -> bool:
        try:
            return self.monitor(f"leaf-{partner}", "leafz").get("leafnodes", 0) > 0
        except Exception:
            return False

    def wait_until(self, check, timeout: float = 30, what: str = "") -> float:
        began = time.monotonic()
        while not check():
            if time.monotonic() - began > timeout:
                raise TimeoutError(f"not after {timeout} s: {what}")
            time.sleep(0.05)
        return time.monotonic() - began

    def describe(self) -> list[dict]:
        return [{"name": s.name, "role": s.role, "partner": s.partner, "client_port": s.client_port, "pid": s.pid,
                 "config": str(s.config)} for s in self.servers()]

    def write_servers_json(self, path: Path) -> None:
        path.write_text(json.dumps(self.describe(), indent=2))
