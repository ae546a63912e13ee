"""A member list as a partner's administration exports it (CSV, Dutch or English column names), read
into the fields of the members API (schemas.MemberSchema) and the consents to record. Pure parsing:
turning "di 13:30-17:00", "09-03-1971" or "Kanaleneiland-Noord" into what the API takes. Whether the
values are valid is for the API's own schemas to say (importing.py)."""
import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from samen030.kernel.geography import buurten
from samen030.kernel.validators import LANGUAGE_NAMES

# field -> accepted column names (compared after normalise_header); the first is the one the README shows
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("naam", "name", "volledige_naam", "full_name"),
    "first_name": ("voornaam", "roepnaam", "first_name", "given_name"),
    "infix": ("tussenvoegsel", "tussenvoegsels", "infix"),
    "last_name": ("achternaam", "familienaam", "last_name", "surname", "family_name"),
    "email": ("e_mail", "email", "e_mailadres", "emailadres", "email_address", "mail"),
    "phone": ("telefoon", "telefoonnummer", "tel", "mobiel", "phone", "phone_number"),
    "address": ("adres", "straat_en_huisnummer", "address", "street_address"),
    "postcode": ("postcode", "postal_code", "zip", "zipcode"),
    "birth_date": ("geboortedatum", "birth_date", "date_of_birth", "birthdate"),
    "membership_number": ("lidnummer", "lid_nummer", "lidnr", "membership_number", "member_number"),
    "member_since": ("lid_sinds", "lid_vanaf", "member_since"),
    "membership_status": ("status", "lidmaatschap", "membership_status"),
    "kind": ("soort", "soort_lid", "kind"),
    "type": ("type", "persoon_of_organisatie"),
    "role": ("rol", "role"),
    "buurt": ("buurt", "buurtcode", "buurtnaam", "neighbourhood", "neighborhood"),
    "languages": ("talen", "taal", "languages", "language"),
    "skills": ("vaardigheden", "skills"),
    "availability": ("beschikbaarheid", "beschikbaar", "availability"),
    "trade": ("beroep", "vak", "trade"),
    "consents": ("toestemmingen", "toestemming", "consents"),
    "consents_how": ("toestemming_hoe", "consents_how", "consent_how"),
    "consents_given_at": ("toestemming_gegeven_op", "toestemming_datum", "consents_given_at", "consent_given_at"),
}
ALIASES = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}
NAME_PARTS = ("first_name", "infix", "last_name")

# Values as administrations write them -> the API's values (lower-cased first).
VALUES = {
    "kind": {"resident": "bewoner", "volunteer": "vrijwilliger", "entrepreneur": "ondernemer",
             "organisation": "organisatie", "organization": "organisatie"},
    "type": {"persoon": "person", "organisatie": "organisation", "organization": "organisation"},
    "role": {"coördinator": "coordinator", "vrijwilliger": "volunteer", "bewoner": "resident"},
    "membership_status": {"member": "lid", "prospective": "aspirant", "ended": "opgezegd", "cancelled": "opgezegd",
                          "left": "opgezegd"},
    "consents_how": {"written": "schriftelijk", "verbal": "mondeling", "oral": "mondeling"},
}
# Language names -> ISO 639-1: the Dutch names the federation shows (kernel/validators), some more, and English.
MORE_LANGUAGES = {
    "dutch": "nl", "english": "en", "arabic": "ar", "turkish": "tr", "polish": "pl", "spanish": "es",
    "french": "fr", "german": "de", "somali": "so", "farsi": "fa", "persian": "fa", "ukrainian": "uk",
    "chinese": "zh", "koerdisch": "ku", "kurdish": "ku", "portugees": "pt", "portuguese": "pt", "russisch": "ru",
    "russian": "ru", "italiaans": "it", "italian": "it", "bulgaars": "bg", "bulgarian": "bg", "roemeens": "ro",
    "romanian": "ro", "hindi": "hi", "urdu": "ur",
}
DAYS = {"ma": "MO", "maandag": "MO", "mo": "MO", "mon": "MO", "monday": "MO",
        "di": "TU", "dinsdag": "TU", "tu": "TU", "tue": "TU", "tuesday": "TU",
        "wo": "WE", "woensdag": "WE", "we": "WE", "wed": "WE", "wednesday": "WE",
        "do": "TH", "donderdag": "TH", "th": "TH", "thu": "TH", "thursday": "TH",
        "vr": "FR", "vrijdag": "FR", "fr": "FR", "fri": "FR", "friday": "FR",
        "za": "SA", "zaterdag": "SA", "sa": "SA", "sat": "SA", "saturday": "SA",
        "zo": "SU", "zondag": "SU", "su": "SU", "sun": "SU", "sunday": "SU"}
