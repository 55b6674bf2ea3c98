"""Every optimizer against independent references, on networks the lectures don't have.

PyTorch's own torch.optim (where installed) and a hand-written numpy reference here (always):
the formulas below are written again from the papers, not read from the registry, and fed
the gradients the engine recorded (themselves checked against finite differences and
autograd elsewhere). Then each optimizer's rules must replay its numbers (check), its state
must carry across a traced training update, and Adam must learn XOR.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
import yaml
from conftest import ROOT
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_gradients import networks
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.core.optimizers import OPTIMIZERS, RANGES
from backprop_tutor.core.rules import Evaluator
from backprop_tutor.core.trace_rules import trace_rules
from backprop_tutor.record import run
from backprop_tutor.spec import load_spec, spec_from_text
from backprop_tutor.train import LAST, train

STEPS = 3


def _spec(text: str, name: str, update_biases: bool = True, settings_: dict | None = None):
    spec = yaml.safe_load(text)
    spec.update(
        optimizer={"name": name, **(settings_ or {})},
        steps=STEPS,
        learning_rate=0.05,
        update_biases=update_biases,
    )
    return spec_from_text(yaml.safe_dump(spec), "drawn.yaml")


def _away_from_kinks(trace) -> bool:
    """No ReLU net input within 1e-6 of its kink at any step: there PyTorch and the engine may
    round to opposite sides, and both are right."""
    kinked = {"relu", "leaky_relu"}
    return all(
        abs(f.net) > 1e-6
        for step in trace.steps
        for f in step.forward
        if trace.header.activations[f.layer - 1] in kinked
    )


def _noise_gradients(trace) -> bool:
    """A gradient that is 0 up to rounding (a softmax layer's shared bias: exactly 0 here,
    1e-17 in PyTorch). AdaGrad, RMSProp and Adam divide a gradient by its own size, so such
    noise moves the parameter by up to η either way: both are right, and no tolerance can
    say so. Or a gradient 1e8 times below the largest: through a saturated unit, whose
    1 − tanh² ≈ 1e-10 keeps only 6 of its digits in either form (found by hypothesis:
    AdaGrad's Δ then differed in the 7th digit)."""
    shared_softmax_bias = any(
        f.bias
        and trace.header.activations[f.layer - 1] == "softmax"
        and sum(other.bias == f.bias for other in trace.steps[0].forward) > 1
        for f in trace.steps[0].forward
    )  # Σ of a softmax layer's deltas: 0 in exact arithmetic, so its gradient is all rounding
    for step in trace.steps:
        gradients = [abs(u.gradient) for u in step.updates]
        if any(0 < g < 1e-8 * max(gradients) for g in gradients):
            return True
    return shared_softmax_bias


def _textbook_overflow(replayed: dict, values: dict) -> bool:
    """A dE/dout the rules make inf or NaN where the engine's is finite: an output σ of
    exactly 1.0 (net 40) under binary cross-entropy, whose rule −t/o + (1 − t)/(1 − o)
    divides by 0 as a hand calculation would, while the engine works from the loss's own
    form (found by hypothesis through a ReLU stack). Everything after it is NaN too; a loss
    whose rule stays finite there (half SSE's o − t) is still replayed."""
    return any(
        key.startswith("de_dout[") and not math.isfinite(value) and math.isfinite(values[key])
        for key, (value, _) in replayed.items()
        if key in values
    )


# -- the hand reference ------------------------------------------------------------------------
def _reference_step(name: str, h: dict, lr: float, t: int, g, w, state: dict, decayed=1.0):
    """One update of parameter values w (an array) from gradient g, as the papers write it;
    `decayed`: 1 for each parameter a decay reaches, 0 for the others (the biases)."""
    if name == "sgd":
        return w - lr * g
    if name == "momentum":  # Mitchell: Δw(n) = −η g + α Δw(n − 1)
        state["d"] = -lr * g + h["momentum"] * state.get("d", 0.0)
        return w + state["d"]
    if name == "nesterov":  # Sutskever et al.: PyTorch's nesterov=True with a fixed η
        buf = h["momentum"] * state.get("buf", 0.0) + g
        state["buf"] = buf
        return w - lr * (g + h["momentum"] * buf)
    if name == "adagrad":  # Duchi et al.
        state["G"] = state.get("G", 0.0) + g**2
        return w - lr * g / (np.sqrt(state["G"]) + h["epsilon"])
    if name == "rmsprop":  # Hinton's lecture 6e
        state["E"] = h["rho"] * state.get("E", 0.0) + (1 - h["rho"]) * g**2
        return w - lr * g / (np.sqrt(state["E"]) + h["epsilon"])
    if name in ("adam", "adamw"):  # Kingma & Ba, Algorithm 1; Loshchilov & Hutter for W
        b1, b2 = h["beta1"], h["beta2"]
        state["m"] = b1 * state.get("m", 0.0) + (1 - b1) * g
        state["v"] = b2 * state.get("v", 0.0) + (1 - b2) * g**2
        m_hat, v_hat = state["m"] / (1 - b1**t), state["v"] / (1 - b2**t)
        decay = h.get("weight_decay", 0.0) * decayed * w
        return w - lr * (m_hat / (np.sqrt(v_hat) + h["epsilon"]) + decay)
    raise AssertionError(f"no hand reference for {name}: write one here")


def weights_only(spec, params: list[str]) -> np.ndarray:
    """1 for each weight, 0 for each bias: what a decay reaches by default."""
    biases = {name for layer in spec.layers for name in layer.bias_names}
    return np.array([0.0 if p in biases else 1.0 for p in params])


def _close(a: float, b: float, relative: float = 1e-10) -> bool:
    return abs(a - b) <= relative * max(abs(a), abs(b)) + 1e-14


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@settings(max_examples=10, deadline=None)
@given(text=networks(), update_biases=st.booleans())
def test_every_optimizer_is_the_papers_update(text: str, name: str, update_biases: bool) -> None:
    """Three updates, the state carried: each new value as the hand reference computes it
    from the recorded gradients."""
    spec = _spec(text, name, update_biases)
    trace = run(spec)
    values = trace.values()
    hyper = dict(spec.optimizer.settings)
    params = [u.param for u in trace.steps[0].updates]
    moving = [u.param for u in trace.steps[0].updates if u.updated]
    w = np.array([values[f"old[{p}]"] for p in moving])
    decayed = weights_only(spec, moving)
    state: dict = {}
    for n in range(1, STEPS + 1):
        at = "" if n == 1 else f"@{n}"
        g = np.array([values[f"grad[{p}]{at}"] for p in moving])
        w = _reference_step(name, hyper, spec.learning_rate, n, g, w, state, decayed)
        for p, expected in zip(moving, w, strict=True):
            assert _close(values[f"new[{p}]{at}"], expected), (name, p, n)
        for p in set(params) - set(moving):  # update_biases false: kept as they were
            assert values[f"new[{p}]{at}"] == values[f"old[{p}]{at}"]


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@settings(max_examples=10, deadline=None)
@given(text=networks(), update_biases=st.booleans())
def test_every_optimizer_agrees_with_torch_for_three_updates(
    text: str, name: str, update_biases: bool
) -> None:
    """`gradcheck --torch`'s replay: torch.optim and autograd from the same start, to 1e-10."""
    pytest.importorskip("torch", reason="PyTorch is not installed (pip install '.[test]')")
    from backprop_tutor.teach.gradcheck import torch_update_check

    spec = _spec(text, name, update_biases)
    trace = run(spec)
    assume(_away_from_kinks(trace) and not _noise_gradients(trace))
    assume(gradients_agree(spec, trace))
    checks = torch_update_check(spec)
    assert len(checks) == STEPS * len(spec_params(spec))
    failed = [(c.param, c.backprop, c.reference) for c in checks if not c.passed]
    assert not failed, (name, failed)


def gradients_agree(spec, trace) -> bool:
    """Whether every gradient of every update agrees with autograd's to 1e-13: a gradient that
    cancels (a hidden softmax's terms, a path through a weight that only just left 0) differs
    between two float64 orders of summation in its 10th digit, and an adaptive step passes
    that on whole: such a network tests the summation, not the optimizer."""
    from backprop_tutor.teach.gradcheck import torch_updates

    values = trace.values()
    reference = torch_updates(spec, STEPS, gradients=True)
    for key, expected in reference.items():
        if key.startswith("g["):
            got = values.get(key, values[key.replace("g[", "grad[", 1)])
            if abs(got - expected) > 1e-13 * max(abs(got), abs(expected)) + 1e-300:
                return False
    return True


def spec_params(spec) -> list[str]:
    return [name for layer in spec.layers for name in layer.param_order]


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@settings(max_examples=10, deadline=None)
@given(text=networks())
def test_the_rules_replay_every_optimizer_quantity(text: str, name: str) -> None:
    """`check` judges m[w5]@2, v[w5]@2, mhat[w5]@2, ... by their rules: from the givens alone
    the rules must give the recorded numbers."""
    trace = run(_spec(text, name))
    assume(not _noise_gradients(trace))  # the rules' gradient rounds apart from the engine's
    values, rules = trace.values(), trace_rules(trace)
    leaves = {key: value for key, value in values.items() if key not in rules}
    evaluator = Evaluator(rules, values)
    replayed = evaluator.replay(leaves)
    assume(not _textbook_overflow(replayed, values))  # 1/(1 − o) at an o of exactly 1
    kinds = {q.key for q in OPTIMIZERS[name].quantities} | {"new"}
    checked = 0
    for key, (value, _) in replayed.items():
        if key.partition("[")[0] in kinds and key in values:
            # the rules' textbook gradient rounds apart from the engine's (−t/o against the
            # log-space form) by ~1e-12, and Adam's quantities pass that on, grown a few
            # hundred times: far below any digit `check` compares
            assert _close(value, values[key], 1e-7), (key, value, values[key])
            checked += 1
    assert checked >= STEPS * len(trace.steps[0].updates)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_a_traced_training_update_carries_the_state(name: str) -> None:
    """The last update of a training run, traced from a snapshot, ends where the run ended:
    the optimizer's state and update count are carried into the replay too."""
    text = yaml.safe_load((ROOT / "configs" / "xor.yaml").read_text(encoding="utf-8"))
    text["training"].pop("momentum", None)
    text["training"].update(epochs=7, max_epochs=7)
    text["optimizer"] = {"name": name}
    spec = spec_from_text(yaml.safe_dump(text), str(ROOT / "configs" / "xor.yaml"))
    result = train(spec, {LAST})
    ((number, traced),) = result.traced.items()
    assert number == result.updates == 28
    new = {u.param: u.new for u in traced.updates}
    assert new == result.parameters
    if not OPTIMIZERS[name].classic:
        assert all(dict(u.shown) for u in traced.updates)


def test_adam_learns_xor_and_the_loss_table_shows_it() -> None:
    text = yaml.safe_load((ROOT / "configs" / "xor.yaml").read_text(encoding="utf-8"))
    text["training"].pop("momentum", None)
    text.update(optimizer={"name": "adam"}, learning_rate=0.1)
    spec = spec_from_text(yaml.safe_dump(text), str(ROOT / "configs" / "xor.yaml"))
    result = train(spec)
    assert result.stop == "loss_threshold" and result.losses[-1] < 0.005 < result.losses[0]
    outputs = result.outputs[0]
    targets = [t for _, (t,) in spec.examples]
    assert all(round(o) == t for o, t in zip(outputs, targets, strict=True))


def test_the_bundled_adam_config_is_the_papers_adam() -> None:
    """configs/adam.yaml's printed new weights after three steps, by the hand reference."""
    spec = load_spec(ROOT / "configs" / "adam.yaml")
    values = run(spec).values()
    h = dict(spec.optimizer.settings)
    names = spec_params(spec)
    w, state = np.array([values[f"old[{p}]"] for p in names]), {}
    for n in range(1, 4):
        at = "" if n == 1 else f"@{n}"
        g = np.array([values[f"grad[{p}]{at}"] for p in names])
        w = _reference_step("adam", h, spec.learning_rate, n, g, w, state)
        for p, m, v in zip(names, state["m"], state["v"], strict=True):
            assert math.isclose(values[f"m[{p}]{at}"], m, rel_tol=1e-12, abs_tol=1e-300)
            assert math.isclose(values[f"v[{p}]{at}"], v, rel_tol=1e-12, abs_tol=1e-300)
    for p, value in zip(names, w, strict=True):
        assert _close(values[f"new[{p}]@3"], value)


def test_an_optimizer_by_its_name_alone_is_its_defaults() -> None:
    """`optimizer: adam` is `optimizer: {name: adam}`: every setting at PyTorch's default."""
    text = (ROOT / "configs" / "adam.yaml").read_text()
    short = re.sub(r"(?m)^optimizer:.*$", "optimizer: adam", text)
    assert short != text
    long = re.sub(r"(?m)^optimizer:.*$", "optimizer: {name: adam}", text)
    assert run(spec_from_text(short)).values() == run(spec_from_text(long)).values()


@pytest.mark.parametrize("config", ["adam.yaml", "adamw.yaml"])
def test_the_state_is_shown_to_three_significant_figures(config: str) -> None:
    """Adam's v ≈ g²/1000 is shown as 6.433e-06, not the 0.00001 five decimals give: every
    optimizer quantity the JSON displays is within half a unit of its fourth figure."""
    result = CliRunner().invoke(app, ["run", str(ROOT / "configs" / config), "--format", "json"])
    document = json.loads(result.output)
    shown = {
        key: text
        for key, text in document["display"].items()
        if key.partition("[")[0] in ("m", "v", "mhat", "vhat")
    }
    assert len(shown) >= 30
    for key, text in shown.items():
        value = document["values"][key]
        assert math.isclose(float(text), value, rel_tol=5e-3, abs_tol=1e-300), (key, text)


def test_every_setting_has_its_range() -> None:
    """A spec's value for any entry's setting is checked against RANGES: one missing would
    be a KeyError, not a one-line message."""
    assert {key for entry in OPTIMIZERS.values() for key in entry.hyper} <= set(RANGES)
