"""Prints the part of requirements.lock that glabella needs to run, hashes and all.

requirements.lock pins the runtime dependencies and the `dev` extra together (one resolution,
`make lock`). The image installs only what runs: the packages pyproject.toml lists as
dependencies and everything the lockfile says they pull in (its `# via` notes), each entry
copied as it stands, so that `pip install --require-hashes` checks the same hashes.
`--build` prints the build backend's entries instead (setuptools), to build glabella's wheel.

    python scripts/runtime_requirements.py requirements.lock > runtime.txt
"""

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def entries(lock_text: str) -> dict[str, tuple[str, set[str]]]:
    """Each pinned package: its entry's text (pin, hashes, notes) and who pulls it in."""
    found: dict[str, tuple[str, set[str]]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", lock_text.strip()):
        match = PIN.match(block)
        if not match:
            continue  # the header's comments
        parents = set()
        for line in block.splitlines():
            note = line.strip().removeprefix("#").strip()
            if line.strip().startswith("#") and note:
                note = note.removeprefix("via").strip()
                parent = NAME.match(note)
                if parent:
                    parents.add(canonical(parent.group(0)))
        found[canonical(match.group(1))] = (block.rstrip() + "\n", parents)
    return found


def roots(pyproject: dict, build: bool) -> set[str]:
    if build:
        listed = pyproject["build-system"]["requires"]
    else:
        listed = pyproject["project"]["dependencies"]
    return {canonical(NAME.match(spec.strip()).group(0)) for spec in listed}


def subset(lock_text: str, wanted: set[str], build: bool = False) -> list[str]:
    """The entries of `wanted` and of everything they pull in (the closure over `# via`).
    For the build backend, only its own entries: setuptools needs nothing else."""
    table = entries(lock_text)
    missing = wanted - table.keys()
    if missing:
        raise SystemExit(f"requirements.lock has no entry for {', '.join(sorted(missing))}")
    keep = set(wanted)
    if not build:
        grew = True
        while grew:
            added = {name for name, (_, parents) in table.items() if parents & keep} - keep
            keep |= added
            grew = bool(added)
    return [table[name][0] for name in sorted(keep)]


def main(argv: list[str]) -> int:
    build = "--build" in argv
    paths = [a for a in argv if not a.startswith("--")]
    lock = Path(paths[0]) if paths else ROOT / "requirements.lock"
    pyproject = tomllib.loads((lock.parent / "pyproject.toml").read_text())
    lock_text = lock.read_text()
    print("# glabella's " + ("build backend" if build else "runtime") + f" entries of {lock.name}")
    sys.stdout.write("".join(subset(lock_text, roots(pyproject, build), build)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
