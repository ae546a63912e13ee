"""The Flask + flask-smorest base every service's HTTP API is built on."""
import json
import math
import re
import uuid
from datetime import datetime

from flask import Flask, Response, current_app, jsonify, request, send_from_directory
from flask_smorest import Api, abort
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy.exc import DataError
from swagger_ui_bundle import swagger_ui_path

from .observe import observe

MAX_BODY_BYTES = 64 * 1024
SWAGGER_UI_URL = "/docs/swagger-ui/"


def create_api_app(name: str, title: str, config: dict | None = None, *, service: str,
                   partner: str | None = None) -> tuple[Flask, Api]:
    """The app of a partner's `service` (the city's without `partner`), with /health, /ready and /metrics
    (kernel/observe.py); the caller sets its database as app.extensions["samen030.db"]."""
    app = Flask(name)
    app.config.update(
        API_TITLE=title, API_VERSION="v1", OPENAPI_VERSION="3.0.3", OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json", OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=SWAGGER_UI_URL,  # a pinned copy served here: /docs works offline, no CDN
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES, JSON_SORT_KEYS=False,
    )
    app.config.update(config or {})
    if partner:
        app.config["PARTNER"] = partner
    observe(app, title, partner, service)
    api = Api(app, spec_kwargs={"components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer", "description": "token of a partner user"}}}})

    @app.get(f"{SWAGGER_UI_URL}<path:filename>")
    def swagger_ui_files(filename):
        """Swagger UI's own files, from the pinned copy the swagger-ui-bundle package ships."""
        return send_from_directory(swagger_ui_path, filename, max_age=86400)

    @app.get("/.well-known/jwks.json")
    def public_keys():
        """The partner's public keys (JWKS), with which others verify the tokens it signs."""
        from .keys import published
        if not app.config.get("PARTNER"):
            abort(404, message="This service signs nothing: it publishes no keys.")
        return jsonify(published(app.config["PARTNER"]))

    @app.before_request
    def refuse_nul_in_path():
        # Query values are checked by their schemas (known codes, Text): a NUL there is a 422 naming the field.
        if "\x00" in request.path:
            abort(400, message="The URL contains a NUL character.")

    @app.errorhandler(DataError)
    def value_out_of_range(error):
        app.logger.warning("refused by the database: %s", error.orig)
        return jsonify(code=400, status="Bad Request", message="A value is out of range for this service."), 400

    @app.errorhandler(413)
    def too_large(_error):
        return jsonify(code=413, status="Payload Too Large",
                       message=f"Request body is larger than {MAX_BODY_BYTES} bytes."), 413

    return app, api


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def no_control_characters(value: str) -> None:
    if CONTROL_CHARACTERS.search(value):
        raise ValidationError("Must not contain control characters.")


class Text(fields.String):
    """A string field that refuses control characters (PostgreSQL cannot even store NUL)."""

    def __init__(self, *args, validate=(), **kwargs):
        validators = [validate] if callable(validate) else list(validate)
        super().__init__(*args, validate=[no_control_characters, *validators], **kwargs)


def service_db():
    """The database of the app handling this request (a partner's service, or the gateway's read model)."""
    return current_app.extensions["samen030.db"]


def service_partner() -> str:
    """The partner whose service handles this request."""
    return current_app.config["PARTNER"]


def error_paths(messages, path: tuple = ()):
    """(field path, message) of every error in a marshmallow error dict, for reports that name the field."""
    if isinstance(messages, dict):
        for key, inner in messages.items():
            yield from error_paths(inner, path if key == "_schema" else path + (key,))
    elif isinstance(messages, list):
        for message in messages:
            yield from error_paths(message, path)
    else:
        yield path, str(messages)


def existing_id(value: str, what: str) -> str:
    """The id from a URL, or a 404 naming it when it cannot be one of ours."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        abort(404, message=f"No {what} {value[:64]!r}: ids are UUIDs.")


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000),
                          metadata={"description": "page number, from 1"})
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=200),
                              metadata={"description": "items per page (at most 200)"})


def page_schema(item_schema: type[Schema]) -> type[Schema]:
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item_schema)),
        "page": fields.Integer(), "per_page": fields.Integer(),
        "total_items": fields.Integer(), "total_pages": fields.Integer(),
    }, name=f"{item_schema.__name__.removesuffix('Schema')}Page")


def page_of(items: list, total: int, page: int, per_page: int) -> dict:
    return {"items": items, "page": page, "per_page": per_page, "total_items": total,
            "total_pages": math.ceil(total / per_page) if total else 0}


def fast_json(data) -> Response:
    """JSON without a marshmallow dump, for hot read paths whose rows already have the documented
    shape (the view keeps @blp.response for the OpenAPI description; a returned Response is sent as is)."""
    return Response(json.dumps(data, default=_isoformat, ensure_ascii=False, separators=(",", ":")),
                    mimetype="application/json")


def _isoformat(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
