"""Figures 9–11, a partner's node on a small machine, each beside the old form measured in the same run.

The new form is what `samen030 run` starts now: per partner one process (`samen030 node`), the city in
one (`samen030 city`), the embedded nats-server. The old form is what it started before, rebuilt here
process by process: per partner each service on gunicorn (master + worker), a relay and a follow-up
worker; retention, gateway (gunicorn, 2 sync workers), projector, notifier and SMTP sink each a process;
point-to-point calls and forwarded writes giving up after 5 s. Both on free ports, SQLite, 6 partners.

9.  Start: from launch until every part answers /health, with two CPU-bound processes
    (`python -c "while True: pass"`) busy beside it: the new form 5 times, the old form once.
10. Memory and idle CPU: RSS of one partner's processes and of the whole federation, and the CPU one
    partner's processes use over 10 s of idling, after the demo data is loaded.
11. A hung partner (SIGSTOP of its processes): forwarded writes to it at the gateway (8 at a time, for
    6 s) and meanwhile 32 connections reading other partners' offers at the gateway (loadgen.py)."""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests as http

from infra import bench_port

BENCH_DIR = Path(__file__).resolve().parent
PARTNERS = ["krachtstation", "buurtwerkkamer", "wijkinformatiepunt", "powerbypeers", "zorgbelang", "samen030"]
SERVICES = ("directory", "requests", "members")
HUNG, READ = "zorgbelang", "krachtstation"


