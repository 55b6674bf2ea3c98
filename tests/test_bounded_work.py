"""Issue 20, items 14 and 16: work that grows past memory or time is refused up front, or says
how far it got. Each command that once ran for minutes (or until memory ran out) runs here in a
child process with a memory ceiling and a timeout, so a regression fails instead of hanging."""

from __future__ import annotations

import hashlib
import random
import subprocess
from pathlib import Path

import pytest
import yaml
from child import cli_child
from conftest import CONFIGS, wide_network
from typer.testing import CliRunner

from backprop_tutor.cli import app


def _one_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def _steps(path: Path, steps: int) -> Path:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    spec["steps"] = steps
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


# -- item 14: a trace too big to hold is refused before it is built ----------------------------
@pytest.mark.parametrize(
    "command",
    [
        ["run", "{spec}", "-o", "{out}.md"],
        ["run", "{spec}", "--force"],
        ["run", "{spec}", "--format", "json", "-o", "{out}.json"],
        ["run", "{spec}", "--only", "w_h1_x1"],
        ["check", "{spec}", "{claims}"],
        ["quiz", "{spec}"],
        ["draw", "{spec}", "-o", "{out}.svg", "--force"],
    ],
    ids=lambda c: " ".join(c[:1] + [a for a in c[2:] if a.startswith("-")]),
)
def test_200_200_200_with_1000_steps_is_refused_with_the_figure(
    tmp_path: Path, command: list[str]
) -> None:
    """`steps: 1000` on 200-200-200 validates; check, quiz and `run -o` then hit 4 GB after
    minutes. Now one line: the numbers the trace would hold, its size, and the way out."""
    spec = _steps(wide_network(tmp_path, (200, 200, 200)), 1000)
    claims = tmp_path / "claims.yaml"
    claims.write_text("grad[w_h1_x1]: 0.123\n", encoding="utf-8")
    out = tmp_path / "out"
    args = [a.format(spec=spec, claims=claims, out=out) for a in command]
    said = _one_line(cli_child(args, input="0.5\n" if command[0] == "quiz" else ""))
    if command[0] in ("quiz", "draw"):  # they trace step 1 only, and even that is too big
        assert "one step of this network would record 1,007,202 numbers" in said, said
    else:
        assert "1,000 steps of this network would record 1,006,601,601 numbers" in said, said
    assert "big.yaml:" in said and " MB" in said and "summary" in said, said
    assert not list(tmp_path.glob("out*")), "nothing is written"


def test_a_spec_that_fits_in_fewer_steps_is_told_how_many(tmp_path: Path) -> None:
    # 9,801 numbers a step, and 51 for the example again after the last update
    spec = _steps(wide_network(tmp_path, (30, 20, 10)), 1000)
    said = _one_line(cli_child(["run", str(spec), "-o", str(tmp_path / "all.md")]))
    assert "9,801,051 numbers" in said and "steps: 20 or fewer" in said, said


def test_quiz_traces_only_the_step_it_asks(tmp_path: Path) -> None:
    """The quiz asks step 1: 1,000 steps of a 60-60-10 network (48 million numbers, about
    4 GB as a trace) are neither built nor refused."""
    spec = _steps(wide_network(tmp_path, (60, 60, 10)), 1000)
    result = cli_child(["quiz", str(spec)], input="0.5\n")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "questions" in result.stdout.splitlines()[0]


def test_train_tracing_a_big_full_batch_is_refused(tmp_path: Path) -> None:
    """--trace-steps records every example of a traced batch: 200 examples of 60-60-10 in one
    full batch would hold 11 million numbers."""
    rng = random.Random(1)
    spec = yaml.safe_load(wide_network(tmp_path, (60, 60, 10)).read_text(encoding="utf-8"))
    spec["examples"] = [
        {"inputs": [round(rng.random(), 2) for _ in range(60)], "targets": [1] + [0] * 9}
        for _ in range(200)
    ]
    spec["training"] = {"batch": "full", "epochs": 2}
    path = tmp_path / "batch.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    said = _one_line(cli_child(["train", str(path), "--trace-steps", "1"]))
    assert "200 examples" in said and "batch_size" in said and " MB" in said, said
    assert cli_child(["train", str(path)]).returncode == 0  # untraced, the same run is fine


