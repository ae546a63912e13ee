"""Bulk import of a member list (CSV) on real databases (SQLite and PostgreSQL): validated as the members
API validates, all or nothing, publishing what the API would (the listing of each volunteer who agreed to
be suggested, the partner's counts once), no personal data in any event; and `samen030 import-members`
as a process."""
import csv
import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from samen030.kernel.config import REPO_ROOT
from samen030.members import importing, members as use_cases
from samen030.members.tables import consents, members, metadata, outbox
from tests.personal_data import personal_data_in

PARTNER = "krachtstation"
ENGLISH = ["membership_number", "name", "kind", "role", "status", "member_since", "email", "phone", "address",
           "postcode", "birth_date", "buurt", "languages", "skills", "availability", "trade", "consents"]
DUTCH = ["lidnummer", "naam", "soort", "rol", "status", "lid sinds", "e-mail", "telefoon", "adres", "postcode",
         "geboortedatum", "buurt", "talen", "vaardigheden", "beschikbaarheid", "beroep", "toestemmingen"]
KINDS = ["bewoner", "vrijwilliger", "ondernemer", "organisatie"]


def person(n: int) -> dict:
    """Row n of a made-up member list, by English column name; every fourth of each kind."""
    kind = KINDS[n % 4]
    return {
        "membership_number": f"KK-{n:04d}", "name": f"Lid Voorbeeld {n}" if kind != "organisatie" else f"Stichting {n}",
        "kind": kind, "role": "volunteer" if kind == "vrijwilliger" else "resident", "status": "lid",
        "member_since": f"{1 + n % 28:02d}-{1 + n % 12:02d}-{2010 + n % 14}", "email": f"lid{n}@example.nl",
        "phone": f"06 {10000000 + n}", "address": f"Voorbeeldstraat {n}", "postcode": f"35{10 + n % 80:02d} AB",
        "birth_date": f"{1 + n % 28:02d}-{1 + n % 12:02d}-{1940 + n % 60}" if kind != "organisatie" else "",
        "buurt": ["BU03440832", "Kanaleneiland-Zuid", "oog in al", "BU03440111"][n % 4 if n % 3 else 0],
        "languages": "nl, ar" if n % 2 else "nl en",
        "skills": "taal, klussen" if kind == "vrijwilliger" else "",
        "availability": "di 13:30-17:00; do 13:30-17:00" if kind == "vrijwilliger" else "",
        "trade": "kapper" if kind == "ondernemer" else "",
        "consents": "contact_email, share_for_referral" if n % 2 else "contact_email",
    }


def write_csv(path: Path, rows: list[dict], *, delimiter: str = ",", bom: bool = False, dutch: bool = False,
              extra: dict | None = None) -> Path:
    header = DUTCH if dutch else ENGLISH
    extra = extra or {}
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=delimiter)
        writer.writerow(header + list(extra))
        writer.writerows([row.get(name, "") for name in ENGLISH] + [row.get(e, "") for e in extra] for row in rows)
    return path


def run_import(db, path: Path, **options) -> importing.ImportResult:
    return importing.import_members(db, PARTNER, importing.read_file(path), "importer", **options)


def counts(db) -> tuple[int, int, int]:
    with db.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one() for t in (members, consents, outbox))


def events(db) -> list[dict]:
    with db.connect() as conn:
        return [json.loads(p) for p in conn.execute(select(outbox.c.payload).order_by(outbox.c.seq)).scalars()]


def refused(result) -> list[tuple]:
    return [(r.row, r.column, r.value) for r in result.refusals]


@pytest.fixture
def db(databases):
    return databases.open(PARTNER, "members", metadata)


