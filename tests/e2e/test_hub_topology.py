"""`samen030 run --topology hub` as processes: 3 hub nats-servers, a leaf nats-server per partner, each
partner's node against its leaf and the city against the hub. Offers written at the partners reach the
gateway (through each leaf's stream and its hub copy); var/nats/servers.json names every nats-server,
and a partner's leaf SIGKILLed there is started again by `samen030 run` and its writes still arrive.

The issue's proof (issue 11): 2,000 offers written concurrently at the partners while, in turn, a hub
server is SIGKILLed, one partner's line to the hub is cut for 10 s (its leaf dials the hub through a
TCP proxy the test owns: `hub = [...]` in the federation file's `[hub] leaves`) and another partner's
leaf is SIGKILLed: every 201 is at the gateway exactly once, the cut partner kept answering 201, and
the gateway kept answering reads, showing the cut partner's data going stale."""
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import requests

from samen030.kernel.auth import issue_token
from tests.federation import eventually, running_federation
from tests.topology import LinkProxy

PARTNERS = ["krachtstation", "zorgbelang"]
CUT = "krachtstation"  # whose line to the hub goes through the test's proxy


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def federation(request, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("hubfed")
    link = LinkProxy([])  # pointed at the hub's leaf ports by write_federation
    try:
        with running_federation(request, workdir, PARTNERS, topology="hub", leaf_links={CUT: link}) as (urls, proc):
            yield urls, proc, workdir, link
    finally:
        link.close()


def create(url: str, partner: str, name: str) -> dict:
    token = issue_token(partner, "coordinator", "coordinator")
    response = requests.post(f"{url}/offers", json={"name": name, "description": f"{name} in de buurt",
                                                   "category": "informatie", "buurt": "BU03440832"},
                             headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert response.status_code == 201, response.text
    return response.json()


def gateway_offers(urls, partner: str | None = None, listed: list | None = None) -> dict[str, str]:
    """{offer id: partner} of every offer at the gateway (of `partner` only), page by page; `listed`
    gets every id as listed (to count doubles)."""
    seen, page = {}, 1
    while True:
        body = requests.get(f"{urls['gateway']}/api/v1/offers", timeout=10,
                            params={"per_page": 200, "page": page, **({"partner": partner} if partner else {})}).json()
        seen.update({o["id"]: o["partner"] for o in body["items"]})
        if listed is not None:
            listed += [o["id"] for o in body["items"]]
        if page >= body["total_pages"]:
            return seen
        page += 1


def at_gateway(urls, offers: list[dict]) -> bool:
    seen = gateway_offers(urls)
    return all(seen.get(o["id"]) == o["partner"] for o in offers)


def gateway_partners(urls) -> list[dict]:
    return requests.get(f"{urls['gateway']}/api/v1/partners", timeout=10).json()


def servers(workdir) -> list[dict]:
    return json.loads((workdir / "var" / "nats" / "servers.json").read_text())


def status(workdir) -> str:
    env = {**os.environ, "SAMEN030_FEDERATION": str(workdir / "federation.toml"), "SAMEN030_VAR": str(workdir / "var")}
    env.pop("NATS_URL", None)
    shown = subprocess.run([sys.executable, "-m", "samen030", "status"], env=env, capture_output=True, text=True,
                           timeout=60)
    return shown.stdout + shown.stderr


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def test_the_hub_topology_runs_and_offers_reach_the_gateway(federation):
    urls, _proc, workdir, _link = federation
    listed = servers(workdir)
    assert [(s["name"], s["role"], s["partner"]) for s in listed] == [
        ("hub-1", "hub", None), ("hub-2", "hub", None), ("hub-3", "hub", None),
        ("leaf-krachtstation", "leaf", "krachtstation"), ("leaf-zorgbelang", "leaf", "zorgbelang")]
    assert all(alive(s["pid"]) and os.path.exists(s["config"]) for s in listed)
    ours = [create(urls["krachtstation"], "krachtstation", "Taalcafé"), create(urls["zorgbelang"], "zorgbelang", "Steunpunt")]
    eventually(lambda: at_gateway(urls, ours), timeout=30)
    # each leaf is connected to the hub, with the partner's domain, and its stream is copied there
    for server in listed:
        if server["role"] == "leaf":
            leafz = requests.get(f"http://127.0.0.1:{server['monitor_port']}/leafz", timeout=2).json()
            assert leafz["leafnodes"] == 1
    jsz = requests.get(f"http://127.0.0.1:{listed[0]['monitor_port']}/jsz?streams=true", timeout=2).json()
    assert jsz["config"]["domain"] == "hub" and jsz["streams"] == len(PARTNERS)
    # and the operator sees it: `samen030 status` finds the hub in var/nats/servers.json
    env = {**os.environ, "SAMEN030_FEDERATION": str(workdir / "federation.toml"), "SAMEN030_VAR": str(workdir / "var")}
    env.pop("NATS_URL", None)
    shown = subprocess.run([sys.executable, "-m", "samen030", "status"], env=env, capture_output=True, text=True,
                           timeout=60)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    rows = {line.split()[0]: line.split() for line in shown.stdout.splitlines()[1:]}
    assert {p: rows[p][1] for p in PARTNERS} == {p: "connected" for p in PARTNERS}, shown.stdout
    assert rows["krachtstation"][-1] == "1" and rows["krachtstation"][2] == "0"  # one event, no lag
    # and the gateway says so with each partner's freshness: link connected, not stale
    eventually(lambda: sorted((p["id"], p["link"], p["stale"]) for p in gateway_partners(urls))
               == [(p, "connected", False) for p in sorted(PARTNERS)], timeout=30)


def test_a_partners_leaf_killed_comes_back_and_its_writes_arrive(federation):
    urls, _proc, workdir, _link = federation
    leaf = next(s for s in servers(workdir) if s["name"] == "leaf-krachtstation")
    os.kill(leaf["pid"], signal.SIGKILL)
    written = create(urls["krachtstation"], "krachtstation", "Na de val")  # its database: a 201 all the same
    began = time.monotonic()
    eventually(lambda: at_gateway(urls, [written]), timeout=45)
    print(f"\nleaf SIGKILLed: the write made meanwhile at the gateway {time.monotonic() - began:.1f} s later")
    again = next(s for s in servers(workdir) if s["name"] == "leaf-krachtstation")
    assert again["pid"] != leaf["pid"] and alive(again["pid"])  # started again, and servers.json says so


WRITES, WRITERS, RATE = 2000, 8, 40.0  # offers, threads writing, offers/s asked for (at most)
CUT_SECONDS = 10.0
KILLED_LEAF = "zorgbelang"


def test_2000_writes_while_a_hub_server_a_link_and_a_leaf_fail_reach_the_gateway_exactly_once(federation):
    """2,000 offers written by 8 threads at both partners while, in turn, hub-2 is SIGKILLed (and started
    again by `samen030 run`), krachtstation's line to the hub is cut for 10 s and restored, and
    zorgbelang's leaf is SIGKILLed (and started again). Every 201 is at the gateway exactly once (by
    offer id, and per partner: events at its leaf = events in the hub copy, none twice by Nats-Msg-Id
    = events the gateway applied = its offers there); krachtstation answered 201 during the cut; every
    read of the gateway answered 200, and during the cut it showed krachtstation's data going stale
    (its link `down` and `stale`, its last event applied no longer moving, `seconds_behind` growing)
    while krachtstation kept writing; afterwards every link is `connected` again.
    Prints the catch-up time after the link returned."""
    import asyncio

    from samen030.kernel.natsserver import credentials_url
    from tests.integration.test_topology import hub_ids
    urls, _proc, workdir, link = federation
    nats_dir = workdir / "var" / "nats"
    tokens = {p: issue_token(p, "coordinator", "coordinator") for p in PARTNERS}
    results, lock, counter, began = [], threading.Lock(), iter(range(WRITES)), time.monotonic()
    reads, partner_views, stop_reading = [], [], threading.Event()

    def write() -> None:
        session = requests.Session()
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            time.sleep(max(0.0, began + i / RATE - time.monotonic()))
            partner, sent = PARTNERS[i % len(PARTNERS)], time.monotonic()
            auth = {"Authorization": f"Bearer {tokens[partner]}"}
            offer = {"name": f"Aanbod {i}", "description": f"Aanbod {i} in de buurt", "category": "informatie",
                     "buurt": "BU03440832"}
            try:
                answer = session.post(f"{urls[partner]}/offers", json=offer, headers=auth, timeout=30)
                outcome, offer_id = answer.status_code, answer.json().get("id") if answer.status_code == 201 else None
            except (requests.RequestException, ValueError) as exc:
                outcome, offer_id = type(exc).__name__, None
            with lock:
                results.append({"partner": partner, "status": outcome, "id": offer_id, "sent": sent,
                                "answered": time.monotonic()})

    def read_throughout() -> None:
        session = requests.Session()
        while not stop_reading.is_set():
            for path in ("/api/v1/offers?per_page=5", "/api/v1/partners"):
                asked = time.monotonic()
                try:
                    answer = session.get(f"{urls['gateway']}{path}", timeout=15)
                    reads.append((asked, path, answer.status_code))
                    if path == "/api/v1/partners" and answer.status_code == 200:
                        partner_views.append((asked, {p["id"]: p for p in answer.json()}))
                except requests.RequestException as exc:
                    reads.append((asked, path, type(exc).__name__))
            time.sleep(0.2)

    def written(at_least: int) -> None:
        eventually(lambda: len(results) >= at_least or len(results) == WRITES, timeout=300)

    def restarted(name: str, pid: int) -> None:
        def again() -> bool:
            try:  # servers.json is rewritten by `samen030 run` as it restarts a server
                now = next(s for s in servers(workdir) if s["name"] == name)["pid"]
            except ValueError:
                return False
            return now != pid and alive(now)
        eventually(again, timeout=60)

    def leaf_links_up(name: str) -> int:
        leaf = next(s for s in servers(workdir) if s["name"] == name)
        try:
            return requests.get(f"http://127.0.0.1:{leaf['monitor_port']}/leafz", timeout=2).json()["leafnodes"]
        except (requests.RequestException, ValueError, KeyError):
            return -1

    reader = threading.Thread(target=read_throughout)
    writers = [threading.Thread(target=write) for _ in range(WRITERS)]
    for thread in (reader, *writers):
        thread.start()
    caught_up = {}
    try:
        written(WRITES * 15 // 100)  # (1) a hub server
        hub2 = next(s for s in servers(workdir) if s["name"] == "hub-2")
        os.kill(hub2["pid"], signal.SIGKILL)
        restarted("hub-2", hub2["pid"])
        written(WRITES * 40 // 100)  # (2) krachtstation's line to the hub
        link.cut()
        cut_at = time.monotonic()
        eventually(lambda: leaf_links_up(f"leaf-{CUT}") == 0, timeout=CUT_SECONDS / 2)  # the leaf sees it down
        time.sleep(max(0.0, cut_at + CUT_SECONDS - time.monotonic()))
        link.restore()
        restored_at = time.monotonic()
        due = {r["id"] for r in list(results) if r["partner"] == CUT and r["status"] == 201}  # all answered by now

        def catch_up() -> None:
            while time.monotonic() - restored_at < 180:
                try:
                    if due <= set(gateway_offers(urls, CUT)):
                        caught_up["seconds"] = time.monotonic() - restored_at
                        return
                except (requests.RequestException, ValueError):
                    pass
                time.sleep(0.25)
        watcher = threading.Thread(target=catch_up)
        watcher.start()
        written(WRITES * 75 // 100)  # (3) another partner's leaf
        leaf = next(s for s in servers(workdir) if s["name"] == f"leaf-{KILLED_LEAF}")
        os.kill(leaf["pid"], signal.SIGKILL)
        restarted(f"leaf-{KILLED_LEAF}", leaf["pid"])
        for thread in writers:
            thread.join()
        last_write = time.monotonic()
        watcher.join()
        ok = [r for r in results if r["status"] == 201]
        try:
            eventually(lambda: at_gateway(urls, ok), timeout=180)
        except AssertionError:
            seen = gateway_offers(urls)
            missing = [r["partner"] for r in ok if r["id"] not in seen]
            raise AssertionError(f"missing at the gateway: {len(missing)} ({set(missing)}); {status(workdir)}") from None
        all_there = time.monotonic() - last_write
    finally:
        stop_reading.set()
        for thread in (reader, *writers):
            thread.join()

    # every write answered 201 (the cut partner's too, during the cut), each offer listed once
    assert len(results) == WRITES and [r for r in results if r["status"] != 201] == [], \
        {str(r["status"]) for r in results if r["status"] != 201}
    during_cut = [r for r in ok if r["partner"] == CUT and r["sent"] >= cut_at and r["answered"] <= restored_at]
    assert during_cut, "krachtstation answered no write during the cut"
    listed = []
    seen = gateway_offers(urls, listed=listed)
    assert len(listed) == len(set(listed)) and all(seen[r["id"]] == r["partner"] for r in ok)
    assert "seconds" in caught_up, f"krachtstation's writes not at the gateway 180 s after its link returned; {status(workdir)}"

    # the gateway answered every read, during the cut too, and showed krachtstation going stale: its last
    # event applied stood still (after the events under way at the cut) while it kept answering 201s
    assert reads and {r[2] for r in reads} == {200}, f"the gateway answered {sorted({str(r[2]) for r in reads})}"
    settled = cut_at + CUT_SECONDS / 2
    in_cut = [view for asked, view in partner_views if settled <= asked <= restored_at]
    assert len(in_cut) >= 2 and any(r["sent"] >= settled for r in during_cut)
    assert len({view[CUT]["events_applied"] for view in in_cut}) == 1, [v[CUT]["events_applied"] for v in in_cut]
    assert len({view[CUT]["last_event_at"] for view in in_cut}) == 1
    behind = in_cut[-1][CUT]["seconds_behind"]
    assert behind >= CUT_SECONDS / 2 - 1, behind  # its newest data at the gateway: from before the cut
    assert in_cut[-1][CUT]["reachable"]  # its services answer: stale because of the link, not the node
    assert (in_cut[-1][CUT]["link"], in_cut[-1][CUT]["stale"]) == ("down", True), in_cut[-1][CUT]
    assert (in_cut[-1][KILLED_LEAF]["link"], in_cut[-1][KILLED_LEAF]["stale"]) == ("connected", False)
    eventually(lambda: all((p["link"], p["stale"]) == ("connected", False) for p in gateway_partners(urls)), timeout=30)

    # exactly once along the way: per partner, its leaf's stream = its hub copy (none twice by
    # Nats-Msg-Id) = the events the gateway applied = its offers at the gateway (one event per offer)
    async def counts(partner: str) -> tuple[int, int, int]:
        import nats
        listed_servers = servers(workdir)
        hub = credentials_url(",".join(f"nats://127.0.0.1:{s['client_port']}" for s in listed_servers
                                       if s["role"] == "hub"), "admin", nats_dir)
        admin = await nats.connect(hub.split(","))
        leaf = next(s for s in listed_servers if s["partner"] == partner)
        local = await nats.connect(credentials_url(f"nats://127.0.0.1:{leaf['client_port']}", "admin", nats_dir))
        try:
            at_leaf = (await local.jetstream().stream_info(f"samen030-{partner}")).state.messages
            ids = await hub_ids(admin.jetstream(), f"hub-{partner}")
            return at_leaf, len(ids), len(set(ids))
        finally:
            await local.close()
            await admin.close()

    for partner in PARTNERS:
        mine = sum(1 for r in ok if r["partner"] == partner)

        def the_same() -> tuple | None:
            at_leaf, in_copy, distinct = asyncio.run(counts(partner))
            view = {p["id"]: p for p in requests.get(f"{urls['gateway']}/api/v1/partners", timeout=10).json()}[partner]
            at_gateway_ = len(gateway_offers(urls, partner))
            figures = (at_leaf, in_copy, distinct, view["events_applied"], at_gateway_)
            return figures if len(set(figures)) == 1 and at_leaf >= mine else None
        try:
            eventually(the_same, timeout=60, interval=1)
        except AssertionError:
            at_leaf, in_copy, distinct = asyncio.run(counts(partner))
            raise AssertionError(f"{partner}: at its leaf {at_leaf}, in the hub copy {in_copy} ({distinct} distinct), "
                                 f"201s {mine}; {status(workdir)}") from None

    took = last_write - began
    print(f"\n{WRITES} offers by {WRITERS} threads in {took:.1f} s ({WRITES / took:.0f}/s), all 201; hub-2 SIGKILLed, "
          f"{CUT}'s link cut {CUT_SECONDS:.0f} s ({len(during_cut)} of its 201s during the cut; the gateway "
          f"{behind:.1f} s behind on it at the end), leaf-{KILLED_LEAF} SIGKILLed\n"
          f"{CUT} caught up at the gateway {caught_up['seconds']:.1f} s after its link returned; all 201s at the "
          f"gateway {all_there:.1f} s after the last write; {len(reads)} reads, all 200; "
          f"the whole test {time.monotonic() - began:.0f} s")
