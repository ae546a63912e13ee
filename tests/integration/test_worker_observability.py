"""A worker process as an operator runs it (`samen030 projector --metrics-port P`, with
SAMEN030_LOG_FORMAT=json): /metrics answers on its port and shows its consumer at work, and every line
it logs is one JSON object, the one about an event carrying its id. And gunicorn, given
kernel/logs.gunicorn_logconfig(), logs its own lines and the app's the same way. A real nats-server,
SQLite and PostgreSQL."""
import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import uuid
from datetime import datetime, timezone

from samen030.directory import offers as directory
from samen030.directory.tables import metadata as directory_metadata, outbox
from samen030.kernel.bus import stream_name
from samen030.kernel.events import Event
from samen030.kernel.natsserver import free_port
from samen030.kernel.relay import Relay
from tests.federation import eventually
from tests.metrics import scrape, total
from tests.pipeline import publish_raw, run_async

OFFER = {"name": "Inloop", "category": "informatie", "buurt": "BU03440832", "status": "active"}


def json_lines(path) -> list[dict]:
    """Every line of the file, each of which must be one JSON object."""
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    assert lines, "nothing was logged"
    return [json.loads(line) for line in lines]


def test_a_worker_serves_metrics_on_its_port_and_logs_json_lines_with_event_ids(databases, own_nats, tmp_path):
    partner, port = f"p{uuid.uuid4().hex[:12]}", free_port()
    (tmp_path / "federation.toml").write_text(textwrap.dedent(f"""
        [federation]
        nats_url = "{own_nats.url}"
        [partners.{partner}]
        name = "Test"
        services = {{ directory = "http://127.0.0.1:{free_port()}" }}
        """))
    env = {**os.environ, **databases.env(), "SAMEN030_FEDERATION": str(tmp_path / "federation.toml"),
           "SAMEN030_VAR": str(tmp_path / "var"), "NATS_URL": own_nats.url, "SAMEN030_LOG_FORMAT": "json"}
    db = databases.open(partner, "directory", directory_metadata)
    directory.create_offer(db, partner, OFFER, "t")
    run_async(Relay(db, outbox, partner, "directory", own_nats.url).run(asyncio.Event(), until_empty=True))
    wrong = Event(str(uuid.uuid4()), "nl.samen030.directory.offer.created.v1", f"/partners/{partner}/directory",
                  str(uuid.uuid4()), partner, datetime.now(timezone.utc), {"name": "no schema fits this"})
    run_async(publish_raw(own_nats.url, wrong.nats_subject, wrong.to_json(), wrong.id))

    log = tmp_path / "projector.log"
    with log.open("wb") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "samen030", "projector", "--metrics-port", str(port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=stderr)
    mine = {"consumer": "gateway-readmodel", "stream": stream_name(partner)}

    def settled():
        try:
            shown = scrape(f"http://127.0.0.1:{port}/metrics", timeout=1)
        except OSError:
            assert proc.poll() is None, log.read_text()
            return False
        return (total(shown, "samen030_consumer_events_total", **mine, outcome="applied") == 1
                and total(shown, "samen030_consumer_events_total", **mine, outcome="invalid") == 1)
    try:
        eventually(settled, timeout=30)
        shown = scrape(f"http://127.0.0.1:{port}/metrics")
        assert total(shown, "samen030_nats_connected", connection="gateway-readmodel") == 1
        assert total(shown, "process_resident_memory_bytes") > 0
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0

    lines = json_lines(log)
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines), lines
    [rejected] = [line for line in lines if line.get("event_id") == wrong.id]
    assert rejected["level"] == "WARNING" and rejected["logger"] == "samen030.kernel.projection"
    assert "rejected message" in rejected["message"] and rejected["time"].endswith("+00:00")
    assert any(line["message"].startswith("metrics on http://127.0.0.1:") for line in lines)


def test_gunicorn_given_the_logconfig_logs_json_lines_too(tmp_path):
    """What kernel/server.serve needs to pass gunicorn (`logconfig_dict`) for `samen030 serve`."""
    port, log = free_port(), tmp_path / "gunicorn.log"
    code = textwrap.dedent(f"""
        import logging
        from flask import Flask
        from samen030.kernel.logs import gunicorn_logconfig
        from samen030.kernel.server import _Gunicorn
        app = Flask("probe")

        @app.get("/")
        def hello():
            logging.getLogger("samen030.probe").warning("about one event", extra={{"event_id": "e-1"}})
            return "ok"
        _Gunicorn(app, {{"bind": "127.0.0.1:{port}", "workers": 1, "loglevel": "info", "errorlog": "-",
                        "logconfig_dict": gunicorn_logconfig()}}).run()
        """)
    with log.open("wb") as stderr:
        proc = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "SAMEN030_LOG_FORMAT": "json"},
                                stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        eventually(lambda: _get(f"http://127.0.0.1:{port}/") == 200, timeout=20)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    lines = json_lines(log)
    assert any(line["logger"] == "gunicorn.error" and "Booting worker" in line["message"] for line in lines), lines
    [about] = [line for line in lines if line.get("event_id") == "e-1"]
    assert (about["logger"], about["level"], about["message"]) == ("samen030.probe", "WARNING", "about one event")


def _get(url: str) -> int:
    import requests
    try:
        return requests.get(url, timeout=1).status_code
    except requests.ConnectionError:
        return 0
