"""`backprop-tutor quiz`: piped answers (all right, some wrong, end of input half way) and a
real terminal."""

from __future__ import annotations

import json
import sys

import pytest
from conftest import CONFIGS, ROOT
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.core.numbers import NumberFormat
from backprop_tutor.record import run
from backprop_tutor.render.quiz import questions
from backprop_tutor.spec import load_spec

TRACE = run(load_spec(CONFIGS / "dawood.yaml"))
QUESTIONS = questions(TRACE)
SHOWN = NumberFormat(5, "truncate").format


def _quiz(answers: list[str]) -> str:
    result = CliRunner().invoke(
        app, ["quiz", str(CONFIGS / "dawood.yaml")], input="".join(f"{a}\n" for a in answers)
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_every_answer_right() -> None:
    output = _quiz([SHOWN(q.value) for q in QUESTIONS])
    total = len(QUESTIONS)
    assert f"Score: {total}/{total}" in output
    assert "forward pass 8/8" in output and "updates 10/10" in output


def test_some_answers_wrong_show_the_working_and_the_answer() -> None:
    answers = [SHOWN(q.value) for q in QUESTIONS[:6]]
    answers[1] = "0.7"  # out[h1] is 0.60108
    answers[4] = "2"  # net[o1] is 1.01977
    output = _quiz(answers)
    assert "Score: 4/6 (forward pass 4/6)" in output
    assert "not quite: output_h1 = sigmoid(0.41) = 0.60108" in output
    assert "not quite: sum_o1 = 0.60108 × 0.5 + 0.61538 × 0.6 + 0.35 = 1.01977" in output


def test_end_of_input_half_way_gives_the_score_so_far() -> None:
    half = len(QUESTIONS) // 2
    output = _quiz([SHOWN(q.value) for q in QUESTIONS[:half]])
    assert f"Score: {half}/{half}" in output
    assert "Traceback" not in output


def test_a_rounded_answer_is_right_too() -> None:
    output = _quiz(["0.41", "0.60109"])  # 0.60108788: rounded, not truncated as the slides do
    assert "Score: 2/2" in output


def test_in_a_real_terminal() -> None:
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "backprop_tutor", "quiz", "configs/dawood.yaml"],
        cwd=str(ROOT),
        encoding="utf-8",
        timeout=30,
        env={"TERM": "xterm", "PATH": "/usr/bin:/bin"},
    )
    child.expect("sum_h1 = ")
    child.sendline("0.41")
    child.expect("right")
    child.expect("output_h1 = ")
    child.sendline("0.5")
    child.expect("not quite")
    child.expect("sum_h2 = ")
    child.sendintr()  # Ctrl-C: end with the score so far
    # A Ctrl-C that lands after the prompt is written but before input() blocks in read() is
    # only a flag Python checks once read() returns (on a busy machine it waited out the 30 s
    # once): a user presses it again, and so does the test.
    if child.expect([r"Score: 1/2", pexpect.TIMEOUT], timeout=5) == 1:
        child.sendintr()
        child.expect(r"Score: 1/2")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


@pytest.mark.parametrize("config", sorted(p.stem for p in CONFIGS.glob("*.yaml")))
def test_every_question_comes_after_the_answers_it_reads(config: str) -> None:
    """Hand-calculation order: a question whose working reads another asked quantity comes
    after it. Batch normalization makes this a matter of stages: μ after every example's net
    input, δ after every example's ∂E/∂y (the sums it reads)."""
    from backprop_tutor.core.trace_rules import trace_rules

    trace = run(load_spec(CONFIGS / f"{config}.yaml"))
    rules = trace_rules(trace)
    asked = [q.id for q in questions(trace)]
    seen: set[str] = set()
    for key in asked:
        reads = {i for rule in rules[key][:1] for i in rule.inputs}
        assert not (reads & set(asked)) - seen, (key, sorted((reads & set(asked)) - seen))
        seen.add(key)


@pytest.mark.parametrize("config", ["tiwari", "xu-example-2", "dawood"])
def test_a_delta_is_asked_in_the_notations_sign(config: str) -> None:
    """Mitchell's and Xu's δ is −∂E/∂net: the quiz wants what `run` prints for it (and
    `check` reads), where it wanted ∂E/∂net and marked the lecture's own δ wrong."""
    path = str(CONFIGS / f"{config}.yaml")
    printed = json.loads(CliRunner().invoke(app, ["run", path, "-f", "json"]).stdout)["display"]
    spec = load_spec(path)
    deltas = [q for q in questions(run(spec)) if q.id.startswith("delta[")]
    assert deltas
    for q in deltas:
        assert spec.display.format(q.value) == printed[q.id], q


@pytest.mark.parametrize(
    ("answer", "fewer"),
    [("0.6011", 4), ("0.601", 3), ("0.60", 2), ("0.6", None), ("0.6012", None), ("0.60108", None)],
)
def test_an_answer_right_to_fewer_decimals_is_told_so(answer: str, fewer: int | None) -> None:
    """1.0198 for 1.01977 was 'not quite' without a word of why (check takes it, rounded)."""
    from backprop_tutor.teach.quiz import right_to_fewer

    assert right_to_fewer(answer, 0.6010878788, 5) == fewer
    if fewer:
        assert f"not quite: right to {fewer} decimals, give 5" in _quiz(["0.41", answer])


def test_a_value_past_1e16_is_right_as_the_tables_show_it() -> None:
    """The tables show 152415765279684327.0 as 1.52416e+17: that answer (or its truncation) is
    within a unit of the mantissa's last digit; one figure fewer is not (it took ±1e-5 and
    marked the shown answer wrong)."""
    from backprop_tutor.teach.quiz import is_right

    value = 152415765279684327.0
    assert is_right("1.52416e+17", value, 5) and is_right("1.52415e+17", value, 5)
    assert not is_right("1.5242e+17", value, 5)
