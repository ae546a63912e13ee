"""The `hub` topology on loopback with real nats-servers (tests/topology.py): 3 hub servers and a leaf
per partner, configured by kernel/topology.py, streams provisioned by kernel/bus.provision_streams.

- a partner's writes are acknowledged by its own leaf while its link to the hub is cut, and reach the
  hub copy exactly once when it returns (the catch-up time is printed);
- a hub server SIGKILLed while a partner publishes, and started again: nothing lost, nothing doubled;
- a leaf SIGKILLed and started again: its stream survives (file storage) and sourcing resumes;
  (these two and the status with the hub's watch running, as deployed: nats-server alone may wait 30 s
  for a sourcing set-up whose answer was lost while a server died, then back off);
- over its leaf a partner can bring into the hub only what kernel/topology.leaf_permissions allows,
  even with every right on its own leaf (its leaf is its own to configure): not another partner's
  subjects or deliveries, not another user's consumers, no hub stream changed.
Counts and event ids are checked from the hub's side as its operator (admin)."""
import asyncio
import signal
import time
import uuid

import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig

from samen030.kernel.bus import provision_at
from samen030.kernel.topology import HUB_DOMAIN
from tests.pipeline import run_async
from tests.topology import Topology

K, Z = "krachtstation", "zorgbelang"
PARTNERS = [K, Z]
CUT_SECONDS = 10.0  # how long the link is cut (the hub notices a silent source after 10 s)
OFFERS = f"samen030.{K}.directory.offer.created"
REFUSED = (nats.errors.TimeoutError, asyncio.TimeoutError, nats.errors.NoRespondersError,
           nats.js.errors.ServiceUnavailableError)


@pytest.fixture
def topology(tmp_path):
    top = Topology.make(tmp_path, PARTNERS).start()
    try:
        top.wait_until(lambda: all(top.leaf_connected(p) for p in PARTNERS), 30, "the leaves connected")

        async def provision():
            for partner in PARTNERS:  # each at its own leaf, by its own operator
                done = await provision_at(top.leaf_url(partner, "admin"), [partner])
                assert done == {f"samen030-{partner}": "created"}, done
            done = await provision_at(top.hub_url("admin"), PARTNERS, give_up_after=60, hub_copies=True)
            assert set(done.values()) == {"created"}, done
            await sourcing_established(top)
        run_async(provision())
        yield top
    finally:
        top.stop()


async def sourcing_established(top, timeout: float = 30) -> None:
    """Every hub copy hears its source's heartbeat. nats-server's first set-up can miss its answer (the
    leaf answers before the interest in the reply reached it) and then waits 30 s before it tries
    again: where it stays silent, the copy's leader is made to step down, as `samen030 hub-watch` does."""
    from samen030.status import nudge_stalled, partner_status
    admin = await connect(top.hub_url("admin"))
    deadline, nudged_at = time.monotonic() + timeout, {}
    try:
        while True:
            rows = await partner_status(top.hub_url("admin"), PARTNERS, "hub")
            if all(r.get("connected") for r in rows):
                return
            assert time.monotonic() < deadline, rows
            await nudge_stalled(admin.jetstream(), PARTNERS, set(PARTNERS), nudged_at)
            await asyncio.sleep(0.2)
    finally:
        await admin.close()


async def watched(top, work):
    """`work` with the hub's watch running (samen030 hub-watch, as deployed)."""
    from samen030.status import watch_links
    stop = asyncio.Event()
    watch = asyncio.create_task(watch_links(top.hub_url("admin"), [f"http://127.0.0.1:{s.monitor_port}" for s in top.hub],
                                            PARTNERS, stop))
    try:
        return await work
    finally:
        stop.set()
        await watch


async def connect(url: str, user: str | None = None, errors: list | None = None):
    async def on_error(exc):
        if errors is not None:
            errors.append(str(exc))
    kwargs = {"inbox_prefix": f"_INBOX_{user}"} if user else {}
    return await nats.connect(url.split(","), error_cb=on_error, max_reconnect_attempts=-1,
                              reconnect_time_wait=0.1, **kwargs)


