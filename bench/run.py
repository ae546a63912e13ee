"""SAMEN030 benchmark (`make bench`): twelve figures measured in one run on this machine, each printed
beside its target. Targets are reported, never asserted: the exit status is non-zero only on a crash.

The benchmark starts its own federation in a temporary directory: a private nats-server (JetStream,
the project's default sync_interval, no per-partner users), 5 partners' directory services with their
relays, the gateway projector and the gateway, each with `python -m samen030 …` as `samen030 run`
starts them, on free ports (never 4222 or 8080), with SQLite files in the temporary directory (or
DATABASE_URL's PostgreSQL, in schemas of its own). Everything it starts is stopped again, also on
failure or SIGTERM. All of it shares this machine's CPUs, so other load skews the figures: the CPU
time used by processes the benchmark did not start is printed, with a warning above 5%.

1. Event propagation (bench/propagation.py): 525 offers POSTed round robin to the 5 directories at
   50/s, paced open loop; for each, the time from its 201 to its first 200 from the gateway's
   GET /api/v1/offers/<id>, polled every ~1 ms. The first 25 are warm-up. Target: p99 < 100 ms.
2. Gateway search (bench/search.py): 10,000 more offers of 5 partners loaded into the read model
   through the real pipeline (outbox rows → relays → JetStream → projector); the pipeline's
   processes are then stopped and a gateway with 2 sync gunicorn workers is loaded with 32 connections
   (bench/loadgen.py, its own process) next to a minimal Flask JSON endpoint served the same way.
   Targets: requests/s ratio gateway/minimal ≥ 0.5 and gateway p99 < 20 ms.
3. Relay throughput (bench/relaythroughput.py): a 20,000-row outbox backlog drained by Relay, next
   to raw nats-py publish_async of the same messages. Target: ratio relay/raw ≥ 0.25.
4. City-wide search (bench/citysearch.py, texts from bench/citydata.py): a read model of its own with
   10,000 offers of 20 partners, in Dutch-ish words ("Koffieochtend in buurthuis De Leeuw"), loaded
   without NATS: offer.created events built by the directory's own offer_event (→ new_event) applied
   through readmodel_projection(db).apply in batches of 500. A gateway with a federation file of those
   20 partners (2 sync gunicorn workers) answers GET /api/v1/search?q=buurthuis&wijk=WK034408 (~2% of
   the city) and ?q=koffie (~a fifth), each loaded with 32 connections next to the minimal Flask
   endpoint, measured again beside it. The partners' /health is a stub that answers 200, so no offer
   is marked stale. Targets: ratio gateway/minimal ≥ 0.5 and p99 < 20 ms.
5. Import speed (bench/importspeed.py): `samen030 import` of a 10,000-service HSDS CSV set (~112,000
   rows in 14 files) into a fresh SQLite directory, timed from start to exit: CSV rows/s and
   services/s, next to a floor — the same CSV rows inserted as text by plain sqlite3 executemany in one
   transaction, also a process of its own. No target (the floor only shows what the rest costs).
6. City figures over 100,000 help requests (bench/requestfigures.py): a read model of its own filled by
   the projector's handlers without NATS (95,000 requests as rows built by request_row, 5,000 handovers
   with their referral.sent through apply_request / apply_referral); GET /api/v1/figures/requests for
   the whole year and for one month, in-process (Flask test client), median of 7 calls, next to a plain
   `SELECT wijk, count(*) … GROUP BY wijk` over the same table. No target; the ratio is times the plain count.
7. Intake at one partner on PostgreSQL (bench/intake.py): POST /requests (validation, request, consents,
   transition record, event in the outbox: one transaction) on `samen030 serve requests` with 2 sync
   workers, 32 connections, next to a minimal Flask endpoint that inserts the same JSON as one row with
   plain psycopg, served the same way. PostgreSQL: DATABASE_URL when it is one, else
   SAMEN030_BENCH_POSTGRES_URL, else the local postgresql://postgres@127.0.0.1:5432/test; skipped with a
   note when it cannot be reached. No target.
8. Verifying a token (bench/tokens.py): kernel/tokens.verify of a coordinator's EdDSA JWT signed with
   its partner's own key, in-process, per call (median of 7 rounds of 2,000), next to the check before
   each partner had its own key (an itsdangerous HMAC token of the one federation secret) and a bare
   Ed25519 signature check. No target; the ratio is times the old check.
9–11. A partner's node on a small machine (bench/smallnode.py), beside the old form (every service and
   worker a process of its own) measured in the same run: `samen030 run` until every part answers with
   two CPU-bound processes busy beside it (5 runs; the old form once), target < 15 s; one node's RSS
   (< 150 MB) and idle CPU (< 2% of a core), the whole federation's RSS (< 1 GB); a hung partner
   (SIGSTOP): forwarded writes to it answer 503 in < 2 s while 32 connections reading other partners'
   offers at the gateway all get answers (p99 reported).
12. Catching up (bench/catchup.py): 10,000 events of one partner (offers created and updated in several
   versions, help requests, volunteers, counts) already in its stream on the benchmark's nats-server; the
   gateway's projection fed by kernel/consumer.consume from a new durable consumer applies them to a fresh
   read model, on SQLite and on PostgreSQL (as figure 7 finds it; skipped with a note when it cannot be
   reached): events/s from the consumer's start to the last event applied, next to the per-event apply
   path of before (a jsonschema validation, a query, a savepoint and a freshness update per event) fed
   the same way with 2,000 such events. Target: ≥ 3,000 events/s on SQLite.
13–14. The hub topology (bench/hubsourcing.py): propagation through leaf → hub sourcing beside one
   nats-server, p50/p99; the hub's catch-up after a 10,000-event outage of a partner's link. No target.
15–16. The shared web portal (bench/portal.py): the residents' search page over 10,000 offers (figure 4's
   read model, built again), server time in-process with the gateway in-process as `samen030 city` runs
   it, p50/p95 beside the gateway's /api/v1/search JSON for the same query (ratio = times as long); the
   bytes of CSS + JS a first visit to / loads, beside the HTML's own. No target.
"""
import asyncio
import logging
import os
import platform
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import catchup
import citysearch
import hubsourcing
import importspeed
import propagation
import relaythroughput
import intake
import portal
import requestfigures
import search
import smallnode
import tokens
from infra import Federation


