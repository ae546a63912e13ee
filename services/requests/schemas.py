from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from samen030.kernel.taxonomy import CATEGORIES, TERMS
from samen030.kernel.validators import LANGUAGE, PHONE_NUMBER, known_buurt, known_wijk, not_blank
from samen030.kernel.versioned import version_field
from samen030.kernel.web import Text

from .consents import PURPOSES
from .followup import URGENCIES
from .lifecycle import STATUSES
from .referrals import SHAREABLE

CHANNELS = ["walk_in", "phone", "web", "email"]
HOW = ["schriftelijk", "mondeling", "online"]
SUB_TERMS = [code for code, term in TERMS.items() if term.parent]


def one_of(choices) -> validate.OneOf:
    return validate.OneOf(list(choices), error="Must be one of: {choices}.")


class GivenConsentSchema(Schema):
    purpose = fields.String(required=True, validate=one_of(PURPOSES), metadata={
        "description": "share_for_referral: the question, name and (with the contact consents) phone and "
                       "e-mail may go to another partner for a referral; contact_phone, contact_email"})
    how = fields.String(required=True, validate=one_of(HOW))


class QuestionSchema(Schema):
    """What a referral carries about the question; the intake adds how it came in and the consents."""
    category = fields.String(required=True, validate=one_of(CATEGORIES))
    terms = fields.List(fields.String(validate=one_of(SUB_TERMS)), load_default=list, validate=validate.Length(max=10))
    buurt = fields.String(required=True, validate=known_buurt, metadata={"description": "CBS buurt code"})
    urgency = fields.String(load_default="normal", validate=one_of(URGENCIES))
    languages = fields.List(fields.String(validate=LANGUAGE), load_default=lambda: ["nl"],
                            validate=validate.Length(min=1, max=10))
    question = Text(validate=[validate.Length(max=4000), not_blank], metadata={"description": "in the resident's words"})
    name = Text(allow_none=True, load_default=None, validate=validate.Length(max=200))
    phone = fields.String(allow_none=True, load_default=None, validate=PHONE_NUMBER)
    email = fields.Email(allow_none=True, load_default=None, validate=validate.Length(max=200))

    @validates_schema
    def terms_of_the_category(self, data, **_kwargs):
        wrong = [t for t in data.get("terms", []) if TERMS[t].parent != data.get("category")]
        if wrong and data.get("category"):
            raise ValidationError(f"Not terms of category {data['category']!r}: {', '.join(wrong)}.", "terms")


class IntakeSchema(QuestionSchema):
    channel = fields.String(required=True, validate=one_of(CHANNELS))
    question = Text(required=True, validate=[validate.Length(max=4000), not_blank])
    member_id = fields.UUID(allow_none=True, load_default=None,
                            metadata={"description": "the resident at this partner's members service, if a member"})
    consents = fields.List(fields.Nested(GivenConsentSchema), load_default=list, validate=validate.Length(max=3),
                           metadata={"description": "given now; a member's consents are kept at the members service"})

    @validates_schema
    def consents_fit(self, data, **_kwargs):
        purposes = [c["purpose"] for c in data.get("consents", [])]
        if len(set(purposes)) < len(purposes):
            raise ValidationError("Each purpose at most once.", "consents")
        if data.get("member_id") and purposes:
            raise ValidationError("De toestemmingen van een lid staan in de ledenadministratie; leg ze daar vast "
                                  "(a member's consents are kept at the members service).", "consents")
        for purpose, field in (("contact_phone", "phone"), ("contact_email", "email")):
            if purpose in purposes and not data.get(field):
                raise ValidationError(f"Consent {purpose} needs a {field}.", "consents")


class HandoverSchema(QuestionSchema):
    """What partner A's requests service sends partner B's: only what the resident's consent covers."""
    referral_id = fields.UUID(required=True)
    offer_id = fields.UUID(allow_none=True, load_default=None)
    volunteer_id = fields.UUID(allow_none=True, load_default=None)


class ConsentRecordSchema(Schema):
    id = fields.String()
    purpose = fields.String()
    how = fields.String()
    given_at = fields.DateTime()
    withdrawn_at = fields.DateTime(allow_none=True)
    recorded_by = fields.String()