WEEK = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
DAY_GROUPS = {"werkdagen": WEEK[:5], "weekdagen": WEEK[:5], "weekdays": WEEK[:5], "weekend": WEEK[5:]}

_TIME = r"(\d{1,2})(?:[:.](\d{2}))?"
_WINDOW = re.compile(rf"^(?P<days>.*?)[\s:,]*\b{_TIME}\s*(?:-|–|tot|to|t/m)\s*{_TIME}\s*(?:uur|u|h)?$", re.I)
_DAY_RANGE = re.compile(r"\s*(?:-|–|t/m|tot en met|tot|to|until)\s*", re.I)
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DUTCH_DATE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_MOMENT = re.compile(r"^(?P<date>[^\sT]+)(?:[\sT]+(?P<time>\d{1,2}[:.]\d{2}(?:[:.]\d{2})?))?$")
_BUURT_CODE = re.compile(r"^(?:BU)?(\d{8})$", re.I)
_POSTCODE = re.compile(r"^[1-9]\d{3}(?:\s?[A-Z]{2})?$", re.I)


class CellError(ValueError):
    """A cell that cannot be read; the message is Dutch with English in brackets."""


class UnreadableFile(ValueError):
    pass


@dataclass
class Table:
    """A CSV file's rows: cells by field name, with the spreadsheet row (the header is row 1)."""
    header: list[str]
    delimiter: str
    columns: dict[str, str]  # field -> the column name as the file writes it
    unknown: list[str]  # columns no field takes; not read
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    overfull: set[int] = field(default_factory=set)  # rows with more cells than the header has columns

    def column(self, name: str) -> str:
        """The file's column for a field ('naam' for name, also when it came from voornaam/achternaam)."""
        if name == "name" and name not in self.columns:
            return "/".join(self.columns[p] for p in NAME_PARTS if p in self.columns)
        if name == "type" and name not in self.columns:
            name = "kind"  # the type follows from the kind
        if name in ("purpose", "how", "given_at"):
            name = {"purpose": "consents", "how": "consents_how", "given_at": "consents_given_at"}[name]
        return self.columns.get(name, COLUMNS.get(name, (name,))[0])


def normalise_header(text: str) -> str:
    """'E-mail', ' Lid sinds ', 'Geboorte datum' -> 'e_mail', 'lid_sinds', 'geboorte_datum'."""
    plain = _without_accents(text.strip().lstrip("\ufeff").lower())
    return re.sub(r"[^a-z0-9]+", "_", plain).strip("_")