@dataclass
class Row:
    figure: str
    ours: str
    reference: str = "—"
    ratio: float | None = None
    target: str = "—"
    met: bool | None = None


def log(message: str) -> None:
    print(message, flush=True)


def cpu_seconds() -> tuple[float, float] | None:
    """(busy CPU-seconds of the whole machine, CPU-seconds of this process and its reaped children)."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(v) for v in stat.readline().split()[1:8]]
    except OSError:
        return None  # not Linux
    mine = os.times()
    busy = sum(ticks) - ticks[3] - ticks[4]  # all but idle and iowait
    return busy / os.sysconf("SC_CLK_TCK"), mine.user + mine.system + mine.children_user + mine.children_system


def foreign_load(since: tuple[float, float] | None, seconds: float) -> float | None:
    """Share of the machine's CPU capacity used by processes this benchmark did not start."""
    now = cpu_seconds()
    if since is None or now is None:
        return None
    return max(0.0, (now[0] - since[0]) - (now[1] - since[1])) / (seconds * os.cpu_count())


def start_federation(fed: Federation) -> None:
    fed.start_nats()
    for partner, port in fed.directory_ports.items():
        fed.start_samen030(f"{partner}-directory", "serve", "directory", "--partner", partner, "--port", str(port))
        fed.start_samen030(f"{partner}-relay", "relay", "--partner", partner)
    fed.start_samen030("projector", "projector")
    fed.start_samen030("gateway", "gateway", "--port", str(fed.gateway_port), "--workers", "1", "--threads", "4")
    for partner, port in fed.directory_ports.items():
        fed.wait_healthy(f"{partner}-directory", port)
    fed.wait_healthy("gateway", fed.gateway_port)


