"""The translation catalogues: extract, compile and check them (issue 21, decision 0041).

    python scripts/messages.py            # makemessages for Spanish, then compile every .po
    python scripts/messages.py --check    # what is wrong, without changing anything; exit 1 if any

Each app keeps its own catalogue (glabella/<app>/locale/es/LC_MESSAGES/django.po); the project's
templates, core and the catalogue app share glabella/locale. Extraction is Django's makemessages
(it needs GNU gettext's xgettext); compiling is Babel's, so that a machine without gettext still
builds the .mo files, which are committed beside their .po. The check finds: a string marked in
the code but missing from its catalogue, an entry untranslated or fuzzy, the same English put
two ways in two catalogues, and a .mo that does not hold what its .po says.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("es",)
PLURALS = {"es": "nplurals=2; plural=(n != 1);"}
IGNORE = ["tests/*", "bench/*", "docs/*", "scripts/*", "var/*", "node_modules/*", "build/*"]


def catalogues(root: Path = ROOT) -> list[Path]:
    return sorted((root / "glabella").glob("**/locale/*/LC_MESSAGES/django.po"))


def _settle_header(po: Path, language: str) -> None:
    """makemessages leaves placeholders in a new catalogue's header; put the language's own."""
    text = po.read_text(encoding="utf-8")
    text = text.replace(
        '"Plural-Forms: nplurals=INTEGER; plural=EXPRESSION;\\n"',
        f'"Plural-Forms: {PLURALS[language]}\\n"',
    )
    text = text.replace('"Language: \\n"', f'"Language: {language}\\n"')
    text = text.replace("charset=CHARSET", "charset=UTF-8")
    # The header is not a translation: it is never "fuzzy".
    head, sep, rest = text.partition('msgid ""\nmsgstr ""\n')
    head = head.replace("#, fuzzy\n", "")
    po.write_text(head + sep + rest, encoding="utf-8")


def extract(root: Path = ROOT) -> None:
    """Django's makemessages for each language, run from `root` (which must hold the glabella
    package and manage.py's settings)."""
    import django
    from django.core.management import call_command

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "glabella.settings")
    django.setup()
    here = os.getcwd()
    os.chdir(root)
    try:
        for language in LANGUAGES:
            call_command(
                "makemessages",
                locale=[language],
                ignore_patterns=IGNORE,
                add_location="file",
                no_obsolete=True,
                verbosity=0,
            )
    finally:
        os.chdir(here)
    for po in catalogues(root):
        _settle_header(po, po.parent.parent.name)


def read(po: Path):
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        return read_po(handle, locale=po.parent.parent.name)


def compiled(po: Path) -> bytes:
    from babel.messages.mofile import write_mo

    out = io.BytesIO()
    write_mo(out, read(po), use_fuzzy=False)
    return out.getvalue()


def compile_all(root: Path = ROOT) -> list[Path]:
    written = []
    for po in catalogues(root):
        mo = po.with_suffix(".mo")
        data = compiled(po)
        if not mo.exists() or mo.read_bytes() != data:
            mo.write_bytes(data)
            written.append(mo)
    return written


def problems(root: Path = ROOT) -> list[str]:
    """Every entry untranslated or fuzzy, and every .mo that is not its .po compiled."""
    found = []
    for po in catalogues(root):
        name = po.relative_to(root)
        for message in read(po):
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy:
                found.append(f"{name}: fuzzy: {message.id!r}")
            elif not all(strings):
                found.append(f"{name}: untranslated: {message.id!r}")
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != compiled(po):
            found.append(f"{name}: its .mo is not current (run make messages)")
    return found


def disagreements(root: Path = ROOT) -> list[str]:
    """The same English translated two ways in two catalogues: Django shows one app's words on
    every page (the app listed first wins), so the catalogues must agree."""
    said: dict[tuple, dict[str, list[str]]] = {}
    for po in catalogues(root):
        for message in read(po):
            if message.id:
                key = (message.context, str(message.id))
                said.setdefault(key, {}).setdefault(str(message.string), []).append(
                    str(po.relative_to(root))
                )
    return [
        f"translated {len(ways)} ways: {key[1]!r}: {ways}"
        for key, ways in said.items()
        if len(ways) > 1
    ]


def missing(root: Path = ROOT) -> list[str]:
    """Strings marked in the code that are not in their catalogue: extraction is run on a copy
    of the code and its catalogues compared with the ones kept."""
    found = []
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp)
        shutil.copytree(
            root / "glabella",
            copy / "glabella",
            ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"),
        )
        extract(copy)
        for po in catalogues(copy):
            kept = root / po.relative_to(copy)
            have = {m.id for m in read(kept)} if kept.exists() else set()
            for message in read(po):
                if message.id and message.id not in have:
                    found.append(f"{kept.relative_to(root)}: not in the catalogue: {message.id!r}")
    return found


def main(argv: list[str]) -> int:
    if "--check" in argv:
        found = problems() + disagreements() + missing()
        for line in found:
            print(line)
        print(f"{len(found)} problems in {len(catalogues())} catalogues")
        return 1 if found else 0
    extract()
    for mo in compile_all():
        print(f"compiled {mo.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main(sys.argv[1:]))
