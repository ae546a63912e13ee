"""Other partners' volunteers who fit a help request, as anonymous profiles from the read model: the
partner, buurt, skills, languages and availability windows their events carry — no name, no way to
reach them. Only volunteers in the request's wijk whose consent to be suggested holds; a coordinator
asks their partner to connect (a referral) and the volunteer decides."""
from sqlalchemy import exists, select
from sqlalchemy.engine import Connection

from samen030.kernel.fit import Ask, best_first, volunteer_fit
from samen030.kernel.geography import buurt as buurt_of

from .readmodel import members, volunteer_consents

PROFILE = ("id", "partner", "buurt", "wijk", "skills", "languages", "availability")


def volunteer_profiles(conn: Connection, ask: Ask) -> list[dict]:
    query = _suggestible().where(members.c.wijk == buurt_of(ask.buurt).wijk_code)
    if ask.exclude_partner:
        query = query.where(members.c.partner != ask.exclude_partner)
    candidates = [_profile(row) for row in conn.execute(query).mappings()]
    return best_first([fit for profile in candidates if (fit := volunteer_fit(profile, ask))], ask.limit, "partner")


def volunteer_profile(conn: Connection, volunteer_id: str) -> dict | None:
    """One volunteer's anonymous profile, while they agree to be suggested."""
    row = conn.execute(_suggestible().where(members.c.id == volunteer_id)).mappings().first()
    return _profile(row) if row else None


def _suggestible():
    m, c = members.c, volunteer_consents.c
    return select(*(m[name] for name in PROFILE)).where(
        m.kind == "vrijwilliger", m.membership_status != "opgezegd", m.erased.is_(False),
        exists().where(c.member_id == m.id, c.partner == m.partner, c.withdrawn.is_(False)))


def _profile(row) -> dict:
    profile = dict(row)
    for key in ("skills", "languages"):
        profile[key] = [v for v in (profile[key] or "").split(",") if v]
    profile["availability"] = list(profile["availability"] or [])
    return profile
