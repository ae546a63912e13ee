"""Offers of the read model that fit a help request, best first, each with the reasons it fits.

Only active offers of the request's category, in reach of its buurt: given there or in another buurt of
the same wijk, serving the buurt or the wijk through their `areas`, or online. The score adds up:
  place       40 in the buurt itself · 35 serves the buurt (areas) · 25 in the same wijk ·
              20 serves the whole wijk (areas) · 10 online only
  sub-terms   15 when one of the asked sub-terms is the offer's
  opening     20 open at the moment asked · 10 opens within a day · 5 within the week · 0 unknown
  language    10 speaks the first language asked · 5 only another one of them
Ties go by name. With languages asked, offers speaking none of them are left out. The time, sub-term
and language reasons are kernel/fit.py's, which volunteers' suggestions use as well."""
from sqlalchemy import exists, or_, select
from sqlalchemy.engine import Connection

from samen030.kernel.fit import Ask, best_first, language_reason, next_window, scored, terms_reason, time_reason
from samen030.kernel.geography import buurt as buurt_of, buurten, wijken
from samen030.kernel.taxonomy import CATEGORIES

from .offer_view import listed
from .readmodel import offers, opening_hours, places

OFFER_TIMES = {"now": "Open op {when} (open at the moment asked)", "next": "Eerstvolgende opening {when} (next opening)",
               "none": "Geen openingstijden bekend (no opening hours known)"}


def suggestions(conn: Connection, ask: Ask) -> list[dict]:
    candidates = [listed(row) for row in conn.execute(_candidates(ask)).mappings()]
    hours = _opening_hours(conn, [offer["id"] for offer in candidates])
    return best_first([fit for offer in candidates if (fit := _fit(offer, hours.get(offer["id"], []), ask))],
                      ask.limit)


def _candidates(ask: Ask):
    o, here = offers.c, buurt_of(ask.buurt)
    in_wijk = [code for code, b in buurten().items() if b.wijk_code == here.wijk_code]
    areas = "," + o.areas + ","
    conditions = [o.status == "active", o.category == ask.category,
                  or_(o.wijk == here.wijk_code, o.virtual.is_(True), areas.contains(f",{ask.buurt},"),
                      areas.contains(f",{here.wijk_code},"),
                      exists().where(places.c.offer_id == o.id, places.c.buurt.in_(in_wijk)))]
    if ask.exclude_partner:
        conditions.append(o.partner != ask.exclude_partner)
    if ask.languages:
        conditions.append(or_(*(("," + o.languages + ",").contains(f",{code},") for code in ask.languages)))
    return select(offers).where(*conditions)


def _opening_hours(conn: Connection, offer_ids: list[str]) -> dict[str, list[tuple[str, str, str]]]:
    hours, h = {}, opening_hours.c
    for start in range(0, len(offer_ids), 500):
        for offer_id, day, opens, closes in conn.execute(select(h.offer_id, h.day, h.opens_at, h.closes_at)
                                                         .where(h.offer_id.in_(offer_ids[start:start + 500]))):
            hours.setdefault(offer_id, []).append((day, opens, closes))
    return hours


def _fit(offer: dict, hours: list, ask: Ask) -> dict | None:
    place = _place(offer, ask.buurt)
    if place is None:
        return None
    reasons = [("category", 0, f"Categorie {CATEGORIES[ask.category][0]} (same category)"), place]
    if offer["virtual"] and place[0] != "online":
        reasons.append(("online", 0, "Ook online (also online)"))
    if matched := terms_reason(ask.terms, offer["terms"]):
        reasons.append(matched)
    opening, is_open = next_window(hours, ask.at)
    reasons.append(time_reason(opening, is_open, ask.at, OFFER_TIMES))
    if ask.languages:
        reasons.append(language_reason(ask.languages, offer["languages"]))
    return scored(offer, reasons, next_opening=opening.isoformat() if opening else None)


def _place(offer: dict, buurt: str) -> tuple[str, int, str] | None:
    """The best way the offer reaches the buurt, if any."""
    here = buurt_of(buurt)
    wijk, name = here.wijk_code, wijken()[here.wijk_code]
    given = [offer["buurt"], *offer["location_buurten"]]
    if buurt in given:
        return "same_buurt", 40, f"In de eigen buurt {here.name} (in the same buurt)"
    if buurt in offer["areas"]:
        return "serves_buurt", 35, f"Werkt ook in {here.name} (serves the buurt)"
    nearby = [code for code in given if code in buurten() and buurten()[code].wijk_code == wijk]
    if nearby:
        return ("same_wijk", 25, f"In {buurten()[nearby[0]].name}, in dezelfde wijk ({name}) "
                                 "(neighbouring buurt in the same wijk)")
    if wijk in offer["areas"]:
        return "serves_wijk", 20, f"Werkt in heel {name} (serves the whole wijk)"
    if offer["virtual"]:
        return "online", 10, "Online te volgen (online)"
    return None
