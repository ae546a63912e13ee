"""Members on the shared bus (AVG): a profile (buurt, skills, languages, availability under the member's
id) only for a volunteer whose consent to be suggested is in force, and every member in the counts the
city's figures are made of. On SQLite and PostgreSQL; the outbox delivered to the gateway's projector,
in order or not, and at the end through a real nats-server."""
import asyncio
import json
import threading
import uuid
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import delete, func, select

from samen030.kernel.events import new_event
from tests.integration.test_members_api import PERSON
from tests.members_city import MembersCity
from tests.pipeline import read_stream, run_async, run_until

PARTNER = "krachtstation"
RESIDENT = {**{k: v for k, v in PERSON.items() if k not in ("skills", "availability")},
            "kind": "bewoner", "role": "resident", "membership_number": "KK-0044", "name": "Piet de Wit"}
LISTED, UNLISTED, ERASED = (f"nl.samen030.members.member.{action}.v1" for action in ("listed", "unlisted", "erased"))
COUNTS = "nl.samen030.members.counts.changed.v1"


@pytest.fixture
def city(databases, monkeypatch):
    return MembersCity(databases, monkeypatch, PARTNER)


def carrying(events: list[dict], member_id: str) -> list[dict]:
    """The events that hold the member's id anywhere."""
    return [event for event in events if member_id in json.dumps(event)]


def test_a_member_without_the_consent_is_counted_but_has_no_profile_on_the_bus(city):
    fatima = city.post("/members", PERSON)
    city.patch(fatima, skills=["taal"], buurt="BU03440111")
    for purpose in ("contact_email", "contact_phone", "share_for_referral"):
        city.consent(fatima, purpose)
    piet = city.post("/members", RESIDENT)
    city.sync()

    assert carrying(city.events(), fatima["id"]) == [] and carrying(city.events(), piet["id"]) == []
    assert city.profile(fatima["id"]) is None
    assert city.figures() == ({("WK034401", "vrijwilliger"): 1, ("WK034408", "bewoner"): 1},
                              {("WK034401", "informatie"): 1})


def test_the_consent_puts_the_profile_on_the_bus_and_its_withdrawal_takes_it_off(city):
    fatima = city.post("/members", PERSON)
    consent = city.consent(fatima)
    city.sync()
    profile = city.profile(fatima["id"])
    assert (profile["buurt"], profile["skills"], profile["languages"], profile["availability"]) == (
        "BU03440832", ["taal", "klussen"], ["nl", "ar"], PERSON["availability"])
    [listed] = carrying(city.events(), fatima["id"])
    assert listed["type"] == LISTED and listed["subject"] == fatima["id"]
    assert set(listed["data"]) == {"member_id", "buurt", "wijk", "skills", "languages", "availability", "sequence"}

    city.patch(fatima, buurt="BU03440111")
    city.patch(fatima, name="Fatima A.", phone=None)  # nothing the bus carries
    city.withdraw(fatima, consent)
    city.patch(fatima, skills=["taal"])
    city.consent(fatima, "contact_email")
    assert [e["type"] for e in carrying(city.events(), fatima["id"])] == [LISTED, LISTED, UNLISTED]
    assert set(carrying(city.events(), fatima["id"])[-1]["data"]) == {"member_id", "sequence"}
    city.deliver(list(reversed([row for row in city.rows() if row[0] not in city.delivered])))  # newest first
    assert city.profile(fatima["id"]) is None

    city.consent(fatima)  # agreed again: the profile as it is now
    city.sync()
    assert (city.profile(fatima["id"])["buurt"], city.profile(fatima["id"])["skills"]) == ("BU03440111", ["taal"])
    assert city.figures() == ({("WK034401", "vrijwilliger"): 1}, {("WK034401", "informatie"): 1})


def test_a_withdrawal_dated_a_moment_ahead_takes_the_profile_off_at_once(city):
    """A client whose clock runs a few minutes fast dates the withdrawal ahead: it counts from now,
    so the bus never keeps a profile whose consent has ended."""
    from datetime import timedelta
    fatima = city.post("/members", PERSON)
    consent = city.consent(fatima)
    soon = (datetime.now(timezone.utc) + timedelta(minutes=4)).isoformat()
    withdrawn = city.members.post(f"/members/{fatima['id']}/consents/{consent['id']}/withdraw",
                                  json={"withdrawn_at": soon}, headers=city.coordinator)
    assert withdrawn.status_code == 200, withdrawn.json
    city.sync()
    assert [e["type"] for e in carrying(city.events(), fatima["id"])] == [LISTED, UNLISTED]
    assert city.profile(fatima["id"]) is None


