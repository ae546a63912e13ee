"""Bulk import of an existing member list (CSV) into a partner's members service, all or nothing.

Every row is read into the fields of the members API (member_csv.py) and validated by MemberSchema and
ConsentSchema exactly as the HTTP API validates one member and one consent. Membership numbers must be
new: twice in the file, or already in the database, is a refused row. If any row is refused nothing is
written; otherwise every member is registered and every consent recorded by the same functions the API
uses, in one transaction, which publishes what the API would (publishing.py): the listing of each
volunteer who agreed to be suggested, and the partner's counts once, at the end.

The refusals name the row, the column and the reason (Dutch, with English); they also keep the cell's
value, for the coordinator's report file only: this module logs nothing, and Refusal's text leaves
the value out."""
import csv
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from samen030.kernel.database import Database
from samen030.kernel.web import error_paths

from .consents import give_consent_in
from .member_csv import Table, UnreadableFile, member_fields, read_table
from .members import InvalidChange, register_member_in
from .publishing import begin_publishing, publish_counts
from .schemas import ConsentSchema, MemberSchema
from .tables import members

__all__ = ["UnreadableFile", "Refusal", "ImportResult", "read_file", "import_members", "write_report"]

Progress = Callable[[str, int, int], None]  # phase, done, total
UTRECHT = ZoneInfo("Europe/Amsterdam")
CELLS = {"purpose": "consents", "how": "consents_how", "given_at": "consents_given_at"}  # consent field -> cell
OVERFULL = ("Meer cellen dan kolommen: staat er een '{0}' in een cel zonder aanhalingstekens? "
            "(more cells than columns: is there a '{0}' in a cell without quotes?)")
TAKEN = "Dit lidnummer is al in gebruik bij deze partner (this membership number is taken)."

# The API's messages (English) with their Dutch, by how they begin.
DUTCH = [
    ("Missing data for required field", "Ontbreekt"),
    ("Must be one of", "Geen van de toegestane waarden"),
    ("Not a valid email", "Geen geldig e-mailadres"),
    ("Not a phone number", "Geen telefoonnummer"),
    ("Must be a Dutch postcode", "Geen Nederlandse postcode"),
    ("Must not be in the future", "Mag niet in de toekomst liggen"),
    ("Must be 1900 or later", "Moet 1900 of later zijn"),
    ("Must be an ISO 639-1 code", "Geen taalcode (ISO 639-1) of bekende taalnaam"),
    ("Must be 1 to 32 letters", "Moet 1 tot 32 letters, cijfers of streepjes zijn"),
    ("Must not be blank", "Mag niet leeg zijn"),
    ("Must not contain control characters", "Bevat stuurtekens"),
    ("Must be later than from", "Het eind moet na het begin liggen"),
    ("Must be a time as HH:MM", "Geen tijd (UU:MM)"),
    ("Must be iCal weekdays", "Geen dagen"),
    ("Only volunteers", "Alleen vrijwilligers hebben vaardigheden en beschikbaarheid"),
    ("Only entrepreneurs", "Alleen ondernemers hebben een beroep"),
    ("An organisation is of kind", "Een organisatie is van soort 'organisatie', een persoon nooit"),
    ("Unknown buurt code", "Onbekende buurtcode van Utrecht"),
    ("Longer than maximum length", "Te lang"),
    ("Length must be", "Te veel of te weinig"),
    ("Not a valid", "Ongeldig"),
]


@dataclass(frozen=True)
class Refusal:
    row: int | None  # spreadsheet row (the header is row 1)
    column: str  # as the file names it
    value: str  # the cell as read: for the coordinator's report, never for logs
    message: str

    def __str__(self) -> str:
        return f"rij {self.row} {self.column}: {self.message}" if self.column else f"rij {self.row}: {self.message}"


@dataclass
class Plan:
    row: int
    fields: dict
    consents: list[dict]


@dataclass
class ImportResult:
    refusals: list[Refusal]
    rows: int = 0
    valid: int = 0  # members that would be (or were) registered
    members: list[str] = field(default_factory=list)  # ids registered
    consents: int = 0  # consents that would be (or were) recorded
    unknown_columns: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def written(self) -> bool:
        return not self.refusals and not self.dry_run

    @property
    def refused_rows(self) -> int:
        return len({r.row for r in self.refusals})


def read_file(path: Path) -> Table:
    try:
        return read_table(path.read_bytes(), path.name)
    except OSError as exc:
        raise UnreadableFile(f"{path}: {exc.strerror or exc}") from None
    except csv.Error as exc:
        raise UnreadableFile(f"{path.name}: geen geldige CSV (not valid CSV): {exc}") from None


