"""A resident's question through the running federation (`samen030 run`: embedded nats-server, the
partners' directory, requests and members services, relays, follow-up workers, gateway, projector),
spoken to over HTTP only, while a listener on the bus records every message that passes and a
recording proxy in front of every service and the gateway records every request between them."""
import asyncio
import email
import email.policy
import threading

import jwt
import nats
import pytest
import requests

from samen030.kernel.auth import issue_token
from samen030.kernel.natsserver import ADMIN_USER, credentials_url
from tests.federation import eventually, running_federation
from tests.metrics import scrape, total
from tests.personal_data import personal_data_in, personal_values_in

A, B = "wijkinformatiepunt", "powerbypeers"
RESIDENT = {"name": "Henk Verhoeven", "phone": "06 55512345", "email": "henk.verhoeven@example.nl",
            "address": "Kanaleneiland Zuid 118"}
QUESTION_TEXT = ("Sinds mijn vrouw is overleden zit ik veel alleen thuis aan de Kanaleneiland Zuid 118; "
                 "ik wil graag praten met iemand die dit ook heeft meegemaakt.")
INTRUDER = "samen030-test-intruder"
OFFER = {"name": "Lotgenotengroep rouw", "description": "Samen praten over verlies, met ervaringsdeskundigen.",
         "category": "lichte-zorg", "terms": ["ervaringsdeskundigen"], "buurt": "BU03440832"}



