"""Bulk import and export of a partner's directory as HSDS 3.0 (JSON and CSV), on real databases:
validated as the HTTP API validates, all or nothing, one event per offer without personal data,
and export → import gives the same offers back."""
import copy
import io
import json
import random
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from samen030.directory import exporting, importing
from samen030.directory import offers as directory
from samen030.directory.schemas import OfferSchema
from samen030.directory.tables import metadata, offers, outbox
from samen030.kernel.config import Partner
from samen030.kernel.taxonomy import TERMS
from tests.hsds import assert_valid
from tests.integration.test_directory_hsds import generated_offer

PARTNER = "krachtstation"
HSDS_EXAMPLE = Path(__file__).parents[1] / "data" / "hsds-3.0" / "examples" / "service_full.json"
OTHER_ORGANIZATION = "5b3e1f0a-7c2d-4e8f-9a10-2b3c4d5e6f70"
PERSONAL = ("Fatima El Amrani", "fatima@example.nl", "06 12345678", "Jan Jansen", "jan@example.nl")


def foreign_service(n: int, **changes) -> dict:
    """An HSDS service as another organization's system would publish it."""
    service = {
        "id": f"taal-{n}", "organization_id": OTHER_ORGANIZATION, "name": f"Taalcafé {n}",
        "description": "Nederlands oefenen met buren.", "status": "active", "alternate_name": "Taalcafé",
        "attributes": [{"id": "a1", "link_entity": "service",
                        "taxonomy_term": {"id": "e3c1", "code": "taal", "name": "Taal", "description": "Taal"}}],
        "service_areas": [{"id": "sa1", "extent": "BU03440832", "extent_type": "CBS buurtcode"}],
        "languages": [{"id": "l1", "code": "nl"}, {"id": "l2", "code": "ar-MA"}],
        "cost_options": [{"id": "c1", "option": "Per keer", "amount": 2, "currency": "EUR"}],
        "schedules": [{"id": "s1", "freq": "WEEKLY", "interval": 1, "byday": "TU,TH", "opens_at": "10:00:00",
                       "closes_at": "12:00:00"}],
        "service_at_locations": [{"id": "sal1", "location": {
            "id": "loc1", "location_type": "physical", "name": "Buurthuis", "latitude": 52.07, "longitude": 5.09,
            "external_identifier": "BU03440831", "external_identifier_type": "CBS buurtcode",
            "addresses": [{"id": "ad1", "address_1": "Marshallaan 2", "city": "Utrecht", "postal_code": "3527 TK",
                           "state_province": "Utrecht", "country": "NL", "address_type": "physical"}]}}],
        "contacts": [{"id": "ct1", "name": "Fatima El Amrani", "email": "fatima@example.nl",
                      "phones": [{"id": "p1", "number": "06 12345678"}]}],
    }
    return service | changes


def write_json(path: Path, services) -> Path:
    path.write_text(json.dumps(services, ensure_ascii=False), "utf-8")
    return path


def run_import(db, path: Path, partner: str = PARTNER, **options) -> importing.ImportResult:
    return importing.import_services(db, partner, importing.read_batch(path), "importer", **options)


def counts(db) -> tuple[int, int]:
    with db.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one() for t in (offers, outbox))


def events(db) -> list[dict]:
    with db.connect() as conn:
        return [json.loads(p) for p in conn.execute(select(outbox.c.payload).order_by(outbox.c.seq)).scalars()]


def refused(result) -> list[tuple]:
    return [(r.file, r.row, r.index, r.field) for r in result.refusals]


@pytest.fixture
def db(databases):
    return databases.open(PARTNER, "directory", metadata)


