from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from samen030.kernel.web import fast_json, page_of

from ..schemas import SearchPageSchema, SearchQuerySchema
from ..search_index import search, search_words

blp = Blueprint("city-search", __name__, url_prefix="/api/v1/search",
                description="Search all partners' offers by words, from the gateway's read model")


@blp.route("")
class CitySearch(MethodView):
    validates_query_characters = True  # q and the filters refuse a NUL with a 422 naming the field

    @blp.arguments(SearchQuerySchema(), location="query", as_kwargs=True)
    @blp.response(200, SearchPageSchema)
    def get(self, q, page, per_page, **filters):
        """Search the offers of all partners by words, with facets per category and wijk"""
        with current_app.extensions["samen030.db"].connect() as conn:
            items, total, facets = search(conn, search_words(q), filters, page, per_page)
        return fast_json({**page_of(items, total, page, per_page), "facets": facets})
