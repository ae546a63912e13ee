"""The partner's directory as an Open Referral HSDS 3.0 API (read-only, public)."""
from datetime import timezone

from flask import current_app, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import fields, validate

from samen030.kernel.taxonomy import TAXONOMY_ID, TERMS, TERMS_BY_ID
from samen030.kernel.web import PageArgs, Text, existing_id, service_db

from . import hsds
from . import offers as use_cases
from .schemas import known_buurt, known_wijk

blp = Blueprint("hsds", __name__, url_prefix="", description="Open Referral HSDS 3.0 (read-only)")
HSDS_OPENAPI = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/openapi.json"


class ServiceQuery(PageArgs):
    search = Text(validate=validate.Length(max=200), metadata={"description": "words in name or description"})
    taxonomy_term_id = fields.UUID()
    taxonomy_id = fields.UUID()
    organization_id = fields.UUID()
    modified_after = fields.AwareDateTime(default_timezone=timezone.utc)
    minimal = fields.Boolean(load_default=False, metadata={"description": "only id, name, status"})
    full = fields.Boolean(load_default=False, metadata={"description": "fully nested services"})
    buurt = fields.String(validate=known_buurt, metadata={"description": "CBS buurt code (SAMEN030 extension)"})
    wijk = fields.String(validate=known_wijk, metadata={"description": "CBS wijk code (SAMEN030 extension)"})
    postcode = fields.String(validate=validate.Regexp(r"^[1-9][0-9]{3}( ?[A-Z]{2})?$", error="Must be a postcode or its 4 digits."),
                             metadata={"description": "postcode or its 4 digits (SAMEN030 extension)"})


class TermQuery(PageArgs):
    taxonomy_id = fields.UUID()
    top_only = fields.Boolean(load_default=False)
    parent_id = fields.UUID()
    search = Text(validate=validate.Length(max=200))


def _partner():
    return current_app.config["PARTNER_INFO"]


@blp.route("/")
def root():
    """About this HSDS API"""
    return jsonify(version=hsds.HSDS_VERSION, profile="https://samen030.nl/hsds-profiel",
                   openapi_url=request.url_root + "openapi.json", hsds_openapi_url=HSDS_OPENAPI)


@blp.route("/services")
class Services(MethodView):
    @blp.arguments(ServiceQuery, location="query", as_kwargs=True)
    def get(self, page, per_page, minimal, full, search=None, taxonomy_term_id=None, taxonomy_id=None,
            organization_id=None, **criteria):
        """List services (HSDS paging)"""
        term = TERMS_BY_ID.get(str(taxonomy_term_id)) if taxonomy_term_id else None
        if ((taxonomy_term_id and term is None) or (taxonomy_id and str(taxonomy_id) != TAXONOMY_ID)
                or (organization_id and str(organization_id) != hsds.organization_id(_partner().id))):
            return jsonify(hsds.page([], 0, page, per_page))
        rows, total = use_cases.find_offers(service_db(), page, per_page, text=search, term=term and term.code, **criteria)
        contents = [hsds.service(row, _partner(), nested=full) for row in rows]
        if minimal:
            contents = [hsds.minimal(service) for service in contents]
        return jsonify(hsds.page(contents, total, page, per_page))


@blp.route("/services/<service_id>")
def one_service(service_id):
    """One service, fully nested"""
    offer = use_cases.get_offer(service_db(), existing_id(service_id, "service"))
    if offer is None:
        abort(404, message=f"No service {service_id!r} at {_partner().id}.")
    return jsonify(hsds.service(offer, _partner(), changes=use_cases.change_log(service_db(), offer["id"])))


@blp.route("/organizations")
@blp.arguments(PageArgs, location="query", as_kwargs=True)
def organizations(page, per_page):
    """The organization running this directory"""
    contents = [hsds.organization(_partner())] if page == 1 else []
    return jsonify(hsds.page(contents, 1, page, per_page))


@blp.route("/organizations/<organization_id>")
def one_organization(organization_id):
    """The organization, with its services"""
    if existing_id(organization_id, "organization") != hsds.organization_id(_partner().id):
        abort(404, message=f"No organization {organization_id!r} here.")
    rows, _total = use_cases.find_offers(service_db(), 1, 200)
    return jsonify(hsds.organization(_partner()) | {"services": [hsds.service(r, _partner(), nested=False) for r in rows]})


def add_taxonomy_routes(blp: Blueprint) -> None:
    """The SAMEN030 taxonomy in HSDS form; the same at every partner and at the gateway's /hsds."""

    @blp.route("/taxonomies")
    @blp.arguments(PageArgs, location="query", as_kwargs=True)
    def taxonomies(page, per_page):
        """The SAMEN030 taxonomy"""
        return jsonify(hsds.page([hsds.taxonomy()] if page == 1 else [], 1, page, per_page))

    @blp.route("/taxonomies/<taxonomy_id>")
    def one_taxonomy(taxonomy_id):
        """One taxonomy"""
        if existing_id(taxonomy_id, "taxonomy") != TAXONOMY_ID:
            abort(404, message=f"No taxonomy {taxonomy_id!r}.")
        return jsonify(hsds.taxonomy())

    @blp.route("/taxonomy_terms")
    @blp.arguments(TermQuery, location="query", as_kwargs=True)
    def taxonomy_terms(page, per_page, top_only, taxonomy_id=None, parent_id=None, search=None):
        """The terms of the SAMEN030 taxonomy, Dutch labels with English alongside"""
        terms = [t for t in TERMS.values()
                 if (not top_only or t.parent is None) and (not parent_id or t.parent_id == str(parent_id))
                 and (not taxonomy_id or str(taxonomy_id) == TAXONOMY_ID)
                 and (not search or search.lower() in t.description.lower())]
        start = (page - 1) * per_page
        contents = [hsds.taxonomy_term(t) for t in terms[start:start + per_page]]
        return jsonify(hsds.page(contents, len(terms), page, per_page))

    @blp.route("/taxonomy_terms/<term_id>")
    def one_taxonomy_term(term_id):
        """One term"""
        term = TERMS_BY_ID.get(existing_id(term_id, "taxonomy term"))
        if term is None:
            abort(404, message=f"No taxonomy term {term_id!r}.")
        return jsonify(hsds.taxonomy_term(term))


add_taxonomy_routes(blp)


@blp.route("/service_at_locations")
@blp.arguments(PageArgs, location="query", as_kwargs=True)
def service_at_locations(page, per_page):
    """Where each service is offered"""
    pairs, total = use_cases.list_locations(service_db(), page, per_page)
    contents = [hsds.service_at_location(p["location"], p["offer"], _partner()) for p in pairs]
    return jsonify(hsds.page(contents, total, page, per_page))


@blp.route("/service_at_locations/<sal_id>")
def one_service_at_location(sal_id):
    """One service at one location"""
    found = use_cases.find_location(service_db(), existing_id(sal_id, "service_at_location"))
    if found is None:
        abort(404, message=f"No service_at_location {sal_id!r} at {_partner().id}.")
    return jsonify(hsds.service_at_location(found["location"], found["offer"], _partner()))
