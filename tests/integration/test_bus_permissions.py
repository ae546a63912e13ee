"""Rule 5 on the bus, against a real nats-server configured as `samen030 nats` configures it: a partner
publishes only under its own subjects, creates and changes no stream, and touches only the consumers
it owns; nobody reads another user's replies; the gateway and the notifier only read. Every refusal is
checked twice: the server says it refused that subject to that user, and the admin sees nothing changed."""
import asyncio
import json
import time
from contextlib import asynccontextmanager

import nats
import pytest
from sqlalchemy import select
from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig

from samen030.directory import offers as directory
from samen030.directory.tables import metadata as directory_metadata, outbox as directory_outbox
from samen030.gateway.projector import readmodel_projection
from samen030.gateway.readmodel import metadata as readmodel_metadata, offers as city_offers
from samen030.helprequests.followup_worker import run_followup
from samen030.helprequests.tables import applied_events, metadata as requests_metadata, outbox as requests_outbox
from samen030.kernel import outbox as outbox_rows
from samen030.kernel.bus import provision_streams, stream_name
from samen030.kernel.consumer import consume
from samen030.kernel.relay import Relay
from tests.conftest import NatsServer
from tests.notifier_events import referral_outcome, referral_received
from tests.pipeline import run_async, running, until

K, Z, P = "krachtstation", "zorgbelang", "powerbypeers"
PARTNERS = [K, Z, P]
KS, ZS, PS = (stream_name(p) for p in PARTNERS)
EXPLICIT = dict(ack_policy=AckPolicy.EXPLICIT)


@pytest.fixture
def bus(tmp_path):
    server = NatsServer(tmp_path / "nats", partners=PARTNERS).start()
    yield server
    server.stop()


class Session:
    """One user's connection, with what the server refused it."""

    def __init__(self, nc, refusals: list[str]):
        self.nc, self.refusals, self.js = nc, refusals, nc.jetstream(timeout=0.5)

    async def refused(self, attempt, subject: str, kind: str = "publish to") -> None:
        """`attempt` (a coroutine) gets no answer, and the server says it refused `subject` to us."""
        before = len(self.refusals)
        with pytest.raises((nats.errors.TimeoutError, TimeoutError)):
            await attempt
        await self.said(f'permissions violation for {kind} "{subject}"', before)

    async def refused_silently(self, subject: str, payload: bytes = b"") -> None:
        """A plain publish (no answer expected) that the server refuses."""
        before = len(self.refusals)
        await self.nc.publish(subject, payload)
        await self.said(f'permissions violation for publish to "{subject}"', before)

    async def said(self, refusal: str, since: int, timeout: float = 5.0) -> None:
        """The server's refusal comes as an error of its own, not always before the next PONG."""
        deadline = time.monotonic() + timeout
        while not any(refusal.lower() in said for said in self.refusals[since:]):
            assert time.monotonic() < deadline, f"the server did not say {refusal!r}: {self.refusals[since:]}"
            await asyncio.sleep(0.02)


@asynccontextmanager
async def connected(bus, user: str):
    refusals = []

    async def on_error(exc):
        refusals.append(str(exc))
    nc = await nats.connect(bus.url_as(user), inbox_prefix=f"_INBOX_{user}", error_cb=on_error, allow_reconnect=False)
    try:
        yield Session(nc, refusals)
    finally:
        await nc.close()


async def provision(bus, *partners):
    """The operator's streams (plain nats-py, so these tests do not lean on the code they check)."""
    async with connected(bus, "admin") as admin:
        for partner in partners:
            await admin.js.add_stream(StreamConfig(name=stream_name(partner), subjects=[f"samen030.{partner}.>"]))


async def publish(bus, partner: str, count: int, subject: str = "requests.request.changed") -> None:
    async with connected(bus, partner) as session:
        for i in range(count):
            await session.js.publish(f"samen030.{partner}.{subject}", b"{}", timeout=2)


