"""Figures for the city, from the read model only: counts, never persons."""
from collections import Counter
from datetime import datetime, timezone

from flask import Response, current_app, request
from flask_smorest import Blueprint
from sqlalchemy import func, select

from samen030.kernel.taxonomy import TERMS
from samen030.kernel.web import fast_json, service_db

from ..figures_csv import figures_csv, filename
from ..readmodel import members
from ..request_figures import Selection, request_figures
from ..request_schemas import RequestFiguresQuerySchema, RequestFiguresSchema

blp = Blueprint("figures", __name__, url_prefix="/api/v1/figures", description="Counts per wijk for the city")


@blp.route("/members")
@blp.response(200)
def member_figures():
    """Members per wijk and kind, and volunteer capacity per category and wijk"""
    current = members.c.membership_status != "opgezegd"
    with service_db().connect() as conn:
        per_kind = conn.execute(select(members.c.wijk, members.c.kind, func.count())
                                .where(current).group_by(members.c.wijk, members.c.kind)
                                .order_by(members.c.wijk, members.c.kind)).all()
        volunteers = conn.execute(select(members.c.wijk, members.c.skills)
                                  .where(current, members.c.kind == "vrijwilliger", members.c.skills != "")).all()
    capacity = Counter()
    for wijk, skills in volunteers:
        for category in {TERMS[code].parent or code for code in skills.split(",") if code in TERMS}:
            capacity[(wijk, category)] += 1
    return {
        "members": [{"wijk": wijk, "kind": kind, "count": count} for wijk, kind, count in per_kind],
        "volunteer_capacity": [{"wijk": wijk, "category": category, "volunteers": n}
                               for (wijk, category), n in sorted(capacity.items(), key=lambda item: (item[0][0] or "", item[0][1]))],
    }


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
