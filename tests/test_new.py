"""`backprop-tutor new`: the same seed, the same exercise; every exercise is worth doing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.core.notation import NOTATIONS
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


def test_the_search_judges_vanishing_at_the_chosen_display(tmp_path: Path) -> None:
    """Seed 2's first draw has a gradient of 6.8e-5: it vanishes at 4 decimals (drawn again)
    and shows at 5, so the exercise with --display-digits 5 keeps it."""

    def gradients(*args: str) -> list[float]:
        folder = _new(tmp_path / "-".join(args), "--seed", "2", *args)
        result = CliRunner().invoke(app, ["run", str(folder / "exercise.yaml"), "-f", "json"])
        values = json.loads(result.stdout)["values"]
        return [abs(v) for k, v in values.items() if k.startswith("grad[")]

    assert min(gradients()) >= 1e-4
    assert 1e-5 <= min(gradients("--display-digits", "5")) < 1e-4


@pytest.mark.parametrize("notation", sorted(NOTATIONS))
def test_every_notation_names_every_shape(notation: str) -> None:
    """A notation's names depend on the depth and a unit's place only, and the all-8
    network of each depth holds every place a shape `new` takes can have: so each must load
    and run, with every name distinct, in every notation."""
    for depth in range(2, 7):
        shape = (8,) * depth
        settings = ExerciseSettings(shape, ("sigmoid",) * (depth - 1), notation=notation)
        _, spec = generate(settings, "t")
        assert spec.notation == notation
        names = [*spec.input_names]
        for layer in spec.layers:
            names += [
                *layer.units,
                *layer.bias_names,
                *(w for row in layer.weight_names for w in row),
            ]
        assert len(names) == len(set(names)), depth
        assert run(spec).steps