def _without_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def read_table(data: bytes, name: str = "bestand") -> Table:
    """The rows of a CSV file in UTF-8 (with or without BOM), separated by ';', ',' or tabs."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFile(f"{name}: geen UTF-8; sla het op als 'CSV UTF-8' "
                             f"(not UTF-8: save it as 'CSV UTF-8')") from None
    if not text.strip():
        raise UnreadableFile(f"{name}: leeg bestand (empty file)")
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip() for h in next(reader)]
    columns, unknown, index = {}, [], {}
    for position, title in enumerate(header):
        found = ALIASES.get(normalise_header(title))
        if found is None:
            if title:
                unknown.append(title)
            continue
        if found in columns:
            raise UnreadableFile(f"{name}: de kolommen {columns[found]!r} en {title!r} zeggen allebei {found}; "
                                 f"houd er één (two columns for {found}: keep one)")
        columns[found], index[found] = title, position
    missing = [f for f in ("membership_number", "kind") if f not in columns]
    if "name" not in columns and "last_name" not in columns:
        missing.insert(0, "name")
    if missing:
        wanted = "; ".join(f"{COLUMNS[f][0]} of {f}" for f in missing)
        raise UnreadableFile(f"{name}: kolom ontbreekt: {wanted} (missing column: {', '.join(missing)})")
    table = Table(header, delimiter, columns, unknown)
    for number, cells in enumerate(reader, start=2):
        values = {f: cells[i].strip() for f, i in index.items() if i < len(cells)}
        if any(values.values()) or any(c.strip() for c in cells):
            table.rows.append((number, values))
            if any(c.strip() for c in cells[len(header):]):
                table.overfull.add(number)
    return table


def sniff_delimiter(text: str) -> str:
    """The separator of the header line: a spreadsheet set to Dutch saves CSV with semicolons."""
    line = text.split("\n", 1)[0]
    return max((";", ",", "\t"), key=line.count)


@dataclass
class Parsed:
    fields: dict  # for MemberSchema
    consents: list[dict]  # for ConsentSchema, one per purpose
    problems: list[tuple[str, str]]  # (field, message) of cells that could not be read


def member_fields(cells: dict[str, str], imported_at: str) -> Parsed:
    """One row's cells (by field name) as MemberSchema input and ConsentSchema inputs; empty cells are
    left out so the API's defaults apply. imported_at: the consents' given_at when no column gives it."""
    fields, problems = {}, []
    cells = {k: v for k, v in cells.items() if v}
    for name, value in cells.items():
        if name in NAME_PARTS or name.startswith("consents"):
            continue
        try:
            fields[name] = _field(name, value)
        except CellError as exc:
            problems.append((name, str(exc)))
    if "name" not in fields and any(p in cells for p in NAME_PARTS):
        fields["name"] = " ".join(cells[p] for p in NAME_PARTS if p in cells)
    if "type" not in fields and "kind" in fields:
        fields["type"] = "organisation" if fields["kind"] == "organisatie" else "person"
    if fields.get("buurt") is None:
        fields.pop("buurt", None)
    consents = []
    if "consents" in cells:
        how = VALUES["consents_how"].get(cells.get("consents_how", "").lower(),
                                         cells.get("consents_how", "schriftelijk").lower())
        given_at = imported_at
        if "consents_given_at" in cells:
            try:
                given_at = parse_moment(cells["consents_given_at"])
            except CellError as exc:
                problems.append(("consents_given_at", str(exc)))
        for purpose in dict.fromkeys(split_list(cells["consents"].lower().replace("-", "_"))):
            consents.append({"purpose": purpose, "how": how, "given_at": given_at})
    return Parsed(fields, consents, problems)


def _field(name: str, value: str):
    if name in ("birth_date", "member_since"):
        return parse_date(value)
    if name == "availability":
        return parse_availability(value)
    if name == "buurt":
        return resolve_buurt(value)
    if name == "languages":
        return [_language_codes().get(_without_accents(v.lower()), v.lower()) for v in split_list(value)]
    if name == "skills":
        return [v.lower() for v in split_list(value)]
    if name == "postcode":
        return value.upper()
    if name in VALUES:
        return VALUES[name].get(value.lower(), value.lower())
    return value


@cache
def _language_codes() -> dict[str, str]:
    return {_without_accents(name.lower()): code for code, name in LANGUAGE_NAMES.items()} | MORE_LANGUAGES


def split_list(text: str) -> list[str]:
    """'nl, ar', 'nl ar', 'nl;ar' -> ['nl', 'ar']."""
    return [v for v in re.split(r"[,;/\s]+", text.strip()) if v]


def parse_date(text: str) -> str:
    """dd-mm-jjjj (also d-m-jjjj, with / or .) or jjjj-mm-dd -> jjjj-mm-dd; the schema checks the rest."""
    value = text.strip()
    if found := _ISO_DATE.match(value):
        year, month, day = map(int, found.groups())
    elif found := _DUTCH_DATE.match(value):
        day, month, year = map(int, found.groups())
    else:
        raise CellError("Geen datum: schrijf dd-mm-jjjj of jjjj-mm-dd (not a date: write dd-mm-yyyy or yyyy-mm-dd).")
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        raise CellError("Deze datum bestaat niet (no such date).") from None


def parse_moment(text: str) -> str:
    """A date, or a date and time ('01-03-2024 14:30', '2024-03-01T14:30'), as ISO; without an offset it
    is Utrecht time (ConsentSchema says so)."""
    value = text.strip()
    found = _MOMENT.match(value)
    if not found:
        raise CellError("Geen datum of datum en tijd: schrijf dd-mm-jjjj of dd-mm-jjjj uu:mm "
                        "(not a date or date and time: write dd-mm-yyyy or dd-mm-yyyy hh:mm).")
    day = parse_date(found["date"])
    time = (found["time"] or "00:00").replace(".", ":")
    return f"{day}T{time.zfill(5) if len(time) <= 5 else time.zfill(8)}"


def parse_availability(text: str) -> list[dict]:
    """'di 13:30-17:00; do 13:30-17:00' -> [{byday: TU, from: 13:30, until: 17:00}, {byday: TH, …}].
    A window is days then a time range; windows are separated by ';', '|' or new lines. Days: ma di wo
    do vr za zo (or written out, or English), lists ('di, do', 'di en do', 'di/do'), ranges ('ma-vr',
    'ma t/m vr'), werkdagen, weekend. Times: 13:30, 13.30 or 13, to: '-', 'tot'."""
    windows = []
    for part in re.split(r"[;|\n]+", text):
        part = part.strip()
        if not part:
            continue
        found = _WINDOW.match(part)
        if not found or not found["days"].strip():
            raise CellError(f"Niet te lezen: {part!r}; schrijf bijvoorbeeld 'di 13:30-17:00; do 9:00-12:00' "
                            f"(cannot read it; write e.g. 'di 13:30-17:00; do 9:00-12:00').")
        windows.append({"byday": ",".join(parse_days(found["days"])),
                        "from": _time(found.group(2), found.group(3)),
                        "until": _time(found.group(4), found.group(5))})
    return windows


def parse_days(text: str) -> list[str]:
    """'di en do', 'ma-vr', 'ma t/m wo, vr', 'weekend' -> iCal BYDAY codes in week order."""
    days = set()
    spaced = _DAY_RANGE.sub("-", text.strip().lower())
    for token in re.split(r"[,/&+\s]+|\ben\b|\band\b", spaced):
        token = token.strip(" .-")
        if not token:
            continue
        if token in DAY_GROUPS:
            days.update(DAY_GROUPS[token])
            continue
        ends = [_day(end) for end in token.split("-")]
        if len(ends) == 1:
            days.add(ends[0])
        elif len(ends) == 2:
            first, last = WEEK.index(ends[0]), WEEK.index(ends[1])
            days.update(WEEK[first:last + 1] if first <= last else WEEK[first:] + WEEK[:last + 1])
        else:
            raise CellError(f"Geen dagen: {token!r} (not days).")
    return [d for d in WEEK if d in days]


def _day(token: str) -> str:
    code = DAYS.get(_without_accents(token.strip(" ."))) if token else None
    if code is None:
        raise CellError(f"Geen dag: {token!r}; gebruik ma, di, wo, do, vr, za, zo (not a day: use mo … su).")
    return code


def _time(hours: str, minutes: str | None) -> str:
    return f"{int(hours):02d}:{minutes or '00'}"


def resolve_buurt(text: str) -> str | None:
    """A CBS buurt code ('BU03440832', also without BU) or a buurt's name as CBS writes it (case, accents
    and punctuation aside) -> the code. A postcode or a wijk is refused: members carry a buurt, and a
    postcode cannot be looked up offline."""
    value = text.strip()
    if not value:
        return None
    if found := _BUURT_CODE.match(value):
        return f"BU{found[1]}"
    if _POSTCODE.match(value):
        raise CellError("Een postcode is geen buurt, en is zonder online opzoeken niet aan een buurt te koppelen: "
                        "vul de CBS-buurtcode of de buurtnaam in (a postcode cannot be resolved to a buurt "
                        "offline: give the CBS buurt code or the buurt's name).")
    key = _name_key(value)
    if code := _buurt_names().get(key):
        return code
    if value.upper().startswith("WK") or key in _wijk_names():
        raise CellError("Dit is een wijk; een lid hoort bij een buurt: vul de CBS-buurtcode of de buurtnaam in "
                        "(this is a wijk; a member belongs to a buurt: give the buurt code or name).")
    raise CellError("Onbekende buurt: vul de CBS-buurtcode (bv. BU03440832) of de buurtnaam zoals CBS die schrijft "
                    "in (unknown buurt: give the CBS buurt code or the buurt's name as CBS writes it).")


def _name_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", _without_accents(text.lower()))


@cache
def _buurt_names() -> dict[str, str]:
    return {_name_key(b.name): b.code for b in buurten().values()}


@cache
def _wijk_names() -> set[str]:
    names = set()
    for b in buurten().values():
        names.add(_name_key(b.wijk_name))
        names.add(_name_key(re.sub(r"^Wijk \d+ ", "", b.wijk_name)))
    return names
