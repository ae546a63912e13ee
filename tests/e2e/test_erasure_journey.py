"""A member's erasure through the running federation (`samen030 run`: embedded nats-server, relays,
follow-up workers, gateway and projector as processes), spoken to over HTTP only, while a listener on
the bus records every message: afterwards no file of the run — databases, their WALs, the JetStream
store, mails, logs — and no message on the bus holds the member's name, e-mail address or phone
number, none but the erasure their id (they never agreed to be suggested), and the city's figures are
what they were."""
import json
import os

import pytest
import requests
from sqlalchemy import create_engine, text

from samen030.kernel.natsserver import ADMIN_USER, credentials_url
from tests.e2e.test_help_request_journeys import BusListener, at, call
from tests.federation import eventually, running_federation

A, B = "wijkinformatiepunt", "powerbypeers"
PERSON = {"type": "person", "kind": "bewoner", "membership_number": "WIP-9931", "name": "Gerrit-Jan Zwartveld",
          "email": "gj.zwartveld@example.nl", "phone": "06 73120498", "buurt": "BU03440832"}
SECRETS = ("Zwartveld", "gj.zwartveld@example.nl", "06 73120498", "0673120498", "WIP-9931", "heupoperatie")
OFFER = {"name": "Lotgenoten na een operatie", "category": "lichte-zorg", "terms": ["ervaringsdeskundigen"],
         "buurt": "BU03440832"}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def city(request, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("erasure")
    with running_federation(request, workdir, [A, B], services=("directory", "requests", "members")) as (urls, proc):
        listener = BusListener(credentials_url(urls["nats"], ADMIN_USER, workdir / "var" / "nats")).start()
        pg = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
        yield urls, listener, workdir, pg
        listener.stop()


def figures(urls):
    requests_figures = requests.get(f"{urls['gateway']}/api/v1/figures/requests", timeout=5)
    answer = {"members": requests.get(f"{urls['gateway']}/api/v1/figures/members", timeout=5).json()}
    if requests_figures.ok:
        answer["requests"] = {k: v for k, v in requests_figures.json().items() if k != "generated_at"}
    return answer


def test_an_erased_member_leaves_no_trace_in_the_city(city):
    urls, listener, workdir, pg = city
    offer = call("POST", f"{at(urls, B, 'directory')}/offers", B, OFFER)
    eventually(lambda: requests.get(f"{urls['gateway']}/api/v1/offers/{offer['id']}", timeout=5).ok, timeout=20)
    members, mine, theirs = at(urls, A, "members"), at(urls, A, "requests"), at(urls, B, "requests")
    member = call("POST", f"{members}/members", A, PERSON)
    for purpose in ("share_for_referral", "contact_phone", "contact_email"):
        call("POST", f"{members}/members/{member['id']}/consents", A, {"purpose": purpose, "how": "schriftelijk"})
    request = call("POST", f"{mine}/requests", A, {
        "channel": "phone", "category": "lichte-zorg", "terms": ["ervaringsdeskundigen"], "buurt": "BU03440832",
        "urgency": "normal", "member_id": member["id"], "name": PERSON["name"], "phone": PERSON["phone"],
        "email": PERSON["email"], "question": "Na mijn heupoperatie wil ik praten met lotgenoten."})
    call("POST", f"{mine}/requests/{request['id']}/triage", A, {"reason": "Meneer Zwartveld gebeld."})
    referral = call("POST", f"{mine}/requests/{request['id']}/refer", A, {"offer_id": offer["id"]})
    copy = f"{theirs}/requests/{referral['other_request_id']}"
    assert call("GET", copy, B)["email"] == PERSON["email"]
    call("POST", f"{copy}/accept", B, {"reason": "Wij bellen meneer Zwartveld."})
    eventually(lambda: call("GET", f"{mine}/requests/{request['id']}", A)["status"] == "accepted", timeout=20)

    def counted():
        """the referral and its acceptance in the city's figures"""
        now = figures(urls)
        flows = {(r["from_partner"], r["to_partner"]): r for r in now.get("requests", {}).get("referrals", [])}
        return ("requests" not in now or flows.get((A, B), {}).get("accepted")) and now
    before = eventually(counted, timeout=20)
    exported = call("GET", f"{members}/members/{member['id']}/export", A)
    assert [r["name"] for r in exported["requests"]] == [PERSON["name"]]

    call("POST", f"{members}/members/{member['id']}/erase", A)
    eventually(lambda: call("GET", copy, B)["erased_at"], timeout=20)
    assert [call("GET", copy, B)[f] for f in ("question", "name", "phone", "email")] == [None] * 4
    assert call("GET", f"{mine}/requests/{request['id']}", A)["erased_at"]
    eventually(lambda: any(s == f"samen030.{B}.requests.request.erased" for s, _d in listener.messages), timeout=10)
    eventually(lambda: figures(urls) == before, timeout=10)
    assert not [s for s in SECRETS if s.lower() in json.dumps(call("GET", f"{members}/members/{member['id']}/export", A)).lower()]

    for subject, data in listener.messages:
        assert not [s for s in SECRETS if s.lower().encode() in data.lower()], subject
    about_him = {subject for subject, data in listener.messages
                 if subject.startswith(f"samen030.{A}.members.") and member["id"].encode() in data}
    assert about_him == {f"samen030.{A}.members.member.erased"}  # he never agreed to be suggested: only counted
    found = []
    for path in (workdir / "var").rglob("*"):  # SQLite files and WALs, the JetStream store, mails, logs
        if path.is_file():
            data = path.read_bytes().lower()
            found += [(str(path.relative_to(workdir)), s) for s in SECRETS if s.lower().encode() in data]
    assert not found
    if pg:
        assert not postgres_traces(pg)


def postgres_traces(url: str) -> list:
    """Every text value in every table of the run's schemas (tests/federation.py names them run<pid>…),
    read over SQL."""
    engine = create_engine(url)
    found = []
    with engine.connect() as conn:
        columns = conn.execute(text(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns WHERE table_schema LIKE :p "
            "AND data_type IN ('text', 'character varying', 'json', 'jsonb')"), {"p": f"run{os.getpid()}%"}).all()
        assert columns
        for schema, table, column in columns:
            for secret in SECRETS:
                hit = conn.execute(text(f'SELECT count(*) FROM "{schema}"."{table}" WHERE "{column}"::text ILIKE :s'),
                                   {"s": f"%{secret}%"}).scalar_one()
                if hit:
                    found.append((schema, table, column, secret))
    engine.dispose()
    return found
