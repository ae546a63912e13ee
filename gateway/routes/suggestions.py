from flask import current_app
from flask_smorest import Blueprint, abort

from samen030.kernel.fit_schemas import AskSchema, ask_from
from samen030.kernel.web import existing_id, fast_json, service_db

from ..freshness import read_model_state
from ..offer_view import with_freshness
from ..request_schemas import SuggestionsSchema, VolunteerProfileSchema, VolunteerProfilesSchema
from ..suggestions import suggestions
from ..volunteers import volunteer_profile, volunteer_profiles

blp = Blueprint("suggestions", __name__, url_prefix="/api/v1/suggestions",
                description="Offers that fit a help request, with the reasons, from the gateway's read model")


@blp.route("")
@blp.arguments(AskSchema(), location="query")
@blp.response(200, SuggestionsSchema)
def suggest(question: dict):
    """Offers that fit a request: category, near its buurt, open, in a language spoken; best first"""
    with service_db().connect() as conn:
        _version, fresh = read_model_state(conn, current_app.extensions["samen030.health"])
        found = suggestions(conn, ask_from(question))
    return fast_json({"items": [with_freshness(offer, fresh) for offer in found]})


@blp.route("/volunteers")
@blp.arguments(AskSchema(), location="query")
@blp.response(200, VolunteerProfilesSchema)
def suggest_volunteers(question: dict):
    """Volunteers of the partners (leave the asking one out with exclude_partner) in the request's wijk who
    agreed to be suggested, as anonymous profiles: skills, buurt, languages, availability; best first"""
    with service_db().connect() as conn:
        return {"items": volunteer_profiles(conn, ask_from(question))}


@blp.route("/volunteers/<volunteer_id>")
@blp.response(200, VolunteerProfileSchema)
def show_volunteer(volunteer_id):
    """One volunteer's anonymous profile, while they agree to be suggested (404 otherwise)"""
    with service_db().connect() as conn:
        profile = volunteer_profile(conn, existing_id(volunteer_id, "volunteer"))
    if profile is None:
        abort(404, message=f"Geen vrijwilliger {volunteer_id[:64]!r} die gesuggereerd wil worden "
                           "(no volunteer who agreed to be suggested).")
    return profile
