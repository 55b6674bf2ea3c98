"""Every penalty against independent references, on networks the lectures don't have.

The penalty's gradient term is written again here from its definition (L2: λ/2·w² gives λ·w;
L1: λ·|w| gives λ·sign(w)), added to the recorded gradient of the error and fed to the
optimizers' hand reference (tests/test_optimizers.py); then PyTorch (the penalty added to the
loss autograd differentiates, AdamW's decay in a parameter group), central differences of
E + P, the rules `check` replays, and training.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from conftest import ROOT
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_gradients import _away_from_kinks as smooth
from test_gradients import networks
from test_optimizers import (
    STEPS,
    _away_from_kinks,
    _close,
    _noise_gradients,
    _reference_step,
    gradients_agree,
    spec_params,
    weights_only,
)

from backprop_tutor.core.regularizers import REGULARIZERS
from backprop_tutor.core.rules import Evaluator
from backprop_tutor.core.trace_rules import trace_rules
from backprop_tutor.engine import Network
from backprop_tutor.record import run
from backprop_tutor.spec import spec_from_text
from backprop_tutor.teach.gradcheck import agrees
from backprop_tutor.train import LAST, train

LAMBDA = 0.3
TERMS = {  # each penalty's gradient term, from its definition
    "l2": lambda lam, w: lam * w,
    "l1": lambda lam, w: lam * np.sign(w),
}
PENALTIES = {"l2": lambda lam, w: lam / 2 * w**2, "l1": lambda lam, w: lam * abs(w)}
OPTIMIZERS_TRIED = ["sgd", "momentum", "adam"]


def _spec(text: str, regularizer: str | None, optimizer: str, decay_biases: bool):
    spec = yaml.safe_load(text)
    spec.update(
        optimizer={"name": optimizer},
        steps=STEPS,
        learning_rate=0.05,
        decay_biases=decay_biases,
    )
    if regularizer:
        spec["regularization"] = {"name": regularizer, "strength": LAMBDA}
    return spec_from_text(yaml.safe_dump(spec), "drawn.yaml")


def _decayed(spec, params: list[str], decay_biases: bool) -> np.ndarray:
    return np.ones(len(params)) if decay_biases else weights_only(spec, params)


def test_every_regularizer_has_a_term_here() -> None:
    assert set(TERMS) == set(REGULARIZERS) == set(PENALTIES)


@pytest.mark.parametrize("optimizer", OPTIMIZERS_TRIED)
@pytest.mark.parametrize("regularizer", sorted(REGULARIZERS))
@settings(max_examples=8, deadline=None)
@given(text=networks(), decay_biases=st.booleans())
def test_every_penalty_is_its_definitions_update(
    text: str, regularizer: str, optimizer: str, decay_biases: bool
) -> None:
    """Three updates: the decay, g and new value of every parameter as the reference has
    them from the recorded gradients of the error."""
    spec = _spec(text, regularizer, optimizer, decay_biases)
    values = run(spec).values()
    params = spec_params(spec)
    decayed = _decayed(spec, params, decay_biases)
    w, state = np.array([values[f"old[{p}]"] for p in params]), {}
    hyper = dict(spec.optimizer.settings)
    for n in range(1, STEPS + 1):
        at = "" if n == 1 else f"@{n}"
        decay = TERMS[regularizer](LAMBDA, w) * decayed
        g = np.array([values[f"grad[{p}]{at}"] for p in params]) + decay
        for p, d, total in zip(params, decay, g, strict=True):
            assert _close(values[f"decay[{p}]{at}"], d), (p, n)
            assert _close(values[f"g[{p}]{at}"], total), (p, n)
        w = _reference_step(optimizer, hyper, spec.learning_rate, n, g, w, state)
        for p, expected in zip(params, w, strict=True):
            assert _close(values[f"new[{p}]{at}"], expected), (p, n)


@pytest.mark.parametrize(
    ("regularizer", "optimizer"),
    [(r, o) for r in sorted(REGULARIZERS) for o in OPTIMIZERS_TRIED] + [(None, "adamw")],
)
@settings(max_examples=8, deadline=None)
@given(text=networks(), decay_biases=st.booleans())
def test_every_penalty_agrees_with_torch_for_three_updates(
    text: str, regularizer: str | None, optimizer: str, decay_biases: bool
) -> None:
    """`gradcheck --torch`: the penalty in the loss autograd differentiates (AdamW: its
    decay, the biases in a group of their own unless decayed), to 1e-10."""
    pytest.importorskip("torch", reason="PyTorch is not installed (pip install '.[test]')")
    from backprop_tutor.teach.gradcheck import torch_update_check

    spec = _spec(text, regularizer, optimizer, decay_biases)
    trace = run(spec)
    assume(_away_from_kinks(trace) and not _noise_gradients(trace))
    assume(gradients_agree(spec, trace))
    if regularizer == "l1":  # sign(w) at w = 0 is PyTorch's 0 too, but a weight that rounds
        assume(all(abs(v) > 1e-9 for k, v in trace.values().items() if k.startswith("new[")))
    checks = torch_update_check(spec)
    assert len(checks) == STEPS * len(spec_params(spec))
    failed = [(c.param, c.backprop, c.reference) for c in checks if not c.passed]
    assert not failed, failed


@pytest.mark.parametrize("regularizer", sorted(REGULARIZERS))
@settings(max_examples=15, deadline=None)
@given(text=networks(), decay_biases=st.booleans())
def test_g_is_the_slope_of_the_error_with_its_penalty(
    text: str, regularizer: str, decay_biases: bool
) -> None:
    """g[p] of the first update against central differences of E + P, P summed here over the
    decayed parameters."""
    assume(smooth(text))  # no ReLU at its kink, no saturated binary cross-entropy
    spec = _spec(text, regularizer, "sgd", decay_biases)
    values = run(spec).values()
    params = spec_params(spec)
    decayed = dict(zip(params, _decayed(spec, params, decay_biases), strict=True))
    network = Network.from_spec(spec)
    slots = {name: (i, b, ix) for name, i, b, ix in network.slots()}
    x, t = np.array(spec.inputs), np.array(spec.targets)

    def objective() -> float:
        current = network.parameter_values()
        penalty = sum(decayed[p] * PENALTIES[regularizer](LAMBDA, current[p]) for p in params)
        return network.total_loss(x, t) + penalty

    h = 1e-6
    for p in params:
        i, is_bias, index = slots[p]
        array, old = network.array(i, is_bias), values[f"old[{p}]"]
        if regularizer == "l1" and abs(old) <= 10 * h:  # |w| has a kink at 0: no slope
            continue
        array[index] = old + h
        up = objective()
        array[index] = old - h
        down = objective()
        array[index] = old
        numeric = (up - down) / (2 * h)
        assert agrees(values[f"g[{p}]"], numeric, values["loss"]), (p, numeric)


@pytest.mark.parametrize("regularizer", sorted(REGULARIZERS))
@settings(max_examples=10, deadline=None)
@given(text=networks())
def test_the_rules_replay_every_penalty_quantity(text: str, regularizer: str) -> None:
    """`check` judges decay[w5]@2 and g[w5]@2 by their rules: from the givens alone the rules
    give the recorded numbers."""
    trace = run(_spec(text, regularizer, "momentum", False))
    values, rules = trace.values(), trace_rules(trace)
    leaves = {key: value for key, value in values.items() if key not in rules}
    replayed = Evaluator(rules, values).replay(leaves)
    checked = 0
    for key, (value, _) in replayed.items():
        if key.partition("[")[0] in ("decay", "g", "new") and key in values:
            assert _close(value, values[key], 1e-9), (key, value, values[key])
            checked += 1
    assert checked >= 3 * STEPS * len(trace.steps[0].updates)


def _xor(**changes):
    text = yaml.safe_load((ROOT / "configs" / "xor.yaml").read_text(encoding="utf-8"))
    text["training"].update(epochs=40, max_epochs=40)
    text.update(changes)
    return spec_from_text(yaml.safe_dump(text), str(ROOT / "configs" / "xor.yaml"))


def test_decay_keeps_trained_weights_smaller_and_a_traced_update_ends_where_training_did():
    plain = train(_xor()).parameters
    result = train(_xor(regularization={"name": "l2", "strength": 0.05}), {LAST})
    decayed = result.parameters
    weights = [p for p in plain if p.startswith("w")]
    assert sum(decayed[p] ** 2 for p in weights) < sum(plain[p] ** 2 for p in weights)
    ((_, traced),) = result.traced.items()
    assert {u.param: u.new for u in traced.updates} == decayed
    assert all(dict(u.shown)["decay"] == 0.0 for u in traced.updates if u.param.startswith("b"))


def test_a_batch_mean_gains_the_decay_once() -> None:
    """With reduction: mean the penalty's term is added to the batch's mean gradient, not to
    each example's (PyTorch's weight decay on a mean loss)."""
    spec = _xor(
        regularization={"name": "l2", "strength": 0.05},
        training={"batch": "full", "reduction": "mean", "epochs": 3, "max_epochs": 3},
    )
    ((_, traced),) = train(spec, {LAST}).traced.items()
    for u in traced.updates:
        shown = dict(u.shown)
        assert shown["g"] == pytest.approx(u.gradient + shown["decay"], rel=1e-15)
        expected = 0.0 if u.param.startswith("b") else 0.05 * u.old
        assert shown["decay"] == pytest.approx(expected, rel=1e-15)
