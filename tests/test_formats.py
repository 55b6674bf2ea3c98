"""The formats table is the one place formats are known: every document in every format either
is written, or is refused from the table with the formats it has (render/formats.py)."""

from __future__ import annotations

import itertools
import re
from xml.etree import ElementTree

import pytest
from conftest import CONFIGS, ROOT
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.render.formats import ALL, DOCUMENTS

TRAIN_SPEC = (CONFIGS / "xor.yaml").read_text(encoding="utf-8") + "\n"


def _command(kind: str, tmp_path) -> list[str]:
    dawood = str(CONFIGS / "dawood.yaml")
    if kind == "grades":
        sheet = tmp_path / "answers.csv"
        sheet.write_text("student,new[w5]\na,0.45187\n", encoding="utf-8")
        return ["grade", dawood, str(sheet)]
    if kind == "training report":
        spec = tmp_path / "short.yaml"
        text = TRAIN_SPEC.replace("training:", "training:\n  epochs: 2", 1)
        spec.write_text(text, encoding="utf-8")
        return ["train", str(spec)]
    return {
        "worked example": ["run", dawood],
        "derivations": ["run", dawood, "--only", "w5"],
        "textbook derivation": ["derive", "sigmoid"],
        "worksheet": ["new", "--shape", "2-2-1", "--output-dir", str(tmp_path / "new")],
        "check report": ["check", dawood, str(ROOT / "golden" / "dawood.values.yaml")],
        "gradcheck report": ["gradcheck", dawood],
        "matrix form": ["run", dawood, "--matrix"],
        "question bank": ["bank", "2-2-1", "--versions", "1", "-o", str(_folder(tmp_path))],
    }[kind]


def _folder(tmp_path) -> str:
    """Where a document of several files (bank's exam and key) is written: tmp_path/new."""
    (tmp_path / "new").mkdir(exist_ok=True)
    return str(tmp_path / "new" / "bank")


def test_every_document_is_in_the_table() -> None:
    assert set(DOCUMENTS) == {
        "worked example",
        "derivations",
        "textbook derivation",
        "training report",
        "worksheet",
        "check report",
        "gradcheck report",
        "matrix form",
        "question bank",
        "grades",
    }


@pytest.mark.parametrize("format", ALL)
@pytest.mark.parametrize("kind", sorted(DOCUMENTS))
def test_a_format_is_written_or_refused_from_the_table(kind: str, format: str, tmp_path) -> None:
    document = DOCUMENTS[kind]
    result = CliRunner().invoke(app, [*_command(kind, tmp_path), "--format", format])
    if format in document.formats:
        assert result.exit_code == 0, result.output + result.stderr
        written = result.stdout.encode() or b"".join(
            p.read_bytes() for p in (tmp_path / "new").rglob("*") if p.is_file()
        )
        assert written.strip()
    elif "Invalid value for '--format'" in result.stderr:  # not a choice of the command
        assert result.exit_code == 2
        assert all(f"'{f}'" in result.stderr for f in document.formats), result.stderr
    else:  # a choice of the command, but not of this document (run --only ... -f json)
        assert result.exit_code == 2
        line = result.stderr.strip()
        assert "\n" not in line and line == f"error: {document.refusal(format)}"
        assert all(f in line for f in document.formats)


SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("config", ["adam", "adamw", "dawood"])
def test_no_svg_text_runs_past_its_cells(config: str) -> None:
    """Each text ends where the next begins and within its line's clip: with m̂ or v̂ (two
    characters, one cell) Rich stretched a text one character too wide, and a full line's
    last digit was clipped (adamw's Δ -0.10499 showed -0.1049)."""
    result = CliRunner().invoke(app, ["run", str(CONFIGS / f"{config}.yaml"), "-f", "svg"])
    root = ElementTree.fromstring(result.stdout)
    line_clip = next(c for c in root.iter(f"{SVG}clipPath") if c.get("id").endswith("-line-0"))
    clip = float(line_clip.find(f"{SVG}rect").get("width"))  # the terminal's columns
    lines: dict[str, list[tuple[float, float]]] = {}
    for text in root.iter(f"{SVG}text"):
        if text.get("textLength") and text.get("clip-path"):
            line = re.sub(r"\D", "", text.get("clip-path").rpartition("-line-")[2])
            lines.setdefault(line, []).append(
                (float(text.get("x")), float(text.get("x")) + float(text.get("textLength")))
            )
    assert lines
    for spans in lines.values():
        ends = sorted(spans)
        assert ends[-1][1] <= clip + 0.01
        assert all(a[1] <= b[0] + 0.01 for a, b in itertools.pairwise(ends))
