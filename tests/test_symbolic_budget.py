"""The work `--symbolic` does: the estimate that bounds it, the shortcuts that cut it, and the
progress it reports. See test_symbolic_bounds.py for the big networks themselves."""

from __future__ import annotations

import io
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import sympy as sp
from conftest import CONFIGS, ROOT, wide_network
from rich.console import Console
from test_symbolic_bounds import sigmoid_network
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.core.activations import activation
from backprop_tutor.record import run
from backprop_tutor.render import symbolic_view
from backprop_tutor.render.symbolic_view import progress
from backprop_tutor.spec import load_spec
from backprop_tutor.spec.limits import lists_paths
from backprop_tutor.symbolic import budget as symbolic_budget
from backprop_tutor.symbolic import proof
from backprop_tutor.symbolic.budget import BUDGET_SECONDS, estimate, refusal
from backprop_tutor.symbolic.derivation import Deriver, _factor_product
from backprop_tutor.symbolic.forms import inline

ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "linear"]


def _downstream(k: int) -> sp.Expr:
    """Σ_k w_jk δ_k as derivation.py builds it (unevaluated, in the units' order)."""
    return sp.Add(
        *(
            sp.Symbol(f"w_o{i}_h1", real=True) * sp.Symbol(f"δ_o{i}", real=True)
            for i in range(1, k + 1)
        ),
        evaluate=False,
    )


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("k", [1, 2, 3, 6, 11])
def test_the_delta_is_factored_exactly_as_sympy_factors_it(name: str, k: int) -> None:
    out, net = sp.Symbol("out_h1", real=True), sp.Symbol("net_h1", real=True)
    dout = activation(name).textbook(sp, out, net)
    ours, sympys = _factor_product(dout, _downstream(k)), sp.factor(_downstream(k) * dout)
    assert ours == sympys and inline(ours) == inline(sympys)


def test_a_sum_whose_terms_share_a_symbol_is_left_to_sympy() -> None:
    w, d1, d2, out = sp.symbols("w d1 d2 out", real=True)
    total = sp.Add(w * d1, w * d2, evaluate=False)
    assert _factor_product(out * (1 - out), total) == sp.factor(total * out * (1 - out))


def test_a_sum_of_300_terms_is_factored_without_recursing() -> None:
    """Item 10: SymPy's own factoring recursed past Python's limit at 150 units."""
    out = sp.Symbol("out_h1", real=True)
    factored = _factor_product(out * (1 - out), _downstream(300))
    assert factored == -out * (out - 1) * sp.Add(*_downstream(300).args)


def _seconds_by_regime(tmp_path: Path, shapes, softmax: bool) -> dict[bool, list[float]]:
    """Estimates in the order of `shapes`, apart for networks whose paths are listed and
    those past scale.PATH_LIMIT (the delta form alone: less to derive, and so less work).
    Within a family the proof's kind must not change either: a network of at most three
    layers is proved on its composed loss, which costs more than a proof one layer deep."""
    found: dict[bool, list[float]] = {True: [], False: []}
    for shape in shapes:
        make = wide_network if softmax else sigmoid_network
        spec = load_spec(make(tmp_path, shape, name=f"{shape}.yaml"))
        found[lists_paths(spec)].append(estimate(spec).seconds)
    return found


@pytest.mark.parametrize("softmax", [True, False])
def test_the_estimate_grows_with_the_network(tmp_path: Path, softmax: bool) -> None:
    for family in (
        [(2, k, k) for k in (3, 5, 10, 17, 20, 40, 80)],
        [(3, 3, k, 3) for k in (3, 10, 25, 50, 100)],
        [(2, *[4] * depth, 2) for depth in (3, 4, 6, 8)],  # all proved one layer deep
        [(n, 5, 5) for n in (2, 10, 40, 160)],
    ):
        for seconds in _seconds_by_regime(tmp_path, family, softmax).values():
            assert seconds == sorted(seconds) and len(set(seconds)) == len(seconds), family


def test_the_estimate_grows_with_the_parameters_chosen(tmp_path: Path) -> None:
    spec = load_spec(sigmoid_network(tmp_path, (3, 3, 25, 3)))
    names = list(symbolic_budget.work(spec))
    seconds = [estimate(spec, names[:n]).seconds for n in (1, 10, 50, len(names))]
    assert seconds == sorted(seconds) and estimate(spec).seconds == seconds[-1]