def test_a_partner_publishes_only_under_its_own_subjects(bus):
    async def go():
        await provision(bus, K, Z)
        async with connected(bus, K) as k:
            ack = await k.js.publish(f"samen030.{K}.directory.offer.created", b"{}", timeout=2)
            assert ack.stream == KS
            for subject in (f"samen030.{Z}.directory.offer.created", "samen030.city.x", "elsewhere"):
                await k.refused(k.js.publish(subject, b"{}"), subject)
                await k.refused_silently(subject)
        async with connected(bus, "admin") as admin:
            assert (await admin.js.stream_info(ZS)).state.messages == 0
            assert (await admin.js.stream_info(KS)).state.messages == 1
    run_async(go())


def test_a_partner_creates_changes_and_deletes_no_stream(bus):
    async def go():
        async with connected(bus, K) as k:  # the review's reproduction: its own stream over zorgbelang's subjects
            for subjects in ([f"samen030.{Z}.>"], [f"samen030.{K}.>"]):
                await k.refused(k.js.add_stream(StreamConfig(name=KS, subjects=subjects)),
                                f"$JS.API.STREAM.CREATE.{KS}")
        await provision(bus, K, Z)  # powerbypeers' stream is not provisioned yet
        async with connected(bus, K) as k:
            ours_with_more = StreamConfig(name=KS, subjects=[f"samen030.{K}.>", f"samen030.{Z}.>"])
            over_theirs = StreamConfig(name="samen030-rogue", subjects=[f"samen030.{Z}.>"])
            await k.refused(k.js.update_stream(ours_with_more), f"$JS.API.STREAM.UPDATE.{KS}")
            await k.refused(k.js.add_stream(over_theirs), "$JS.API.STREAM.CREATE.samen030-rogue")
            await k.refused(k.js.add_stream(StreamConfig(name=PS, subjects=[f"samen030.{P}.>"])),
                            f"$JS.API.STREAM.CREATE.{PS}")
            await k.refused(k.js.delete_stream(ZS), f"$JS.API.STREAM.DELETE.{ZS}")
            for own_or_theirs in (KS, ZS):
                await k.refused(k.js.purge_stream(own_or_theirs), f"$JS.API.STREAM.PURGE.{own_or_theirs}")
            await k.refused(k.js.stream_info(ZS), f"$JS.API.STREAM.INFO.{ZS}")
            assert (await k.js.stream_info(KS)).config.subjects == [f"samen030.{K}.>"]
        async with connected(bus, P) as p:  # not even its own, on the shared server: the operator makes it
            await p.refused(p.js.add_stream(StreamConfig(name=PS, subjects=[f"samen030.{P}.>"])),
                            f"$JS.API.STREAM.CREATE.{PS}")
        async with connected(bus, "admin") as admin:
            assert {s.config.name: s.config.subjects for s in await admin.js.streams_info()} == {
                KS: [f"samen030.{K}.>"], ZS: [f"samen030.{Z}.>"]}
    run_async(go())