class LocalFederation:
    """A federation file on free ports and a folder of its own; `start_new()` / `start_old()` launch it."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.urls = {(p, s): f"http://127.0.0.1:{bench_port()}" for p in PARTNERS for s in SERVICES}
        self.gateway = f"http://127.0.0.1:{bench_port()}"
        lines = ["[federation]", f'gateway_url = "{self.gateway}"', f'nats_url = "nats://127.0.0.1:{bench_port()}"',
                 f'portal_url = "http://127.0.0.1:{bench_port()}"']
        for p in PARTNERS:
            services = ", ".join(f'{s} = "{self.urls[(p, s)]}"' for s in SERVICES)
            lines += [f"[partners.{p}]", f'name = "{p}"', f"services = {{ {services} }}",
                      f'notify = {{ email = ["coordinatoren@{p}.samen030.test"] }}']
        (workdir / "federation.toml").write_text("\n".join(lines) + "\n")
        self.env = {**{k: v for k, v in os.environ.items() if k not in ("NATS_URL", "DATABASE_URL", "DATABASE_SCHEMA")},
                    "SAMEN030_FEDERATION": str(workdir / "federation.toml"), "SAMEN030_VAR": str(workdir / "var"),
                    "SAMEN030_KEYS": str(workdir / "keys"), "SAMEN030_SMTP_URL": f"smtp://127.0.0.1:{bench_port()}"}
        self.procs: dict[str, subprocess.Popen] = {}

    def health_urls(self) -> list[str]:
        return [f"{u}/health" for u in [self.gateway, *self.urls.values()]]

    def launch(self, name: str, *args: str, env: dict | None = None) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "ab")
        self.procs[name] = subprocess.Popen([sys.executable, "-m", "samen030", *args], stdout=log,
                                            stderr=subprocess.STDOUT, env={**self.env, **(env or {})},
                                            start_new_session=True)
        return self.procs[name]

    def start_new(self, demo: bool = False) -> float:
        """`samen030 run`; seconds until it says it is running."""
        began = time.monotonic()
        proc = self.launch("run", "run", *([] if demo else ["--no-demo"]))
        log = self.workdir / "run.log"
        while "federation is running" not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() - began > 300:
                raise RuntimeError(f"samen030 run did not come up: {log.read_text(errors='replace')[-1500:]}")
            time.sleep(0.05)
        return time.monotonic() - began

    def start_old(self) -> float:
        """The processes of the old form; seconds until every part answers /health."""
        began = time.monotonic()
        old = {"SAMEN030_PEER_TIMEOUT_SECONDS": "5"}
        for p in PARTNERS:  # what `samen030 run` does first
            subprocess.run([sys.executable, "-m", "samen030", "keys", "create", "--partner", p], env=self.env,
                           capture_output=True, check=True)
        self.launch("nats", "nats")
        _wait(lambda: subprocess.run([sys.executable, "-m", "samen030", "streams"], env=self.env,
                                     capture_output=True).returncode == 0, 120, "streams")
        for p in PARTNERS:
            for s in SERVICES:
                self.launch(f"{p}-{s}", "serve", s, "--partner", p, env=old)
            self.launch(f"{p}-relay", "relay", "--partner", p)
            self.launch(f"{p}-followup", "followup", "--partner", p)
        self.launch("retention", "retention", *[a for p in PARTNERS for a in ("--partner", p)], "--every", "3600")
        self.launch("gateway", "gateway", "--workers", "2", "--threads", "1", env=old)
        self.launch("projector", "projector")
        self.launch("notifier", "notifier")
        self.launch("smtp-sink", "smtp-sink")
        _wait(lambda: all(_answers(u) for u in self.health_urls()), 300, "the old form's services")
        return time.monotonic() - began

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT if proc.args[3:4] == ["run"] else signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.procs.clear()

    def pids(self) -> dict[str, list[int]]:
        """{partner or "all": pids}: every process of the federation, and those of each partner."""
        every = [pid for proc in self.procs.values() for pid in [proc.pid, *_descendants(proc.pid)]]
        mine = {p: [pid for pid in every if _names_partner(pid, p)] for p in PARTNERS}
        return {"all": every, **mine}


def _descendants(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = [int(c) for c in children.read_text().split()] if children.exists() else []
    return found + [d for c in found for d in _descendants(c)]


def _names_partner(pid: int, partner: str) -> bool:
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"--partner" in args and args[args.index(b"--partner") + 1] == partner.encode() and b"retention" not in args


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            total += int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1))
        except (OSError, AttributeError):
            pass
    return total / 1024


def cpu_seconds(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def idle_cpu_share(pids: list[int], seconds: float = 10.0) -> float:
    before = cpu_seconds(pids)
    time.sleep(seconds)
    return (cpu_seconds(pids) - before) / seconds


def _answers(url: str) -> bool:
    try:
        return http.get(url, timeout=2).status_code == 200
    except http.RequestException:
        return False


def _wait(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not ready after {timeout:.0f} s")
        time.sleep(0.1)


class CpuHogs:
    """Two CPU-bound processes beside the measurement, as other programs on a busy machine."""

    def __enter__(self):
        self.procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
        return self

    def __exit__(self, *_exc):
        for proc in self.procs:
            proc.kill()
            proc.wait()


def hung_partner(fed: LocalFederation) -> dict:
    """SIGSTOP the hung partner's processes; forwarded writes to it and 32 readers of another partner's
    offers at the gateway meanwhile."""
    token = _token(fed)
    stopped = fed.pids()[HUNG]
    for pid in stopped:
        os.kill(pid, signal.SIGSTOP)
    writes, done = [], threading.Event()

    def write():
        while not done.is_set():
            began = time.perf_counter()
            try:
                status = http.post(f"{fed.gateway}/api/v1/partners/{HUNG}/offers", json={"name": "x"}, timeout=30,
                                   headers={"Authorization": f"Bearer {token}"}).status_code
            except http.RequestException:
                status = "error"
            writes.append((time.perf_counter() - began, status))
    writers = [threading.Thread(target=write) for _ in range(8)]
    try:
        for thread in writers:
            thread.start()
        port = int(fed.gateway.rsplit(":", 1)[1])
        reads = json.loads(subprocess.run(
            [sys.executable, str(BENCH_DIR / "loadgen.py"), "--port", str(port), "--path",
             f"/api/v1/offers?partner={READ}&per_page=5", "--connections", "32", "--warmup", "1", "--duration", "5"],
            capture_output=True, text=True, timeout=60, check=True).stdout)
    finally:
        done.set()
        for thread in writers:
            thread.join(timeout=40)
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
    seconds = sorted(s for s, _status in writes)
    return {"reads": reads, "writes": len(writes), "write_statuses": sorted({str(s) for _s, s in writes}),
            "write_max_s": seconds[-1] if seconds else float("nan"),
            "write_p50_s": seconds[len(seconds) // 2] if seconds else float("nan")}


def _token(fed: LocalFederation) -> str:
    return subprocess.run([sys.executable, "-m", "samen030", "token", "--partner", HUNG], env=fed.env,
                          capture_output=True, text=True, check=True).stdout.strip()


def measure_form(start, runs: int) -> dict:
    """`start(fed)` `runs` times under CPU load (start seconds each), then once more idle with the demo
    for memory, idle CPU and the hung partner."""
    starts = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="samen030-node-") as workdir:
            fed = LocalFederation(Path(workdir))
            try:
                with CpuHogs():
                    starts.append(start(fed))
            except RuntimeError as exc:
                starts.append(None)
                print(f"      a start failed: {str(exc)[:300]}", flush=True)
            finally:
                fed.stop()
    with tempfile.TemporaryDirectory(prefix="samen030-node-") as workdir:
        fed = LocalFederation(Path(workdir))
        try:
            try:
                start(fed)
            except RuntimeError as exc:
                print(f"      the start for the memory and hung-partner figures failed: {str(exc)[:300]}", flush=True)
                return {"starts": starts, "failed": True}
            subprocess.run([sys.executable, "-m", "samen030", "demo"], env=fed.env, capture_output=True, timeout=120)
            time.sleep(5)
            pids = fed.pids()
            figures = {"starts": starts, "node_rss_mb": rss_mb(pids[READ]), "node_processes": len(pids[READ]),
                       "all_rss_mb": rss_mb(pids["all"]), "all_processes": len(pids["all"]),
                       "node_idle_cpu": idle_cpu_share(pids[READ])}
            figures["hung"] = hung_partner(fed)
            return figures
        finally:
            fed.stop()


def measure(runs: int = 5) -> dict:
    return {"new": measure_form(LocalFederation.start_new, runs), "old": measure_form(LocalFederation.start_old, 1)}
