"""Query and answer schemas of the help-request figures and of the suggestions for a request."""
from datetime import date

from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select
from webargs.fields import DelimitedList

from samen030.kernel.config import PARTNER_ID
from samen030.kernel.taxonomy import CATEGORIES, TERMS
from samen030.kernel.validators import LANGUAGE, known_buurt

from .readmodel import partner_status
from .request_figures import MEASURES
from .schemas import CityFilters, CityOfferSchema

EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


def in_years_served(value) -> None:
    if not EARLIEST.year <= value.year <= LATEST.year:
        raise ValidationError(f"Moet tussen {EARLIEST.year} en {LATEST.year} liggen "
                              f"(must lie between {EARLIEST.year} and {LATEST.year}).")


def known_partner(value: str) -> None:
    """A partner of the federation file, or one whose events the read model holds."""
    if not PARTNER_ID.match(value) or value in current_app.config["FEDERATION"].partners:  # the first: said already
        return
    with current_app.extensions["samen030.db"].connect() as conn:
        if conn.execute(select(partner_status.c.partner).where(partner_status.c.partner == value)).first():
            return
    raise ValidationError(f"Onbekende partner {value!r} (unknown partner).")


class RequestFiguresQuerySchema(CityFilters):
    period_from = fields.Date(data_key="from", validate=in_years_served,
                              metadata={"description": "first day received (Utrecht time), e.g. 2026-01-01"})
    until = fields.Date(validate=in_years_served,
                        metadata={"description": "last day received, included (Utrecht time), e.g. 2026-03-31"})
    partner = fields.String(validate=[validate.Regexp(PARTNER_ID.pattern, error="Not a partner id."), known_partner],
                            metadata={"description": "only this partner's requests (and referrals from or to it)"})
    format = fields.String(validate=validate.OneOf(["json", "csv"]),
                           metadata={"description": "csv: one table, long format (also with Accept: text/csv)"})

    @validates_schema
    def period_in_order(self, data, **_kwargs):
        if data.get("period_from") and data.get("until") and data["period_from"] > data["until"]:
            raise ValidationError("Mag niet vóór 'from' liggen (must not be before 'from').", "until")


class RequestFiguresSchema(Schema):
    """The documented shape; the view sends the answer as it is."""
    period = fields.Dict(metadata={"description": "from, until (dates, null: open) and timezone"})
    filters = fields.Dict(keys=fields.String(), values=fields.String())
    generated_at = fields.DateTime(metadata={"description": "the moment 'overdue_now' refers to"})
    totals = fields.Dict(metadata={"description": "every measure over the whole selection: "
                                                  + "; ".join(f"{k}: {v}" for k, v in MEASURES.items())})
    by_wijk = fields.List(fields.Dict(), metadata={"description": "code, name and every measure, per wijk"})
    by_buurt = fields.List(fields.Dict(), metadata={"description": "code, name, wijk and every measure, per buurt"})
    by_category = fields.List(fields.Dict(), metadata={"description": "code, name and every measure, per category"})
    by_partner = fields.List(fields.Dict(), metadata={"description": "code, name and every measure, per partner"})
    referrals = fields.List(fields.Dict(), metadata={
        "description": "who referred to whom: from_partner, from_name, to_partner, to_name, sent, accepted, "
                       "declined, pending"})


class SuggestionQuerySchema(Schema):
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


class SuggestionSchema(CityOfferSchema):
    score = fields.Integer(metadata={"description": "how well it fits, higher first (see the README)"})
    next_opening = fields.DateTime(allow_none=True, metadata={
        "description": "'at' when open then, else the next opening within a week; null: no opening hours known"})
    reasons = fields.List(fields.Nested(ReasonSchema))


class SuggestionsSchema(Schema):
    items = fields.List(fields.Nested(SuggestionSchema))
