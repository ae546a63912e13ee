"""Figure 1, event propagation: offers are POSTed to the partners' directories (round robin) at a
steady rate, paced open loop (each write starts at its scheduled time whatever earlier writes do).
From the moment its 201 arrives, each offer is polled at the gateway (GET /api/v1/offers/<id>, a
keep-alive connection per offer, ~1 ms between polls) until it answers 200. The time between the
201 and that 200 is the propagation latency: directory commit → relay → JetStream → projector →
read model → gateway API."""
import asyncio
import json
import random
import time
from dataclasses import dataclass, field

from dataset import offer_fields
from loadgen import percentile
from rawhttp import Connection, build_request, json_request

from samen030.kernel.auth import issue_token

HOST = "127.0.0.1"
OFFERS, WARMUP_OFFERS, RATE = 500, 25, 50.0  # measured offers, unmeasured first offers, writes per second
POLL_INTERVAL = 0.001
GIVE_UP_AFTER = 10.0


@dataclass
class Propagation:
    latencies: list[float] = field(default_factory=list)  # seconds, measured offers only
    write_latencies: list[float] = field(default_factory=list)
    failed_writes: int = 0
    lost: int = 0  # not at the gateway GIVE_UP_AFTER seconds after their 201
    polls: int = 0
    seconds: float = 0.0

    def summary(self) -> dict:
        return {"offers": len(self.latencies), "p50_ms": percentile(self.latencies, 50) * 1000,
                "p99_ms": percentile(self.latencies, 99) * 1000, "max_ms": max(self.latencies, default=0) * 1000,
                "write_p50_ms": percentile(self.write_latencies, 50) * 1000,
                "write_p99_ms": percentile(self.write_latencies, 99) * 1000,
                "failed_writes": self.failed_writes, "lost": self.lost,
                "polls_per_s": self.polls / self.seconds if self.seconds else 0}


async def _one_offer(result: Propagation, measured: bool, start_at: float, directory_port: int, token: str,
                     gateway_port: int, fields: dict) -> None:
    await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
    post = json_request("POST", HOST, directory_port, "/offers", fields, {"Authorization": f"Bearer {token}"})
    writer = Connection(HOST, directory_port)
    try:
        sent = time.perf_counter()
        status, body = await writer.send(post)
        created = time.perf_counter()
    except (OSError, asyncio.IncompleteReadError):
        status = None
    finally:
        writer.close()
    if status != 201:
        result.failed_writes += 1
        return
    offer_id = json.loads(body)["id"]
    poll = build_request("GET", HOST, gateway_port, f"/api/v1/offers/{offer_id}")
    gateway = Connection(HOST, gateway_port)
    try:
        while time.perf_counter() - created < GIVE_UP_AFTER:
            try:
                status, _body = await gateway.send(poll)
            except (OSError, asyncio.IncompleteReadError):
                gateway.close()
                status = None
            result.polls += 1
            if status == 200:
                if measured:
                    result.latencies.append(time.perf_counter() - created)
                    result.write_latencies.append(created - sent)
                return
            await asyncio.sleep(POLL_INTERVAL)
        result.lost += 1
    finally:
        gateway.close()


async def measure(directory_ports: dict[str, int], gateway_port: int, offers: int = OFFERS, rate: float = RATE,
                  warmup_offers: int = WARMUP_OFFERS, seed: int = 1) -> dict:
    """Write `warmup_offers` + `offers` offers at `rate`/s; the first `warmup_offers` are not counted."""
    rng = random.Random(seed)
    partners = list(directory_ports)
    tokens = {p: issue_token(p, "coordinator", "bench") for p in partners}
    result = Propagation()
    start = time.perf_counter() + 0.1
    tasks = []
    for n in range(warmup_offers + offers):
        partner = partners[n % len(partners)]
        tasks.append(_one_offer(result, n >= warmup_offers, start + n / rate, directory_ports[partner],
                                tokens[partner], gateway_port, offer_fields(rng, n)))
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=(warmup_offers + offers) / rate + GIVE_UP_AFTER + 30)
    result.seconds = time.perf_counter() - start
    return result.summary()
