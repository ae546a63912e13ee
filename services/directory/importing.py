"""Bulk import of Open Referral HSDS 3.0 services into a partner's directory, all or nothing.

Every service is read as offer fields (from_hsds.py) and validated by OfferSchema exactly as the HTTP
API validates one. If anything is refused, nothing is written; otherwise every offer is created or
updated, each with its change log and its event, in one transaction.

Identity: a service of this partner's organization (organization_id ours or absent) keeps its HSDS id
when that is a UUID. Any other service gets an id derived from this partner, its organization and its
HSDS id, so that importing a file again finds the same offers, and no two partners' offers share an
id (the gateway does not let one partner change another's offer). An id that exists in the directory
is an update: unchanged offers are left alone (no new version, no event); changed ones get the next
version, unless the service's last_modified is older than the offer's last change, which is refused
as stale, as the API refuses a stale version."""
import csv
import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from marshmallow import ValidationError

from samen030.kernel.database import Database
from samen030.kernel.web import error_paths

from . import hsds, hsds_tabular
from .from_hsds import MISSING, offer_fields
from .offers import changed_fields, create_offer_in, load_offers, update_offer_in
from .schemas import OfferSchema

REQUIRED_MESSAGE = "Missing data for required field."
Progress = Callable[[str, int, int], None]  # phase, done, total


class UnreadableFile(ValueError):
    pass


@dataclass(frozen=True)
class Refusal:
    file: str
    row: int | None  # spreadsheet row of a CSV file (the header is row 1)
    index: int | None  # position in a JSON array, from 0
    service_id: str | None
    field: str
    message: str

    def __str__(self) -> str:
        service = f" (dienst {self.service_id})" if self.service_id else ""
        field_name = f" {self.field}" if self.field else ""
        return f"{_place(self.file, self.row, self.index)}{service}{field_name}: {self.message}"


def _place(file: str, row: int | None, index: int | None = None) -> str:
    return f"{file} rij {row}" if row is not None else f"{file} [{index}]"


@dataclass
class Source:
    """One HSDS service and where it was read: a JSON array's item, or a services.csv row whose parts
    came from rows of other CSV files (origins: path into the service -> file and row)."""
    service: dict
    file: str
    index: int | None = None
    origins: dict[tuple, tuple[str, int]] = field(default_factory=dict)

    @property
    def service_id(self) -> str | None:
        found = self.service.get("id") if isinstance(self.service, dict) else None
        return None if found is None else str(found)

    @property
    def place(self) -> str:
        return _place(*self.origins[()]) if self.origins else _place(self.file, None, self.index)

    def refusal(self, path: tuple, message: str) -> Refusal:
        if not self.origins:
            return Refusal(self.file, None, self.index, self.service_id, _dotted(path), message)
        cut = max(n for n in range(len(path) + 1) if path[:n] in self.origins)
        file, row = self.origins[path[:cut]]
        return Refusal(file, row, None, self.service_id, _dotted(path[cut:]), message)


@dataclass
class Batch:
    sources: list[Source]
    refusals: list[Refusal] = field(default_factory=list)
    unread_files: list[str] = field(default_factory=list)


@dataclass
class Plan:
    source: Source
    offer_id: str
    fields: dict
    last_modified: datetime | None


@dataclass
class ImportResult:
    refusals: list[Refusal]
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_kept: Counter = field(default_factory=Counter)
    dry_run: bool = False

    @property
    def written(self) -> bool:
        return not self.refusals and not self.dry_run


def read_batch(path: Path) -> Batch:
    """HSDS services from a JSON file (an array of services, an HSDS page, or one service) or from HSDS
    CSV files in a directory or .zip."""
    try:
        if path.is_dir() or path.suffix.lower() == ".zip":
            return _read_tabular(path)
        return _read_json(path)
    except (OSError, ValueError) as exc:
        raise UnreadableFile(str(exc)) from None


