"""The members service's HTTP API on a real database (SQLite and PostgreSQL): members, consents,
export and erasure, who may see them, and that nothing personal reaches the outbox."""
import json
import uuid

import pytest
from sqlalchemy import func, select

from samen030.members.tables import consents, members, metadata, outbox
from tests.endpoints import every_endpoint
from tests.personal_data import personal_data_in

PERSON = {"type": "person", "kind": "vrijwilliger", "membership_number": "KK-0042", "name": "Fatima El Amrani",
          "email": "fatima@example.nl", "phone": "06 12345678", "address": "Marshallaan 2", "postcode": "3527 TK",
          "birth_date": "1971-03-09", "buurt": "BU03440832", "languages": ["nl", "ar"], "skills": ["taal", "klussen"],
          "availability": [{"byday": "TU,TH", "from": "13:30", "until": "17:00"}], "role": "volunteer",
          "membership_status": "lid", "member_since": "2024-05-01"}
SECRETS = ("Fatima", "El Amrani", "fatima@example.nl", "06 12345678", "Marshallaan", "3527 TK", "1971-03-09", "KK-0042")



@pytest.fixture
def app(databases, monkeypatch):
    from samen030.members.app import create_app
    if schema := databases.schema("krachtstation", "members"):
        monkeypatch.setenv("DATABASE_SCHEMA", schema)
    app = create_app("krachtstation", databases.url("krachtstation", "members"), {"TESTING": True})
    databases.opened.append(app.extensions["samen030.db"])
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def members_only(tmp_path, monkeypatch):
    """A federation where the partner runs no requests service: the export holds no requests, asks no one
    (tests/integration/test_erasure.py exports with the requests service)."""
    path = tmp_path / "federation.toml"
    path.write_text('[federation]\ngateway_url = "http://127.0.0.1:9"\nnats_url = "nats://127.0.0.1:9"\n'
                    '[partners.krachtstation]\nname = "Krachtstation"\n'
                    'services = { members = "http://127.0.0.1:9" }\n')
    monkeypatch.setenv("SAMEN030_FEDERATION", str(path))


@pytest.fixture
def coordinator(auth_header):
    return auth_header("krachtstation")


def counts(app):
    with app.extensions["samen030.db"].connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one() for t in (members, consents, outbox))


def outbox_events(app) -> list[dict]:
    with app.extensions["samen030.db"].connect() as conn:
        return [json.loads(p) for p in conn.execute(select(outbox.c.payload).order_by(outbox.c.seq)).scalars()]


def all_stored_text(app) -> str:
    """Every value of every table of the members database, outbox payloads included."""
    texts = []
    with app.extensions["samen030.db"].connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                texts += [v.decode() if isinstance(v, bytes) else str(v) for v in row]
    return "\n".join(texts)


def register(client, coordinator, **changes):
    response = client.post("/members", json={**PERSON, **changes}, headers=coordinator)
    assert response.status_code == 201, response.json
    return response.json


def assert_no_personal_data_in_outbox(app):
    with app.extensions["samen030.db"].connect() as conn:
        payloads = [p.decode() for p in conn.execute(select(outbox.c.payload)).scalars()]
    assert payloads
    for payload in payloads:
        assert not personal_data_in(payload), (personal_data_in(payload), payload)
        for secret in SECRETS:
            assert secret not in payload


def test_register_list_show_and_update(client, app, coordinator):
    member = register(client, coordinator)
    assert (member["partner"], member["wijk"], member["version"]) == ("krachtstation", "WK034408", 1)
    assert member["availability"] == PERSON["availability"] and member["email"] == PERSON["email"]
    assert client.get("/members?wijk=WK034408", headers=coordinator).json["total_items"] == 1
    assert client.get("/members?kind=bewoner", headers=coordinator).json["total_items"] == 0
    assert client.get(f"/members/{member['id']}", headers=coordinator).json["name"] == PERSON["name"]

    changed = client.patch(f"/members/{member['id']}", json={"version": 1, "buurt": "BU03440111", "phone": None},
                           headers=coordinator)
    assert changed.status_code == 200, changed.json
    assert (changed.json["version"], changed.json["wijk"], changed.json["phone"]) == (2, "WK034401", None)
    assert changed.json["skills"] == PERSON["skills"]  # fields not sent stay as they were
    stale = client.patch(f"/members/{member['id']}", json={"version": 1, "name": "B"}, headers=coordinator)
    assert stale.status_code == 409 and "2" in stale.json["message"]
    assert counts(app) == (1, 0, 2)


