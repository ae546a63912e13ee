"""A cached answer lives exactly as long as the read model does not change."""
from samen030.gateway.freshness import read_model_state
from samen030.gateway.projector import readmodel_projection
from tests.integration.test_gateway_filters import event, gateway  # noqa: F401  (the fixture)


def test_a_new_event_invalidates_cached_answers(gateway):
    project = readmodel_projection(gateway.application.extensions["samen030.db"]).apply
    for url in ("/api/v1/search?q=spreekuur", "/api/v1/offers?partner=zorgbelang"):
        before = gateway.get(url).json["total_items"]
        assert gateway.get(url).json["total_items"] == before
        project([event("zorgbelang", f"Ochtendspreekuur {url}")])
        assert gateway.get(url).json["total_items"] == before + 1


def test_answers_are_computed_once_per_version(gateway):
    app = gateway.application
    answers, calls = app.extensions["samen030.answers"], []
    with app.extensions["samen030.db"].connect() as conn:
        version, _fresh = read_model_state(conn, app.extensions["samen030.health"])
    assert version == 3
    assert answers.get(version, ("key",), lambda: calls.append(1) or "answer") == "answer"
    assert answers.get(version, ("key",), lambda: calls.append(1) or "other") == "answer"
    assert answers.get(version + 1, ("key",), lambda: "recomputed") == "recomputed"
    assert len(calls) == 1
