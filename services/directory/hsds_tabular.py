"""The tabular form of Open Referral HSDS 3.0: one CSV file per table (names and columns as the HSDS
3.0 datapackage has them), linked by ids, in a directory or a .zip. Read into services nested as the
HSDS API nests them, and written from such services."""
import csv
import io
import zipfile
from pathlib import Path

COLUMNS = {
    "organizations.csv": ["id", "name", "alternate_name", "description", "email", "website", "tax_status", "tax_id",
                          "year_incorporated", "legal_status", "logo", "uri", "parent_organization_id"],
    "services.csv": ["id", "organization_id", "program_id", "name", "alternate_name", "description", "url", "email",
                     "status", "interpretation_services", "application_process", "fees_description", "wait_time",
                     "fees", "accreditations", "eligibility_description", "minimum_age", "maximum_age",
                     "assured_date", "assurer_email", "licenses", "alert", "last_modified"],
    "service_at_location.csv": ["id", "service_id", "location_id", "description"],
    "locations.csv": ["id", "location_type", "url", "organization_id", "name", "alternate_name", "description",
                      "transportation", "latitude", "longitude", "external_identifier", "external_identifier_type"],
    "addresses.csv": ["id", "location_id", "attention", "address_1", "address_2", "city", "region", "state_province",
                      "postal_code", "country", "address_type"],
    "schedules.csv": ["id", "service_id", "location_id", "service_at_location_id", "valid_from", "valid_to", "dtstart",
                      "timezone", "until", "count", "wkst", "freq", "interval", "byday", "byweekno", "bymonthday",
                      "byyearday", "description", "opens_at", "closes_at", "schedule_link", "attending_type", "notes"],
    "service_areas.csv": ["id", "service_id", "name", "description", "extent", "extent_type", "uri"],
    "languages.csv": ["id", "service_id", "location_id", "phone_id", "name", "code", "note"],
    "cost_options.csv": ["id", "service_id", "valid_from", "valid_to", "option", "currency", "amount",
                         "amount_description"],
    "contacts.csv": ["id", "organization_id", "service_id", "service_at_location_id", "location_id", "name", "title",
                     "department", "email"],
    "phones.csv": ["id", "location_id", "service_id", "organization_id", "contact_id", "service_at_location_id",
                   "number", "extension", "type", "description"],
    "attributes.csv": ["id", "link_id", "taxonomy_term_id", "link_type", "link_entity", "value"],
    "taxonomy_terms.csv": ["id", "code", "name", "description", "parent_id", "taxonomy", "language", "taxonomy_id",
                           "term_uri"],
    "taxonomies.csv": ["id", "name", "description", "uri", "version"],
}
# HSDS 3.0 calls the file service_at_location.csv; the plural, as other tools write it, is read too.
ALIASES = {"service_at_locations.csv": "service_at_location.csv"}
# Lists of a service, each from a file whose rows name the service in service_id.
SERVICE_LISTS = {"schedules": "schedules.csv", "service_areas": "service_areas.csv", "languages": "languages.csv",
                 "cost_options": "cost_options.csv", "contacts": "contacts.csv"}

Origin = tuple[str, int]  # file name and spreadsheet row (the header is row 1)


def load_tables(source: Path) -> tuple[dict[str, list[dict]], list[str]]:
    """The HSDS tables in a directory or .zip, and the names of the files there that are not read."""
    if source.is_dir():
        return _read_tables({p.name: p.read_bytes for p in source.iterdir() if p.is_file()}, source.name)
    with zipfile.ZipFile(source) as archive:
        return _read_tables({Path(name).name: (lambda name=name: archive.read(name))
                             for name in archive.namelist() if not name.endswith("/")}, source.name)


def _read_tables(files: dict, source: str) -> tuple[dict[str, list[dict]], list[str]]:
    known = {ALIASES.get(name, name): name for name in files if ALIASES.get(name, name) in COLUMNS}
    if "services.csv" not in known:
        raise ValueError(f"{source}: geen services.csv gevonden (no services.csv found)")
    tables = {table: _rows(files[name]().decode("utf-8-sig")) for table, name in known.items()}
    return tables, sorted(name for name in files if name not in known.values())


def _rows(text: str) -> list[dict]:
    header = text.split("\n", 1)[0]
    # A spreadsheet set to Dutch saves CSV with semicolons.
    delimiter = ";" if header.count(";") > header.count(",") else ","
    return [{k: v for k, v in row.items() if k is not None and v not in (None, "")}
            for row in csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)]


