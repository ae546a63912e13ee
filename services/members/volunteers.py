"""The partner's volunteers who fit a help request, with the reasons (kernel/fit.py). Only volunteers
whose consent to appear in suggestions (`volunteer_suggestions`) holds now; never erased or departed
members."""
from datetime import datetime, timezone

from sqlalchemy import select

from samen030.kernel.database import Database
from samen030.kernel.fit import Ask, best_first, volunteer_fit

from .publishing import consenting
from .tables import member_of, members


def suggest_volunteers(db: Database, ask: Ask) -> list[dict]:
    now = datetime.now(timezone.utc)
    query = select(members).where(members.c.kind == "vrijwilliger", members.c.membership_status != "opgezegd",
                                  members.c.erased_at.is_(None), consenting(now))
    with db.connect() as conn:
        candidates = [member_of(row) for row in conn.execute(query).mappings()]
    fitting = [fit for volunteer in candidates if (fit := volunteer_fit(volunteer, ask))]
    return best_first(fitting, ask.limit)
