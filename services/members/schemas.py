from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from samen030.kernel.taxonomy import TERMS
from samen030.kernel.validators import (LANGUAGE, PHONE_NUMBER, POSTCODE, TIME, known_buurt, known_wijk,
                                        not_blank, weekdays)
from samen030.kernel.versioned import VersionedSchema, update_schema
from samen030.kernel.web import Text

UTRECHT = ZoneInfo("Europe/Amsterdam")
TYPES = ["person", "organisation"]
KINDS = ["bewoner", "vrijwilliger", "ondernemer", "organisatie"]
STATUSES = ["aspirant", "lid", "opgezegd"]
ROLES = ["coordinator", "volunteer", "resident"]
PURPOSES = ["contact_email", "contact_phone", "share_for_referral", "volunteer_suggestions"]
HOW = ["schriftelijk", "mondeling", "online"]


def one_of(choices: list[str]) -> validate.OneOf:
    return validate.OneOf(choices, error="Must be one of: {choices}.")


def _not_in_the_future(value: date) -> None:
    if value > date.today() + timedelta(days=1):
        raise ValidationError("Must not be in the future.")


def _born_since_1900(value: date) -> None:
    if value.year < 1900:
        raise ValidationError("Must be 1900 or later.")


def _moment_not_in_the_future(value: datetime) -> None:
    if value > datetime.now(timezone.utc) + timedelta(minutes=5):
        raise ValidationError("Must not be in the future.")


class AvailabilitySchema(Schema):
    """A weekly window in which a volunteer can help, like the directory's opening hours."""
    byday = fields.String(required=True, validate=weekdays, metadata={"description": "iCal BYDAY, e.g. MO,WE"})
    from_ = fields.String(required=True, validate=TIME, data_key="from", attribute="from")
    until = fields.String(required=True, validate=TIME)

    @validates_schema
    def starts_before_it_ends(self, data, **_kwargs):
        if data.get("from") and data.get("until") and data["from"] >= data["until"]:
            raise ValidationError("Must be later than from.", "until")


def consistency_errors(member: dict) -> dict:
    """What is wrong between a member's fields; also checked after a partial update is merged."""
    errors = {}
    kind = member.get("kind")
    if member.get("type") and kind and (member["type"] == "organisation") != (kind == "organisatie"):
        errors["kind"] = ["An organisation is of kind 'organisatie', a person never."]
    if kind and kind != "vrijwilliger":
        for field in ("skills", "availability"):
            if member.get(field):
                errors[field] = ["Only volunteers (vrijwilliger) have skills and availability."]
    if kind and kind != "ondernemer" and member.get("trade"):
        errors["trade"] = ["Only entrepreneurs (ondernemer) have a trade."]
    return errors


class MemberSchema(VersionedSchema):
    id = fields.String(dump_only=True)
    partner = fields.String(dump_only=True)
    type = fields.String(required=True, validate=one_of(TYPES))
    kind = fields.String(required=True, validate=one_of(KINDS),
                         metadata={"description": "bewoner, vrijwilliger, ondernemer or organisatie"})
    membership_number = Text(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$", error="Must be 1 to 32 letters, digits or dashes."),
        metadata={"description": "unique at the partner"})
    member_since = fields.Date(load_default=date.today, validate=_not_in_the_future)
    membership_status = fields.String(load_default="aspirant", validate=one_of(STATUSES))
    role = fields.String(load_default="resident", validate=one_of(ROLES),
                         metadata={"description": "role at the partner"})
    buurt = fields.String(allow_none=True, load_default=None, validate=known_buurt,
                          metadata={"description": "CBS buurt code; none for members outside Utrecht"})
    wijk = fields.String(dump_only=True)
    languages = fields.List(fields.String(validate=LANGUAGE), load_default=lambda: ["nl"],
                            validate=validate.Length(min=1, max=20))
    skills = fields.List(fields.String(validate=one_of(list(TERMS))), load_default=list,
                         validate=validate.Length(max=20),
                         metadata={"description": "volunteers only: SAMEN030 taxonomy term codes"})
    availability = fields.List(fields.Nested(AvailabilitySchema), load_default=list, validate=validate.Length(max=21),
                               metadata={"description": "volunteers only: weekly windows"})
    trade = Text(allow_none=True, load_default=None, validate=validate.Length(max=200),
                 metadata={"description": "entrepreneurs only: their trade"})
    name = Text(required=True, validate=[validate.Length(max=200), not_blank])
    email = fields.Email(allow_none=True, load_default=None, validate=validate.Length(max=200))
    phone = fields.String(allow_none=True, load_default=None, validate=PHONE_NUMBER)
    address = Text(allow_none=True, load_default=None, validate=validate.Length(max=200),
                   metadata={"description": "street and number"})
    postcode = fields.String(allow_none=True, load_default=None, validate=POSTCODE)
    birth_date = fields.Date(allow_none=True, load_default=None, validate=[_not_in_the_future, _born_since_1900])
    erased_at = fields.DateTime(dump_only=True, metadata={"description": "set once the person's data was erased"})
    consistency_errors = staticmethod(consistency_errors)


def member_update_schema():
    return update_schema(MemberSchema)


class MemberQuerySchema(Schema):
    kind = fields.String(validate=one_of(KINDS))
    membership_status = fields.String(validate=one_of(STATUSES))
    role = fields.String(validate=one_of(ROLES))
    buurt = fields.String(validate=known_buurt)
    wijk = fields.String(validate=known_wijk)


class ConsentSchema(Schema):
    id = fields.String(dump_only=True)
    member_id = fields.String(dump_only=True)
    purpose = fields.String(required=True, validate=one_of(PURPOSES))
    how = fields.String(required=True, validate=one_of(HOW),
                        metadata={"description": "schriftelijk, mondeling or online"})
    given_at = fields.AwareDateTime(load_default=lambda: datetime.now(timezone.utc), default_timezone=UTRECHT,
                                    validate=_moment_not_in_the_future,
                                    metadata={"description": "when it was given; Utrecht time without an offset"})
    withdrawn_at = fields.DateTime(dump_only=True)
    withdrawn_how = fields.String(dump_only=True)
    recorded_at = fields.DateTime(dump_only=True)
    recorded_by = fields.String(dump_only=True)


class WithdrawalSchema(Schema):
    how = fields.String(load_default=None, allow_none=True, validate=one_of(HOW))
    withdrawn_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=UTRECHT,
                                        validate=_moment_not_in_the_future)


class InForceSchema(Schema):
    purpose = fields.String()
    in_force = fields.Boolean()
    since = fields.DateTime(allow_none=True)
    consent_id = fields.String(allow_none=True)


class ExportSchema(Schema):
    exported_at = fields.DateTime()
    partner = fields.String()
    member = fields.Nested(MemberSchema)
    consents = fields.List(fields.Nested(ConsentSchema))
    requests = fields.List(fields.Dict(), metadata={
        "description": "the member's help requests as the partner's requests service exports them"})
