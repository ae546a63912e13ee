"""The partner's members counted as the city's figures need them: per wijk and kind, and volunteers with
skills in a category per wijk. Members who left (`opgezegd`) are not counted; an erased member is,
without skills. Counted per wijk only: a buurt holds too few people of one kind to count them apart."""
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from samen030.kernel.taxonomy import categories_of

from .tables import members


def member_counts(conn: Connection) -> dict:
    m = members.c
    current = m.membership_status != "opgezegd"
    per_kind = conn.execute(select(m.wijk, m.kind, func.count()).where(current).group_by(m.wijk, m.kind)).all()
    skilled = conn.execute(select(m.wijk, m.skills, func.count()).where(
        current, m.kind == "vrijwilliger", m.erased_at.is_(None), m.skills != "").group_by(m.wijk, m.skills)).all()
    capacity = Counter()
    for wijk, skills, volunteers in skilled:
        for category in categories_of(skills.split(",")):
            capacity[(wijk, category)] += volunteers
    return {
        "members": [{"wijk": wijk, "kind": kind, "count": n} for wijk, kind, n in sorted(per_kind, key=_by_wijk)],
        "volunteer_capacity": [{"wijk": wijk, "category": category, "volunteers": n}
                               for (wijk, category), n in sorted(capacity.items(), key=lambda item: _by_wijk(item[0]))],
    }


def _by_wijk(row) -> tuple:
    return (row[0] or "", row[1])  # members outside Utrecht (no wijk) first
