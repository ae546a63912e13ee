"""Other partners' volunteers who fit a help request, as anonymous profiles from the read model: the
partner, buurt, skills, languages and availability windows their listing carries — no name, no way to
reach them. Only volunteers in the request's wijk who are listed: their partner lists them only while
their consent to be suggested holds (member.listed); a coordinator asks their partner to connect (a
referral) and the volunteer decides."""
from sqlalchemy import select
from sqlalchemy.engine import Connection

from samen030.kernel.fit import Ask, best_first, volunteer_fit
from samen030.kernel.geography import buurt as buurt_of

from .readmodel import listed_volunteers

PROFILE = ("id", "partner", "buurt", "wijk", "skills", "languages", "availability")


def volunteer_profiles(conn: Connection, ask: Ask) -> list[dict]:
    query = _suggestible().where(listed_volunteers.c.wijk == buurt_of(ask.buurt).wijk_code)
    if ask.exclude_partner:
        query = query.where(listed_volunteers.c.partner != ask.exclude_partner)
    candidates = [_profile(row) for row in conn.execute(query).mappings()]
    return best_first([fit for profile in candidates if (fit := volunteer_fit(profile, ask))], ask.limit, "partner")


def volunteer_profile(conn: Connection, volunteer_id: str) -> dict | None:
    """One volunteer's anonymous profile, while they agree to be suggested."""
    row = conn.execute(_suggestible().where(listed_volunteers.c.id == volunteer_id)).mappings().first()
    return _profile(row) if row else None


def _suggestible():
    v = listed_volunteers.c
    return select(*(v[name] for name in PROFILE)).where(v.listed.is_(True), v.erased.is_(False))


def _profile(row) -> dict:
    profile = dict(row)
    for key in ("skills", "languages"):
        profile[key] = [v for v in (profile[key] or "").split(",") if v]
    profile["availability"] = list(profile["availability"] or [])
    return profile
