"""Rule 2 of the federation: no personal data on the shared bus. Every event passes this guard
before it is written to the outbox."""
import re

PERSONAL_KEYS = {
    "first_name", "last_name", "full_name", "given_name", "family_name", "person_name", "contact_name",
    "email", "e_mail", "phone", "telephone", "mobile", "address", "street", "house_number",
    "birth_date", "date_of_birth", "bsn", "health", "situation", "diagnosis", "iban",
}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
# Not inside an id: a UUID such as 1f2e…-0624-4088-89ab-… must not read as a phone number.
PHONE = re.compile(r"(?<![\w-])(?:\+31|0031|0)[\s-]?(?:\d[\s-]?){8}\d(?![\w-])")


class PersonalDataError(ValueError):
    pass


def find_personal_data(value, path: str = "data") -> list[str]:
    """Paths of keys or values in `value` that look like personal data."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key.lower() in PERSONAL_KEYS:
                found.append(f"{path}.{key}")
            found += find_personal_data(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += find_personal_data(item, f"{path}[{i}]")
    elif isinstance(value, str) and (EMAIL.search(value) or PHONE.search(value)):
        found.append(path)
    return found


def ensure_no_personal_data(data: dict) -> None:
    if found := find_personal_data(data):
        raise PersonalDataError(f"personal data may not go on the bus: {', '.join(found)}")
