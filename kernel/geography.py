"""Utrecht's wijken and buurten with their CBS codes (CBS 2023, see data/README.md)."""
import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Buurt:
    code: str
    name: str
    wijk_code: str
    wijk_name: str


class UnknownArea(ValueError):
    pass


@cache
def buurten() -> dict[str, Buurt]:
    text = resources.files("samen030.kernel").joinpath("data/buurten.csv").read_text("utf-8")
    return {row["buurtcode"]: Buurt(row["buurtcode"], row["buurtnaam"], row["wijkcode"], row["wijknaam"])
            for row in csv.DictReader(text.splitlines())}


@cache
def wijken() -> dict[str, str]:
    return {b.wijk_code: b.wijk_name for b in buurten().values()}


def buurt(code: str) -> Buurt:
    try:
        return buurten()[code]
    except KeyError:
        raise UnknownArea(f"Unknown buurt code {code!r}: expected a CBS code of Utrecht such as "
                          "'BU03440832' (Kanaleneiland-Noord).") from None


def check_wijk(code: str) -> str:
    if code not in wijken():
        raise UnknownArea(f"Unknown wijk code {code!r}: expected one of {', '.join(sorted(wijken()))}.")
    return code