async def publish(js, ids: list[str], subject: str = OFFERS) -> None:
    """Every id published and acknowledged (by the partner's own leaf stream), retried while the leaf
    restarts: a retry within the duplicate window is dropped as a duplicate, as the relay's is."""
    for event_id in ids:
        for attempt in range(200):
            try:
                ack = await js.publish(subject, b"{}", headers={"Nats-Msg-Id": event_id}, timeout=1)
                assert ack.stream == f"samen030-{K}" and ack.domain == K
                break
            except (nats.errors.TimeoutError, nats.js.errors.NoStreamResponseError, nats.errors.ConnectionClosedError):
                await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"{event_id} never acknowledged")


async def hub_ids(admin_js, stream: str = f"hub-{K}") -> list[str]:
    """The Nats-Msg-Id of every message in the hub copy, in order (tried again while the cluster settles)."""
    for attempt in range(20):
        try:
            return await _hub_ids(admin_js, stream)
        except (nats.errors.Error, asyncio.TimeoutError):
            if attempt == 19:
                raise
            await asyncio.sleep(0.5)


async def _hub_ids(admin_js, stream: str) -> list[str]:
    info = await admin_js.stream_info(stream)
    if not info.state.messages:
        return []
    sub = await admin_js.pull_subscribe("samen030.>", stream=stream, config=ConsumerConfig(
        ack_policy=AckPolicy.NONE, inactive_threshold=5, name=f"check-{uuid.uuid4().hex[:8]}"))
    ids = []
    try:
        while len(ids) < info.state.messages:
            for message in await sub.fetch(min(500, info.state.messages - len(ids)), timeout=5):
                ids.append(message.headers["Nats-Msg-Id"])
    finally:
        await sub.unsubscribe()
    return ids


async def hub_count(admin_js, stream: str = f"hub-{K}") -> int:
    try:
        return (await admin_js.stream_info(stream)).state.messages
    except Exception:  # a hub server restarting, a leader being elected
        return -1


async def until(condition, timeout: float = 20.0, what=None):
    """Poll the coroutine function `condition` until it holds; after `timeout` seconds fail, saying
    `await what()` (the state of things) when given."""
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout} s" + (f": {await what()}" if what else ""))
        await asyncio.sleep(0.05)


async def _connected(topology, partner: str, up: bool = True) -> bool:
    return await asyncio.to_thread(topology.leaf_connected, partner) == up


def exactly_once(ids: list[str], expected: list[str]) -> None:
    doubled = len(ids) - len(set(ids))
    assert doubled == 0, f"{doubled} events doubled at the hub"
    assert set(ids) == set(expected), f"{len(set(expected) - set(ids))} events lost at the hub"


def test_a_partners_writes_are_acked_by_its_leaf_while_its_link_is_cut_and_reach_the_hub_once(topology):
    """Twice: without the hub's watch over the links, the hub copy resumes when nats-server retries the
    silent source (10 s after it fell silent, then 20 s, … up to 2 minutes); with it (`samen030
    hub-watch`), as soon as the leaf is connected again."""
    from samen030.status import watch_links

    async def go():
        leaf = await connect(topology.leaf_url(K), K)
        admin = await connect(topology.hub_url("admin"))
        js, hub = leaf.jetstream(), admin.jetstream()
        before = [f"before-{i}" for i in range(50)]
        await publish(js, before)
        await until(lambda: _at_least(hub, len(before)), 20)
        published = list(before)
        monitors = [f"http://127.0.0.1:{s.monitor_port}" for s in topology.hub]
        for watched in (False, True):
            stop = asyncio.Event()
            watch = asyncio.create_task(watch_links(topology.hub_url("admin"), monitors, PARTNERS, stop)) if watched \
                else None
            topology.links[K].cut()
            await until(lambda: _connected(topology, K, False), 10)
            during = [f"during-{watched}-{i}" for i in range(1000)]
            began = time.monotonic()
            await publish(js, during)  # acknowledged by the leaf alone: the hub is out of reach
            publish_seconds = time.monotonic() - began
            await asyncio.sleep(max(1.0, CUT_SECONDS - (time.monotonic() - began)))
            assert await hub_count(hub) == len(published)  # nothing came through the cut link

            topology.links[K].restore()
            restored = time.monotonic()
            published += during
            # unwatched, nats-server may wait for an answer lost on the cut link for 30 s before it retries
            await until(lambda: _at_least(hub, len(published)), 10 if watched else 45, what=lambda: _state(hub))
            catch_up = time.monotonic() - restored
            print(f"\nlink cut for {restored - began:.1f} s ({'with' if watched else 'without'} the hub's watch): "
                  f"{len(during)} events acked by the leaf in {publish_seconds:.2f} s; all at the hub {catch_up:.2f} s "
                  f"after the link returned (the leaf reconnects within 0.25 s)")
            if watched:
                assert catch_up < 5
                stop.set()
                await watch
        await asyncio.sleep(0.5)  # nothing more comes
        exactly_once(await hub_ids(hub), published)
        await leaf.close()
        await admin.close()
    run_async(go())


