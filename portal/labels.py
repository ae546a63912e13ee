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
STATUSES = {
    "received": _("Nieuw"), "triaged": _("Uitgevraagd"), "referred": _("Doorverwezen"), "accepted": _("Aangenomen"),
    "declined": _("Afgewezen"), "in_progress": _("In behandeling"), "resolved": _("Opgelost"),
    "closed": _("Afgesloten"), "withdrawn": _("Ingetrokken"),
}
CHANNELS = {"web": _("via de website"), "walk_in": _("aan de balie"), "phone": _("telefonisch"),
            "email": _("per e-mail")}
URGENCIES = {"high": _("dringend"), "normal": _("normaal"), "low": _("niet dringend")}
ACTIONS = {
    "receive": _("binnengekomen"), "triage": _("uitgevraagd"), "start": _("gestart"),
    "accept": _("aangenomen"), "decline": _("afgewezen"), "refer": _("doorverwezen"),
    "referral_accepted": _("doorverwijzing aangenomen"), "referral_declined": _("doorverwijzing afgewezen"),
    "resolve": _("opgelost"), "reopen": _("heropend"), "close": _("afgesloten"), "withdraw": _("ingetrokken"),
}
REFERRAL_STATUSES = {"sending": _("wordt overgedragen"), "sent": _("verstuurd"), "accepted": _("aangenomen"),
                     "declined": _("afgewezen"), "cancelling": _("wordt teruggenomen"), "cancelled": _("teruggenomen")}
SHARED = {"question": _("de vraag"), "name": _("naam"), "phone": _("telefoonnummer"), "email": _("e-mailadres")}
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


def word(table: dict, code: str | None) -> str:
    """A code of the API in the reader's language; the code itself when there is no word for it yet."""
    return str(table[code]) if code in table else (code or "")
