"""Never lose a digit: at every width, every number the tables print is printed whole, and no
line is longer than the width. The numbers are the JSON's `display` strings of the ids the
tables print (read off `run --ids`), not hand-picked ones."""

from __future__ import annotations

import json
import re

import pytest
from conftest import CONFIGS
from rich.cells import cell_len
from typer.testing import CliRunner

from backprop_tutor.cli import app

WIDTHS = (40, 60, 80, 200)
CONFIG_NAMES = sorted(p.stem for p in CONFIGS.glob("*.yaml"))
ID = re.compile(r"(?<![\w\[])(?:−?[a-z_]+\[[^\]\s]+\]|loss)(?:@\w+)?(?:#\d+)?")
PUNCTUATION = "()·:,"


def _out(args: list[str]) -> str:
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 1), (args, result.output)
    return result.stdout


def _words(text: str) -> set[str]:
    """Each whitespace-separated word without its brackets and sign: a number's digits."""
    return {w.strip(PUNCTUATION).lstrip("-−") for w in text.split()}


@pytest.fixture(scope="module", params=CONFIG_NAMES)
def printed(request) -> tuple[str, dict[str, str]]:
    """A config, and the display string of each id its tables print."""
    path = str(CONFIGS / f"{request.param}.yaml")
    display = json.loads(_out(["run", path, "--format", "json"]))["display"]
    shown = {m.lstrip("−") for m in ID.findall(_out(["run", path, "--ids", "--width", "400"]))}
    assert shown, "run --ids printed no id"
    return path, {key: display[key].lstrip("-") for key in shown}


@pytest.mark.parametrize("ids", [[], ["--ids"]], ids=["", "ids"])
@pytest.mark.parametrize("width", (*WIDTHS, 58, 78))
def test_run_prints_every_number_whole_at_every_width(printed, width: int, ids) -> None:
    """With --ids, each number's id too: a cell of two lines once made Rich squeeze a column
    below its width, and the console cropped `0.13342 / delta[o1]` to `0.13 / delta[`."""
    path, numbers = printed
    text = _out(["run", path, *ids, "--width", str(width)])
    assert max(map(cell_len, text.splitlines())) <= width  # m̂: a letter and a 0-wide accent
    words = _words(text)
    missing = {key: number for key, number in numbers.items() if number not in words}
    assert not missing, missing
    if ids:
        assert {key.lstrip("−") for key in ID.findall(text)} >= numbers.keys()


@pytest.mark.parametrize("width", WIDTHS)
def test_check_prints_every_claim_whole_at_every_width(printed, width: int, tmp_path) -> None:
    """The answer key claimed back: every claimed number in the report, whatever the width."""
    path, numbers = printed
    display = json.loads(_out(["run", path, "--format", "json"]))["display"]
    claims = tmp_path / "claims.yaml"
    claims.write_text("".join(f'"{k}": {display[k]}\n' for k in numbers), encoding="utf-8")
    text = _out(["check", path, str(claims), "--width", str(width)])
    assert max(map(cell_len, text.splitlines())) <= width  # m̂: a letter and a 0-wide accent
    words = _words(text)
    assert {k: n for k, n in numbers.items() if n not in words} == {}
