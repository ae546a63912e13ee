"""A quick yes to "does this satisfy its schema?" for the keywords the event schemas use, ~20 times
faster than jsonschema. It only ever says yes when jsonschema would: where it is unsure (a float
where an integer is due, a type it does not know, a check it does not make) it says no, and the full
validator (catalog.validator_for) decides and names the problem. Formats are checked by jsonschema's
own format checker."""
import re
from typing import Any, Callable

from jsonschema import FormatChecker

Check = Callable[[Any], bool]
ANNOTATIONS = {"$id", "$schema", "title", "description"}
TYPES = {  # narrower than JSON Schema's where Python blurs them (True is an int, 1.0 an integer)
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,), "null": (type(None),),
    "object": (dict,), "array": (list,)}
SCALARS = (str, int, bool, type(None))


class Unsupported(ValueError):
    pass


def compile_schema(schema: dict, formats: FormatChecker) -> Check:
    """A check of `schema`; raises Unsupported for a keyword it does not know."""
    if isinstance(schema, bool):
        return lambda _value: schema
    if unknown := set(schema) - ANNOTATIONS - set(KEYWORDS):
        raise Unsupported(f"keywords {sorted(unknown)}")
    checks = [KEYWORDS[keyword](schema[keyword], schema, formats) for keyword in schema if keyword in KEYWORDS]
    return _all([check for check in checks if check is not None])


def _all(checks: list[Check]) -> Check:
    if len(checks) == 1:
        return checks[0]

    def check(value) -> bool:
        for one in checks:
            if not one(value):
                return False
        return True
    return check


def _type(types, _schema, _formats) -> Check:
    names = [types] if isinstance(types, str) else list(types)
    if unknown := [name for name in names if name not in TYPES]:
        raise Unsupported(f"types {unknown}")
    allowed = frozenset(kind for name in names for kind in TYPES[name])
    return lambda value: type(value) in allowed


def _enum(values, _schema, _formats) -> Check:
    if not all(type(value) in SCALARS for value in values):
        raise Unsupported("enum of other than strings, integers, booleans and null")
    allowed = {(type(value), value) for value in values}  # True is not 1 here, as in JSON Schema
    return lambda value: type(value) in SCALARS and (type(value), value) in allowed


def _properties(properties, _schema, formats) -> Check:
    checks = [(name, compile_schema(sub, formats)) for name, sub in properties.items()]

    def check(value) -> bool:
        if type(value) is dict:
            for name, one in checks:
                if name in value and not one(value[name]):
                    return False
        return True
    return check


def _required(names, _schema, _formats) -> Check:
    names = frozenset(names)
    return lambda value: type(value) is not dict or names.issubset(value)


def _additional_properties(additional, schema, formats) -> Check | None:
    known = set(schema.get("properties", {}))
    if additional is True:
        return None
    if additional is False:
        return lambda value: type(value) is not dict or known.issuperset(value)
    check = compile_schema(additional, formats)
    return lambda value: type(value) is not dict or all(check(item) for key, item in value.items() if key not in known)


def _items(items, _schema, formats) -> Check:
    if not isinstance(items, dict):
        raise Unsupported("items that is not a schema")
    one = compile_schema(items, formats)

    def check(value) -> bool:
        if type(value) is list:
            for item in value:
                if not one(item):
                    return False
        return True
    return check


def _unique_items(unique, _schema, _formats) -> Check | None:
    if not unique:
        return None
    return lambda value: type(value) is not list or (all(type(item) is str for item in value)
                                                     and len(set(value)) == len(value))


def _limit(kind: type, measure: Callable, bound: Callable[[Any, Any], bool]):
    def keyword(limit, _schema, _formats) -> Check:
        if type(limit) not in (int, float):
            raise Unsupported("a limit that is not a number")
        return lambda value: not isinstance(value, kind) or type(value) is bool or bound(measure(value), limit)
    return keyword


def _pattern(pattern, _schema, _formats) -> Check:
    search = re.compile(pattern).search  # as jsonschema: re.search, anywhere in the string
    return lambda value: type(value) is not str or search(value) is not None


def _format(name, _schema, formats: FormatChecker) -> Check:
    if name not in formats.checkers:
        return lambda _value: True  # jsonschema knows no such format either: an annotation
    return lambda value: formats.conforms(value, name)


KEYWORDS: dict[str, Callable] = {
    "type": _type, "enum": _enum, "properties": _properties, "required": _required,
    "additionalProperties": _additional_properties, "items": _items, "uniqueItems": _unique_items,
    "maxItems": _limit(list, len, lambda n, limit: n <= limit),
    "minItems": _limit(list, len, lambda n, limit: n >= limit),
    "maxLength": _limit(str, len, lambda n, limit: n <= limit),
    "minLength": _limit(str, len, lambda n, limit: n >= limit),
    "maximum": _limit((int, float), lambda n: n, lambda n, limit: n <= limit),
    "minimum": _limit((int, float), lambda n: n, lambda n, limit: n >= limit),
    "pattern": _pattern, "format": _format,
}