def test_events_carry_only_what_the_federation_may_know(client, app, coordinator):
    member = register(client, coordinator)
    client.post(f"/members/{member['id']}/consents", json={"purpose": "volunteer_suggestions", "how": "online"},
                headers=coordinator)
    client.patch(f"/members/{member['id']}", json={"version": 1, "membership_status": "opgezegd"}, headers=coordinator)
    events = outbox_events(app)
    assert [e["type"].removeprefix("nl.samen030.members.") for e in events] == [
        "counts.changed.v1", "member.listed.v1", "member.unlisted.v1", "counts.changed.v1"]
    assert events[0]["data"]["members"] == [{"wijk": "WK034408", "kind": "vrijwilliger", "count": 1}]
    assert events[1]["data"] == {"member_id": member["id"], "buurt": "BU03440832", "wijk": "WK034408",
                                 "skills": PERSON["skills"], "languages": PERSON["languages"],
                                 "availability": PERSON["availability"], "sequence": 2}
    assert events[2]["data"] == {"member_id": member["id"], "sequence": 3} and events[2]["subject"] == member["id"]
    assert events[3]["data"]["members"] == [] and events[3]["subject"] == "krachtstation"
    assert_no_personal_data_in_outbox(app)


def test_membership_numbers_are_unique(client, app, coordinator):
    first = register(client, coordinator)
    again = client.post("/members", json=PERSON, headers=coordinator)
    assert again.status_code == 422 and "membership_number" in again.json["errors"]["json"]
    other = register(client, coordinator, membership_number="KK-0043")
    taken = client.patch(f"/members/{other['id']}", json={"version": 1, "membership_number": "KK-0042"},
                         headers=coordinator)
    assert taken.status_code == 422 and "membership_number" in taken.json["errors"]["json"]
    assert first["id"] != other["id"] and counts(app) == (2, 0, 2)


@pytest.mark.parametrize("changes, field", [
    ({"name": None}, "name"), ({"name": "  "}, "name"), ({"name": "a\x00b"}, "name"), ({"name": 42}, "name"),
    ({"type": "robot"}, "type"), ({"kind": "buurman"}, "kind"), ({"kind": "organisatie"}, "kind"),
    ({"membership_status": "ex"}, "membership_status"), ({"role": "admin"}, "role"),
    ({"membership_number": "a b"}, "membership_number"), ({"membership_number": "x" * 40}, "membership_number"),
    ({"member_since": "2999-01-01"}, "member_since"), ({"member_since": "99999999-01-01"}, "member_since"),
    ({"buurt": "BU03449999"}, "buurt"), ({"buurt": 344}, "buurt"), ({"languages": ["Nederlands"]}, "languages"),
    ({"skills": ["toveren"]}, "skills"), ({"kind": "bewoner"}, "skills"),
    ({"availability": [{"byday": "MAANDAG", "from": "09:00", "until": "10:00"}]}, "availability"),
    ({"availability": [{"byday": "MO", "from": "12:00", "until": "09:00"}]}, "availability"),
    ({"availability": "MO"}, "availability"), ({"trade": "bakker"}, "trade"),
    ({"email": "geen-mail"}, "email"), ({"phone": "bel me"}, "phone"), ({"postcode": "3527"}, "postcode"),
    ({"birth_date": "1800-01-01"}, "birth_date"), ({"birth_date": "morgen"}, "birth_date"),
    ({"version": 1}, "version"), ({"extra": 1}, "extra"),
])
def test_bad_input_is_named_and_leaves_nothing(client, app, coordinator, changes, field):
    response = client.post("/members", json={**PERSON, **changes}, headers=coordinator)
    assert response.status_code == 422 and field in response.json["errors"]["json"], response.json
    assert counts(app) == (0, 0, 0)


def test_organisations_and_entrepreneurs(client, coordinator):
    organisation = register(client, coordinator, type="organisation", kind="organisatie", skills=[], availability=[],
                            membership_number="ORG-1", name="Stichting Buurtkracht", buurt=None, birth_date=None)
    assert (organisation["buurt"], organisation["wijk"]) == (None, None)
    shop = register(client, coordinator, kind="ondernemer", trade="fietsenmaker", skills=[], availability=[],
                    membership_number="ON-1")
    assert shop["trade"] == "fietsenmaker"
    inconsistent = client.patch(f"/members/{shop['id']}", json={"version": 1, "kind": "bewoner"}, headers=coordinator)
    assert inconsistent.status_code == 422 and "trade" in inconsistent.json["errors"]["json"]


