from marshmallow import Schema, ValidationError, fields, validate

from samen030.directory.schemas import known_buurt, known_wijk
from samen030.kernel.config import PARTNER_ID
from samen030.kernel.taxonomy import CATEGORIES
from samen030.kernel.web import PageArgs, Text, page_schema

from .search_index import FACETS, MAX_WORDS, search_words


class FreshnessSchema(Schema):
    last_event_at = fields.DateTime(allow_none=True, metadata={"description": "the partner's last event applied"})
    reachable = fields.Boolean(metadata={"description": "the partner's services answer now"})
    link = fields.String(metadata={"description": "hub topology: `connected` or `down`, the partner's line to the hub"})
    stale = fields.Boolean(metadata={"description": "served from the read model while the partner is down or its "
                                                    "line to the hub is"})


class CityOfferSchema(Schema):
    id = fields.String()
    partner = fields.String(metadata={"description": "the partner that owns the offer"})
    name = fields.String()
    description = fields.String()
    category = fields.String()
    buurt = fields.String()
    wijk = fields.String()
    status = fields.String()
    terms = fields.List(fields.String(), metadata={"description": "sub-terms of the category"})
    areas = fields.List(fields.String(), metadata={"description": "other buurten or whole wijken it serves"})
    languages = fields.List(fields.String(), metadata={"description": "ISO 639-1 codes"})
    free = fields.Boolean()
    minimum_age = fields.Integer(allow_none=True)
    maximum_age = fields.Integer(allow_none=True)
    location_buurten = fields.List(fields.String(), metadata={"description": "buurt codes of its places"})
    virtual = fields.Boolean(metadata={"description": "also offered online"})
    version = fields.Integer()
    updated_at = fields.DateTime()
    freshness = fields.Nested(FreshnessSchema)


class CityFilters(Schema):
    wijk = fields.String(validate=known_wijk, metadata={"description": "CBS wijk code, e.g. WK034408"})
    buurt = fields.String(validate=known_buurt, metadata={"description": "CBS buurt code, e.g. BU03440832"})
    category = fields.String(validate=validate.OneOf(list(CATEGORIES), error="Must be one of: {choices}."))
    partner = fields.String(validate=validate.Regexp(PARTNER_ID.pattern, error="Not a partner id."),
                            metadata={"description": "only this partner's offers"})


class CityOfferQuerySchema(PageArgs, CityFilters):
    pass


def few_enough_words(value: str) -> None:
    if len(search_words(value)) > MAX_WORDS:
        raise ValidationError(f"Use at most {MAX_WORDS} search words.")


class SearchFiltersMixin(Schema):
    language = fields.String(validate=validate.Regexp(r"^[a-z]{2}\Z", error="Must be an ISO 639-1 code, e.g. 'ar'."),
                             metadata={"description": "offers where this language is spoken"})
    free = fields.Boolean(metadata={"description": "only free offers (true) or only paid ones (false)"})
    open_at = fields.DateTime(metadata={"description": "open at this moment (Utrecht time when no offset is given)"})
    open_now = fields.Boolean(load_default=False, metadata={"description": "open right now"})


class SearchQuerySchema(CityOfferQuerySchema, SearchFiltersMixin):
    q = Text(load_default="", validate=[validate.Length(max=200), few_enough_words],
             metadata={"description": "words to look for in offers' names and descriptions, e.g. "
                                      "'taalcafé kinderen'; case, accents and word forms do not matter"})


class SearchHitSchema(CityOfferSchema):
    score = fields.Integer(metadata={"description": "relevance, higher first: a digit each for the words "
                                                    "matched, of those in the name, of those whole; 0 without q"})


class SearchPageSchema(page_schema(SearchHitSchema)):
    facets = fields.Dict(
        keys=fields.String(validate=validate.OneOf(FACETS)),
        values=fields.Dict(keys=fields.String(), values=fields.Integer()),
        metadata={"description": "per category and per wijk code, the number of matches of q and every "
                                 "filter (the wijk filter included: it leaves one wijk in the wijk facet)"})


class PartnerSchema(Schema):
    id = fields.String()
    name = fields.String()
    services = fields.Dict(keys=fields.String(), values=fields.String(),
                           metadata={"description": "base URL of each service the partner runs"})
    last_event_at = fields.DateTime(allow_none=True, metadata={"description": "time of the last event applied"})
    last_applied_at = fields.DateTime(allow_none=True)
    events_applied = fields.Integer()
    seconds_behind = fields.Float(allow_none=True, metadata={"description": "age of the newest data"})
    reachable = fields.Boolean(metadata={"description": "its services answer now (checked every few seconds)"})
    link = fields.String(metadata={"description": "hub topology: `connected` or `down`, its leaf's line to the hub "
                                                  "(checked with `reachable`); absent with one nats-server"})
    stale = fields.Boolean(metadata={"description": "its newest data may be missing here: not reachable, or its "
                                                   "line to the hub down"})
