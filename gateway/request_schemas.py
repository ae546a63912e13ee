"""Query and answer schemas of the help-request figures and of the suggestions for a request."""
from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from samen030.kernel.config import PARTNER_ID
from samen030.kernel.fit_schemas import ReasonSchema, in_years_served
from samen030.kernel.web import service_db

from .readmodel import partner_status
from .request_figures import MEASURES
from .schemas import CityFilters, CityOfferSchema


def known_partner(value: str) -> None:
    """A partner of the federation file, or one whose events the read model holds."""
    if not PARTNER_ID.match(value) or value in current_app.config["FEDERATION"].partners:  # the first: said already
        return
    with service_db().connect() as conn:
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


class SuggestionSchema(CityOfferSchema):
    score = fields.Integer(metadata={"description": "how well it fits, higher first (see the README)"})
    next_opening = fields.DateTime(allow_none=True, metadata={
        "description": "'at' when open then, else the next opening within a week; null: no opening hours known"})
    reasons = fields.List(fields.Nested(ReasonSchema))


class SuggestionsSchema(Schema):
    items = fields.List(fields.Nested(SuggestionSchema))


class VolunteerProfileSchema(Schema):
    id = fields.String(metadata={"description": "the volunteer's member id at their partner"})
    partner = fields.String()
    buurt = fields.String(allow_none=True)
    wijk = fields.String(allow_none=True)
    skills = fields.List(fields.String())
    languages = fields.List(fields.String())
    availability = fields.List(fields.Dict(), metadata={"description": "weekly windows: byday, from, until"})
    score = fields.Integer()
    next_available = fields.DateTime(allow_none=True)
    reasons = fields.List(fields.Nested(ReasonSchema))


class VolunteerProfilesSchema(Schema):
    items = fields.List(fields.Nested(VolunteerProfileSchema))
