"""`samen030 status`: per partner, where its events are and whether they flow. In the `hub` topology,
read as the hub's operator from the hub copies' source information: whether the partner's leaf is
connected (the sourcing consumer at its leaf sends a heartbeat every second: `active` is the time
since the hub last heard from it), the sourcing lag (events in the partner's stream not yet in the
hub copy, as the leaf last told; while the link is down the hub cannot know more), and the hub copy's
size. In the `single` topology: each partner's stream on the one server."""
import asyncio

from samen030.kernel.bus import connect
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
    if kind != HUB:
        lines = [f"{'partner':<20}{'stream':<30}events"]
        lines += [f"{r['partner']:<20}{r['stream']:<30}{r.get('events', r.get('error'))}" for r in rows]
        return "\n".join(lines)
    lines = [f"{'partner':<20}{'leaf link':<14}{'sourcing lag':<14}{'last heard':<14}{'hub copy':<22}events"]
    for r in rows:
        if "error" in r:
            lines.append(f"{r['partner']:<20}{'?':<14}{'?':<14}{'?':<14}{r['stream']:<22}{r['error']}")
            continue
        link = "connected" if r["connected"] else "DOWN"
        heard = "never" if r["silent_seconds"] is None else f"{r['silent_seconds']:.1f} s ago"
        lag = "?" if r["lag"] is None else str(r["lag"])
        lines.append(f"{r['partner']:<20}{link:<14}{lag:<14}{heard:<14}{r['stream']:<22}{r['events']}"
                     + (f"   ({r['source_error']})" if r.get("source_error") else ""))
    return "\n".join(lines)
