"""Every activation and loss: values, the combinations refused at load time, softmax's Jacobian."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from backprop_tutor.core.activations import ACTIVATIONS, activation
from backprop_tutor.core.errors import SpecError
from backprop_tutor.record import run
from backprop_tutor.spec import spec_from_text


def _spec(out_activation: str, loss: str, targets: list[float], units: int = 3, **layer) -> str:
    return yaml.safe_dump(
        {
            "inputs": [0.5, -0.2],
            "targets": targets,
            "layers": [
                {"units": 2, "activation": "tanh", "weights": [[0.3, -0.4], [0.2, 0.6]]},
                {
                    "units": units,
                    "activation": out_activation,
                    "bias": 0.05,
                    "weights": [[0.5, -0.3], [-0.2, 0.4], [0.1, 0.1]][:units],
                    **layer,
                },
            ],
            "loss": loss,
            "learning_rate": 0.1,
        }
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_spec("softmax", "half_sse", [1.0], units=1), "softmax over one unit always outputs 1"),
        (_spec("linear", "cross_entropy", [1, 0, 0]), "cross_entropy needs a softmax output layer"),
        (_spec("softmax", "binary_cross_entropy", [1, 0, 0]), "needs a sigmoid output layer"),
        (
            _spec("sigmoid", "half_sse", [1, 0, 0], alpha=0.1),
            "alpha is a parameter of leaky_relu and elu",
        ),
        (_spec("leaky_relu", "half_sse", [1, 0, 0], alpha=-0.1), "alpha -0.1 is negative"),
        (_spec("softmax", "cross_entropy", [1.5, 0, 0]), r"target 1.5 is outside \[0, 1\]"),
        (_spec("softmax", "symmetric_cross_entropy", [1, 0, 0]), r"target 0.0 is outside \(0, 1\]"),
        (_spec("swish", "half_sse", [1, 0, 0]), "unknown activation 'swish'"),
    ],
)
def test_combinations_that_make_no_sense_are_refused(text: str, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        spec_from_text(text)


def test_softmax_with_cross_entropy_gives_z_minus_t_when_targets_sum_to_one() -> None:
    step = run(spec_from_text(_spec("softmax", "cross_entropy", [0.7, 0.2, 0.1]))).steps[0]
    outputs = {e.unit: (e.out, e.target) for e in step.losses}
    for d in (d for d in step.deltas if d.unit in outputs):
        z, t = outputs[d.unit]
        assert d.delta == pytest.approx(z - t, abs=1e-14)


def test_softmax_keeps_the_off_diagonal_terms() -> None:
    """With targets summing to s, delta_k = z_k s - t_k; the diagonal-only t_k(1 - z_k) is wrong."""
    targets = [0.5, 0.25, 0.0]
    step = run(spec_from_text(_spec("softmax", "cross_entropy", targets))).steps[0]
    for d in (d for d in step.deltas if d.layer == 2):
        loss = next(e for e in step.losses if e.unit == d.unit)
        assert d.delta == pytest.approx(loss.out * sum(targets) - loss.target, abs=1e-14)
        assert d.delta != pytest.approx(-loss.target * (1 - loss.out))
        row = dict(d.jacobian)
        assert row[d.unit] == pytest.approx(loss.out * (1 - loss.out))


def test_softmax_jacobian_rows_sum_to_zero_and_are_in_the_ids() -> None:
    trace = run(spec_from_text(_spec("softmax", "half_sse", [1, 0, 0])))
    values = trace.values()
    for d in trace.steps[0].deltas:
        if d.jacobian:
            assert sum(v for _, v in d.jacobian) == pytest.approx(0, abs=1e-15)
    assert values["dout_dnet[o2,o1]"] == values["dout_dnet[o1,o2]"]  # the Jacobian is symmetric


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_derivatives_match_differences(name: str) -> None:
    net = np.linspace(-3, 3, 13).reshape(-1, 1) + 0.0123  # no point on a kink
    act = ACTIVATIONS[name]
    h = 1e-6
    if act.elementwise:
        numeric = (act.value(net + h) - act.value(net - h)) / (2 * h)
        assert np.allclose(act.derivative(net, act.value(net)), numeric, atol=1e-8)
    else:
        out = act.value(net)
        jac = np.column_stack(
            [
                ((act.value(net + h * e) - act.value(net - h * e)) / (2 * h))[:, 0]
                for e in np.eye(len(net))[:, :, None]
            ]
        )
        assert np.allclose(act.jacobian(out[:, 0]), jac, atol=1e-8)


def test_leaky_relu_slope_comes_from_the_spec() -> None:
    leaky = activation("leaky_relu", alpha=0.2)
    assert leaky.value(np.array([-1.0, 2.0])).tolist() == [-0.2, 2.0]
    assert leaky.derivative(np.array([-1.0, 2.0]), None).tolist() == [0.2, 1.0]


def test_at_the_kink_both_relus_take_the_left_hand_slope_as_pytorch() -> None:
    """At net = 0 exactly leaky ReLU used slope 1 while ReLU used 0 and PyTorch uses alpha:
    `gradcheck --torch` failed (-0.8 against -0.008). One convention: the left-hand piece."""
    zero = np.zeros((1, 1))
    assert activation("leaky_relu", alpha=0.2).derivative(zero, zero).tolist() == [[0.2]]
    assert ACTIVATIONS["relu"].derivative(zero, zero).tolist() == [[0.0]]
    spec = {
        "inputs": {"x1": 1},
        "targets": {"y1": 1},
        "layers": [{"units": ["y1"], "activation": "leaky_relu", "weights": [[0.0]], "bias": 0}],
        "learning_rate": 0.1,
        "loss": "half_sse",
    }
    values = run(spec_from_text(yaml.safe_dump(spec))).values()
    assert values["net[y1]"] == 0.0 and values["dout_dnet[y1]"] == 0.01
    assert values["grad[w_y1_x1]"] == -0.01  # (0 − 1) · 0.01 · 1, PyTorch's number


def test_sigmoid_and_softmax_are_right_for_huge_inputs() -> None:
    big = np.array([[1e4], [-1e4]])
    with np.errstate(over="ignore"):  # as the engine computes
        assert ACTIVATIONS["sigmoid"].value(big)[:, 0].tolist() == [1.0, 0.0]
    assert ACTIVATIONS["softmax"].value(big)[:, 0].tolist() == [1.0, 0.0]


def test_log_losses_are_finite_where_an_output_saturates() -> None:
    """Log space from the net inputs: -log σ(-800) is 800, not -log 0 = inf; and a zero target
    adds nothing even where its output underflowed to 0 (0 · log 0 = 0)."""
    from backprop_tutor.core.losses import LOSSES

    t, net = np.array([[1.0], [0.0]]), np.array([[-800.0], [800.0]])
    bce = LOSSES["binary_cross_entropy"]
    assert bce.terms_from_net(t, net, None)[:, 0].tolist() == [800.0, 800.0]
    ce = LOSSES["cross_entropy"]
    z = ACTIVATIONS["softmax"].value(np.array([[1e4], [-1e4]]))
    assert ce.terms(t, z)[:, 0].tolist() == [0.0, 0.0]
    assert ce.derivative(t, z)[:, 0].tolist() == [-1.0, 0.0]
    assert ce.terms_from_net(np.array([[0.0], [1.0]]), np.array([[1e4], [-1e4]]), z)[1, 0] == 2e4
    # t = 1 or 0 with a saturated sigmoid: -1/o and 1/(1 - o), where o(1 - o) is 0
    assert bce.derivative(t, np.array([[1.0], [0.0]]))[:, 0].tolist() == [-1.0, 1.0]
    assert bce.derivative(np.array([[0.3]]), np.array([[0.6]]))[0, 0] == pytest.approx(0.3 / 0.24)


@pytest.mark.parametrize(
    ("out_activation", "loss", "targets"),
    [("softmax", "cross_entropy", [1, 0, 0]), ("sigmoid", "binary_cross_entropy", [1, 0, 1])],
)
def test_inputs_of_1e4_straight_into_the_output_layer_give_finite_numbers(
    out_activation: str, loss: str, targets: list[float]
) -> None:
    spec = yaml.safe_load(_spec(out_activation, loss, targets))
    spec["inputs"] = [1e4, -1e4]
    spec["layers"][0].update(activation="linear", weights=[[1, 0], [0, 1]])  # passes them on
    spec["layers"][1]["weights"] = [[1, 0], [0, 1], [0, 0]]  # net: 1e4, -1e4, 0.05
    values = run(spec_from_text(yaml.safe_dump(spec))).values()
    assert all(np.isfinite(v) for v in values.values())
    expected = np.log1p(np.exp(-0.05)) if loss == "binary_cross_entropy" else 0.0
    assert values["loss"] == pytest.approx(expected, rel=1e-12, abs=1e-300)
