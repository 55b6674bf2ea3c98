"""`update: layer_by_layer`: the arithmetic the tables print adds up, with the weights used.

The hidden deltas of a layer-by-layer update are sent back through the output weights the
update is about to set. The tables, the paths and the JSON showed the old weights beside a
value computed from the new ones (`h1 0.03948 = 0.5 × 0.13342 + 0.7 × -0.02929`, a sum of
0.04621), and `train` built those weights without the mean over a batch or the momentum term.
Checked here on random networks with the trace's own numbers, and `train` against a plain
numpy loop written from the rule.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import yaml
from conftest import CONFIGS
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_tutor.record import run
from backprop_tutor.spec import spec_from_text
from backprop_tutor.train import train

CLOSE = 1e-12


def _close(a: float, b: float, scale: float = 1.0) -> bool:
    return abs(a - b) <= CLOSE * max(abs(a), abs(b), scale * 1e-3)


@st.composite
def layered_specs(draw) -> str:
    sizes = draw(st.lists(st.integers(1, 3), min_size=3, max_size=4))
    weight = st.floats(-2, 2, allow_subnormal=False).map(lambda w: round(w, 3))
    layers = []
    for before, units in itertools.pairwise(sizes):
        layers.append(
            {
                "units": units,
                "activation": draw(st.sampled_from(["sigmoid", "tanh", "linear"])),
                "weights": [[draw(weight) for _ in range(before)] for _ in range(units)],
                "bias": [draw(weight) for _ in range(units)],
            }
        )
    spec = {
        "inputs": [draw(weight) for _ in range(sizes[0])],
        "targets": [draw(st.floats(0, 1).map(lambda t: round(t, 2))) for _ in range(sizes[-1])],
        "layers": layers,
        "loss": "half_sse",
        "learning_rate": draw(st.sampled_from([0.1, 0.5, 1.0])),
        "update": "layer_by_layer",
        "steps": draw(st.integers(1, 2)),
        "training": {"momentum": draw(st.sampled_from([0.0, 0.9]))},
    }
    return yaml.safe_dump(spec)


@settings(max_examples=60, deadline=None)
@given(layered_specs())
def test_every_printed_sum_and_product_adds_up(text: str) -> None:
    trace = run(spec_from_text(text))
    for step in trace.steps:
        new = {u.param: u.new for u in step.updates}
        for d in step.deltas:
            if d.downstream:  # dE/dout = Σ w × δ, with the weights the update sets
                total = math.fsum(w * delta for _, _, w, delta in d.downstream)
                assert _close(d.de_dout, total), (d.unit, d.de_dout, total)
                for _, name, w, _ in d.downstream:
                    assert w == new[name], (name, w, new[name])
            assert _close(d.delta, d.de_dout * d.dout_dnet), d.unit
        for g in step.gradients:
            if g.paths:  # each path is its factors' product; the paths sum to the gradient
                for path in g.paths:
                    product = math.prod(f.value for f in path.factors)
                    assert _close(path.value, product), (g.param, path.via)
                total = math.fsum(path.value for path in g.paths)
                assert _close(g.gradient, total, abs(g.gradient) + 1), (g.param, g.gradient, total)
            elif g.factors:
                product = math.prod(f.value for f in g.factors)
                assert _close(g.gradient, product), g.param


def test_dawood_layer_by_layer_prints_the_updated_weights_it_used() -> None:
    text = (CONFIGS / "dawood.yaml").read_text(encoding="utf-8")
    trace = run(spec_from_text(text + "\nupdate: layer_by_layer\n", str(CONFIGS / "x.yaml")))
    values = trace.values()
    h1 = next(d for d in trace.steps[0].deltas if d.unit == "h1")
    weights = {name: w for _, name, w, _ in h1.downstream}
    assert weights == {"w5": values["new[w5]"], "w7": values["new[w7]"]}
    assert values["dnet_dout[o1,h1]"] == values["new[w5]"]
    assert _close(values["path[w1,o1]"] + values["path[w1,o2]"], values["grad[w1]"])


def _numpy_layer_by_layer(w1, b1, w2, b2, x, t, eta, alpha, epochs):
    """A 2-2-1 sigmoid network, full batch, the mean over the batch, momentum: the output
    layer updated first, the hidden deltas sent back through its new weights."""

    def sigmoid(a):
        return 1 / (1 + np.exp(-a))

    v = [np.zeros_like(p) for p in (w1, b1, w2, b2)]
    n = x.shape[1]
    for _ in range(epochs):
        h = sigmoid(w1 @ x + b1[:, None])
        o = sigmoid(w2 @ h + b2[:, None])
        d2 = (o - t) * o * (1 - o)
        v[2] = -eta / n * (d2 @ h.T) + alpha * v[2]
        v[3] = -eta / n * d2.sum(axis=1) + alpha * v[3]
        w2, b2 = w2 + v[2], b2 + v[3]
        d1 = (w2.T @ d2) * h * (1 - h)
        v[0] = -eta / n * (d1 @ x.T) + alpha * v[0]
        v[1] = -eta / n * d1.sum(axis=1) + alpha * v[1]
        w1, b1 = w1 + v[0], b1 + v[1]
    return w1, b1, w2, b2


def test_train_layer_by_layer_uses_the_mean_and_the_momentum() -> None:
    w1, b1 = np.array([[0.15, 0.2], [0.25, 0.3]]), np.array([0.35, 0.35])
    w2, b2 = np.array([[0.4, 0.45]]), np.array([0.6])
    inputs = [[0.05, 0.1], [0.9, 0.2], [0.3, 0.7]]
    targets = [[0.01], [0.99], [0.5]]
    spec = {
        "examples": [{"inputs": i, "targets": t} for i, t in zip(inputs, targets, strict=True)],
        "layers": [
            {"units": 2, "activation": "sigmoid", "weights": w1.tolist(), "bias": b1.tolist()},
            {"units": 1, "activation": "sigmoid", "weights": w2.tolist(), "bias": b2.tolist()},
        ],
        "loss": "half_sse",
        "learning_rate": 0.5,
        "update": "layer_by_layer",
        "training": {
            "batch": "full",
            "reduction": "mean",
            "momentum": 0.9,
            "epochs": 3,
            "shuffle": False,
        },
    }
    got = train(spec_from_text(yaml.safe_dump(spec))).parameters
    x, t = np.array(inputs).T, np.array(targets).T
    want = _numpy_layer_by_layer(w1, b1, w2, b2, x, t, 0.5, 0.9, 3)
    assert math.isclose(got["w_h1_x1"], want[0][0, 0], rel_tol=1e-12)
    assert math.isclose(got["w_o1_h1"], want[2][0, 0], rel_tol=1e-12)


def test_a_traced_batch_shows_the_weights_its_update_sets_and_its_sum_adds_up() -> None:
    """Each example of a batch sent its deltas back through weights updated with its own
    gradient alone (w5 0.35281 and 0.56105 where the update set 0.41386), so the per-example
    gradients did not sum to the batch's."""
    spec = {
        "examples": [
            {"inputs": [0.05, 0.1], "targets": [0.01]},
            {"inputs": [0.9, 0.2], "targets": [0.99]},
        ],
        "layers": [
            {
                "units": 2,
                "activation": "sigmoid",
                "weights": [[0.15, 0.2], [0.25, 0.3]],
                "bias": 0.35,
            },
            {"units": 1, "activation": "sigmoid", "weights": [[0.4, 0.45]], "bias": 0.6},
        ],
        "loss": "half_sse",
        "learning_rate": 0.5,
        "update": "layer_by_layer",
        "training": {"batch": "full", "reduction": "sum", "epochs": 1, "shuffle": False},
    }
    step = train(spec_from_text(yaml.safe_dump(spec)), trace_updates=(1,)).traced[1]
    new = {u.param: u.new for u in step.updates}
    for example in step.batch:
        for d in example.deltas:
            for _, name, w, _ in d.downstream:
                assert w == new[name], (name, w, new[name])
    for u in step.updates:
        per_example = [ex.values()[f"grad[{u.param}]"] for ex in step.batch]
        assert _close(math.fsum(per_example), u.gradient), (u.param, per_example, u.gradient)


