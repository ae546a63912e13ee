"""`samen030 status`: per partner, where its events are and whether they flow. In the `hub` topology,
read as the hub's operator from the hub copies' source information: whether the partner's leaf is
connected (the sourcing consumer at its leaf sends a heartbeat every second: `active` is the time
since the hub last heard from it), the sourcing lag (events in the partner's stream not yet in the
hub copy, as the leaf last told; while the link is down the hub cannot know more), and the hub copy's
size. In the `single` topology: each partner's stream on the one server."""
import asyncio

from samen030.kernel.bus import connect
from samen030.kernel.leaf_links import leaves_seen
from samen030.kernel.topology import HUB, reading

LINK_SILENT_AFTER = 5.0  # seconds without a heartbeat of the leaf's sourcing consumer: the link is down


async def partner_status(url: str, partners: list[str], kind: str, timeout: float = 10.0) -> list[dict] | None:
    """One row per partner; None when NATS at `url` does not answer."""
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(timeout, stop.set)
    nc = await connect(url, "samen030-status", stop)
    if nc is None:
        return None
    try:
        js, rows = nc.jetstream(timeout=3), []
        for partner in partners:
            stream, _domain = reading(partner, None, kind)
            row = {"partner": partner, "stream": stream}
            try:
                info = await js.stream_info(stream)
            except Exception as exc:
                rows.append({**row, "error": getattr(exc, "description", None) or type(exc).__name__})
                continue
            row.update(events=info.state.messages, last_seq=info.state.last_seq)
            if kind == HUB:
                source = (info.sources or [None])[0]
                silent = None if source is None or source.active is None or source.active < 0 else source.active / 1e9
                row.update(connected=silent is not None and silent < LINK_SILENT_AFTER,
                           silent_seconds=silent, lag=source.lag if source else None,
                           source_error=(source.error or {}).get("description") if source and source.error else None)
            rows.append(row)
        return rows
    finally:
        await nc.close()


def format_status(rows: list[dict], kind: str) -> str:
    width = max([len(r["partner"]) for r in rows] + [7]) + 2
    copy = max([len(r["stream"]) for r in rows] + [8]) + 2
    if kind != HUB:
        lines = [f"{'partner':<{width}}{'stream':<{copy}}events"]
        lines += [f"{r['partner']:<{width}}{r['stream']:<{copy}}{r.get('events', r.get('error'))}" for r in rows]
        return "\n".join(lines)
    lines = [f"{'partner':<{width}}{'leaf link':<12}{'sourcing lag':<14}{'last heard':<13}{'hub copy':<{copy}}events"]
    for r in rows:
        if "error" in r:
            lines.append(f"{r['partner']:<{width}}{'?':<12}{'?':<14}{'?':<13}{r['stream']:<{copy}}{r['error']}")
            continue
        link = "connected" if r["connected"] else "DOWN"
        heard = "never" if r["silent_seconds"] is None else f"{r['silent_seconds']:.1f} s ago"
        lag = "?" if r["lag"] is None else str(r["lag"])
        lines.append(f"{r['partner']:<{width}}{link:<12}{lag:<14}{heard:<13}{r['stream']:<{copy}}{r['events']}"
                     + (f"   ({r['source_error']})" if r.get("source_error") else ""))
    return "\n".join(lines)


# --- the hub's watch over the links --------------------------------------------------------------------
#
# A hub copy whose source fell silent (the partner's link down) is retried by nats-server on a backoff
# of its own: first after 10 s, then 20 s, … up to 2 minutes. So after a long outage the hub would wait
# up to 2 minutes after the link returned before it catches up. The watch sees the partner's leaf
# connected again (the hub servers' /leafz) while its copy's source is still silent, and asks the copy's
# leader to step down: the new leader sets the source up at once (measured: caught up < 1 s after the
# link returned, instead of 10 s after a 10 s outage).

NUDGE_COOLDOWN = 15.0  # seconds between two nudges of one hub copy
NUDGE_SILENT_AFTER = 3.0  # a source silent this long (heartbeats come every second) while its leaf is connected


def connected_leaves(monitor_urls: list[str]) -> set[str]:
    """The partners whose leaf is connected to one of the hub servers (their monitoring at `monitor_urls`).
    By the leaf's server name (`leaf-<partner>`, which its own configuration sets: a partner naming its
    leaf like another's can at worst cause a needless nudge)."""
    return leaves_seen(monitor_urls) or set()


async def nudge_stalled(js, partners: list[str], leaves_up: set[str], nudged_at: dict[str, float],
                        silent_after: float = NUDGE_SILENT_AFTER) -> list[str]:
    """Step down the leader of every hub copy whose partner's leaf is connected but whose source has
    been silent longer than `silent_after`; the partners nudged."""
    import json
    import time

    from samen030.kernel.topology import hub_stream
    nudged = []
    for partner in partners:
        if partner not in leaves_up or time.monotonic() - nudged_at.get(partner, -NUDGE_COOLDOWN) < NUDGE_COOLDOWN:
            continue
        try:
            info = await js.stream_info(hub_stream(partner))
        except Exception:
            continue
        source = (info.sources or [None])[0]
        if source is None or (source.active is not None and 0 <= source.active / 1e9 < silent_after):
            continue
        nudged_at[partner] = time.monotonic()
        try:
            answer = await nc_of(js).request(f"$JS.API.STREAM.LEADER.STEPDOWN.{hub_stream(partner)}", b"", timeout=5)
            if json.loads(answer.data).get("success"):
                nudged.append(partner)
        except Exception:
            continue
    return nudged


def nc_of(js):
    return js._nc  # nats-py's JetStreamContext keeps its connection there; it has no stream leader stepdown


async def watch_links(url: str, monitor_urls: list[str], partners: list[str], stop: asyncio.Event,
                      every: float = 1.0) -> None:
    """`samen030 hub-watch`: nudge_stalled() every `every` seconds until `stop` (as the hub's admin)."""
    import logging

    from samen030.kernel.workers import wait_or_stop
    log = logging.getLogger(__name__)
    nc = await connect(url, "samen030-hub-watch", stop)
    if nc is None:
        return
    js, nudged_at = nc.jetstream(timeout=3), {}
    try:
        while not stop.is_set():
            leaves_up = await asyncio.to_thread(connected_leaves, monitor_urls)
            for partner in await nudge_stalled(js, partners, leaves_up, nudged_at):
                log.info("%s: its leaf is back and the hub copy's source was silent: the copy's leader stepped "
                         "down, so that sourcing resumes now", partner)
            await wait_or_stop(stop, every)
    finally:
        await nc.close()
