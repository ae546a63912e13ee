"""`samen030 run`: the whole local federation, supervised until Ctrl-C: the embedded nats-server, one
process per partner's node (`samen030 node`: its services, relay, follow-up and retention) and one for
the city (`samen030 city`: gateway, portal, projector, notifier and the local SMTP sink).

It starts every time: each part is waited for until it answers (SAMEN030_START_SECONDS, 180 by default,
whatever else the machine is doing), progress is reported as parts come up, and a part that fails is
named with the last lines of its log before everything is stopped cleanly."""
import asyncio
import json
import os
import signal
import sys
import time
from urllib.parse import urlsplit

from samen030.demo import load_demo
from samen030.demo_members import load_demo_members
from samen030.demo_requests import load_demo_requests
from samen030.kernel import keys
from samen030.kernel.auth import issue_token
from samen030.kernel.bus import provision_at
from samen030.kernel.config import load_federation, port_of, var_dir
from samen030.kernel.natsserver import ADMIN_USER, credentials_url, free_port, nats_server_binary
from samen030.kernel.topology import HUB, SINGLE
from samen030.notifier.mail import smtp_url
from samen030.notifier.webhook_secrets import ensure_webhook_secrets, secrets_file
from samen030.run_metrics import serve_run_metrics
from samen030.supervisor import PartFailed, Supervisor

MAIN_RESOURCE = {"directory": "offers", "requests": "requests", "members": "members"}


def start_seconds() -> float:
    return float(os.environ.get("SAMEN030_START_SECONDS", 180))


def run_local_federation(load_demo_data: bool = True, metrics_port: int = 0, topology: str = SINGLE) -> None:
    began = time.monotonic()
    federation = load_federation()
    var = var_dir()
    for partner in federation.partners:  # each partner signs with its own key, made on first start
        keys.create(partner)
    ensure_webhook_secrets(federation.partners)  # each partner its own, for the notifier to sign its webhooks
    supervisor = Supervisor(var / "logs", start_seconds())
    for sig in (signal.SIGTERM, signal.SIGINT):  # SIGINT too: a shell's background job starts with it ignored
        signal.signal(sig, _interrupt)
    nats_monitor, hub, node_env, city_env = None, None, {}, {}
    try:
        if topology == HUB:
            hub = start_hub(federation, var, supervisor)
            nats_monitor = f"http://127.0.0.1:{hub.servers[0].monitor_port}"
            node_env = {p: {"NATS_URL": hub.leaf_url(p), "SAMEN030_TOPOLOGY": HUB} for p in federation.partners}
            city_env = {"SAMEN030_TOPOLOGY": HUB, "SAMEN030_HUB_URL": hub.hub_url(),
                        "SAMEN030_HUB_MONITOR_URLS": hub.monitor_urls()}
            _say(f"3 hub nats-servers and {len(federation.partners)} leaves ready ({time.monotonic() - began:.1f} s; "
                 f"{var / 'nats' / 'servers.json'})")
        elif "NATS_URL" not in os.environ:
            monitor_port = free_port()
            nats_monitor = f"http://127.0.0.1:{monitor_port}"
            supervisor.start("nats", ["nats", "--monitor-port", str(monitor_port)])
            supervisor.wait_for_port("nats", port_of(federation.nats_url.replace("nats://", "http://")))
            provision_streams(federation, var)
            _say(f"nats-server ready ({time.monotonic() - began:.1f} s)")
        for partner in federation.partners.values():
            supervisor.start(partner.id, ["node", "--partner", partner.id], env=node_env.get(partner.id))
        local_mail = urlsplit(smtp_url()).hostname in ("127.0.0.1", "localhost")
        supervisor.start("city", ["city", *(["--mail-sink"] if local_mail else [])], env=city_env or None)
        if hub:  # the hub's operator: sourcing resumes as soon as a partner's leaf is back
            supervisor.start("hub-watch", ["hub-watch"], env={"SAMEN030_METRICS_PORT": ""})  # not run's port
        _say(f"{len(federation.partners)} partners and the city starting…")
        metrics = metrics_port and serve_run_metrics(supervisor, metrics_port, nats_monitor)
        parts = {p.id: [f"{url}/health" for url in p.services.values()] for p in federation.partners.values()}
        parts["city"] = [f"{federation.gateway_url}/health", f"{federation.portal_url}/health"]
        supervisor.wait_until_ready(parts, lambda name, seconds: _say(
            f"  {'gateway' if name == 'city' else name} ready ({seconds:.1f} s)"))
        _say(f"ready in {time.monotonic() - began:.1f} s")
        if load_demo_data:
            load_demo(federation, log=_say)
            load_demo_members(federation, log=_say)
            load_demo_requests(federation, federation.gateway_url, log=_say)
        tokens = {p: issue_token(p, "coordinator", f"coordinator-{p}") for p in federation.partners}
        keys.write_private(var / "tokens.json", json.dumps(tokens, indent=2))  # only for who runs the federation
        _print_where_to_look(federation, var, local_mail, metrics_port if metrics else None, hub)
        while True:
            time.sleep(1)
            if supervisor.restart_dead() and hub:
                _write_servers(hub, supervisor)
    except PartFailed as failure:
        print(f"\n{failure}", file=sys.stderr, flush=True)
        supervisor.stop()
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        _say("\nstopping the federation…")
    finally:
        supervisor.stop()


