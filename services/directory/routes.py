from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from samen030.kernel.web import PageArgs, existing_id, page_of, page_schema, service_db, service_partner

from . import offers as use_cases
from .schemas import OfferQuerySchema, OfferSchema, StatusChangeSchema, offer_update_schema

blp = Blueprint("offers", __name__, url_prefix="/offers", description="The partner's offers (aanbod)")
OfferPage = page_schema(OfferSchema)


def _with_partner(row) -> dict:
    return {**row, "partner": service_partner()}


@blp.route("")
class Offers(MethodView):
    @blp.arguments(OfferQuerySchema, location="query")
    @blp.arguments(PageArgs, location="query", as_kwargs=True)
    @blp.response(200, OfferPage)
    def get(self, filters, page, per_page):
        """List the partner's offers"""
        rows, total = use_cases.find_offers(service_db(), page, per_page, **filters)
        return page_of([_with_partner(r) for r in rows], total, page, per_page)

    @blp.arguments(OfferSchema)
    @blp.response(201, OfferSchema)
    @blp.doc(security=[{"bearer": []}])
    def post(self, fields):
        """Create an offer"""
        return _with_partner(use_cases.create_offer(service_db(), service_partner(), fields, g.principal.user))


@blp.route("/<offer_id>")
class Offer(MethodView):
    @blp.response(200, OfferSchema)
    def get(self, offer_id):
        """Show one offer"""
        row = use_cases.get_offer(service_db(), existing_id(offer_id, "offer"))
        if row is None:
            abort(404, message=f"No offer {offer_id!r} at {service_partner()}.")
        return _with_partner(row)

    @blp.arguments(offer_update_schema())
    @blp.response(200, OfferSchema)
    @blp.doc(security=[{"bearer": []}])
    def patch(self, changes, offer_id):
        """Change an offer; send the version you changed"""
        return _update(offer_id, changes)


def _update(offer_id: str, changes: dict) -> dict:
    try:
        row = use_cases.update_offer(service_db(), service_partner(), existing_id(offer_id, "offer"), changes, g.principal.user)
    except use_cases.StaleVersion as exc:
        abort(409, message=str(exc))
    except use_cases.InvalidChange as exc:
        abort(422, errors={"json": exc.errors}, message="The change leaves the offer inconsistent.")
    if row is None:
        abort(404, message=f"No offer {offer_id!r} at {service_partner()}.")
    return _with_partner(row)


def _status_action(path: str, status: str, summary: str):
    @blp.route(f"/<offer_id>/{path}", methods=["POST"], endpoint=path)
    @blp.arguments(StatusChangeSchema)
    @blp.response(200, OfferSchema)
    @blp.doc(security=[{"bearer": []}], summary=summary)
    def action(body, offer_id):
        return _update(offer_id, {"version": body["version"], "status": status})
    return action


close_temporarily = _status_action("close-temporarily", "temporarily closed", "Close an offer for a while")
reopen = _status_action("reopen", "active", "Open a closed offer again")
withdraw = _status_action("withdraw", "defunct", "Withdraw an offer for good")