class BusListener:
    """Every message on every subject, as the broker's admin sees it, from start() to stop()."""

    def __init__(self, url: str):
        self.url, self.messages, self.loop = url, [], asyncio.new_event_loop()
        self.ready = threading.Event()

    def start(self):
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(self._subscribe(), self.loop).result(timeout=10)
        return self

    async def _subscribe(self):
        self.nc = await nats.connect(self.url, name="bus-listener")

        async def record(msg):
            self.messages.append((msg.subject, bytes(msg.data)))
        await self.nc.subscribe(">", cb=record)
        await self.nc.flush()

    def stop(self):
        asyncio.run_coroutine_threadsafe(self.nc.drain(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def city(request, tmp_path_factory):
    workdir, proxies = tmp_path_factory.mktemp("journeys"), []
    with running_federation(request, workdir, [A, B], ("directory", "requests", "members"), proxies) as (urls, _proc):
        BEFORE_THE_JOURNEYS[request.param] = every_process(urls)
        listener = BusListener(credentials_url(urls["nats"], ADMIN_USER, workdir / "var" / "nats")).start()
        yield urls, listener, workdir, proxies
        listener.stop()


BEFORE_THE_JOURNEYS = {}


def every_process(urls) -> dict:
    """/metrics of every process of `samen030 run`: itself (with the nats-server's figures), each partner's
    node (at one of its service ports: the node is one process) and the city (at the gateway's)."""
    return {"run": scrape(urls["metrics"]), A: scrape(f"{at(urls, A, 'requests')}/metrics"),
            B: scrape(f"{at(urls, B, 'directory')}/metrics"), "city": scrape(f"{urls['gateway']}/metrics")}


def call(method, url, partner, body=None, expect=(200, 201)):
    token = issue_token(partner, "coordinator", f"coordinator-{partner}")
    response = requests.request(method, url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code in expect, (method, url, response.status_code, response.text)
    return response.json()


def at(urls, partner, service):
    return urls[f"{partner} {service}"]


@pytest.fixture(scope="module")
def offer(city):
    urls, _listener, _workdir, _proxies = city
    created = call("POST", f"{at(urls, B, 'directory')}/offers", B, OFFER)
    eventually(lambda: requests.get(f"{urls['gateway']}/api/v1/offers/{created['id']}", timeout=5).ok, timeout=30)
    return created


def take_in(urls, consents):
    body = {"channel": "walk_in", "category": "lichte-zorg", "terms": ["ervaringsdeskundigen"], "buurt": "BU03440832",
            "urgency": "high", "question": QUESTION_TEXT, "name": RESIDENT["name"], "phone": RESIDENT["phone"],
            "email": RESIDENT["email"], "consents": consents}
    return call("POST", f"{at(urls, A, 'requests')}/requests", A, body)


def status_at(urls, partner, request_id):
    return call("GET", f"{at(urls, partner, 'requests')}/requests/{request_id}", partner)["status"]


def test_with_consent_referred_accepted_resolved_and_counted(city, offer):
    urls, _listener, _workdir, _proxies = city
    request = take_in(urls, [{"purpose": "share_for_referral", "how": "mondeling"},
                             {"purpose": "contact_phone", "how": "mondeling"}])
    base = f"{at(urls, A, 'requests')}/requests/{request['id']}"
    call("POST", f"{base}/triage", A, {"reason": "Meneer wil graag lotgenotencontact."})
    suggestions = call("GET", f"{base}/suggestions", A)["offers"]
    assert offer["id"] in [s["id"] for s in suggestions]
    referral = call("POST", f"{base}/refer", A, {"offer_id": offer["id"]})
    assert referral["with_consent"] and referral["shared"] == ["question", "name", "phone"]

    theirs = f"{at(urls, B, 'requests')}/requests/{referral['other_request_id']}"
    received = call("GET", theirs, B)
    assert (received["name"], received["phone"], received["email"]) == (RESIDENT["name"], RESIDENT["phone"], None)
    call("POST", f"{theirs}/accept", B, {"reason": "Wij nemen contact op."})
    eventually(lambda: status_at(urls, A, request["id"]) == "accepted", timeout=30)
    call("POST", f"{theirs}/start", B)
    call("POST", f"{theirs}/resolve", B)
    call("POST", f"{base}/close", A)

    def counted():
        """the referral, its acceptance and B's resolution in the city figures"""
        figures = requests.get(f"{urls['gateway']}/api/v1/figures/requests", timeout=5).json()
        flows = {(r["from_partner"], r["to_partner"]): r for r in figures["referrals"]}
        by_partner = {row["code"]: row for row in figures["by_partner"]}
        resolved = by_partner.get(B, {}).get("median_hours_to_resolution") is not None
        return (flows.get((A, B)) or {}).get("accepted", 0) >= 1 and resolved and by_partner
    by_partner = eventually(counted, timeout=30)
    assert by_partner[A]["received"] >= 1 and by_partner[A]["referred"] >= 1
    assert by_partner[B]["received_by_referral"] >= 1 and by_partner[B]["median_hours_to_first_contact"] is not None


def test_without_consent_only_the_anonymous_question_travels(city, offer):
    urls, _listener, _workdir, _proxies = city
    request = take_in(urls, [])
    base = f"{at(urls, A, 'requests')}/requests/{request['id']}"
    call("POST", f"{base}/triage", A)
    referral = call("POST", f"{base}/refer", A, {"offer_id": offer["id"]})
    assert referral["shared"] == [] and referral["contact"]["offer_name"] == OFFER["name"]
    received = call("GET", f"{at(urls, B, 'requests')}/requests/{referral['other_request_id']}", B)
    assert [received[f] for f in ("question", "name", "phone", "email")] == [None] * 4
    call("POST", f"{at(urls, B, 'requests')}/requests/{received['id']}/decline", B, {"reason": "Groep is vol."})
    eventually(lambda: status_at(urls, A, request["id"]) == "declined", timeout=30)


def test_coordinators_were_told_by_mail_in_dutch(city):
    urls, _listener, workdir, _proxies = city

    def mails():
        """two referrals arrived at B; A heard of one acceptance and one refusal"""
        found = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                 for p in (workdir / "var" / "mail").glob("*.eml")]
        to_b = [m for m in found if f"coordinatoren@{B}" in m["To"] and "doorverwijzing" in m["Subject"].lower()]
        to_a = [m for m in found if f"coordinatoren@{A}" in m["To"]]
        return len(to_b) >= 2 and len(to_a) >= 2 and (found, to_b, to_a)
    found, to_b, to_a = eventually(mails, timeout=30)
    assert len({m["Message-ID"] for m in found}) == len(found)  # none twice
    assert f"{at(urls, B, 'requests')}/requests/" in to_b[0].get_body().get_content()
    subjects = " ".join(m["Subject"] for m in to_a).lower()
    assert "aangenomen" in subjects and "afgewezen" in subjects
    for message in found:
        text = message.as_string()
        assert not [w for w in (RESIDENT["name"], RESIDENT["phone"], RESIDENT["email"], "overleden") if w in text]


def test_partner_b_cannot_see_partner_as_requests(city):
    urls, _listener, _workdir, _proxies = city
    listing = requests.get(f"{at(urls, A, 'requests')}/requests", timeout=5, headers={
        "Authorization": f"Bearer {issue_token(B, 'coordinator', 'b')}", "User-Agent": INTRUDER})
    assert listing.status_code == 401  # B's token is not meant for A's services


def test_nothing_personal_passed_on_the_bus(city):
    """Runs after the journeys (pytest keeps the file's order)."""
    urls, listener, _workdir, _proxies = city
    eventually(lambda: any(s.endswith("requests.request.changed") for s, _d in listener.messages), timeout=10)
    assert any(s.endswith("requests.referral.sent") for s, _d in listener.messages)
    words = [RESIDENT["name"], "Verhoeven", RESIDENT["phone"], "0655512345", RESIDENT["email"], RESIDENT["address"],
             "Kanaleneiland Zuid", QUESTION_TEXT[:30], "overleden"]
    for subject, data in listener.messages:
        text = data.decode("utf-8", errors="replace")
        assert not [w for w in words if w.lower() in text.lower()], (subject, text[:300])
        if subject.startswith("samen030."):  # the events (not the broker's API traffic, which names consumers)
            found = personal_data_in(text) if ".requests." in subject else personal_values_in(text)  # offers have names
            assert not found, (subject, found, text[:300])


def test_no_coordinator_token_left_its_partner_and_none_reached_the_gateways_reads(city):
    """Runs after the journeys: every request the proxies saw between the services, the gateway and
    the test (which acts as each partner's coordinator, at that partner's own services only)."""
    _urls, listener, _workdir, proxies = city
    seen = [record for proxy in proxies for record in proxy.seen]
    assert {label.split()[-1] for label, *_ in seen} >= {"gateway", "requests", "members", "directory"}
    assert [r for r in seen if r[-1] == INTRUDER]  # the proxies did see what the test sent
    service_calls = []
    for label, method, path, authorization, user_agent in seen:
        if user_agent == INTRUDER:  # the test trying B's token at A on purpose (refused above)
            continue
        if label == "gateway":
            if method == "GET":
                assert authorization is None, (method, path)  # the gateway's reads are public: no token goes there
            continue
        if authorization is None:
            continue
        partner, service = label.split()
        claims = jwt.decode(authorization.removeprefix("Bearer "), options={"verify_signature": False})
        if "scope" in claims:
            service_calls.append((claims["iss"], partner, claims["scope"]))
            assert claims["aud"] == f"samen030:{partner}:{service}" and claims["exp"] - claims["iat"] <= 60, claims
            assert "role" not in claims
        else:  # a person's token reaches only its own partner's services
            assert claims["iss"] == partner, (label, method, path, claims)
    assert (A, B, "referral.handover") in service_calls
    # a node's services call each other in its own process (consents, volunteers, accounts): never over HTTP
    assert not [call for call in service_calls if call[0] == call[1]], service_calls
    for subject, data in listener.messages:
        assert b"eyJ" not in data and b"Bearer" not in data, subject  # no token ever on the bus


def test_every_process_shows_what_the_journeys_did(city, request):
    """Runs after the journeys: each process's /metrics parses and its figures moved."""
    urls, _listener, _workdir, _proxies = city
    before = BEFORE_THE_JOURNEYS[request.node.callspec.params["city"]]

    def moved():
        """every process's figures moved with the journeys"""
        now = every_process(urls)
        return now if all(checks(before, now).values()) else None
    now = eventually(moved, timeout=30)
    assert total(now["run"], "samen030_part_up") == 4 and total(now["run"], "nats_jetstream_streams") == 2
    assert total(now[A], "samen030_outbox_backlog", partner=A) == 0


def checks(before: dict, now: dict) -> dict[str, bool]:
    def grew(process, name, **labels):
        return total(now[process], name, **labels) > total(before[process], name, **labels)
    return {"nats messages": grew("run", "nats_jetstream_messages"),
            "A's requests served": grew(A, "samen030_http_requests_total", partner=A, service="requests", status="201"),
            "A's member consents asked": grew(A, "samen030_http_requests_total", partner=A, service="members"),
            "A's events published": grew(A, "samen030_events_published_total", partner=A, service="requests"),
            "A's follow-up applied B's answers": grew(A, "samen030_consumer_events_total", consumer=f"followup-{A}",
                                                      outcome="applied"),
            "B took in the handovers": grew(B, "samen030_http_requests_total", partner=B,
                                            endpoint="/incoming-referrals", status="201"),
            "the gateway answered": grew("city", "samen030_http_requests_total", partner="city"),
            "the projector applied": grew("city", "samen030_consumer_events_total", consumer="gateway-readmodel",
                                          outcome="applied"),
            "the notifier mailed": grew("city", "samen030_notifications_total", channel="email", outcome="sent")}
