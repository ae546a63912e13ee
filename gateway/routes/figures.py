"""Figures for the city, from the read model only: counts, never persons."""
from datetime import datetime, timezone

from flask import Response, current_app, request
from flask_smorest import Blueprint

from samen030.kernel.web import fast_json, service_db

from ..figures_csv import figures_csv, filename
from ..member_figures import member_figures as count_members
from ..request_figures import Selection, request_figures
from ..request_schemas import RequestFiguresQuerySchema, RequestFiguresSchema

blp = Blueprint("figures", __name__, url_prefix="/api/v1/figures", description="Counts per wijk for the city")


@blp.route("/members")
@blp.response(200)
def member_figures():
    """Members per wijk and kind, and volunteer capacity per category and wijk"""
    with service_db().connect() as conn:
        return count_members(conn)


@blp.route("/requests")
@blp.arguments(RequestFiguresQuerySchema(), location="query", as_kwargs=True)
@blp.response(200, RequestFiguresSchema)
@blp.alt_response(200, content_type="text/csv", success=True, description="the same as one CSV table")
def help_request_figures(period_from=None, until=None, format=None, **filters):
    """Help requests per wijk, buurt, category and partner, and referrals between partners"""
    selection = Selection(period_from, until, filters)
    names = {p.id: p.name for p in current_app.config["FEDERATION"].partners.values()}
    with service_db().connect() as conn:
        figures = request_figures(conn, selection, datetime.now(timezone.utc), names)
    if (format or _asked_format()) == "csv":
        return Response(figures_csv(figures), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="{filename(figures)}"'})
    return fast_json(figures)


def _asked_format() -> str:
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"], default="application/json")
    return "csv" if best == "text/csv" else "json"