@pytest.mark.parametrize("config", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_bundled_config_fits_the_budget(config: Path) -> None:
    spec = load_spec(config)
    assert refusal(spec) is None and estimate(spec).seconds < BUDGET_SECONDS / 2


def test_the_estimate_chooses_proofs_as_derivation_does() -> None:
    assert symbolic_budget.MAX_PROOF_PATHS == proof.MAX_PROOF_PATHS
    assert symbolic_budget.MAX_COMPOSED_LAYERS == proof.MAX_COMPOSED_LAYERS


def test_a_job_too_big_is_refused_before_sympy_is_imported(tmp_path: Path) -> None:
    path = wide_network(tmp_path, (2, 60, 60))
    code = (
        "import sys; from typer.testing import CliRunner; from backprop_tutor.cli import app; "
        f"r = CliRunner().invoke(app, ['run', {str(path)!r}, '--symbolic']); "
        "print(r.exit_code, 'sympy' in sys.modules); print(r.stderr, end='')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    verdict, line = out.stdout.split("\n", 1)
    assert verdict == "2 False"
    assert line.count("\n") == 1 and str(path) in line
    assert "3,840 parameters" in line and "--only w_h1_x1,w_o1_h1" in line and "--force" in line


def test_over_the_budget_only_force_derives(in_root, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(symbolic_budget, "BUDGET_SECONDS", 0.0)
    for args, hint in (([], "--only w1,w5"), (["--only", "w5,w1"], "name fewer")):
        result = CliRunner().invoke(app, ["run", "configs/dawood.yaml", "--symbolic", *args])
        assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.stderr
        assert hint in result.stderr and "--force" in result.stderr
        forced = ["run", "configs/dawood.yaml", "--symbolic", *args, "--force"]
        assert CliRunner().invoke(app, forced).exit_code == 0


def test_progress_lines_only_once_the_job_is_long() -> None:
    now = [0.0]
    stream = io.StringIO()
    with progress(Console(file=io.StringIO()), 4, stream, clock=lambda: now[0]) as advance:
        for done, seconds in ((1, 3.0), (2, 12.0), (3, 15.0), (4, 40.0)):
            now[0] = seconds
            advance(done)
    assert stream.getvalue() == "--symbolic: 2 of 4 parameters derived, 12 s\n"


def test_a_terminal_gets_a_bar_that_goes_away() -> None:
    screen, stream = io.StringIO(), io.StringIO()
    console = Console(file=screen, force_terminal=True, width=80)
    with progress(console, 3, stream) as advance:
        for done in (1, 2, 3):
            advance(done)
    assert "deriving" in screen.getvalue() and stream.getvalue() == ""


def test_progress_goes_to_stderr_never_into_the_output(
    in_root, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(symbolic_view, "PROGRESS_SECONDS", 0.0)
    result = CliRunner().invoke(app, ["run", "configs/dawood.yaml", "--only", "w5,w1"])
    assert result.exit_code == 0
    assert "1 of 2 parameters derived" in result.stderr
    assert "parameters derived" not in result.stdout


@pytest.mark.parametrize(
    ("shape", "kind"), [((2, 2, 2), "composed loss"), ((2, 3, 3, 3, 3, 2), "one layer deep")]
)
def test_what_is_left_out_of_a_proof_still_fails_it(
    tmp_path: Path, shape: tuple[int, ...], kind: str
) -> None:
    """Only what a parameter moves is written out in its proof; a chain-rule sum with a path
    or a factor missing must still fail it."""
    trace = run(load_spec(sigmoid_network(tmp_path, shape)))
    deriver = Deriver(trace, trace.steps[0])
    for event in trace.steps[0].gradients:
        assert deriver.derive(event).proof is True
        assert kind in deriver.derive(event).proof_note
        if event.paths:
            wrong = replace(event, paths=event.paths[:-1])
        else:
            wrong = replace(event, factors=(event.factors[0], event.factors[2]))
        assert deriver.derive(wrong).proof is False, event.param
