"""Validation against the Open Referral HSDS 3.0 compiled schemas (copied into tests/data, see README)."""
import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker

SCHEMAS = Path(__file__).parent / "data" / "hsds-3.0" / "schema" / "compiled"
PAGE_KEYS = {"total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"}


@cache
def validator(name: str) -> Draft202012Validator:
    """name: service, organization, service_at_location, or taxonomy_term (nested in service)."""
    if name == "taxonomy_term":
        service = json.loads((SCHEMAS / "service.json").read_text())
        schema = service["properties"]["attributes"]["items"]["properties"]["taxonomy_term"]
        schema = {"$schema": service.get("$schema"), **schema}
    else:
        schema = json.loads((SCHEMAS / f"{name}.json").read_text())
    return Draft202012Validator(schema, format_checker=FormatChecker())


def assert_valid(name: str, document: dict) -> None:
    errors = [f"{'/'.join(map(str, e.path)) or '.'}: {e.message[:200]}" for e in validator(name).iter_errors(document)]
    assert not errors, f"not a valid HSDS {name}: {errors[:5]}"


def assert_valid_page(name: str, page: dict) -> list:
    assert set(page) == PAGE_KEYS, set(page) ^ PAGE_KEYS
    assert page["size"] == len(page["contents"]) and page["empty"] == (not page["contents"])
    for item in page["contents"]:
        assert_valid(name, item)
    return page["contents"]