def _read_json(path: Path) -> Batch:
    try:
        data = json.loads(path.read_text("utf-8-sig"))
    except ValueError as exc:
        raise UnreadableFile(f"{path.name}: geen geldige JSON (not valid JSON): {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("contents"), list):
        data = data["contents"]
    elif isinstance(data, dict) and "name" in data:
        data = [data]
    if not isinstance(data, list):
        raise UnreadableFile(f"{path.name}: verwacht een JSON-lijst van HSDS-diensten of een HSDS-pagina "
                             '(expected a JSON array of HSDS services or an HSDS page {"contents": [...]})')
    return Batch([Source(service, path.name, index=i) for i, service in enumerate(data)])


def _read_tabular(path: Path) -> Batch:
    tables, unread = hsds_tabular.load_tables(path)
    nested, dangling = hsds_tabular.nest(tables)
    return Batch([Source(service, "services.csv", origins=origins) for service, origins in nested],
                 [Refusal(file, row, None, None, column, message) for (file, row), column, message in dangling],
                 unread)


def import_services(db: Database, partner: str, batch: Batch, user: str, *, dry_run: bool = False,
                    progress: Progress | None = None) -> ImportResult:
    progress = progress or (lambda *_args: None)
    result = ImportResult(list(batch.refusals), dry_run=dry_run)
    plans = _validate(batch.sources, partner, result, progress)
    with (db.connect() if result.refusals or dry_run else db.begin()) as conn:
        existing = {}
        for start in range(0, len(plans), 500):
            existing |= load_offers(conn, [plan.offer_id for plan in plans[start:start + 500]])
        writes = _classify(plans, existing, result)
        if result.refusals:
            return ImportResult(result.refusals, not_kept=result.not_kept, dry_run=dry_run)
        if dry_run:
            return result
        for done, (plan, changes) in enumerate(writes, start=1):
            if changes is None:
                create_offer_in(conn, partner, plan.fields, user, offer_id=plan.offer_id)
            else:
                update_offer_in(conn, partner, plan.offer_id, changes, user)
            progress("schrijven (writing)", done, len(writes))
    return result


def _validate(sources: list[Source], partner: str, result: ImportResult, progress: Progress) -> list[Plan]:
    schema, plans, seen = OfferSchema(), [], {}
    for done, source in enumerate(sources, start=1):
        progress("valideren (validating)", done, len(sources))
        if not isinstance(source.service, dict):
            result.refusals.append(source.refusal((), "Geen HSDS-dienst (not an HSDS service object)."))
            continue
        mapped = offer_fields(source.service)
        result.not_kept.update(mapped.not_kept)
        refusals = [source.refusal(path, message) for path, message in dict.fromkeys(mapped.problems)]
        try:
            fields = schema.load(mapped.fields)
        except ValidationError as exc:
            refusals += [source.refusal(mapped.where(path), _reason(path, message))
                         for path, message in error_paths(exc.messages)]
        offer_id = _offer_id(source.service, partner)
        refusals += _identity_refusals(source, offer_id, seen)
        try:
            last_modified = _timestamp(source.service.get("last_modified"))
        except ValueError:
            last_modified = None
            refusals.append(source.refusal(("last_modified",), "Geen geldige datum-tijd (not a valid date-time)."))
        if refusals:
            result.refusals += refusals
        else:
            plans.append(Plan(source, offer_id, fields, last_modified))
    return plans


def _reason(offer_path: tuple, message: str) -> str:
    """OfferSchema's message, or for a required field that no HSDS field gave, where it should come from."""
    if message == REQUIRED_MESSAGE and len(offer_path) == 1:
        return MISSING.get(offer_path[0], message)
    return message


def _identity_refusals(source: Source, offer_id: str | None, seen: dict[str, str]) -> list[Refusal]:
    if offer_id is None:
        return [source.refusal(("id",), "Ontbreekt: HSDS vereist een id, en zonder id is een dienst bij een "
                                        "volgende import niet te herkennen (missing: HSDS requires an id).")]
    if offer_id in seen:
        return [source.refusal(("id",), f"Komt twee keer voor, ook bij {seen[offer_id]} "
                                        f"(appears twice, also at {seen[offer_id]}).")]
    seen[offer_id] = source.place
    return []


def _classify(plans: list[Plan], existing: dict[str, dict], result: ImportResult) -> list[tuple[Plan, dict | None]]:
    """What to write: (plan, None) creates an offer, (plan, changes with the version) updates one."""
    writes = []
    for plan in plans:
        current = existing.get(plan.offer_id)
        if current is None:
            result.created.append(plan.offer_id)
            writes.append((plan, None))
        elif not (changes := changed_fields(current, plan.fields)):
            result.unchanged.append(plan.offer_id)
        elif plan.last_modified and plan.last_modified < current["updated_at"].replace(
                microsecond=current["updated_at"].microsecond // 1000 * 1000):  # HSDS times have milliseconds
            result.refusals.append(plan.source.refusal(("last_modified",), (
                f"Het aanbod is na dit bestand gewijzigd (versie {current['version']}, "
                f"{current['updated_at']:%Y-%m-%d %H:%M}): exporteer opnieuw "
                "(the offer was changed after this file was made: export again).")))
        else:
            result.updated.append(plan.offer_id)
            writes.append((plan, {**changes, "version": current["version"]}))
    return writes


def _offer_id(service: dict, partner: str) -> str | None:
    hsds_id = service.get("id")
    if hsds_id in (None, "") or not isinstance(hsds_id, (str, int)):
        return None
    nested = service.get("organization")
    organization = service.get("organization_id") or (nested.get("id") if isinstance(nested, dict) else None)
    if organization in (None, "", hsds.organization_id(partner)):
        try:
            return str(uuid.UUID(str(hsds_id)))
        except ValueError:
            pass
    return hsds.derived_id("import", partner, str(organization or ""), str(hsds_id))


def _timestamp(found) -> datetime | None:
    """An HSDS date-time as an aware datetime (UTC when it names no zone), None when absent."""
    if found in (None, ""):
        return None
    moment = datetime.fromisoformat(str(found))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)




def _dotted(path: tuple) -> str:
    return "".join(f"[{key}]" if isinstance(key, int) else f".{key}" for key in path).lstrip(".")


REPORT_COLUMNS = ["bestand (file)", "rij (row)", "index", "dienst (service id)", "veld (field)", "reden (reason)"]


def write_report(refusals: list[Refusal], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(REPORT_COLUMNS)
        writer.writerows([r.file, r.row, r.index, r.service_id, r.field, r.message] for r in refusals)
