"""A partner's events go into its own stream or nowhere: a stream over another partner's subjects is
refused loudly, an acknowledgement from another stream is not "published", a relay without the right
to make its stream waits for the operator, and the operator's `provision_streams` makes and mends
every partner's stream. Against a real nats-server, on SQLite and PostgreSQL."""
import logging

import nats
import pytest
from nats.js.api import StorageType, StreamConfig
from sqlalchemy import func, select

from samen030.directory import offers as directory
from samen030.directory.tables import metadata as directory_metadata, outbox
from samen030.kernel.bus import StreamMismatch, ensure_stream, provision_streams, stream_name
from samen030.cli import main
from samen030.kernel.relay import Relay
from tests.conftest import NatsServer
from tests.federation import write_federation
from tests.pipeline import run_async, running, until

K, Z, P = "krachtstation", "zorgbelang", "powerbypeers"
KS, ZS, PS = (stream_name(p) for p in (K, Z, P))
OFFER = {"name": "Inloop", "category": "informatie", "buurt": "BU03440832", "status": "active"}


@pytest.fixture
def zorgbelang_db(databases):
    return databases.open(Z, "directory", directory_metadata)


def create_offers(db, count: int) -> None:
    for i in range(count):
        directory.create_offer(db, Z, {**OFFER, "name": f"Inloop {i}"}, "t")


def published(db) -> int:
    with db.connect() as conn:
        return conn.execute(select(func.count()).select_from(outbox).where(outbox.c.published_at.is_not(None))).scalar()


def said(caplog, *words: str) -> bool:
    return any(r.levelno >= logging.ERROR and all(w in r.getMessage() for w in words) for r in caplog.records)


class Operator:
    """Plain nats-py on a server without users (or as admin): what an operator, or a rogue, can do."""

    def __init__(self, url: str):
        self.url = url

    async def __aenter__(self):
        self.nc = await nats.connect(self.url)
        self.js = self.nc.jetstream()
        return self

    async def __aexit__(self, *_exc):
        await self.nc.close()

    async def messages(self, stream: str) -> int:
        return (await self.js.stream_info(stream)).state.messages


def test_a_stream_over_another_partners_subjects_gets_none_of_its_events(own_nats, zorgbelang_db, caplog):
    """The review's reproduction: krachtstation's stream was made over zorgbelang's subjects; zorgbelang's
    relay took the overlap error for "created meanwhile", published into it and marked the rows published."""
    create_offers(zorgbelang_db, 3)

    async def go():
        async with Operator(own_nats.url) as op:
            await op.js.add_stream(StreamConfig(name=KS, subjects=[f"samen030.{Z}.>"]))
            relay = Relay(zorgbelang_db, outbox, Z, "directory", own_nats.url)
            async with running(relay.run) as task:
                await until(lambda: said(caplog, KS, f"samen030.{Z}.>") or published(zorgbelang_db), watch=task)
                assert published(zorgbelang_db) == 0
                assert await op.messages(KS) == 0
                await op.js.update_stream(StreamConfig(name=KS, subjects=[f"samen030.{K}.>"]))  # the operator mends it
                await until(lambda: published(zorgbelang_db) == 3, watch=task)
            assert (await op.messages(ZS), await op.messages(KS)) == (3, 0)
    with caplog.at_level(logging.INFO):
        run_async(go())


def test_an_acknowledgement_from_another_stream_does_not_count_as_published(own_nats, zorgbelang_db, caplog):
    create_offers(zorgbelang_db, 2)

    async def go():
        async with Operator(own_nats.url) as op:
            relay = Relay(zorgbelang_db, outbox, Z, "directory", own_nats.url)
            async with running(relay.run) as task:
                await until(lambda: published(zorgbelang_db) == 2, watch=task)
                # while the relay runs, zorgbelang's stream goes and krachtstation's is made over its subjects
                await op.js.delete_stream(ZS)
                await op.js.add_stream(StreamConfig(name=KS, subjects=[f"samen030.{Z}.>"]))
                create_offers(zorgbelang_db, 2)
                await until(lambda: said(caplog, KS) or published(zorgbelang_db) > 2, watch=task)
                assert published(zorgbelang_db) == 2
                await op.js.update_stream(StreamConfig(name=KS, subjects=[f"samen030.{K}.>"]))
                await until(lambda: published(zorgbelang_db) == 4, watch=task)
            assert await op.messages(ZS) == 2  # the later two, in zorgbelang's new stream
    with caplog.at_level(logging.INFO):
        run_async(go())


