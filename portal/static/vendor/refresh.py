"""Refresh the vendored NL Design System CSS from the npm registry: `npm pack` each package at its pinned
version, take its built CSS and licence, and keep of the component library only the components the
portal uses (the whole library is ~400 KB). Run by hand when moving to a new version (edit PINNED and
COMPONENTS), then commit the result; `make run` never builds anything.

    python portal/static/vendor/refresh.py
"""
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
PINNED = {
    "@utrecht/component-library-css": "9.0.4",  # EUPL-1.2: the NL Design System components' CSS
    "@nl-design-system-unstable/voorbeeld-design-tokens": "7.4.1",  # EUPL-1.2: the open example theme
}
# Never the Municipality of Utrecht's own theme (@utrecht/design-tokens): its licence is proprietary.
COMPONENTS = ("alert", "article", "body", "button", "button-group", "checkbox", "document", "form-field",
              "form-field-description", "form-field-error-message", "form-fieldset", "form-label", "heading",
              "heading-1", "heading-2", "heading-3", "link", "link-list", "page", "page-body", "page-content",
              "page-footer", "page-header", "paragraph", "select", "skip-link", "textarea", "textbox",
              "unordered-list", "table", "separator", "data-list", "root", "nav-bar", "emphasis", "strong", "mark")
UTRECHT_CLASS = re.compile(r"\.utrecht-([a-z0-9-]+?)(?=__|--|[^a-z0-9-]|$)")


def pack(name: str, version: str, into: Path) -> Path:
    out = subprocess.run(["npm", "pack", f"{name}@{version}", "--silent", "--pack-destination", str(into)],
                         check=True, capture_output=True, text=True).stdout.split()[-1]
    folder = into / name.replace("/", "+")
    with tarfile.open(into / out) as tar:
        tar.extractall(folder, filter="data")
    return folder / "package"


def blocks(css: str):
    """(prelude, body) of each top-level rule or at-rule; comments dropped."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    depth, start, prelude_end = 0, 0, None
    for i, char in enumerate(css):
        if char == "{":
            if depth == 0:
                prelude_end = i
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                yield css[start:prelude_end].strip(), css[prelude_end + 1:i]
                start = i + 1
        elif char == ";" and depth == 0:
            start = i + 1  # @charset and the like


def selectors(prelude: str) -> list[str]:
    """The selector list split at its top-level commas (not those inside :is(…) and the like)."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(prelude):
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(prelude[start:i].strip())
            start = i + 1
    return parts + [prelude[start:].strip()]


def used(selector: str) -> bool:
    """Every component the selector names is one the portal uses."""
    return all(name in COMPONENTS for name in UTRECHT_CLASS.findall(selector))


def compact(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def subset(css: str) -> str:
    kept = []
    for prelude, body in blocks(css):
        if prelude.startswith("@"):
            if prelude.startswith(("@media", "@supports", "@layer", "@container")):
                inner = subset(body)
                if inner.strip():
                    kept.append(f"{prelude} {{\n{inner}}}\n")
            else:
                kept.append(f"{prelude} {{ {compact(body)} }}\n")
        elif kept_selectors := [selector for selector in selectors(prelude) if used(selector)]:
            kept.append(f"{', '.join(kept_selectors)} {{ {compact(body)} }}\n")
    return "".join(kept)


VAR = re.compile(r"var\(\s*(--[A-Za-z0-9_-]+)")


def theme_subset(css: str, *users: str) -> str:
    """The example theme's tokens that `users` (the components' CSS, SAMEN030's own theme) refer to,
    directly or through other tokens; not those of components the portal does not use."""
    header = (f"/* @nl-design-system-unstable/voorbeeld-design-tokens "
              f"{PINNED['@nl-design-system-unstable/voorbeeld-design-tokens']}, EUPL-1.2 (LICENSE.md beside this "
              "file); only the tokens the vendored components and SAMEN030's theme use "
              "(portal/static/vendor/refresh.py) */\n")
    out = []
    for prelude, body in blocks(css):
        tokens = dict(_declaration(d) for d in _declarations(body) if d.startswith("--"))
        wanted = {name for user in users for name in VAR.findall(user)}
        todo = list(wanted)
        while todo:
            for name in VAR.findall(tokens.get(todo.pop(), "")):
                if name not in wanted:
                    wanted.add(name)
                    todo.append(name)
        kept = [f"  {name}: {value};\n" for name, value in tokens.items() if name in wanted]
        out.append(prelude + " {\n" + "".join(kept) + "}\n")
    return header + "".join(out)


def _declarations(body: str) -> list[str]:
    """The declarations of a rule, split at the semicolons outside strings and brackets."""
    parts, depth, quote, start = [], 0, None, 0
    for i, char in enumerate(body):
        if quote:
            quote = None if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == ";" and depth == 0:
            parts.append(compact(body[start:i]))
            start = i + 1
    return [p for p in parts + [compact(body[start:])] if p]


def _declaration(text: str) -> tuple[str, str]:
    name, _, value = text.partition(":")
    return name.strip(), value.strip()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        library = pack("@utrecht/component-library-css", PINNED["@utrecht/component-library-css"], Path(tmp))
        theme = pack("@nl-design-system-unstable/voorbeeld-design-tokens",
                     PINNED["@nl-design-system-unstable/voorbeeld-design-tokens"], Path(tmp))
        target = HERE / "utrecht-component-library-css"
        target.mkdir(exist_ok=True)
        components = subset((library / "dist/index.css").read_text())
        header = (f"/* @utrecht/component-library-css {PINNED['@utrecht/component-library-css']}, EUPL-1.2 "
                  "(LICENSE.md beside this file); only the components the SAMEN030 portal uses "
                  "(portal/static/vendor/refresh.py) */\n")
        (target / "components.css").write_text(header + components)
        (target / "LICENSE.md").write_text((library / "LICENSE.md").read_text())
        target = HERE / "voorbeeld-design-tokens"
        target.mkdir(exist_ok=True)
        own = (HERE.parent / "samen030.css").read_text()
        (target / "theme.css").write_text(theme_subset((theme / "dist/theme.css").read_text(), components, own))
        (target / "LICENSE.md").write_text((theme / "LICENSE.md").read_text())
    lines = [f"{name} {version} EUPL-1.2 (npm registry; see LICENSE.md in its folder)" for name, version in PINNED.items()]
    (HERE / "VERSIONS").write_text("\n".join(lines) + "\n")
    print("\n".join(lines), file=sys.stderr)


if __name__ == "__main__":
    main()
