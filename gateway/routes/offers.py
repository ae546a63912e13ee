from functools import cache

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import bindparam, func, select

from samen030.kernel.web import existing_id, fast_json, page_of, page_schema, service_db

from ..freshness import read_model_state
from ..offer_view import listed, with_freshness
from ..readmodel import offers
from ..schemas import CityOfferQuerySchema, CityOfferSchema

blp = Blueprint("city-offers", __name__, url_prefix="/api/v1/offers",
                description="All partners' offers, from the gateway's read model")


@blp.route("")
class CityOffers(MethodView):
    @blp.arguments(CityOfferQuerySchema(), location="query", as_kwargs=True)
    @blp.response(200, page_schema(CityOfferSchema))
    def get(self, page, per_page, **filters):
        """Search the offers of all partners"""
        with service_db().connect() as conn:
            version, fresh = read_model_state(conn, current_app.extensions["samen030.health"])
            key = ("offers", tuple(sorted(filters.items())), page, per_page)
            items, total = current_app.extensions["samen030.answers"].get(
                version, key, lambda: _page(conn, filters, page, per_page))
        return fast_json(page_of([with_freshness(item, fresh) for item in items], total, page, per_page))


def _page(conn, filters: dict, page: int, per_page: int) -> tuple[list, int]:
    count, page_query = _search_queries(tuple(sorted(filters)))
    total = conn.execute(count, filters).scalar_one()
    rows = conn.execute(page_query, {**filters, "limit": per_page, "offset": (page - 1) * per_page})
    keys = list(rows.keys())
    return [listed(dict(zip(keys, row))) for row in rows], total


@cache
def _search_queries(filter_names: tuple[str, ...]):
    """The count and page statements for one combination of filters, built once."""
    where = [offers.c.status == "active"] + [offers.c[name] == bindparam(name) for name in filter_names]
    count = select(func.count()).select_from(offers).where(*where)
    page = (select(offers).where(*where).order_by(offers.c.name, offers.c.id)
            .limit(bindparam("limit")).offset(bindparam("offset")))
    return count, page


@blp.route("/<offer_id>")
class CityOffer(MethodView):
    @blp.response(200, CityOfferSchema)
    def get(self, offer_id):
        """Show one offer of any partner"""
        with service_db().connect() as conn:
            row = conn.execute(select(offers).where(offers.c.id == existing_id(offer_id, "offer"))).mappings().first()
            if row is None:
                abort(404, message=f"No offer {offer_id!r} in the city's directory.")
            _version, fresh = read_model_state(conn, current_app.extensions["samen030.health"])
            return fast_json(with_freshness(listed(row), fresh))