def test_a_good_file_imports_every_member_with_its_events_and_consents(db, tmp_path):
    started = datetime.now(timezone.utc).replace(microsecond=0)
    phases = []
    rows = [person(n) for n in range(50)]
    rows[5]["consents"] += ", volunteer_suggestions"  # a volunteer who agreed to be suggested
    rows[8]["consents"] += ", volunteer_suggestions"  # a resident: never suggested, so never listed
    result = run_import(db, write_csv(tmp_path / "leden.csv", rows),
                        progress=lambda phase, done, total: phases.append((phase, done, total)))

    assert result.refusals == [] and result.valid == len(result.members) == 50 and result.consents == 77
    assert counts(db) == (50, 77, 2)
    assert phases[-1] == ("schrijven (writing)", 50, 50) and ("valideren (validating)", 50, 50) in phases
    listed, counted = events(db)
    assert (listed["type"], listed["subject"]) == ("nl.samen030.members.member.listed.v1", result.members[5])
    assert counted["type"] == "nl.samen030.members.counts.changed.v1"
    assert {(c["wijk"], c["kind"]): c["count"] for c in counted["data"]["members"]} == {
        ("WK034401", "ondernemer"): 8, ("WK034401", "organisatie"): 8, ("WK034408", "bewoner"): 13,
        ("WK034408", "ondernemer"): 4, ("WK034408", "organisatie"): 4, ("WK034408", "vrijwilliger"): 13}
    assert counted["data"]["volunteer_capacity"] == [{"wijk": "WK034408", "category": "informatie", "volunteers": 13},
                                                     {"wijk": "WK034408", "category": "praktische-hulp", "volunteers": 13}]

    with db.connect() as conn:
        volunteer = use_cases.load_member(conn, result.members[1])
        history = list(conn.execute(select(consents).where(consents.c.member_id == volunteer["id"])).mappings())
    assert (volunteer["membership_number"], volunteer["type"], volunteer["kind"], volunteer["role"]) == (
        "KK-0001", "person", "vrijwilliger", "volunteer")
    assert (volunteer["birth_date"], volunteer["member_since"]) == (date(1941, 2, 2), date(2011, 2, 2))
    assert (volunteer["buurt"], volunteer["wijk"], volunteer["languages"], volunteer["skills"]) == (
        "BU03440831", "WK034408", ["nl", "ar"], ["taal", "klussen"])  # Kanaleneiland-Zuid by name
    assert volunteer["availability"] == [{"byday": "TU", "from": "13:30", "until": "17:00"},
                                         {"byday": "TH", "from": "13:30", "until": "17:00"}]
    assert (volunteer["version"], volunteer["updated_by"]) == (1, "importer")
    assert sorted(c["purpose"] for c in history) == ["contact_email", "share_for_referral"]
    assert {(c["how"], c["recorded_by"], c["withdrawn_at"]) for c in history} == {("schriftelijk", "importer", None)}
    assert all(started <= c["given_at"] <= datetime.now(timezone.utc) for c in history)
    with db.connect() as conn:
        entrepreneur, organisation = (use_cases.load_member(conn, result.members[n]) for n in (2, 3))
    assert (entrepreneur["kind"], entrepreneur["buurt"], entrepreneur["wijk"]) == ("ondernemer", "BU03440112", "WK034401")
    assert (organisation["type"], organisation["kind"]) == ("organisation", "organisatie")


def test_events_carry_no_personal_data(db, tmp_path):
    rows = [person(n) for n in range(12)]
    for row in rows:
        row["consents"] += ", volunteer_suggestions"
    run_import(db, write_csv(tmp_path / "leden.csv", rows))

    with db.connect() as conn:
        payloads = [p.decode() for p in conn.execute(select(outbox.c.payload)).scalars()]
    assert len(payloads) == 3 + 1  # the three volunteers listed, the counts
    for payload in payloads:
        assert not personal_data_in(payload), (personal_data_in(payload), payload)
        for row in rows:
            for name in ("membership_number", "name", "email", "phone", "address", "postcode", "trade"):
                assert not row[name] or row[name] not in payload, name


