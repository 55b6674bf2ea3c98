"""Messages a user reads (issue 20): a bug is one line and exit 3, user text is never read as
Rich's emoji codes, pydantic's own words never leak, names cannot hide a newline, and a terminal
narrower than 40 columns gets the 40-column layout (wrapped by the terminal, never cut)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import CONFIGS
from typer.testing import CliRunner

from backprop_tutor.cli import app

DAWOOD = yaml.safe_load((CONFIGS / "dawood.yaml").read_text(encoding="utf-8"))


def _invoke(*args: str, env: dict[str, str] | None = None):
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output + result.stderr
    return result


def _write(tmp_path: Path, spec: dict) -> str:
    path = tmp_path / "net.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return str(path)


def test_an_unexpected_error_is_one_line_exit_3_and_a_report_file(monkeypatch) -> None:
    """Never exit 1 (that means 'a check found a mismatch'), never a traceback."""
    import backprop_tutor.record

    def broken(spec):
        return 1 / 0

    monkeypatch.setattr(backprop_tutor.record, "run", broken)
    result = _invoke("run", "dawood")
    assert result.exit_code == 3
    line = result.stderr.strip()
    assert line.count("\n") == 0 and "unexpected ZeroDivisionError" in line
    report = Path(line.split("the details are in ")[1].split(":")[0])
    try:
        assert "ZeroDivisionError: division by zero" in report.read_text(encoding="utf-8")
        assert "Traceback" in report.read_text(encoding="utf-8")
    finally:
        report.unlink()


@pytest.mark.parametrize("where", ["title", "error"])
def test_emoji_codes_in_user_text_stay_text(tmp_path: Path, where: str) -> None:
    """/etc/passwd's `root:x:0:0` printed as `root❌0:0`: user text is not Rich markup."""
    if where == "title":
        result = _invoke("run", _write(tmp_path, {**DAWOOD, "title": "a :x: b :smile:"}))
        text = result.output
    else:
        result = _invoke("run", _write(tmp_path, {**DAWOOD, "loss": "root:x:0:0"}))
        text = result.stderr
    assert ":x:" in text and "❌" not in text and "😄" not in text


def test_a_wrong_kind_of_value_says_so_in_the_specs_words(tmp_path: Path) -> None:
    layers = [{**DAWOOD["layers"][0], "units": {"a": 1}}, *DAWOOD["layers"][1:]]
    result = _invoke("run", _write(tmp_path, {**DAWOOD, "layers": layers}))
    message = result.stderr
    assert result.exit_code == 2 and "layers[0].units: got a mapping" in message
    assert "write a list or a number" in message
    for internal in ("input tag", "_shape()", "<mapping>", "discriminator"):
        assert internal not in message


@pytest.mark.parametrize("name", ["i1\n", "i\n1", "i\t1", "i1\x1b[2J"])
def test_a_name_with_a_control_character_is_refused_in_one_line(tmp_path: Path, name: str) -> None:
    """`$` matches before a final newline; a name must be the whole string, and the message
    that quotes it stays one visible line."""
    spec = {**DAWOOD, "inputs": {name: 0.05, "i2": 0.1}}
    spec["layers"] = [{**DAWOOD["layers"][0]}, DAWOOD["layers"][1]]
    spec["layers"][0]["weights"] = {
        k: {**v, "from": name if v["from"] == "i1" else v["from"]}
        for k, v in DAWOOD["layers"][0]["weights"].items()
    }
    folder = tmp_path / "a\nfolder"  # the path a message names may hold one too
    folder.mkdir()
    result = _invoke("validate", _write(folder, spec))
    assert result.exit_code == 2 and "is not a valid name" in result.stderr
    assert result.stderr.count("\n") == 1
    assert all(c.isprintable() for c in result.stderr.rstrip("\n")), repr(result.stderr)


COMMANDS = [
    ["run", "dawood"],
    ["run", "borela", "--symbolic", "--only", "w11^(2)"],
    ["train", "xor"],
    ["check", "dawood", "golden/dawood.values.yaml"],
    ["gradcheck", "dawood"],
    ["derive", "sigmoid"],
    ["examples"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a))
def test_under_40_columns_prints_the_40_column_layout(in_root, args: list[str]) -> None:
    """COLUMNS=30 cut new w5 to `0.45` and b1 to `0`: below 40 the layout is the 40-column
    one, whole, and the terminal wraps it."""
    if args[:2] == ["run", "borela"]:
        pytest.importorskip("sympy")
    narrow = _invoke(*args, env={"COLUMNS": "30"})
    floor = _invoke(*args, "--width", "40", env={"COLUMNS": "30"})
    assert narrow.exit_code == floor.exit_code == 0, narrow.stderr
    assert narrow.output == floor.output


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x7f"])
@pytest.mark.parametrize("role", ["spec", "claims"])
def test_a_control_character_in_a_yaml_file_is_one_line_naming_its_place(
    tmp_path: Path, character: str, role: str
) -> None:
    """PyYAML's reader refuses these before parsing; that refusal was a bug report (exit 3)."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"loss: 0.5\ntitle: a{character}b\n", encoding="utf-8")
    args = ["validate", str(bad)] if role == "spec" else ["check", "dawood", str(bad)]
    result = _invoke(*args)
    assert result.exit_code == 2, result.stderr
    assert f"bad.yaml:2:9: the character U+{ord(character):04X} is not allowed" in result.stderr
    assert result.stderr.count("\n") == 1
