"""A drawn spec case and the files beside it, for tests/test_fuzz.py and tests/fuzz_grammar.py.

A spec names its CSV data by a path, and specs are untrusted, so the fuzz draws the path too:
inside the spec's folder mostly, else out of it in every way a hostile spec could (absolute,
`../`, a symbolic link out, /dev/zero, a FIFO that would block a plain open, /proc, a folder, a
NUL byte, a name too long for the file system). `SpecCase.write` makes each one real, so the
refusal is tested against the thing itself, and its repr is the YAML a failure is read from.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

# The ways a spec can name its CSV: inside its folder (or a subfolder), else out of it (valid
# only with --allow-data-anywhere), else something no CSV path may be.
OUTSIDE_PATHS = ("absolute", "dotdot", "symlink")
BAD_PATHS = ("missing", "dev-zero", "fifo", "folder", "etc-passwd", "proc", "nul", "long", "empty")
GOOD_CSV = ("plain", "bom", "fractions", "crlf", "blank-lines", "extra-column", "quoted")
BAD_CSV = ("bad-cell", "header-only", "empty", "semicolons", "short-row")


@dataclass
class SpecCase:
    """A drawn spec and what goes beside it: a CSV (or a hostile path to one), and how the
    commands are run (`--allow-data-anywhere`, `--width`, `--notation`, `--symbolic`)."""

    spec: dict
    csv_path: str | None = None  # one of the *_PATHS, when the spec has data: csv:
    csv_text: str = ""
    anywhere: bool = False
    run_options: list[str] = field(default_factory=list)
    symbolic: bool = False
    hostile: bool = False  # drawn to hold invalid values now and then (else valid)

    def text(self, spec: dict | None = None) -> str:
        try:
            dumped = spec if spec is not None else self.spec
            return yaml.safe_dump(dumped, sort_keys=False, allow_unicode=True, width=100)
        except (TypeError, ValueError, OverflowError, RecursionError):
            return "not: [valid\n"

    def _repr_pretty_(self, printer, cycle: bool) -> None:  # how hypothesis prints a failure
        printer.text(repr(self))

    def __repr__(self) -> str:
        extra = f"# {self.csv_path} CSV: {self.csv_text!r}\n" if self.csv_path else ""
        flags = {
            "hostile": self.hostile,
            "anywhere": self.anywhere,
            "run": self.run_options,
            "symbolic": self.symbolic,
        }
        return f"SpecCase(\n{self.text()}{extra}# {flags}\n)"

    def write(self, folder: Path) -> Path:
        """The spec (and its CSV) in `folder`; a hostile path's target is made real."""
        spec = self.spec
        if self.csv_path:
            placed = _place_csv(folder, self.csv_path, self.csv_text)
            spec = {**spec, "data": {**spec["data"], "csv": placed}}
        path = folder / "spec.yaml"
        path.write_text(self.text(spec), encoding="utf-8")
        return path


PATHS = {  # as the spec writes them; the outside file is made beside the spec's folder
    "inside": "data.csv",
    "subfolder": "sub/data.csv",
    "symlink": "link.csv",
    "fifo": "pipe.csv",
    "folder": "dir.csv",
    "missing": "nothing-here.csv",
    "absolute": "/…/outside.csv",
    "dotdot": "../outside.csv",
    "dev-zero": "/dev/zero",
    "etc-passwd": "/etc/passwd",
    "proc": "/proc/self/environ",
    "nul": "data\0.csv",
    "long": "d" * 300 + ".csv",
    "empty": " ",
}


def _place_csv(folder: Path, kind: str, text: str) -> str:
    """Write the CSV where `kind` says and return the path the spec writes."""
    outside = folder.parent / f"{folder.name}-outside.csv"
    outside.write_text(text, encoding="utf-8")
    (folder / "data.csv").write_text(text, encoding="utf-8")
    if kind == "subfolder":
        (folder / "sub").mkdir()
        (folder / "sub" / "data.csv").write_text(text, encoding="utf-8")
    elif kind == "symlink":
        (folder / "link.csv").symlink_to(outside)
    elif kind == "fifo":
        os.mkfifo(folder / "pipe.csv")
    elif kind == "folder":
        (folder / "dir.csv").mkdir()
    elif kind in ("absolute", "dotdot"):
        return str(outside) if kind == "absolute" else f"../{outside.name}"
    return PATHS[kind]


def csv_text(style: str, columns: list[str], rows: list[list[float]]) -> str:
    """A CSV of `rows` under the header `columns`, in one of GOOD_CSV or BAD_CSV."""
    sep, end = (";" if style == "semicolons" else ","), ("\r\n" if style == "crlf" else "\n")
    header = [*columns, "note"] if style == "extra-column" else columns
    lines = [sep.join(header)]
    for k, row in enumerate(rows):
        cells = [repr(v) if isinstance(v, float) else str(v) for v in row]
        if style == "fractions":
            cells = [_fraction(v) for v in row]
        elif style == "bad-cell" and k == len(rows) - 1:
            cells[-1] = "x\x1b[31m"
        elif style == "short-row" and k == 0:
            cells = cells[:-1]
        elif style == "quoted":
            cells = [f'"{c}"' for c in cells]
        lines.append(sep.join(cells + (["a, b"] if style == "extra-column" else [])))
        if style == "blank-lines":
            lines.append("")
    if style == "header-only":
        lines = lines[:1]
    text = end.join(lines) + end
    return {"empty": "", "bom": "\ufeff" + text}.get(style, text)


def _fraction(value: object) -> str:
    """A number as a fraction of whole numbers (the form a CSV cell may take), else as is."""
    if isinstance(value, int | float) and math.isfinite(value):
        return f"{round(value * 1000)}/1000"
    return str(value)