def test_a_partner_cannot_touch_another_partners_or_the_gateways_consumers(bus):
    """The review's reproduction: krachtstation deleted a consumer on zorgbelang's stream and pulled and
    acked messages of the gateway's `gateway-readmodel` on it, so the gateway never saw them."""
    async def go():
        await provision(bus, K, Z, P)
        await publish(bus, Z, 3)
        async with connected(bus, "gateway") as gw, connected(bus, P) as p, connected(bus, K) as k:
            gateway_sub = await gw.js.pull_subscribe(f"samen030.{Z}.>", durable="gateway-readmodel", stream=ZS)
            [held] = await gateway_sub.fetch(1, timeout=2)  # delivered to the gateway, not yet acked
            answers = f"samen030.{Z}.requests.request.changed"  # all powerbypeers' follow-up reads there
            await p.js.add_consumer(ZS, ConsumerConfig(name="followup-powerbypeers", durable_name="followup-powerbypeers",
                                                       filter_subject=answers, **EXPLICIT))
            for more in (f"samen030.{Z}.>", f"samen030.{Z}.members.member.listed"):  # its own consumer, reading more
                await p.refused(p.js.add_consumer(ZS, ConsumerConfig(
                    name="followup-powerbypeers", durable_name="followup-powerbypeers", filter_subject=more, **EXPLICIT)),
                    f"$JS.API.CONSUMER.CREATE.{ZS}.followup-powerbypeers.{more}")

            api = "$JS.API.CONSUMER"
            for durable in ("gateway-readmodel", "followup-powerbypeers", "erasures-powerbypeers", "notifier"):
                await k.refused(k.js.consumer_info(ZS, durable), f"{api}.INFO.{ZS}.{durable}")
                await k.refused(k.js.delete_consumer(ZS, durable), f"{api}.DELETE.{ZS}.{durable}")
                await k.refused(k.js.add_consumer(ZS, ConsumerConfig(name=durable, durable_name=durable, **EXPLICIT)),
                                f"{api}.CREATE.{ZS}.{durable}")
                await k.refused(k.js.add_consumer(ZS, ConsumerConfig(durable_name=durable, **EXPLICIT)),
                                f"{api}.DURABLE.CREATE.{ZS}.{durable}")
            stolen = await k.js.pull_subscribe_bind("gateway-readmodel", stream=ZS)
            await k.refused(stolen.fetch(1, timeout=0.5), f"{api}.MSG.NEXT.{ZS}.gateway-readmodel")
            await k.refused(k.js.add_consumer(ZS, ConsumerConfig(**EXPLICIT)), f"{api}.CREATE.{ZS}")  # ephemeral
            for verb in (b"+ACK", b"+TERM", b"-NAK"):
                await k.refused_silently(held.reply, verb)
            # its own consumer's subject, with another consumer's name or another filter in the body: the server says no
            answers = f"samen030.{Z}.requests.request.changed"
            for name, subjects in (("gateway-readmodel", answers), ("followup-krachtstation", f"samen030.{Z}.>")):
                body = {"stream_name": ZS, "config": {"durable_name": name, "name": name, "filter_subject": subjects,
                                                      "ack_policy": "explicit", "deliver_policy": "new"}}
                answer = json.loads((await k.nc.request(f"{api}.CREATE.{ZS}.followup-krachtstation.{answers}",
                                                        json.dumps(body).encode(), timeout=2)).data)
                assert answer.get("error"), answer

            # what krachtstation may do: its own consumer on zorgbelang's stream, pulled and acked
            own = await k.js.pull_subscribe(answers, durable="followup-krachtstation", stream=ZS)
            for message in await own.fetch(3, timeout=2):
                await message.ack_sync()
            assert (await k.js.consumer_info(ZS, "followup-krachtstation")).num_ack_pending == 0

        async with connected(bus, "admin") as admin:
            gateway = await admin.js.consumer_info(ZS, "gateway-readmodel")
            assert (gateway.delivered.stream_seq, gateway.ack_floor.stream_seq, gateway.num_ack_pending) == (1, 0, 1)
            assert gateway.config.deliver_policy == "all"
            assert (await admin.js.consumer_info(ZS, "followup-powerbypeers")).num_pending == 3
    run_async(go())


def test_nobody_reads_another_users_replies(bus):
    async def go():
        await provision(bus, K, Z)
        async with connected(bus, K) as k, connected(bus, Z) as z:
            seen = []

            async def keep(msg):
                seen.append(msg.subject)
            for subject in ("_INBOX_zorgbelang.>", "_INBOX_gateway.>", "_INBOX.>", ">", f"samen030.{Z}.>", "$JS.ACK.>"):
                before = len(k.refusals)
                await k.nc.subscribe(subject, cb=keep)
                await k.said(f'permissions violation for subscription to "{subject}"', before)
            assert (await z.js.stream_info(ZS)).config.name == ZS  # a request: its answer comes to zorgbelang's inbox
            await z.js.publish(f"samen030.{Z}.directory.offer.created", b"{}", timeout=2)
            await k.nc.flush()  # whatever the server had sent krachtstation before this has arrived
            assert seen == []
    run_async(go())


@pytest.mark.parametrize("reader, durable, other", [("gateway", "gateway-readmodel", "notifier"),
                                                      ("notifier", "notifier", "gateway-readmodel")])
