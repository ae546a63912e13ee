"""The projector applies what one fetch brings in one transaction: what a batch holds — duplicates,
several versions of one offer or request in any order, another partner's claim, an invalid event, an
event whose handler fails — ends as if each event had been applied on its own, on SQLite and PostgreSQL."""
import dataclasses
import random
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from samen030.directory.events import offer_event
from samen030.gateway import projector
from samen030.gateway.projector import readmodel_projection
from samen030.gateway.readmodel import (applied_events, help_requests, listed_volunteers, member_counts, members,
                                        metadata, offer_terms, offers, opening_hours, partner_status, places,
                                        referrals)
from samen030.helprequests.events import referral_sent_event, request_event
from samen030.kernel.projection import APPLIED, DUPLICATE, FAILED, INVALID
from samen030.members.events import counts_event, erased_event, listed_event, unlisted_event

A, B = "krachtstation", "zorgbelang"
UPDATED = "nl.samen030.directory.offer.updated.v1"
CREATED = "nl.samen030.directory.offer.created.v1"
T0 = datetime(2026, 11, 29, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def readmodel(databases):
    return databases.open("city", "gateway", metadata)


def message(event):
    return event.to_json(), event.nats_subject


def offer(name="Inloop", version=1, offer_id=None, hours=("MO", "09:00", "12:00"), buurt="BU03440832", **fields):
    return {"id": offer_id or str(uuid.uuid4()), "name": name, "description": f"{name} in de buurt",
            "category": "informatie", "buurt": buurt, "wijk": "WK0344" + buurt[6:8], "status": "active",
            "locations": [{"location_type": "physical", "buurt": buurt}],
            "schedules": [dict(zip(("byday", "opens_at", "closes_at"), hours))], "version": version,
            "updated_at": T0 + timedelta(minutes=version), **fields}


def offer_message(partner, fields):
    return message(offer_event(partner, "created" if fields["version"] == 1 else "updated", fields))


def rows(db, table, *columns):
    with db.connect() as conn:
        return conn.execute(select(*(columns or [table])).order_by(*(columns or table.primary_key.columns))).all()


def freshness(db) -> dict:
    return {row.partner: (row.events_applied, row.last_event_at)
            for row in rows(db, partner_status, partner_status.c.partner, partner_status.c.events_applied,
                            partner_status.c.last_event_at)}


def offer_state(db, offer_id):
    with db.connect() as conn:
        row = conn.execute(select(offers).where(offers.c.id == offer_id)).mappings().one()
        terms = set(conn.execute(select(offer_terms.c.term).where(offer_terms.c.offer_id == offer_id)).scalars())
        hours = conn.execute(select(opening_hours.c.day, opening_hours.c.opens_at)
                             .where(opening_hours.c.offer_id == offer_id)).all()
        where = conn.execute(select(places.c.buurt).where(places.c.offer_id == offer_id)).scalars().all()
    return row, terms, hours, where


def test_a_duplicate_in_the_same_batch_and_in_a_later_one_changes_nothing(readmodel):
    projection = readmodel_projection(readmodel)
    first = offer_message(A, offer("Inloop"))
    assert projection.apply([first, first, offer_message(A, offer("Spreekuur"))]) == [APPLIED, DUPLICATE, APPLIED]
    assert projection.apply([first]) == [DUPLICATE]
    assert len(rows(readmodel, offers)) == 2 and len(rows(readmodel, applied_events)) == 2
    assert freshness(readmodel)[A][0] == 2


@pytest.mark.parametrize("order", ["oldest first", "newest first"])
def test_the_newest_version_of_an_offer_wins_within_a_batch(readmodel, order):
    offer_id = str(uuid.uuid4())
    versions = [offer_message(A, offer("Taalcafe", 1, offer_id, ("MO", "09:00", "12:00"), "BU03440832")),
                offer_message(A, offer("Koffieochtend", 2, offer_id, ("TU", "10:00", "11:00"), "BU03441031")),
                offer_message(A, offer("Spreekuur", 3, offer_id, ("WE", "13:00", "15:00"), "BU03440111"))]
    if order == "newest first":
        versions.reverse()
    assert readmodel_projection(readmodel).apply(versions) == [APPLIED] * 3
    row, terms, hours, where = offer_state(readmodel, offer_id)
    assert (row["name"], row["version"], row["buurt"]) == ("Spreekuur", 3, "BU03440111")
    assert "spreekuur" in terms and not {"taalcafe", "koffieochtend"} & terms
    assert hours == [("WE", "13:00")] and where == ["BU03440111"]
    assert freshness(readmodel)[A][0] == 3


def test_a_newer_version_in_a_batch_after_the_current_one_was_applied(readmodel):
    projection = readmodel_projection(readmodel)
    offer_id = str(uuid.uuid4())
    projection.apply([offer_message(A, offer("Taalcafe", 2, offer_id))])
    projection.apply([offer_message(A, offer("Oud", 1, offer_id)), offer_message(A, offer("Nieuw", 3, offer_id)),
                      offer_message(A, offer("Ouder", 2, offer_id))])
    assert offer_state(readmodel, offer_id)[0]["name"] == "Nieuw"


def test_a_partner_may_not_change_another_partners_offer_within_a_batch(readmodel):
    offer_id = str(uuid.uuid4())
    batch = [offer_message(A, offer("Van A", 1, offer_id)), offer_message(B, offer("Van B", 5, offer_id)),
             offer_message(A, offer("Van A, later", 2, offer_id)), offer_message(B, offer("Van B", 6, offer_id))]
    assert readmodel_projection(readmodel).apply(batch) == [APPLIED] * 4  # applied: looked at, and kept out
    row, terms, _hours, _where = offer_state(readmodel, offer_id)
    assert (row["partner"], row["name"], row["version"]) == (A, "Van A, later", 2)
    assert "later" in terms
    assert freshness(readmodel)[A][0] == 2 and freshness(readmodel)[B][0] == 2


class Broken:
    """The projector's handler for offers, with a bug for offers named "Kapot" (or a database in trouble
    for offers named "Op slot")."""

    def __init__(self, monkeypatch):
        self.calls, self.original = 0, projector.HANDLERS[CREATED]
        for kind in (CREATED, UPDATED):
            monkeypatch.setitem(projector.HANDLERS, kind, self)

    def __call__(self, conn, event):
        self.calls += 1
        if event.data["name"] == "Kapot":
            raise KeyError("a bug in the handler")
        if event.data["name"] == "Op slot":
            raise OperationalError("UPDATE offers …", {}, Exception("database is locked"))
        self.original(conn, event)


def test_an_invalid_and_a_failing_event_amid_good_ones_fail_alone(readmodel, monkeypatch):
    Broken(monkeypatch)
    good, kapot, locked, later = (offer("Eerste"), offer("Kapot"), offer("Op slot"), offer("Daarna"))
    invalid = message(offer_event(A, "created", offer("Ongeldig")))[0].replace(b'"BU03440832"', b'"nergens"')
    batch = [offer_message(A, good), (invalid, f"samen030.{A}.directory.offer.created"),
             offer_message(A, kapot), offer_message(B, locked), offer_message(A, later)]
    projection = readmodel_projection(readmodel)
    results = projection.apply_batch(batch)
    assert [outcome for outcome, _failure in results] == [APPLIED, INVALID, FAILED, FAILED, APPLIED]
    assert results[2][1] is not None and "KeyError" in results[2][1].error and results[2][1].partner == A
    assert results[3][1] is None  # the database's trouble: delivered again, never parked
    assert {row.name for row in rows(readmodel, offers, offers.c.name)} == {"Eerste", "Daarna"}
    assert {row.event_id for row in rows(readmodel, applied_events, applied_events.c.event_id)} == {
        _id(batch[0]), _id(batch[4])}
    assert freshness(readmodel) == {A: (2, freshness(readmodel)[A][1])}  # B applied nothing yet

    monkeypatch.setitem(projector.HANDLERS, CREATED, projector.HANDLERS[CREATED].original)  # fixed
    assert projection.apply(batch) == [DUPLICATE, INVALID, APPLIED, APPLIED, DUPLICATE]
    assert {row.name for row in rows(readmodel, offers, offers.c.name)} == {"Eerste", "Kapot", "Op slot", "Daarna"}
    assert {partner: applied for partner, (applied, _at) in freshness(readmodel).items()} == {A: 3, B: 1}


def test_the_failing_version_of_an_offer_fails_alone(readmodel, monkeypatch):
    """Version 2 of an offer fails; versions 1 and 3 in the same batch apply, and 3 is what is shown."""
    Broken(monkeypatch)
    offer_id = str(uuid.uuid4())
    batch = [offer_message(A, offer("Eerste", 1, offer_id)), offer_message(A, offer("Kapot", 2, offer_id)),
             offer_message(A, offer("Derde", 3, offer_id))]
    assert readmodel_projection(readmodel).apply(batch) == [APPLIED, FAILED, APPLIED]
    assert offer_state(readmodel, offer_id)[0]["name"] == "Derde"


def test_freshness_counts_what_was_applied_and_the_time_of_the_last_one(readmodel):
    events = [dataclasses.replace(offer_event(partner, "created", offer(f"Aanbod {n}")),
                                  time=T0 + timedelta(seconds=n))
              for n, partner in enumerate([A, B, A, A, B])]
    batch = [message(event) for event in events]
    projection = readmodel_projection(readmodel)
    assert projection.apply([batch[0], batch[1], batch[0]]) == [APPLIED, APPLIED, DUPLICATE]
    assert projection.apply(batch) == [DUPLICATE, DUPLICATE, APPLIED, APPLIED, APPLIED]
    assert freshness(readmodel) == {A: (3, T0 + timedelta(seconds=3)), B: (2, T0 + timedelta(seconds=4))}


def _id(msg):
    import json
    return json.loads(msg[0])["id"]


# --- the same events, one at a time and in batches: the same read model ------------------------------------

def request(area="BU03440832", **fields):
    received = T0 - timedelta(days=1)
    return {"id": str(uuid.uuid4()), "version": 1, "status": "received", "origin": "intake", "channel": "phone",
            "category": "informatie", "buurt": area, "wijk": "WK0344" + area[6:8], "urgency": "normal",
            "referral_id": None, "referred_by": None, "received_at": received,
            "first_contact_due": received + timedelta(days=2), "first_contact_at": None, "resolved_at": None,
            **fields}


def mixed_events(rng: random.Random) -> list:
    """Offers, requests, referrals and their answers, volunteers and counts of three partners, with later
    versions, another partner's claims and duplicates, shuffled a little as delivery across streams does."""
    partners, events = [A, B, "buurtwerkkamer"], []
    for n in range(30):  # offers, up to 4 versions each, now and then claimed by another partner
        owner, fields = rng.choice(partners), offer(f"Aanbod {n}", hours=("FR", f"{9 + n % 8:02d}:00", "18:00"))
        for version in range(1, rng.randint(2, 5)):
            fields = {**fields, "version": version, "name": f"Aanbod {n} versie {version}",
                      "status": rng.choice(["active", "active", "inactive"]),
                      "buurt": rng.choice(["BU03440832", "BU03441031", "BU03440111"])}
            fields["locations"] = [{"location_type": rng.choice(["physical", "virtual"]), "buurt": fields["buurt"]}]
            events.append(offer_event(owner, "created" if version == 1 else "updated", fields))
        if rng.random() < 0.3:
            events.append(offer_event(rng.choice([p for p in partners if p != owner]), "updated",
                                      {**fields, "version": 9, "name": "Overgenomen"}))
    for n in range(20):  # requests, some referred to another partner who accepts or declines
        owner = rng.choice(partners)
        mine = request()
        events.append(request_event(owner, mine, "receive", None, mine["received_at"]))
        for version in range(2, rng.randint(2, 4)):
            mine = {**mine, "version": version, "status": "in_progress", "first_contact_at": T0}
            events.append(request_event(owner, mine, "start", "received", T0))
        if rng.random() < 0.5:
            receiver = rng.choice([p for p in partners if p != owner])
            referral_id = str(uuid.uuid4())
            theirs = request(origin="referral", channel="referral", referral_id=referral_id, referred_by=owner)
            events.append(request_event(receiver, theirs, "receive", None, T0))
            events.append(referral_sent_event(owner, mine, {
                "id": referral_id, "partner": receiver, "other_request_id": theirs["id"], "offer_id": None,
                "volunteer_id": None, "with_consent": True, "shared": ["question"], "sent_at": T0}))
            answer = rng.choice(["accept", "decline"])
            theirs = {**theirs, "version": 2, "status": "declined" if answer == "decline" else "in_progress"}
            events.append(request_event(receiver, theirs, answer, "received", T0 + timedelta(minutes=n)))
    for n in range(15):  # volunteers listed, listed again, unlisted, erased
        owner, member_id = rng.choice(partners), str(uuid.uuid4())
        for sequence in range(1, rng.randint(2, 5)):
            if rng.random() < 0.2:
                events.append(unlisted_event(owner, member_id, 100 * n + sequence))
            else:
                events.append(listed_event(owner, {
                    "member_id": member_id, "buurt": "BU03440832", "wijk": "WK034408",
                    "skills": rng.sample(["taal", "vervoer", "klussen"], rng.randint(0, 2)), "languages": ["nl"],
                    "availability": []}, 100 * n + sequence))
        if rng.random() < 0.2:
            events.append(erased_event(owner, member_id, T0))
    for partner in partners:
        for sequence in (1, 2):
            events.append(counts_event(partner, {
                "members": [{"wijk": "WK034408", "kind": "bewoner", "count": sequence}],
                "volunteer_capacity": [{"wijk": "WK034408", "category": "informatie", "volunteers": sequence}]},
                sequence))
    for n in range(0, len(events) - 4, 3):  # delivered a little out of order
        window = events[n:n + 4]
        rng.shuffle(window)
        events[n:n + 4] = window
    messages = [message(event) for event in events]
    for _ in range(15):  # and some twice
        messages.insert(rng.randrange(len(messages)), rng.choice(messages))
    return messages


TABLES = {offers: None, offer_terms: None, opening_hours: None, places: None, help_requests: None,
          referrals: None, listed_volunteers: None, member_counts: ["counted_at"], members: None,
          applied_events: ["applied_at"], partner_status: ["last_applied_at"]}


def dump(db) -> dict:
    state = {}
    with db.connect() as conn:
        for table, skipped in TABLES.items():
            columns = [c for c in table.columns if c.name not in (skipped or [])]
            state[table.name] = sorted(tuple(str(v) for v in row) for row in conn.execute(select(*columns)))
    return state


@pytest.mark.parametrize("seed", [1, 2])
def test_a_batch_ends_as_its_events_applied_one_by_one(databases, seed):
    messages = mixed_events(random.Random(seed))
    one_by_one, batched = (databases.open(node, "gateway", metadata) for node in ("cityone", "citybatch"))
    single = readmodel_projection(one_by_one)
    expected = [single.apply([m])[0] for m in messages]
    projection, outcomes = readmodel_projection(batched), []
    for start in range(0, len(messages), 97):
        outcomes += projection.apply(messages[start:start + 97])
    assert outcomes == expected and expected.count(DUPLICATE) == 15
    reference = dump(one_by_one)
    assert dump(batched) == reference
    assert len(reference["offers"]) > 20 and len(reference["referrals"]) > 3


def test_another_partners_event_under_the_same_id_in_the_same_batch_is_no_duplicate(readmodel):
    """An event id is its sender's (kernel/projection.py, _tracked_id), within a batch as across them."""
    real = offer_event(B, "created", offer("Van B"))
    copied = offer_event(A, "created", offer("Van A"))
    object.__setattr__(copied, "id", real.id)  # A publishes under B's event id
    projection = readmodel_projection(readmodel)
    assert projection.apply([message(copied), message(real), message(real), message(copied)]) == [
        APPLIED, APPLIED, DUPLICATE, DUPLICATE]
    assert {row.name for row in rows(readmodel, offers, offers.c.name)} == {"Van A", "Van B"}
    assert len(rows(readmodel, applied_events)) == 2
    assert projection.apply([message(real), message(copied)]) == [DUPLICATE, DUPLICATE]
    assert {partner: applied for partner, (applied, _at) in freshness(readmodel).items()} == {A: 1, B: 1}


def test_an_event_that_cannot_be_applied_yet_comes_again_and_the_rest_of_its_batch_applies(readmodel, monkeypatch):
    from samen030.kernel.projection import NotYet

    def not_yet(conn, event):
        if event.data["name"] == "Later":
            raise NotYet("what it answers is still being recorded")
        original(conn, event)
    original = projector.HANDLERS[CREATED]
    monkeypatch.setitem(projector.HANDLERS, CREATED, not_yet)
    results = readmodel_projection(readmodel).apply_batch(
        [offer_message(A, offer("Eerste")), offer_message(A, offer("Later")), offer_message(A, offer("Daarna"))])
    assert results == [(APPLIED, None), (FAILED, None), (APPLIED, None)]  # no reason: never parked
    assert {row.name for row in rows(readmodel, offers, offers.c.name)} == {"Eerste", "Daarna"}