def stop_pipeline(fed: Federation) -> None:
    fed.stop(*[f"{p}-{kind}" for p in fed.partners for kind in ("directory", "relay")], "projector", "gateway")


def propagation_rows(p: dict) -> list[Row]:
    return [Row("propagation p50 (201 → gateway 200)", f"{p['p50_ms']:.1f} ms"),
            Row("propagation p99", f"{p['p99_ms']:.1f} ms", target="p99 < 100 ms", met=p["p99_ms"] < 100)]


def load_rows(label: str, results: dict, searches) -> list[Row]:
    """req/s beside the minimal endpoint's, and p99, for each search of a load test."""
    minimal, rows = results["minimal"], []
    for name in searches:
        ours = results[name]
        ratio = ours["rps"] / minimal["rps"] if minimal["rps"] else float("nan")
        rows += [Row(f"{label} {name}: req/s, 32 conns", f"{ours['rps']:.0f} req/s", f"{minimal['rps']:.0f} req/s",
                     ratio, "ratio ≥ 0.5", ratio >= 0.5),
                 Row(f"{label} {name}: p99", f"{ours['p99_ms']:.1f} ms", f"{minimal['p99_ms']:.1f} ms",
                     None, "p99 < 20 ms", ours["p99_ms"] < 20)]
    return rows


def relay_rows(r: dict) -> list[Row]:
    ratio = r["relay_events_per_s"] / r["raw_events_per_s"]
    return [Row(f"relay, {r['rows']:,} backlog: events/s", f"{r['relay_events_per_s']:.0f} ev/s",
                f"{r['raw_events_per_s']:.0f} ev/s", ratio, "ratio ≥ 0.25", ratio >= 0.25)]


def import_rows(i: dict, floor: dict) -> list[Row]:
    ratio = i["csv_rows_per_s"] / floor["csv_rows_per_s"]
    return [Row(f"import, {i['services']:,} services: CSV rows/s", f"{i['csv_rows_per_s']:,.0f} rows/s",
                f"{floor['csv_rows_per_s']:,.0f} rows/s", ratio),
            Row("import: services/s", f"{i['services_per_s']:,.0f} services/s")]


def figures_rows(f: dict) -> list[Row]:
    reference = f"{f['reference_ms']:.1f} ms"
    return [Row(f"request figures, {f['requests']:,} requests: {name}", f"{f[name]['ms']:.0f} ms", reference,
                f[name]["ms"] / f["reference_ms"]) for name in requestfigures.QUERIES] + [
            Row("request figures: whole period as CSV", f"{f['csv']:.0f} ms", reference, f["csv"] / f["reference_ms"])]


def run_request_figures(workdir: Path) -> dict:
    log(f"[6/14] city figures: {requestfigures.REQUESTS:,} help requests and {requestfigures.REFERRALS:,} referrals "
        "into a read model of its own through the projector's handlers, then GET /api/v1/figures/requests in-process …")
    figures = requestfigures.measure(workdir)
    log(f"      {figures['events']:,} events built in {figures['build_s']:.1f} s, loaded in {figures['load_s']:.1f} s; "
        f"the whole period counts {figures['whole period']['received']:,} requests and "
        f"{figures['whole period']['referred']:,} referrals, one month {figures['one month']['received']:,}")
    return figures


def intake_rows(i: dict | None) -> list[Row]:
    if i is None:
        return [Row("intake (PostgreSQL)", "skipped: no PostgreSQL")]
    return [Row("intake POST /requests (PostgreSQL)", f"{i['intake']['rps']:,.0f} req/s", f"{i['minimal']['rps']:,.0f} req/s",
                i["intake"]["rps"] / i["minimal"]["rps"]),
            Row("intake p99", f"{i['intake']['p99_ms']:.1f} ms", f"{i['minimal']['p99_ms']:.1f} ms")]


