"""The question every suggestion answers (a help request's category, buurt, sub-terms, languages and
moment) and the reasons it gives: one schema for offers at the gateway and volunteers at the members
service and the gateway."""
from datetime import date, datetime

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from webargs.fields import DelimitedList

from .config import PARTNER_ID
from .fit import UTRECHT, Ask
from .taxonomy import CATEGORIES, TERMS
from .validators import LANGUAGE, known_buurt

EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


def in_years_served(value) -> None:
    if not EARLIEST.year <= value.year <= LATEST.year:
        raise ValidationError(f"Moet tussen {EARLIEST.year} en {LATEST.year} liggen "
                              f"(must lie between {EARLIEST.year} and {LATEST.year}).")


class AskSchema(Schema):
    category = fields.String(required=True, validate=validate.OneOf(list(CATEGORIES), error="Must be one of: {choices}."),
                             metadata={"description": "the request's category"})
    terms = DelimitedList(fields.String(), validate=validate.Length(max=10),
                          metadata={"description": "sub-terms of the category, comma-separated"})
    buurt = fields.String(required=True, validate=known_buurt, metadata={"description": "the request's CBS buurt code"})
    languages = DelimitedList(fields.String(validate=LANGUAGE), validate=validate.Length(max=10),
                              metadata={"description": "ISO 639-1 codes the resident speaks, preferred first"})
    at = fields.DateTime(validate=in_years_served,
                         metadata={"description": "when the resident can go (Utrecht time without offset; "
                                                  "default now)"})
    exclude_partner = fields.String(validate=validate.Regexp(PARTNER_ID.pattern, error="Not a partner id."),
                                    metadata={"description": "leave this partner's offers out (e.g. the asking one)"})
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))

    @validates_schema
    def terms_of_the_category(self, data, **_kwargs):
        wrong = [t for t in data.get("terms") or [] if t not in TERMS or TERMS[t].parent != data.get("category")]
        if wrong and data.get("category"):
            raise ValidationError(f"Geen subterm van {data['category']!r}: {', '.join(map(repr, wrong))} "
                                  f"(not a sub-term of the category).", "terms")


class ReasonSchema(Schema):
    code = fields.String(metadata={"description": "category, terms, same_buurt, serves_buurt, same_wijk, "
                                                  "serves_wijk, online, open, opens_later, hours_unknown, language"})
    text = fields.String(metadata={"description": "Dutch, English in parentheses"})


def ask_from(data: dict) -> Ask:
    """The question as AskSchema loaded it; a moment without offset is Utrecht time, none is now."""
    at = data.get("at") or datetime.now(UTRECHT)
    return Ask(data["category"], data["buurt"], at if at.tzinfo else at.replace(tzinfo=UTRECHT),
               tuple(dict.fromkeys(data.get("terms") or ())), tuple(dict.fromkeys(data.get("languages") or ())),
               data.get("exclude_partner"), data["limit"])