def test_bad_rows_import_nothing_and_each_is_reported(db, tmp_path):
    rows = [person(n) for n in range(20)]
    rows[2] |= {"email": "lid2-at-example.nl"}
    rows[3] |= {"buurt": "3527 TK"}
    rows[4] |= {"kind": "sponsor"}
    rows[8] |= {"skills": "klussen"}  # a resident (bewoner), not a volunteer
    rows[6] |= {"birth_date": "31-02-1980"}
    rows[7] |= {"availability": "maandagochtend"}
    rows[9] |= {"consents": "contact_email, marketing"}
    rows[10] |= {"name": ""}
    rows[11] |= {"birth_date": (date.today() + timedelta(days=30)).strftime("%d-%m-%Y")}
    rows[13] |= {"availability": "di 17:00-13:00", "languages": "nl, klingon"}
    rows[14] |= {"buurt": "Overvecht"}
    result = run_import(db, write_csv(tmp_path / "leden.csv", rows))

    assert counts(db) == (0, 0, 0) and result.members == [] and not result.written
    assert refused(result) == [
        (4, "email", "lid2-at-example.nl"), (5, "buurt", "3527 TK"), (6, "kind", "sponsor"), (8, "birth_date", "31-02-1980"),
        (9, "availability", "maandagochtend"), (10, "skills", "klussen"), (11, "consents", "contact_email, marketing"),
        (12, "name", ""), (13, "birth_date", rows[11]["birth_date"]), (15, "languages", "nl, klingon"),
        (15, "availability", "di 17:00-13:00"), (16, "buurt", "Overvecht")]
    reasons = {(r.row, r.column): r.message for r in result.refusals}
    assert reasons[4, "email"] == "Geen geldig e-mailadres (Not a valid email address)."
    assert reasons[5, "buurt"].startswith("Een postcode is geen buurt") and "postcode cannot be resolved" in reasons[5, "buurt"]
    assert reasons[6, "kind"].startswith("Geen van de toegestane waarden (Must be one of: bewoner")
    assert reasons[10, "skills"].startswith("Alleen vrijwilligers")
    assert reasons[8, "birth_date"] == "Deze datum bestaat niet (no such date)."
    assert "di 13:30-17:00" in reasons[9, "availability"]
    assert "marketing" not in reasons[11, "consents"] and "(Must be one of: contact_email" in reasons[11, "consents"]
    assert reasons[12, "name"] == "Ontbreekt (Missing data for required field)."
    assert reasons[13, "birth_date"] == "Mag niet in de toekomst liggen (Must not be in the future)."
    assert reasons[15, "availability"] == "nr. 1 until: Het eind moet na het begin liggen (Must be later than from)."
    assert reasons[15, "languages"].startswith("nr. 2: Geen taalcode")
    assert reasons[16, "buurt"].startswith("Dit is een wijk")
    assert result.refused_rows == 11 and result.rows == 20


def test_duplicate_membership_numbers_in_the_file_and_in_the_database(db, tmp_path):
    fields = {"type": "person", "kind": "bewoner", "membership_number": "KK-0003", "name": "Al geregistreerd",
              "member_since": date(2020, 1, 1), "membership_status": "lid", "role": "resident", "buurt": None,
              "languages": ["nl"], "skills": [], "availability": []}
    use_cases.register_member(db, PARTNER, fields, "tester")
    rows = [person(n) for n in range(6)] + [person(1) | {"name": "Dubbel"}, person(4)]
    result = run_import(db, write_csv(tmp_path / "leden.csv", rows))

    assert refused(result) == [(5, "membership_number", "KK-0003"), (8, "membership_number", "KK-0001"),
                               (9, "membership_number", "KK-0004")]
    assert [r.message for r in result.refusals] == [
        importing.TAKEN, "Komt twee keer voor in het bestand, ook in rij 3 (appears twice in the file, also in row 3).",
        "Komt twee keer voor in het bestand, ook in rij 6 (appears twice in the file, also in row 6)."]
    assert counts(db) == (1, 0, 1)