def test_json_import_maps_hsds_onto_offers(db, tmp_path):
    result = run_import(db, write_json(tmp_path / "aanbod.json", {"contents": [foreign_service(1), foreign_service(2)]}))

    assert result.refusals == [] and len(result.created) == 2 and result.not_kept == {"alternate_name": 2}
    offer = directory.get_offer(db, result.created[0])
    assert (offer["name"], offer["category"], offer["terms"], offer["buurt"], offer["wijk"]) == (
        "Taalcafé 1", "informatie", ["taal"], "BU03440832", "WK034408")
    assert (offer["free"], offer["fees_description"], offer["languages"]) == (False, "Per keer: 2 EUR", ["nl", "ar"])
    assert [(s["byday"], s["opens_at"], s["closes_at"]) for s in offer["schedules"]] == [("TU,TH", "10:00", "12:00")]
    place = offer["locations"][0]
    assert (place["name"], place["address_1"], place["postal_code"], place["buurt"], place["wijk"]) == (
        "Buurthuis", "Marshallaan 2", "3527 TK", "BU03440831", "WK034408")
    assert [(c["name"], c["email"], c["phone"]) for c in offer["contacts"]] == [
        ("Fatima El Amrani", "fatima@example.nl", "06 12345678")]
    assert offer["version"] == 1 and directory.change_log(db, offer["id"])[0]["by"] == "importer"


def test_every_imported_offer_has_one_event_without_personal_data(db, tmp_path):
    result = run_import(db, write_json(tmp_path / "aanbod.json", [foreign_service(n) for n in range(5)]))

    found = events(db)
    assert [e["subject"] for e in found] == result.created
    assert {e["type"] for e in found} == {"nl.samen030.directory.offer.created.v1"}
    assert all(e["data"]["version"] == 1 and e["data"]["location_buurten"] == ["BU03440831"] for e in found)
    with db.connect() as conn:
        payloads = b"".join(conn.execute(select(outbox.c.payload)).scalars()).decode()
    assert not [word for word in PERSONAL + ("Marshallaan", "3527 TK") if word in payloads]


def csv_files(folder: Path, delimiter: str = ",") -> Path:
    """HSDS CSV files as a spreadsheet would give them: ids of this system, rows in several files."""
    files = {
        "services.csv": ["id,name,description,status,minimum_age",
                         "s1,Repair café Transwijk,Samen repareren.,active,",
                         "s2,Buurtmaaltijd,Samen koken en eten.,active,12"],
        "attributes.csv": ["id,link_id,link_entity,taxonomy_term_id",
                           f"a1,s1,service,{TERMS['repaircafe'].id}", "a2,s2,service,t-meals"],
        "taxonomy_terms.csv": ["id,code,name,description", "t-meals,maaltijden,Buurtmaaltijden,Samen eten"],
        "service_areas.csv": ["id,service_id,extent,extent_type", "sa1,s1,BU03440823,CBS buurtcode"],
        "service_at_locations.csv": ["id,service_id,location_id", "sal1,s2,loc1"],
        "locations.csv": ["id,location_type,name,external_identifier,external_identifier_type,latitude,longitude",
                          "loc1,physical,Krachtstation,BU03440832,CBS buurtcode,52.07,5.09"],
        "addresses.csv": ["id,location_id,address_1,city,state_province,postal_code,country,address_type",
                          "ad1,loc1,Marshallaan 2,Utrecht,Utrecht,3527 TK,NL,physical"],
        "schedules.csv": ["id,service_id,service_at_location_id,freq,interval,byday,opens_at,closes_at",
                          "sc1,s1,,WEEKLY,1,SA,10:00:00,13:00:00", "sc2,,sal1,WEEKLY,1,TH,17:30,19:30"],
        "languages.csv": ["id,service_id,code", "l1,s2,ar", "l2,s2,nl"],
        "cost_options.csv": ["id,service_id,option,amount,currency,amount_description",
                             "c1,s1,Gratis,0,EUR,", "c2,s2,Bijdrage,3.5,EUR,per maaltijd"],
        "contacts.csv": ["id,service_id,name,email", "ct1,s1,Jan Jansen,jan@example.nl"],
        "phones.csv": ["id,contact_id,number", "p1,ct1,06 12345678"],
        "funding.csv": ["id,service_id,source", "f1,s1,Gemeente"],
    }
    folder.mkdir()
    for name, lines in files.items():
        (folder / name).write_text("\n".join(line.replace(",", delimiter) for line in lines) + "\n", "utf-8")
    return folder


def zipped(folder: Path) -> Path:
    with zipfile.ZipFile(folder.with_suffix(".zip"), "w") as archive:
        for file in folder.iterdir():
            archive.write(file, f"hsds/{file.name}")
    return folder.with_suffix(".zip")


