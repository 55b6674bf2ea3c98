"""Backpropagation against central finite differences, on networks the lectures don't have.

micrograd checks its engine against an independent reference (PyTorch); ours is the loss itself,
differentiated numerically, on random shapes, depths 1 to 4, both activations, and every bias
style (none, shared by a layer, one per unit).
"""

from __future__ import annotations

import itertools

import numpy as np
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from backprop_tutor.engine import Network
from backprop_tutor.record import run
from backprop_tutor.spec import spec_from_text
from backprop_tutor.teach.gradcheck import agrees, central_differences

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax"]
# each loss with the output activations it is defined for
LOSS_OUTPUTS = {
    "half_sse": ["sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax"],
    "sse": ["sigmoid", "tanh", "linear", "softmax"],
    "mse": ["sigmoid", "tanh", "leaky_relu", "linear"],
    "cross_entropy": ["softmax"],
    "binary_cross_entropy": ["sigmoid"],
    "symmetric_cross_entropy": ["softmax"],
}


@st.composite
def networks(draw, losses: list[str] | None = None) -> str:
    """A random spec in the compact matrix form, with a loss and output activation that fit."""
    loss = draw(st.sampled_from(losses or sorted(LOSS_OUTPUTS)))
    out_activation = draw(st.sampled_from(LOSS_OUTPUTS[loss]))
    depth = draw(st.integers(1, 4))
    widths = [draw(st.integers(1, 4)) for _ in range(depth + 1)]
    number = st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 3))
    activations = [draw(st.sampled_from(HIDDEN)) for _ in range(depth - 1)] + [out_activation]
    for k, name in enumerate(activations):  # softmax needs two units or more
        if name == "softmax":
            widths[k + 1] = max(widths[k + 1], 2)
    layers = []
    for (below, units), name in zip(itertools.pairwise(widths), activations, strict=True):
        style = draw(st.sampled_from(["none", "shared", "per_unit"]))
        layer = {
            "units": units,
            "activation": name,
            "weights": [[draw(number) for _ in range(below)] for _ in range(units)],
        }
        if name == "leaky_relu":
            layer["alpha"] = draw(st.sampled_from([0.01, 0.1, 0.3]))
        if style == "shared":
            layer["bias"] = draw(number)
        elif style == "per_unit":
            layer["bias"] = [draw(number) for _ in range(units)]
        layers.append(layer)
    outputs = widths[-1]
    if loss in ("cross_entropy", "symmetric_cross_entropy"):
        raw = [draw(st.floats(0.05, 1)) for _ in range(outputs)]
        targets = [round(v / sum(raw), 6) for v in raw]
    elif loss == "binary_cross_entropy":
        targets = [draw(st.sampled_from([0.0, 0.2, 0.5, 1.0])) for _ in range(outputs)]
    else:
        targets = [draw(number) for _ in range(outputs)]
    spec = {
        "inputs": [draw(number) for _ in range(widths[0])],
        "targets": targets,
        "layers": layers,
        "loss": loss,
        "learning_rate": 0.5,
    }
    return yaml.safe_dump(spec)


def _away_from_kinks(text: str) -> bool:
    """Where finite differences are a reliable reference. ReLU's derivative is undefined at 0,
    so differences across a kink mean nothing; and binary cross-entropy of an output within
    1e-3 of 0 or 1 loses digits to the cancellation in 1 - o (the engine, which never forms
    log(1 - o) for its gradient, keeps them)."""
    spec = spec_from_text(text)
    network = Network.from_spec(spec)
    nets, outs = network.forward(np.array(spec.inputs))
    if spec.loss == "binary_cross_entropy" and np.any(np.minimum(outs[-1], 1 - outs[-1]) < 1e-3):
        return False
    return all(
        layer.activation.name not in ("relu", "leaky_relu") or np.min(np.abs(net)) > 1e-3
        for layer, net in zip(network.layers, nets, strict=True)
    )


def _finite_differences(text: str) -> dict[str, float]:
    spec = spec_from_text(text)
    network = Network.from_spec(spec)
    return central_differences(network, np.array(spec.inputs), np.array(spec.targets))


@settings(max_examples=150, deadline=None)
@given(networks())
def test_every_gradient_matches_central_differences(text: str) -> None:
    assume(_away_from_kinks(text))
    values = run(spec_from_text(text)).values()
    numeric = _finite_differences(text)
    assert numeric, "the network has no parameters to check"
    for name, expected in numeric.items():
        got = values[f"grad[{name}]"]
        assert agrees(got, expected, values["loss"]), (
            f"{name}: backprop {got!r}, finite differences {expected!r}\n{text}"
        )


@settings(max_examples=30, deadline=None)
@given(networks())
def test_paths_sum_to_the_gradient(text: str) -> None:
    trace = run(spec_from_text(text))
    for event in trace.steps[0].gradients:
        if event.paths:
            total = sum(p.value for p in event.paths)
            assert abs(total - event.gradient) <= 1e-12 * max(1.0, abs(total)), event.param


def test_a_wrong_gradient_would_be_caught() -> None:
    """The check itself can fail: a deliberately broken derivative does not pass it."""
    text = yaml.safe_dump(
        {
            "inputs": [0.3, -0.7],
            "targets": [0.2],
            "layers": [
                {"units": 2, "activation": "sigmoid", "weights": [[0.1, 0.4], [-0.3, 0.8]]},
                {"units": 1, "activation": "sigmoid", "weights": [[0.5, -0.6]]},
            ],
            "loss": "half_sse",
            "learning_rate": 0.5,
        }
    )
    numeric = _finite_differences(text)
    from backprop_tutor.core import activations

    real = activations.ACTIVATIONS["sigmoid"]
    broken = activations.Activation("sigmoid", real.value, lambda net, out: out)
    activations.ACTIVATIONS["sigmoid"] = broken
    try:
        values = run(spec_from_text(text)).values()
    finally:
        activations.ACTIVATIONS["sigmoid"] = real
    mismatches = [
        n for n, e in numeric.items() if not agrees(values[f"grad[{n}]"], e, values["loss"])
    ]
    assert mismatches


def test_every_weight_updates_from_the_same_pass() -> None:
    """Simultaneous update: new = old - eta * grad for every parameter, with grads from old."""
    text = yaml.safe_dump(
        {
            "inputs": [1.0, 0.5],
            "targets": [0.0, 1.0],
            "layers": [
                {
                    "units": 3,
                    "activation": "sigmoid",
                    "bias": 0.1,
                    "weights": [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]],
                },
                {
                    "units": 2,
                    "activation": "linear",
                    "bias": [0.2, -0.2],
                    "weights": [[0.7, 0.8, 0.9], [-0.1, -0.2, -0.3]],
                },
            ],
            "loss": "half_sse",
            "learning_rate": 0.25,
        }
    )
    step = run(spec_from_text(text)).steps[0]
    numeric = _finite_differences(text)
    for update in step.updates:
        assert update.updated
        assert update.new == update.old - 0.25 * update.gradient
        assert abs(update.gradient - numeric[update.param]) < 1e-8
