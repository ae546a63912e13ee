"""An Open Referral HSDS 3.0 service read as the fields of a SAMEN030 offer: the reverse of hsds.py, as
far as HSDS fits an offer. Nothing is validated here; OfferSchema does that, as for the HTTP API."""
import re
from dataclasses import dataclass, field

from samen030.kernel.taxonomy import TAXONOMY_ID, TERMS, TERMS_BY_ID, Term

from .hsds import BUURT_CODE_TYPE, UNDESCRIBED_FEES

BUURT_CODE = re.compile(r"^BU[0-9]{8}$")
AREA_CODE = re.compile(r"^(BU[0-9]{8}|WK[0-9]{6})$")
WHOLE_MINUTE = re.compile(r"^([0-9]{2}:[0-9]{2})(:00)?$")

# Service fields read below; any other field with a value is reported as not kept.
READ = {"id", "organization_id", "organization", "name", "description", "url", "status", "fees_description",
        "eligibility_description", "minimum_age", "maximum_age", "last_modified", "languages", "schedules",
        "service_areas", "service_at_locations", "cost_options", "contacts", "attributes"}
ONE_TO_ONE = ("name", "description", "url", "status", "eligibility_description", "minimum_age", "maximum_age")

# What to say when a required offer field found no source in the service at all.
MISSING = {
    "category": "Geen SAMEN030-categorie: geef een attribute met een taxonomy_term (code of id) uit de "
                "SAMEN030-taxonomie (No SAMEN030 category: add an attribute with a SAMEN030 taxonomy term).",
    "buurt": "Geen buurt: geef een service_area met als extent een CBS-buurtcode (bv. BU03440832) of een "
             "fysieke locatie met die code als external_identifier (No buurt: give a CBS buurt code as a "
             "service area's extent or a physical location's external_identifier).",
}

FieldPath = tuple  # keys and indexes into a nested HSDS service, e.g. ("service_at_locations", 0, "location")


@dataclass
class Mapped:
    fields: dict = field(default_factory=dict)  # input for OfferSchema().load
    origins: dict[FieldPath, FieldPath] = field(default_factory=dict)  # offer field path -> HSDS path it was read from
    problems: list[tuple[FieldPath, str]] = field(default_factory=list)  # what cannot become an offer at all
    not_kept: list[str] = field(default_factory=list)  # HSDS fields with a value that offers have no place for

    def read(self, key: str, found, origin: FieldPath) -> None:
        """An offer field read from `origin`; an absent one is left to OfferSchema's default or refusal."""
        self.origins[(key,)] = origin
        if found is not None:
            self.fields[key] = found

    def where(self, offer_path: FieldPath) -> FieldPath:
        """The HSDS path an error on `offer_path` (as OfferSchema reports it) is about."""
        for cut in range(len(offer_path), 0, -1):
            if offer_path[:cut] in self.origins:
                return self.origins[offer_path[:cut]] + tuple(offer_path[cut:])
        return tuple(offer_path)


def offer_fields(service: dict) -> Mapped:
    mapped = Mapped(not_kept=[key for key in service if key not in READ and _value(service, key) not in (None, [], {})])
    for key in ONE_TO_ONE:
        mapped.read(key, _value(service, key), (key,))
    _taxonomy(service, mapped)
    _cost(service, mapped)
    _languages(service, mapped)
    _locations(service, mapped)
    _buurt(service, mapped)
    _schedules(service, mapped)
    _contacts(service, mapped)
    return mapped


def _value(record: dict, key: str):
    """A field's value; empty text (as CSV has for every absent value) counts as absent."""
    found = record.get(key)
    return None if found == "" else found


def _objects(record: dict, key: str, path: FieldPath, mapped: Mapped) -> list[tuple[int, dict]]:
    """The objects of a list field with their indexes; anything else there is a problem."""
    found = record.get(key)
    if found is None:
        return []
    if not isinstance(found, list) or not all(isinstance(item, dict) for item in found):
        mapped.problems.append((path + (key,), "Moet een lijst van objecten zijn (must be a list of objects)."))
        return []
    return list(enumerate(found))


