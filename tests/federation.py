"""Run parts of the federation as real processes, the way `samen030` starts them."""
import os
import signal
import subprocess
import sys
import time
import tomllib
from contextlib import contextmanager
from pathlib import Path

import requests

from samen030.kernel.config import REPO_ROOT, port_of
from samen030.kernel.natsserver import free_port
from tests.recording_proxy import RecordingProxy


def write_federation(path: Path, partners: list[str] | None = None, nats_url: str | None = None,
                     services: tuple[str, ...] = ("directory",), listen: dict | None = None, hub: bool = False,
                     leaf_links: dict | None = None) -> dict:
    """A copy of deploy/federation.toml on free ports; returns {partner: directory URL, ...,
    "<partner> <service>": URL for every service}. With `listen` (a dict to fill), each service and the
    gateway bind a port of their own behind their URL, `listen[name]`, for a proxy in between. With
    `hub`, the `[hub]` table on free ports; `leaf_links` ({partner: tests.topology.LinkProxy}): that
    partner's leaf dials the hub only through its proxy, which is pointed at the hub's leaf ports."""
    shipped = tomllib.loads((REPO_ROOT / "deploy" / "federation.toml").read_text())
    partners = partners or list(shipped["partners"])
    urls = {"gateway": f"http://127.0.0.1:{free_port()}", "nats": nats_url or f"nats://127.0.0.1:{free_port()}",
            "portal": f"http://127.0.0.1:{free_port()}"}
    lines = ["[federation]", f'gateway_url = "{urls["gateway"]}"', f'nats_url = "{urls["nats"]}"',
             f'portal_url = "{urls["portal"]}"']
    if listen is not None:
        listen["gateway"] = free_port()
        lines.append(f"gateway_listen = {listen['gateway']}")
    for partner in partners:
        for service in services:
            urls[f"{partner} {service}"] = f"http://127.0.0.1:{free_port()}"
        urls[partner] = urls[f"{partner} {services[0]}"]
        listed = ", ".join(f'{service} = "{urls[f"{partner} {service}"]}"' for service in services)
        lines += [f"[partners.{partner}]", f'name = "{shipped["partners"][partner]["name"]}"',
                  f"services = {{ {listed} }}", f'notify = {{ email = ["coordinatoren@{partner}.samen030.test"] }}']
        if listen is not None:
            listen.update({f"{partner} {service}": free_port() for service in services})
            lines.append("listen = { " + ", ".join(f"{s} = {listen[f'{partner} {s}']}" for s in services) + " }")
    if hub:  # `samen030 run --topology hub`: the hub servers' and the leaves' ports
        ports = [tuple(free_port() for _ in range(4)) for _ in range(3)]
        servers = ", ".join("{ client = %d, cluster = %d, leaf = %d, monitor = %d }" % mine for mine in ports)
        for link in (leaf_links or {}).values():
            link.upstream_ports = [mine[2] for mine in ports]
        via = {p: f', hub = ["127.0.0.1:{link.port}"]' for p, link in (leaf_links or {}).items()}
        leaves = ", ".join(f"{p} = {{ client = {free_port()}, monitor = {free_port()}{via.get(p, '')} }}" for p in partners)
        lines += ["[hub]", f"servers = [{servers}]", f"leaves = {{ {leaves} }}"]
    path.write_text("\n".join(lines) + "\n")
    return urls


@contextmanager
def running_federation(request, workdir: Path, partners: list[str] | None = None,
                       services: tuple[str, ...] = ("directory",), proxies: list | None = None,
                       topology: str = "single", leaf_links: dict | None = None):
    """`samen030 run --no-demo` on a federation file of its own, on SQLite or (request.param
    "postgresql") PostgreSQL schemas of its own, with its own SMTP sink; yields (urls, process).
    Stopped with Ctrl-C (SIGINT) at the end if a test did not do so itself. With `proxies` (a list to
    fill), a RecordingProxy stands in front of every service and the gateway. `leaf_links`: see
    write_federation."""
    listen = {} if proxies is not None else None
    urls = write_federation(workdir / "federation.toml", partners, services=services, listen=listen,
                            hub=topology == "hub", leaf_links=leaf_links)
    for name, port in (listen or {}).items():
        proxies.append(RecordingProxy(name, port_of(urls[name]), port))
    env = {**os.environ, "SAMEN030_FEDERATION": str(workdir / "federation.toml"), "SAMEN030_VAR": str(workdir / "var"),
           "SAMEN030_SMTP_URL": f"smtp://127.0.0.1:{free_port()}"}
    env.pop("NATS_URL", None)
    schema_prefix = f"run{os.getpid()}{workdir.name[-6:].replace('-', '')}".lower()
    if request.param == "postgresql":
        env["DATABASE_URL"] = request.getfixturevalue("postgres_url")
        env["DATABASE_SCHEMA"] = schema_prefix + "_{partner}_{service}"
    log = open(workdir / "run.log", "wb")
    urls["metrics"] = f"http://127.0.0.1:{free_port()}/metrics"  # the parts and the nats-server
    proc = subprocess.Popen([sys.executable, "-m", "samen030", "run", "--no-demo", "--topology", topology, "--metrics-port",
                             urls["metrics"].split(":")[2].split("/")[0]], env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_as_a_background_job)
    try:
        eventually(lambda: proc.poll() is not None or "federation is running" in (workdir / "run.log").read_text(),
                   timeout=120)
        assert proc.poll() is None, (workdir / "run.log").read_text()
        yield urls, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        for proxy in proxies or []:
            proxy.stop()
        if request.param == "postgresql":
            drop_schemas(env["DATABASE_URL"], schema_prefix)


def drop_schemas(url: str, prefix: str) -> None:
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    with engine.begin() as conn:
        for schema in conn.execute(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :p"),
                                   {"p": f"{prefix}%"}).scalars().all():
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()



def _as_a_background_job() -> None:
    """Start `samen030 run` as a shell's background job (`make run &`, CI) starts: with SIGINT ignored,
    which a program keeps unless it handles SIGINT itself — Ctrl-C must still stop it (the tests' SIGINT)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

class Processes:
    """Child processes of one test, each with a log file; all are stopped at the end."""

    def __init__(self, workdir: Path, env: dict):
        self.workdir, self.env, self.procs = workdir, {**os.environ, **env}, {}
        self.env.pop("NATS_URL", None)

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "ab")
        proc = subprocess.Popen([sys.executable, "-m", "samen030", *args], env=self.env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.procs[name] = proc
        return proc

    def kill(self, name: str) -> None:
        proc = self.procs[name]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

    def log(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")


def wait_healthy(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/health", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} not healthy after {timeout}s")


def eventually(check, timeout: float = 30, interval: float = 0.1):
    """Poll `check()` until it returns a truthy value; return it, or fail with the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            assert value, f"not reached in {timeout}s: {check.__doc__ or check}"
            return value
        time.sleep(interval)
