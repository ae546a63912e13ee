"""Nothing lost, nothing doubled: 2,000 offers created over HTTP while the broker is SIGKILLed and
restarted twice and the relay is SIGKILLed once."""
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import select

from samen030.directory.tables import metadata as directory_metadata, outbox
from samen030.gateway.readmodel import metadata as readmodel_metadata, offers as city_offers
from samen030.kernel.auth import issue_token
from tests.federation import Processes, eventually, wait_healthy, write_federation
from tests.pipeline import read_stream, run_async

OFFERS = 2000
PARTNER = "krachtstation"


@pytest.mark.slow
def test_broker_and_relay_crashes_lose_and_double_nothing(tmp_path, own_nats, databases):
    urls = write_federation(tmp_path / "federation.toml", [PARTNER], nats_url=own_nats.url)
    procs = Processes(tmp_path, {"SAMEN030_FEDERATION": str(tmp_path / "federation.toml"),
                                 "SAMEN030_VAR": str(tmp_path / "var"), **databases.env()})
    try:
        procs.start("directory", "serve", "directory", "--partner", PARTNER, "--workers", "2", "--threads", "4")
        procs.start("relay", "relay", "--partner", PARTNER)
        procs.start("projector", "projector")
        wait_healthy(urls[PARTNER])
        created = create_offers_while(urls[PARTNER], chaos={
            OFFERS * 2 // 10: lambda: restart_broker(own_nats),
            OFFERS * 5 // 10: lambda: (procs.kill("relay"), procs.start("relay", "relay", "--partner", PARTNER)),
            OFFERS * 8 // 10: lambda: restart_broker(own_nats),
        })
        assert len(created) == OFFERS

        directory_db = databases.open(PARTNER, "directory", directory_metadata)
        with directory_db.connect() as conn:
            event_ids = set(conn.execute(select(outbox.c.event_id)).scalars())
        assert len(event_ids) == OFFERS

        def stream_complete():
            """the stream holds every event"""
            return len(run_async(read_stream(own_nats.url, PARTNER))) >= OFFERS
        eventually(stream_complete, timeout=90, interval=1)
        messages = run_async(read_stream(own_nats.url, PARTNER))
        msg_ids = [m.headers["Nats-Msg-Id"] for m in messages]
        assert len(msg_ids) == OFFERS, f"{len(msg_ids) - len(set(msg_ids))} doubled"
        assert set(msg_ids) == event_ids

        readmodel = databases.open("city", "gateway", readmodel_metadata)

        def readmodel_complete():
            """the read model holds every offer"""
            with readmodel.connect() as conn:
                return len(conn.execute(select(city_offers.c.id)).all()) >= OFFERS
        eventually(readmodel_complete, timeout=90, interval=1)
        with readmodel.connect() as conn:
            ids = conn.execute(select(city_offers.c.id)).scalars().all()
        assert len(ids) == OFFERS and set(ids) == created
        # the crashes really hit the workers while they were connected (the first relay lived through
        # the first broker restart; the projector through both)
        assert procs.log("relay").count("reconnected to NATS") >= 1
        assert procs.log("projector").count("reconnected to NATS") >= 2
    except BaseException:
        for name in ("directory", "relay", "projector"):
            print(f"--- {name}.log ---\n{procs.log(name)[-3000:]}")
        raise
    finally:
        procs.stop_all()


def restart_broker(nats):
    nats.kill()
    threading.Event().wait(1.0)
    nats.start()


def create_offers_while(url: str, chaos: dict) -> set:
    """POST OFFERS offers from 8 threads; run each chaos action once that many offers exist."""
    headers = {"Authorization": f"Bearer {issue_token(PARTNER, 'coordinator', 'chaos')}"}
    created, lock, local = set(), threading.Lock(), threading.local()
    chaos_threads = []

    def post(i):
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        body = {"name": f"Aanbod {i} {uuid.uuid4().hex[:6]}", "category": "praktische-hulp", "buurt": "BU03440832"}
        response = session.post(f"{url}/offers", json=body, headers=headers, timeout=30)
        assert response.status_code == 201, response.text
        with lock:
            created.add(response.json()["id"])
            if action := chaos.pop(len(created), None):
                thread = threading.Thread(target=action)
                thread.start()
                chaos_threads.append(thread)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(post, range(OFFERS)))
    for thread in chaos_threads:
        thread.join()
    return created