def test_a_number_registered_while_importing_leaves_nothing_half_imported(db, tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "_refuse_taken_numbers", lambda *_args: None)  # as if registered just after it
    use_cases.register_member(db, PARTNER, {"type": "person", "kind": "bewoner", "membership_number": "KK-0007",
                                            "name": "Intussen", "languages": ["nl"], "member_since": date.today(),
                                            "membership_status": "lid", "role": "resident"}, "tester")
    result = run_import(db, write_csv(tmp_path / "leden.csv", [person(n) for n in range(10)]))

    assert refused(result) == [(9, "membership_number", "KK-0007")] and result.members == []
    assert counts(db) == (1, 0, 1)


@pytest.mark.parametrize("delimiter,bom,dutch", [(";", True, True), (",", True, False), ("\t", False, True)])
def test_spreadsheet_exports_bom_semicolons_dutch_headers(db, tmp_path, delimiter, bom, dutch):
    result = run_import(db, write_csv(tmp_path / "leden.csv", [person(n) for n in range(8)], delimiter=delimiter,
                                      bom=bom, dutch=dutch))

    assert result.refusals == [] and counts(db) == (8, 12, 1)
    with db.connect() as conn:
        first = use_cases.load_member(conn, result.members[0])
    assert (first["membership_number"], first["name"], first["email"], first["birth_date"]) == (
        "KK-0000", "Lid Voorbeeld 0", "lid0@example.nl", date(1940, 1, 1))


def test_names_in_parts_consent_columns_and_columns_not_read(db, tmp_path):
    path = tmp_path / "leden.csv"
    path.write_text(
        "Lidnr;Voornaam;Tussenvoegsel;Achternaam;Soort;Buurtcode;Toestemmingen;Toestemming hoe;"
        "Toestemming gegeven op;IBAN;Geboortedatum\n"
        "1001;Jan;van der;Berg;Bewoner;bu03440832;contact_phone;mondeling;01-03-2024 14:30;NL00BANK0123456789;\n"
        "1002;Sara;;Amrani;Volunteer;;contact_email contact_phone;;2024-02-01;;1990-05-06\n", "utf-8")
    table = importing.read_file(path)
    result = importing.import_members(db, PARTNER, table, "importer")

    assert result.refusals == [] and result.unknown_columns == ["IBAN"]
    with db.connect() as conn:
        jan, sara = (use_cases.load_member(conn, member_id) for member_id in result.members)
        given = {(c["purpose"], c["how"], c["given_at"]) for c in conn.execute(select(consents)).mappings()}
    assert (jan["name"], jan["buurt"], jan["kind"], sara["name"], sara["kind"], sara["buurt"]) == (
        "Jan van der Berg", "BU03440832", "bewoner", "Sara Amrani", "vrijwilliger", None)
    assert given == {("contact_phone", "mondeling", datetime(2024, 3, 1, 13, 30, tzinfo=timezone.utc)),
                     ("contact_email", "schriftelijk", datetime(2024, 1, 31, 23, 0, tzinfo=timezone.utc)),
                     ("contact_phone", "schriftelijk", datetime(2024, 1, 31, 23, 0, tzinfo=timezone.utc))}
    assert "NL00BANK" not in json.dumps(use_cases.find_members(db, 1, 10)[0], default=str)


def test_a_dry_run_writes_nothing(db, tmp_path):
    result = run_import(db, write_csv(tmp_path / "leden.csv", [person(n) for n in range(5)]), dry_run=True)
    assert result.refusals == [] and result.valid == 5 and result.consents == 7 and counts(db) == (0, 0, 0)