def test_symbolic_uses_the_weights_a_layer_by_layer_delta_used() -> None:
    """SymPy substituted the old w5 into dnet_dout[o1,h1] and reported a false mismatch."""
    from backprop_tutor.symbolic.derivation import derive

    text = (CONFIGS / "dawood.yaml").read_text(encoding="utf-8")
    trace = run(spec_from_text(text + "\nupdate: layer_by_layer\n", str(CONFIGS / "x.yaml")))
    derivations = derive(trace, ["w1", "w5"])
    assert all(not d.mismatches for d in derivations), [d.mismatches for d in derivations]


def test_check_follows_a_mistake_through_the_updated_weights(tmp_path) -> None:
    """A wrong delta[o1] and the hidden dE/dout computed from it with the updated w5 and w7
    (as the tables show) are one mistake, not two: check recomputed with the old weights.
    The student's w5 is updated with their own delta, so their dE/dout is
    0.42787 × 0.2 + 0.71056 × δ_o2 = 0.06476 (the exact new w5 would give 0.06956)."""
    from typer.testing import CliRunner

    from backprop_tutor.cli import app

    spec = tmp_path / "lbl.yaml"
    text = (CONFIGS / "dawood.yaml").read_text(encoding="utf-8")
    spec.write_text(text + "\nupdate: layer_by_layer\n", encoding="utf-8")
    claims = tmp_path / "claims.yaml"
    claims.write_text("delta[o1]: 0.20000\nde_dout[h1]: 0.06476\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(spec), str(claims), "--width", "200"])
    words = " ".join(result.output.split())
    assert result.exit_code == 1 and "from 1 mistake: delta[o1]" in words, words
