"""Dropout against independent references, on networks the lectures don't have.

A hand numpy pass here (inverted dropout written from its definition: out = σ(net) · m /
(1 − p)), PyTorch's autograd through the same masks for three updates, central differences at
the step's masks, the rules `check` replays, and training: a fresh mask every update, no mask
when the loss over the data is measured, the traced update ending where training did.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from conftest import CONFIGS
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_optimizers import _away_from_kinks, _close, gradients_agree, spec_params

from backprop_tutor.core.rules import Evaluator
from backprop_tutor.core.trace_rules import trace_rules
from backprop_tutor.record import run
from backprop_tutor.spec import load_spec, spec_from_text
from backprop_tutor.teach.gradcheck import gradcheck
from backprop_tutor.train import LAST, train

ACTIVATIONS = {"sigmoid": lambda a: 1 / (1 + np.exp(-a)), "tanh": np.tanh}


@st.composite
def dropout_networks(draw) -> dict:
    """2-4 inputs, a hidden layer (sigmoid or tanh) with dropout, a sigmoid output layer."""
    n_in, n_hidden, n_out = (draw(st.integers(lo, 4)) for lo in (1, 2, 1))
    number = st.floats(-1.5, 1.5, allow_nan=False).map(lambda v: round(v, 3))
    rate = draw(st.sampled_from([0.2, 0.5, 0.75]))
    given_mask = draw(st.booleans())
    dropout: dict = {"rate": rate, "seed": draw(st.integers(0, 50))}
    if given_mask:
        dropout["mask"] = [[draw(st.integers(0, 1)) for _ in range(n_hidden)] for _ in range(3)]
    return {
        "inputs": [draw(number) for _ in range(n_in)],
        "targets": [draw(st.floats(0.05, 0.95)) for _ in range(n_out)],
        "layers": [
            {
                "units": n_hidden,
                "activation": draw(st.sampled_from(sorted(ACTIVATIONS))),
                "weights": [[draw(number) for _ in range(n_in)] for _ in range(n_hidden)],
                "bias": [draw(number) for _ in range(n_hidden)],
                "dropout": dropout,
            },
            {
                "units": n_out,
                "activation": "sigmoid",
                "weights": [[draw(number) for _ in range(n_hidden)] for _ in range(n_out)],
                "bias": draw(number),
            },
        ],
        "loss": "half_sse",
        "learning_rate": 0.3,
        "steps": 3,
    }


def _spec(raw: dict):
    return spec_from_text(yaml.safe_dump(raw), "drawn.yaml")


@settings(max_examples=30, deadline=None)
@given(raw=dropout_networks())
def test_every_step_is_inverted_dropout_by_hand(raw: dict) -> None:
    """Three steps: the forward pass, the deltas and the update, each from the masks the
    trace records, by a numpy pass written here."""
    trace = run(_spec(raw))
    values = trace.values()
    hidden, output = raw["layers"]
    act = ACTIVATIONS[hidden["activation"]]
    rate = hidden["dropout"]["rate"]
    x, t = np.array(raw["inputs"]), np.array(raw["targets"])
    w1, b1 = np.array(hidden["weights"]), np.array(hidden["bias"])
    w2 = np.array(output["weights"])
    b2 = output["bias"]
    units = [f.unit for f in trace.steps[0].forward if f.layer == 1]
    outputs = [f.unit for f in trace.steps[0].forward if f.layer == 2]
    for n in range(1, 4):
        at = "" if n == 1 else f"@{n}"
        mask = np.array([values[f"mask[{u}]{at}"] for u in units])
        assert set(mask) <= {0.0, 1 / (1 - rate)}
        if "mask" in hidden["dropout"]:  # the file's mask, step by step
            assert list(mask > 0) == [bool(v) for v in hidden["dropout"]["mask"][n - 1]]
        kept = act(w1 @ x + b1)
        z = kept * mask
        o = 1 / (1 + np.exp(-(w2 @ z + b2)))
        for u, value in zip(units, z, strict=True):
            assert _close(values[f"out[{u}]{at}"], value, 1e-12)
        delta_o = (o - t) * o * (1 - o)
        slope = (kept * (1 - kept) if hidden["activation"] == "sigmoid" else 1 - kept**2) * mask
        delta_h = (w2.T @ delta_o) * slope
        for u, value in zip(units, delta_h, strict=True):
            assert _close(values[f"delta[{u}]{at}"], value, 1e-10)
        w1 = w1 - 0.3 * np.outer(delta_h, x)
        b1 = b1 - 0.3 * delta_h
        w2 = w2 - 0.3 * np.outer(delta_o, z)
        b2 = b2 - 0.3 * delta_o.sum()
        assert _close(values[f"out[{outputs[0]}]{at}"], o[0], 1e-12)
    dropped = [u for u, m in zip(units, mask, strict=True) if m == 0]
    for u in dropped:  # a dropped unit passes no gradient to its weights
        assert values[f"delta[{u}]@3"] == 0.0


@settings(max_examples=20, deadline=None)
@given(raw=dropout_networks())
def test_dropout_agrees_with_torch_and_central_differences(raw: dict) -> None:
    """`gradcheck` at step 1's masks, and `--torch`'s three updates through each step's masks,
    to 1e-10."""
    spec = _spec(raw)
    assert all(c.passed for c in gradcheck(spec)), [c for c in gradcheck(spec) if not c.passed]
    pytest.importorskip("torch", reason="PyTorch is not installed (pip install '.[test]')")
    from backprop_tutor.teach.gradcheck import torch_update_check

    trace = run(spec)
    assume(_away_from_kinks(trace) and gradients_agree(spec, trace))
    checks = torch_update_check(spec)
    assert len(checks) == 3 * len(spec_params(spec))
    assert all(c.passed for c in checks), [c for c in checks if not c.passed]


@settings(max_examples=15, deadline=None)
@given(raw=dropout_networks())
def test_the_rules_replay_every_dropout_quantity(raw: dict) -> None:
    trace = run(_spec(raw))
    values, rules = trace.values(), trace_rules(trace)
    leaves = {key: value for key, value in values.items() if key not in rules}
    assert any(key.startswith("mask[") for key in leaves)  # a mask is given, as an input is
    replayed = Evaluator(rules, values).replay(leaves)
    checked = 0
    for key, (value, _) in replayed.items():
        if key.partition("[")[0] in ("out", "dout_dnet", "delta", "new") and key in values:
            assert _close(value, values[key], 1e-9), (key, value, values[key])
            checked += 1
    assert checked > 0


def test_the_test_pass_has_no_dropout() -> None:
    """configs/dropout.yaml: its test example is its training example, predicted after the
    steps with every unit and no scaling: the same outputs as the `after` pass."""
    values = run(load_spec(CONFIGS / "dropout.yaml")).values()
    assert values["out[o1]@test1"] == values["out[o1]@after"]
    assert "mask[h1]@test1" not in values


def _xor(**dropout):
    text = yaml.safe_load((CONFIGS / "xor.yaml").read_text(encoding="utf-8"))
    text["layers"][0]["dropout"] = dropout
    text["training"].update(epochs=30, max_epochs=30)
    return spec_from_text(yaml.safe_dump(text), str(CONFIGS / "xor.yaml"))


def test_training_draws_a_mask_every_update_and_replays_the_last() -> None:
    spec = _xor(rate=0.5, seed=4)
    result = train(spec, {1, 2, 3, LAST})
    masks = [
        tuple(f.mask for f in result.traced[k].forward if f.mask is not None) for k in (1, 2, 3)
    ]
    assert len(set(masks)) > 1  # not one mask for every update
    last = max(result.traced)
    assert {u.param: u.new for u in result.traced[last].updates} == result.parameters
    again = train(spec, {LAST})
    assert again.parameters == result.parameters  # the seed repeats the run
    assert train(_xor(rate=0.5, seed=5)).parameters != result.parameters
