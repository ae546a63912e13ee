from datetime import datetime

from flask import current_app
from flask_smorest import Blueprint

from samen030.kernel.fit import Ask
from samen030.kernel.fit_schemas import AskSchema
from samen030.kernel.web import fast_json

from ..freshness import read_model_state
from ..offer_view import with_freshness
from ..request_schemas import SuggestionsSchema
from ..suggestions import suggestions
from .search import UTRECHT

blp = Blueprint("suggestions", __name__, url_prefix="/api/v1/suggestions",
                description="Offers that fit a help request, with the reasons, from the gateway's read model")


@blp.route("")
@blp.arguments(AskSchema(), location="query", as_kwargs=True)
@blp.response(200, SuggestionsSchema)
def suggest(category, buurt, limit, terms=(), languages=(), at=None, exclude_partner=None):
    """Offers that fit a request: category, near its buurt, open, in a language spoken; best first"""
    at = datetime.now(UTRECHT) if at is None else at if at.tzinfo else at.replace(tzinfo=UTRECHT)
    ask = Ask(category, buurt, at, tuple(dict.fromkeys(terms)), tuple(dict.fromkeys(languages)), exclude_partner, limit)
    with current_app.extensions["samen030.db"].connect() as conn:
        _version, fresh = read_model_state(conn, current_app.extensions["samen030.health"])
        found = suggestions(conn, ask)
    return fast_json({"items": [with_freshness(offer, fresh) for offer in found]})
