"""Defect 3 of the review: an event its handler cannot apply was nak'ed every 5 s for ever. Now it is
parked after SAMEN030_MAX_DELIVER tries (a row in the projection's own database, then the message is
terminated), `samen030 parked [--retry]` shows it and applies it again, projection work runs off the
event loop, and a worker whose NATS is down stops when told. Real nats-server, SQLite and PostgreSQL."""
import asyncio
import json
import threading
import time
import uuid

import nats
import pytest
from sqlalchemy import func, select

from samen030.cli import main
from samen030.directory import offers as directory
from samen030.directory.tables import metadata as directory_metadata, outbox
from samen030.gateway import projector
from samen030.gateway.projector import readmodel_projection
from samen030.gateway.readmodel import applied_events, metadata as readmodel_metadata, offers, parked_events
from samen030.kernel.bus import stream_name
from samen030.kernel.consumer import Projection, consume
from samen030.kernel.natsserver import free_port
from samen030.kernel.relay import Relay
from tests.federation import write_federation
from tests.pipeline import run_async, running, until

CREATED = "nl.samen030.directory.offer.created.v1"
OFFER = {"name": "Inloop", "category": "informatie", "buurt": "BU03440832", "status": "active"}


@pytest.fixture
def readmodel_db(databases):
    return databases.open("city", "gateway", readmodel_metadata)


class Broken:
    """The projector's handler for created offers, with a bug for offers named "Kapot"."""

    def __init__(self, monkeypatch):
        self.calls, self.original = 0, projector.HANDLERS[CREATED]
        monkeypatch.setitem(projector.HANDLERS, CREATED, self)

    def __call__(self, conn, event):
        if event.data["name"] == "Kapot":
            self.calls += 1
            raise KeyError("a bug in the handler")
        self.original(conn, event)


def publish(db, partner, nats_url, *names):
    for name in names:
        directory.create_offer(db, partner, {**OFFER, "name": name}, "t")
    run_async(Relay(db, outbox, partner, "directory", nats_url).run(asyncio.Event(), until_empty=True))


def count(db, table, *where) -> int:
    with db.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def names(db) -> set:
    with db.connect() as conn:
        return set(conn.execute(select(offers.c.name)).scalars())


def park_one(directory_db, readmodel_db, partner, nats_url, monkeypatch) -> Broken:
    monkeypatch.setenv("SAMEN030_MAX_DELIVER", "3")
    broken = Broken(monkeypatch)
    publish(directory_db, partner, nats_url, "Eerste", "Kapot", "Daarna")
    projection = readmodel_projection(readmodel_db)
    run_async(_consume_until(projection, nats_url, partner, lambda: count(readmodel_db, parked_events) == 1
                             and count(readmodel_db, applied_events) == 2))
    return broken


async def _consume_until(projection, nats_url, partner, condition):
    async with running(lambda stop: consume(projection, nats_url, [partner], stop, retry_delay=0.05)) as task:
        await until(condition, watch=task)


def test_an_event_that_keeps_failing_is_parked_and_the_consumer_moves_on(directory_db, readmodel_db, partner,
                                                                          nats_url, monkeypatch):
    broken = park_one(directory_db, readmodel_db, partner, nats_url, monkeypatch)
    assert broken.calls == 3
    with readmodel_db.connect() as conn:
        [parked] = conn.execute(select(parked_events)).mappings().all()
    assert (parked["consumer"], parked["partner"], parked["attempts"]) == ("gateway-readmodel", partner, 3)
    assert parked["subject"] == f"samen030.{partner}.directory.offer.created"
    assert json.loads(parked["payload"])["data"]["name"] == "Kapot" and parked["event_id"] == json.loads(
        parked["payload"])["id"]
    assert "a bug in the handler" in parked["error"] and parked["parked_at"] is not None
    assert names(readmodel_db) == {"Eerste", "Daarna"}

    async def nothing_left():
        nc = await nats.connect(nats_url)
        info = await nc.jetstream().consumer_info(stream_name(partner), "gateway-readmodel")
        await nc.close()
        return info.num_ack_pending == 0 and info.num_pending == 0  # terminated: never delivered again
    assert run_async(until(nothing_left))

    publish(directory_db, partner, nats_url, "Later")  # and the consumer goes on with what comes next
    run_async(_consume_until(readmodel_projection(readmodel_db), nats_url, partner,
                             lambda: names(readmodel_db) == {"Eerste", "Daarna", "Later"}))
    assert broken.calls == 3 and count(readmodel_db, parked_events) == 1


