"""The city's member figures: members per wijk and kind, and volunteer capacity (volunteers with skills in
a category) per wijk and category, summed over the partners' latest counts (member_events.py). A partner
that has sent no counts yet (a node of the earlier release) is counted from its member events."""
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from samen030.kernel.taxonomy import categories_of

from .readmodel import member_counts, members


def member_figures(conn: Connection) -> dict:
    per_kind, capacity = Counter(), Counter()
    for counted, volunteers in conn.execute(select(member_counts.c.members, member_counts.c.volunteer_capacity)):
        per_kind.update({(c["wijk"], c["kind"]): c["count"] for c in counted})
        capacity.update({(c["wijk"], c["category"]): c["volunteers"] for c in volunteers})
    _count_earlier_release(conn, per_kind, capacity)
    return {
        "members": [{"wijk": wijk, "kind": kind, "count": n}
                    for (wijk, kind), n in sorted(per_kind.items(), key=_by_wijk)],
        "volunteer_capacity": [{"wijk": wijk, "category": category, "volunteers": n}
                               for (wijk, category), n in sorted(capacity.items(), key=_by_wijk)],
    }


def _count_earlier_release(conn: Connection, per_kind: Counter, capacity: Counter) -> None:
    m = members.c
    current = m.membership_status != "opgezegd"
    per_kind.update({(wijk, kind): n for wijk, kind, n in conn.execute(
        select(m.wijk, m.kind, func.count()).where(current).group_by(m.wijk, m.kind))})
    for wijk, skills in conn.execute(select(m.wijk, m.skills).where(current, m.kind == "vrijwilliger", m.skills != "")):
        capacity.update((wijk, category) for category in categories_of(skills.split(",")))


def _by_wijk(item) -> tuple:
    (wijk, other), _n = item
    return (wijk or "", other)  # members outside Utrecht (no wijk) first
