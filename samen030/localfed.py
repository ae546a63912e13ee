"""`samen030 run`: the whole local federation as separate processes, supervised until Ctrl-C."""
import asyncio
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from urllib.parse import urlsplit

import requests as http

from samen030.demo import load_demo
from samen030.demo_members import load_demo_members
from samen030.demo_requests import load_demo_requests
from samen030.kernel import keys
from samen030.kernel.auth import issue_token
from samen030.kernel.config import load_federation, port_of, var_dir
from samen030.kernel.bus import provision_at
from samen030.kernel.nats_users import ADMIN_USER
from samen030.kernel.natsserver import credentials_url, wait_for_port
from samen030.notifier.mail import smtp_url
from samen030.notifier.webhook_secrets import ensure_webhook_secrets, secrets_file


PR_SET_PDEATHSIG = 1
MAIN_RESOURCE = {"directory": "offers", "requests": "requests", "members": "members"}


class Supervisor:
    def __init__(self, logs):
        self.logs, self.children, self.stopping = logs, {}, False
        self.restarts: dict[str, tuple[int, float]] = {}

    def start(self, name: str, args: list[str]) -> None:
        log = open(self.logs / f"{name}.log", "ab")
        proc = subprocess.Popen([sys.executable, "-m", "samen030", *args], stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, preexec_fn=_die_with_parent)
        self.children[name] = (args, proc)

    def restart_dead(self) -> None:
        for name, (args, proc) in list(self.children.items()):
            count, not_before = self.restarts.get(name, (0, 0.0))
            if proc.poll() is not None and not self.stopping and time.monotonic() >= not_before:
                print(f"  {name} exited with {proc.returncode}; restarting (log: {self.logs / name}.log)", flush=True)
                self.restarts[name] = (count + 1, time.monotonic() + min(2 ** count, 30))
                self.start(name, args)

    def stop(self) -> None:
        self.stopping = True
        for _args, proc in reversed(list(self.children.values())):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for _args, proc in self.children.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()


def _die_with_parent() -> None:
    """Children have their own sessions (so Ctrl-C reaches only the supervisor, which stops them in
    order); on Linux they are also told to stop if the supervisor itself is killed."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def wait_healthy(url: str, supervisor: Supervisor, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        supervisor.restart_dead()
        try:
            if http.get(url + "/health", timeout=1).ok:
                return
        except http.RequestException:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not become healthy in {timeout}s")


def run_local_federation(load_demo_data: bool = True) -> None:
    federation = load_federation()
    var = var_dir()
    for partner in federation.partners:  # each partner signs with its own key, made on first start
        keys.create(partner)
    ensure_webhook_secrets(federation.partners)  # each partner its own, for the notifier to sign its webhooks
    logs = var / "logs"
    logs.mkdir(exist_ok=True)
    supervisor = Supervisor(logs)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if "NATS_URL" not in os.environ:
            supervisor.start("nats", ["nats"])
            wait_for_port(port_of(federation.nats_url.replace("nats://", "http://")))
            provision_streams(federation, var)
        urls = {}
        for partner in federation.partners.values():
            for service, url in partner.services.items():
                supervisor.start(f"{partner.id}-{service}", ["serve", service, "--partner", partner.id])
                urls[f"{partner.id} {service}"] = url
            supervisor.start(f"{partner.id}-relay", ["relay", "--partner", partner.id])
            if "requests" in partner.services:
                supervisor.start(f"{partner.id}-followup", ["followup", "--partner", partner.id])
        keeping = [arg for p in federation.partners.values() if {"members", "requests"} & set(p.services)
                   for arg in ("--partner", p.id)]
        if keeping:  # retention periods: SAMEN030_RETENTION_*_DAYS (samen030/retention.py)
            supervisor.start("retention", ["retention", *keeping, "--every", "3600"])
        supervisor.start("gateway", ["gateway"])
        supervisor.start("projector", ["projector"])
        mail = urlsplit(smtp_url())
        if mail.hostname in ("127.0.0.1", "localhost"):  # no real mail server: keep the mails in var/mail
            supervisor.start("smtp-sink", ["smtp-sink"])
            wait_for_port(mail.port or 25)
        supervisor.start("notifier", ["notifier"])
        for url in [federation.gateway_url, *urls.values()]:
            wait_healthy(url, supervisor)
        if load_demo_data:
            load_demo(federation, log=lambda line: print(line, flush=True))
            load_demo_members(federation, log=lambda line: print(line, flush=True))
            load_demo_requests(federation, federation.gateway_url, log=lambda line: print(line, flush=True))
        tokens = {p: issue_token(p, "coordinator", f"coordinator-{p}") for p in federation.partners}
        (var / "tokens.json").write_text(json.dumps(tokens, indent=2))
        _print_where_to_look(federation, urls, var)
        while True:
            time.sleep(1)
            supervisor.restart_dead()
    except KeyboardInterrupt:
        print("\nstopping the federation…", flush=True)
    finally:
        supervisor.stop()


def provision_streams(federation, var) -> None:
    """The operator's part on the embedded server: every partner's stream, made as admin (a partner's
    user may not make streams there)."""
    done = asyncio.run(provision_at(credentials_url(federation.nats_url, ADMIN_USER, var / "nats"),
                                    list(federation.partners)))
    if done is None:
        raise RuntimeError(f"the embedded nats-server at {federation.nats_url} does not answer")
    for stream, outcome in done.items():
        if outcome.startswith("refused"):
            print(f"  stream {stream}: {outcome}", flush=True)


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt


def _print_where_to_look(federation, urls, var) -> None:
    gw = federation.gateway_url
    lines = ["", "SAMEN030 federation is running", "",
             f"  gateway         {gw}/api/v1/offers   (API docs: {gw}/docs, spec: {gw}/openapi.json)",
             f"  partners        {gw}/api/v1/partners",
             f"  city figures    {gw}/api/v1/figures/requests   (?format=csv; members: {gw}/api/v1/figures/members)",
             f"  NATS            {federation.nats_url}"]
    lines += [f"  {name:<32}{url}/{MAIN_RESOURCE[name.split()[1]]}" for name, url in urls.items()]
    lines += [f"  {'mails to coordinators':<32}{var / 'mail'}/*.eml   (SMTP sink at {smtp_url()})",
              f"  {'failed notifications':<32}samen030 notifications --failed",
              f"  {'webhook secrets':<32}{secrets_file()}   (one partner's: samen030 notifications --webhook-secret P)"]
    lines += ["", f"  coordinator tokens: {var / 'tokens.json'} (12 h; `samen030 token --partner P` for a new one)",
              f"  partners' keys:     {keys.keys_dir()}   logs: {var / 'logs'}", "  Ctrl-C stops everything.", ""]
    print("\n".join(lines), flush=True)
