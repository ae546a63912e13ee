"""A person's rights across a partner's services (AVG): one export of everything the partner holds,
an erasure that reaches the member's requests, the copies other partners got by referral and every
file of every database of the city, while the city's figures keep their counts; and retention.
Real services over HTTP (threads of this process) on SQLite and PostgreSQL; events go from outboxes
to the workers' projections as the bus would bring them."""
import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import JSON, String, Text, func, inspect, select, update

from samen030.helprequests.erasures import erasures_projection
from samen030.helprequests.followup_worker import answers_projection
from samen030.helprequests.tables import help_requests, transitions
from samen030.kernel.events import parse_event
from samen030.members.tables import members
from tests.conftest import auth
from tests.live import referral_city

A, B = "wijkinformatiepunt", "powerbypeers"
PERSON = {"type": "person", "kind": "bewoner", "membership_number": "WIP-0412", "name": "Fenna Oosterhuis-Kramer",
          "email": "fenna.oosterhuis@example.nl", "phone": "06 41237788", "address": "Zonstraat 12",
          "postcode": "3531 AB", "buurt": "BU03440832"}
SECRETS = ("Oosterhuis", "fenna.oosterhuis@example.nl", "06 41237788", "0641237788", "Zonstraat", "WIP-0412",
           "rugoperatie")
QUESTION = {"channel": "walk_in", "category": "lichte-zorg", "terms": ["ervaringsdeskundigen"], "buurt": "BU03440832",
            "urgency": "normal", "languages": ["nl"], "name": PERSON["name"], "phone": PERSON["phone"],
            "email": PERSON["email"], "consents": []}
OFFER = {"name": "Ervaringsdeskundigen aan tafel", "category": "lichte-zorg", "terms": ["ervaringsdeskundigen"],
         "buurt": "BU03440832"}
CONSENTS = ("share_for_referral", "contact_phone", "contact_email")


@pytest.fixture
def city(databases, monkeypatch, tmp_path):
    city = referral_city(databases, monkeypatch, tmp_path, OFFER, A, B)
    city.workdir = tmp_path
    yield city
    city.close()


def db(city, partner, service):
    return city.apps[(partner, service)].extensions["samen030.db"]


def call(city, partner, service, method, path, expect=(200, 201), **kwargs):
    response = getattr(city.client(partner, service), method)(path, headers=auth(partner), **kwargs)
    assert response.status_code in expect, (path, response.status_code, response.json)
    return response.json


def deliver(city):
    """Every event between the services, as relays and follow-up workers would pass them, until
    nothing new happens: answers to referrals, member.erased to its partner's requests service,
    request.erased to the other partners'."""
    for _round in range(3):
        rows = {key: [(p, s) for _seq, p, s in city.outbox(*key)] for key in city.ports if key[1] != "directory"}
        for partner in (A, B):
            others = [r for (p, svc), got in rows.items() if p != partner and svc == "requests" for r in got]
            answers_projection(db(city, partner, "requests"), partner).apply(
                [r for r in others if r[1].endswith("request.changed")])
            erasures_projection(db(city, partner, "requests"), partner).apply(
                [r for r in rows.get((partner, "members"), []) if r[1].endswith("member.erased")]
                + [r for r in others if r[1].endswith("request.erased")])
    city.sync_gateway()


def register_member(city, **changes):
    member = call(city, A, "members", "post", "/members", json={**PERSON, **changes})
    for purpose in CONSENTS:
        call(city, A, "members", "post", f"/members/{member['id']}/consents", json={"purpose": purpose, "how": "schriftelijk"})
    return member


def member_with_requests(city):
    """A member with two requests: one referred with consent to B (who accepted it), one helped here."""
    member = register_member(city)
    first = call(city, A, "requests", "post", "/requests", json={
        **QUESTION, "member_id": member["id"], "question": "Na mijn rugoperatie zoek ik lotgenoten; Fenna Oosterhuis."})
    call(city, A, "requests", "post", f"/requests/{first['id']}/triage", json={"reason": "Fenna Oosterhuis gebeld."})
    referral = call(city, A, "requests", "post", f"/requests/{first['id']}/refer", json={"offer_id": city.offer_id})
    assert referral["shared"] == ["question", "name", "phone", "email"]
    copy = referral["other_request_id"]
    call(city, B, "requests", "post", f"/requests/{copy}/accept", json={"reason": "Wij bellen mevrouw Oosterhuis."})
    second = call(city, A, "requests", "post", "/requests", json={
        **QUESTION, "member_id": member["id"], "category": "praktische-hulp", "terms": [],
        "question": "Hulp bij formulieren na de rugoperatie."})
    for action in ("start", "resolve", "close"):
        call(city, A, "requests", "post", f"/requests/{second['id']}/{action}", json={"reason": "Met Fenna samen gedaan."})
    deliver(city)
    return member, first, second, copy


