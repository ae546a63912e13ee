"""Closed-loop HTTP load generator: N connections each send GET requests back to back for a warm-up
period and then a measured period; prints one JSON object (requests/s, p50, p99, errors).

Latency is measured per request from just before it is sent (including the TCP connect when the
server closed the previous connection, as gunicorn's sync workers do after every response) to the
last byte of the response. Requests completing inside the measured period count.

Run it in its own process so it shares no GIL with the servers or the benchmark driver:
    python bench/loadgen.py --port 8000 --path '/api/v1/offers?wijk=WK034408' --connections 32
    python bench/loadgen.py --port 8132 --path /requests --method POST --json '{"…": "…"}' \
        --header 'Authorization: Bearer …' --ok 201
"""
import argparse
import asyncio
import json
import math
import time

from rawhttp import Connection, build_request, json_request


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


async def _client(host: str, port: int, request: bytes, measure_from: float, until: float,
                  latencies: list[float], outcomes: dict, ok: int) -> None:
    conn = Connection(host, port)
    try:
        while (started := time.perf_counter()) < until:
            try:
                status, _body = await conn.send(request)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                conn.close()
                status = "error"
                await asyncio.sleep(0.001)
            finished = time.perf_counter()
            if measure_from <= finished <= until:
                outcomes[status] = outcomes.get(status, 0) + 1
                if status == ok:
                    latencies.append(finished - started)
    finally:
        conn.close()


async def run_load(host: str, port: int, path: str, connections: int, warmup: float, duration: float,
                   method: str = "GET", body: dict | None = None, headers: dict | None = None, ok_status: int = 200) -> dict:
    request = (json_request(method, host, port, path, body, headers) if body is not None
               else build_request(method, host, port, path, headers=headers))
    measure_from = time.perf_counter() + warmup
    until = measure_from + duration
    latencies: list[float] = []
    outcomes: dict = {}
    clients = [_client(host, port, request, measure_from, until, latencies, outcomes, ok_status) for _ in range(connections)]
    await asyncio.wait_for(asyncio.gather(*clients), timeout=warmup + duration + 15)
    ok = outcomes.get(ok_status, 0)
    return {"path": path, "connections": connections, "duration_s": duration, "ok": ok,
            "errors": sum(outcomes.values()) - ok, "outcomes": {str(k): v for k, v in outcomes.items()},
            "rps": ok / duration, "p50_ms": percentile(latencies, 50) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--json", help="a JSON body to send with every request")
    parser.add_argument("--header", action="append", default=[], help="'Name: value', repeatable")
    parser.add_argument("--ok", type=int, default=200, help="the status that counts as success")
    args = parser.parse_args()
    headers = dict(h.split(": ", 1) for h in args.header)
    body = json.loads(args.json) if args.json else None
    result = asyncio.run(run_load(args.host, args.port, args.path, args.connections, args.warmup, args.duration,
                                  args.method, body, headers, args.ok))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
