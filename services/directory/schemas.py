from marshmallow import Schema, ValidationError, fields, validate

from samen030.kernel.geography import UnknownArea, buurt, check_wijk
from samen030.kernel.privacy import EMAIL, PHONE
from samen030.kernel.taxonomy import CATEGORIES
from samen030.kernel.web import Text


def no_contact_details(value: str) -> None:
    if EMAIL.search(value) or PHONE.search(value):
        raise ValidationError("Must not contain e-mail addresses or phone numbers: contact details "
                              "belong in the offer's contact fields, which stay with the partner.")


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


category_field = dict(validate=validate.OneOf(list(CATEGORIES), error="Must be one of: {choices}."),
                      metadata={"description": "SAMEN030 category code"})


class OfferSchema(Schema):
    id = fields.String(dump_only=True)
    partner = fields.String(dump_only=True)
    name = Text(required=True, validate=[validate.Length(max=200), not_blank, no_contact_details],
                         metadata={"description": "name of the offer, in Dutch"})
    description = Text(load_default="", validate=[validate.Length(max=4000), no_contact_details],
                                metadata={"description": "what the offer is, for whom, in Dutch"})
    category = fields.String(required=True, **category_field)
    buurt = fields.String(required=True, validate=known_buurt,
                          metadata={"description": "CBS buurt code, e.g. BU03440832"})
    wijk = fields.String(dump_only=True, metadata={"description": "CBS wijk code, from the buurt"})
    status = fields.String(load_default="active", validate=validate.OneOf(["active", "inactive"]))
    version = fields.Integer(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class OfferUpdateSchema(OfferSchema):
    version = fields.Integer(required=True, validate=validate.Range(min=1),
                             metadata={"description": "the version you changed; a stale one is refused"})


def offer_update_schema() -> OfferUpdateSchema:
    """Only the fields sent are changed; the version is always required."""
    return OfferUpdateSchema(partial=("name", "description", "category", "buurt", "status"))


class OfferQuerySchema(Schema):
    category = fields.String(**category_field)
    buurt = fields.String(validate=known_buurt)
    wijk = fields.String(validate=known_wijk)
