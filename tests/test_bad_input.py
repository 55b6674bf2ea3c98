"""Bad input: one clear line naming the file, the place and the fix; exit code 2; no traceback.

The bad specs are data, one file per case under tests/data/bad-specs/ (see cases.py). Header
keys: `stderr`, text the one error line holds (a line each, as many as the line must hold);
`line`, the line it names (`<file>:<line>:`); `longest`, how long the line may be besides the
file's path; `commands`, the commands that refuse the spec (`run` unless given). What is not a
spec with its message (no file, a bad option, what a refusal leaves behind) stays as code.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cases import DATA, Case, case_params
from conftest import CONFIGS
from typer.testing import CliRunner

from backprop_tutor.cli import app

DAWOOD = (CONFIGS / "dawood.yaml").read_text(encoding="utf-8")


def _run(path: Path, command: str = "run") -> tuple[int, str]:
    result = CliRunner().invoke(app, [command, str(path)])
    assert "Traceback" not in result.output + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.stderr.strip()


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    assert old in DAWOOD, old
    path = tmp_path / "net.yaml"
    path.write_text(DAWOOD.replace(old, new, 1), encoding="utf-8")
    return path


def _refused(path: Path, command: str = "run") -> str:
    """Run on a bad file: exit code 2 and one line naming the file; returns that line."""
    code, message = _run(path, command)
    assert code == 2
    _one_line(message, path)
    return message


def _one_line(message: str, path: Path) -> None:
    assert message.count("\n") == 0, message
    assert message.startswith("error: "), message
    assert str(path) in message, message


@pytest.mark.parametrize("case", case_params("bad-specs"))
def test_a_bad_spec_is_one_line(case: Case) -> None:
    assert case.get_all("stderr"), f"{case.path}: no '# stderr:' line"
    for command in case.get("commands", "run").split():
        message = _refused(case.path, command)
        for said in case.get_all("stderr"):
            assert said in message, message
        if case.get("line"):
            assert f"{case.path}:{case.get('line')}:" in message, message
        if case.get("longest"):
            assert len(message) < int(case.get("longest")) + len(str(case.path)), message


def test_validate_lists_every_problem_the_others_count() -> None:
    """`run` says the first problem and counts the others; `validate` lists each, a line with
    its own place, without the count (it is the command the count points to)."""
    path = DATA / "bad-specs" / "several-problems.yaml"
    first = _refused(path)
    result = CliRunner().invoke(app, ["validate", str(path)])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and "Traceback" not in result.output + result.stderr
    assert f"(and {len(lines) - 1} more problems: `backprop-tutor validate {path}`" in first
    said = re.sub(r" \(and \d+ more problems: `[^`]*` lists them all\)", "", first)
    assert said in lines  # the likeliest (an unknown key) first in the one line
    places = [line.removeprefix(f"error: {path}:").split(": ")[0] for line in lines]
    assert places == ["25:11", "29:1", "31:19"]  # validate: all of them in file order
    assert all(line.startswith("error: ") and "lists them all" not in line for line in lines)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    message = _refused(path)
    assert "no such file" in message and "check the path" in message


def test_a_missing_claims_file_is_offered_the_template(tmp_path: Path) -> None:
    """The spec's hint (run a bundled config from the project folder) does not make a claims
    file; the template command, with the path asked for, does."""
    path = tmp_path / "mine.yaml"
    result = CliRunner().invoke(app, ["check", str(CONFIGS / "dawood.yaml"), str(path)])
    message = result.stderr.strip()
    assert result.exit_code == 2 and "Traceback" not in result.output + message
    _one_line(message, path)
    assert "no such file" in message and "project folder" not in message
    assert f"--claims-template {path}`" in message


LONG = "x" * 300  # past the 255 characters a file's name may have


@pytest.mark.parametrize(
    "args",
    [
        ["run", f"{LONG}.yaml"],
        ["run", LONG],  # no suffix: looked up among the bundled examples first
        ["check", str(CONFIGS / "dawood.yaml"), f"{LONG}.yaml"],
        ["run", str(CONFIGS / "dawood.yaml"), "-f", "markdown", "-o", f"{LONG}.md"],
        ["new", "--shape", "2-2-2", "--output-dir", LONG],
        ["bank", f"{LONG}.yaml"],
        ["bank", "2-2-2", "-f", "prairielearn", "-o", LONG],
        ["grade", str(CONFIGS / "dawood.yaml"), f"{LONG}.csv"],
    ],
    ids=lambda args: " ".join(a if len(a) < 40 else "LONG" for a in args),
)
def test_a_path_too_long_is_one_line(tmp_path: Path, monkeypatch, args: list[str]) -> None:
    """Path.exists raises on a name past 255 characters (an unexpected OSError, exit 3)."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "unexpected" not in result.stderr
    assert "File name too long" in result.stderr and "Error" not in result.stderr


def test_a_loop_of_links_is_named_as_one(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    message = _refused(tmp_path / "a.yaml")
    assert "leads back to itself" in message and "permissions" not in message


def test_a_bad_option_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["run", str(CONFIGS / "dawood.yaml"), "--format", "pdf"])
    assert result.exit_code == 2


def test_nothing_the_user_had_is_changed(tmp_path: Path) -> None:
    path = _broken(tmp_path, "learning_rate: 0.6", "lerning_rate: 0.6")
    before = path.read_bytes()
    _run(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.yaml"]


def test_a_refused_spec_leaves_nothing_behind(tmp_path: Path) -> None:
    """A validator's exception sits inside pydantic-core's ValidationError, which the garbage
    collector cannot see into; chained to our SpecError, it kept every frame of every refused
    run alive (600 objects a call: 1.8 GB over the 10,000-case fuzz run)."""
    import gc

    path = _broken(tmp_path, "inputs:  {i1: 0.1,", "inputs:  {i1: '1/0',")
    for command in ("run", "validate", "train"):
        for _ in range(3):  # caches warm up
            CliRunner().invoke(app, [command, str(path)])
        gc.collect()
        before = len(gc.get_objects())
        for _ in range(10):
            assert CliRunner().invoke(app, [command, str(path)]).exit_code == 2
        gc.collect()
        assert (len(gc.get_objects()) - before) / 10 < 20, command
