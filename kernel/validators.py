"""Field validators more than one service needs: CBS areas, weekly hours, languages, Dutch postcodes
and phone numbers."""
from marshmallow import ValidationError, validate

from .geography import UnknownArea, buurt, check_wijk


def not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Must not be blank.")


def known_buurt(value: str) -> None:
    try:
        buurt(value)
    except UnknownArea as exc:
        raise ValidationError(str(exc)) from None


def known_wijk(value: str) -> None:
    try:
        check_wijk(value)
    except UnknownArea as exc:
        raise ValidationError(str(exc)) from None


def known_area(value: str) -> None:
    if value.startswith("WK"):
        known_wijk(value)
    else:
        known_buurt(value)


# \Z, not $: "$" also matches before a final newline, and "09:00\n" or "nl\n" would be stored
WEEKDAYS = {"MO", "TU", "WE", "TH", "FR", "SA", "SU"}
TIME = validate.Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]\Z", error="Must be a time as HH:MM.")
# Dutch names of the languages offers and people list most; other codes are shown as they are.
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "Engels", "ar": "Arabisch", "tr": "Turks", "ber": "Berbers",
                  "pl": "Pools", "uk": "Oekraïens", "es": "Spaans", "fr": "Frans", "de": "Duits",
                  "so": "Somalisch", "ti": "Tigrinya", "fa": "Perzisch", "pap": "Papiaments", "zh": "Chinees"}
LANGUAGE = validate.Regexp(r"^[a-z]{2}\Z", error="Must be an ISO 639-1 code, e.g. 'nl'.")
POSTCODE = validate.Regexp(r"^[1-9][0-9]{3} ?[A-Z]{2}\Z", error="Must be a Dutch postcode, e.g. '3526 KL'.")
PHONE_NUMBER = validate.Regexp(r"^\+?[0-9][0-9 -]{5,30}\Z", error="Not a phone number.")


def weekdays(value: str) -> None:
    days = value.split(",")
    if not value or set(days) - WEEKDAYS or len(set(days)) != len(days):
        raise ValidationError("Must be iCal weekdays separated by commas, e.g. 'MO,WE,FR'.")
