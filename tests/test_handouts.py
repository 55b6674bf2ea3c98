"""Output an instructor puts on a slide and a worksheet a student can do: the Given table, the
sections and parameters chosen, the LaTeX that fits the page, the worksheet that keeps every
given and goes back into `check`, the picture of the step, and the CLI's own conventions."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from conftest import CONFIGS
from test_exports import _pdflatex
from typer.testing import CliRunner

from backprop_tutor.cli import app

DAWOOD = str(CONFIGS / "dawood.yaml")
CONFIG_NAMES = sorted(p.stem for p in CONFIGS.glob("*.yaml"))
ID = re.compile(r"(?<![\w\[])[a-z_]+\[[^\]\s]+\](?:@\w+)?")  # an id of one quantity


def _ok(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


def _values(path: str) -> dict:
    return json.loads(_ok("run", path, "--format", "json"))


# -- what to print ------------------------------------------------------------------------------
def test_section_and_param_print_only_those_rows() -> None:
    text = _ok("run", DAWOOD, "--section", "updates", "--param", "w5,w1", "--ids", "--width", "200")
    assert set(ID.findall(text)) == {
        f"{k}[{p}]" for k in ("old", "grad", "new") for p in ("w5", "w1")
    }


@pytest.mark.parametrize("format", ["markdown", "latex", "html"])
def test_every_format_prints_the_same_selection(format: str) -> None:
    text = _ok("run", DAWOOD, "--section", "gradients", "--param", "w5", "--format", format)
    assert "0.08020" in text and "0.45187" in text  # w5's gradient and new value
    assert "0.08211" not in text and "Forward pass" not in text  # w6's gradient; no forward


@pytest.mark.parametrize(
    "args",
    [
        ["--section", "update"],
        ["--param", "w9"],
        ["--section", "updates", "--format", "json"],
        ["--section", "updates", "--symbolic"],
    ],
)
def test_a_bad_selection_is_one_line(args: list[str]) -> None:
    result = CliRunner().invoke(app, ["run", DAWOOD, *args])
    assert result.exit_code == 2 and "Traceback" not in result.output


# -- Given, and the worksheet --------------------------------------------------------------------
def test_the_given_table_holds_every_starting_number() -> None:
    document = _values(DAWOOD)
    text = _ok("run", DAWOOD, "--section", "given", "--width", "200")
    for key in document["leaves"]:  # inputs, targets, every parameter before the update
        assert f"= {document['display'][key]}" in text, key


def test_the_worksheet_keeps_the_givens_and_its_template_takes_the_answers(tmp_path: Path) -> None:
    folder = tmp_path / "sheet"
    _ok("new", "--seed", "5", "-o", str(folder))
    spec = str(folder / "exercise.yaml")
    document = _values(spec)
    sheet = (folder / "worksheet.md").read_text(encoding="utf-8")
    for key in document["leaves"]:
        assert document["display"][key] in sheet, key
    answers = folder / "claims.yaml"
    filled = [  # the numbers inside the pass after the update, which no table prints, empty
        f"{key}: {document['display'][key]}" if key in document["display"] else line
        for line in answers.read_text(encoding="utf-8").splitlines()
        for key in [line.split(":")[0]]
    ]
    answers.write_text("\n".join(filled) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["check", spec, str(answers), "--format", "json"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("kind", ["run", "symbolic", "derive", "worksheet"])
def test_the_latex_fits_the_page(tmp_path: Path, kind: str) -> None:
    if kind == "run":
        source = _ok("run", DAWOOD, "--format", "latex")
    elif kind == "symbolic":  # a long chain rule is shrunk to the width, as a table is
        source = _ok("run", DAWOOD, "--symbolic", "--format", "latex")
    elif kind == "derive":
        source = _ok("derive", "softmax_cross_entropy", "--format", "latex")
    else:
        _ok("new", "--shape", "4-5-3", "--format", "latex", "-o", str(tmp_path / "sheet"))
        source = (tmp_path / "sheet" / "worksheet.tex").read_text(encoding="utf-8")
    log = _pdflatex(source, tmp_path).with_suffix(".log").read_text(errors="replace")
    assert _overfull(log) == []
    assert r"\frac{\partial E_{\mathrm{total}}}" in source or kind != "run"


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_every_config_s_latex_compiles_and_fits(tmp_path: Path, name: str) -> None:
    """Xu's and Mitchell's update tables once stopped pdflatex at a Δ and a ←; the 8-3-8
    network's path table ran three pages off the bottom of one."""
    source = _ok("run", str(CONFIGS / f"{name}.yaml"), "--format", "latex")
    log = _pdflatex(source, tmp_path).with_suffix(".log").read_text(errors="replace")
    assert _overfull(log) == [], name


def _overfull(log: str) -> list[float]:
    """Every box wider or taller than the page by more than 1 pt, as pdflatex logs them."""
    found = re.findall(r"Overfull \\[hv]box \(([\d.]+)pt too (?:wide|high)\)", log)
    return [x for x in map(float, found) if x > 1.0]


# -- the picture, the training report ------------------------------------------------------------
def test_draw_shows_the_update_on_each_edge(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    pytest.importorskip("networkx")
    picture = tmp_path / "net.svg"
    _ok("draw", DAWOOD, "-o", str(picture))
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", picture.read_text(encoding="utf-8"))
    assert any("w5" in t and "0.5" in t and "0.45187" in t for t in texts), texts


def test_a_loss_too_small_for_the_digits_is_written_in_scientific_notation() -> None:
    text = _ok("train", DAWOOD, "--width", "120")
    table = text.split("Loss (")[1].split("Stopped")[0]
    losses = [line.split()[-1] for line in table.splitlines() if line.strip()[:1].isdigit()]
    assert losses and all(re.search(r"[1-9]", x) for x in losses), losses
    assert "-0.0" not in text


# -- the command line's conventions --------------------------------------------------------------
def test_version_and_short_help() -> None:
    from backprop_tutor import __version__

    assert _ok("--version").strip() == f"backprop-tutor {__version__}"
    assert "Usage:" in _ok("run", "-h")


def test_format_choices_are_what_the_command_writes() -> None:
    result = CliRunner().invoke(app, ["new", "--format", "svg"])
    assert result.exit_code == 2
    assert "markdown|latex|html" in _ok("new", "--help").replace(" ", "")


COMMANDS = ["run", "derive", "train", "check", "gradcheck", "schema", "validate", "examples",
            "quiz", "new", "draw"]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS)
def test_every_help_ends_with_examples_that_work(command: str, in_root) -> None:
    help_text = _ok(command, "--help")
    examples = help_text.split("Examples:")[1].strip().splitlines()
    assert examples
    for line in examples:
        args = shlex.split(line.strip())[1:]
        writes = {"-o", "--plot", "--claims-template", ">", "--torch"} & set(args)
        if writes or command in ("quiz", "check", "validate", "new"):
            continue  # it writes files, waits for answers, or names the user's own file
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, (line, result.output)


def test_derive_help_lists_every_name_derive_knows() -> None:
    """The names come from the registries without SymPy; the derivations are built with it."""
    from backprop_tutor.symbolic.names import derivation_names
    from backprop_tutor.symbolic.textbook import DERIVATIONS

    assert derivation_names() == list(DERIVATIONS)
    help_text = " ".join(_ok("derive", "--help").split())
    assert all(name in help_text for name in DERIVATIONS)
