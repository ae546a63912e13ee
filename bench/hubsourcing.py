"""Figures 13–14 (`make bench`, or alone: `.venv/bin/python bench/hubsourcing.py`): the hub topology's
bus, on loopback (tests/topology.py: 3 hub nats-servers and a leaf, kernel/topology.py's configurations,
`sync_interval: always` everywhere).

13. Propagation through leaf → hub sourcing: 525 events published at a partner's leaf at 50/s (open
    loop; the first 25 warm-up), each timed from its publish to its arrival at an ordered consumer of
    the hub copy — beside the same on one nats-server (publish to the stream, consume from it), measured
    in the same run. p50 and p99.
14. Catch-up after an outage: the partner's link cut, 10,000 events published at its leaf (acknowledged
    there), the link restored with the hub's watch running (samen030 hub-watch, as deployed): the time
    from the restore until the hub copy holds them all, and the rate.
"""
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import nats  # noqa: E402
from nats.js.api import StreamConfig  # noqa: E402

from samen030.kernel.bus import provision_at  # noqa: E402
from samen030.kernel.natsserver import free_port, nats_server_binary, wait_for_port, write_config  # noqa: E402
from samen030.status import watch_links  # noqa: E402
from tests.topology import Topology  # noqa: E402

PARTNER = "benchpartner"
SUBJECT = f"samen030.{PARTNER}.directory.offer.created"
COUNT, WARMUP, RATE, OUTAGE = 525, 25, 50.0, 10_000


async def _latencies(publish_js, consume_js, stream: str) -> list[float]:
    sent, got, done = {}, {}, asyncio.Event()

    async def arrived(message):
        event_id = message.headers["Nats-Msg-Id"]
        if event_id in sent and event_id not in got:
            got[event_id] = time.perf_counter()
            if len(got) == COUNT:
                done.set()
    sub = await consume_js.subscribe(f"samen030.{PARTNER}.>", stream=stream, ordered_consumer=True, cb=arrived,
                                     deliver_policy=nats.js.api.DeliverPolicy.NEW)
    began = time.perf_counter()
    for i in range(COUNT):
        await asyncio.sleep(max(0.0, began + i / RATE - time.perf_counter()))
        event_id = f"lat-{time.time_ns()}-{i}"
        sent[event_id] = time.perf_counter()
        await publish_js.publish(SUBJECT, b"{}", headers={"Nats-Msg-Id": event_id})
    await asyncio.wait_for(done.wait(), 60)
    await sub.unsubscribe()
    ordered = list(sent)[WARMUP:]
    return [(got[e] - sent[e]) * 1000 for e in ordered]


def _percentiles(ms: list[float]) -> dict:
    ms = sorted(ms)
    return {"p50": statistics.median(ms), "p99": ms[int(len(ms) * 0.99) - 1]}


async def _single(workdir: Path) -> dict:
    port = free_port()
    config = write_config(workdir / "single.conf", port, workdir / "single-js")
    proc = subprocess.Popen([nats_server_binary(), "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc)
        nc = await nats.connect(f"nats://127.0.0.1:{port}")
        js = nc.jetstream()
        await js.add_stream(StreamConfig(name=f"samen030-{PARTNER}", subjects=[f"samen030.{PARTNER}.>"]))
        figures = _percentiles(await _latencies(js, js, f"samen030-{PARTNER}"))
        await nc.close()
        return figures
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def _hub(top: Topology) -> tuple[dict, dict]:
    await provision_at(top.leaf_url(PARTNER, "admin"), [PARTNER])
    await provision_at(top.hub_url("admin"), [PARTNER], give_up_after=30, hub_copies=True)
    leaf = await nats.connect(top.leaf_url(PARTNER), inbox_prefix=f"_INBOX_{PARTNER}")
    admin = await nats.connect(top.hub_url("admin").split(","))
    ljs, hjs = leaf.jetstream(), admin.jetstream()
    await ljs.publish(SUBJECT, b"{}", headers={"Nats-Msg-Id": "first"})  # the sourcing set up
    while (await hjs.stream_info(f"hub-{PARTNER}")).state.messages < 1:
        await asyncio.sleep(0.05)
    propagation = _percentiles(await _latencies(ljs, hjs, f"hub-{PARTNER}"))

    before = (await hjs.stream_info(f"hub-{PARTNER}")).state.messages
    stop = asyncio.Event()
    watch = asyncio.create_task(watch_links(top.hub_url("admin"), [f"http://127.0.0.1:{s.monitor_port}" for s in top.hub],
                                            [PARTNER], stop))
    top.links[PARTNER].cut()
    while top.leaf_connected(PARTNER):
        await asyncio.sleep(0.05)
    fast = leaf.jetstream(publish_async_max_pending=2000)
    began = time.perf_counter()
    for start in range(0, OUTAGE, 1000):
        acks = [await fast.publish_async(SUBJECT, b"{}", headers={"Nats-Msg-Id": f"out-{i}"})
                for i in range(start, start + 1000)]
        await asyncio.gather(*acks)
    published_s = time.perf_counter() - began
    top.links[PARTNER].restore()
    restored = time.perf_counter()
    while (await hjs.stream_info(f"hub-{PARTNER}")).state.messages < before + OUTAGE:
        await asyncio.sleep(0.02)
    caught_up = time.perf_counter() - restored
    stop.set()
    await watch
    await leaf.close()
    await admin.close()
    return propagation, {"published_s": published_s, "catch_up_s": caught_up, "rate": OUTAGE / caught_up}


def measure() -> dict:
    with tempfile.TemporaryDirectory(prefix="samen030-bench-hub-") as workdir:
        single = asyncio.run(_single(Path(workdir)))
        top = Topology.make(Path(workdir) / "hub", [PARTNER]).start()
        try:
            top.wait_until(lambda: top.leaf_connected(PARTNER), 30, "the leaf connected")
            hub, outage = asyncio.run(_hub(top))
        finally:
            top.stop()
    return {"single": single, "hub": hub, "outage": outage}


if __name__ == "__main__":
    f = measure()
    print(f"propagation, one nats-server:        p50 {f['single']['p50']:.2f} ms  p99 {f['single']['p99']:.2f} ms")
    print(f"propagation, leaf -> hub sourcing:   p50 {f['hub']['p50']:.2f} ms  p99 {f['hub']['p99']:.2f} ms")
    o = f["outage"]
    print(f"catch-up after a {OUTAGE:,}-event outage: published at the leaf in {o['published_s']:.1f} s; all at the hub "
          f"{o['catch_up_s']:.2f} s after the link returned ({o['rate']:,.0f} events/s)")