@pytest.mark.parametrize("method, url, kwargs", [
    ("post", "/members", {"json": [1, 2]}), ("post", "/members", {"json": None}),
    ("post", "/members", {"data": b"\xff\xfe", "content_type": "application/json"}),
    ("post", "/members", {"data": '{"name": "x",', "content_type": "application/json"}),
    ("get", "/members?page=99999999999999999999", {}), ("get", "/members?buurt=%00", {}),
    ("get", "/members/%00", {}), ("get", "/members/" + "x" * 5000, {}),
    ("patch", "/members/nope", {"json": {"version": 1}}),
    ("patch", f"/members/{uuid.uuid4()}", {"json": {"version": 99999999999999999999}}),
    ("patch", f"/members/{uuid.uuid4()}", {"json": {"version": "one"}}),
    ("post", f"/members/{uuid.uuid4()}/consents", {"json": {"purpose": "contact_email", "how": "online"}}),
    ("post", f"/members/{uuid.uuid4()}/consents/{uuid.uuid4()}/withdraw", {"json": {}}),
    ("get", f"/members/{uuid.uuid4()}/consents/contact_email", {}),
    ("get", f"/members/{uuid.uuid4()}/export", {}), ("post", f"/members/{uuid.uuid4()}/erase", {}),
])
def test_hostile_input_gets_a_4xx(client, app, coordinator, method, url, kwargs):
    response = getattr(client, method)(url, headers=coordinator, **kwargs)
    assert 400 <= response.status_code < 500, response.json
    assert counts(app) == (0, 0, 0)


@pytest.mark.parametrize("body, field", [
    ({"how": "online"}, "purpose"), ({"purpose": "marketing", "how": "online"}, "purpose"),
    ({"purpose": "contact_email"}, "how"), ({"purpose": "contact_email", "how": "telepathisch"}, "how"),
    ({"purpose": "contact_email", "how": "online", "given_at": "2999-01-01T10:00:00Z"}, "given_at"),
    ({"purpose": "contact_email", "how": "online", "given_at": "gisteren"}, "given_at"),
    ({"purpose": "contact_email\x00", "how": "online"}, "purpose"),
])
def test_bad_consents_are_named_and_leave_nothing(client, app, coordinator, body, field):
    member = register(client, coordinator)
    response = client.post(f"/members/{member['id']}/consents", json=body, headers=coordinator)
    assert response.status_code == 422 and field in response.json["errors"]["json"], response.json
    assert counts(app) == (1, 0, 1)


def test_consents_are_records_with_a_history(client, app, coordinator):
    member = register(client, coordinator)
    base = f"/members/{member['id']}/consents"
    assert client.get(f"{base}/contact_email", headers=coordinator).json == {
        "purpose": "contact_email", "in_force": False, "since": None, "consent_id": None}
    given = client.post(base, json={"purpose": "contact_email", "how": "schriftelijk",
                                    "given_at": "2025-02-03T10:00:00"}, headers=coordinator)
    assert given.status_code == 201, given.json
    assert given.json["given_at"] == "2025-02-03T09:00:00+00:00"  # Utrecht time without an offset
    answer = client.get(f"{base}/contact_email", headers=coordinator).json
    assert (answer["in_force"], answer["since"], answer["consent_id"]) == (True, given.json["given_at"], given.json["id"])
    assert client.get(f"{base}/contact_phone", headers=coordinator).json["in_force"] is False
    assert client.get(f"{base}/marketing", headers=coordinator).status_code == 404

    early = client.post(f"{base}/{given.json['id']}/withdraw", json={"withdrawn_at": "2020-01-01T00:00:00Z"},
                        headers=coordinator)
    assert early.status_code == 422 and "withdrawn_at" in early.json["errors"]["json"]
    withdrawn = client.post(f"{base}/{given.json['id']}/withdraw", json={"how": "mondeling"}, headers=coordinator)
    assert withdrawn.status_code == 200 and withdrawn.json["withdrawn_how"] == "mondeling"
    assert client.post(f"{base}/{given.json['id']}/withdraw", json={}, headers=coordinator).status_code == 409
    assert client.get(f"{base}/contact_email", headers=coordinator).json["in_force"] is False

    again = client.post(base, json={"purpose": "contact_email", "how": "online"}, headers=coordinator).json
    assert client.get(f"{base}/contact_email", headers=coordinator).json["consent_id"] == again["id"]
    history = client.get(base, headers=coordinator).json
    assert [(c["id"], c["withdrawn_at"] is not None) for c in history] == [(given.json["id"], True), (again["id"], False)]
    assert [e["type"] for e in outbox_events(app)] == ["nl.samen030.members.counts.changed.v1"]  # consents stay here
    other = register(client, coordinator, membership_number="KK-0099")
    assert client.post(f"/members/{other['id']}/consents/{given.json['id']}/withdraw", json={},
                       headers=coordinator).status_code == 404
    assert_no_personal_data_in_outbox(app)


def test_export_holds_everything_about_the_person(client, coordinator, members_only):
    member = register(client, coordinator)
    client.post(f"/members/{member['id']}/consents", json={"purpose": "share_for_referral", "how": "online"},
                headers=coordinator)
    document = client.get(f"/members/{member['id']}/export", headers=coordinator).json
    assert document["partner"] == "krachtstation" and document["exported_at"]
    assert {k: document["member"][k] for k in PERSON} == PERSON
    assert [c["purpose"] for c in document["consents"]] == ["share_for_referral"]
    assert document["requests"] == []


