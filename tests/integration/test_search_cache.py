"""A cached search answer lives exactly as long as the read model does not change."""
from samen030.gateway.projector import readmodel_projection
from samen030.gateway.search_cache import read_model_version
from tests.integration.test_gateway_filters import event, gateway  # noqa: F401  (the fixture)


def test_a_new_event_invalidates_cached_answers(gateway):
    before = gateway.get("/api/v1/search?q=spreekuur").json["total_items"]
    assert gateway.get("/api/v1/search?q=spreekuur").json["total_items"] == before
    readmodel_projection(gateway.application.extensions["samen030.db"]).apply([event("zorgbelang", "Ochtendspreekuur")])
    assert gateway.get("/api/v1/search?q=spreekuur").json["total_items"] == before + 1


def test_answers_are_computed_once_per_version(gateway):
    app = gateway.application
    answers, calls = app.extensions["samen030.search_answers"], []
    with app.extensions["samen030.db"].connect() as conn:
        first = answers.get(conn, ("key",), lambda: calls.append(1) or "answer")
        again = answers.get(conn, ("key",), lambda: calls.append(1) or "other")
        assert (first, again, len(calls)) == ("answer", "answer", 1)
        assert read_model_version(conn) == 3
    readmodel_projection(app.extensions["samen030.db"]).apply([event("zorgbelang", "Nog een")])
    with app.extensions["samen030.db"].connect() as conn:
        assert answers.get(conn, ("key",), lambda: "recomputed") == "recomputed"
