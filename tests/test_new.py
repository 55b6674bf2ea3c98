"""`backprop-tutor new`: the same seed, the same exercise; every exercise is worth doing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.record import run
from backprop_tutor.teach.exercise import ExerciseSettings, generate
from backprop_tutor.teach.gradcheck import gradcheck


def _new(tmp_path: Path, *args: str) -> Path:
    folder = tmp_path / "ex"
    result = CliRunner().invoke(app, ["new", *args, "--output-dir", str(folder)])
    assert result.exit_code == 0, result.output + result.stderr
    return folder


def test_the_same_seed_gives_identical_files(tmp_path: Path) -> None:
    first = _new(tmp_path / "a", "--shape", "2-2-2", "--seed", "7")
    second = _new(tmp_path / "b", "--shape", "2-2-2", "--seed", "7")
    for name in ("exercise.yaml", "answers.md", "worksheet.md"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
    other = _new(tmp_path / "c", "--shape", "2-2-2", "--seed", "8")
    assert (other / "exercise.yaml").read_bytes() != (first / "exercise.yaml").read_bytes()


@pytest.mark.parametrize("activations", ["sigmoid", "relu,sigmoid", "tanh,linear"])
def test_fifty_seeds_run_pass_gradcheck_and_have_no_dead_or_saturated_unit(activations) -> None:
    names = tuple(activations.split(",")) * (2 // len(activations.split(",")))
    for seed in range(50):
        _, spec = generate(ExerciseSettings((2, 2, 2), names, seed=seed), "t")
        step = run(spec).steps[0]
        for ev in step.forward:
            assert ev.activation != "relu" or ev.net > 0
            assert ev.activation != "sigmoid" or 0.05 < ev.out < 0.95
        assert all(check.passed for check in gradcheck(spec)), seed


def test_the_worksheet_hides_every_answer(tmp_path: Path) -> None:
    folder = _new(tmp_path, "--seed", "3")
    answers = (folder / "answers.md").read_text(encoding="utf-8")
    sheet = (folder / "worksheet.md").read_text(encoding="utf-8")
    assert "____" in sheet and "____" not in answers
    new_w = [line for line in answers.splitlines() if line.startswith("| w_o1_h1 |")]
    assert new_w and new_w[-1].split("|")[4].strip() not in sheet


def test_latex_answer_key(tmp_path: Path) -> None:
    folder = _new(tmp_path, "--format", "latex", "--seed", "1")
    assert (folder / "answers.tex").read_text().startswith(r"\documentclass")


def test_existing_files_are_not_overwritten(tmp_path: Path) -> None:
    folder = _new(tmp_path, "--seed", "2")
    (folder / "answers.md").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(app, ["new", "--seed", "2", "--output-dir", str(folder)])
    assert result.exit_code == 2 and "--force" in result.stderr
    assert (folder / "answers.md").read_text() == "mine"


def test_a_bad_shape_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["new", "--shape", "2-x", "--output-dir", str(tmp_path)])
    assert result.exit_code == 2 and "is not a shape" in result.stderr
