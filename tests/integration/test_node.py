"""A partner's node in one process (`samen030 node`): its three services answer on their own ports,
its relay publishes what they write — at once, woken by their commits rather than by polling — and
SIGTERM stops it cleanly. Against a real nats-server with the federation's users, on SQLite and
PostgreSQL."""
import asyncio
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import nats
import pytest
import requests

from samen030.directory import offers as directory
from samen030.directory.tables import metadata as directory_metadata, outbox
from samen030.kernel.bus import stream_name
from samen030.kernel.relay import IDLE_INTERVAL_WOKEN, Relay
from tests.conftest import NatsServer, auth
from tests.federation import Processes, eventually, wait_healthy, write_federation
from tests.pipeline import run_async, running, until

PARTNER = "krachtstation"
OFFER = {"name": "Inloop", "category": "informatie", "buurt": "BU03440832", "status": "active"}


def test_a_node_is_one_process_serving_its_services_and_relaying_their_events(databases, tmp_path):
    server = NatsServer(tmp_path / "nats", [PARTNER]).start()
    urls = write_federation(tmp_path / "federation.toml", [PARTNER], server.url, ("directory", "requests", "members"))
    run_async(_provision(server))
    env = {"SAMEN030_FEDERATION": str(tmp_path / "federation.toml"), "SAMEN030_VAR": str(tmp_path / "var"),
           "NATS_URL": server.url_as(PARTNER), **databases.env()}
    procs = Processes(tmp_path, env)
    procs.env["NATS_URL"] = server.url_as(PARTNER)
    try:
        node = procs.start("node", "node", "--partner", PARTNER)
        for service in ("directory", "requests", "members"):
            wait_healthy(urls[f"{PARTNER} {service}"])
        assert not Path(f"/proc/{node.pid}/task/{node.pid}/children").read_text().split()  # no child processes
        created = requests.post(f"{urls[PARTNER]}/offers", json=OFFER, headers=auth(PARTNER), timeout=5)
        assert created.status_code == 201, created.text
        members = requests.get(f"{urls[f'{PARTNER} members']}/members", headers=auth(PARTNER), timeout=5)
        assert members.status_code == 200
        eventually(lambda: run_async(_stored(server)) >= 1, timeout=10)
        node.send_signal(signal.SIGTERM)
        assert node.wait(timeout=30) == 0, procs.log("node")
    finally:
        procs.stop_all()
        server.stop()


async def _provision(server):
    from samen030.kernel.bus import provision_at
    assert (await provision_at(server.url_as("admin"), [PARTNER]))[stream_name(PARTNER)] == "created"


async def _stored(server) -> int:
    nc = await nats.connect(server.url_as("admin"))
    try:
        return (await nc.jetstream().stream_info(stream_name(PARTNER))).state.messages
    finally:
        await nc.close()


def test_a_relay_beside_its_service_is_woken_by_the_commit(databases, own_nats):
    """Idle, the node's relay looks for writes of other processes once a second; a commit in its own
    process wakes it at once."""
    db = databases.open(PARTNER, "directory", directory_metadata)

    async def go():
        relay = Relay(db, outbox, PARTNER, "directory", own_nats.url, woken=True)
        nc = await nats.connect(own_nats.url)
        try:
            async with running(relay.run) as task:
                await asyncio.sleep(2.5)  # idle for more than a second: it now looks once a second
                assert not task.done() and relay._idle_interval(False) == IDLE_INTERVAL_WOKEN
                written = threading.Event()
                threading.Thread(target=lambda: (directory.create_offer(db, PARTNER, OFFER, "t"), written.set())).start()
                await until(written.is_set, watch=task)
                began = time.monotonic()

                async def stored():
                    return (await nc.jetstream().stream_info(stream_name(PARTNER))).state.messages == 1
                await until(stored, timeout=5, watch=task, interval=0.005)
                took = time.monotonic() - began
                assert took < IDLE_INTERVAL_WOKEN / 2, f"published {took * 1000:.0f} ms after the commit"
        finally:
            await nc.close()
    run_async(go())


def test_a_call_between_services_of_one_node_stays_in_the_process(databases, monkeypatch, tmp_path):
    """In `samen030 node` a service's call to another service of its own partner is made in the calling
    thread, with its service token as over HTTP, so the node's threads never all wait on each other."""
    import uuid

    from samen030.kernel import peers
    from samen030.registry import service_app
    write_federation(tmp_path / "federation.toml", [PARTNER], services=("members",))  # a port nobody serves
    monkeypatch.setenv("SAMEN030_FEDERATION", str(tmp_path / "federation.toml"))
    if schema := databases.schema(PARTNER, "members"):
        monkeypatch.setenv("DATABASE_SCHEMA", schema)
    members = service_app("members", PARTNER, databases.url(PARTNER, "members"))
    databases.opened.append(members.extensions["samen030.db"])
    path = f"/members/{uuid.uuid4()}"
    with pytest.raises(peers.PeerUnavailable):  # over HTTP: nobody answers
        peers.call("member.check", PARTNER, "service:requests", PARTNER, path, "members")
    monkeypatch.setitem(peers.IN_THIS_PROCESS, (PARTNER, "members"), members)
    assert peers.call("member.check", PARTNER, "service:requests", PARTNER, path, "members") is None  # its 404
    with pytest.raises(peers.PeerRefused) as refused:  # the token still decides
        peers.call("volunteers.suggest", PARTNER, "service:requests", PARTNER, path, "members")
    assert refused.value.status == 403