# -- item 16: a long training run says how far it got ------------------------------------------
def test_piped_training_reports_progress_on_stderr_about_every_ten_seconds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Piped, `max_epochs: 10,000,000` ran silently. The clock here moves 4 s an epoch, so a
    line comes every third epoch; on stderr only, stdout keeps the report."""
    import backprop_tutor.train as train_module

    ticks = iter(range(0, 10**6, 4))
    monkeypatch.setattr(train_module, "clock", lambda: float(next(ticks)), raising=False)
    spec = yaml.safe_load((CONFIGS / "xor.yaml").read_text(encoding="utf-8"))
    spec["training"] = {**spec["training"], "epochs": 30, "max_epochs": 10_000_000}
    spec["training"].pop("loss_threshold", None)
    path = tmp_path / "xor.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    result = CliRunner().invoke(app, ["train", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert 8 <= len(lines) <= 11, lines
    first = lines[0].split(" · ")
    assert first[0] == "epoch 3 of 30" and first[1].startswith("loss ") and first[2] == "12 s"
    float(first[1].removeprefix("loss "))
    assert "epoch 3 of 30" not in result.stdout


def test_a_short_piped_training_run_prints_no_progress(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["train", "xor"])
    assert result.exit_code == 0 and result.stderr == ""


# -- item 16: `new` bounds its search and names the option to change ---------------------------
def test_new_with_relu_everywhere_gives_up_in_seconds_and_says_what_to_change(
    tmp_path: Path,
) -> None:
    """8-8-8 with relu in all 16 units: about 1 draw in 65,000 has none dead. The search took
    2,000 draws and 105 s to say so; now it ends well inside the timeout, with the counts."""
    result = cli_child(
        ["new", "--shape", "8-8-8", "--activations", "relu", "--output-dir", str(tmp_path / "x")],
        seconds=90,
    )
    assert result.returncode == 2, result.stderr
    last = result.stderr.splitlines()[-1]
    assert last.startswith("error: no exercise worth doing in 10,000 draws"), last
    assert "10,000 had a dead ReLU" in last and "--activations relu,sigmoid" in last, last
    assert "exercise.yaml" not in result.stderr and "Traceback" not in result.stderr
    assert all(line.startswith("new: ") for line in result.stderr.splitlines()[:-1])
    assert not (tmp_path / "x").exists()


def test_new_search_progress_line(capsys: pytest.CaptureFixture[str]) -> None:
    from backprop_tutor.cli.common import _search_progress
    from backprop_tutor.teach.exercise import DEAD, Search

    search = Search(draws=1_500)
    search.refused[DEAD] = 1_500
    _search_progress("new", every=0.0)(search)
    line = capsys.readouterr().err
    assert (
        line.startswith("new: 1,500 of at most 10,000 draws tried") and "1,500 had a dead" in line
    )


@pytest.mark.parametrize(
    ("args", "option", "fix"),
    [
        (["--learning-rate", "inf"], "--learning-rate inf", "such as 0.5"),
        (["--activations", "foo"], "--activations", "choose one of"),
        (["--loss", "foo"], "--loss", "choose one of"),
        (["--loss", "cross_entropy"], "--loss cross_entropy", "--activations sigmoid,softmax"),
        (["--shape", "2-2-1", "--activations", "sigmoid,softmax"], "--activations", "--shape"),
    ],
)
def test_new_names_the_option_not_a_file_that_does_not_exist(
    tmp_path: Path, args: list[str], option: str, fix: str
) -> None:
    result = CliRunner().invoke(app, ["new", *args, "--output-dir", str(tmp_path / "x")])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {option}") and fix in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and "exercise.yaml" not in result.stderr
    assert not (tmp_path / "x").exists()


def test_new_symmetric_cross_entropy_draws_targets_it_is_defined_for(tmp_path: Path) -> None:
    """Its one-hot targets had a 0, where log t is not defined: every draw was refused."""
    folder = tmp_path / "x"
    args = ["--loss", "symmetric_cross_entropy", "--activations", "sigmoid,softmax"]
    result = CliRunner().invoke(app, ["new", *args, "--output-dir", str(folder)])
    assert result.exit_code == 0, result.stderr
    targets = yaml.safe_load((folder / "exercise.yaml").read_text(encoding="utf-8"))["targets"]
    assert all(0 < t <= 1 for t in targets) and sum(targets) == pytest.approx(1)


# The exercises the 2,000-draw search gave (its YAML's sha256), before the search was sped up
# and bounded: the same seed still gives the same exercise.
BEFORE = [
    (((2, 2, 2), ("sigmoid", "sigmoid"), "half_sse", 0), "8823c5fb50051f0e"),
    (((2, 2, 2), ("sigmoid", "sigmoid"), "half_sse", 7), "99e0c4533f9e00a0"),
    (((2, 2, 2), ("relu", "sigmoid"), "half_sse", 3), "321a9070bf340d49"),
    (((3, 3, 2), ("relu", "relu"), "mse", 5), "e1e381aca42ce58c"),
    (((2, 3, 3), ("tanh", "softmax"), "cross_entropy", 1), "73fb28d42456861a"),
    (((8, 8, 8, 8, 8, 8), ("sigmoid",) * 5, "half_sse", 2), "47732a0c665567e2"),
]


@pytest.mark.parametrize(("settings", "digest"), BEFORE, ids=lambda v: str(v)[:40])
def test_new_gives_each_seed_the_exercise_it_gave_before(settings: tuple, digest: str) -> None:
    from backprop_tutor.teach.exercise import ExerciseSettings, generate

    shape, activations, loss, seed = settings
    text, _ = generate(ExerciseSettings(shape, activations, loss, seed=seed), "t")
    assert hashlib.sha256(text.encode()).hexdigest()[:16] == digest