def stored_text(database) -> list[tuple[str, str, str]]:
    """(table, column, value) of every text and JSON value in every table of the database."""
    found = []
    with database.connect() as conn:
        schema = conn.get_execution_options().get("schema_translate_map", {}).get(None)
        inspector = inspect(conn)
        for table in inspector.get_table_names(schema=schema):
            columns = inspector.get_columns(table, schema=schema)
            qualified = f'"{schema}"."{table}"' if schema else f'"{table}"'
            for row in conn.exec_driver_sql(f"SELECT * FROM {qualified}").mappings():
                for column in columns:
                    value = row[column["name"]]
                    if isinstance(column["type"], (String, Text, JSON)) or isinstance(value, (str, bytes, dict, list)):
                        text = value.decode(errors="replace") if isinstance(value, bytes) else \
                            value if isinstance(value, str) else json.dumps(value, default=str)
                        found.append((table, column["name"], text))
    return found


def every_database(city):
    return [city.gateway.extensions["samen030.db"], *(app.extensions["samen030.db"] for app in city.apps.values())]


def traces(city) -> list:
    return [(table, column, s) for database in every_database(city) for table, column, text in stored_text(database)
            for s in SECRETS if s.lower() in text.lower()]


def file_traces(root: Path) -> list:
    """Raw bytes of every SQLite file and WAL under `root`: what a copy of the disk would show."""
    found = []
    for path in sorted(root.rglob("*.sqlite*")):
        data = path.read_bytes().lower()
        found += [(path.name, s) for s in SECRETS if s.lower().encode() in data]
    return found


def figures(city):
    gateway = city.gateway.test_client()
    requests_figures = gateway.get("/api/v1/figures/requests")
    answer = {"members": gateway.get("/api/v1/figures/members").json}
    if requests_figures.status_code == 200:
        answer["requests"] = {k: v for k, v in requests_figures.json.items() if k != "generated_at"}
    from samen030.gateway import readmodel
    with city.gateway.extensions["samen030.db"].connect() as conn:
        for name in ("help_requests", "members", "referrals"):
            if (table := readmodel.metadata.tables.get(name)) is not None:
                answer[f"rows:{name}"] = conn.execute(select(func.count()).select_from(table)).scalar_one()
    return answer