def provision_streams(federation, var) -> None:
    """The operator's part on the embedded server: every partner's stream, made as admin (a partner's
    user may not make streams there)."""
    done = asyncio.run(provision_at(credentials_url(federation.nats_url, ADMIN_USER, var / "nats"),
                                    list(federation.partners), give_up_after=start_seconds()))
    if done is None:
        raise PartFailed("nats", f"the embedded nats-server at {federation.nats_url} does not answer", "")
    for stream, outcome in done.items():
        if outcome.startswith("refused"):
            _say(f"  stream {stream}: {outcome}")


def start_hub(federation, var, supervisor: Supervisor):
    """The 3 hub servers and a leaf per partner (samen030/hubfed.py), each partner's stream made at its
    leaf by the leaf's operator and the hub copies at the hub by the hub's."""
    from samen030.hubfed import LocalHub
    if "NATS_URL" in os.environ:
        raise PartFailed("nats", "--topology hub starts its own nats-servers: unset NATS_URL", "")
    hub = LocalHub(federation, var / "nats")
    for server in hub.write_configs():
        supervisor.start(server.name, [], program=[nats_server_binary(), "-c", str(server.config)])
    for server in hub.servers:
        supervisor.wait_for_port(server.name, server.client_port)
    _write_servers(hub, supervisor)
    for partner in federation.partners:
        _provisioned(f"leaf-{partner}", provision_at(hub.leaf_url(partner, ADMIN_USER), [partner],
                                                     give_up_after=start_seconds()))
    _provisioned("hub-1", provision_at(credentials_url(hub.hub_url(), ADMIN_USER, var / "nats"), list(federation.partners),
                                       give_up_after=start_seconds(), hub_copies=True))
    return hub


def _provisioned(server: str, provisioning) -> None:
    done = asyncio.run(provisioning)
    if done is None:
        raise PartFailed(server, "it does not answer", "")
    for stream, outcome in done.items():
        if outcome.startswith("refused"):
            _say(f"  stream {stream} at {server}: {outcome}")


def _write_servers(hub, supervisor: Supervisor) -> None:
    hub.write_servers_json({name: proc.pid for name, (_args, proc) in supervisor.children.items()})


def _say(line: str) -> None:
    print(line, flush=True)


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt


def _print_where_to_look(federation, var, local_mail: bool, metrics_port: int | None, hub=None) -> None:
    gw = federation.gateway_url
    lines = ["", "SAMEN030 federation is running", "",
             f"  portal          {federation.portal_url}/   (residents: search aanbod, ask a question)",
             f"  gateway         {gw}/api/v1/offers   (API docs: {gw}/docs, spec: {gw}/openapi.json)",
             f"  partners        {gw}/api/v1/partners",
             f"  city figures    {gw}/api/v1/figures/requests   (?format=csv; members: {gw}/api/v1/figures/members)",
             f"  NATS            {hub.hub_url() if hub else federation.nats_url}"
             + (f"   (3 hub servers; a leaf per partner: {var / 'nats' / 'servers.json'})" if hub else "")]
    lines += [f"  {partner.id + ' ' + service:<32}{url}/{MAIN_RESOURCE[service]}"
              for partner in federation.partners.values() for service, url in partner.services.items()]
    mails = f"{var / 'mail'}/*.eml   (SMTP sink at {smtp_url()})" if local_mail else f"sent over {smtp_url()}"
    lines += [f"  {'mails to coordinators':<32}{mails}",
              f"  {'failed notifications':<32}samen030 notifications --failed",
              f"  {'webhook secrets':<32}{secrets_file()}   (one partner's: samen030 notifications --webhook-secret P)"]
    if metrics_port:
        lines.append(f"  {'metrics':<32}http://127.0.0.1:{metrics_port}/metrics (the parts, nats-server); "
                     f"each service and the gateway at its own /metrics")
    lines += ["", f"  coordinator tokens: {var / 'tokens.json'} (12 h; `samen030 token --partner P` for a new one)",
              f"  partners' keys:     {keys.keys_dir()}   logs: {var / 'logs'}", "  Ctrl-C stops everything.", ""]
    print("\n".join(lines), flush=True)
