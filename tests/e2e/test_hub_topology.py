"""`samen030 run --topology hub` as processes: 3 hub nats-servers, a leaf nats-server per partner, each
partner's node against its leaf and the city against the hub. Offers written at the partners reach the
gateway (through each leaf's stream and its hub copy); var/nats/servers.json names every nats-server,
and a partner's leaf SIGKILLed there is started again by `samen030 run` and its writes still arrive."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from samen030.kernel.auth import issue_token
from tests.federation import eventually, running_federation

PARTNERS = ["krachtstation", "zorgbelang"]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def federation(request, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("hubfed")
    with running_federation(request, workdir, PARTNERS, topology="hub") as (urls, proc):
        yield urls, proc, workdir


def create(url: str, partner: str, name: str) -> dict:
    token = issue_token(partner, "coordinator", "coordinator")
    response = requests.post(f"{url}/offers", json={"name": name, "description": f"{name} in de buurt",
                                                   "category": "informatie", "buurt": "BU03440832"},
                             headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert response.status_code == 201, response.text
    return response.json()


def gateway_offers(urls) -> dict[str, str]:
    """{offer id: partner} of every offer at the gateway, page by page."""
    seen, page = {}, 1
    while True:
        body = requests.get(f"{urls['gateway']}/api/v1/offers", params={"per_page": 200, "page": page}, timeout=5).json()
        seen.update({o["id"]: o["partner"] for o in body["items"]})
        if page >= body["total_pages"]:
            return seen
        page += 1


def at_gateway(urls, offers: list[dict]) -> bool:
    seen = gateway_offers(urls)
    return all(seen.get(o["id"]) == o["partner"] for o in offers)


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
    urls, _proc, workdir = federation
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


def test_a_partners_leaf_killed_comes_back_and_its_writes_arrive(federation):
    urls, _proc, workdir = federation
    leaf = next(s for s in servers(workdir) if s["name"] == "leaf-krachtstation")
    os.kill(leaf["pid"], signal.SIGKILL)
    written = create(urls["krachtstation"], "krachtstation", "Na de val")  # its database: a 201 all the same
    began = time.monotonic()
    eventually(lambda: at_gateway(urls, [written]), timeout=45)
    print(f"\nleaf SIGKILLed: the write made meanwhile at the gateway {time.monotonic() - began:.1f} s later")
    again = next(s for s in servers(workdir) if s["name"] == "leaf-krachtstation")
    assert again["pid"] != leaf["pid"] and alive(again["pid"])  # started again, and servers.json says so


def test_writes_while_a_hub_server_and_a_leaf_are_killed_reach_the_gateway_exactly_once(federation):
    """Offers written at two partners while one hub server and then one partner's leaf are SIGKILLed (and
    started again by `samen030 run`): every 201 is at the gateway, the gateway answers reads throughout,
    and each hub copy holds exactly the events of its partner's stream, none twice (by Nats-Msg-Id)."""
    import asyncio
    import threading

    from samen030.kernel.natsserver import credentials_url
    from tests.integration.test_topology import hub_ids
    urls, _proc, workdir = federation
    nats_dir = workdir / "var" / "nats"
    reads, stop_reading = [], threading.Event()

    def read_throughout():
        while not stop_reading.is_set():
            reads.append(requests.get(f"{urls['gateway']}/api/v1/offers", params={"per_page": 5}, timeout=5).status_code)
            time.sleep(0.05)
    reader = threading.Thread(target=read_throughout)
    reader.start()
    written, total = [], 240
    try:
        for i in range(total):
            if i == total // 3:
                os.kill(next(s for s in servers(workdir) if s["name"] == "hub-2")["pid"], signal.SIGKILL)
            if i == 2 * total // 3:
                os.kill(next(s for s in servers(workdir) if s["name"] == "leaf-zorgbelang")["pid"], signal.SIGKILL)
            partner = PARTNERS[i % 2]
            written.append(create(urls[partner], partner, f"Aanbod {i}"))
        began = time.monotonic()
        try:
            eventually(lambda: at_gateway(urls, written), timeout=90)
        except AssertionError:
            seen = gateway_offers(urls)
            missing = [o["partner"] for o in written if o["id"] not in seen]
            raise AssertionError(f"missing at the gateway: {len(missing)} ({set(missing)}); {status(workdir)}") from None
        print(f"\n{total} offers written while hub-2 and leaf-zorgbelang were SIGKILLed: all at the gateway "
              f"{time.monotonic() - began:.1f} s after the last write")
    finally:
        stop_reading.set()
        reader.join()
    assert reads and set(reads) == {200}, f"the gateway answered {set(reads)}"

    async def bus():
        import nats
        listed = servers(workdir)
        hub = credentials_url(",".join(f"nats://127.0.0.1:{s['client_port']}" for s in listed if s["role"] == "hub"),
                              "admin", nats_dir)
        admin = await nats.connect(hub.split(","))
        for partner in PARTNERS:
            leaf = next(s for s in listed if s["partner"] == partner)
            local = await nats.connect(credentials_url(f"nats://127.0.0.1:{leaf['client_port']}", "admin", nats_dir))
            at_leaf = (await local.jetstream().stream_info(f"samen030-{partner}")).state.messages
            await local.close()
            ids = await hub_ids(admin.jetstream(), f"hub-{partner}")
            assert len(ids) == len(set(ids)) == at_leaf, (partner, len(ids), len(set(ids)), at_leaf)
        await admin.close()
    asyncio.run(bus())
