"""The benchmark's own federation: a private nats-server, a temporary federation file with free ports,
temporary databases, and the processes started for it, all stopped again by `close()`."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests as http

from samen030.kernel.natsserver import free_port, start_nats, wait_for_port

PARTNERS = ["krachtstation", "buurtwerkkamer", "wijkinformatiepunt", "powerbypeers", "zorgbelang"]
RESERVED_PORTS = {4222, 8080}  # a system NATS, and the default gateway port


def bench_port() -> int:
    for _ in range(20):
        if (port := free_port()) not in RESERVED_PORTS:
            return port
    raise RuntimeError("no free port")


class Federation:
    """Everything the benchmark starts lives in `workdir` and is stopped by `close()`."""

    def __init__(self, workdir: Path, partners: list[str] = PARTNERS):
        self.workdir, self.partners = workdir, partners
        self.logs = workdir / "logs"
        self.logs.mkdir(parents=True)
        self.procs: dict[str, subprocess.Popen] = {}
        self.groups: set[str] = set()  # names of the processes that lead their own process group
        self.nats_port, self.gateway_port = bench_port(), bench_port()
        self.directory_ports = {p: bench_port() for p in partners}
        self.nats_url = f"nats://127.0.0.1:{self.nats_port}"
        self._configure_environment()

    def _configure_environment(self) -> None:
        """This process and every child read the same federation file, var dir and databases."""
        federation = self.workdir / "federation.toml"
        lines = ["[federation]", f'gateway_url = "{self.url(self.gateway_port)}"', f'nats_url = "{self.nats_url}"']
        for partner, port in self.directory_ports.items():
            lines += ["", f"[partners.{partner}]", f'name = "{partner}"',
                      f'services = {{ directory = "{self.url(port)}" }}']
        federation.write_text("\n".join(lines) + "\n")
        for name in [n for n in os.environ if n.startswith("SAMEN030_") and n.endswith("_URL")]:
            del os.environ[name]  # no override may point the benchmark at another federation
        os.environ.update(SAMEN030_FEDERATION=str(federation), SAMEN030_VAR=str(self.workdir / "var"),
                          SAMEN030_KEYS=str(self.workdir / "keys"), NATS_URL=self.nats_url)
        from samen030.kernel import keys
        for partner in self.partners:  # each signs with its own key, as `samen030 run` makes them
            keys.create(partner)
        if os.environ.get("DATABASE_URL"):  # PostgreSQL: schemas of our own, dropped by close()
            os.environ["DATABASE_SCHEMA"] = f"bench{os.getpid()}_{{partner}}_{{service}}"

    @staticmethod
    def url(port: int) -> str:
        return f"http://127.0.0.1:{port}"

    def start_nats(self) -> None:
        with open(self.logs / "nats.log", "ab") as log:
            self.procs["nats"] = start_nats(self.nats_port, self.workdir / "nats", log_file=log)

    def start(self, name: str, args: list[str], env: dict[str, str] | None = None) -> None:
        """Start `python args…` (e.g. ["-m", "samen030", "relay", …]) as its own process group; `env`
        overrides some of this process's environment (another federation file, say)."""
        with open(self.logs / f"{name}.log", "ab") as log:
            self.procs[name] = subprocess.Popen([sys.executable, *args], stdout=log, stderr=subprocess.STDOUT,
                                                start_new_session=True, env={**os.environ, **(env or {})})
        self.groups.add(name)

    def start_samen030(self, name: str, *args: str, env: dict[str, str] | None = None) -> None:
        self.start(name, ["-m", "samen030", *args], env)

    def wait_healthy(self, name: str, port: int, path: str = "/health", timeout: float = 30) -> None:
        wait_for_port(port, self.procs[name], timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if http.get(self.url(port) + path, timeout=2).ok:
                    return
            except http.RequestException:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"{name} is not healthy after {timeout}s (log: {self.logs / name}.log)")

    def stop(self, *names: str) -> None:
        for name in names:
            if (proc := self.procs.get(name)) is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name in names:
            if (proc := self.procs.pop(name, None)) is not None:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    if name in self.groups:  # gunicorn's workers too
                        os.killpg(proc.pid, signal.SIGKILL)
                    else:
                        proc.kill()
                    proc.wait(timeout=5)

    def close(self) -> None:
        self.stop(*[n for n in self.procs if n != "nats"])
        self.stop("nats")
        if os.environ.get("DATABASE_URL"):
            self._drop_schemas()

    def _drop_schemas(self) -> None:
        from sqlalchemy import MetaData
        from samen030.kernel.database import open_database
        nodes = [(p, "directory") for p in self.partners] + [("city", "gateway"), ("benchrelay", "directory")]
        for partner, service in nodes:  # benchrelay: figure 3's outbox
            open_database(partner, service, MetaData()).drop_schema()