def test_a_semicolon_in_an_unquoted_cell_is_refused(db, tmp_path):
    path = tmp_path / "leden.csv"
    path.write_text("lidnummer;naam;soort;beschikbaarheid\nKK-1;Ali;vrijwilliger;di 9-12; do 9-12\n", "utf-8")
    result = run_import(db, path)
    assert [(r.row, r.column) for r in result.refusals] == [(2, "")] and "';'" in result.refusals[0].message


# --- `samen030 import-members` as a process -----------------------------------------------------------------

def samen030(database_env: dict, *args) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_SCHEMA"} | database_env
    return subprocess.run([sys.executable, "-m", "samen030", *map(str, args)], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)


def test_import_members_from_the_command_line(databases, tmp_path):
    bad_rows = [person(n) for n in range(3)] + [person(3) | {"email": "geheim-at-example.nl"}]
    bad = write_csv(tmp_path / "bad.csv", bad_rows, delimiter=";", bom=True, dutch=True)
    done = samen030(databases.env(), "import-members", "--partner", PARTNER, bad, "--report", tmp_path / "report.csv")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "rij 5 e-mail: Geen geldig e-mailadres" in done.stdout and "niets geïmporteerd" in done.stdout
    assert "geheim" not in done.stdout + done.stderr  # values only in the report
    report = (tmp_path / "report.csv").read_text("utf-8-sig")
    assert list(csv.reader(report.splitlines(), delimiter=";")) == [
        importing.REPORT_COLUMNS,
        ["5", "e-mail", "geheim-at-example.nl", "Geen geldig e-mailadres (Not a valid email address)."]]
    db = databases.open(PARTNER, "members", metadata)
    assert counts(db) == (0, 0, 0)

    good = write_csv(tmp_path / "good.csv", [person(n) for n in range(3)], extra={"opmerking": "x"})
    done = samen030(databases.env(), "import-members", "--partner", PARTNER, good, "--dry-run")
    assert done.returncode == 0 and "proefrun" in done.stdout and counts(db) == (0, 0, 0), done.stdout + done.stderr

    done = samen030(databases.env(), "import-members", "--partner", PARTNER, good, "--user", "maria")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Geïmporteerd (imported): 3 leden (members), 4 toestemmingen (consents)." in done.stdout
    assert "Kolommen niet gelezen (columns not read): opmerking." in done.stdout
    assert "valideren (validating)" in done.stderr and "schrijven (writing)" in done.stderr and "3/3" in done.stderr
    assert counts(db) == (3, 4, 1)
    assert {m["updated_by"] for m in use_cases.find_members(db, 1, 10)[0]} == {"maria"}

    again = samen030(databases.env(), "import-members", "--partner", PARTNER, good)
    assert again.returncode == 1 and "al in gebruik" in again.stdout and counts(db) == (3, 4, 1)


def test_an_unreadable_member_file_exits_with_status_2(tmp_path):
    sqlite = {"DATABASE_URL": f"sqlite:///{tmp_path}/{{partner}}-{{service}}.sqlite"}
    (tmp_path / "latin1.csv").write_bytes("lidnummer;naam;soort\nKK-1;José;bewoner\n".encode("latin-1"))
    (tmp_path / "nameless.csv").write_text("lidnummer;soort\nKK-1;bewoner\n", "utf-8")
    done = samen030(sqlite, "import-members", "--partner", PARTNER, tmp_path / "latin1.csv")
    assert done.returncode == 2 and "CSV UTF-8" in done.stderr
    done = samen030(sqlite, "import-members", "--partner", PARTNER, tmp_path / "nameless.csv")
    assert done.returncode == 2 and "kolom ontbreekt: naam of name" in done.stderr
    done = samen030(sqlite, "import-members", "--partner", PARTNER, tmp_path / "missing.csv")
    assert done.returncode == 2 and "missing.csv" in done.stderr
    done = samen030(sqlite, "import-members", "--partner", "nobody", tmp_path / "nameless.csv")
    assert done.returncode == 1 and "unknown partner" in done.stderr
