"""`samen030 run` as separate processes (embedded nats-server, every founding partner's directory and
relay, the gateway and its projector), spoken to over HTTP only, with the bus read afterwards."""
import json
import re
import signal
import time

import pytest
import requests

from samen030.kernel.auth import issue_token
from samen030.kernel.natsserver import credentials_url
from tests.federation import eventually, running_federation
from tests.hsds import assert_valid, assert_valid_page
from tests.pipeline import publish_raw, read_stream, run_async

FOUNDING = ["krachtstation", "buurtwerkkamer", "wijkinformatiepunt", "powerbypeers", "zorgbelang", "samen030"]
# The coordinators' user names are personal data: they stay in the partners' databases.
COORDINATOR = "Anna de Vries <anna.devries@example.nl> 06-12345678"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def federation(request, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("federation")
    with running_federation(request, workdir) as (urls, proc):
        yield urls, proc, workdir


def nats_as(urls, workdir, user):
    """The federation's NATS URL with the credentials `samen030 run` made for `user`."""
    return credentials_url(urls["nats"], user, workdir / "var" / "nats")


def create(url, partner, name, buurt="BU03440832", category="informatie"):
    token = issue_token(partner, "coordinator", COORDINATOR)
    response = requests.post(f"{url}/offers", json={"name": name, "description": f"{name} in de buurt",
                                                   "category": category, "buurt": buurt},
                             headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert response.status_code == 201, response.text
    return response.json()


def gateway_offers(urls, **params):
    return requests.get(f"{urls['gateway']}/api/v1/offers", params={"per_page": 200, **params}, timeout=5).json()


def test_offers_created_at_two_partners_appear_at_the_gateway(federation):
    urls, _proc, _workdir = federation
    ours = [create(urls["krachtstation"], "krachtstation", "Taalcafé Kanaleneiland"),
            create(urls["zorgbelang"], "zorgbelang", "Cliëntondersteuning", "BU03440111", "lichte-zorg")]
    token = issue_token("wijkinformatiepunt", "coordinator", COORDINATOR)
    via_gateway = requests.post(f"{urls['gateway']}/api/v1/partners/wijkinformatiepunt/offers",
                                json={"name": "Formulierenhulp", "category": "praktische-hulp", "buurt": "BU03440321"},
                                headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert via_gateway.status_code == 201, via_gateway.text
    ours.append(via_gateway.json())

    def all_there():
        """every offer at the gateway, with its owner"""
        seen = {o["id"]: o["partner"] for o in gateway_offers(urls)["items"]}
        return all(seen.get(o["id"]) == o["partner"] for o in ours)
    eventually(all_there, timeout=20)
    assert [o["name"] for o in gateway_offers(urls, wijk="WK034401")["items"]] == ["Cliëntondersteuning"]
    partners = {p["id"]: p for p in requests.get(f"{urls['gateway']}/api/v1/partners", timeout=5).json()}
    assert set(partners) == set(FOUNDING)
    assert partners["zorgbelang"]["events_applied"] >= 1 and partners["zorgbelang"]["last_event_at"]
    assert partners["zorgbelang"]["services"]["directory"] == urls["zorgbelang"]


def test_bad_input_over_http_gets_a_named_4xx_and_sends_no_event(federation):
    urls, _proc, workdir = federation
    url = f"{urls['buurtwerkkamer']}/offers"
    headers = {"Authorization": f"Bearer {issue_token('buurtwerkkamer', 'coordinator', 'x')}",
               "Content-Type": "application/json"}
    before = len(run_async(read_stream(nats_as(urls, workdir, "admin"), "buurtwerkkamer")))
    cases = [
        ({"category": "informatie", "buurt": "BU03440222"}, 422, "name"),
        ({"name": ["x"], "category": "informatie", "buurt": "BU03440222"}, 422, "name"),
        ({"name": "x", "category": "informatie", "buurt": "BU00000000"}, 422, "Unknown buurt code"),
    ]
    for body, status, words in cases:
        response = requests.post(url, data=json.dumps(body), headers=headers, timeout=5)
        assert response.status_code == status and words in response.text
    assert requests.post(url, data=b'{"name": ', headers=headers, timeout=5).status_code == 400
    assert requests.post(url, data=b"{" + b" " * 100_000 + b"}", headers=headers, timeout=5).status_code == 413
    assert requests.post(url, data=b"{}", headers={"Content-Type": "application/json"}, timeout=5).status_code == 401
    assert requests.get(f"{url}?per_page=1", timeout=5).json()["total_items"] == 0
    time.sleep(0.5)
    assert len(run_async(read_stream(nats_as(urls, workdir, "admin"), "buurtwerkkamer"))) == before


EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
PHONE = re.compile(r"(?<![\w-])(\+31|0)[\s-]?\d([\s-]?\d){8}(?![\w-])")
OFFER_DATA_KEYS = {"offer_id", "name", "description", "category", "terms", "buurt", "wijk", "areas", "status", "free",
                   "languages", "minimum_age", "maximum_age", "location_buurten", "virtual", "opening_hours",
                   "version", "updated_at"}


def test_no_personal_data_on_the_bus(federation):
    """Reads every message in every partner's stream after the other tests wrote to them."""
    urls, _proc, workdir = federation
    create(urls["powerbypeers"], "powerbypeers", "Lotgenotengroep")
    eventually(lambda: gateway_offers(urls, partner="powerbypeers")["total_items"] == 1, timeout=20)
    messages = [m for p in FOUNDING for m in run_async(read_stream(nats_as(urls, workdir, "admin"), p))]
    assert len(messages) >= 4
    for message in messages:
        text = message.data.decode()
        event = json.loads(text)
        assert message.headers["Nats-Msg-Id"] == event["id"]
        assert message.headers["Content-Type"] == "application/cloudevents+json"
        assert set(event["data"]) == OFFER_DATA_KEYS
        assert not EMAIL.search(text) and not PHONE.search(text), text
        assert "Anna" not in text and "Vries" not in text


def test_a_partner_publishes_only_under_its_own_subjects(federation):
    urls, _proc, workdir = federation
    admin = nats_as(urls, workdir, "admin")
    before = len(run_async(read_stream(admin, "krachtstation")))
    payload = run_async(read_stream(admin, "zorgbelang"))[0].data  # any valid event
    with pytest.raises(Exception):
        run_async(publish_raw(nats_as(urls, workdir, "zorgbelang"), "samen030.krachtstation.directory.offer.created",
                              payload, "forged-1"))
    with pytest.raises(Exception):
        run_async(publish_raw(nats_as(urls, workdir, "gateway"), "samen030.krachtstation.directory.offer.created",
                              payload, "forged-2"))
    with pytest.raises(Exception):
        run_async(publish_raw(urls["nats"], "samen030.krachtstation.directory.offer.created", payload, "forged-3"))
    assert len(run_async(read_stream(admin, "krachtstation"))) == before
    # the same user and message under its own subject: accepted (the projector drops the duplicate)
    run_async(publish_raw(nats_as(urls, workdir, "zorgbelang"), "samen030.zorgbelang.directory.offer.created",
                          payload, "own-1"))


def test_an_hsds_client_reads_a_partner_and_the_whole_city(federation):
    urls, _proc, _workdir = federation
    create(urls["samen030"], "samen030", "Buurtbudget Rivierenwijk", "BU03440812", "buurtzaken")
    eventually(lambda: gateway_offers(urls, partner="samen030")["total_items"] == 1, timeout=20)
    for base in (urls["samen030"], f"{urls['gateway']}/hsds"):
        services, page = [], 1
        while True:
            body = requests.get(f"{base}/services", params={"page": page, "per_page": 2}, timeout=5).json()
            services += assert_valid_page("service", body)
            if body["last_page"]:
                break
            page += 1
        assert len(services) == body["total_items"] >= 1
        for service in services:
            assert_valid("service", requests.get(f"{base}/services/{service['id']}", timeout=5).json())


def test_the_portal_is_served_and_its_url_printed_first(federation):
    urls, _proc, workdir = federation
    printed = (workdir / "run.log").read_text().split("SAMEN030 federation is running", 1)[1].strip().splitlines()
    assert printed[0].split()[:2] == ["portal", f"{urls['portal']}/"]
    create(urls["buurtwerkkamer"], "buurtwerkkamer", "Buurtkamer Lombok", "BU03440111", "welzijn-ontmoeten")
    eventually(lambda: gateway_offers(urls, partner="buurtwerkkamer", category="welzijn-ontmoeten")["total_items"] == 1,
               timeout=20)
    page = requests.get(f"{urls['portal']}/aanbod", params={"q": "buurtkamer", "waar": "Welgelegen, Den Hommel"}, timeout=5)
    assert page.status_code == 200 and "Buurtkamer Lombok" in page.text and "Gegevens van" in page.text
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"]
    assert requests.get(f"{urls['gateway']}/docs", timeout=5).text.count("/docs/swagger-ui/") == 3


def test_ctrl_c_stops_everything(federation):
    urls, proc, workdir = federation
    import subprocess
    proc.send_signal(signal.SIGINT)
    try:
        assert proc.wait(timeout=30) == 0, (workdir / "run.log").read_text()[-2000:]
    except subprocess.TimeoutExpired:  # say which part held it up: the end of each part's log
        tails = {log.name: log.read_text(errors="replace").splitlines()[-5:]
                 for log in sorted((workdir / "var").rglob("*.log"))}
        pytest.fail(f"samen030 run still running 30 s after Ctrl-C; run.log: "
                    f"{(workdir / 'run.log').read_text()[-1500:]}\nparts: {json.dumps(tails, indent=1)}")
    for url in (urls["gateway"], urls["portal"], urls["krachtstation"]):
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{url}/health", timeout=1)


def test_a_part_that_cannot_start_is_named_with_its_log_and_nothing_is_left_running(tmp_path):
    """krachtstation's port is taken: its node dies at every start; `samen030 run` says which part and
    why, and stops the others."""
    import os
    import socket
    import subprocess
    import sys

    from tests.federation import write_federation
    urls = write_federation(tmp_path / "federation.toml", ["krachtstation", "zorgbelang"])
    taken = socket.socket()
    taken.bind(("127.0.0.1", int(urls["krachtstation"].rsplit(":", 1)[1])))
    taken.listen()
    env = {**os.environ, "SAMEN030_FEDERATION": str(tmp_path / "federation.toml"), "SAMEN030_VAR": str(tmp_path / "var"),
           "SAMEN030_SMTP_URL": "smtp://mail.example.invalid:25"}
    env.pop("NATS_URL", None)
    try:
        done = subprocess.run([sys.executable, "-m", "samen030", "run", "--no-demo"], env=env, capture_output=True,
                              text=True, timeout=120)
    finally:
        taken.close()
    assert done.returncode == 1, done.stdout + done.stderr
    assert "krachtstation failed" in done.stderr and "while starting" in done.stderr
    assert "Address already in use" in done.stderr  # the end of its log, shown
    for url in (urls["gateway"], urls["zorgbelang"]):
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{url}/health", timeout=1)