def import_members(db: Database, partner: str, table: Table, user: str, *, dry_run: bool = False,
                   progress: Progress | None = None) -> ImportResult:
    progress = progress or (lambda *_args: None)
    result = ImportResult([], rows=len(table.rows), unknown_columns=list(table.unknown), dry_run=dry_run)
    plans, numbers = _validate(table, result, progress)
    _refuse_taken_numbers(db, table, numbers, result)
    if result.refusals:
        position = {title: n for n, title in enumerate(table.header)}
        result.refusals.sort(key=lambda r: (r.row or 0, position.get(r.column, -1)))  # as the file reads
        return result
    result.valid, result.consents = len(plans), sum(len(plan.consents) for plan in plans)
    if dry_run:
        return result
    writing = None
    try:
        with db.begin() as conn:
            begin_publishing(conn, partner)
            for done, writing in enumerate(plans, start=1):
                member = register_member_in(conn, partner, writing.fields, user)
                for consent in writing.consents:
                    give_consent_in(conn, partner, member["id"], consent, user)
                result.members.append(member["id"])
                progress("schrijven (writing)", done, len(plans))
            publish_counts(conn, partner)
    except (InvalidChange, IntegrityError):  # registered meanwhile, through the API
        number = writing.fields["membership_number"]
        return ImportResult([Refusal(writing.row, table.column("membership_number"), number, TAKEN)],
                            rows=result.rows, unknown_columns=result.unknown_columns, dry_run=dry_run)
    return result


def _validate(table: Table, result: ImportResult, progress: Progress) -> tuple[list[Plan], dict[str, int]]:
    """The rows to register, and every membership number in the file with the row it first appears in."""
    member_schema, consent_schema = MemberSchema(), ConsentSchema()
    imported_at = datetime.now(UTRECHT).replace(tzinfo=None, microsecond=0).isoformat()
    plans, seen = [], {}
    for done, (row, cells) in enumerate(table.rows, start=1):
        progress("valideren (validating)", done, len(table.rows))
        parsed = member_fields(cells, imported_at)

        def refuse(name: str, message: str, row=row, cells=cells) -> None:
            source = CELLS.get(name, name)
            source = "kind" if source == "type" and "type" not in cells else source
            value = cells.get(source, "") if source != "name" or "name" in cells else _name_cells(cells)
            result.refusals.append(Refusal(row, table.column(name), value, message))

        refused = len(result.refusals)
        if row in table.overfull:
            result.refusals.append(Refusal(row, "", "", OVERFULL.format(table.delimiter)))
        for name, message in parsed.problems:
            refuse(name, message)
        try:
            fields = member_schema.load(parsed.fields)
        except ValidationError as exc:
            fields = None
            for path, message in error_paths(exc.messages):
                refuse(path[0] if path else "", _dutch(message, path[1:]))
        consents = []
        for given in parsed.consents:
            try:
                consents.append(consent_schema.load(given))
            except ValidationError as exc:
                for path, message in error_paths(exc.messages):
                    refuse(path[0] if path else "consents", _dutch(message, path[1:]))
        number_column = table.column("membership_number")
        number = parsed.fields.get("membership_number")
        if any(r.column == number_column for r in result.refusals[refused:]):
            number = None  # not a membership number (and no query of the database for it)
        if number and number in seen:
            refuse("membership_number", f"Komt twee keer voor in het bestand, ook in rij {seen[number]} "
                                        f"(appears twice in the file, also in row {seen[number]}).")
        elif number:
            seen[number] = row
        if fields is not None and len(result.refusals) == refused:
            plans.append(Plan(row, fields, consents))
    return plans, seen


def _refuse_taken_numbers(db: Database, table: Table, numbers: dict[str, int], result: ImportResult) -> None:
    """Rows whose membership number is in the database already (also rows refused for other reasons,
    so that the coordinator sees every problem at once)."""
    wanted, taken = list(numbers), set()
    with db.connect() as conn:
        for start in range(0, len(wanted), 500):
            taken.update(conn.execute(select(members.c.membership_number)
                                      .where(members.c.membership_number.in_(wanted[start:start + 500]))).scalars())
    for number in taken:
        result.refusals.append(Refusal(numbers[number], table.column("membership_number"), number, TAKEN))


def _name_cells(cells: dict) -> str:
    return " ".join(cells[p] for p in ("first_name", "infix", "last_name") if cells.get(p))




def _dutch(message: str, inner: tuple = ()) -> str:
    """The API's English message with its Dutch first; inner: where in a list ('venster 2 until')."""
    where = " ".join(f"nr. {key + 1}" if isinstance(key, int) else str(key) for key in inner)
    where = f"{where}: " if where else ""
    for english, dutch in DUTCH:
        if message.startswith(english):
            return f"{where}{dutch} ({message.rstrip('.')})."
    return f"{where}{message}"


REPORT_COLUMNS = ["rij (row)", "kolom (column)", "waarde (value)", "reden (reason)"]


def write_report(refusals: list[Refusal], path: Path, delimiter: str = ";") -> None:
    """The refused rows as CSV for the coordinator (UTF-8 with BOM, so a spreadsheet shows accents, and
    the input file's separator). Holds the refused values: it is personal data, like the import file."""
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=delimiter)
        writer.writerow(REPORT_COLUMNS)
        writer.writerows([r.row, r.column, _inert(r.value), r.message] for r in refusals)


def _inert(value: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") and not value[1:2].isdigit() else value