def test_erase_leaves_an_anonymous_counted_record(client, app, coordinator, members_only):
    member = register(client, coordinator)
    consent = client.post(f"/members/{member['id']}/consents", json={"purpose": "contact_phone", "how": "mondeling"},
                          headers=coordinator).json
    erased = client.post(f"/members/{member['id']}/erase", headers=coordinator)
    assert erased.status_code == 200 and erased.json["erased_at"]
    for field in ("name", "email", "phone", "address", "postcode", "birth_date", "membership_number", "trade"):
        assert erased.json[field] is None, field
    assert (erased.json["kind"], erased.json["wijk"], erased.json["skills"]) == ("vrijwilliger", "WK034408", PERSON["skills"])
    assert client.get(f"/members/{member['id']}/consents/contact_phone", headers=coordinator).json["in_force"] is False
    assert [c["id"] for c in client.get(f"/members/{member['id']}/consents", headers=coordinator).json] == [consent["id"]]

    stored = all_stored_text(app)
    for secret in SECRETS:
        assert secret not in stored, secret
    assert client.post(f"/members/{member['id']}/erase", headers=coordinator).json == erased.json  # harmless again
    events = outbox_events(app)
    assert [e["type"].rsplit(".", 3)[-3:-1] for e in events] == [["counts", "changed"], ["member", "erased"],
                                                                  ["counts", "changed"]]  # capacity without her skills
    assert events[1]["data"] == {"member_id": member["id"], "erased_at": events[1]["data"]["erased_at"]}
    assert client.get("/members?wijk=WK034408", headers=coordinator).json["total_items"] == 1
    assert client.patch(f"/members/{member['id']}", json={"version": 2, "name": "Terug"},
                        headers=coordinator).status_code == 409
    assert client.post(f"/members/{member['id']}/consents", json={"purpose": "contact_email", "how": "online"},
                       headers=coordinator).status_code == 409
    assert client.get(f"/members/{member['id']}/export", headers=coordinator).json["member"]["name"] is None
    assert counts(app) == (1, 1, 3)
    assert_no_personal_data_in_outbox(app)


def bodies(member_id: str) -> dict[str, dict]:
    """A valid body for the writes, so that only who calls decides the answer."""
    return {"/members": {"json": {**PERSON, "membership_number": "X-1"}},
            f"/members/{member_id}": {"json": {"version": 1, "name": "Overgenomen"}},
            f"/members/{member_id}/consents": {"json": {"purpose": "contact_email", "how": "online"}},
            "/accounts": {"json": {"username": "indringer", "password": "lang genoeg wachtwoord", "role": "coordinator"}}}


def test_only_our_coordinators_see_or_change_members(client, app, coordinator, auth_header):
    """BOLA: another partner's coordinator and the city (their tokens are not for us: 401), our volunteers
    and viewers (403) and anonymous callers get nothing from any endpoint, reads included, and change nothing."""
    member = register(client, coordinator)
    consent = client.post(f"/members/{member['id']}/consents", json={"purpose": "contact_phone", "how": "online"},
                          headers=coordinator).json
    before = counts(app)
    intruders = [(auth_header("zorgbelang"), 401), (auth_header("krachtstation", "volunteer"), 403),
                 (auth_header("krachtstation", "viewer"), 403), (auth_header("samen030", "viewer"), 401),
                 ({}, 401), ({"Authorization": "Bearer forged"}, 401)]
    endpoints = every_endpoint(app, {"member_id": member["id"], "consent_id": consent["id"], "purpose": "contact_phone",
                                     "account_id": str(uuid.uuid4())}, ("/login",))
    assert len(endpoints) >= 19  # members, consents, export, erase, accounts, volunteer suggestions
    for headers, status in intruders:
        for method, url in endpoints:
            response = getattr(client, method)(url, headers=headers, **bodies(member["id"]).get(url, {"json": {}}))
            assert response.status_code == status, (headers, method, url, response.json)
            for secret in SECRETS:
                assert secret not in response.get_data(as_text=True)
    assert counts(app) == before
    assert client.get(f"/members/{member['id']}/consents/contact_phone", headers=coordinator).json["in_force"] is True
    assert client.get(f"/members/{member['id']}", headers=coordinator).json["name"] == PERSON["name"]


def test_health_and_openapi_are_public(client):
    assert client.get("/health").status_code == 200
    spec = client.get("/openapi.json").json
    assert {"/members", "/members/{member_id}", "/members/{member_id}/erase"} <= set(spec["paths"])