def test_erasing_a_member_leaves_no_trace_in_the_city_and_keeps_the_figures(city):
    member, first, second, copy = member_with_requests(city)
    assert call(city, B, "requests", "get", f"/requests/{copy}")["email"] == PERSON["email"]
    assert traces(city)  # the scans do find what is there
    if city.databases.kind == "sqlite":
        assert file_traces(city.workdir / "db")
    before = figures(city)

    exported = call(city, A, "members", "get", f"/members/{member['id']}/export")
    assert exported["member"]["name"] == PERSON["name"] and len(exported["consents"]) == 3
    by_id = {r["id"]: r for r in exported["requests"]}
    assert set(by_id) == {first["id"], second["id"]}
    assert by_id[first["id"]]["question"].startswith("Na mijn rugoperatie")
    assert [h["action"] for h in by_id[first["id"]]["history"]] == ["receive", "triage", "refer", "referral_accepted"]
    [referral] = by_id[first["id"]]["referrals"]
    assert (referral["partner"], referral["status"], referral["shared"]) == (B, "accepted", ["question", "name", "phone", "email"])
    assert by_id[second["id"]]["history"][-1]["reason"] == "Met Fenna samen gedaan."

    erased = call(city, A, "members", "post", f"/members/{member['id']}/erase")
    assert erased["erased_at"] and erased["name"] is None
    deliver(city)

    for partner, request_id in ((A, first["id"]), (A, second["id"]), (B, copy)):
        request = call(city, partner, "requests", "get", f"/requests/{request_id}")
        assert request["erased_at"], (partner, request_id)
        assert [request[f] for f in ("question", "name", "phone", "email")] == [None] * 4
        assert all(h["reason"] is None for h in call(city, partner, "requests", "get", f"/requests/{request_id}/history"))
    assert call(city, B, "requests", "get", f"/requests/{copy}")["status"] == "accepted"  # still counted as it was
    assert not traces(city)
    if city.databases.kind == "sqlite":
        assert not file_traces(city.workdir / "db")
        for database in every_database(city):  # some builds zero freed space anyway; every connection asks for it
            with database.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    for key in city.ports:  # nor what went, or would go, on the bus
        for _seq, payload, _subject in city.outbox(*key):
            assert not [s for s in SECRETS if s.lower() in payload.decode().lower()]
    erasures = [parse_event(p, s) for key in city.ports for _q, p, s in city.outbox(*key) if s.endswith(".erased")]
    assert sorted((e.partner, e.type.split(".")[2], e.data.get("reason")) for e in erasures) == sorted([
        (A, "members", None), (A, "requests", "erasure"), (A, "requests", "erasure"), (B, "requests", "erasure")])
    assert {tuple(e.data["referral_ids"]) for e in erasures if e.subject == first["id"]} == {(referral["id"],)}
    about_her = [parse_event(p, s).type for _q, p, s in city.outbox(A, "members") if member["id"].encode() in p]
    assert about_her == ["nl.samen030.members.member.erased.v1"]  # she never agreed to be suggested

    after = call(city, A, "members", "get", f"/members/{member['id']}/export")
    assert len(after["requests"]) == 2 and not [s for s in SECRETS if s.lower() in json.dumps(after).lower()]
    assert figures(city) == before
    deliver(city)  # the same events again change nothing
    assert not traces(city) and figures(city) == before


def test_a_resident_who_is_no_member_is_erased_request_by_request(city):
    request = call(city, A, "requests", "post", "/requests", json={
        **QUESTION, "question": "Ik zoek lotgenoten na mijn rugoperatie.",
        "consents": [{"purpose": p, "how": "mondeling"} for p in CONSENTS]})
    call(city, A, "requests", "post", f"/requests/{request['id']}/triage", json={"reason": "Fenna Oosterhuis belt terug."})
    referral = call(city, A, "requests", "post", f"/requests/{request['id']}/refer", json={"offer_id": city.offer_id})
    kept = call(city, A, "requests", "post", "/requests", json={**QUESTION, "name": "Iemand Anders", "phone": None,
                                                                  "email": None, "question": "Een andere vraag."})
    erased = call(city, A, "requests", "post", f"/requests/{request['id']}/erase")
    assert erased["erased_at"] and erased["name"] is None and erased["status"] == "referred"
    assert all(c["withdrawn_at"] for c in call(city, A, "requests", "get", f"/requests/{request['id']}/consents"))
    deliver(city)
    assert call(city, B, "requests", "get", f"/requests/{referral['other_request_id']}")["erased_at"]
    assert not traces(city)
    assert call(city, A, "requests", "get", f"/requests/{kept['id']}")["name"] == "Iemand Anders"
    outbox_size = len(city.outbox(A, "requests"))
    assert call(city, A, "requests", "post", f"/requests/{request['id']}/erase")["erased_at"] == erased["erased_at"]
    assert len(city.outbox(A, "requests")) == outbox_size  # again: nothing changes, nothing is emitted
    assert call(city, A, "requests", "post", f"/requests/{uuid.uuid4()}/erase", expect=(404,))
    assert call(city, A, "requests", "post", "/requests/nope/erase", expect=(404,))
    exported = call(city, A, "requests", "get", f"/requests/{kept['id']}/export")
    assert exported["name"] == "Iemand Anders" and exported["history"][0]["action"] == "receive"


def test_only_our_coordinators_export_or_erase(city):
    request = call(city, A, "requests", "post", "/requests", json={**QUESTION, "question": "Vraag."})
    member = register_member(city)
    for path, method in ((f"/requests/{request['id']}/erase", "post"), (f"/requests/{request['id']}/export", "get"),
                         (f"/members/{member['id']}/requests", "get")):
        for headers, status in ((auth(B), 401), (auth(A, "volunteer"), 403), ({}, 401)):
            response = getattr(city.client(A, "requests"), method)(path, headers=headers)
            assert response.status_code == status and "Oosterhuis" not in response.get_data(as_text=True)
    assert call(city, A, "requests", "get", f"/requests/{request['id']}")["erased_at"] is None


