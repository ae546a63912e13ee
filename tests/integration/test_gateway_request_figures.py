"""Help-request figures at the gateway: request and referral events applied through the projection
itself (no broker), on SQLite and PostgreSQL; counts, medians, overdue, the referral matrix, the
period, and the same figures as CSV."""
import csv
import io
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from samen030.gateway.app import create_app
from samen030.gateway.projector import readmodel_projection
from samen030.gateway.readmodel import help_requests, referrals
from samen030.kernel.config import Federation, Partner
from samen030.kernel.events import new_event
from samen030.kernel.geography import buurt as buurt_of
from samen030.kernel.natsserver import free_port

NOORD, OVERVECHT = "BU03440832", "BU03440111"  # Kanaleneiland-Noord (WK034408), a buurt of WK034401
MARCH = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
NAMES = {"krachtstation": "Krachtstation", "zorgbelang": "Zorgbelang", "wijkinformatiepunt": "Wijkinformatiepunt"}


def iso(moment):
    return moment.isoformat() if moment else None


def request(partner, request_id=None, version=1, status="received", action="receive", origin="intake",
            category="informatie", buurt=NOORD, received_at=MARCH, first_contact_at=None, resolved_at=None,
            due=None, referral_id=None, referred_by=None, at=None):
    request_id = request_id or str(uuid.uuid4())
    data = {"request_id": request_id, "version": version, "status": status, "previous_status": None,
            "action": action, "origin": origin, "channel": "referral" if origin == "referral" else "walk_in",
            "category": category, "buurt": buurt, "wijk": buurt_of(buurt).wijk_code, "urgency": "normal",
            "referral_id": referral_id, "referred_by": referred_by, "received_at": iso(received_at),
            "first_contact_due": iso(due or received_at + timedelta(days=2)),
            "first_contact_at": iso(first_contact_at), "resolved_at": iso(resolved_at),
            "at": iso(at or received_at + timedelta(minutes=version))}
    event = new_event(partner, "requests", "request", "received" if version == 1 else "changed", request_id, data)
    return event.to_json(), event.nats_subject


def referral(partner, to_partner, referral_id, request_id, to_request_id, category="informatie", buurt=NOORD,
             at=MARCH + timedelta(hours=1)):
    data = {"referral_id": referral_id, "request_id": request_id, "to_partner": to_partner,
            "to_request_id": to_request_id, "offer_id": None, "with_consent": True, "shared": ["question"],
            "category": category, "buurt": buurt, "wijk": buurt_of(buurt).wijk_code, "urgency": "normal", "at": iso(at)}
    event = new_event(partner, "requests", "referral", "sent", request_id, data)
    return event.to_json(), event.nats_subject


def handover(sender, receiver, outcome=None, at=MARCH + timedelta(hours=1), received_at=MARCH, **fields):
    """A request at `sender`, referred at `at` to `receiver`, and the receiver's request (answered or
    not): the events in the order they were made."""
    mine, theirs, referral_id = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    place = {key: fields[key] for key in ("category", "buurt") if key in fields}
    received = dict(origin="referral", referral_id=referral_id, referred_by=sender, received_at=at, **fields)
    events = [request(sender, mine, received_at=received_at, **fields),
              referral(sender, receiver, referral_id, mine, theirs, at=at, **place), request(receiver, theirs, **received)]
    if outcome:
        events.append(request(receiver, theirs, version=2, status=f"{outcome}ed" if outcome == "accept" else "declined",
                              action=outcome, **received))
    return events


@pytest.fixture
def gateway(databases, monkeypatch):
    if schema := databases.schema("city", "gateway"):
        monkeypatch.setenv("DATABASE_SCHEMA", schema)
    dead = f"http://127.0.0.1:{free_port()}"
    federation = Federation("http://127.0.0.1:8080", "nats://127.0.0.1:4250", {
        p: Partner(p, name, {"requests": dead}) for p, name in NAMES.items()}, source=None)
    app = create_app(databases.url("city", "gateway"), federation, {"TESTING": True})
    databases.opened.append(app.extensions["samen030.db"])
    projection = readmodel_projection(app.extensions["samen030.db"])
    app.project = lambda *events: projection.apply(list(events))
    return app


@pytest.fixture
def figures(gateway):
    client = gateway.test_client()

    def get(query=""):
        response = client.get(f"/api/v1/figures/requests?{query}")
        assert response.status_code == 200, response.json
        return response.json
    return get


