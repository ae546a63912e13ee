"""Members per wijk and kind, and volunteer capacity, at the gateway: from the members service's events,
counts only; an erased member keeps being counted but loses their skills."""
import pytest
from sqlalchemy import select

from samen030.gateway.app import create_app as create_gateway
from samen030.gateway.projector import readmodel_projection
from samen030.members.app import create_app as create_members
from samen030.members.tables import outbox
from tests.integration.test_members_api import PERSON

PARTNER = "krachtstation"


@pytest.fixture
def city(databases, monkeypatch, auth_header):
    if schema := databases.schema(PARTNER, "members"):
        monkeypatch.setenv("DATABASE_SCHEMA", schema)
    members_app = create_members(PARTNER, databases.url(PARTNER, "members"), {"TESTING": True})
    databases.opened.append(members_app.extensions["samen030.db"])
    if schema := databases.schema("city", "gateway"):
        monkeypatch.setenv("DATABASE_SCHEMA", schema)
    gateway = create_gateway(databases.url("city", "gateway"), config={"TESTING": True})
    databases.opened.append(gateway.extensions["samen030.db"])
    projection, seen = readmodel_projection(gateway.extensions["samen030.db"]), set()

    def sync():
        """Apply the members service's new outbox events at the gateway, as the relay and projector would."""
        with members_app.extensions["samen030.db"].connect() as conn:
            rows = conn.execute(select(outbox.c.seq, outbox.c.payload, outbox.c.nats_subject).order_by(outbox.c.seq)).all()
        projection.apply([(payload, subject) for seq, payload, subject in rows if seq not in seen])
        seen.update(seq for seq, _p, _s in rows)

    return members_app.test_client(), gateway.test_client(), sync, auth_header(PARTNER)


def test_counts_per_wijk_and_kind_and_volunteer_capacity(city):
    members, gateway, sync, coordinator = city
    fatima = members.post("/members", json=PERSON, headers=coordinator).json
    members.post("/members", headers=coordinator, json={**PERSON, "membership_number": "KK-0043", "skills": ["taal"],
                                                        "buurt": "BU03440111"})
    resident = {key: value for key, value in PERSON.items() if key not in ("skills", "availability")}
    created = members.post("/members", headers=coordinator, json={
        **resident, "kind": "bewoner", "role": "resident", "membership_number": "KK-0044", "name": "Piet"})
    assert created.status_code == 201, created.json
    sync()
    figures = gateway.get("/api/v1/figures/members").json
    assert {(f["wijk"], f["kind"]): f["count"] for f in figures["members"]} == {
        ("WK034401", "vrijwilliger"): 1, ("WK034408", "bewoner"): 1, ("WK034408", "vrijwilliger"): 1}
    capacity = {(c["wijk"], c["category"]): c["volunteers"] for c in figures["volunteer_capacity"]}
    assert capacity == {("WK034401", "informatie"): 1, ("WK034408", "informatie"): 1, ("WK034408", "praktische-hulp"): 1}
    assert "Fatima" not in gateway.get("/api/v1/figures/members").text

    assert members.post(f"/members/{fatima['id']}/erase", headers=coordinator).status_code == 200
    sync()
    after = gateway.get("/api/v1/figures/members").json
    assert after["members"] == figures["members"]
    assert {(c["wijk"], c["category"]) for c in after["volunteer_capacity"]} == {("WK034401", "informatie")}