@pytest.mark.parametrize("form", ["directory", "zip with semicolons"])
def test_csv_import(db, tmp_path, form):
    source = csv_files(tmp_path / "hsds") if form == "directory" else zipped(csv_files(tmp_path / "hsds", ";"))
    batch = importing.read_batch(source)
    result = importing.import_services(db, PARTNER, batch, "importer")

    assert result.refusals == [] and len(result.created) == 2 and batch.unread_files == ["funding.csv"]
    repair, meal = (directory.get_offer(db, offer_id) for offer_id in result.created)
    assert (repair["category"], repair["terms"], repair["buurt"], repair["free"]) == (
        "praktische-hulp", ["repaircafe"], "BU03440823", True)
    assert [(s["byday"], s["opens_at"]) for s in repair["schedules"]] == [("SA", "10:00")]
    assert [(c["name"], c["phone"]) for c in repair["contacts"]] == [("Jan Jansen", "06 12345678")]
    assert (meal["category"], meal["terms"], meal["buurt"], meal["minimum_age"]) == (
        "welzijn-ontmoeten", ["maaltijden"], "BU03440832", 12)
    assert (meal["free"], meal["fees_description"], meal["languages"]) == (False, "Bijdrage: 3.5 EUR per maaltijd", ["ar", "nl"])
    assert [(s["byday"], s["opens_at"], s["closes_at"]) for s in meal["schedules"]] == [("TH", "17:30", "19:30")]
    assert [(p["name"], p["postal_code"], p["latitude"]) for p in meal["locations"]] == [("Krachtstation", "3527 TK", 52.07)]
    assert counts(db) == (2, 2)


def test_bad_csv_rows_refuse_the_whole_import(db, tmp_path):
    folder = csv_files(tmp_path / "hsds")
    with (folder / "schedules.csv").open("a") as f:
        f.write("sc3,s2,,WEEKLY,1,MO,14:00,13:00\n")  # closes before it opens
    with (folder / "service_areas.csv").open("a") as f:
        f.write("sa2,s2,BU99999999,CBS buurtcode\n")  # not a buurt of Utrecht
    with (folder / "languages.csv").open("a") as f:
        f.write("l3,s9,tr\n")  # no such service
    result = run_import(db, folder)

    assert sorted(refused(result)) == [("languages.csv", 4, None, "service_id"), ("schedules.csv", 4, None, "closes_at"),
                                       ("service_areas.csv", 3, None, "extent")]
    unknown_buurt = next(r for r in result.refusals if r.file == "service_areas.csv")
    assert "BU99999999" in unknown_buurt.message and unknown_buurt.service_id == "s2"
    assert result.created == [] and counts(db) == (0, 0)


def test_bad_json_services_refuse_the_whole_import(db, tmp_path):
    bad_terms = {"attributes": [{"taxonomy_term": {"code": "lichte-zorg"}}, {"taxonomy_term": {"code": "taal"}}]}
    services = [foreign_service(0), foreign_service(1, name=" "),
                foreign_service(2, minimum_age=70, maximum_age=12, **bad_terms), "nonsense",
                foreign_service(4, attributes="zorg"), foreign_service(0, name="Dubbel"), foreign_service(6, id=None),
                foreign_service(7, description="Bel 06 12345678"), foreign_service(8, last_modified="gisteren")]
    result = run_import(db, write_json(tmp_path / "aanbod.json", services))

    assert refused(result) == [
        ("aanbod.json", None, 1, "name"), ("aanbod.json", None, 2, "attributes"),
        ("aanbod.json", None, 2, "maximum_age"), ("aanbod.json", None, 3, ""), ("aanbod.json", None, 4, "attributes"),
        ("aanbod.json", None, 4, "attributes"), ("aanbod.json", None, 5, "id"), ("aanbod.json", None, 6, "id"),
        ("aanbod.json", None, 7, "description"), ("aanbod.json", None, 8, "last_modified")]
    messages = [r.message for r in result.refusals]
    assert messages[0] == "Must not be blank." and "Sub-terms must belong" in messages[1]
    assert "SAMEN030-categorie" in messages[5] and "aanbod.json [0]" in messages[6]
    assert result.created == [] and counts(db) == (0, 0)


