"""A resident's own question from the web: the one endpoint of a requests service open without a token.
It comes in on channel web with only the consents ticked, refuses bad input with a 4xx naming the field,
answers nothing the resident typed, and stops one sender who asks too often."""
import pytest

from samen030.helprequests.app import create_app
from tests.conftest import auth

PARTNER = "krachtstation"
QUESTION = {"category": "informatie", "buurt": "BU03440832", "question": "Waar kan ik Nederlands oefenen?",
            "name": "Fatima", "email": "fatima@example.nl", "consents": ["contact_email"]}


@pytest.fixture
def requests_app(databases, monkeypatch):
    monkeypatch.delenv("SAMEN030_PUBLIC_QUESTIONS_PER_MINUTE", raising=False)
    if schema := databases.schema(PARTNER, "requests"):
        monkeypatch.setenv("DATABASE_SCHEMA", schema)
    app = create_app(PARTNER, databases.url(PARTNER, "requests"), {"TESTING": True})
    databases.opened.append(app.extensions["samen030.db"])
    return app


def test_a_question_from_the_web_arrives_as_a_web_request_with_only_the_consents_ticked(requests_app):
    client = requests_app.test_client()
    answer = client.post("/public/questions", json=QUESTION)
    assert answer.status_code == 201, answer.json
    assert set(answer.json) == {"reference", "partner", "status", "received_at", "first_contact_due"}
    taken = client.get(f"/requests/{answer.json['reference']}", headers=auth(PARTNER)).json
    assert (taken["channel"], taken["origin"], taken["urgency"], taken["created_by"]) == ("web", "intake", "normal", "web")
    assert taken["question"] == QUESTION["question"] and taken["member_id"] is None
    consents = client.get(f"/requests/{taken['id']}/consents", headers=auth(PARTNER)).json
    assert [(c["purpose"], c["how"]) for c in consents] == [("contact_email", "online")]


@pytest.mark.parametrize("changes, field", [
    ({"question": "   "}, "question"), ({"question": None}, "question"), ({"buurt": "BU00000000"}, "buurt"),
    ({"category": "x"}, "category"), ({"consents": ["contact_phone"]}, "consents"),
    ({"consents": ["everything"]}, "consents"), ({"channel": "walk_in"}, "channel"), ({"urgency": "crisis"}, "urgency"),
    ({"member_id": "00000000-0000-0000-0000-000000000000"}, "member_id"), ({"email": "no"}, "email"),
    ({"question": "x" * 4001}, "question"), ({"question": "a\x00b"}, "question"),
])
def test_bad_input_is_a_422_naming_the_field(requests_app, changes, field):
    body = {k: v for k, v in {**QUESTION, **changes}.items()}
    response = requests_app.test_client().post("/public/questions", json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]["json"]


def test_not_json_is_a_4xx(requests_app):
    client = requests_app.test_client()
    for data, content_type in [(b"{", "application/json"), (b"question=x", "application/x-www-form-urlencoded")]:
        assert 400 <= client.post("/public/questions", data=data, content_type=content_type).status_code < 500


def test_one_sender_asking_too_often_gets_a_429(requests_app, monkeypatch):
    monkeypatch.setenv("SAMEN030_PUBLIC_QUESTIONS_PER_MINUTE", "3")
    client = requests_app.test_client()
    statuses = [client.post("/public/questions", json=QUESTION).status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 429]
    refused = client.post("/public/questions", json=QUESTION)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "Te veel vragen" in refused.json["message"]


def test_everything_else_still_needs_a_coordinator(requests_app):
    client = requests_app.test_client()
    assert client.get("/public/questions").status_code == 405
    assert client.get("/requests").status_code == 401
    assert client.post("/requests", json={**QUESTION, "channel": "web"}).status_code == 401
