"""Figure 2, gateway offer search: the read model is filled with offers of 5 partners through the real
pipeline (offer + outbox rows in each partner's directory database → relay → JetStream → projector),
then a fresh gateway (gunicorn, 2 sync workers × 1 thread) and a minimal Flask JSON endpoint served
the same way are each loaded by bench/loadgen.py in its own process: 32 connections, closed loop,
1 s warm-up, 5 s measured."""
import json
import random
import subprocess
import sys
import time
from pathlib import Path

import requests as http

from dataset import insert_offers
from infra import Federation, bench_port

from samen030.directory.tables import metadata
from samen030.kernel.database import open_database

BENCH_DIR = Path(__file__).resolve().parent
SEARCHES = {"wijk": "wijk=WK034408", "wijk+category": "wijk=WK034408&category=praktische-hulp"}


def gateway_total(port: int, query: str = "") -> int:
    response = http.get(f"http://127.0.0.1:{port}/api/v1/offers?per_page=1&{query}", timeout=5)
    response.raise_for_status()
    return response.json()["total_items"]


def load_readmodel(fed: Federation, per_partner: int = 2000, timeout: float = 120) -> dict:
    """Write `per_partner` offers at each partner; wait until the gateway shows all of them."""
    expected = gateway_total(fed.gateway_port) + per_partner * len(fed.partners)
    rng = random.Random(2)
    started = time.perf_counter()
    for n, partner in enumerate(fed.partners):
        insert_offers(open_database(partner, "directory", metadata), partner, per_partner, rng,
                      first=10_000 + n * per_partner)
    written = time.perf_counter()
    while (total := gateway_total(fed.gateway_port)) < expected:
        if time.perf_counter() - written > timeout:
            raise TimeoutError(f"the read model has {total} of {expected} offers after {timeout}s")
        time.sleep(0.2)
    done = time.perf_counter()
    return {"offers": total, "write_s": written - started, "pipeline_s": done - written,
            "pipeline_events_per_s": per_partner * len(fed.partners) / (done - written)}


def run_loadgen(port: int, path: str, connections: int = 32, warmup: float = 1.0, duration: float = 5.0) -> dict:
    command = [sys.executable, str(BENCH_DIR / "loadgen.py"), "--port", str(port), "--path", path,
               "--connections", str(connections), "--warmup", str(warmup), "--duration", str(duration)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=warmup + duration + 30, check=True)
    return json.loads(done.stdout)


def measure(fed: Federation) -> dict:
    """Load the minimal endpoint, then each gateway search; both servers run side by side, idle when not loaded."""
    gateway_port, minimal_port = bench_port(), bench_port()
    fed.start_samen030("gateway-search", "gateway", "--port", str(gateway_port), "--workers", "2", "--threads", "1")
    fed.start("minimal-flask", [str(BENCH_DIR / "minimal_app.py"), str(minimal_port)])
    try:
        fed.wait_healthy("gateway-search", gateway_port)
        fed.wait_healthy("minimal-flask", minimal_port, "/ok")
        results = {"matches": {name: gateway_total(gateway_port, query) for name, query in SEARCHES.items()},
                   "minimal": run_loadgen(minimal_port, "/ok")}
        for name, query in SEARCHES.items():
            results[name] = run_loadgen(gateway_port, f"/api/v1/offers?{query}&per_page=25")
        return results
    finally:
        fed.stop("gateway-search", "minimal-flask")