def run_intake(fed: Federation) -> dict | None:
    log("[7/14] intake: POST /requests at one partner on PostgreSQL vs a one-row psycopg insert (32 connections, 1 s + 5 s each) …")
    try:
        result = intake.measure(fed)
    except Exception as exc:  # no PostgreSQL here: the other figures still count
        log(f"      skipped: {type(exc).__name__}: {str(exc)[:200]}")
        return None
    log(f"      {result['intake']['ok']:,} requests taken in ({result['rows']:,} rows and {result['events']:,} events "
        f"incl. warm-up), errors {result['intake']['errors']}; reference errors {result['minimal']['errors']}")
    return result


def run_catchup(fed: Federation, workdir: Path) -> dict:
    log(f"[12/14] catching up: {catchup.EVENTS:,} events in a partner's stream, then the projector's consumer from "
        f"zero, on SQLite and PostgreSQL, vs the per-event path of before on {catchup.REFERENCE:,} …")
    result = asyncio.run(catchup.measure(fed.nats_url, workdir))
    for kind in ("SQLite", "PostgreSQL"):
        if (r := result[kind]) is not None:
            log(f"      {kind}: {r['stored']['applied']:,} applied ({r['stored']['offers']:,} offers) in "
                f"{r['ours']['seconds']:.2f} s, {r['ours']['batches']} batches, applying {r['ours']['applying_s']:.2f} s; "
                f"reference {r['reference_stored']['applied']:,} in {r['reference']['seconds']:.2f} s")
        else:
            log(f"      {kind} skipped: {result['postgres_skipped']}")
    log(f"      events built and published in {result['prepare_s']:.1f} s")
    return result


def catchup_rows(c: dict) -> list[Row]:
    rows = []
    for kind in ("SQLite", "PostgreSQL"):
        if (r := c[kind]) is None:
            rows.append(Row(f"catch-up ({kind})", "skipped: no PostgreSQL"))
            continue
        ours, before = r["ours"]["events_per_s"], r["reference"]["events_per_s"]
        target = ("≥ 3,000 ev/s", ours >= 3000) if kind == "SQLite" else ("—", None)
        rows.append(Row(f"catch-up, {c['events']:,} events from a stream ({kind})", f"{ours:,.0f} ev/s",
                        f"{before:,.0f} ev/s", ours / before, *target))
    return rows


def token_rows(t: dict) -> list[Row]:
    return [Row("verify a token, in-process (EdDSA JWT)", f"{t['ours_us']:.0f} µs", f"{t['before_us']:.0f} µs",
                t["ours_us"] / t["before_us"]),
            Row("  of which the Ed25519 signature check", f"{t['ed25519_us']:.0f} µs"),
            Row("  token size", f"{t['token_bytes']} bytes", f"{t['before_bytes']} bytes")]


