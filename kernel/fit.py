"""How well something fits a help request — an offer (gateway/suggestions.py) or a volunteer (the
members service, and other partners' anonymous volunteers at the gateway): the place, the sub-terms,
the time, the language. Each reason is (code, points, Dutch text with English); the score is their sum.

Volunteers score like offers where they can:
  place       40 lives in the buurt · 25 in another buurt of the same wijk (elsewhere: not suggested)
  skills      15 has a skill among the asked sub-terms · 5 only skills elsewhere in the category
              (no skill in the category: not suggested)
  available   20 at the moment asked · 10 within a day · 5 within the week · 0 no windows known
  language    10 speaks the first language asked · 5 only another one (none of them: not suggested)"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .geography import buurt as buurt_of, buurten, wijken
from .taxonomy import CATEGORIES, TERMS
from .validators import LANGUAGE_NAMES

UTRECHT = ZoneInfo("Europe/Amsterdam")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december")
Reason = tuple[str, int, str]


@dataclass(frozen=True)
class Ask:
    """What a help request needs, as the suggestions read it."""
    category: str
    buurt: str
    at: datetime  # aware
    terms: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    exclude_partner: str | None = None
    limit: int = 10


def next_window(windows: list[tuple[str, str, str]], at: datetime) -> tuple[datetime | None, bool]:
    """(`at`, True) when one of the weekly windows (weekday, HH:MM, HH:MM; Utrecht time) holds it, else
    the start of the next window within a week; None when there are no windows."""
    local = at.astimezone(UTRECHT)
    now = local.strftime("%H:%M")
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        for opens, closes in sorted((o, c) for d, o, c in windows if d == WEEKDAYS[day.weekday()]):
            if offset == 0 and opens <= now < closes:
                return local, True
            if offset > 0 or opens > now:
                return _moment(day, opens), False
    return None, False


def _moment(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), UTRECHT)


def when(moment: datetime) -> str:
    return f"{DAYS[moment.weekday()]} {moment.day} {MONTHS[moment.month - 1]} {moment:%H:%M}"


def time_reason(moment: datetime | None, inside: bool, at: datetime, texts: dict[str, str]) -> Reason:
    """`texts`: "now", "next" and "none", each a Dutch text (with English) where {when} is filled in."""
    if moment is None:
        return "hours_unknown", 0, texts["none"]
    if inside:
        return "open", 20, texts["now"].format(when=when(moment))
    return "opens_later", 10 if moment - at <= timedelta(days=1) else 5, texts["next"].format(when=when(moment))


def language_reason(asked: tuple[str, ...], spoken: list[str]) -> Reason | None:
    """None when none of the asked languages is spoken (not suggested); no reason when none were asked."""
    common = [code for code in asked if code in spoken]
    if not common:
        return None
    return ("language", 10 if common[0] == asked[0] else 5,
            "Spreekt " + ", ".join(LANGUAGE_NAMES.get(c, c) for c in common) + f" (speaks {', '.join(common)})")


def terms_reason(asked: tuple[str, ...], have: list[str], verb: str = "Past bij") -> Reason | None:
    if matched := [code for code in asked if code in have]:
        return ("terms", 15, f"{verb} " + ", ".join(TERMS[c].label_nl for c in matched)
                + " (" + ", ".join(TERMS[c].label_en for c in matched) + ")")
    return None


def scored(item: dict, reasons: list[Reason], **extra) -> dict:
    return {**item, **extra, "score": sum(points for _code, points, _text in reasons),
            "reasons": [{"code": code, "text": text} for code, _points, text in reasons]}


VOLUNTEER_TIMES = {"now": "Beschikbaar op {when} (available at the moment asked)",
                   "next": "Eerstvolgend beschikbaar {when} (next available)",
                   "none": "Geen vaste beschikbaarheid bekend (no availability known)"}


def volunteer_fit(volunteer: dict, ask: Ask) -> dict | None:
    """`volunteer`: skills, buurt, languages, availability ([{byday, from, until}]); None when it does
    not fit (another wijk, no skill in the category, none of the languages asked)."""
    skills = [code for code in volunteer["skills"] if code in TERMS]
    in_category = [code for code in skills if (TERMS[code].parent or code) == ask.category]
    place = _volunteer_place(volunteer.get("buurt"), ask.buurt)
    if not in_category or place is None:
        return None
    reasons = [place, terms_reason(ask.terms, in_category, "Kan helpen bij") or (
        "category", 5, f"Helpt bij {CATEGORIES[ask.category][0]} (helps in this category)")]
    if ask.languages:
        if (spoken := language_reason(ask.languages, volunteer["languages"])) is None:
            return None
        reasons.append(spoken)
    windows = [(day, w["from"], w["until"]) for w in volunteer["availability"] for day in w["byday"].split(",")]
    moment, inside = next_window(windows, ask.at)
    reasons.append(time_reason(moment, inside, ask.at, VOLUNTEER_TIMES))
    return scored(volunteer, reasons, next_available=moment)


def _volunteer_place(lives: str | None, asked: str) -> Reason | None:
    if lives is None or lives not in buurten():
        return None
    here, there = buurt_of(asked), buurt_of(lives)
    if lives == asked:
        return "same_buurt", 40, f"Woont in de buurt {here.name} (lives in the same buurt)"
    if there.wijk_code == here.wijk_code:
        return ("same_wijk", 25, f"Woont in {there.name}, in dezelfde wijk ({wijken()[here.wijk_code]}) "
                                 "(lives in the same wijk)")
    return None


def best_first(fitting: list[dict], limit: int, name_key: str = "name") -> list[dict]:
    fitting.sort(key=lambda item: (-item["score"], item.get(name_key) or "", item["id"]))
    return fitting[:limit]
