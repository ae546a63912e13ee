from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import func, select

from samen030.kernel.web import PageArgs, existing_id, page_of, page_schema

from ..readmodel import offers
from ..schemas import CityOfferQuerySchema, CityOfferSchema

blp = Blueprint("city-offers", __name__, url_prefix="/api/v1/offers",
                description="All partners' offers, from the gateway's read model")


def _db():
    return current_app.extensions["samen030.db"]


@blp.route("")
class CityOffers(MethodView):
    @blp.arguments(CityOfferQuerySchema, location="query")
    @blp.arguments(PageArgs, location="query", as_kwargs=True)
    @blp.response(200, page_schema(CityOfferSchema))
    def get(self, filters, page, per_page):
        """Search the offers of all partners"""
        where = [offers.c.status == "active"] + [getattr(offers.c, k) == v for k, v in filters.items()]
        with _db().connect() as conn:
            total = conn.execute(select(func.count()).select_from(offers).where(*where)).scalar_one()
            rows = conn.execute(select(offers).where(*where).order_by(offers.c.name, offers.c.id)
                                .limit(per_page).offset((page - 1) * per_page)).mappings().all()
        return page_of(list(rows), total, page, per_page)


@blp.route("/<offer_id>")
class CityOffer(MethodView):
    @blp.response(200, CityOfferSchema)
    def get(self, offer_id):
        """Show one offer of any partner"""
        with _db().connect() as conn:
            row = conn.execute(select(offers).where(offers.c.id == existing_id(offer_id, "offer"))).mappings().first()
        if row is None:
            abort(404, message=f"No offer {offer_id!r} in the city's directory.")
        return row
