"""`samen030 deploy hub` / `samen030 deploy node`: the production topology's files, made by the project
(kernel/topology.py), never by hand.

- `deploy hub --nodes a,b,c`: per hub machine its nats-server configuration (cluster routes to the other
  two, JetStream domain `hub`, `sync_interval: always`, the leaf port, the users of kernel/nats_users.py
  and one leaf user per partner), systemd units for nats-server, the city and the hub's watch, the
  hub's secrets (hub-secrets.json, 0600, kept when run again) and, per partner, the one credential
  to hand over to it (partners/<partner>.json: its leaf user's password, nothing else).
- `deploy node --partner P --hub host:7422,…`: the partner's leaf configuration (domain = P, its own
  local users, one remote to the hub's leaf ports with P's credential only), its environment file and
  systemd units for the leaf and the node."""
import json
import secrets
from pathlib import Path

from samen030.kernel.config import Federation
from samen030.kernel.keys import write_private
from samen030.kernel.nats_users import ADMIN_USER, GATEWAY_USER, NOTIFIER_USER
from samen030.kernel.topology import HUB, check_partners, hub_server_config, leaf_server_config

CLIENT, CLUSTER, LEAF, MONITOR = 4222, 6222, 7422, 8222
ETC, STATE = Path("/etc/samen030"), Path("/var/lib/samen030")


def _secrets(path: Path, names: list[str]) -> dict[str, str]:
    known = json.loads(path.read_text()) if path.exists() else {}
    wanted = {name: known.get(name) or secrets.token_urlsafe(24) for name in names}
    if wanted != known:
        write_private(path, json.dumps(wanted, indent=2))
    return wanted


def _tls(tls_dir: str | None) -> dict | None:
    if not tls_dir:
        return None
    return {"cert_file": f"{tls_dir}/server.pem", "key_file": f"{tls_dir}/server-key.pem", "ca_file": f"{tls_dir}/ca.pem"}


def _unit(description: str, exec_start: str, after: str = "network-online.target", env_file: str | None = None,
          user: str = "samen030") -> str:
    return "\n".join([
        "[Unit]", f"Description={description}", f"After={after}", f"Wants={after}", "",
        "[Service]", f"User={user}", *([f"EnvironmentFile={env_file}"] if env_file else []),
        f"ExecStart={exec_start}", "ExecReload=/bin/kill -HUP $MAINPID", "Restart=always", "RestartSec=2",
        "LimitNOFILE=65536", "", "[Install]", "WantedBy=multi-user.target", ""])