def node_rows(s: dict) -> list[Row]:
    new, old = s["new"], s["old"]
    ok = [t for t in new["starts"] if t is not None]
    starts = f"{len(ok)}/{len(new['starts'])} up, max {max(ok):.1f} s" if ok else "none came up"
    old_start = f"{old['starts'][0]:.1f} s" if old["starts"][0] is not None else "did not come up"
    if new.get("failed") or old.get("failed"):
        return [Row("make run to ready, 2 CPU hogs beside it", starts, old_start),
                Row("node memory, idle CPU, hung partner", "not measured: a start failed (see above)")]
    hung, old_hung = new["hung"], old["hung"]
    return [Row("make run to ready, 2 CPU hogs beside it", starts, old_start, None, "5/5, < 15 s",
                len(ok) == len(new["starts"]) and max(ok) < 15),
            Row(f"one partner's node idle: RSS ({new['node_processes']} vs {old['node_processes']} processes)",
                f"{new['node_rss_mb']:.0f} MB", f"{old['node_rss_mb']:.0f} MB", new["node_rss_mb"] / old["node_rss_mb"],
                "< 150 MB", new["node_rss_mb"] < 150),
            Row("one partner's node idle: CPU", f"{new['node_idle_cpu']:.1%} of a core", f"{old['node_idle_cpu']:.1%}",
                None, "< 2% of a core", new["node_idle_cpu"] < 0.02),
            Row(f"whole federation RSS ({new['all_processes']} vs {old['all_processes']} processes)",
                f"{new['all_rss_mb']:.0f} MB", f"{old['all_rss_mb']:.0f} MB", new["all_rss_mb"] / old["all_rss_mb"],
                "< 1 GB", new["all_rss_mb"] < 1024),
            Row("hung partner: forwarded write answers (max)", f"{hung['write_max_s']:.2f} s "
                f"({', '.join(hung['write_statuses'])})", f"{old_hung['write_max_s']:.2f} s", None, "503 < 2 s",
                hung["write_statuses"] == ["503"] and hung["write_max_s"] < 2),
            Row("hung partner: 32 readers of another partner, p99", _reads(hung["reads"]), _reads(old_hung["reads"]),
                None, "all answer", hung["reads"]["errors"] == 0 and hung["reads"]["ok"] > 0)]


def hub_rows(h: dict) -> list[Row]:
    one, hub, out = h["single"], h["hub"], h["outage"]
    return [Row("propagation leaf → hub copy (sourcing), p50", f"{hub['p50']:.1f} ms", f"{one['p50']:.1f} ms",
                hub["p50"] / one["p50"]),
            Row("propagation leaf → hub copy (sourcing), p99", f"{hub['p99']:.1f} ms", f"{one['p99']:.1f} ms",
                hub["p99"] / one["p99"]),
            Row(f"hub catch-up after a {hubsourcing.OUTAGE:,}-event outage", f"{out['rate']:,.0f} events/s "
                f"({out['catch_up_s']:.2f} s)")]


def _reads(reads: dict) -> str:
    """p99 of the reads answered in 5 s, how many, and how many failed (none answered: no p99)."""
    p99 = f"{reads['p99_ms']:.0f} ms" if reads["ok"] else "none answered"
    return f"{p99}, {reads['ok']:,} ok, {reads['errors']} errors"


def run_portal(workdir: Path) -> dict:
    log(f"[15–16] the portal: the search page over {citysearch.OFFERS:,} offers in-process (figure 4's read model, "
        f"built again) beside the gateway's JSON, {portal.CALLS} calls each; the bytes of a first visit to / …")
    pages = portal.measure(workdir)
    visit = pages["first_visit"]
    log("      matching: " + ", ".join(f"{name} {r['matches']:,}" for name, r in pages["searches"].items())
        + f"; first visit: {', '.join(visit['assets'])}")
    return pages


def portal_rows(p: dict) -> list[Row]:
    rows = []
    for name, r in p["searches"].items():
        ours, json = r["portal"], r["gateway"]
        rows += [Row(f"portal search page, {p['offers']:,} offers, {name}: p95", f"{ours['p95_ms']:.1f} ms",
                     f"{json['p95_ms']:.1f} ms", ours["p95_ms"] / json["p95_ms"]),
                 Row("  p50", f"{ours['p50_ms']:.1f} ms", f"{json['p50_ms']:.1f} ms", ours["p50_ms"] / json["p50_ms"])]
    v = p["first_visit"]
    return rows + [Row("portal first visit to /: CSS + JS", f"{v['css_bytes'] + v['js_bytes']:,} bytes "
                       f"(JS {v['js_bytes']:,})", f"HTML {v['html_bytes']:,} bytes"),
                   Row("  the same gzip-compressed", f"{v['assets_gzip']:,} bytes", f"HTML {v['html_gzip']:,} bytes")]


