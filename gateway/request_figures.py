"""Figures about help requests for the city, from the read model only: counts and durations per wijk,
buurt, category and partner, and who referred to whom — never a person.

Counts are summed per (buurt, category, partner) in SQL and rolled up here; medians need every
duration of a group, so those come along, per combination, as one text of numbers (whole seconds,
stored by the projector) and are taken here — the same on SQLite and PostgreSQL, which share no
percentile function."""
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from statistics import median

from sqlalchemy import String, and_, case, cast, func, or_, select
from sqlalchemy.engine import Connection

from samen030.kernel.geography import buurten, wijken
from samen030.kernel.taxonomy import CATEGORIES

from .readmodel import help_requests, referrals
from .routes.search import UTRECHT

GROUPS = ("wijk", "buurt", "category", "partner")
ENDED = ("declined", "resolved", "closed", "withdrawn")  # no first contact is owed any more
MEASURES = {  # what each figure counts, Dutch first
    "received": "nieuwe vragen binnengekomen (new questions received)",
    "received_by_referral": "vragen binnengekomen via doorverwijzing (questions received by referral)",
    "referred": "doorverwezen naar een andere partner (referred onwards)",
    "referrals_accepted": "doorverwijzingen aangenomen (referrals accepted)",
    "referrals_declined": "doorverwijzingen afgewezen (referrals declined)",
    "referrals_pending": "doorverwijzingen nog zonder antwoord (referrals awaiting an answer)",
    "median_hours_to_first_contact": "mediaan uren tot eerste contact (median hours to first contact)",
    "median_hours_to_resolution": "mediaan uren tot opgelost (median hours to resolution)",
    "overdue_now": "nu te laat voor eerste contact (first contact overdue now)",
}
COUNTS = ("received", "received_by_referral", "referred", "referrals_accepted", "referrals_declined",
          "referrals_pending", "overdue_now")
MEDIANS = ("median_hours_to_first_contact", "median_hours_to_resolution")


@dataclass
class Selection:
    period_from: date | None = None
    until: date | None = None
    filters: dict = field(default_factory=dict)  # wijk, buurt, category, partner

    def received_between(self, column) -> list:
        """Days in Utrecht time, `until` included."""
        bounds = []
        if self.period_from:
            bounds.append(column >= datetime.combine(self.period_from, time(), UTRECHT))
        if self.until:
            bounds.append(column < datetime.combine(self.until + timedelta(days=1), time(), UTRECHT))
        return bounds


def request_figures(conn: Connection, selection: Selection, now: datetime, partner_names: dict) -> dict:
    tallies = {group: defaultdict(Counter) for group in GROUPS}
    durations = {group: defaultdict(lambda: ([], [])) for group in GROUPS}
    totals, everything = Counter(), ([], [])
    for wijk, buurt, category, partner, received, by_referral, overdue, *hours in conn.execute(_counted(selection, now)):
        first, resolved = (_numbers(text) for text in hours)
        for tally, lists in [(totals, everything), *((tallies[group][code], durations[group][code]) for group, code
                                                     in zip(GROUPS, (wijk, buurt, category, partner)))]:
            tally["received"] += received - by_referral
            tally["received_by_referral"] += by_referral
            tally["overdue_now"] += overdue
            lists[0].extend(first)
            lists[1].extend(resolved)
    matrix = _referrals(conn, selection, tallies, totals)
    names = {"wijk": wijken(), "buurt": {code: b.name for code, b in buurten().items()},
             "category": {code: labels[0] for code, labels in CATEGORIES.items()}, "partner": partner_names}
    answer = {
        "period": {"from": _iso(selection.period_from), "until": _iso(selection.until), "timezone": UTRECHT.key},
        "filters": selection.filters, "generated_at": now.isoformat(),
        "totals": _measures(totals, everything),
    }
    for group in GROUPS:
        answer[f"by_{group}"] = [
            {"code": code, "name": names[group].get(code, code),
             **({"wijk": buurten()[code].wijk_code} if group == "buurt" and code in buurten() else {}),
             **_measures(tallies[group][code], durations[group].get(code, ((), ())))}
            for code in sorted(tallies[group])]
    answer["referrals"] = [{"from_partner": a, "from_name": partner_names.get(a, a), "to_partner": b,
                            "to_name": partner_names.get(b, b), **counts,
                            "pending": counts["sent"] - counts["accepted"] - counts["declined"]}
                           for (a, b), counts in sorted(matrix.items())]
    return answer


def _counted(selection: Selection, now: datetime):
    """Per (buurt, category, partner): the counts, and every duration as text (one pass over the table;
    the durations of a combination travel as one string, not as a row each)."""
    h = help_requests.c
    overdue = and_(h.first_contact_at.is_(None), h.first_contact_due < now, h.status.not_in(ENDED))
    return (select(h.wijk, h.buurt, h.category, h.partner, func.count(),
                   func.sum(case((h.origin == "referral", 1), else_=0)), func.sum(case((overdue, 1), else_=0)),
                   *(func.aggregate_strings(cast(column, String), ",")
                     for column in (h.seconds_to_first_contact, h.seconds_to_resolution)))
            .where(*selection.received_between(h.received_at), *_filtered(help_requests, selection.filters))
            .group_by(h.wijk, h.buurt, h.category, h.partner))


def _numbers(text: str | None) -> list[int]:
    return list(map(int, text.split(","))) if text else []


def _filtered(table, filters: dict) -> list:
    return [table.c[name] == value for name, value in filters.items() if name in table.c]


def _referrals(conn: Connection, selection: Selection, tallies: dict, totals: Counter) -> dict:
    """Referrals sent in the period, counted with the referring request's group (its partner: the
    sender); the matrix shows those from or to the partner asked for."""
    r = referrals.c
    filters = {k: v for k, v in selection.filters.items() if k != "partner"}
    conditions = [*selection.received_between(r.sent_at), *_filtered(referrals, filters)]
    if partner := selection.filters.get("partner"):
        conditions.append(or_(r.from_partner == partner, r.to_partner == partner))
    rows = conn.execute(select(r.wijk, r.buurt, r.category, r.from_partner, r.to_partner, func.count(),
                               func.sum(case((r.outcome == "accepted", 1), else_=0)),
                               func.sum(case((r.outcome == "declined", 1), else_=0)))
                        .where(*conditions).group_by(r.wijk, r.buurt, r.category, r.from_partner, r.to_partner))
    matrix = defaultdict(Counter)
    for wijk, buurt, category, sender, receiver, sent, accepted, declined in rows:
        between = matrix[(sender, receiver)]
        between["sent"] += sent
        between["accepted"] += accepted
        between["declined"] += declined
        if partner and sender != partner:
            continue
        for tally in (totals, *(tallies[group][code] for group, code in zip(GROUPS, (wijk, buurt, category, sender)))):
            tally["referred"] += sent
            tally["referrals_accepted"] += accepted
            tally["referrals_declined"] += declined
            tally["referrals_pending"] += sent - accepted - declined
    return matrix


def _median(seconds: list) -> float | None:
    """In hours, to two decimals."""
    return round(median(seconds) / 3600, 2) if seconds else None


def _measures(counts: Counter, durations: tuple) -> dict:
    values = {**{name: counts.get(name, 0) for name in COUNTS}, **{m: _median(d) for m, d in zip(MEDIANS, durations)}}
    return {name: values[name] for name in MEASURES}


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
