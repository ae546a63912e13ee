"""The whole city's directory as one Open Referral HSDS 3.0 API, served from the read model only:
every partner is an organization, every offer a service (without what stays with the partner:
contact persons, addresses, the change log)."""
from flask import current_app, jsonify, request
from flask_smorest import Blueprint, abort
from marshmallow import fields, validate
from sqlalchemy import func, or_, select

from samen030.directory import hsds
from samen030.directory.hsds_routes import HSDS_OPENAPI, add_taxonomy_routes
from samen030.directory.schemas import known_buurt, known_wijk
from samen030.kernel.config import Partner
from samen030.kernel.geography import buurten
from samen030.kernel.taxonomy import TERMS_BY_ID
from samen030.kernel.web import PageArgs, Text, existing_id, service_db

from ..offer_view import LISTS
from ..readmodel import offers, opening_hours, places

blp = Blueprint("city-hsds", __name__, url_prefix="/hsds",
                description="All partners' offers as one Open Referral HSDS 3.0 API (read-only)")
add_taxonomy_routes(blp)


class CityServiceQuery(PageArgs):
    search = Text(validate=validate.Length(max=200), metadata={"description": "words in name or description"})
    taxonomy_term_id = fields.UUID()
    organization_id = fields.UUID(metadata={"description": "one partner's services"})
    full = fields.Boolean(load_default=False)
    minimal = fields.Boolean(load_default=False)
    buurt = fields.String(validate=known_buurt)
    wijk = fields.String(validate=known_wijk)


def _partners() -> dict:
    return current_app.config["FEDERATION"].partners


def _partner_by_organization() -> dict:
    return {hsds.organization_id(p.id): p for p in _partners().values()}


@blp.route("/")
def root():
    """About the city's HSDS API"""
    return jsonify(version=hsds.HSDS_VERSION, profile="https://samen030.nl/hsds-profiel",
                   openapi_url=request.url_root + "openapi.json", hsds_openapi_url=HSDS_OPENAPI)


@blp.route("/services")
@blp.arguments(CityServiceQuery, location="query", as_kwargs=True)
def services(page, per_page, full, minimal, search=None, taxonomy_term_id=None, organization_id=None, **areas):
    """All partners' services (HSDS paging)"""
    where = [offers.c[area] == code for area, code in areas.items()]
    if taxonomy_term_id:
        term = TERMS_BY_ID.get(str(taxonomy_term_id))
        code = term.code if term else "-"
        where.append(or_(offers.c.category == code, ("," + offers.c.terms + ",").contains(f",{code},")))
    if organization_id:
        partner = _partner_by_organization().get(str(organization_id))
        where.append(offers.c.partner == (partner.id if partner else "-"))
    if search:
        pattern = f"%{search.lower()}%"
        where.append(or_(func.lower(offers.c.name).like(pattern), func.lower(offers.c.description).like(pattern)))
    with service_db().connect() as conn:
        total = conn.execute(select(func.count()).select_from(offers).where(*where)).scalar_one()
        rows = conn.execute(select(offers).where(*where).order_by(offers.c.name, offers.c.id)
                            .limit(per_page).offset((page - 1) * per_page)).mappings().all()
        contents = [_service(conn, row, nested=full) for row in rows]
    if minimal:
        contents = [hsds.minimal(service) for service in contents]
    return jsonify(hsds.page(contents, total, page, per_page))


@blp.route("/services/<service_id>")
def one_service(service_id):
    """One service of any partner, nested as far as the read model knows it"""
    with service_db().connect() as conn:
        row = conn.execute(select(offers).where(offers.c.id == existing_id(service_id, "service"))).mappings().first()
        if row is None:
            abort(404, message=f"No service {service_id!r} in the city's directory.")
        return jsonify(_service(conn, row, nested=True))


@blp.route("/organizations")
@blp.arguments(PageArgs, location="query", as_kwargs=True)
def organizations(page, per_page):
    """The partners"""
    everyone = [hsds.organization(p) for p in _partners().values()]
    start = (page - 1) * per_page
    return jsonify(hsds.page(everyone[start:start + per_page], len(everyone), page, per_page))


