"""The one endpoint of the requests service open without a token: a resident's own question from the
web (the shared portal, or any form that posts here). It always comes in on channel `web`, with only
the consents the resident ticked (given online), never for a member record, at normal urgency; the
answer names the reference and the deadline, nothing the resident typed. Limited per sender."""
import os

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from samen030.kernel.rate_limit import SlidingWindow
from samen030.kernel.validators import not_blank
from samen030.kernel.web import Text, service_db, service_partner

from . import help_requests as use_cases
from .consents import PURPOSES
from .schemas import QuestionSchema, one_of

PATH = "/public/questions"
blp = Blueprint("public-questions", __name__, url_prefix="/public",
                description="A resident's question from the web, without a token (rate-limited)")


class WebQuestionSchema(QuestionSchema):
    class Meta:
        exclude = ("urgency",)

    question = Text(required=True, validate=[validate.Length(max=4000), not_blank],
                    metadata={"description": "in the resident's words"})
    consents = fields.List(fields.String(validate=one_of(PURPOSES)), load_default=list, validate=validate.Length(max=3),
                           metadata={"description": "the purposes the resident agreed to, each ticked by them"})

    @validates_schema
    def consents_fit(self, data, **_kwargs):
        purposes = data.get("consents", [])
        if len(set(purposes)) < len(purposes):
            raise ValidationError("Each purpose at most once.", "consents")
        for purpose, field in (("contact_phone", "phone"), ("contact_email", "email")):
            if purpose in purposes and not data.get(field):
                raise ValidationError(f"Consent {purpose} needs a {field}.", "consents")


class ReceivedSchema(Schema):
    reference = fields.String(metadata={"description": "the request's id: quote it when asking about it"})
    partner = fields.String()
    status = fields.String()
    received_at = fields.DateTime()
    first_contact_due = fields.DateTime(metadata={"description": "by when the partner makes first contact"})


def limiter() -> SlidingWindow:
    limit = current_app.extensions.get("samen030.public-intake-limit")
    if limit is None:
        limit = current_app.extensions["samen030.public-intake-limit"] = SlidingWindow(
            int(os.environ.get("SAMEN030_PUBLIC_QUESTIONS_PER_MINUTE", 60)), 60)
    return limit


@blp.route("/questions")
class WebQuestions(MethodView):
    @blp.arguments(WebQuestionSchema)
    @blp.response(201, ReceivedSchema)
    def post(self, fields):
        """Ask the partner a question from the web (channel web, no token; 429 when one sender asks too often)"""
        sender = request.remote_addr or "?"
        if not limiter().allow(sender):
            abort(429, message="Te veel vragen achter elkaar (too many questions in a row); probeer het over "
                               "een paar minuten opnieuw.", headers={"Retry-After": str(limiter().retry_after(sender))})
        fields |= {"channel": "web", "urgency": "normal", "member_id": None,
                   "consents": [{"purpose": purpose, "how": "online"} for purpose in fields["consents"]]}
        taken = use_cases.take_in(service_db(), service_partner(), fields, "web")
        return {"reference": taken["id"], "partner": service_partner(), "status": taken["status"],
                "received_at": taken["received_at"], "first_contact_due": taken["first_contact_due"]}