def test_no_export_without_the_requests(city):
    member = register_member(city)
    call(city, A, "requests", "post", "/requests", json={**QUESTION, "member_id": member["id"], "question": "Vraag."})
    city.stop(A, "requests")
    response = city.client(A, "members").get(f"/members/{member['id']}/export", headers=auth(A))
    assert response.status_code == 503 and "hulpvragendienst" in response.json["message"]
    assert call(city, A, "members", "get", f"/members/{uuid.uuid4()}/export", expect=(404,))


def test_retention_anonymises_what_is_kept_too_long_and_nothing_else(city, monkeypatch, capsys):
    long_ago = datetime.now(timezone.utc) - timedelta(days=3)
    old_closed, recent_closed, old_open, old_withdrawn = (
        call(city, A, "requests", "post", "/requests", json={**QUESTION, "question": f"Vraag {i} na de rugoperatie."})
        for i in range(4))
    for request in (old_closed, recent_closed):
        for action in ("start", "resolve", "close"):
            call(city, A, "requests", "post", f"/requests/{request['id']}/{action}", json={})
    call(city, A, "requests", "post", f"/requests/{old_withdrawn['id']}/withdraw", json={"reason": "Fenna wil niet meer."})
    departed = register_member(city, membership_number="WIP-1")
    recently_departed = register_member(city, membership_number="WIP-2")
    still_member = register_member(city, membership_number="WIP-3")
    departed_request = call(city, A, "requests", "post", "/requests", json={
        **QUESTION, "member_id": departed["id"], "question": "Open vraag."})
    for member in (departed, recently_departed):
        call(city, A, "members", "patch", f"/members/{member['id']}",
             json={"version": call(city, A, "members", "get", f"/members/{member['id']}")["version"],
                   "membership_status": "opgezegd"})
    with db(city, A, "requests").begin() as conn:
        conn.execute(update(help_requests).where(help_requests.c.id.in_(
            [old_closed["id"], old_open["id"], old_withdrawn["id"]])).values(updated_at=long_ago))
    with db(city, A, "members").begin() as conn:
        conn.execute(update(members).where(members.c.id.in_([departed["id"], still_member["id"]])).values(
            updated_at=long_ago))
    city.sync_gateway()
    before = figures(city)
    for name, value in {**city.databases.env(), "SAMEN030_RETENTION_REQUESTS_DAYS": "2",
                        "SAMEN030_RETENTION_MEMBERS_DAYS": "2"}.items():
        monkeypatch.setenv(name, value)
    from samen030.cli import main

    main(["retention", "--partner", A, "--dry-run"])
    dry = capsys.readouterr().out
    assert "1 would be erased" in dry and "2 would be anonymised" in dry, dry
    assert not [s for s in SECRETS if s in dry]
    assert call(city, A, "requests", "get", f"/requests/{old_closed['id']}")["erased_at"] is None

    main(["retention", "--partner", A])
    done = capsys.readouterr().out
    assert "1 erased" in done and "2 anonymised" in done, done
    deliver(city)

    def erased(partner, service, path):
        return call(city, partner, service, "get", path)["erased_at"] is not None
    assert erased(A, "requests", f"/requests/{old_closed['id']}") and erased(A, "requests", f"/requests/{old_withdrawn['id']}")
    assert not erased(A, "requests", f"/requests/{recent_closed['id']}")
    assert not erased(A, "requests", f"/requests/{old_open['id']}")  # still open: kept whatever its age
    assert erased(A, "members", f"/members/{departed['id']}")
    assert erased(A, "requests", f"/requests/{departed_request['id']}")  # through member.erased, open or not
    assert not erased(A, "members", f"/members/{recently_departed['id']}")
    assert not erased(A, "members", f"/members/{still_member['id']}")
    with db(city, A, "requests").connect() as conn:
        reasons = conn.execute(select(transitions.c.reason).where(transitions.c.request_id == old_withdrawn["id"])).scalars()
        assert set(reasons) == {None}
    assert figures(city) == before
    main(["retention", "--partner", A])
    assert "0 erased" in capsys.readouterr().out