def test_the_gateway_and_the_notifier_read_every_stream_and_publish_nothing(bus, reader, durable, other):
    async def go():
        await provision(bus, K, Z)
        await publish(bus, Z, 2)
        async with connected(bus, reader) as r:
            for stream in (KS, ZS):
                assert (await r.js.stream_info(stream)).config.name == stream
            sub = await r.js.pull_subscribe(f"samen030.{Z}.>", durable=durable, stream=ZS)
            for message in await sub.fetch(2, timeout=2):
                await message.ack_sync()
            assert (await r.js.consumer_info(ZS, durable)).num_ack_pending == 0
            await r.refused(r.js.publish(f"samen030.{Z}.directory.offer.created", b"{}"),
                            f"samen030.{Z}.directory.offer.created")
            await r.refused(r.js.add_stream(StreamConfig(name="samen030-city", subjects=["samen030.city.>"])),
                            "$JS.API.STREAM.CREATE.samen030-city")
            await r.refused(r.js.add_consumer(ZS, ConsumerConfig(name=other, durable_name=other, **EXPLICIT)),
                            f"$JS.API.CONSUMER.CREATE.{ZS}.{other}")
            await r.refused(r.js.consumer_info(ZS, "followup-krachtstation"),
                            f"$JS.API.CONSUMER.INFO.{ZS}.followup-krachtstation")
        async with connected(bus, "admin") as admin:
            assert (await admin.js.stream_info(ZS)).state.messages == 2
            assert len(await admin.js.streams_info()) == 2
    run_async(go())


def test_the_workers_do_their_work_within_their_rights(bus, databases):
    """The allowed paths, through the workers themselves: the operator provisions the streams, zorgbelang's
    relay publishes, krachtstation's follow-up worker pulls and acks zorgbelang's answer from zorgbelang's
    stream (and reads erasures from its own), the gateway's projector reads every stream."""
    z_directory, z_requests = databases.open(Z, "directory", directory_metadata), databases.open(Z, "requests",
                                                                                                  requests_metadata)
    k_requests, readmodel = databases.open(K, "requests", requests_metadata), databases.open("city", "gateway",
                                                                                            readmodel_metadata)
    directory.create_offer(z_directory, Z, {"name": "Inloop", "category": "informatie", "buurt": "BU03440832"}, "t")
    answer = referral_outcome(referral_received(Z, K), accepted=True)
    with z_requests.begin() as conn:
        outbox_rows.record(conn, requests_outbox, answer)

    def done():
        """krachtstation applied zorgbelang's answer, the gateway has zorgbelang's offer"""
        with k_requests.connect() as conn, readmodel.connect() as city:
            return (conn.execute(select(applied_events).where(applied_events.c.event_id == answer.id)).first()
                    and city.execute(select(city_offers)).first())

    async def workers(stop):
        await asyncio.gather(run_followup(k_requests, K, [Z, P], bus.url_as(K), stop),
                             consume(readmodel_projection(readmodel), bus.url_as("gateway"), PARTNERS, stop))

    async def go():
        async with connected(bus, "admin") as admin:
            assert set((await provision_streams(admin.js, PARTNERS)).values()) == {"created"}
        for db, outbox, service in ((z_directory, directory_outbox, "directory"),
                                    (z_requests, requests_outbox, "requests")):
            await Relay(db, outbox, Z, service, bus.url_as(Z)).run(asyncio.Event(), until_empty=True)
        async with running(workers) as task:
            await until(done, watch=task)
        async with connected(bus, "admin") as admin:
            followup = await admin.js.consumer_info(ZS, "followup-krachtstation")
            assert (followup.config.filter_subject, followup.num_ack_pending, followup.num_pending) == (
                f"samen030.{Z}.requests.request.changed", 0, 0)
            assert (await admin.js.consumer_info(KS, "erasures-krachtstation")).num_pending == 0
            gateway = await admin.js.consumer_info(ZS, "gateway-readmodel")
            assert (gateway.num_ack_pending, gateway.ack_floor.stream_seq) == (0, 2)
    run_async(go())
