"""kernel/fit.py: how a volunteer fits a help request, and the next moment in weekly windows."""
from datetime import datetime

from samen030.kernel.fit import UTRECHT, Ask, next_window, volunteer_fit

MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=UTRECHT)
ASK = Ask("lichte-zorg", "BU03440832", MONDAY_10, ("mantelzorg",), ("tr", "nl"))


def volunteer(**changes):
    return {"id": "v", "skills": ["mantelzorg"], "buurt": "BU03440832", "languages": ["nl", "tr"],
            "availability": [{"byday": "MO", "from": "09:00", "until": "12:00"}], **changes}


def codes(fit):
    return {r["code"]: r["text"] for r in fit["reasons"]}


def test_the_best_volunteer_scores_every_reason():
    fit = volunteer_fit(volunteer(), ASK)
    assert fit["score"] == 40 + 15 + 10 + 20 and fit["next_available"] == MONDAY_10
    assert "Turks" in codes(fit)["language"] and "mantelzorgers" in codes(fit)["terms"]


def test_less_close_fits_score_less():
    neighbour = volunteer_fit(volunteer(buurt="BU03440831", languages=["nl"],
                                        availability=[{"byday": "TU", "from": "09:00", "until": "12:00"}]), ASK)
    assert neighbour["score"] == 25 + 15 + 5 + 10  # same wijk, skill, second language, tomorrow morning
    other_skill = volunteer_fit(volunteer(skills=["bewegen"]), ASK)
    assert codes(other_skill)["category"].startswith("Helpt bij") and other_skill["score"] == 40 + 5 + 10 + 20


def test_volunteers_who_do_not_fit_are_left_out():
    assert volunteer_fit(volunteer(buurt="BU03440111"), ASK) is None  # another wijk
    assert volunteer_fit(volunteer(buurt=None), ASK) is None
    assert volunteer_fit(volunteer(skills=["klussen"]), ASK) is None  # no skill in the category
    assert volunteer_fit(volunteer(languages=["ar"]), ASK) is None  # no language in common
    assert volunteer_fit(volunteer(availability=[]), ASK)["reasons"][-1]["code"] == "hours_unknown"


def test_next_window_inside_later_today_and_next_week():
    windows = [("MO", "09:00", "12:00"), ("MO", "14:00", "16:00")]
    assert next_window(windows, MONDAY_10) == (MONDAY_10, True)
    assert next_window(windows, MONDAY_10.replace(hour=12, minute=30)) == (MONDAY_10.replace(hour=14), False)
    moment, inside = next_window(windows, MONDAY_10.replace(hour=17))
    assert (moment.day, moment.hour, inside) == (7, 9, False)  # next Monday, 7 December
    assert next_window([], MONDAY_10) == (None, False)