def print_table(rows: list[Row]) -> None:
    cells = [["figure", "ours", "reference", "ratio", "target", "result"]]
    cells += [[r.figure, r.ours, r.reference, "—" if r.ratio is None else f"{r.ratio:.2f}", r.target,
               "—" if r.met is None else ("met" if r.met else "NOT MET")] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    for n, row in enumerate(cells):
        log("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if n == 0:
            log("  ".join("-" * width for width in widths))


def main() -> None:
    began = time.perf_counter()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop what we started also when terminated
    logging.getLogger("samen030.kernel.bus").setLevel(logging.ERROR)  # a closing connection logs "disconnected"
    database = "PostgreSQL (DATABASE_URL)" if os.environ.get("DATABASE_URL") else "SQLite"
    log(f"SAMEN030 benchmark: {os.cpu_count()} CPUs, Python {platform.python_version()}, {database}, "
        f"nats-server sync_interval {os.environ.get('SAMEN030_NATS_SYNC', 'always')}")
    cpu_at_start = cpu_seconds()
    with tempfile.TemporaryDirectory(prefix="samen030-bench-") as workdir:
        fed = Federation(Path(workdir))
        try:
            log(f"starting nats-server, {len(fed.partners)} directories + relays, projector, gateway …")
            start_federation(fed)
            log(f"[1/14] propagation: {propagation.WARMUP_OFFERS} + {propagation.OFFERS} offers "
                f"at {propagation.RATE:.0f} writes/s …")
            prop = asyncio.run(propagation.measure(fed.directory_ports, fed.gateway_port))
            log(f"      {prop['offers']} measured, {prop['lost']} lost, {prop['failed_writes']} failed writes; "
                f"directory POST p50 {prop['write_p50_ms']:.1f} ms, p99 {prop['write_p99_ms']:.1f} ms; "
                f"gateway polled {prop['polls_per_s']:.0f} times/s")
            log("[2/14] search: loading 10,000 offers through outbox → relay → JetStream → projector …")
            loaded = search.load_readmodel(fed)
            log(f"      read model: {loaded['offers']:,} offers (incl. figure 1's); rows written in "
                f"{loaded['write_s']:.1f} s, then through the pipeline in {loaded['pipeline_s']:.1f} s "
                f"= {loaded['pipeline_events_per_s']:.0f} events/s")
            stop_pipeline(fed)
            log("      load-testing the minimal Flask endpoint and the gateway (32 connections, 1 s + 5 s each) …")
            found = search.measure(fed)
            log("      matching offers: " + ", ".join(f"{k} {v}" for k, v in found["matches"].items())
                + "; errors: " + ", ".join(f"{k} {found[k]['errors']}" for k in ["minimal", *search.SEARCHES]))
            log("[3/14] relay: 20,000-row outbox backlog vs raw publish_async …")
            relay = asyncio.run(relaythroughput.measure(fed.nats_url))
            log(f"      {relay['rows']:,} events of ~{relay['payload_bytes']} bytes: relay {relay['relay_s']:.2f} s, "
                f"raw {relay['raw_s']:.2f} s; messages in the streams: {relay['stream_messages']}")
            caught_up = run_catchup(fed, Path(workdir))
            fed.stop("nats")  # figures 4 and 5 need no bus
            found_city, imported, floor = run_city_and_import(fed, Path(workdir))
            figures = run_request_figures(Path(workdir))
            pages = run_portal(Path(workdir))
            taken_in = run_intake(fed)
            log("[8/14] tokens: verifying a coordinator's token in-process vs the one-secret HMAC token of before …")
            checked = tokens.measure()
            log("[9–11/14] a partner's node: samen030 run 5 times with two CPU hogs, the old form once; then memory, "
                "idle CPU and a hung partner in each form …")
            small = smallnode.measure()
            log("[13–14/14] the hub topology: propagation leaf → hub sourcing beside one nats-server; catch-up after a "
                f"{hubsourcing.OUTAGE:,}-event outage of a partner's link …")
            hub = hubsourcing.measure()
        finally:
            fed.close()
    seconds = time.perf_counter() - began
    if (foreign := foreign_load(cpu_at_start, seconds)) is not None:
        log(f"CPU used by processes the benchmark did not start: {foreign:.0%} of the machine"
            + ("  — WARNING: the figures are skewed by that load" if foreign > 0.05 else ""))
    log("")
    print_table(propagation_rows(prop) + load_rows("search", found, search.SEARCHES) + relay_rows(relay) + load_rows("city search", found_city, citysearch.SEARCHES)
                + import_rows(imported, floor) + figures_rows(figures) + intake_rows(taken_in) + token_rows(checked)
                + node_rows(small) + catchup_rows(caught_up) + hub_rows(hub) + portal_rows(pages))
    log(f"\nsearch and city search reference: minimal Flask `return {{'ok': True}}`, same gunicorn setup "
        f"(2 sync workers), measured beside each; relay reference: raw nats-py publish_async;\nimport reference: "
        f"the same CSV rows by plain sqlite3 executemany (a floor);\nrequest figures reference: a plain count per wijk "
        f"over the same 100,000 rows (ratio = times as long);\nintake reference: one-row psycopg insert of the same JSON, same gunicorn setup;\ntoken reference: the HMAC token of one federation secret that every service checked before (itsdangerous);\ncatch-up reference: the per-event apply path of before (bench/catchup.py OneByOne), fed the same way;\nhub topology reference: publish and consume on one nats-server;\nportal search page reference: the gateway's /api/v1/search JSON for the query the page sends, in-process beside it\n(total {seconds:.0f} s; targets are "
        "reported, not asserted)")


def run_city_and_import(fed: Federation, workdir: Path) -> tuple:
    city = citysearch.City(workdir / "city", fed.nats_url)
    try:
        log(f"[4/14] city search: {citysearch.OFFERS:,} offers of {len(citysearch.PARTNERS)} partners into a read model "
            f"of its own, without NATS: offer.created events built by the directory's offer_event (new_event) in a "
            f"helper process, applied through readmodel_projection(db).apply in batches of {citysearch.BATCH} …")
        loaded = citysearch.load_readmodel(city)
        log(f"      {loaded['events']:,} events applied in {loaded['seconds']:.1f} s = {loaded['events_per_s']:.0f} "
            f"events/s (applying alone {loaded['apply_s']:.1f} s = {loaded['applied_per_s']:.0f} events/s)")
        log("      load-testing the minimal Flask endpoint and the city gateway (32 connections, 1 s + 5 s each) …")
        found = citysearch.measure(fed, city)
        log(f"      read model: {found['offers']:,} offers; matching: "
            + ", ".join(f"{k} {v}" for k, v in found["matches"].items())
            + "; errors: " + ", ".join(f"{k} {found[k]['errors']}" for k in ["minimal", *citysearch.SEARCHES])
            + f"; partners' /health answered 200 by a stub: stale offers {found['stale']}")
    finally:
        citysearch.drop(city)
    log(f"[5/14] import: samen030 import of a {importspeed.SERVICES:,}-service HSDS CSV set into SQLite"
        + (" (SQLite also under DATABASE_URL)" if os.environ.get("DATABASE_URL") else "") + " …")
    imports = workdir / "import"
    imports.mkdir()
    imported = importspeed.measure(imports, timeout=300)
    floor = importspeed.floor(imported["source"], imports)
    log(f"      {imported['csv_rows']:,} CSV rows in {imported['seconds']:.1f} s (validating {imported['validating_s']} s, "
        f"writing {imported['writing_s']} s); floor: {floor['csv_rows']:,} rows in {floor['seconds']:.2f} s")
    return found, imported, floor


if __name__ == "__main__":
    main()
