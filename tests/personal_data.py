"""Independent of kernel/privacy: what personal data in an event or message would look like. Ids are
set aside first — a UUID such as 87f216b5-0556-4930-… would otherwise read as a phone number."""
import re

UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
PERSONAL_KEYS = re.compile(r'"(name|email|phone|address|postcode|birth_date|membership_number|trade|question)"\s*:')
PERSONAL_VALUES = [re.compile(p, re.I) for p in (
    r"[a-z0-9._%+-]+@[a-z0-9-]+\.[a-z]{2,}", r"\b0[1-9][0-9 -]{8,}\b", r"\+31", r"\b[1-9][0-9]{3} ?[A-Z]{2}\b",
    r"\b(19|20)[0-9]{2}-[01][0-9]-[0-3][0-9]\b(?!T)")]


def personal_values_in(text: str) -> list[str]:
    """The patterns of personal values found in `text`, ids aside."""
    text = UUID.sub("<id>", text)
    return [pattern.pattern for pattern in PERSONAL_VALUES if pattern.search(text)]


def personal_data_in(text: str) -> list[str]:
    """Personal values, and keys that would hold personal data (not for events that have a `name`)."""
    return personal_values_in(text) + ([PERSONAL_KEYS.pattern] if PERSONAL_KEYS.search(text) else [])
