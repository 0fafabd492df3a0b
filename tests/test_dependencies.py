"""Dependencies are pinned, and every pinned one has its licence listed (issue #8)."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(text: str) -> str:
    """PEP 503 normalised name: case and runs of -_. do not matter."""
    return re.sub(r"[-_.]+", "-", text).lower()


def _pinned() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[_name(name)] = version
    return pins


def _requirement_names(requirements: list[str]) -> set[str]:
    return {_name(re.split(r"[\[<>=!~; ]", r, maxsplit=1)[0]) for r in requirements}


def test_every_line_of_the_constraints_pins_one_exact_version() -> None:
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*==[^=\s]+", line), line


def test_every_direct_dependency_is_pinned() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = _requirement_names(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted |= _requirement_names(extra)
    assert wanted - set(_pinned()) == set()


def test_every_pinned_package_has_its_licence_listed() -> None:
    listed = {}
    for row in (ROOT / "docs" / "licences.md").read_text().splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0] not in ("Name", "") and not set(cells[0]) <= {"-"}:
            listed[_name(cells[0])] = (cells[1], cells[2])
    pins = _pinned()
    assert set(pins) - set(listed) == set(), "run `make licences`"
    stale = {name: (pins[name], listed[name][0]) for name in pins if listed[name][0] != pins[name]}
    assert stale == {}, "run `make licences`"
    assert [name for name, (_, licence) in listed.items() if licence in ("", "UNKNOWN")] == []