def by_code(rows):
    return {row["code"]: row for row in rows}


def stored_id(message):
    return data_of(message)["request_id"]


def data_of(message):
    return json.loads(message[0])["data"]


def stored(gateway, table, key, value):
    with gateway.extensions["samen030.db"].connect() as conn:
        return conn.execute(select(table).where(table.c[key] == value)).mappings().first()


def test_counts_per_group_and_who_referred_to_whom(gateway, figures):
    gateway.project(*handover("krachtstation", "zorgbelang", "accept"),
                    *handover("krachtstation", "wijkinformatiepunt", "decline"),
                    *handover("krachtstation", "zorgbelang"),
                    request("krachtstation"),
                    request("zorgbelang", category="lichte-zorg", buurt=OVERVECHT))
    answer = figures()
    totals = answer["totals"]
    assert (totals["received"], totals["received_by_referral"], totals["referred"]) == (5, 3, 3)
    assert (totals["referrals_accepted"], totals["referrals_declined"], totals["referrals_pending"]) == (1, 1, 1)
    partners = by_code(answer["by_partner"])
    assert partners["krachtstation"]["name"] == "Krachtstation"
    assert (partners["krachtstation"]["received"], partners["krachtstation"]["referred"]) == (4, 3)
    assert (partners["zorgbelang"]["received"], partners["zorgbelang"]["received_by_referral"]) == (1, 2)
    assert partners["wijkinformatiepunt"]["received_by_referral"] == 1
    wijken = by_code(answer["by_wijk"])
    assert wijken["WK034408"]["name"] == "Wijk 08 Zuidwest"
    assert (wijken["WK034408"]["received"], wijken["WK034401"]["received"]) == (4, 1)
    noord = by_code(answer["by_buurt"])[NOORD]
    assert (noord["name"], noord["wijk"], noord["received"]) == ("Kanaleneiland-Noord", "WK034408", 4)
    assert by_code(answer["by_category"])["lichte-zorg"]["name"] == "Lichte zorg en gezondheid"
    assert answer["referrals"] == [
        {"from_partner": "krachtstation", "from_name": "Krachtstation", "to_partner": "wijkinformatiepunt",
         "to_name": "Wijkinformatiepunt", "sent": 1, "accepted": 0, "declined": 1, "pending": 0},
        {"from_partner": "krachtstation", "from_name": "Krachtstation", "to_partner": "zorgbelang",
         "to_name": "Zorgbelang", "sent": 2, "accepted": 1, "declined": 0, "pending": 1}]


def test_an_answer_that_arrives_before_the_referral_is_kept(gateway, figures):
    mine, sent, theirs, accepted = handover("krachtstation", "zorgbelang", "accept")
    later = request("zorgbelang", stored_id(theirs), version=3, status="in_progress", action="start",
                    origin="referral", referral_id=data_of(theirs)["referral_id"], referred_by="krachtstation")
    gateway.project(later, accepted, theirs, mine)  # the receiver's stream first, newest first
    gateway.project(sent)
    answer = figures()
    assert [(r["sent"], r["accepted"], r["pending"]) for r in answer["referrals"]] == [(1, 1, 0)]
    assert answer["totals"]["referrals_accepted"] == 1
    row = stored(gateway, help_requests, "id", stored_id(theirs))
    assert (row["status"], row["version"], row["referral_outcome"]) == ("in_progress", 3, "accepted")


def test_an_older_version_changes_nothing(gateway, figures):
    request_id = str(uuid.uuid4())
    resolved = request("krachtstation", request_id, version=3, status="resolved", action="resolve",
                       first_contact_at=MARCH + timedelta(hours=2), resolved_at=MARCH + timedelta(hours=30))
    gateway.project(resolved, request("krachtstation", request_id, version=2, status="triaged", action="triage"),
                    request("krachtstation", request_id))
    row = stored(gateway, help_requests, "id", request_id)
    assert (row["status"], row["version"], row["seconds_to_resolution"]) == ("resolved", 3, 30 * 3600)
    assert figures()["totals"]["median_hours_to_resolution"] == 30


