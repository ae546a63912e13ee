"""Words of the federation's codes in the resident's language (the catalogues translate the Dutch)."""
from flask_babel import lazy_gettext as _

from .i18n import current

CATEGORIES = {
    "informatie": _("Informatie en advies"),
    "praktische-hulp": _("Praktische hulp"),
    "welzijn-ontmoeten": _("Welzijn, ontmoeten en samen doen"),
    "lichte-zorg": _("Lichte zorg en gezondheid"),
    "werk-ondernemen": _("Werk en ondernemen"),
    "buurtzaken": _("Buurtzaken"),
}
CONSENTS = {
    "share_for_referral": _("Jullie mogen mijn vraag en mijn naam doorgeven aan een andere organisatie van "
                            "SAMEN030 als die mij beter kan helpen."),
    "contact_email": _("Jullie mogen mij e-mailen over mijn vraag."),
    "contact_phone": _("Jullie mogen mij bellen over mijn vraag."),
}
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def category(code: str) -> str:
    return str(CATEGORIES.get(code, code))


def days(byday: str) -> str:
    """'MO,WE' → 'maandag en woensdag' in the resident's language."""
    names = current().days["format"]["wide"]
    wanted = [names[WEEKDAYS.index(day)] for day in byday.split(",") if day in WEEKDAYS]
    if len(wanted) < 2:
        return "".join(wanted)
    from babel.lists import format_list
    return format_list(wanted, locale=current())
