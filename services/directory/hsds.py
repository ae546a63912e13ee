"""A partner's directory in the shape of Open Referral HSDS 3.0: pure functions from our offers to
HSDS services, organizations, taxonomies and service-at-locations."""
import math
import uuid
from datetime import datetime

from samen030.kernel.config import Partner
from samen030.kernel.geography import buurt, wijken
from samen030.kernel.taxonomy import NAMESPACE, TAXONOMY_DESCRIPTION, TAXONOMY_ID, TAXONOMY_NAME, TERMS, Term
from samen030.kernel.validators import LANGUAGE_NAMES

HSDS_VERSION = "3.0"
BUURT_CODE_TYPE = "CBS buurtcode"
WIJK_CODE_TYPE = "CBS wijkcode"
UNDESCRIBED_FEES = "Er wordt een bijdrage gevraagd"


def derived_id(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(parts)))


def organization_id(partner_id: str) -> str:
    return derived_id("organization", partner_id)


def organization(partner: Partner) -> dict:
    return {"id": organization_id(partner.id), "name": partner.name,
            "description": partner.description or partner.name,
            "uri": partner.services.get("directory") or None}


def taxonomy() -> dict:
    return {"id": TAXONOMY_ID, "name": TAXONOMY_NAME, "description": TAXONOMY_DESCRIPTION, "version": "1"}


def taxonomy_term(term: Term) -> dict:
    return prune({"id": term.id, "code": term.code, "name": term.label_nl, "description": term.description,
                  "parent_id": term.parent_id, "taxonomy": TAXONOMY_NAME, "taxonomy_id": TAXONOMY_ID,
                  "language": "nl"})


def service(offer: dict, partner: Partner, nested: bool = True, changes: list[dict] = ()) -> dict:
    """An offer as an HSDS service: one-to-one fields, and with `nested` everything linked to it."""
    result = {
        "id": offer["id"], "organization_id": organization_id(partner.id), "name": offer["name"],
        "description": offer["description"], "url": offer.get("url"), "status": offer["status"],
        "fees_description": None if offer["free"] else offer.get("fees_description"),
        "eligibility_description": offer.get("eligibility_description"),
        "minimum_age": offer.get("minimum_age"), "maximum_age": offer.get("maximum_age"),
        "last_modified": _timestamp(offer["updated_at"]),
    }
    if nested:
        result |= {
            "organization": organization(partner),
            "languages": [{"id": derived_id("language", offer["id"], code), "service_id": offer["id"],
                           "code": code, "name": LANGUAGE_NAMES.get(code, code)} for code in offer["languages"]],
            "schedules": [schedule(s, offer["id"]) for s in offer["schedules"]],
            "service_areas": [service_area(offer["id"], code) for code in [offer["buurt"], *offer.get("areas", [])]],
            "service_at_locations": [service_at_location(loc, offer, partner, nested=False) for loc in offer["locations"]],
            "cost_options": [cost_option(offer)],
            "contacts": [contact(c, offer["id"]) for c in offer["contacts"]],
            "attributes": [attribute(offer["id"], TERMS[code]) for code in [offer["category"], *offer["terms"]]],
            "metadata": [metadata(c) for c in changes],
        }
    return prune(result)


def minimal(service: dict) -> dict:
    """A service with only what identifies it (`?minimal=true`)."""
    return {key: service[key] for key in ("id", "name", "status", "organization_id")}


def schedule(row: dict, service_id: str) -> dict:
    return {"id": row["id"], "service_id": service_id, "freq": "WEEKLY", "interval": 1, "wkst": "MO",
            "byday": row["byday"], "opens_at": f"{row['opens_at']}:00", "closes_at": f"{row['closes_at']}:00",
            "description": row.get("description")}


def service_area(service_id: str, code: str) -> dict:
    """A buurt or a whole wijk the service serves, by its CBS code."""
    if code.startswith("WK"):
        name, description, kind = wijken()[code], f"Heel {wijken()[code]}", WIJK_CODE_TYPE
    else:
        area = buurt(code)
        name, description, kind = area.name, f"{area.name}, {area.wijk_name}", BUURT_CODE_TYPE
    return {"id": derived_id("service_area", service_id, code), "service_id": service_id, "name": name,
            "description": description, "extent": code, "extent_type": kind}


def cost_option(offer: dict) -> dict:
    option = {"id": derived_id("cost_option", offer["id"]), "service_id": offer["id"], "currency": "EUR"}
    if offer["free"]:
        return option | {"option": "Gratis", "amount": 0}
    return option | {"option": offer.get("fees_description") or UNDESCRIBED_FEES}


def contact(row: dict, service_id: str) -> dict:
    phones = [{"id": derived_id("phone", row["id"]), "number": row["phone"], "type": "voice"}] if row.get("phone") else []
    return {"id": row["id"], "service_id": service_id, "name": row.get("name"), "title": row.get("title"),
            "email": row.get("email"), "phones": phones}


def attribute(service_id: str, term: Term) -> dict:
    return {"id": derived_id("attribute", service_id, term.code), "link_id": service_id, "link_type": "service",
            "link_entity": "service", "taxonomy_term_id": term.id, "taxonomy_term": taxonomy_term(term)}


def metadata(change: dict) -> dict:
    return {"id": change["id"], "resource_id": change["offer_id"], "resource_type": "service",
            "last_action_date": _timestamp(change["at"]), "last_action_type": change["action"],
            "field_name": change["field_name"], "previous_value": change["previous_value"],
            "replacement_value": change["replacement_value"], "updated_by": change["by"]}


def location(row: dict) -> dict:
    result = {"id": row["id"], "location_type": row["location_type"], "name": row.get("name"),
              "url": row.get("url"), "latitude": row.get("latitude"), "longitude": row.get("longitude"),
              "external_identifier": row.get("buurt"), "external_identifier_type": BUURT_CODE_TYPE if row.get("buurt") else None}
    if row.get("address_1") and row.get("postal_code"):
        result["addresses"] = [{"id": derived_id("address", row["id"]), "location_id": row["id"],
                                "address_1": row["address_1"], "city": row.get("city") or "Utrecht",
                                "state_province": "Utrecht", "postal_code": row["postal_code"], "country": "NL",
                                "address_type": "physical"}]
    return result


def service_at_location(row: dict, offer: dict, partner: Partner, nested: bool = True) -> dict:
    """A SAMEN030 location belongs to one offer, so its service-at-location shares the location's id."""
    result = {"id": row["id"], "service_id": offer["id"], "location_id": row["id"], "location": location(row),
              "schedules": [schedule(s, offer["id"]) for s in offer["schedules"]]}
    if nested:
        result["service"] = service(offer, partner, nested=False)
    return prune(result)


def page(contents: list, total: int, page_number: int, per_page: int) -> dict:
    total_pages = math.ceil(total / per_page) if total else 0
    return {"total_items": total, "total_pages": total_pages, "page_number": page_number, "size": len(contents),
            "first_page": page_number == 1, "last_page": page_number >= total_pages, "empty": not contents,
            "contents": contents}


def prune(value):
    """HSDS types its optional fields without null: leave out what we do not know."""
    if isinstance(value, dict):
        return {k: prune(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [prune(v) for v in value]
    return value


def _timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