async def _state(hub, stream: str = f"hub-{K}") -> str:
    try:
        info = await hub.stream_info(stream)
        return f"{stream}: {info.state.messages} messages, sources {info.sources}, leader {info.cluster.leader}"
    except Exception as exc:
        return f"{stream}: {exc}"


async def _at_least(hub, count: int) -> bool:
    return await hub_count(hub) >= count


def test_a_hub_server_killed_while_a_partner_publishes_loses_and_doubles_nothing(topology):
    async def go():
        leaf = await connect(topology.leaf_url(K), K)
        admin = await connect(topology.hub_url("admin"))
        js, hub = leaf.jetstream(), admin.jetstream()
        ids = [f"e-{i}" for i in range(1500)]
        publishing = asyncio.create_task(publish(js, ids))
        await until(lambda: _at_least(hub, 300), 20)
        leader = (await hub.stream_info(f"hub-{K}")).cluster.leader  # the harshest: the copy's leader
        topology.kill(leader)
        killed_at = time.monotonic()
        await asyncio.sleep(1.0)
        topology.start(leader)
        await publishing
        await until(lambda: _at_least(hub, len(ids)), 45, what=lambda: _state(hub))
        print(f"\nhub server {leader} (the copy's leader) SIGKILLed and restarted: all {len(ids)} events at the "
              f"hub {time.monotonic() - killed_at:.2f} s after the kill")
        await asyncio.sleep(1)
        exactly_once(await hub_ids(hub), ids)
        # and the restarted server has them too (R3): ask it alone
        only = await connect(f"nats://admin:{topology.passwords['admin']}@127.0.0.1:"
                             f"{topology.server(leader).client_port}")
        await until(lambda: _at_least(only.jetstream(), len(ids)), 20)
        for nc in (leaf, admin, only):
            await nc.close()
    run_async(watched(topology, go()))


def test_a_leaf_killed_and_restarted_keeps_its_stream_and_sourcing_resumes(topology):
    async def go():
        admin = await connect(topology.hub_url("admin"))
        hub = admin.jetstream()
        leaf = await connect(topology.leaf_url(K), K)
        first = [f"first-{i}" for i in range(300)]
        await publish(leaf.jetstream(), first)
        await leaf.close()
        topology.kill(f"leaf-{K}")
        killed = time.monotonic()
        topology.start(f"leaf-{K}")
        leaf = await connect(topology.leaf_url(K), K)
        js = leaf.jetstream()
        assert (await js.stream_info(f"samen030-{K}")).state.messages == len(first)  # on disk, sync always
        then = [f"then-{i}" for i in range(300)]
        await publish(js, then)
        await until(lambda: _at_least(hub, len(first) + len(then)), 30, what=lambda: _state(hub))
        print(f"\nleaf SIGKILLed and restarted: its stream kept {len(first)}; all {len(first) + len(then)} at the "
              f"hub {time.monotonic() - killed:.2f} s after the kill")
        await asyncio.sleep(0.5)
        exactly_once(await hub_ids(hub), first + then)
        await leaf.close()
        await admin.close()
    run_async(watched(topology, go()))