def test_a_volunteer_who_leaves_or_stops_volunteering_is_taken_off(city):
    fatima = city.post("/members", PERSON)
    joost = city.post("/members", {**PERSON, "membership_number": "KK-0050", "name": "Joost"})
    for member in (fatima, joost):
        city.consent(member)
    city.sync()
    city.patch(fatima, membership_status="opgezegd")
    city.patch(joost, kind="bewoner", role="resident", skills=[], availability=[])
    city.sync()

    for member in (fatima, joost):
        assert city.profile(member["id"]) is None
        assert [e["type"] for e in carrying(city.events(), member["id"])] == [LISTED, UNLISTED]
    assert city.figures() == ({("WK034408", "bewoner"): 1}, {})


def test_erasure_takes_the_profile_off_and_keeps_the_member_counted(city):
    fatima = city.post("/members", PERSON)
    city.consent(fatima)
    piet = city.post("/members", RESIDENT)
    city.sync()
    before = city.figures()
    for member in (fatima, piet):
        assert city.members.post(f"/members/{member['id']}/erase", headers=city.coordinator).status_code == 200
    city.sync()

    erased = [e for e in city.events() if e["type"] == ERASED]
    assert [set(e["data"]) for e in erased] == [{"member_id", "erased_at"}] * 2
    assert carrying(city.events(), piet["id"]) == erased[1:]  # the only word about a member who never agreed
    assert city.profile(fatima["id"]) is None
    assert city.figures() == (before[0], {})  # counted still, without skills


def test_counts_arriving_out_of_order_do_not_take_the_figures_back(city):
    for n in range(3):
        city.post("/members", {**RESIDENT, "membership_number": f"KK-{n}"})
    counts = [row for row in city.rows() if row[2] == f"samen030.{PARTNER}.members.counts.changed"]
    assert len(counts) == 3
    assert city.deliver([counts[2]]) == ["applied"]
    assert city.figures()[0] == {("WK034408", "bewoner"): 3}
    assert city.deliver([counts[0], counts[1]]) == ["applied", "applied"]
    assert city.figures()[0] == {("WK034408", "bewoner"): 3}


