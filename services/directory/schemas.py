from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from samen030.kernel.privacy import EMAIL, PHONE
from samen030.kernel.taxonomy import CATEGORIES, TERMS, sub_terms
from samen030.kernel.validators import (LANGUAGE, PHONE_NUMBER, POSTCODE, TIME, known_area,  # noqa: F401
                                        known_buurt, known_wijk, not_blank, weekdays)
from samen030.kernel.versioned import VersionedSchema, update_schema, version_field
from samen030.kernel.web import Text


def no_contact_details(value: str) -> None:
    if EMAIL.search(value) or PHONE.search(value):
        raise ValidationError("Must not contain e-mail addresses or phone numbers: contact details "
                              "belong in the offer's contact fields, which stay with the partner.")


category_field = dict(validate=validate.OneOf(list(CATEGORIES), error="Must be one of: {choices}."),
                      metadata={"description": "SAMEN030 category (top-level taxonomy term code)"})
STATUSES = ["active", "inactive", "defunct", "temporarily closed"]


class LocationSchema(Schema):
    id = fields.String(dump_only=True)
    location_type = fields.String(load_default="physical", validate=validate.OneOf(["physical", "virtual"]))
    name = Text(validate=validate.Length(max=200), allow_none=True)
    address_1 = Text(validate=validate.Length(max=200), allow_none=True, metadata={"description": "street and number"})
    postal_code = fields.String(validate=POSTCODE, allow_none=True)
    city = Text(load_default="Utrecht", validate=validate.Length(max=100))
    buurt = fields.String(validate=known_buurt, allow_none=True, metadata={"description": "CBS buurt code"})
    wijk = fields.String(dump_only=True)
    latitude = fields.Float(validate=validate.Range(51.9, 52.25), allow_none=True)
    longitude = fields.Float(validate=validate.Range(4.9, 5.3), allow_none=True)
    url = fields.Url(allow_none=True, validate=validate.Length(max=500))

    @validates_schema
    def physical_or_virtual(self, data, **_kwargs):
        if data.get("location_type", "physical") == "physical" and not data.get("buurt"):
            raise ValidationError("A physical location needs its buurt code.", "buurt")
        if data.get("location_type") == "virtual" and not data.get("url"):
            raise ValidationError("A virtual location needs its url.", "url")


class ScheduleSchema(Schema):
    id = fields.String(dump_only=True)
    byday = fields.String(required=True, validate=weekdays, metadata={"description": "iCal BYDAY, e.g. MO,WE"})
    opens_at = fields.String(required=True, validate=TIME)
    closes_at = fields.String(required=True, validate=TIME)
    description = Text(validate=validate.Length(max=500), allow_none=True)

    @validates_schema
    def opens_before_closing(self, data, **_kwargs):
        if data.get("opens_at") and data.get("closes_at") and data["opens_at"] >= data["closes_at"]:
            raise ValidationError("Must be later than opens_at.", "closes_at")


class ContactSchema(Schema):
    """A contact person: personal data, kept and served by the partner only."""
    id = fields.String(dump_only=True)
    name = Text(validate=validate.Length(max=200), allow_none=True)
    title = Text(validate=validate.Length(max=200), allow_none=True)
    email = fields.Email(allow_none=True, validate=validate.Length(max=200))
    phone = fields.String(allow_none=True, validate=PHONE_NUMBER)


def consistency_errors(offer: dict) -> dict:
    """What is wrong between an offer's fields; also checked after a partial update is merged."""
    errors = {}
    category = offer.get("category")
    if category and any(TERMS[t].parent != category for t in offer.get("terms") or []):
        errors["terms"] = [f"Sub-terms must belong to the category: {', '.join(sub_terms(category))}."]
    low, high = offer.get("minimum_age"), offer.get("maximum_age")
    if low is not None and high is not None and low > high:
        errors["maximum_age"] = ["Must not be below minimum_age."]
    return errors


class OfferSchema(VersionedSchema):
    id = fields.String(dump_only=True)
    partner = fields.String(dump_only=True)
    name = Text(required=True, validate=[validate.Length(max=200), not_blank, no_contact_details],
                metadata={"description": "name of the offer, in Dutch"})
    description = Text(load_default="", validate=[validate.Length(max=4000), no_contact_details],
                       metadata={"description": "what the offer is, for whom, in Dutch"})
    category = fields.String(required=True, **category_field)
    terms = fields.List(fields.String(validate=validate.OneOf([t for t in TERMS if TERMS[t].parent],
                                                               error="Not a SAMEN030 sub-term.")),
                        load_default=list, validate=validate.Length(max=10),
                        metadata={"description": "sub-terms of the category, e.g. ['repaircafe']"})
    buurt = fields.String(required=True, validate=known_buurt,
                          metadata={"description": "CBS buurt code, e.g. BU03440832"})
    wijk = fields.String(dump_only=True, metadata={"description": "CBS wijk code, from the buurt"})
    areas = fields.List(fields.String(validate=known_area), load_default=list, validate=validate.Length(max=30),
                        metadata={"description": "other buurten or whole wijken it serves (CBS codes)"})
    status = fields.String(load_default="active", validate=validate.OneOf(STATUSES))
    url = fields.Url(allow_none=True, validate=validate.Length(max=500))
    free = fields.Boolean(load_default=True, metadata={"description": "free of charge"})
    fees_description = Text(allow_none=True, validate=[validate.Length(max=1000), no_contact_details])
    eligibility_description = Text(allow_none=True, validate=[validate.Length(max=1000), no_contact_details])
    minimum_age = fields.Integer(allow_none=True, validate=validate.Range(0, 120))
    maximum_age = fields.Integer(allow_none=True, validate=validate.Range(0, 120))
    languages = fields.List(fields.String(validate=LANGUAGE),
                            load_default=lambda: ["nl"], validate=validate.Length(min=1, max=20))
    locations = fields.List(fields.Nested(LocationSchema), load_default=list, validate=validate.Length(max=20))
    schedules = fields.List(fields.Nested(ScheduleSchema), load_default=list, validate=validate.Length(max=50),
                            metadata={"description": "weekly opening hours"})
    contacts = fields.List(fields.Nested(ContactSchema), load_default=list, validate=validate.Length(max=10),
                           metadata={"description": "contact persons (personal data: never on the bus)"})
    consistency_errors = staticmethod(consistency_errors)


def offer_update_schema():
    return update_schema(OfferSchema)


class StatusChangeSchema(Schema):
    version = version_field()


class OfferQuerySchema(Schema):
    category = fields.String(**category_field)
    buurt = fields.String(validate=known_buurt)
    wijk = fields.String(validate=known_wijk)