def nest(tables: dict[str, list[dict]]) -> tuple[list[tuple[dict, dict]], list[tuple[Origin, str, str]]]:
    """Each services.csv row as a nested HSDS service with the origins of its parts (path into the
    service -> file and row), and the rows that name a service, location or contact that is not there
    ((file, row), column, message)."""
    services, origins, dangling = [], [], []
    by_id, places, people, terms = {}, {}, {}, {}

    def rows(table):
        return ((n, dict(row)) for n, row in enumerate(tables.get(table, []), start=2))

    def attach(i: int, path: tuple, origin: Origin, item: dict) -> int:
        """Append `item` to the list at `path` in service i; returns its index there."""
        parent = services[i]
        for key in path[:-1]:
            parent = parent[key]
        items = parent.setdefault(path[-1], [])
        origins[i][path + (len(items),)] = origin
        items.append(item)
        return len(items) - 1

    def missing(origin: Origin, column: str, wanted: str, where: str) -> None:
        dangling.append((origin, column, f"Onbekende {column} {wanted!r}: niet in {where} (not in {where})."))

    for number, row in rows("services.csv"):
        by_id.setdefault(row.get("id"), len(services))
        services.append(row)
        origins.append({(): ("services.csv", number)})
    for number, term in rows("taxonomy_terms.csv"):
        terms[term.get("id")] = (term, ("taxonomy_terms.csv", number))
    locations = {row.get("id"): (number, row) for number, row in rows("locations.csv")}
    addresses = {}
    for number, row in rows("addresses.csv"):
        addresses.setdefault(row.get("location_id"), []).append((number, row))

    for key, table in SERVICE_LISTS.items():
        for number, row in rows(table):
            if row.get("service_id") in by_id:
                j = attach(by_id[row["service_id"]], (key,), (table, number), row)
                if key == "contacts":
                    people[row.get("id")] = (by_id[row["service_id"]], ("contacts", j))
            elif row.get("service_id"):
                missing((table, number), "service_id", row["service_id"], "services.csv")

    for number, row in rows("service_at_location.csv"):
        if row.get("service_id") not in by_id:
            missing(("service_at_location.csv", number), "service_id", row.get("service_id", ""), "services.csv")
            continue
        if row.get("location_id") not in locations:
            missing(("service_at_location.csv", number), "location_id", row.get("location_id", ""), "locations.csv")
            continue
        i = by_id[row["service_id"]]
        j = attach(i, ("service_at_locations",), ("service_at_location.csv", number), row)
        place_number, place = locations[row["location_id"]]
        row["location"] = dict(place)  # a copy: in HSDS several services may share a location
        origins[i][("service_at_locations", j, "location")] = ("locations.csv", place_number)
        for address_number, address in addresses.get(row["location_id"], []):
            attach(i, ("service_at_locations", j, "location", "addresses"), ("addresses.csv", address_number),
                   dict(address))
        places[row.get("id")] = (i, ("service_at_locations", j))

    for number, row in rows("schedules.csv"):
        if not row.get("service_id") and row.get("service_at_location_id") in places:
            i, path = places[row["service_at_location_id"]]
            attach(i, path + ("schedules",), ("schedules.csv", number), row)

    for number, row in rows("phones.csv"):
        if row.get("contact_id") in people:
            i, path = people[row["contact_id"]]
            attach(i, path + ("phones",), ("phones.csv", number), row)
        elif row.get("service_id") in by_id and not row.get("contact_id"):
            attach(by_id[row["service_id"]], ("phones",), ("phones.csv", number), row)

    for number, row in rows("attributes.csv"):
        if row.get("link_id") not in by_id:
            if row.get("link_entity") == "service":
                missing(("attributes.csv", number), "link_id", row.get("link_id", ""), "services.csv")
            continue
        if row.get("link_entity", "service") != "service":
            continue
        i = by_id[row["link_id"]]
        j = attach(i, ("attributes",), ("attributes.csv", number), row)
        if row.get("taxonomy_term_id") in terms:
            term, origin = terms[row["taxonomy_term_id"]]
            row["taxonomy_term"] = term
            origins[i][("attributes", j, "taxonomy_term")] = origin

    return list(zip(services, origins)), dangling


def flatten(services: list[dict], organizations: list[dict] = (), taxonomies: list[dict] = ()) -> dict[str, list[dict]]:
    """The tables of nested HSDS services (as hsds.service gives them); taxonomy terms once each."""
    tables = {name: [] for name in COLUMNS}
    tables["organizations.csv"] += organizations
    tables["taxonomies.csv"] += taxonomies
    terms = {}
    for service in services:
        tables["services.csv"].append(service)
        for key, table in SERVICE_LISTS.items():
            tables[table] += service.get(key, [])
        for contact in service.get("contacts", []):
            tables["phones.csv"] += [{**phone, "contact_id": contact["id"]} for phone in contact.get("phones", [])]
        for at_location in service.get("service_at_locations", []):
            tables["service_at_location.csv"].append(at_location)
            tables["locations.csv"].append(at_location["location"])
            tables["addresses.csv"] += at_location["location"].get("addresses", [])
        for attribute in service.get("attributes", []):
            tables["attributes.csv"].append(attribute)
            terms.setdefault(attribute["taxonomy_term_id"], attribute["taxonomy_term"])
    tables["taxonomy_terms.csv"] += terms.values()
    return tables


def save_tables(tables: dict[str, list[dict]], target: Path) -> None:
    """Every table as a CSV file with all its HSDS columns, into a directory or (target *.zip) a zip file."""
    texts = {name: _csv(COLUMNS[name], rows) for name, rows in tables.items()}
    if target.suffix.lower() == ".zip":
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in texts.items():
                archive.writestr(name, text)
    else:
        target.mkdir(parents=True, exist_ok=True)
        for name, text in texts.items():
            (target / name).write_text(text, "utf-8", newline="")


def _csv(columns: list[str], rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({key: _cell(row.get(key)) for key in columns} for row in rows)
    return out.getvalue()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