def test_over_its_leaf_a_partner_brings_in_only_its_own(topology):
    """Krachtstation's leaf operator has every right on its own leaf; the hub still takes from it only
    its own sourcing deliveries and its own consumers' calls."""
    async def go():
        zorgbelang = await connect(topology.leaf_url(Z), Z)
        await publish_as(zorgbelang.jetstream(), Z, 5)
        admin = await connect(topology.hub_url("admin"))
        hub = admin.jetstream()
        await until(lambda: _count_is(hub, f"hub-{Z}", 5), 20)
        gateway = await connect(topology.hub_url("gateway"), "gateway")
        gw = gateway.jetstream()
        gateway_sub = await gw.pull_subscribe(f"samen030.{Z}.>", durable="gateway-readmodel", stream=f"hub-{Z}")
        [held] = await gateway_sub.fetch(1, timeout=5)  # delivered to the gateway, not acked
        seen_at_hub, stolen = [], []

        def keep(into: list):
            async def keeping(message):
                into.append(message.subject)
            return keeping
        for subject in (f"samen030.{Z}.>", f"sourcing.{Z}.S.forged", "samen030.city.>"):
            await admin.subscribe(subject, cb=keep(seen_at_hub))

        rogue = await connect(topology.leaf_url(K, "admin"))  # the partner's own leaf operator: every right there
        to_hub = rogue.jetstream(domain=HUB_DOMAIN, timeout=1)
        for subject in (f"samen030.{Z}.requests.request.changed", f"sourcing.{Z}.S.forged", "samen030.city.x"):
            await rogue.publish(subject, b"{}")
        for attempt in (to_hub.delete_consumer(f"hub-{Z}", "gateway-readmodel"),
                        to_hub.consumer_info(f"hub-{Z}", "gateway-readmodel"),
                        to_hub.purge_stream(f"hub-{Z}"), to_hub.delete_stream(f"hub-{Z}"),
                        to_hub.stream_info(f"hub-{Z}"),
                        to_hub.add_stream(name="rogue", subjects=[f"samen030.{Z}.>"]),
                        to_hub.add_consumer(f"hub-{Z}", ConsumerConfig(durable_name="followup-krachtstation",
                                                                       filter_subject=f"samen030.{Z}.>"))):
            with pytest.raises(REFUSED):  # the hub lets no interest in these reach the leaf: no responders
                await attempt
        with pytest.raises(REFUSED):  # pull and ack the gateway's messages
            await rogue.request(f"$JS.{HUB_DOMAIN}.API.CONSUMER.MSG.NEXT.hub-{Z}.gateway-readmodel",
                                b'{"batch": 5}', timeout=1)
        await rogue.publish(held.reply, b"+ACK")  # the gateway's held message: not acked by krachtstation
        await rogue.subscribe("_INBOX_gateway.>", cb=keep(stolen))
        await rogue.flush()
        await gw.consumer_info(f"hub-{Z}", "gateway-readmodel")  # the gateway's reply: not seen at the leaf
        await asyncio.sleep(1)

        assert seen_at_hub == []
        assert stolen == []
        info = await hub.consumer_info(f"hub-{Z}", "gateway-readmodel")
        assert (info.num_ack_pending, info.delivered.stream_seq) == (1, 1)  # still the gateway's to ack
        assert (await hub.stream_info(f"hub-{Z}")).state.messages == 5
        assert {s.config.name for s in await hub.streams_info()} == {f"hub-{K}", f"hub-{Z}"}
        await held.ack()

        # a partner's hub credential is for its leaf connection only: as a client the hub refuses it
        with pytest.raises((nats.errors.Error, OSError)):
            await nats.connect(f"nats://{K}:{topology.leaf_passwords[K]}@127.0.0.1:{topology.hub[0].client_port}",
                               allow_reconnect=False, connect_timeout=2)

        # what krachtstation may do over its leaf works: its own follow-up consumer on zorgbelang's copy
        own = await connect(topology.leaf_url(K), K)
        followup = await own.jetstream(domain=HUB_DOMAIN).pull_subscribe(
            f"samen030.{Z}.requests.request.changed", durable="followup-krachtstation", stream=f"hub-{Z}",
            config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT))
        messages = await followup.fetch(5, timeout=5)
        assert len(messages) == 5
        for message in messages:
            await message.ack_sync()
        assert (await hub.consumer_info(f"hub-{Z}", "followup-krachtstation")).num_ack_pending == 0
        for nc in (zorgbelang, admin, gateway, rogue, own):
            await nc.close()
    run_async(go())