def test_samen030_parked_lists_and_applies_parked_events_again(directory_db, readmodel_db, partner, nats_url,
                                                               databases, monkeypatch, tmp_path, capsys):
    park_one(directory_db, readmodel_db, partner, nats_url, monkeypatch)
    for name, value in databases.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SAMEN030_VAR", str(tmp_path / "var"))
    with readmodel_db.connect() as conn:
        event_id = conn.execute(select(parked_events.c.event_id)).scalar_one()

    main(["parked", "--consumer", "gateway-readmodel"])
    listed = capsys.readouterr().out
    assert event_id in listed and partner in listed and "a bug in the handler" in listed and "3" in listed

    with pytest.raises(SystemExit) as still_broken:  # the bug is still there: the row stays, with the new error
        main(["parked", "--consumer", "gateway-readmodel", "--retry"])
    assert still_broken.value.code == 1 and "1 still failing" in capsys.readouterr().out
    with readmodel_db.connect() as conn:
        assert conn.execute(select(parked_events.c.attempts)).scalar_one() == 4

    monkeypatch.setitem(projector.HANDLERS, CREATED, projector.HANDLERS[CREATED].original)  # the bug is fixed
    main(["parked", "--consumer", "gateway-readmodel", "--retry", event_id])
    assert "1 applied" in capsys.readouterr().out
    assert count(readmodel_db, parked_events) == 0
    assert names(readmodel_db) == {"Eerste", "Kapot", "Daarna"}


def test_projection_work_runs_off_the_event_loop(directory_db, databases, partner, nats_url):
    """A projection whose handler takes long (here: until released) holds up no other projection of the
    process; and one projection fed from two streams never runs two batches at once."""
    other = f"p{uuid.uuid4().hex[:12]}"
    other_db = databases.open(other, "directory", directory_metadata)
    publish(directory_db, partner, nats_url, "Een")
    slow_db, fast_db = (databases.open(node, "gateway", readmodel_metadata) for node in ("slowcity", "fastcity"))
    released, inside, most_inside = threading.Event(), [0], [0]
    lock = threading.Lock()

    def slow_handler(_conn, _event):
        with lock:
            inside[0] += 1
            most_inside[0] = max(most_inside[0], inside[0])
        released.wait(20)
        with lock:
            inside[0] -= 1
    slow = Projection("slow-readmodel", slow_db, applied_events, {CREATED: slow_handler})
    fast = readmodel_projection(fast_db)
    threading.Timer(20, released.set).start()  # a stuck event loop ends, to fail rather than hang

    async def both(stop):
        await asyncio.gather(consume(slow, nats_url, [partner, other], stop),
                             consume(fast, nats_url, [partner, other], stop))

    async def go():
        async with running(both) as task:
            await until(lambda: inside[0] == 1, watch=task)  # the slow handler holds "Een"
            directory.create_offer(other_db, other, {**OFFER, "name": "Twee"}, "t")
            started = time.monotonic()
            await Relay(other_db, outbox, other, "directory", nats_url).run(asyncio.Event(), until_empty=True)
            await until(lambda: names(fast_db) == {"Een", "Twee"}, watch=task)
            assert not released.is_set(), "the fast projection waited for the slow one"
            print(f"\n{databases.kind}: published and applied by the fast projection in "
                  f"{(time.monotonic() - started) * 1000:.0f} ms while the slow one's handler was busy")
            released.set()
            await until(lambda: count(slow_db, applied_events) == 2, watch=task)
    try:
        run_async(go())
    finally:
        released.set()
    assert most_inside[0] == 1


def test_workers_whose_nats_is_down_stop_when_told(directory_db, readmodel_db, partner):
    nowhere = f"nats://127.0.0.1:{free_port()}"
    workers = [lambda stop: consume(readmodel_projection(readmodel_db), nowhere, [partner], stop),
               Relay(directory_db, outbox, partner, "directory", nowhere).run]

    async def go():
        stop = asyncio.Event()
        tasks = [asyncio.create_task(worker(stop)) for worker in workers]
        await asyncio.sleep(0.5)  # they try to connect meanwhile
        assert not any(task.done() for task in tasks)
        stop.set()
        started = time.monotonic()
        await asyncio.wait_for(asyncio.gather(*tasks), 10)
        return time.monotonic() - started
    assert run_async(go()) < 2.5


@pytest.mark.parametrize("args", [["--consumer", "notifier"], ["--consumer", "followup", "--partner", "zorgbelang"]])
def test_samen030_parked_opens_each_consumers_own_database(args, databases, monkeypatch, tmp_path, capsys):
    write_federation(tmp_path / "federation.toml", ["zorgbelang"], services=("requests",))
    monkeypatch.setenv("SAMEN030_FEDERATION", str(tmp_path / "federation.toml"))
    monkeypatch.setenv("SAMEN030_VAR", str(tmp_path / "var"))
    for name, value in databases.env().items():
        monkeypatch.setenv(name, value)
    main(["parked", *args])
    assert capsys.readouterr().out.strip() == "no parked events"
    main(["parked", *args, "--retry"])
    assert capsys.readouterr().out.strip() == "0 applied, 0 still failing"