@pytest.mark.parametrize("subjects", [[f"samen030.{Z}.>"], [f"samen030.{K}.>", f"samen030.{Z}.>"], ["samen030.>"]])
def test_ensure_stream_refuses_a_partners_stream_with_other_subjects(own_nats, subjects):
    async def go():
        async with Operator(own_nats.url) as op:
            await op.js.add_stream(StreamConfig(name=KS, subjects=subjects))
            with pytest.raises(StreamMismatch) as refused:
                await ensure_stream(op.js, K)
            assert KS in str(refused.value) and str(subjects) in str(refused.value)
            assert str([f"samen030.{K}.>"]) in str(refused.value)
            await op.js.update_stream(StreamConfig(name=KS, subjects=[f"samen030.{K}.>"]))
            await ensure_stream(op.js, K)
    run_async(go())


def test_a_relay_waits_for_the_operator_to_provision_its_stream(tmp_path, zorgbelang_db, caplog):
    bus = NatsServer(tmp_path / "nats", partners=[K, Z]).start()
    create_offers(zorgbelang_db, 2)

    async def go():
        relay = Relay(zorgbelang_db, outbox, Z, "directory", bus.url_as(Z))
        async with running(relay.run) as task:
            await until(lambda: said(caplog, ZS, "samen030 streams") or published(zorgbelang_db), watch=task)
            assert published(zorgbelang_db) == 0
            assert said(caplog, "permissions violation", f"$js.api.stream.create.{ZS}")  # the server's reason
            async with Operator(bus.url_as("admin")) as op:
                assert await provision_streams(op.js, [K, Z]) == {KS: "created", ZS: "created"}
                await until(lambda: published(zorgbelang_db) == 2, watch=task)
                assert await op.messages(ZS) == 2
    try:
        with caplog.at_level(logging.INFO):
            run_async(go())
    finally:
        bus.stop()


def test_the_operator_provisions_and_mends_every_partners_stream(tmp_path, monkeypatch):
    bus = NatsServer(tmp_path / "nats", partners=[K, Z, P]).start()

    async def go():
        async with Operator(bus.url_as("admin")) as op:
            await op.js.add_stream(StreamConfig(name=KS, subjects=[f"samen030.{Z}.>"]))  # a rogue, over zorgbelang's
            await op.js.add_stream(StreamConfig(name="elsewhere", subjects=[f"samen030.{P}.>"]))
            done = await provision_streams(op.js, [K, Z, P])
            assert (done[KS], done[ZS]) == ("updated", "created")
            assert done[PS].startswith("refused: ") and "overlap" in done[PS]
            await op.js.delete_stream("elsewhere")
            assert await provision_streams(op.js, [K, Z, P]) == {KS: "as it should be", ZS: "as it should be",
                                                                  PS: "created"}
            for partner in (K, Z, P):
                config = (await op.js.stream_info(stream_name(partner))).config
                assert config.subjects == [f"samen030.{partner}.>"] and config.storage == StorageType.FILE
                assert (config.duplicate_window, config.max_age) == (3600, 30 * 86400)
            monkeypatch.setenv("SAMEN030_STREAM_MAX_AGE_DAYS", "7")
            assert set((await provision_streams(op.js, [K, Z, P])).values()) == {"updated"}
            assert (await op.js.stream_info(ZS)).config.max_age == 7 * 86400
    try:
        run_async(go())
    finally:
        bus.stop()


def test_samen030_streams_is_the_operators_command(tmp_path, monkeypatch, capsys):
    bus = NatsServer(tmp_path / "nats", partners=[K, Z]).start()
    write_federation(tmp_path / "federation.toml", [K, Z], nats_url=bus.url)
    monkeypatch.setenv("SAMEN030_FEDERATION", str(tmp_path / "federation.toml"))
    try:
        monkeypatch.setenv("NATS_URL", bus.url_as("admin"))
        main(["streams"])
        assert capsys.readouterr().out.splitlines() == [f"{KS}: created", f"{ZS}: created"]
        monkeypatch.setenv("NATS_URL", bus.url_as(K))  # a partner may look at its own stream, and no further
        with pytest.raises(SystemExit) as refused:
            main(["streams"])
        assert refused.value.code == 1
        assert capsys.readouterr().out.splitlines() == [
            f"{KS}: as it should be", f"{ZS}: refused: no answer: this NATS user may not do that, or the server is "
            "unreachable"]
    finally:
        bus.stop()
