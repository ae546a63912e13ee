from marshmallow import Schema, fields, validate

from samen030.directory.schemas import known_buurt, known_wijk
from samen030.kernel.config import PARTNER_ID
from samen030.kernel.taxonomy import CATEGORIES
from samen030.kernel.web import PageArgs


class CityOfferSchema(Schema):
    id = fields.String()
    partner = fields.String(metadata={"description": "the partner that owns the offer"})
    name = fields.String()
    description = fields.String()
    category = fields.String()
    buurt = fields.String()
    wijk = fields.String()
    status = fields.String()
    version = fields.Integer()
    updated_at = fields.DateTime()


class CityOfferQuerySchema(PageArgs):
    wijk = fields.String(validate=known_wijk, metadata={"description": "CBS wijk code, e.g. WK034408"})
    buurt = fields.String(validate=known_buurt, metadata={"description": "CBS buurt code, e.g. BU03440832"})
    category = fields.String(validate=validate.OneOf(list(CATEGORIES), error="Must be one of: {choices}."))
    partner = fields.String(validate=validate.Regexp(PARTNER_ID.pattern, error="Not a partner id."),
                            metadata={"description": "only this partner's offers"})


class PartnerSchema(Schema):
    id = fields.String()
    name = fields.String()
    services = fields.Dict(keys=fields.String(), values=fields.String(),
                           metadata={"description": "base URL of each service the partner runs"})
    last_event_at = fields.DateTime(allow_none=True, metadata={"description": "time of the last event applied"})
    last_applied_at = fields.DateTime(allow_none=True)
    events_applied = fields.Integer()
    seconds_behind = fields.Float(allow_none=True, metadata={"description": "age of the newest data"})