def deploy_hub(federation: Federation, nodes: list[str], out: Path, tls_dir: str | None = None,
               nats_server: str = "/usr/local/bin/nats-server", samen030: str = "/opt/samen030/bin/samen030") -> list[Path]:
    if len(nodes) != 3:
        raise SystemExit("samen030 deploy hub: --nodes names the three hub machines (host names or addresses)")
    partners = list(federation.partners)
    check_partners(partners)
    out.mkdir(parents=True, exist_ok=True)
    hub = _secrets(out / "hub-secrets.json", [ADMIN_USER, GATEWAY_USER, NOTIFIER_USER, "route"])
    links = _secrets(out / "leaf-secrets.json", partners)
    written = [out / "hub-secrets.json", out / "leaf-secrets.json"]
    for node in nodes:
        folder = out / node
        folder.mkdir(exist_ok=True)
        config = folder / "nats.conf"
        write_private(config, hub_server_config(
            name=node, host=node, listen_host="0.0.0.0", client_port=CLIENT, cluster_port=CLUSTER, leaf_port=LEAF,
            routes=[f"{other}:{CLUSTER}" for other in nodes if other != node], store_dir=STATE / "nats",
            partners=partners, passwords={u: hub[u] for u in (ADMIN_USER, GATEWAY_USER, NOTIFIER_USER)},
            leaf_passwords=links, route_password=hub["route"], monitor_port=MONITOR, tls=_tls(tls_dir)))
        (folder / "samen030-nats.service").write_text(_unit("SAMEN030 hub nats-server", f"{nats_server} -c {ETC}/nats.conf"))
        hub_urls = ",".join(f"nats://{n}:{CLIENT}" for n in nodes)
        write_private(folder / "samen030.env", "\n".join([
            f"SAMEN030_TOPOLOGY={HUB}", f"SAMEN030_HUB_URL={hub_urls}",
            f"SAMEN030_HUB_MONITOR_URLS={','.join(f'http://{n}:{MONITOR}' for n in nodes)}",
            f"SAMEN030_FEDERATION={ETC}/federation.toml", f"SAMEN030_VAR={STATE}",
            "DATABASE_URL=postgresql+psycopg://samen030@localhost/city",
            f"NATS_GATEWAY_URL={hub_urls.replace('nats://', f'nats://{GATEWAY_USER}:{hub[GATEWAY_USER]}@')}",
            f"NATS_NOTIFIER_URL={hub_urls.replace('nats://', f'nats://{NOTIFIER_USER}:{hub[NOTIFIER_USER]}@')}", ""]))
        write_private(folder / "hub-watch.env", "\n".join([  # the operator's credentials: for the watch alone
            f"SAMEN030_TOPOLOGY={HUB}", f"SAMEN030_FEDERATION={ETC}/federation.toml", f"SAMEN030_VAR={STATE}/hub-watch",
            f"NATS_ADMIN_URL={hub_urls.replace('nats://', f'nats://{ADMIN_USER}:{hub[ADMIN_USER]}@')}", ""]))
        (folder / "samen030-city.service").write_text(_unit(
            "SAMEN030 city: gateway, projector, notifier", f"{samen030} city", after="samen030-nats.service",
            env_file=f"{ETC}/samen030.env"))
        monitors = " ".join(f"--monitor http://{n}:{MONITOR}" for n in nodes)
        (folder / "samen030-hub-watch.service").write_text(_unit(
            "SAMEN030 hub watch: sourcing resumes when a partner's leaf is back",
            f"{samen030} hub-watch {monitors}", after="samen030-nats.service", env_file=f"{ETC}/hub-watch.env"))
        written += [config, folder / "samen030.env", folder / "hub-watch.env",
                    *(folder / f"samen030-{u}.service" for u in ("nats", "city", "hub-watch"))]
    handover = out / "partners"
    handover.mkdir(exist_ok=True)
    for partner in partners:
        path = handover / f"{partner}.json"
        write_private(path, json.dumps({"partner": partner, "leaf_user": partner, "leaf_password": links[partner],
                                        "hub": [f"{n}:{LEAF}" for n in nodes]}, indent=2))
        written.append(path)
    return written


def deploy_node(federation: Federation, partner: str, hub: list[str], credentials: dict, out: Path,
                tls_dir: str | None = None, nats_server: str = "/usr/local/bin/nats-server",
                samen030: str = "/opt/samen030/bin/samen030") -> list[Path]:
    """`credentials`: what the hub's operator handed over (partners/<partner>.json of `deploy hub`)."""
    federation.partner(partner)
    if credentials.get("partner") != partner or not credentials.get("leaf_password"):
        raise SystemExit(f"samen030 deploy node: the credentials are not {partner}'s (partners/{partner}.json of "
                         "`samen030 deploy hub`)")
    out.mkdir(parents=True, exist_ok=True)
    local = _secrets(out / "node-secrets.json", [partner, ADMIN_USER])
    config = out / "nats.conf"
    write_private(config, leaf_server_config(
        partner=partner, partners=list(federation.partners), client_port=CLIENT, store_dir=STATE / "nats",
        passwords=local, hub_leaf_urls=hub or credentials.get("hub", []), leaf_password=credentials["leaf_password"],
        monitor_port=MONITOR, tls=_tls(tls_dir)))
    write_private(out / "samen030.env", "\n".join([
        f"SAMEN030_TOPOLOGY={HUB}", f"NATS_URL=nats://{partner}:{local[partner]}@127.0.0.1:{CLIENT}",
        f"SAMEN030_FEDERATION={ETC}/federation.toml", f"SAMEN030_VAR={STATE}", f"SAMEN030_KEYS={STATE}/keys",
        f"DATABASE_URL=postgresql+psycopg://samen030@localhost/{partner}", ""]))
    (out / "samen030-leaf.service").write_text(_unit(f"SAMEN030 {partner} leaf nats-server", f"{nats_server} -c {ETC}/nats.conf"))
    (out / "samen030-node.service").write_text(_unit(
        f"SAMEN030 {partner} node", f"{samen030} node --partner {partner}", after="samen030-leaf.service",
        env_file=f"{ETC}/samen030.env"))
    return [out / "node-secrets.json", config, out / "samen030.env", out / "samen030-leaf.service",
            out / "samen030-node.service"]