def _taxonomy(service: dict, mapped: Mapped) -> None:
    categories, terms = {}, {}
    for j, attribute in _objects(service, "attributes", (), mapped):
        term = _samen030_term(attribute)
        if term is not None:
            (terms if term.parent else categories).setdefault(term.code, ("attributes", j, "taxonomy_term"))
    if len(categories) > 1:
        mapped.problems.append((("attributes",), f"Meer dan één SAMEN030-categorie ({', '.join(categories)}); een aanbod "
                                                 "heeft er één (more than one category; an offer has one)."))
    category = next(iter(categories), None) or (TERMS[next(iter(terms))].parent if terms else None)
    mapped.read("category", category, categories.get(category) or next(iter(terms.values()), ("attributes",)))
    if terms:
        mapped.read("terms", list(terms), ("attributes",))
        mapped.origins.update({("terms", i): origin for i, origin in enumerate(terms.values())})


def _samen030_term(attribute: dict) -> Term | None:
    """The SAMEN030 term an attribute names by id, or by code unless it says it is of another taxonomy."""
    term = attribute.get("taxonomy_term") if isinstance(attribute.get("taxonomy_term"), dict) else {}
    for term_id in (term.get("id"), attribute.get("taxonomy_term_id")):
        if str(term_id) in TERMS_BY_ID:
            return TERMS_BY_ID[str(term_id)]
    code, taxonomy = term.get("code"), _value(term, "taxonomy_id")
    if isinstance(code, str) and code in TERMS and taxonomy in (None, TAXONOMY_ID):
        return TERMS[code]
    return None


def _cost(service: dict, mapped: Mapped) -> None:
    options = _objects(service, "cost_options", (), mapped)
    described = _value(service, "fees_description")
    free = all(_number(o.get("amount")) == 0 for _, o in options) if options else described is None
    mapped.read("free", free, ("cost_options",))
    if described is not None:
        mapped.read("fees_description", described, ("fees_description",))
    elif not free:
        priced = [(j, _option_text(o)) for j, o in options if _number(o.get("amount")) != 0 and _option_text(o)]
        if priced:
            mapped.read("fees_description", priced[0][1], ("cost_options", priced[0][0], "option"))


def _option_text(option: dict) -> str | None:
    text = _value(option, "option")
    amount = _number(option.get("amount"))
    price = " ".join(str(p) for p in (f"{amount:g}" if amount else None, _value(option, "currency"),
                                      _value(option, "amount_description")) if p)
    if text == UNDESCRIBED_FEES and not price:
        return None
    return ": ".join(str(p) for p in (text, price) if p) or None


def _number(found) -> float | None:
    try:
        return float(found)
    except (TypeError, ValueError):
        return None


def _languages(service: dict, mapped: Mapped) -> None:
    languages = _objects(service, "languages", (), mapped)
    if languages:
        mapped.read("languages", [_language_code(_value(lang, "code")) for _, lang in languages], ("languages",))
        mapped.origins.update({("languages", i): ("languages", j, "code") for i, (j, _) in enumerate(languages)})


def _language_code(code):
    """ISO 639-1 from a BCP 47 tag such as 'en-GB'; our offers keep the language, not the region."""
    return code.split("-")[0].lower() if isinstance(code, str) else code