def test_another_partner_cannot_overwrite_a_request_or_answer_a_referral_for_another(gateway, figures):
    mine, sent, theirs = handover("krachtstation", "wijkinformatiepunt")
    gateway.project(mine, sent, theirs)
    referral_id = data_of(theirs)["referral_id"]
    gateway.project(
        request("zorgbelang", stored_id(mine), version=9, status="withdrawn", action="withdraw"),
        request("zorgbelang", stored_id(theirs), version=9, status="declined", action="decline",
                origin="referral", referral_id=referral_id, referred_by="krachtstation"),
        request("zorgbelang", origin="referral", version=2, status="accepted", action="accept",
                referral_id=referral_id, referred_by="krachtstation"),
        referral("zorgbelang", "powerbypeers", referral_id, stored_id(mine), stored_id(theirs)))
    assert stored(gateway, help_requests, "id", stored_id(mine))["partner"] == "krachtstation"
    assert stored(gateway, help_requests, "id", stored_id(mine))["status"] == "received"
    assert stored(gateway, help_requests, "id", stored_id(theirs))["referral_outcome"] is None
    kept = stored(gateway, referrals, "referral_id", referral_id)
    assert (kept["from_partner"], kept["to_partner"], kept["outcome"]) == ("krachtstation", "wijkinformatiepunt", None)
    assert figures()["totals"]["referrals_pending"] == 1


def test_medians_per_group_and_in_total(gateway, figures):
    hours = timedelta(hours=1)
    gateway.project(*[request("krachtstation", first_contact_at=MARCH + n * hours, status="in_progress")
                      for n in (1, 2, 3, 10)],
                    *[request("zorgbelang", buurt=OVERVECHT, first_contact_at=MARCH + n * hours,
                              resolved_at=MARCH + 24 * n * hours, status="resolved") for n in (1, 2, 6)])
    answer = figures()
    assert answer["totals"]["median_hours_to_first_contact"] == 2
    assert answer["totals"]["median_hours_to_resolution"] == 48
    partners = by_code(answer["by_partner"])
    assert partners["krachtstation"]["median_hours_to_first_contact"] == 2.5
    assert partners["krachtstation"]["median_hours_to_resolution"] is None
    assert partners["zorgbelang"]["median_hours_to_first_contact"] == 2
    assert by_code(answer["by_wijk"])["WK034401"]["median_hours_to_resolution"] == 48


def test_overdue_now_counts_open_requests_past_their_first_contact_deadline(gateway, figures):
    now = datetime.now(timezone.utc)
    late = dict(received_at=now - timedelta(days=3), due=now - timedelta(hours=1))
    gateway.project(request("krachtstation", **late), request("krachtstation", **late),
                    request("krachtstation", first_contact_at=now - timedelta(hours=2), status="in_progress", **late),
                    request("krachtstation", version=2, status="withdrawn", action="withdraw", **late),
                    request("krachtstation", received_at=now - timedelta(hours=1), due=now + timedelta(hours=1)))
    overdue = new_event("krachtstation", "requests", "request", "overdue", str(uuid.uuid4()), {
        "request_id": str(uuid.uuid4()), "category": "informatie", "buurt": NOORD, "wijk": "WK034408",
        "urgency": "high", "first_contact_due": iso(now), "at": iso(now)})
    assert gateway.project((overdue.to_json(), overdue.nats_subject)) == ["applied"]
    answer = figures()
    assert answer["totals"]["overdue_now"] == 2
    assert by_code(answer["by_partner"])["krachtstation"]["overdue_now"] == 2


def test_the_period_is_days_in_utrecht_time_until_included(gateway, figures):
    late_january = datetime(2026, 1, 31, 22, 30, tzinfo=timezone.utc)  # 23:30 in Utrecht
    early_february = datetime(2026, 1, 31, 23, 30, tzinfo=timezone.utc)  # 00:30 on 1 February
    gateway.project(request("krachtstation", received_at=late_january),
                    *handover("krachtstation", "zorgbelang", "accept", received_at=early_february,
                              at=early_february + timedelta(hours=1)),
                    request("zorgbelang", received_at=datetime(2026, 3, 1, 12, tzinfo=timezone.utc)))
    assert figures()["totals"]["received"] == 3
    january = figures("until=2026-01-31")
    assert (january["totals"]["received"], january["totals"]["referred"], january["referrals"]) == (1, 0, [])
    february = figures("from=2026-02-01&until=2026-02-28")
    assert february["period"] == {"from": "2026-02-01", "until": "2026-02-28", "timezone": "Europe/Amsterdam"}
    assert (february["totals"]["received"], february["totals"]["received_by_referral"]) == (1, 1)
    assert (february["totals"]["referred"], february["totals"]["referrals_accepted"]) == (1, 1)
    assert figures("from=2026-02-01")["totals"]["received"] == 2