class RequestSchema(Schema):
    id = fields.String()
    partner = fields.String()
    origin = fields.String(metadata={"description": "intake, or referral from another partner"})
    channel = fields.String()
    category = fields.String()
    terms = fields.List(fields.String())
    buurt = fields.String()
    wijk = fields.String()
    urgency = fields.String()
    languages = fields.List(fields.String())
    member_id = fields.String(allow_none=True)
    question = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    status = fields.String()
    status_label = fields.String(metadata={"description": "in Dutch"})
    possible_actions = fields.List(fields.String())
    referral_id = fields.String(allow_none=True)
    referred_by = fields.String(allow_none=True)
    received_at = fields.DateTime()
    first_contact_due = fields.DateTime()
    first_contact_at = fields.DateTime(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    overdue = fields.Boolean()
    erased_at = fields.DateTime(allow_none=True, metadata={"description": "when its personal data was erased"})
    version = fields.Integer()
    created_by = fields.String()
    updated_at = fields.DateTime()


class RequestQuerySchema(Schema):
    status = fields.String(validate=one_of(STATUSES))
    category = fields.String(validate=one_of(CATEGORIES))
    buurt = fields.String(validate=known_buurt)
    wijk = fields.String(validate=known_wijk)
    urgency = fields.String(validate=one_of(URGENCIES))
    origin = fields.String(validate=one_of(["intake", "referral"]))
    overdue = fields.Boolean(metadata={"description": "only those past their first-contact deadline"})


class MoveSchema(Schema):
    reason = Text(allow_none=True, load_default=None, validate=validate.Length(max=1000),
                  metadata={"description": "why; kept in the request's history"})
    version = version_field()
    version.required, version.load_default = False, None


class ReferSchema(Schema):
    offer_id = fields.UUID(load_default=None, metadata={"description": "an offer of another partner, from the city directory"})
    volunteer_id = fields.UUID(load_default=None, metadata={
        "description": "or: another partner's volunteer, from the suggestions (their partner asks them)"})
    reason = Text(allow_none=True, load_default=None, validate=validate.Length(max=1000))
    expected_shared = fields.List(fields.String(validate=validate.OneOf(SHAREABLE)), load_default=None,
                                  validate=validate.Length(max=len(SHAREABLE)), metadata={
        "description": "optional: the personal data the coordinator was shown would go (referral-preview's "
                       "`shared`); the referral is refused with 409 unless it would share exactly that"})

    @validates_schema
    def one_destination(self, data, **_kwargs):
        if (data.get("offer_id") is None) == (data.get("volunteer_id") is None):
            raise ValidationError("Geef een offer_id of een volunteer_id, niet allebei (give an offer_id or a "
                                  "volunteer_id, one of them).", "offer_id")


class TransitionSchema(Schema):
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    at = fields.DateTime()
    by = fields.String()
    reason = fields.String(allow_none=True)


class ReferralSchema(Schema):
    id = fields.String()
    request_id = fields.String()
    direction = fields.String(metadata={"description": "outgoing (we referred) or incoming (we were referred to)"})
    partner = fields.String(metadata={"description": "the other side"})
    other_request_id = fields.String(allow_none=True)
    offer_id = fields.String(allow_none=True)
    volunteer_id = fields.String(allow_none=True)
    with_consent = fields.Boolean()
    shared = fields.List(fields.String(), metadata={"description": "the personal data that went along"})
    status = fields.String(metadata={"description": "sending (being handed over), sent, accepted, declined; "
                                                    "cancelling / cancelled when the handover was taken back"})
    sent_at = fields.DateTime()
    sent_by = fields.String()
    outcome_at = fields.DateTime(allow_none=True)
    contact = fields.Dict(allow_none=True, metadata={
        "description": "without consent: how the resident gets in touch with the other partner themselves"})


class DroppedCopySchema(Schema):
    referral_id = fields.String()
    request_id = fields.String(metadata={"description": "the request made for the referral, now withdrawn and erased"})
    dropped = fields.Boolean()


class HandoverAnswerSchema(Schema):
    request_id = fields.String()
    referral_id = fields.String()
    received = fields.List(fields.String(), metadata={"description": "the personal data received"})