@blp.route("/organizations/<organization_id>")
def one_organization(organization_id):
    """One partner, with its services"""
    partner = _partner_by_organization().get(existing_id(organization_id, "organization"))
    if partner is None:
        abort(404, message=f"No organization {organization_id!r} in the federation.")
    with service_db().connect() as conn:
        rows = conn.execute(select(offers).where(offers.c.partner == partner.id).order_by(offers.c.name)).mappings().all()
        listed = [_service(conn, row, nested=False) for row in rows]
    return jsonify(hsds.organization(partner) | {"services": listed})


def _service(conn, row, nested: bool) -> dict:
    partner = _partners().get(row["partner"]) or Partner(row["partner"], row["partner"])
    return hsds.service(_as_directory_offer(conn, row) if nested else _with_lists(row), partner, nested=nested)


def _location(place) -> dict:
    if place["buurt"] is None:
        return {"id": place["id"], "location_type": "virtual", "name": "Online"}
    known = buurten().get(place["buurt"])  # a partner's event may name a code this table lacks (a newer CBS year)
    return {"id": place["id"], "location_type": "physical", "name": known.name if known else place["buurt"],
            "buurt": place["buurt"]}


@blp.route("/service_at_locations")
@blp.arguments(PageArgs, location="query", as_kwargs=True)
def service_at_locations(page, per_page):
    """Where each service of the city is given (by buurt, or online)"""
    with service_db().connect() as conn:
        total = conn.execute(select(func.count()).select_from(places)).scalar_one()
        ids = conn.execute(select(places.c.id).order_by(places.c.offer_id, places.c.buurt)
                           .limit(per_page).offset((page - 1) * per_page)).scalars().all()
        contents = [_service_at_location(conn, place_id) for place_id in ids]
    return jsonify(hsds.page(contents, total, page, per_page))


@blp.route("/service_at_locations/<sal_id>")
def one_service_at_location(sal_id):
    """One service at one place"""
    with service_db().connect() as conn:
        found = _service_at_location(conn, existing_id(sal_id, "service_at_location"))
    if found is None:
        abort(404, message=f"No service_at_location {sal_id!r} in the city's directory.")
    return jsonify(found)


def _service_at_location(conn, place_id: str) -> dict | None:
    place = conn.execute(select(places).where(places.c.id == place_id)).mappings().first()
    row = place and conn.execute(select(offers).where(offers.c.id == place["offer_id"])).mappings().first()
    if not row:
        return None
    partner = _partners().get(row["partner"]) or Partner(row["partner"], row["partner"])
    return hsds.service_at_location(_location(place), _as_directory_offer(conn, row), partner)


def _with_lists(row) -> dict:
    offer = dict(row)
    for key in LISTS:
        offer[key] = [value for value in (offer.get(key) or "").split(",") if value]
    return offer


def _as_directory_offer(conn, row) -> dict:
    """The read model's offer in the shape the directory's HSDS mapping takes."""
    offer = _with_lists(row)
    hours = conn.execute(select(opening_hours).where(opening_hours.c.offer_id == row["id"])
                         .order_by(opening_hours.c.opens_at)).mappings().all()
    grouped: dict[tuple, list] = {}
    for h in hours:
        grouped.setdefault((h["opens_at"], h["closes_at"]), []).append(h["day"])
    offer["schedules"] = [{"id": hsds.derived_id("schedule", row["id"], opens, closes), "byday": ",".join(days),
                           "opens_at": opens, "closes_at": closes} for (opens, closes), days in grouped.items()]
    rows = conn.execute(select(places).where(places.c.offer_id == row["id"]).order_by(places.c.buurt)).mappings()
    offer["locations"] = [_location(place) for place in rows]
    return offer | {"contacts": [], "url": None, "fees_description": None, "eligibility_description": None}