def _locations(service: dict, mapped: Mapped) -> None:
    """Each service_at_location's location where the offer is given; postal addresses are not such a place."""
    places = []
    for j, at_location in _objects(service, "service_at_locations", (), mapped):
        location = at_location.get("location")
        if not isinstance(location, dict) or location.get("location_type") == "postal":
            mapped.not_kept.append("service_at_locations.location (postal)")
            continue
        path, i, place = ("service_at_locations", j, "location"), len(places), {}
        for key in ("location_type", "name", "url", "latitude", "longitude"):
            if _value(location, key) is not None:
                place[key] = _value(location, key)
        identifier = _value(location, "external_identifier")
        if identifier is not None and (location.get("external_identifier_type") == BUURT_CODE_TYPE
                                       or BUURT_CODE.match(str(identifier))):
            place["buurt"] = identifier
            mapped.origins[("locations", i, "buurt")] = path + ("external_identifier",)
        addresses = _objects(location, "addresses", path, mapped)
        k, address = next(((k, a) for k, a in addresses if _value(a, "address_type") in (None, "physical")),
                          addresses[0] if addresses else (None, None))
        for key in ("address_1", "postal_code", "city") if address else ():
            if _value(address, key) is not None:
                place[key] = _value(address, key)
                mapped.origins[("locations", i, key)] = path + ("addresses", k, key)
        mapped.origins[("locations", i)] = path
        places.append(place)
    if places:
        mapped.read("locations", places, ("service_at_locations",))


def _buurt(service: dict, mapped: Mapped) -> None:
    """The first service area's CBS buurt code, else the first physical location's buurt; the other
    service areas (buurt or wijk codes) are the offer's further areas."""
    extents = [(j, str(_value(area, "extent"))) for j, area in _objects(service, "service_areas", (), mapped)
               if _value(area, "extent") is not None]
    first = next(((j, code) for j, code in extents if BUURT_CODE.match(code)), None)
    others = [(j, code) for j, code in extents if (j, code) != first and AREA_CODE.match(code)]
    if others:
        mapped.read("areas", [code for _, code in others], ("service_areas",))
    if first:
        mapped.read("buurt", first[1], ("service_areas", first[0], "extent"))
        return
    for i, place in enumerate(mapped.fields.get("locations", [])):
        if place.get("location_type", "physical") == "physical" and place.get("buurt"):
            mapped.read("buurt", place["buurt"], mapped.origins[("locations", i, "buurt")])
            return
    mapped.read("buurt", None, ("service_areas",))


def _schedules(service: dict, mapped: Mapped) -> None:
    """Weekly opening hours: the service's schedules, else those of its service_at_locations."""
    found = [(("schedules", j), s) for j, s in _objects(service, "schedules", (), mapped)]
    if not found:
        seen = set()
        for j, at_location in _objects(service, "service_at_locations", (), mapped):
            for k, s in _objects(at_location, "schedules", ("service_at_locations", j), mapped):
                if s.get("id") is None or s.get("id") not in seen:
                    seen.add(s.get("id"))
                    found.append((("service_at_locations", j, "schedules", k), s))
    hours = []
    for path, schedule in found:
        if _value(schedule, "freq") not in (None, "WEEKLY") or _number(_value(schedule, "interval") or 1) != 1:
            mapped.problems.append((path + ("freq",), "Alleen wekelijkse openingstijden passen in een aanbod "
                                                      "(only weekly opening hours fit: freq WEEKLY, interval 1)."))
            continue
        mapped.origins[("schedules", len(hours))] = path
        hours.append({key: _time(_value(schedule, key)) for key in ("byday", "opens_at", "closes_at", "description")
                      if _value(schedule, key) is not None})
    if found:
        mapped.read("schedules", hours, ("schedules",))


def _time(found):
    """HSDS times have seconds; ours are whole minutes."""
    match = WHOLE_MINUTE.match(found) if isinstance(found, str) else None
    return match.group(1) if match else found


def _contacts(service: dict, mapped: Mapped) -> None:
    people = []
    for j, contact in _objects(service, "contacts", (), mapped):
        person = {key: _value(contact, key) for key in ("name", "title", "email") if _value(contact, key) is not None}
        phones = _objects(contact, "phones", ("contacts", j), mapped)
        if phones and _value(phones[0][1], "number") is not None:
            person["phone"] = _value(phones[0][1], "number")
            mapped.origins[("contacts", len(people), "phone")] = ("contacts", j, "phones", phones[0][0], "number")
        mapped.origins[("contacts", len(people))] = ("contacts", j)
        people.append(person)
    if people:
        mapped.read("contacts", people, ("contacts",))