def test_the_hsds_example_service_does_not_fit_utrecht(db):
    result = run_import(db, HSDS_EXAMPLE)

    assert {r.field for r in result.refusals} == {
        "attributes", "service_areas", "service_at_locations[0].location.addresses[0].postal_code",
        "service_at_locations[0].location.latitude", "service_at_locations[0].location.longitude",
        "contacts[0].phones[0].number"}
    reasons = {r.field: r.message for r in result.refusals}
    assert "SAMEN030-categorie" in reasons["attributes"] and "CBS-buurtcode" in reasons["service_areas"]
    assert counts(db) == (0, 0)


def test_the_hsds_example_service_fitted_to_utrecht_is_mapped_as_far_as_it_fits(db, tmp_path):
    service = json.loads(HSDS_EXAMPLE.read_text())
    service["attributes"].append({"id": "b5d4", "taxonomy_term": {"id": TERMS["ervaringsdeskundigen"].id,
                                                                   "name": "x", "description": "x"}})
    service["service_areas"][0] |= {"extent": "BU03440412", "extent_type": "CBS buurtcode"}
    location = service["service_at_locations"][0]["location"]
    location |= {"latitude": 52.09, "longitude": 5.13, "external_identifier": "BU03440611",
                 "external_identifier_type": "CBS buurtcode"}
    location["addresses"][0] |= {"postal_code": "3511 NK", "address_type": "physical"}
    service["contacts"][0]["phones"][0]["number"] = "+44 1234 234567"
    result = run_import(db, write_json(tmp_path / "service.json", service))

    assert result.refusals == [] and len(result.created) == 1
    assert result.created != [service["id"]]  # a service of another organization gets an id of our own
    assert {"alternate_name", "email", "funding", "program", "required_documents", "phones"} <= set(result.not_kept)
    offer = directory.get_offer(db, result.created[0])
    assert (offer["category"], offer["terms"], offer["buurt"]) == ("lichte-zorg", ["ervaringsdeskundigen"], "BU03440412")
    assert (offer["minimum_age"], offer["maximum_age"], offer["url"]) == (12, 100, "http://example.com/counselling")
    assert offer["fees_description"].startswith("Non-NHS patients") and not offer["free"]
    assert offer["languages"] == ["ur"]
    assert [(s["byday"], s["opens_at"], s["closes_at"]) for s in offer["schedules"]] == [("TH,FR", "10:00", "18:00")]
    assert [(p["name"], p["address_1"], p["city"], p["buurt"]) for p in offer["locations"]] == [
        ("MyCity Civic Center", "1-30 Main Street", "MyCity", "BU03440611")]
    assert [(c["name"], c["title"], c["phone"]) for c in offer["contacts"]] == [
        ("Ann Persona", "Reception Manager", "+44 1234 234567")]


def test_a_dry_run_only_validates(db, tmp_path):
    result = run_import(db, write_json(tmp_path / "aanbod.json", [foreign_service(1)]), dry_run=True)
    assert result.refusals == [] and len(result.created) == 1 and not result.written
    assert counts(db) == (0, 0)


def test_reimport_updates_only_what_changed_and_refuses_a_stale_file(db, tmp_path):
    first = run_import(db, write_json(tmp_path / "v1.json", [foreign_service(n) for n in range(3)]))
    again = run_import(db, tmp_path / "v1.json")
    assert (again.created, again.updated, sorted(again.unchanged)) == ([], [], sorted(first.created))
    assert counts(db) == (3, 3)

    changed = [foreign_service(0, name="Taalcafé Kanaleneiland"), foreign_service(1), foreign_service(2)]
    result = run_import(db, write_json(tmp_path / "v2.json", changed))
    assert (result.updated, len(result.unchanged)) == ([first.created[0]], 2)
    offer = directory.get_offer(db, first.created[0])
    assert (offer["name"], offer["version"], counts(db)) == ("Taalcafé Kanaleneiland", 2, (3, 4))
    assert events(db)[-1]["type"].endswith("offer.updated.v1") and events(db)[-1]["data"]["version"] == 2
    log = [(c["action"], c["field_name"], c["replacement_value"]) for c in directory.change_log(db, offer["id"])]
    assert log[-1] == ("update", "name", "Taalcafé Kanaleneiland")

    directory.update_offer(db, PARTNER, offer["id"], {"version": 2, "status": "inactive"}, "coordinator")
    stale = [foreign_service(0, last_modified="2026-01-01T10:00:00.000Z")]
    result = run_import(db, write_json(tmp_path / "old.json", stale))
    assert refused(result) == [("old.json", None, 0, "last_modified")] and "versie 3" in result.refusals[0].message
    assert directory.get_offer(db, offer["id"])["status"] == "inactive" and counts(db) == (3, 5)

    result = run_import(db, write_json(tmp_path / "v3.json", [foreign_service(0)]))
    assert result.updated == [offer["id"]] and directory.get_offer(db, offer["id"])["version"] == 4