def test_filters_narrow_groups_and_the_partner_sees_referrals_both_ways(gateway, figures):
    gateway.project(*handover("krachtstation", "zorgbelang", "accept"),
                    *handover("zorgbelang", "wijkinformatiepunt", buurt=OVERVECHT),
                    request("krachtstation", category="buurtzaken"))
    assert [row["code"] for row in figures("wijk=WK034401")["by_wijk"]] == ["WK034401"]
    assert figures("category=buurtzaken")["totals"]["received"] == 1
    assert figures(f"buurt={NOORD}")["totals"]["referred"] == 1
    zorgbelang = figures("partner=zorgbelang")
    assert [(r["from_partner"], r["to_partner"]) for r in zorgbelang["referrals"]] == [
        ("krachtstation", "zorgbelang"), ("zorgbelang", "wijkinformatiepunt")]
    assert (zorgbelang["totals"]["received"], zorgbelang["totals"]["received_by_referral"]) == (1, 1)
    assert zorgbelang["totals"]["referred"] == 1  # sent by zorgbelang; the one it received counts at krachtstation
    assert [row["code"] for row in zorgbelang["by_partner"]] == ["zorgbelang"]


def test_csv_is_the_same_figures_in_one_table(gateway, figures):
    gateway.project(*handover("krachtstation", "zorgbelang", "accept",
                              first_contact_at=MARCH + timedelta(minutes=100)),
                    request("zorgbelang", buurt=OVERVECHT))
    answer = figures("from=2026-03-01")
    client = gateway.test_client()
    by_param = client.get("/api/v1/figures/requests?from=2026-03-01&format=csv")
    by_accept = client.get("/api/v1/figures/requests?from=2026-03-01", headers={"Accept": "text/csv"})
    assert by_param.status_code == by_accept.status_code == 200
    assert by_param.mimetype == "text/csv" and "hulpvragen-2026-03-01-nu.csv" in by_param.headers["Content-Disposition"]
    assert by_param.data.startswith(b"\xef\xbb\xbf") and by_param.data == by_accept.data
    rows = list(csv.DictReader(io.StringIO(by_param.data.decode("utf-8-sig")), delimiter=";"))
    assert list(rows[0]) == ["group", "code", "name", "measure", "description", "value"]

    def number(text):
        return None if text == "" else float(text.replace(",", "."))
    cells = {(row["group"], row["code"], row["measure"]): number(row["value"]) for row in rows}
    expected = {("total", "", measure): value for measure, value in answer["totals"].items()}
    for group in ("wijk", "buurt", "category", "partner"):
        for row in answer[f"by_{group}"]:
            expected |= {(group, row["code"], measure): value for measure, value in row.items()
                         if measure not in ("code", "name", "wijk")}
    for row in answer["referrals"]:
        expected |= {("referrals", f"{row['from_partner']} → {row['to_partner']}", measure): row[measure]
                     for measure in ("sent", "accepted", "declined", "pending")}
    assert cells == expected
    assert cells[("total", "", "median_hours_to_first_contact")] == 1.17  # of 1 h 40 min and 40 min
    assert ";median_hours_to_first_contact;" in by_param.data.decode() and ";1,17\r\n" in by_param.data.decode()
    assert "Wijk 08 Zuidwest" in {row["name"] for row in rows}


@pytest.mark.parametrize("query", [
    "from=2026-02-30", "from=yesterday", "until=2026-01-01&from=2026-02-01", "from=0001-01-01", "until=9999-12-31",
    "wijk=WK999999", "buurt=%00", "category=zorg", "partner=nobody", "partner=" + "x" * 3000, "partner=%00",
    "format=xlsx", "from=2026-01-01T10:00:00", "from=" + "9" * 400])
def test_bad_input_is_a_422_naming_the_field(gateway, query):
    response = gateway.test_client().get(f"/api/v1/figures/requests?{query}")
    assert response.status_code == 422, response.json
    assert set(response.json["errors"]["query"]) <= {"from", "until", "wijk", "buurt", "category", "partner", "format"}


def test_odd_input_is_never_a_500(gateway):
    client = gateway.test_client()
    for query in ["from=&until=", "wijk=", "format=", "from=2026-01-01&from=2026-02-01", "%ff=%fe", "until=2099-12-31"]:
        response = client.get(f"/api/v1/figures/requests?{query}", headers={"Accept": "text/csv;q=0.5, */*;q=0.1"})
        assert response.status_code < 500, (query, response.data)
