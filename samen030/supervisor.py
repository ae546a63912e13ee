"""The local federation's parts as child processes: started, waited for until they answer, started
again when they die, and stopped together (SIGTERM to all, then up to STOP_SECONDS for each to finish
its work). A part that cannot come up is named, with the end of its log."""
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import requests as http

PR_SET_PDEATHSIG = 1
STARTS_BEFORE_GIVING_UP = 3  # a part that dies this often while starting will not come up by itself
TAIL_LINES = 20
STOP_SECONDS = 30  # a node finishes its requests (waitress) and its workers (up to 15 s) before it exits


class PartFailed(Exception):
    def __init__(self, name: str, reason: str, log_tail: str):
        super().__init__(f"samen030 run: {name} failed: {reason}"
                         + (f"\n--- the last lines of its log ---\n{log_tail}" if log_tail else ""))
        self.name = name


class Supervisor:
    def __init__(self, logs: Path, start_seconds: float):
        self.logs, self.start_seconds = logs, start_seconds
        self.logs.mkdir(parents=True, exist_ok=True)
        self.children: dict[str, tuple[list[str], subprocess.Popen]] = {}
        self.restarts: dict[str, tuple[int, float]] = {}
        self.how: dict[str, tuple[list[str] | None, dict | None]] = {}
        self.stopping = False

    def start(self, name: str, args: list[str], program: list[str] | None = None, env: dict | None = None) -> None:
        """`samen030 <args>`, or `program` (a command line of its own, e.g. a nats-server), with `env`
        added to the environment."""
        if program is not None or env is not None:
            self.how[name] = (program, env)
        program, env = self.how.get(name, (None, None))
        with open(self.log_path(name), "ab") as log:
            proc = subprocess.Popen(program or [sys.executable, "-m", "samen030", *args], stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent,
                                    env={**os.environ, **env} if env else None)
        self.children[name] = (args, proc)

    def log_path(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def restart_dead(self, quiet: bool = False) -> list[str]:
        """Start again what died (waiting longer after each death); the names of those started."""
        started = []
        for name, (args, proc) in list(self.children.items()):
            count, not_before = self.restarts.get(name, (0, 0.0))
            if proc.poll() is not None and not self.stopping and time.monotonic() >= not_before:
                if not quiet:
                    print(f"  {name} exited with {proc.returncode}; restarting (log: {self.log_path(name)})", flush=True)
                self.restarts[name] = (count + 1, time.monotonic() + min(2 ** count, 30))
                self.start(name, args)
                started.append(name)
        return started

    def wait_for_port(self, name: str, port: int) -> None:
        deadline = time.monotonic() + self.start_seconds
        while time.monotonic() < deadline:
            self._still_starting(name)
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.05)
        raise PartFailed(name, f"nothing listens on port {port} after {self.start_seconds:.0f} s", self.tail(name))

    def wait_until_ready(self, parts: dict[str, list[str]], on_ready: Callable[[str, float], None]) -> None:
        """Until every part answers 200 at each of its URLs; `on_ready(name, seconds)` as each does."""
        began, waiting = time.monotonic(), dict(parts)
        while waiting:
            for name in list(waiting):
                self._still_starting(name)
                if all(_answers(url) for url in waiting[name]):
                    del waiting[name]
                    on_ready(name, time.monotonic() - began)
            if waiting and time.monotonic() - began > self.start_seconds:
                name = next(iter(waiting))
                raise PartFailed(name, f"it did not answer within {self.start_seconds:.0f} s "
                                       f"({', '.join(waiting[name])})", self.tail(name))
            time.sleep(0.2)

    def _still_starting(self, name: str) -> None:
        """Start a part again that died while starting; give up after STARTS_BEFORE_GIVING_UP deaths."""
        _args, proc = self.children[name]
        if proc.poll() is None:
            return
        deaths = self.restarts.get(name, (0, 0.0))[0] + 1
        if deaths >= STARTS_BEFORE_GIVING_UP:
            raise PartFailed(name, f"it exited with {proc.returncode} {deaths} times while starting", self.tail(name))
        self.restart_dead(quiet=True)

    def tail(self, name: str) -> str:
        try:
            lines = self.log_path(name).read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-TAIL_LINES:])

    def stop(self) -> None:
        """The samen030 parts first, then what they stand on (the nats-servers started as programs of
        their own), so that no node loses its broker while it finishes its work."""
        if self.stopping:
            return
        self.stopping = True
        parts = [name for name in self.children if not self.how.get(name, (None, None))[0]]
        for group in (parts, [name for name in self.children if name not in parts]):
            procs = [self.children[name][1] for name in reversed(group)]
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + STOP_SECONDS
            for proc in procs:
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    proc.kill()


def _answers(url: str) -> bool:
    try:
        return http.get(url, timeout=2).status_code == 200
    except http.RequestException:
        return False


def _die_with_parent() -> None:
    """Children have their own sessions (so Ctrl-C reaches only the supervisor, which stops them in
    turn); on Linux they are also told to stop if the supervisor itself is killed."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass
