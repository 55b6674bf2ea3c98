"""The lectures' printed numbers, and snapshots of the rendered output, for every config.

Configs are discovered by listing configs/ (as black's test cases are): a new config without a
golden snapshot fails until `pytest --update-golden` writes one and it is reviewed.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
import yaml
from conftest import CONFIGS, GOLDEN, numbers_in, render

from backprop_tutor.core.numbers import NumberFormat
from backprop_tutor.record import run
from backprop_tutor.render.rich_tables import WorkedExample
from backprop_tutor.spec import load_spec


def _lecture(config: Path) -> dict:
    """The numbers a lecture prints (formula claims are `check`'s, in test_check.py)."""
    found = yaml.safe_load((GOLDEN / f"{config.stem}.values.yaml").read_text(encoding="utf-8"))
    return {k: v for k, v in found.items() if k == "known_differences" or _is_number(v)}


def _is_number(text: object) -> bool:
    try:
        float(str(text))
    except ValueError:
        return False
    return True


CONFIG_FILES = sorted(CONFIGS.glob("*.yaml"))
WITH_VALUES = [c for c in CONFIG_FILES if (GOLDEN / f"{c.stem}.values.yaml").exists()]
NUMBERS = [
    c
    for c in WITH_VALUES
    if any(  # golden files that hold printed numbers
        _is_number(v)
        for v in yaml.safe_load((GOLDEN / f"{c.stem}.values.yaml").read_text()).values()
    )
]


def _trace(config: Path):
    return run(load_spec(Path("configs") / config.name))


def _format(trace) -> NumberFormat:
    h = trace.header
    return NumberFormat(h.digits, h.rounding, h.fixed)


@pytest.mark.parametrize("config", NUMBERS, ids=lambda c: c.stem)
def test_every_lecture_number_is_reproduced(config: Path, in_root: Path) -> None:
    lecture = _lecture(config)
    lecture.pop("known_differences", None)
    trace = _trace(config)
    values, fmt = trace.values(), _format(trace)
    shown = {key: fmt.format(values[key]) if key in values else "(no such id)" for key in lecture}
    wrong = {k: (printed, shown[k]) for k, printed in lecture.items() if shown[k] != printed}
    assert not wrong, f"lecture vs tool: {wrong}"


@pytest.mark.parametrize("config", NUMBERS, ids=lambda c: c.stem)
def test_every_lecture_number_is_printed(config: Path, in_root: Path) -> None:
    lecture = _lecture(config)
    lecture.pop("known_differences", None)
    printed = numbers_in(render(WorkedExample(_trace(config)), width=100))
    missing = sorted(set(lecture.values()) - printed)
    assert not missing, f"numbers the lecture prints that the output lacks: {missing}"


@pytest.mark.parametrize("config", NUMBERS, ids=lambda c: c.stem)
def test_known_differences_stay_as_documented(config: Path, in_root: Path) -> None:
    differences = _lecture(config).get("known_differences", {})
    trace = _trace(config)
    values, fmt = trace.values(), _format(trace)
    for key, entry in differences.items():
        assert fmt.format(values[key]) == entry["tool"], key
        assert entry["tool"] != entry["lecture"] and entry["why"]


@pytest.mark.parametrize("config", CONFIG_FILES, ids=lambda c: c.stem)
def test_rendered_output_matches_snapshot(config: Path, in_root: Path, update_golden: bool) -> None:
    text = render(WorkedExample(_trace(config)), width=100)
    snapshot = GOLDEN / f"{config.stem}.txt"
    if update_golden:
        snapshot.write_text(text, encoding="utf-8")
    assert snapshot.exists(), f"no snapshot {snapshot.name}: run pytest --update-golden and review"
    expected = snapshot.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(True),
                text.splitlines(True),
                f"golden/{snapshot.name}",
                "output",
            )
        )
        pytest.fail(f"output differs from the snapshot:\n{diff}")


@pytest.mark.parametrize("config", CONFIG_FILES, ids=lambda c: c.stem)
def test_no_two_tables_of_a_step_share_a_heading(config: Path, in_root: Path) -> None:
    """Dawood's layer 1 had two tables headed "Gradients, layer 1 (hidden layer): per path,
    then the sum" (w1–w4, then b1): a heading must say which table is which."""
    from backprop_tutor.render.grid import Grid

    seen: set[str] = set()
    for block in WorkedExample(_trace(config)).blocks():
        if isinstance(block, str):  # a step's (or a batch example's) title: a new step
            seen = set()
            continue
        assert isinstance(block, Grid) and block.title not in seen, block.title
        seen.add(block.title)
