"""What every HTTP app shows about itself (kernel/web.py sets it up on each): /health (the process
answers; no I/O), /ready (its database answers, and so does every other check of the process:
kernel/readiness.py), /metrics (kernel/metrics.py, every metric of the process), and each of its
requests counted and timed by endpoint rule, method and status."""
import os
import time
import weakref

from flask import Flask, Response, jsonify, request
from prometheus_client import REGISTRY
from prometheus_client.exposition import choose_encoder
from sqlalchemy import literal, select

from . import readiness
from .metrics import CITY, HTTP_DURATION, HTTP_REQUESTS

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})  # any other: "other"
UNMATCHED = "unmatched"  # the endpoint label of a request no URL rule matched (a 404, a 405)
STARTED = "samen030.started"  # in the WSGI environ: when the request entered the app


def observe(app: Flask, title: str, partner: str | None, service: str) -> None:
    partner = partner or CITY
    _count_requests(app, partner, service)
    app_ref = weakref.ref(app)
    check = readiness.register(f"database {partner}/{service}", lambda: database_answers(app_ref()))
    weakref.finalize(app, readiness.unregister, check)

    @app.get("/health")
    def health():
        return jsonify(status="ok", service=title)

    @app.get("/ready")
    def ready():
        checks = readiness.report()
        not_ready = [name for name, outcome in checks.items() if outcome != readiness.OK]
        return jsonify(status="not ready" if not_ready else "ready", not_ready=not_ready, checks=checks), (
            503 if not_ready else 200)

    @app.get("/metrics")
    def metrics():  # in the format the scraper asks for (OpenMetrics, or the text format), as workers serve it
        encode, content_type = choose_encoder(request.headers.get("Accept", ""))
        return Response(encode(REGISTRY), content_type=content_type)


def database_answers(app: Flask | None) -> None:
    """The app's database answers a trivial query on one of its own tables (so a PostgreSQL schema that
    is gone counts as gone); a SQLite file must still be there to be read and written."""
    db = app.extensions.get("samen030.db") if app is not None else None
    if db is None:
        raise readiness.NotReady("no database opened")
    if db.file is not None and not os.access(db.file, os.R_OK | os.W_OK):
        raise readiness.NotReady("its SQLite file cannot be read and written")
    table = db.metadata.sorted_tables[0]
    with db.connect() as conn:
        conn.execute(select(literal(1)).select_from(table).limit(1)).all()


def _count_requests(app: Flask, partner: str, service: str) -> None:
    """The clock starts as the request enters the app (a WSGI wrapper), the count and the time are taken
    in one after_request hook: ~8 µs a request (a before_request + after_request pair cost ~13 µs)."""
    figures: dict[tuple, tuple] = {}  # the labelled children by (endpoint, method, status): labels() takes a lock
    inner = app.wsgi_app

    def timed(environ, start_response):
        environ[STARTED] = time.perf_counter()
        return inner(environ, start_response)
    app.wsgi_app = timed

    @app.after_request
    def _count(response):
        current = request._get_current_object()  # one look-up instead of one per attribute
        endpoint = current.url_rule.rule if current.url_rule is not None else UNMATCHED
        method = current.method if current.method in METHODS else "other"
        key = (endpoint, method, response.status_code)
        if (children := figures.get(key)) is None:
            children = figures.setdefault(key, (HTTP_REQUESTS.labels(partner, service, endpoint, method, str(key[2])),
                                                HTTP_DURATION.labels(partner, service, endpoint, method)))
        children[0].inc()
        if (started := current.environ.get(STARTED)) is not None:
            children[1].observe(time.perf_counter() - started)
        return response