def test_samen030_parked_asks_whose_follow_up_worker(capsys):
    with pytest.raises(SystemExit) as refused:
        main(["parked", "--consumer", "followup"])
    assert "--partner" in str(refused.value)


def test_a_database_in_trouble_gets_an_event_delivered_again_never_parked(databases, partner):
    """A lock waited on too long or a lost connection passes: such a failure carries no reason to park for."""
    from sqlalchemy.exc import OperationalError

    from samen030.kernel.events import new_event
    from samen030.kernel.projection import FAILED
    db = databases.open("city", "gateway", readmodel_metadata)

    def locked(_conn, _event):
        raise OperationalError("UPDATE offers …", {}, Exception("database is locked"))

    def broken(_conn, _event):
        raise KeyError("a bug")
    event = new_event(partner, "directory", "offer", "created", str(uuid.uuid4()), {
        "offer_id": str(uuid.uuid4()), "name": "x", "description": "", "category": "informatie",
        "buurt": "BU03440832", "wijk": "WK034408", "status": "active", "version": 1,
        "updated_at": "2026-11-29T10:00:00Z"})
    message = [(event.to_json(), event.nats_subject)]
    [(outcome, failure)] = Projection("t-locked", db, applied_events, {CREATED: locked}).apply_batch(message)
    assert outcome == FAILED and failure is None  # delivered again, however often
    [(outcome, failure)] = Projection("t-broken", db, applied_events, {CREATED: broken}).apply_batch(message)
    assert outcome == FAILED and failure is not None and "KeyError" in failure.error  # parked after its tries


def test_a_message_nested_too_deep_is_rejected_not_a_batch_that_fails_for_ever(databases, partner):
    """A partner's message of JSON nested a hundred thousand deep (well under NATS's 1 MB) made the
    JSON reader raise RecursionError, which parse_event let through: the whole batch failed, nothing in
    it was acked, and the consumer fetched the same batch again for ever (never parked: no outcome came
    back). It is not a valid event: rejected (terminated), and the rest of the batch is applied."""
    from samen030.kernel.events import new_event
    from samen030.kernel.projection import APPLIED, INVALID
    db = databases.open("city", "gateway", readmodel_metadata)
    event = new_event(partner, "directory", "offer", "created", str(uuid.uuid4()), {
        "offer_id": str(uuid.uuid4()), "name": "x", "description": "", "category": "informatie",
        "buurt": "BU03440832", "wijk": "WK034408", "status": "active", "version": 1,
        "updated_at": "2026-11-29T10:00:00Z"})
    poison = b"[" * 100_000 + b"]" * 100_000
    outcomes = Projection("t-deep", db, applied_events, {CREATED: lambda _conn, _event: None}).apply_batch(
        [(poison, event.nats_subject), (event.to_json(), event.nats_subject)])
    assert [outcome for outcome, _failure in outcomes] == [INVALID, APPLIED]


def test_another_partners_event_under_the_same_id_does_not_make_an_event_a_duplicate(databases):
    """Event ids are the sender's. Partner A reads B's answers on the bus (its follow-up worker) and can
    publish an event of its own under the id of one of B's; a consumer that reads A's stream first (it
    lags on B's, or is rebuilt) took B's real event for a duplicate of A's and dropped it: A could
    silence B's events at the gateway, the notifier and other partners' follow-up workers. An event
    is a duplicate only of one from the same partner."""
    from samen030.kernel.events import new_event
    from samen030.kernel.projection import APPLIED, DUPLICATE
    db = databases.open("city", "gateway", readmodel_metadata)
    applied = []
    projection = Projection("t-ids", db, applied_events, {CREATED: lambda _conn, event: applied.append(event.partner)})

    def offer(partner):
        offer_id = str(uuid.uuid4())
        return new_event(partner, "directory", "offer", "created", offer_id, {
            "offer_id": offer_id, "name": "x", "description": "", "category": "informatie", "buurt": "BU03440832",
            "wijk": "WK034408", "status": "active", "version": 1, "updated_at": "2026-11-29T10:00:00Z"})
    real = offer("zorgbelang")
    copied = offer("krachtstation")
    object.__setattr__(copied, "id", real.id)  # A publishes under B's event id
    messages = {"A": (copied.to_json(), copied.nats_subject), "B": (real.to_json(), real.nats_subject)}
    assert [o for o, _f in projection.apply_batch([messages["A"]])] == [APPLIED]
    assert [o for o, _f in projection.apply_batch([messages["B"]])] == [APPLIED]  # B's own, not A's again
    assert [o for o, _f in projection.apply_batch([messages["B"], messages["A"]])] == [DUPLICATE, DUPLICATE]
    assert applied == ["krachtstation", "zorgbelang"]
