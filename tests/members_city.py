"""One partner's members service and the gateway, in this process on the test's databases: the members
service's outbox reaches the gateway's projector as relay and projector would bring it, or in any order
a test chooses (delivery is at least once and may be out of order)."""
import json

from sqlalchemy import select

from tests.conftest import auth


class MembersCity:
    def __init__(self, databases, monkeypatch, partner: str):
        from samen030.gateway.app import create_app as create_gateway
        from samen030.gateway.projector import readmodel_projection
        self.partner, self.databases, self.monkeypatch = partner, databases, monkeypatch
        self.members_app = self.open_members()
        if schema := databases.schema("city", "gateway"):
            monkeypatch.setenv("DATABASE_SCHEMA", schema)
        self.gateway_app = create_gateway(databases.url("city", "gateway"), config={"TESTING": True})
        databases.opened.append(self.gateway_app.extensions["samen030.db"])
        self.projection = readmodel_projection(self.gateway_app.extensions["samen030.db"])
        self.members, self.gateway = self.members_app.test_client(), self.gateway_app.test_client()
        self.coordinator = auth(partner)
        self.delivered: set[int] = set()

    def open_members(self):
        """The members service's app (again: as a process starting on the same database would)."""
        from samen030.members.app import create_app as create_members
        if schema := self.databases.schema(self.partner, "members"):
            self.monkeypatch.setenv("DATABASE_SCHEMA", schema)
        app = create_members(self.partner, self.databases.url(self.partner, "members"), {"TESTING": True})
        self.databases.opened.append(app.extensions["samen030.db"])
        return app

    @property
    def members_db(self):
        return self.members_app.extensions["samen030.db"]

    def rows(self) -> list[tuple[int, bytes, str]]:
        from samen030.members.tables import outbox
        with self.members_db.connect() as conn:
            return conn.execute(select(outbox.c.seq, outbox.c.payload, outbox.c.nats_subject)
                                .order_by(outbox.c.seq)).all()

    def events(self) -> list[dict]:
        return [json.loads(payload) for _seq, payload, _subject in self.rows()]

    def sync(self) -> None:
        """Deliver the outbox's new events to the gateway, in order."""
        self.deliver([row for row in self.rows() if row[0] not in self.delivered])

    def deliver(self, rows) -> list[str]:
        self.delivered.update(seq for seq, _p, _s in rows)
        return self.projection.apply([(payload, subject) for _seq, payload, subject in rows])

    def post(self, path: str, body: dict, expect: int = 201) -> dict:
        response = self.members.post(path, json=body, headers=self.coordinator)
        assert response.status_code == expect, response.json
        return response.json

    def patch(self, member: dict, **changes) -> dict:
        current = self.members.get(f"/members/{member['id']}", headers=self.coordinator).json
        response = self.members.patch(f"/members/{member['id']}", json={"version": current["version"], **changes},
                                      headers=self.coordinator)
        assert response.status_code == 200, response.json
        return response.json

    def consent(self, member: dict, purpose: str = "volunteer_suggestions") -> dict:
        return self.post(f"/members/{member['id']}/consents", {"purpose": purpose, "how": "schriftelijk"})

    def withdraw(self, member: dict, consent: dict) -> dict:
        return self.post(f"/members/{member['id']}/consents/{consent['id']}/withdraw", {}, expect=200)

    def profile(self, member_id: str) -> dict | None:
        """The member's anonymous profile at the gateway, as other partners' suggestions see it."""
        from samen030.gateway.volunteers import volunteer_profile
        with self.gateway_app.extensions["samen030.db"].connect() as conn:
            return volunteer_profile(conn, member_id)

    def figures(self) -> tuple[dict, dict]:
        """({(wijk, kind): members}, {(wijk, category): volunteers}) from the gateway's member figures."""
        figures = self.gateway.get("/api/v1/figures/members").json
        return ({(f["wijk"], f["kind"]): f["count"] for f in figures["members"]},
                {(c["wijk"], c["category"]): c["volunteers"] for c in figures["volunteer_capacity"]})
