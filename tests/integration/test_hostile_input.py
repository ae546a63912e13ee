"""No input produces a 500, on SQLite or PostgreSQL (which cannot store NUL or huge integers)."""
import uuid

import pytest

from samen030.gateway.app import create_app as create_gateway

ID = str(uuid.uuid4())
DIRECTORY_REQUESTS = [
    ("post", "/offers", {"json": [1, 2]}),
    ("post", "/offers", {"json": None}),
    ("post", "/offers", {"data": b"\xff\xfe", "content_type": "application/json"}),
    ("post", "/offers", {"data": "null", "content_type": "application/json"}),
    ("post", "/offers", {"json": {"name": "a\x00b", "category": "informatie", "buurt": "BU03440832"}}),
    ("post", "/offers", {"json": {"name": "a", "description": "\x07", "category": "informatie", "buurt": "BU03440832"}}),
    ("post", "/offers", {"json": {"name": {"nl": "a"}, "category": ["informatie"], "buurt": 344}}),
    ("post", "/offers", {"json": {"name": "a", "category": "informatie", "buurt": "BU03440832", "status": None}}),
    # "$" matches before a final newline: such codes, times, postcodes and numbers were stored
    ("post", "/offers", {"json": {"name": "a", "category": "informatie", "buurt": "BU03440832", "languages": ["nl\n"]}}),
    ("post", "/offers", {"json": {"name": "a", "category": "informatie", "buurt": "BU03440832",
                                  "schedules": [{"byday": "MO", "opens_at": "09:00\n", "closes_at": "10:00"}]}}),
    ("post", "/offers", {"json": {"name": "a", "category": "informatie", "buurt": "BU03440832",
                                  "contacts": [{"name": "Balie", "phone": "030 7654321\n"}]}}),
    ("post", "/offers", {"json": {"name": "a", "category": "informatie", "buurt": "BU03440832",
                                  "locations": [{"name": "Huis", "postal_code": "3513 EG\n", "buurt": "BU03440832"}]}}),
    ("get", "/offers?page=99999999999999999999", {}),
    ("get", "/offers?per_page=-1", {}),
    ("get", "/offers?buurt=%00", {}),
    ("get", "/offers/" + "x" * 5000, {}),
    ("get", "/offers/%00", {}),
    ("patch", "/offers/%00", {"json": {"version": 1}}),
    ("patch", f"/offers/{ID}", {"json": {"version": 99999999999999999999}}),
    ("patch", f"/offers/{ID}", {"json": {"version": "one"}}),
]
GATEWAY_REQUESTS = ["/api/v1/offers?page=99999999999999999999", "/api/v1/offers?wijk=%00",
                    "/api/v1/offers/%00", "/api/v1/offers/" + "é" * 300, "/api/v1/offers?partner=" + "x" * 3000,
                    "/api/v1/offers?per_page=1e9",
                    "/api/v1/search?language=ar%0A", "/api/v1/offers?partner=krachtstation%0A"]  # "$" let these through


@pytest.mark.parametrize("method, url, kwargs", DIRECTORY_REQUESTS)
def test_directory_answers_hostile_input_with_a_4xx(directory_app, auth_header, method, url, kwargs):
    response = getattr(directory_app().test_client(), method)(url, headers=auth_header(), **kwargs)
    assert 400 <= response.status_code < 500, response.json
    assert response.json["code"] == response.status_code


def test_gateway_answers_hostile_input_with_a_4xx(databases, monkeypatch):
    if schema := databases.schema("city", "gateway"):
        monkeypatch.setenv("DATABASE_SCHEMA", schema)
    app = create_gateway(databases.url("city", "gateway"), config={"TESTING": True})
    databases.opened.append(app.extensions["samen030.db"])
    for url in GATEWAY_REQUESTS:
        response = app.test_client().get(url)
        assert 400 <= response.status_code < 500, (url, response.json)


INTAKE = {"channel": "walk_in", "category": "informatie", "buurt": "BU03440832", "question": "Hulp met een brief"}
REQUESTS_REQUESTS = [
    ("post", "/requests", {"json": [1, 2]}),
    ("post", "/requests", {"data": b"\xff\xfe", "content_type": "application/json"}),
    ("post", "/requests", {"json": {**INTAKE, "question": "a\x00b"}}),
    ("post", "/requests", {"json": {**INTAKE, "name": "\x07"}}),
    ("post", "/requests", {"json": {**INTAKE, "consents": "share_for_referral"}}),
    ("post", "/requests", {"json": {**INTAKE, "consents": [{"purpose": None}]}}),
    ("post", "/requests", {"json": {**INTAKE, "question": "x" * 5000}}),
    ("post", "/requests", {"json": {**INTAKE, "languages": []}}),
    ("get", "/requests?page=99999999999999999999", {}),
    ("get", "/requests?overdue=maybe", {}),
    ("get", "/requests?status=%00", {}),
    ("get", "/requests/%00", {}),
    ("get", f"/requests/{ID}/history", {}),
    ("post", f"/requests/{ID}/triage", {"json": {"version": 99999999999999999999}}),
    ("post", f"/requests/{ID}/triage", {"json": {"reason": "a\x00"}}),
    ("post", f"/requests/{ID}/fly", {"json": {}}),
    ("post", f"/requests/{ID}/refer", {"json": {"offer_id": "\x00"}}),
    ("post", f"/requests/{ID}/consents/anything/withdraw", {}),
    ("get", f"/requests/{ID}/suggestions", {}),
    ("post", "/incoming-referrals", {"json": {"referral_id": "x"}}),
]


@pytest.mark.parametrize("method, url, kwargs", REQUESTS_REQUESTS)
def test_requests_service_answers_hostile_input_with_a_4xx(databases, monkeypatch, auth_header, method, url, kwargs):
    from samen030.helprequests.app import create_app
    if schema := databases.schema("krachtstation", "requests"):
        monkeypatch.setenv("DATABASE_SCHEMA", schema)
    app = create_app("krachtstation", databases.url("krachtstation", "requests"), {"TESTING": True})
    databases.opened.append(app.extensions["samen030.db"])
    caller = auth_header("zorgbelang") if url.startswith("/incoming") else auth_header()
    response = getattr(app.test_client(), method)(url, headers=caller, **kwargs)
    assert 400 <= response.status_code < 500, (url, response.status_code, response.json)
