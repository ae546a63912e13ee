"""The portal's languages: Dutch first, English second. The language is what the resident chose (a
cookie), else what their browser prefers, else Dutch. Every language with a catalogue in translations/
is offered; `dir` follows the language, so a right-to-left one needs nothing but its catalogue."""
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from flask import current_app, request
from flask_babel import format_datetime, format_timedelta, get_locale, gettext, ngettext

__all__ = ["gettext", "ngettext", "locale", "languages", "template_globals", "COOKIE"]

COOKIE = "taal"
DEFAULT = "nl"


def languages() -> tuple[str, ...]:
    return _catalogues(current_app.config["BABEL_TRANSLATION_DIRECTORIES"])


@cache
def _catalogues(folder: str) -> tuple[str, ...]:
    found = sorted(p.name for p in Path(folder).iterdir() if (p / "LC_MESSAGES" / "messages.mo").is_file())
    return (DEFAULT, *[code for code in found if code != DEFAULT])


def locale() -> str:
    chosen = request.cookies.get(COOKIE)
    if chosen in languages():
        return chosen
    return request.accept_languages.best_match(languages()) or DEFAULT


def current() -> Locale:
    return get_locale() or Locale.parse(DEFAULT)


def direction() -> str:
    return "rtl" if current().character_order == "right-to-left" else "ltr"


def language_name(code: str) -> str:
    """A language in its own words ('Nederlands', 'English'), for the language switch."""
    return Locale.parse(code).get_display_name(code).capitalize()


def spoken_language(code: str) -> str:
    """A language an offer is given in, named in the resident's language."""
    try:
        return Locale.parse(code).get_display_name(current()) or code
    except (UnknownLocaleError, ValueError, TypeError):
        return code


def template_globals() -> dict:
    return {"lang": lambda: str(current().language), "text_direction": direction, "languages": languages,
            "language_name": language_name, "spoken_language": spoken_language,
            "format_datetime": format_datetime, "format_timedelta": format_timedelta}
