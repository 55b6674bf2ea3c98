"""Formula claims are measured before SymPy sees them, and each comparison has a time budget
(issue 20, item 12). Every input here is cheap even for code without the bounds; the inputs
that made SymPy run for minutes are case files run in a child process (test_check_hostile)."""

from __future__ import annotations

import re
import signal
import threading
import time
from pathlib import Path

import pytest
import sympy as sp
from conftest import CONFIGS, GOLDEN
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.teach.formula import parse_formula

NAMES = [
    "out_h1", "out_h2", "out_h3", "out_g1", "out_g2", "out_g3", "out_o1", "out_o2", "out_o3",
    "t_1", "t_2", "t_3", "delta_o1", "delta_o2", "x", "a", "b", "c", "d", "e", "f",
]  # fmt: skip
NAMES += [f"w{i}" for i in range(1, 19)]
SYMBOLS = {name: sp.Symbol(name, real=True) for name in NAMES}


def _nested(depth: int) -> str:
    """(((x + 1)*x + 1)*x ...): + and * alternate, so every level counts."""
    text = "x"
    for level in range(depth):
        text = f"({text} + 1)" if level % 2 == 0 else f"({text} * x)"
    return text


def _hidden_delta(units: int) -> str:
    """δ_h1 of an x-h-g-o network with `units` units a layer, written out without deltas."""
    outputs = [f"(out_o{k}-t_{k})*out_o{k}*(1-out_o{k})" for k in range(1, units + 1)]
    middle = [
        f"w{j}*out_g{j}*(1-out_g{j})*("
        + "+".join(f"w{6 + units * j + k}*{o}" for k, o in enumerate(outputs))
        + ")"
        for j in range(1, units + 1)
    ]
    return "out_h1*(1-out_h1)*(" + "+".join(middle) + ")"


@pytest.mark.parametrize(
    "text",
    [
        "out_h1*(1-out_h1)*(w5*(out_o1-t_1)*out_o1*(1-out_o1)+w7*(out_o2-t_2)*out_o2*(1-out_o2))",
        _hidden_delta(2),  # a 3-layer network, 2 units a layer
        _hidden_delta(3),  # ... and 3 (the longest that fits in 500 characters)
        "log(sigma(out_o1)) - t_1*log(1 - sigma(out_o1))",
        "(out_o1 - t_1)**2/2 + (out_o2 - t_2)**2/2",
        "x**(1/2) + x**-1 + x**0.5 + (a + b + c)**10",
        _nested(30),
    ],
)
def test_the_bounds_admit_real_formulas(text: str) -> None:
    assert len(text) <= 500, len(text)
    assert parse_formula(text, SYMBOLS) is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_nested(31), "nested more than 30 deep"),
        ("+".join(["x"] * 151), "more than the 300 allowed"),
        ("x**10*x**10*x**10*x**10*x**10", "degree 50, more than 40"),
        ("(a+b+c+d+e+f)**10", "more than 2000 terms"),
        ("(9**10)**10*(9**10)**10", "more than 100 digits"),
        ("exp(exp(exp(exp(x))))", "nested more than 3 deep"),
        ("1e7*x", "larger than the 1e+06 allowed"),
        ("x**(2*3)", "only constant powers up to 10"),
        ("x**(1/0)", "a power divides by zero"),
        ("x**11", "only constant powers up to 10"),
    ],
)
def test_each_bound_is_named(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_formula(text, SYMBOLS)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.1234567890123*x", sp.Rational(1234567890123, 10**13)),  # was roots: AttributeError
        ("0.3333333333333333*x", sp.Rational(3333333333333333, 10**16)),  # was 1/3
        ("1e-05*x", sp.Rational(1, 100000)),
        ("3*x", sp.Integer(3)),
    ],
)
def test_a_number_is_read_exactly_as_written(text: str, value: sp.Rational) -> None:
    """A formula's number is the decimal written, not a guess at a simpler one."""
    assert parse_formula(text, SYMBOLS) == value * SYMBOLS["x"]


# -- the time budget ----------------------------------------------------------------------------


def _spin(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pass


def test_the_budget_stops_a_busy_block_and_restores_the_handler() -> None:
    from backprop_tutor.teach.formula_limits import TooCostly, time_budget

    def mine(signum, frame) -> None:  # pragma: no cover - never fires
        raise AssertionError("the budget's alarm reached the previous handler")

    previous = signal.signal(signal.SIGALRM, mine)
    try:
        with pytest.raises(TooCostly), time_budget(0.05):
            _spin(30)
            pytest.fail("the budget did not stop the block within 30 s")
        assert signal.getsignal(signal.SIGALRM) is mine
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_the_budget_gives_back_a_timer_already_running() -> None:
    from backprop_tutor.teach.formula_limits import time_budget

    previous = signal.signal(signal.SIGALRM, lambda *_: None)
    signal.setitimer(signal.ITIMER_REAL, 100)
    try:
        with time_budget(5):
            pass
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 0 < left <= 100
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_off_the_main_thread_the_block_runs_without_a_budget() -> None:
    from backprop_tutor.teach.formula_limits import time_budget

    done: list[bool] = []

    def work() -> None:
        with time_budget(0.001):
            done.append(True)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(30)
    assert done == [True]


def test_a_comparison_past_the_budget_is_one_line(monkeypatch, tmp_path: Path) -> None:
    import backprop_tutor.teach.formula as formula

    monkeypatch.setattr(formula, "TIME_BUDGET", 1e-6)  # any SymPy work runs past it
    before = signal.getsignal(signal.SIGALRM)
    claims = GOLDEN / "tiwari.values.yaml"
    result = CliRunner().invoke(app, ["check", str(CONFIGS / "tiwari.yaml"), str(claims)])
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert line.startswith(f"error: {claims}:") and "\n" not in line
    assert "took more than the 1e-06 s allowed" in line
    assert signal.getsignal(signal.SIGALRM) == before


def test_an_earlier_timer_due_first_reaches_its_own_handler() -> None:
    """A hang guard's alarm (a test harness's SIGALRM) due before the budget is its owner's:
    its handler runs, not TooCostly."""
    from backprop_tutor.teach.formula_limits import time_budget

    class GuardFired(BaseException):
        pass

    def guard(signum, frame) -> None:
        raise GuardFired

    previous = signal.signal(signal.SIGALRM, guard)
    signal.setitimer(signal.ITIMER_REAL, 0.05)
    try:
        with pytest.raises(GuardFired), time_budget(60):
            _spin(30)
            pytest.fail("the earlier timer did not fire within 30 s")
        assert signal.getsignal(signal.SIGALRM) is guard
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # delivered, not re-armed
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
