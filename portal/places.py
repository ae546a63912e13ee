"""Wijken and buurten by name, for people: what a resident types or picks ("Kanaleneiland", "Zuidwest",
"Oog in Al") becomes the filter the gateway understands, and a code is never shown."""
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

from samen030.kernel.geography import buurten, wijken


def plain(text: str) -> str:
    """Lower case, no accents, single spaces: 'Oog-in-Al ' and 'oog in al' are the same place."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def wijk_name(code: str) -> str:
    """'Wijk 08 Zuidwest' → 'Zuidwest'."""
    return re.sub(r"^Wijk \d+ ", "", wijken()[code])


@dataclass(frozen=True)
class Place:
    name: str  # what the resident sees and the URL carries
    filter: dict = field(default_factory=dict)  # {"buurt": code} or {"wijk": code}
    wider: str | None = None  # why a wider area was taken ("Kanaleneiland" spans three buurten of Zuidwest)
    choices: tuple[str, ...] = ()  # names that would narrow it down


@cache
def names() -> dict[str, tuple[str, dict]]:
    """plain(name) → (name, filter), for every wijk and buurt."""
    found = {plain(wijk_name(code)): (wijk_name(code), {"wijk": code}) for code in wijken()}
    found |= {plain(wijken()[code]): (wijk_name(code), {"wijk": code}) for code in wijken()}
    for b in buurten().values():
        found.setdefault(plain(b.name), (b.name, {"buurt": b.code}))
    return found


@cache
def options() -> list[tuple[str, list[str]]]:
    """(wijk, its buurten) for the picker, wijken in their number order."""
    return [(wijk_name(code), sorted(b.name for b in buurten().values() if b.wijk_code == code))
            for code in sorted(wijken())]


class UnknownPlace(ValueError):
    pass


def find(text: str) -> Place | None:
    """The place a resident means, None for nothing typed; UnknownPlace when no wijk or buurt fits."""
    wanted = plain(text or "")
    if not wanted:
        return None
    if wanted in names():
        name, area = names()[wanted]
        return Place(name, area)
    matches = sorted({b.code for b in buurten().values() if wanted in plain(b.name)})
    if len(matches) == 1:
        return Place(buurten()[matches[0]].name, {"buurt": matches[0]})
    if matches:
        choices = tuple(sorted(buurten()[code].name for code in matches))
        wijk_codes = {buurten()[code].wijk_code for code in matches}
        if len(wijk_codes) == 1:
            code = wijk_codes.pop()
            return Place(text.strip(), {"wijk": code}, wijk_name(code), choices)
        return Place(text.strip(), {}, None, choices)
    raise UnknownPlace(text.strip())


def name_of(area: dict) -> str:
    if "buurt" in area:
        return buurten()[area["buurt"]].name
    return wijk_name(area["wijk"]) if "wijk" in area else ""
