from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from samen030.kernel.web import fast_json, page_of, service_db

from ..freshness import read_model_state
from ..offer_view import listed, with_freshness
from ..schemas import SearchPageSchema, SearchQuerySchema
from ..search_index import search, search_words

UTRECHT = ZoneInfo("Europe/Amsterdam")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
blp = Blueprint("city-search", __name__, url_prefix="/api/v1/search",
                description="Search all partners' offers by words, from the gateway's read model")


@blp.route("")
class CitySearch(MethodView):

    @blp.arguments(SearchQuerySchema(), location="query", as_kwargs=True)
    @blp.response(200, SearchPageSchema)
    def get(self, q, page, per_page, open_now, language=None, free=None, open_at=None, **filters):
        """Search the offers of all partners by words, with facets per category and wijk"""
        filters |= offer_filters(language, free, datetime.now(UTRECHT) if open_now else open_at)
        words = search_words(q)
        with service_db().connect() as conn:
            version, fresh = read_model_state(conn, current_app.extensions["samen030.health"])
            key = ("search", tuple(words), tuple(sorted(filters.items())), page, per_page)
            items, total, facets = current_app.extensions["samen030.answers"].get(
                version, key, lambda: _listed(search(conn, words, filters, page, per_page)))
        items = [with_freshness(item, fresh) for item in items]
        return fast_json({**page_of(items, total, page, per_page), "facets": facets})


def _listed(answer):
    items, total, facets = answer
    return [listed(item) for item in items], total, facets


def offer_filters(language: str | None, free: bool | None, open_at: datetime | None) -> dict:
    """The search's bound parameters for the filters on what only the offers table knows."""
    filters = {}
    if language:
        filters["language"] = f",{language},"
    if free is not None:
        filters["free"] = free
    if open_at:
        local = open_at.astimezone(UTRECHT) if open_at.tzinfo else open_at.replace(tzinfo=UTRECHT)
        filters |= {"open_day": WEEKDAYS[local.weekday()], "open_time": local.strftime("%H:%M")}
    return filters
