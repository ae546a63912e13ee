"""`samen030 run --topology hub`: the production topology on loopback — 3 hub nats-servers (a cluster,
JetStream domain `hub`) and one leaf nats-server per partner (domain = partner id), configured by
kernel/topology.py, on the ports of the federation file's `[hub]` table:

    [hub]
    servers = [{ client = 4251, cluster = 6251, leaf = 7251, monitor = 8251 }, …]   # three
    leaves_from = 4261   # partner n (1-based, in file order): client port 4260+n, monitoring +1000
    leaves = { krachtstation = { client = 4301, monitor = 5301 } }                  # or per partner
    leaves = { krachtstation = { client = 4301, monitor = 5301, hub = ["127.0.0.1:7300"] } }

A leaf's `hub`: the only `host:port`s its remote dials instead of the hub servers' leaf ports (and not
the others the hub tells about: ignore_discovered_servers), e.g. a TCP proxy a test cuts to take the
partner's line to the hub down and bring it back (tests/e2e/test_hub_topology.py).

Credentials stay under var/nats/: users.json (the hub's admin, gateway and notifier, and each partner's
user at its own leaf; the leaves' local operator is `admin` with the same password, on loopback only)
and leaf-links.json (each partner's user at the hub for its leaf connection). var/nats/servers.json
tells tests and operators every nats-server: name, role, partner, client port, pid, config path."""
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from samen030.kernel.config import ConfigError, Federation
from samen030.kernel.keys import write_private
from samen030.kernel.natsserver import local_passwords
from samen030.kernel.nats_users import ADMIN_USER, GATEWAY_USER, NOTIFIER_USER
from samen030.kernel.topology import check_partners, hub_server_config, leaf_server_config

DEFAULT_SERVERS = [{"client": 4251 + n, "cluster": 6251 + n, "leaf": 7251 + n, "monitor": 8251 + n} for n in range(3)]
DEFAULT_LEAVES_FROM = 4261
LEAF_MONITOR_OFFSET = 1000


@dataclass
class NatsServerPart:
    name: str
    role: str  # hub | leaf
    partner: str | None
    client_port: int
    monitor_port: int
    config: Path

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.client_port}"


class LocalHub:
    def __init__(self, federation: Federation, workdir: Path, plan: dict | None = None):
        import tomllib
        self.federation, self.workdir, self.partners = federation, workdir, list(federation.partners)
        check_partners(self.partners)
        raw = plan if plan is not None else tomllib.loads(federation.source.read_text("utf-8")).get("hub", {})
        self.hub_ports = raw.get("servers", DEFAULT_SERVERS)
        if len(self.hub_ports) != 3 or not all({"client", "cluster", "leaf", "monitor"} <= set(s) for s in self.hub_ports):
            raise ConfigError(f"[hub] servers in {federation.source}: three tables of client, cluster, leaf and "
                              "monitor ports")
        leaves_from, leaves = int(raw.get("leaves_from", DEFAULT_LEAVES_FROM)), raw.get("leaves", {})
        self.leaf_ports = {p: leaves.get(p, {"client": leaves_from + n, "monitor": leaves_from + n + LEAF_MONITOR_OFFSET})
                           for n, p in enumerate(self.partners)}
        self.leaf_remotes = {p: ports.get("hub") for p, ports in self.leaf_ports.items()}
        if bad := [p for p, urls in self.leaf_remotes.items()
                   if urls is not None and (not isinstance(urls, list) or not urls or not all(isinstance(u, str) for u in urls))]:
            raise ConfigError(f"[hub] leaves in {federation.source}: `hub` of {', '.join(bad)} must be a list of host:port")
        self.servers: list[NatsServerPart] = []

    def write_configs(self) -> list[NatsServerPart]:
        self.workdir.mkdir(parents=True, exist_ok=True)
        users = local_passwords(self.workdir, self.partners)
        hub_users = {u: users[u] for u in (ADMIN_USER, GATEWAY_USER, NOTIFIER_USER)}
        links = self._secrets("leaf-links.json", self.partners)
        route = self._secrets("routes.json", ["route"])["route"]
        self.servers = []
        for n, ports in enumerate(self.hub_ports, 1):
            name = f"hub-{n}"
            path = self.workdir / name / "nats.conf"
            path.parent.mkdir(parents=True, exist_ok=True)
            write_private(path, hub_server_config(
                name=name, host="127.0.0.1", client_port=ports["client"], cluster_port=ports["cluster"],
                leaf_port=ports["leaf"], routes=[f"127.0.0.1:{o['cluster']}" for o in self.hub_ports if o is not ports],
                store_dir=path.parent / "jetstream", partners=self.partners, passwords=hub_users,
                leaf_passwords=links, route_password=route, monitor_port=ports["monitor"]))
            self.servers.append(NatsServerPart(name, "hub", None, ports["client"], ports["monitor"], path))
        for partner, ports in self.leaf_ports.items():
            name = f"leaf-{partner}"
            path = self.workdir / name / "nats.conf"
            path.parent.mkdir(parents=True, exist_ok=True)
            write_private(path, leaf_server_config(
                partner=partner, partners=self.partners, client_port=ports["client"], store_dir=path.parent / "jetstream",
                passwords={partner: users[partner], ADMIN_USER: users[ADMIN_USER]},
                hub_leaf_urls=self.leaf_remotes[partner] or [f"127.0.0.1:{s['leaf']}" for s in self.hub_ports],
                leaf_password=links[partner], monitor_port=ports["monitor"], reconnect="1s",
                only_these_urls=self.leaf_remotes[partner] is not None))
            self.servers.append(NatsServerPart(name, "leaf", partner, ports["client"], ports["monitor"], path))
        return self.servers

    def _secrets(self, filename: str, names: list[str]) -> dict[str, str]:
        path = self.workdir / filename
        known = json.loads(path.read_text()) if path.exists() else {}
        wanted = {name: known.get(name) or secrets.token_urlsafe(18) for name in names}
        if wanted != known:
            write_private(path, json.dumps(wanted, indent=2))
        return wanted

    def hub_url(self) -> str:
        """Every hub server's client URL, comma-separated (kernel/bus.connect takes them all)."""
        return ",".join(s.url for s in self.servers if s.role == "hub")

    def monitor_urls(self) -> str:
        """The hub servers' monitoring, comma-separated (SAMEN030_HUB_MONITOR_URLS: the gateway's link check)."""
        return ",".join(f"http://127.0.0.1:{ports['monitor']}" for ports in self.hub_ports)

    def leaf(self, partner: str) -> NatsServerPart:
        return next(s for s in self.servers if s.partner == partner)

    def leaf_url(self, partner: str, user: str | None = None) -> str:
        """The partner's leaf, as its own user (default) or as the leaf's local `admin`."""
        password = local_passwords(self.workdir, self.partners)[user or partner]
        return f"nats://{user or partner}:{password}@127.0.0.1:{self.leaf(partner).client_port}"

    def write_servers_json(self, pids: dict[str, int | None]) -> Path:
        path = self.workdir / "servers.json"
        path.write_text(json.dumps([{"name": s.name, "role": s.role, "partner": s.partner, "client_port": s.client_port,
                                     "monitor_port": s.monitor_port, "pid": pids.get(s.name), "config": str(s.config)}
                                    for s in self.servers], indent=2))
        return path
