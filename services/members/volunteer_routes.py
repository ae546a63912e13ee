"""`GET /volunteer-suggestions`: the partner's own volunteers for a help request, named, for its
coordinators (the requests service asks it for a request's suggestions)."""
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from samen030.kernel.fit_schemas import AskSchema, ReasonSchema, ask_from
from samen030.kernel.web import service_db

from .volunteers import suggest_volunteers

blp = Blueprint("volunteer-suggestions", __name__, url_prefix="/volunteer-suggestions",
                description="Volunteers who fit a help request and agreed to be suggested")


class VolunteerSuggestionSchema(Schema):
    id = fields.String(metadata={"description": "the member id"})
    name = fields.String(allow_none=True)
    buurt = fields.String(allow_none=True)
    wijk = fields.String(allow_none=True)
    skills = fields.List(fields.String())
    languages = fields.List(fields.String())
    availability = fields.List(fields.Dict())
    score = fields.Integer()
    next_available = fields.DateTime(allow_none=True)
    reasons = fields.List(fields.Nested(ReasonSchema))


class VolunteerSuggestionsSchema(Schema):
    items = fields.List(fields.Nested(VolunteerSuggestionSchema))


@blp.route("")
@blp.arguments(AskSchema(), location="query")
@blp.response(200, VolunteerSuggestionsSchema)
@blp.doc(security=[{"bearer": []}])
def volunteer_suggestions(question: dict):
    """Volunteers whose skills, buurt, languages and availability fit; best first, with the reasons"""
    return {"items": suggest_volunteers(service_db(), ask_from(question))}
