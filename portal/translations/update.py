"""Refresh the portal's message catalogues after changing a text: extract the Dutch texts from the code
and templates, merge them into each language's catalogue, fill in English from english.py, compile.

    .venv/bin/python portal/translations/update.py

Another language (right-to-left ones too) needs only `pybabel init -d portal/translations -l XX`,
its translations in messages.po, and this script: `lang` and `dir` follow from the catalogue."""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).parent
PORTAL = HERE.parent
sys.path.insert(0, str(HERE))
from english import EN  # noqa: E402


def pybabel(*args: str) -> None:
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "-q", *args], check=True, cwd=PORTAL)


def main() -> None:
    pybabel("extract", "-F", "babel.cfg", "-k", "lazy_gettext", "--no-location", "--omit-header", "--sort-output",
            "-o", "translations/messages.pot", ".")
    pybabel("update", "-i", "translations/messages.pot", "-d", "translations", "--no-fuzzy-matching")
    po = HERE / "en" / "LC_MESSAGES" / "messages.po"
    catalog = read_po(po.open("rb"), locale="en")
    catalog.fuzzy = False
    missing = []
    for message in catalog:
        if not message.id:
            continue
        english = EN.get(message.id)
        if english is None:
            missing.append(message.id)
        else:
            message.string = english
    with po.open("wb") as out:
        write_po(out, catalog, no_location=True, sort_output=True)
    pybabel("compile", "-d", "translations", "--statistics")
    if missing:
        sys.exit("no English yet for:\n" + "\n".join(map(str, missing)))


if __name__ == "__main__":
    main()