def test_members_registered_at_the_same_moment_are_all_counted(city):
    from samen030.members.members import register_member
    fields = {"type": "person", "kind": "bewoner", "member_since": date(2024, 1, 1), "membership_status": "lid",
              "role": "resident", "buurt": "BU03440832", "languages": ["nl"], "name": "Gelijktijdig"}
    failed = []

    def register(worker: int) -> None:
        try:
            for n in range(5):
                register_member(city.members_db, PARTNER, {**fields, "membership_number": f"T{worker}-{n}"}, "t")
        except Exception as exc:  # surfaces below
            failed.append(exc)

    threads = [threading.Thread(target=register, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == []
    latest = max((e for e in city.events() if e["type"] == COUNTS), key=lambda e: e["data"]["sequence"])
    assert latest["data"]["members"] == [{"wijk": "WK034408", "kind": "bewoner", "count": 20}]
    city.sync()
    assert city.figures()[0] == {("WK034408", "bewoner"): 20}


def test_events_of_the_earlier_release_are_accepted_and_counted_until_the_partner_sends_counts(city):
    from samen030.gateway.readmodel import members as legacy_members
    volunteer, resident = str(uuid.uuid4()), str(uuid.uuid4())
    profile = {"type": "person", "membership_status": "lid", "languages": ["nl"], "version": 1,
               "updated_at": "2026-11-01T10:00:00Z"}
    earlier = [
        new_event(PARTNER, "members", "member", "registered", volunteer, {
            **profile, "member_id": volunteer, "kind": "vrijwilliger", "role": "volunteer", "buurt": "BU03440832",
            "wijk": "WK034408", "skills": ["taal"],
            "availability": [{"byday": "MO", "from": "09:00", "until": "12:00"}]}),
        new_event(PARTNER, "members", "member", "registered", resident, {
            **profile, "member_id": resident, "kind": "bewoner", "role": "resident", "buurt": "BU03440111",
            "wijk": "WK034401", "skills": [], "availability": []}),
        new_event(PARTNER, "members", "consent", "given", str(uuid.uuid4()), {
            "member_id": volunteer, "consent_id": str(uuid.uuid4()), "purpose": "volunteer_suggestions",
            "at": "2026-11-01T10:00:00Z"}),
        new_event(PARTNER, "members", "consent", "given", str(uuid.uuid4()), {
            "member_id": resident, "consent_id": str(uuid.uuid4()), "purpose": "contact_email",
            "at": "2026-11-01T10:00:00Z"})]
    assert city.projection.apply([(e.to_json(), e.nats_subject) for e in earlier]) == ["applied"] * 4
    assert city.profile(volunteer) is None  # only a listing of this release makes a profile
    assert city.figures() == ({("WK034401", "bewoner"): 1, ("WK034408", "vrijwilliger"): 1},
                              {("WK034408", "informatie"): 1})

    city.post("/members", RESIDENT)  # the partner's members service of this release counts
    city.sync()
    assert city.figures() == ({("WK034408", "bewoner"): 1}, {})
    with city.gateway_app.extensions["samen030.db"].connect() as conn:
        assert conn.execute(select(func.count()).select_from(legacy_members)).scalar_one() == 0


def test_a_members_database_of_the_earlier_release_publishes_its_listed_volunteers_on_start(city):
    from samen030.members.tables import outbox, publishing
    fatima = city.post("/members", PERSON)
    city.consent(fatima)
    city.post("/members", RESIDENT)
    with city.members_db.begin() as conn:  # as the earlier release left it: nothing of this release published
        conn.execute(delete(publishing))
        conn.execute(delete(outbox))

    city.members_app = city.open_members()  # the service starts on it
    events = city.events()
    assert [(e["type"], e["subject"]) for e in events] == [(LISTED, fatima["id"]), (COUNTS, PARTNER)]
    assert events[1]["data"]["members"] == [{"wijk": "WK034408", "kind": "bewoner", "count": 1},
                                            {"wijk": "WK034408", "kind": "vrijwilliger", "count": 1}]
    city.open_members()  # and once only
    assert len(city.events()) == 2


def test_on_the_stream_only_the_consenting_volunteer_has_a_profile(databases, monkeypatch, nats_url):
    from samen030.gateway.app import create_app as create_gateway
    from samen030.gateway.projector import readmodel_projection
    from samen030.gateway.readmodel import applied_events
    from samen030.gateway.volunteers import volunteer_profile
    from samen030.kernel.consumer import consume
    from samen030.kernel.relay import Relay
    from samen030.members import consents, members
    from samen030.members.tables import metadata, outbox
    partner = f"p{uuid.uuid4().hex[:12]}"
    db = databases.open(partner, "members", metadata)
    fields = {**PERSON, "member_since": date(2024, 5, 1), "birth_date": date(1971, 3, 9)}
    fatima = members.register_member(db, partner, fields, "t")
    kees = members.register_member(db, partner, {**fields, "membership_number": "KK-0051", "name": "Kees"}, "t")
    members.update_member(db, partner, kees["id"], {"version": 1, "skills": ["taal"]}, "t")
    consents.give_consent(db, partner, fatima["id"], {"purpose": "volunteer_suggestions", "how": "online",
                                                      "given_at": datetime.now(timezone.utc)}, "t")
    consents.give_consent(db, partner, kees["id"], {"purpose": "contact_email", "how": "online",
                                                    "given_at": datetime.now(timezone.utc)}, "t")
    run_async(Relay(db, outbox, partner, "members", nats_url).run(stop=asyncio.Event(), until_empty=True))

    stored = [message.data.decode() for message in run_async(read_stream(nats_url, partner))]
    assert [body for body in stored if kees["id"] in body] == []
    [listing] = [json.loads(body) for body in stored if fatima["id"] in body]
    assert listing["type"] == LISTED and listing["data"]["skills"] == ["taal", "klussen"]

    if schema := databases.schema("city", "gateway"):
        monkeypatch.setenv("DATABASE_SCHEMA", schema)
    gateway = create_gateway(databases.url("city", "gateway"), config={"TESTING": True})
    databases.opened.append(gateway.extensions["samen030.db"])
    readmodel = readmodel_projection(gateway.extensions["samen030.db"])

    def applied() -> int:
        with readmodel.db.connect() as conn:
            return conn.execute(select(func.count()).select_from(applied_events)
                                .where(applied_events.c.partner == partner)).scalar_one()
    run_async(run_until(lambda stop: consume(readmodel, nats_url, [partner], stop), lambda: applied() == len(stored)))
    with readmodel.db.connect() as conn:
        assert volunteer_profile(conn, fatima["id"])["buurt"] == "BU03440832"
        assert volunteer_profile(conn, kees["id"]) is None
    figures = gateway.test_client().get("/api/v1/figures/members").json
    assert figures["members"] == [{"wijk": "WK034408", "kind": "vrijwilliger", "count": 2}]
    assert {(c["category"], c["volunteers"]) for c in figures["volunteer_capacity"]} == {
        ("informatie", 2), ("praktische-hulp", 1)}