async def publish_as(js, partner: str, count: int) -> None:
    for i in range(count):
        await js.publish(f"samen030.{partner}.requests.request.changed", b"{}", headers={"Nats-Msg-Id": f"{partner}-{i}"})


async def _count_is(hub, stream: str, count: int) -> bool:
    return await hub_count(hub, stream) == count


def test_status_shows_per_partner_whether_its_leaf_is_connected_and_the_sourcing_lag(topology):
    from samen030.status import LINK_SILENT_AFTER, format_status, partner_status

    async def go():
        leaf = await connect(topology.leaf_url(K), K)
        admin = await connect(topology.hub_url("admin"))
        await publish(leaf.jetstream(), [f"s-{i}" for i in range(20)])
        await until(lambda: _at_least(admin.jetstream(), 20), 20)
        status = lambda: partner_status(topology.hub_url("admin"), PARTNERS, "hub")  # noqa: E731
        rows = {r["partner"]: r for r in await status()}
        assert rows[K]["connected"] and rows[Z]["connected"], rows
        assert (rows[K]["lag"], rows[K]["events"], rows[K]["stream"]) == (0, 20, f"hub-{K}")
        topology.links[K].cut()
        await publish(leaf.jetstream(), [f"t-{i}" for i in range(5)])

        async def down():
            rows = {r["partner"]: r for r in await status()}
            return not rows[K]["connected"] and rows[Z]["connected"]
        await until(down, LINK_SILENT_AFTER + 10)
        print("\n" + format_status(await status(), "hub"))
        topology.links[K].restore()

        async def back():
            rows = {r["partner"]: r for r in await status()}
            return rows[K]["connected"] and rows[K]["events"] == 25 and rows[K]["lag"] == 0
        await until(back, 20)
        await leaf.close()
        await admin.close()
    run_async(watched(topology, go()))


def test_a_partner_added_at_the_hub_reaches_the_others_leaves_once_they_reconnect(topology):
    """nats-server keeps the permissions a leaf connection had when it was made: after the hub reloads a
    configuration with a new partner, krachtstation's existing leaf connection still may not reach the
    new partner's hub copy; once it reconnected, it may (deploy/README.md, "Adding a partner")."""
    new = "nieuw"

    async def create_followup(nc):
        config = ConsumerConfig(name="followup-krachtstation", durable_name="followup-krachtstation",
                                filter_subject=f"samen030.{new}.requests.request.changed", ack_policy=AckPolicy.EXPLICIT)
        await nc.jetstream(domain=HUB_DOMAIN, timeout=2).add_consumer(f"hub-{new}", config)

    async def go():
        topology.write_hub_configs([*PARTNERS, new])
        for server in topology.hub:
            server.proc.send_signal(signal.SIGHUP)
        await asyncio.sleep(1)
        assert await provision_at(topology.hub_url("admin"), [new], give_up_after=30, hub_copies=True) == {
            f"hub-{new}": "created"}
        # krachtstation's leaf operator (every right on its leaf; the hub's permissions are the point)
        operator = await connect(topology.leaf_url(K, "admin"), K)
        with pytest.raises(REFUSED):
            await create_followup(operator)
        topology.links[K].cut()
        await until(lambda: _connected(topology, K, False), 10)
        topology.links[K].restore()
        await until(lambda: _connected(topology, K), 10)
        await asyncio.sleep(0.5)
        await create_followup(operator)
        await operator.close()
    run_async(go())
