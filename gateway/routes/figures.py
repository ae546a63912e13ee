"""Figures for the city, from the read model only: counts, never persons."""
from collections import Counter

from flask import current_app
from flask_smorest import Blueprint
from sqlalchemy import func, select

from samen030.kernel.taxonomy import TERMS

from ..readmodel import members

blp = Blueprint("figures", __name__, url_prefix="/api/v1/figures", description="Counts per wijk for the city")


@blp.route("/members")
@blp.response(200)
def member_figures():
    """Members per wijk and kind, and volunteer capacity per category and wijk"""
    current = members.c.membership_status != "opgezegd"
    with current_app.extensions["samen030.db"].connect() as conn:
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
