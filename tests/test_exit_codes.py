"""The exit codes the README documents, one row per situation: 0 done, 1 a check found a
mismatch, 2 bad input or usage (one line, never a traceback)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from child import cli_child
from conftest import ROOT
from typer.testing import CliRunner

from backprop_tutor.cli import app

FILES = {
    "bad.yaml": "inputs: [0.1, 0.5\n",
    "unknown-key.yaml": "inputs: [1]\ntargets: [1]\nlayers: [{units: 1}]\nlayerz: []\n",
    "right.yaml": "new[w5]: 0.45187\n",
    "wrong.yaml": "new[w5]: 0.45197\n",  # 0.45188 would be right: rounded
    "kept.md": "my notes\n",
}
CASES = [
    (["run", "configs/dawood.yaml"], 0),
    (["run", "dawood"], 0),
    (["train", "configs/xor.yaml"], 0),
    (["derive", "sigmoid"], 0),
    (["gradcheck", "configs/borela.yaml"], 0),
    (["validate", "configs/dawood.yaml"], 0),
    (["schema"], 0),
    (["examples"], 0),
    (["check", "configs/dawood.yaml", "{tmp}/right.yaml"], 0),
    (["check", "configs/dawood.yaml", "golden/dawood.values.yaml"], 0),
    (["check", "configs/dawood.yaml", "{tmp}/wrong.yaml"], 1),
    (["run", "{tmp}/missing.yaml"], 2),
    (["run", "{tmp}/bad.yaml"], 2),
    (["run", "{tmp}/unknown-key.yaml"], 2),
    (["validate", "{tmp}/unknown-key.yaml"], 2),
    (["train", "{tmp}/bad.yaml"], 2),
    (["check", "configs/dawood.yaml", "{tmp}/missing.yaml"], 2),
    (["run", "configs/dawood.yaml", "--width", "10"], 2),
    (["run", "configs/dawood.yaml", "--notation", "klingon"], 2),
    (["run", "configs/dawood.yaml", "--only", "w99"], 2),
    (["run", "configs/dawood.yaml", "--format", "rtf"], 2),
    (["run", "configs/dawood.yaml", "--format", "markdown", "-o", "{tmp}/kept.md"], 2),
    (["derive", "no_such_thing"], 2),
    (["train", "configs/xor.yaml", "--trace-steps", "first"], 2),
    (["frobnicate"], 2),
    ([], 2),
]


@pytest.mark.parametrize(
    ("args", "code"), CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else str(v)
)
def test_exit_code(in_root, tmp_path: Path, args: list[str], code: int) -> None:
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, [a.replace("{tmp}", str(tmp_path)) for a in args])
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    assert result.exit_code == code, result.output + result.stderr
    assert "Traceback" not in result.output + result.stderr
    if code == 2 and args and args[0] in ("run", "train", "check", "validate", "derive"):
        usage = "Usage:" in result.stderr
        lines = result.stderr.splitlines()
        one = len(lines) == 1 or args[0] == "validate"  # validate: every problem, a line each
        assert usage or (one and all(line.startswith("error: ") for line in lines))
    assert (tmp_path / "kept.md").read_text(encoding="utf-8") == "my notes\n"  # never overwritten


@pytest.mark.parametrize(
    "args",
    [
        ["run", ""],
        ["train", ""],
        ["validate", ""],
        ["gradcheck", ""],
        ["check", "", "golden/dawood.values.yaml"],
        ["quiz", ""],
        ["draw", "", "-o", "x.png"],
        ["explore", ""],
        ["grade", "", "answers.csv"],
    ],
    ids=lambda args: args[0],
)
def test_an_empty_spec_path_is_said_as_empty(in_root, args: list[str]) -> None:
    """Not '.: is a folder' (typer makes '' the current folder)."""
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "the path is empty" in result.stderr


# every path option and argument besides the spec, with the name its error gives it
EMPTY_PATHS = [
    (["run", "dawood", "-o", ""], "--output"),
    (["run", "dawood", "--claims-template", ""], "--claims-template"),
    (["derive", "sigmoid", "-o", ""], "--output"),
    (["train", "{configs}/xor.yaml", "--plot", ""], "--plot"),
    (["train", "{configs}/xor.yaml", "-o", ""], "--output"),
    (["check", "dawood", ""], "claims"),
    (["grade", "{configs}/dawood.yaml", ""], "answers"),
    (["grade", "{configs}/dawood.yaml", "answers.csv", "-o", ""], "--output"),
    (["bank", ""], "SPEC_OR_SHAPE"),  # not 'neither a spec file nor a shape'
    (["bank", "2-2-2", "-o", ""], "--output"),
    (["bank", "2-2-2", "-f", "latex", "-o", ""], "--output"),
    (["new", "-o", ""], "--output-dir"),
    (["draw", "dawood", "-o", ""], "--output"),
    (["explore", "dawood", "-o", ""], "--output"),
]


@pytest.mark.parametrize(
    ("args", "named"), EMPTY_PATHS, ids=lambda v: " ".join(v) if isinstance(v, list) else v
)
def test_an_empty_path_option_is_said_as_empty(
    tmp_path: Path, monkeypatch, args: list[str], named: str
) -> None:
    """`-o ''` is said as an empty path naming the option, exit 2, not '.: is a folder'
    (and `new -o ''` no longer writes its files into the current folder)."""
    monkeypatch.chdir(tmp_path)
    args = [a.replace("{configs}", str(ROOT / "configs")) for a in args]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output + result.stderr
    said = re.search(r"Invalid value for '([^']+)'.*?: (the path is empty)", result.stderr)
    assert said and said.groups() == (named, "the path is empty"), result.stderr
    assert list(tmp_path.iterdir()) == []


# `new`'s options of how the exercise is written, each wrong, with what its error says
NEW_OPTIONS = [
    (["--notation", "dawod"], "error: --notation: no notation 'dawod'; did you mean 'dawood'?"),
    (["--digits", "2", "--display-digits", "1"], "error: --display-digits 1: fewer decimals"),
    (["--rounding", "floor"], "Invalid value for '--rounding'"),
    (["--display-digits", "16"], "Invalid value for '--display-digits'"),
]


@pytest.mark.parametrize(("args", "said"), NEW_OPTIONS, ids=[" ".join(a) for a, _ in NEW_OPTIONS])
def test_a_wrong_new_option_is_named(tmp_path: Path, args: list[str], said: str) -> None:
    """Exit 2 naming the option, one line where the error is ours (typer's own usage error
    for a choice or a bound), and no folder made."""
    result = CliRunner().invoke(app, ["new", *args, "-o", str(tmp_path / "ex")])
    assert result.exit_code == 2 and said in result.stderr, result.stderr
    assert "Usage:" in result.stderr or result.stderr.count("\n") == 1, result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        ["run", "dawood"],
        ["run", "dawood", "-f", "json"],
        ["train", "configs/xor.yaml"],
        ["check", "configs/dawood.yaml", "golden/dawood.values.yaml"],
        ["examples"],
        ["--version"],
        ["--help"],  # printed by the group itself, before any command
        ["-h"],
        ["run", "--help"],
    ],
    ids=" ".join,
)
def test_a_closed_pipe_ends_as_cats_does(args: list[str]) -> None:
    """Exit 141 and no error on stderr, never Rich's exit 1 (`check`'s 'a claim differs');
    (a busy machine may see train's progress line there)."""
    result = cli_child(args, cwd=ROOT, stdout_closed=True)
    assert result.returncode == 141 and "error" not in result.stderr


def test_a_misspelled_bundled_example_is_named(in_root, tmp_path, monkeypatch) -> None:
    """`run dawod` from any folder: the bundled name it is closest to, not 'check the path'."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["run", "dawod"])
    assert result.exit_code == 2 and "did you mean 'dawood'?" in result.stderr
    result = CliRunner().invoke(app, ["run", "dawood", "-f", "json"])
    assert result.exit_code == 0 and '"new[w5]"' in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["run", "{spec}", "-o", "{spec}"],
        ["run", "{spec}", "-o", "{tmp}/./net.yaml"],
        ["run", "{spec}", "--claims-template", "{spec}"],
        ["train", "{spec}", "-o", "{spec}"],
        ["train", "{spec}", "--plot", "{spec}"],
        ["train", "{spec}", "--plot", "{tmp}/loss.png", "-o", "{tmp}/loss.png"],
        ["explore", "{spec}", "-o", "{spec}"],
    ],
    ids=" ".join,
)
def test_an_output_that_is_the_spec_is_refused_even_with_force(tmp_path, args) -> None:
    """--force replaces a file the user meant to replace, never the spec being read: that
    wrote the report over the spec (train, run) and lost it."""
    spec = tmp_path / "net.yaml"
    text = (ROOT / "configs" / "xor.yaml").read_text(encoding="utf-8")
    spec.write_text(text, encoding="utf-8")
    (tmp_path / "loss.png").write_bytes(b"kept")
    line = [a.replace("{spec}", str(spec)).replace("{tmp}", str(tmp_path)) for a in args]
    result = CliRunner().invoke(app, [*line, "--force"])
    assert result.exit_code == 2, result.output
    assert "is a file this command reads" in result.stderr or "its own file" in result.stderr
    assert spec.read_text(encoding="utf-8") == text
    assert (tmp_path / "loss.png").read_bytes() == b"kept"


@pytest.mark.parametrize(
    "args",
    [
        ["train", "{spec}", "-o", "{csv}"],
        ["train", "{spec}", "--plot", "{csv}"],
        ["run", "{spec}", "-o", "{csv}"],
        ["explore", "{spec}", "-o", "{csv}"],
        ["bank", "{spec}", "-o", "{spec}", "--versions", "2"],
        ["bank", "{spec}", "-o", "{csv}", "--versions", "2"],
        ["grade", "{dawood}", "{sheet}", "-o", "{sheet}"],
        ["grade", "{dawood}", "{sheet}", "-o", "{dawood}"],
    ],
    ids=" ".join,
)
def test_an_output_that_is_a_file_read_is_refused_even_with_force(tmp_path, args) -> None:
    """The spec's CSV (known once the spec is read), a bank's spec, a class's answers: --force
    replaced them with the report (train -o digits.csv, grade -o answers.csv), and the
    data was lost."""
    spec, csv = tmp_path / "net.yaml", tmp_path / "xu-three-classes.csv"
    for name, to in (("xu-full-batch.yaml", spec), ("xu-three-classes.csv", csv)):
        to.write_bytes((ROOT / "configs" / name).read_bytes())
    dawood, sheet = tmp_path / "dawood.yaml", tmp_path / "class.csv"
    dawood.write_bytes((ROOT / "configs" / "dawood.yaml").read_bytes())
    sheet.write_bytes((ROOT / "tests" / "data" / "sheets" / "dawood-class.csv").read_bytes())
    kept = {path: path.read_bytes() for path in (spec, csv, dawood, sheet)}
    names = {"{spec}": spec, "{csv}": csv, "{dawood}": dawood, "{sheet}": sheet}
    result = CliRunner().invoke(app, [*(str(names.get(a, a)) for a in args), "--force"])
    assert result.exit_code == 2, result.output
    assert "is a file this command reads" in result.stderr or "examples come from" in result.stderr
    assert all(path.read_bytes() == data for path, data in kept.items())


def test_a_bundled_examples_own_file_is_not_written_over(tmp_path, monkeypatch) -> None:
    """`run dawood -o <the installed dawood.yaml> --force`: the spec named by its bundled name
    is still the file read (the check before loading saw no file called `dawood`)."""
    from backprop_tutor.spec import examples

    folder = tmp_path / "configs"
    folder.mkdir()
    mine = folder / "dawood.yaml"
    mine.write_bytes((ROOT / "configs" / "dawood.yaml").read_bytes())
    monkeypatch.setattr(examples, "_folder", lambda: folder)
    monkeypatch.chdir(tmp_path / "configs")  # no `dawood` here: the bundled name resolves
    kept = mine.read_bytes()
    result = CliRunner().invoke(app, ["run", "dawood", "-o", str(mine), "--force"])
    assert result.exit_code == 2 and "is the spec this command reads" in result.stderr
    assert mine.read_bytes() == kept