def comparable(offer: dict, with_id: bool = True) -> dict:
    skip = {"created_at", "updated_at", "updated_by"} | (set() if with_id else {"id"})
    result = {k: v for k, v in offer.items() if k not in skip}
    for name in ("locations", "schedules", "contacts"):
        result[name] = [{k: v for k, v in child.items() if k != "id"} for child in offer[name]]
    return result


@pytest.mark.parametrize("form", ["json", "csv directory", "csv zip"])
def test_export_then_import_into_an_empty_directory_gives_the_same_offers(databases, db, tmp_path, form):
    rng = random.Random(7)
    for _ in range(40):
        directory.create_offer(db, PARTNER, OfferSchema().load(generated_offer(rng)), "coordinator")
    partner = Partner(PARTNER, "Krachtstation Kanaleneiland")
    if form == "json":
        out = io.StringIO()
        assert exporting.export_json(db, partner, out) == 40
        exported = tmp_path / "aanbod.json"
        exported.write_text(out.getvalue(), "utf-8")
        for service in json.loads(out.getvalue()):
            assert_valid("service", service)
    else:
        exported = tmp_path / ("aanbod.zip" if form == "csv zip" else "aanbod")
        assert exporting.export_tables(db, partner, exported) == 40
    originals = list(directory.all_offers(db))

    restored = databases.open("restored", "directory", metadata)
    result = run_import(restored, exported)
    assert result.refusals == [] and len(result.created) == 40 and not result.not_kept
    assert [comparable(o) for o in directory.all_offers(restored)] == [comparable(o) for o in originals]
    assert counts(restored) == (40, 40)
    assert run_import(restored, exported).unchanged == result.created and counts(restored) == (40, 40)

    # another partner's directory: the same offers under ids of its own
    other = databases.open("zorgbelang", "directory", metadata)
    result = run_import(other, exported, partner="zorgbelang")
    copies = list(directory.all_offers(other))
    assert not {o["id"] for o in copies} & {o["id"] for o in originals}
    assert sorted(map(str, (comparable(o, with_id=False) for o in copies))) == sorted(
        map(str, (comparable(o, with_id=False) for o in originals)))


def test_csv_export_has_the_hsds_files_and_columns(db, tmp_path):
    directory.create_offer(db, PARTNER, OfferSchema().load(generated_offer(random.Random(1))), "coordinator")
    exporting.export_tables(db, Partner(PARTNER, "Krachtstation"), tmp_path / "out.zip")
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        names = set(archive.namelist())
        header = archive.read("services.csv").decode().splitlines()[0]
    assert {"services.csv", "service_at_location.csv", "locations.csv", "schedules.csv", "attributes.csv",
            "taxonomy_terms.csv", "organizations.csv", "cost_options.csv"} <= names
    assert header.startswith("id,organization_id,program_id,name,alternate_name,description,url,email,status")


def test_hostile_values_are_refused_not_crashed_on(db, tmp_path):
    service = foreign_service(1)
    weird = copy.deepcopy(service) | {"id": ["x"], "name": {"a": 1}, "languages": [None], "service_at_locations": [
        {"location": {"location_type": "virtual", "addresses": "x"}}], "schedules": [{"opens_at": 9, "interval": "x"}],
        "contacts": [{"phones": [{"number": 612345678}]}], "cost_options": [{"amount": "veel"}]}
    result = run_import(db, write_json(tmp_path / "aanbod.json", [weird, service | {"name": "\x00"}]))
    assert result.refusals and counts(db) == (0, 0)
