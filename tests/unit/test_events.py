import json
import uuid

import pytest

from samen030.kernel.events import InvalidEvent, new_event, parse_event
from samen030.kernel.privacy import PersonalDataError


def offer_data(**changes):
    data = {"offer_id": str(uuid.uuid4()), "name": "Taalcafé", "description": "Nederlands oefenen",
            "category": "informatie", "buurt": "BU03440832", "wijk": "WK034408", "status": "active",
            "version": 1, "updated_at": "2026-11-27T10:00:00Z"}
    return {**data, **changes}


def make(partner="krachtstation", **changes):
    data = offer_data(**changes)
    return new_event(partner, "directory", "offer", "created", data["offer_id"], data)


def test_envelope_follows_the_federation_conventions():
    event = make()
    body = json.loads(event.to_json())
    assert body["specversion"] == "1.0"
    assert body["type"] == "nl.samen030.directory.offer.created.v1"
    assert body["source"] == "/partners/krachtstation/directory"
    assert body["subject"] == body["data"]["offer_id"]
    assert body["partnerid"] == "krachtstation"
    assert body["id"] == event.id == event.headers()["Nats-Msg-Id"]
    assert event.headers()["Content-Type"] == "application/cloudevents+json"
    assert event.nats_subject == "samen030.krachtstation.directory.offer.created"


def test_round_trip():
    event = make()
    parsed = parse_event(event.to_json(), event.nats_subject)
    assert (parsed.id, parsed.type, parsed.partner, parsed.data) == (event.id, event.type, event.partner, event.data)


def tamper(event, **attributes):
    body = json.loads(event.to_json())
    body.update(attributes)
    return json.dumps(body).encode()


@pytest.mark.parametrize("payload, problem", [
    (b"not json", "CloudEvents"),
    (b"{}", "CloudEvents"),
])
def test_garbage_is_rejected(payload, problem):
    with pytest.raises(InvalidEvent, match=problem):
        parse_event(payload)


def test_a_partner_cannot_speak_for_another():
    event = make()
    with pytest.raises(InvalidEvent, match="does not belong"):
        parse_event(tamper(event, partnerid="zorgbelang"))
    with pytest.raises(InvalidEvent, match="arrived on subject"):
        parse_event(event.to_json(), "samen030.zorgbelang.directory.offer.created")


def test_unknown_type_and_bad_data_are_rejected():
    event = make()
    with pytest.raises(InvalidEvent, match="unknown event type"):
        parse_event(tamper(event, type="nl.samen030.directory.offer.exploded.v1"))
    body = json.loads(event.to_json())
    body["data"]["buurt"] = "Kanaleneiland"
    with pytest.raises(InvalidEvent, match="buurt"):
        parse_event(json.dumps(body).encode())
    body["data"] = {**offer_data(), "email": "jan@example.nl"}
    with pytest.raises(InvalidEvent, match="Additional properties"):
        parse_event(json.dumps(body).encode())


def test_an_event_with_personal_data_is_never_built():
    with pytest.raises(PersonalDataError, match="data.description"):
        make(description="Bel Jan op 06-12345678")
    with pytest.raises(InvalidEvent):
        make(version=0)
