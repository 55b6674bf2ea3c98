"""Cases that are data: one file per case under tests/data/<group>/, as black keeps its cases.

A case file opens with `# key: value` comment lines that say how to run it and what must come
out (`# args: check {spec} {case}`, `# exit: 2`, `# stderr: nested too deeply`); the rest of
the file is the case itself (a spec, a claims file, a CSV). A test lists the folder, so a new
case is a new file and nothing else.

A key may be given more than once, a line each (`# stderr: unknown key` then `# stderr: did you
mean`): `get` reads the last, `get_all` every one in order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
_META = re.compile(r"#\s*([\w-]+)\s*:\s?(.*)")


@dataclass(frozen=True)
class Case:
    """One case file: where it is, its `# key: value` header, and the whole text."""

    path: Path
    meta: dict[str, str]
    text: str
    header: tuple[tuple[str, str], ...] = ()  # every header line, in order

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def body(self) -> str:
        """The case without its header lines (a CSV must not see them as rows)."""
        lines = self.text.splitlines(keepends=True)
        return "".join(lines[len(self.header) or len(self.meta) :])

    @property
    def raw(self) -> bytes:
        """The body as the file's bytes, a byte that is not UTF-8 included."""
        return self.body.encode("utf-8", "surrogateescape")

    def get(self, key: str, default: str = "") -> str:
        return self.meta.get(key, default)

    def get_all(self, key: str) -> list[str]:
        """Every value of a key the header gives more than once (a line each), in order."""
        return [value for name, value in self.header if name == key]


def read_case(path: Path) -> Case:
    """A case file's header (the leading `# key: value` lines) and its text. A byte that is
    not UTF-8 (a case of a Latin-1 file) is kept as a surrogate: `raw` gives it back."""
    text = path.read_bytes().decode("utf-8", "surrogateescape")
    header: list[tuple[str, str]] = []
    for line in text.splitlines():
        found = _META.fullmatch(line.strip())
        if not found:
            break
        header.append((found.group(1), found.group(2).strip()))
    return Case(path, dict(header), text, tuple(header))


def cases(group: str, pattern: str = "*") -> list[Case]:
    """Every case file of tests/data/<group>/, by name; a missing or empty folder fails."""
    folder = DATA / group
    found = sorted(p for p in folder.glob(pattern) if p.is_file())
    assert found, f"no cases in {folder}"
    return [read_case(p) for p in found]


def case_params(group: str, pattern: str = "*") -> list:
    """`cases(group)` as pytest parameters named by file, for @pytest.mark.parametrize."""
    return [pytest.param(c, id=c.name) for c in cases(group, pattern)]
