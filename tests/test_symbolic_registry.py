"""One registry: every activation's and loss's SymPy form agrees with its numeric form."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from backprop_tutor.core.activations import ACTIVATIONS, activation
from backprop_tutor.core.losses import LOSSES
from backprop_tutor.symbolic.forms import (
    NET,
    OUT,
    OUTPUTS,
    TARGET,
    activation_derivative,
    loss_derivative,
    softmax_jacobian,
)

POINTS = np.linspace(-4, 4, 41) + 0.0137  # no point on a kink


@pytest.mark.parametrize("name", [n for n, a in ACTIVATIONS.items() if a.elementwise])
def test_sympy_derivative_is_the_numeric_one_and_the_textbook_form(name: str) -> None:
    act = ACTIVATIONS[name]
    result = activation_derivative(act)
    assert result.proved, f"{name}: {result.raw} is not {result.textbook}"
    raw = sp.lambdify(NET, result.raw, "numpy")
    value = sp.lambdify(NET, result.function, "numpy")
    out = act.value(POINTS)
    assert np.allclose(
        np.broadcast_to(raw(POINTS), POINTS.shape), act.derivative(POINTS, out), atol=1e-12
    )
    assert np.allclose(np.broadcast_to(value(POINTS), POINTS.shape), out, atol=1e-12)


def test_sigmoid_derivative_is_rewritten_to_sigma_one_minus_sigma() -> None:
    result = activation_derivative(ACTIVATIONS["sigmoid"])
    assert result.raw.has(sp.exp)  # SymPy's raw form: e^-net / (1 + e^-net)^2
    assert result.textbook == OUT * (1 - OUT)
    assert result.proved


def test_leaky_relu_with_its_own_slope() -> None:
    result = activation_derivative(activation("leaky_relu", alpha=0.2))
    assert result.proved
    assert result.raw.subs(NET, -1) == sp.Rational(1, 5)


@pytest.mark.parametrize("size", [2, 3, 4])
def test_softmax_jacobian_is_the_numeric_one(size: int) -> None:
    nets, raw, _textbook, proved = softmax_jacobian(size)
    assert proved
    point = np.linspace(-1, 1.5, size)
    numeric = ACTIVATIONS["softmax"].jacobian(ACTIVATIONS["softmax"].value(point[:, None])[:, 0])
    symbolic = np.array(raw.subs(dict(zip(nets, point, strict=True))).evalf(), dtype=float)
    assert np.allclose(symbolic, numeric, atol=1e-12)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_sympy_loss_derivative_is_the_numeric_one(name: str) -> None:
    loss = LOSSES[name]
    term, derivative = loss_derivative(loss)
    k = 3
    for t in (0.2, 0.5, 0.9):
        for o in (0.1, 0.35, 0.8):
            values = {TARGET: t, OUT: o, OUTPUTS: k}
            targets, outs = np.full((k, 1), t), np.full((k, 1), o)
            assert float(term.subs(values)) == pytest.approx(loss.terms(targets, outs)[0, 0])
            assert float(derivative.subs(values)) == pytest.approx(
                loss.derivative(targets, outs)[0, 0]
            )
