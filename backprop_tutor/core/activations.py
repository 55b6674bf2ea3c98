"""Activation functions, each with its derivative beside it (as micrograd keeps them).

Arrays are (units, examples). The derivative takes both the net input and the output, because
lectures write it in terms of the output (sigmoid: out(1 - out)), and a hand calculation that
carries rounded outputs must use the rounded output there too.

Softmax is not elementwise: each output depends on every net input of its layer. Its entry
carries the full Jacobian, and `backward` multiplies by it, so delta_k = Σ_j dE/dz_j dz_j/dnet_k
keeps the off-diagonal terms that a diagonal-only derivative (z_k(1 - z_k)) would drop.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from backprop_tutor.core import activation_derivations as derivations
from backprop_tutor.core.numbers import setting_text

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    """One activation: `value(net) -> out` and `derivative(net, out) -> dout/dnet`.

    For an elementwise activation `derivative` is the whole story. For softmax it is the
    diagonal of the Jacobian, and `jacobian` gives the full matrix.
    """

    name: str
    value: Callable[[Array], Array]
    derivative: Callable[[Array, Array], Array]
    jacobian: Callable[[Array], Array] | None = None  # out (units,) -> (units, units)
    params: dict[str, float] = field(default_factory=dict)
    # The same function for SymPy, beside the numeric one; sympy arrives as an argument, so
    # nothing here imports it. `symbolic(sp, net)` is out(net); `textbook(sp, out, net)` is
    # dout/dnet as lectures write it (sigmoid: out(1 - out)), which symbolic.py proves equal
    # to SymPy's own derivative. Softmax is written per layer, in symbolic.py.
    symbolic: Callable | None = None
    textbook: Callable | None = None
    # dout/dnet from the net input, right to float64 precision where the out form loses
    # digits (1 - σ(30) keeps 3 of them: 1 - σ(x) = σ(-x) keeps all). Exact arithmetic uses
    # it; under carry_digits a hand calculation works from the rounded out, so `derivative`.
    # It is given the exact out = value(net) too, so as not to compute σ(net) twice.
    derivative_from_net: Callable[[Array, Array], Array] | None = None
    # What every other command needs, here so that an entry is the whole activation:
    # torch(torch, net): the same function in PyTorch, for `gradcheck --torch` (torch arrives
    # as an argument); working(out): dout/dnet as the quiz's working, from out's display;
    # min_units: the smallest layer it means something over (softmax over one unit is 1);
    # distribution: its outputs are one probability distribution (targets one-hot in `new`);
    # dead(net): units that pass no gradient at all (a ReLU at net <= 0), for `new` to refuse
    # and `train` to report; saturation(out, s): how far past saturation (out within s of a
    # bound) each unit is, > 0 meaning saturated, for `new` to refuse.
    torch: Callable | None = None
    working: Callable[[str], str] = lambda out: "see the derivation"
    min_units: int = 1
    distribution: bool = False
    dead: Callable[[Array], Array] | None = None
    saturation: Callable[[Array, float], Array] | None = None
    # derivation(kit): `derive NAME`'s step-by-step derivation, as the lectures do it by hand;
    # None: the generic one (SymPy's derivative and `textbook`, proved equal)
    derivation: Callable | None = None
    # (value(net), derivative_from_net(net, out)) on one Python float, with `math`: training's
    # loop for tiny networks (tiny.py), where a numpy call costs more than its arithmetic.
    # The same formulas as the array forms, equal to them within an ulp (math's exp, tanh);
    # None: such a network trains on arrays.
    scalar: tuple[Callable[[float], float], Callable[[float, float], float]] | None = None

    @property
    def elementwise(self) -> bool:
        return self.jacobian is None

    def backward(
        self,
        out: Array,
        de_dout: Array,
        dout_dnet: Array,
        out_de_dout: Array | None = None,
        into: Array | None = None,
    ) -> Array:
        """delta = dE/dnet from dE/dout: the product with dout/dnet, or the Jacobian's transpose.

        `out_de_dout` (out · dE/dout, when the loss can give it without dividing by out) lets
        softmax stay finite where an output underflowed to 0. `into`: an array an elementwise
        delta may be written into (training's, where nothing else reads dE/dout afterwards).
        """
        if self.jacobian is None:
            return np.multiply(de_dout, dout_dnet, out=into)
        # softmax: J[j, k] = z_j (δ_jk - z_k); J^T g = z * g - z * Σ_j z_j g_j, per example
        zg = out * de_dout if out_de_dout is None else out_de_dout
        return zg - out * np.sum(zg, axis=0, keepdims=True)


def logistic(net: Array) -> Array:
    """σ(net) = 1 / (1 + e^−net), for every entry and loss that needs it."""
    # Below net = -709, e^-net overflows to inf and 1 / (1 + inf) is exactly 0, as it should be:
    # the result is right for every finite input. The engine computes under np.errstate, so the
    # overflow raises no warning (one pass of exp; a clip or logaddexp would cost another).
    if np.ndim(net) == 0:
        return 1.0 / (1.0 + np.exp(-net))
    e = np.negative(net, dtype=np.result_type(net, 1.0))
    return _one_over_one_plus(np.exp(e, out=e))


def logistic_of_minus(net: Array) -> Array:
    """σ(−net) = 1 / (1 + e^net): logistic(-net) to the last bit, without the negation."""
    if np.ndim(net) == 0:
        return 1.0 / (1.0 + np.exp(net))
    return _one_over_one_plus(np.exp(net, dtype=np.result_type(net, 1.0)))


def _sigmoid_slope(net: Array, out: Array) -> Array:
    """σ(net) σ(−net), from out = σ(net): each factor right to float64 precision, where
    out (1 − out) keeps 3 digits of 1 − σ(30)."""
    slope = logistic_of_minus(net)
    if np.ndim(slope) == 0:
        return out * slope
    slope *= out
    return slope


def _one_over_one_plus(e: Array) -> Array:
    """1 / (1 + e), in e's own memory: a layer of a big batch is megabytes, and each pass of
    numpy's that writes a new array costs as much as the arithmetic."""
    e += 1.0
    return np.divide(1.0, e, out=e)


def _exp(x: float) -> float:
    """e^x on one float, inf past float64 as numpy gives it (math.exp raises there)."""
    if x < 709.0:
        return math.exp(x)
    with np.errstate(over="ignore"):  # past about 709.78: inf, as on arrays, without a warning
        return float(np.exp(x))


def _logistic(net: float) -> float:
    """`logistic` on one float."""
    return 1.0 / (1.0 + _exp(-net))


def _sech_squared(net: float) -> float:
    """1 / cosh(net)², 0 once cosh overflows (as numpy's inf gives)."""
    if abs(net) >= 710.0:
        return 0.0
    c = math.cosh(net)
    return 1.0 / (c * c)  # c * c, as numpy squares: inf, never OverflowError, past 1e154


def floating(net) -> Array:
    """net as an array of its own float type (float32 stays float32: `training: dtype`),
    float64 for anything else (integers, lists, Python floats)."""
    net = np.asarray(net)
    return net if net.dtype.kind == "f" else net.astype(np.float64)


def _softmax(net: Array) -> Array:
    shifted = np.exp(net - np.max(net, axis=0, keepdims=True))  # no overflow for any net
    return shifted / np.sum(shifted, axis=0, keepdims=True)


def softmax_parts(net: Array) -> tuple[Array, Array, Array]:
    """e^(net − max net) per unit, (units, examples); the largest unit's share of the rest,
    Σ over the other units, (1, examples); and per unit the sum of all the others. Sums of
    "all the others" are added up without the unit itself, never as total − own: a dominant
    output (z = 1 − 1e-20) keeps its tiny complement, and log Σ = log1p(rest) every digit."""
    net = floating(net).reshape(len(net), -1)
    e = np.exp(net - np.max(net, axis=0, keepdims=True))
    top = np.argmax(e, axis=0)
    columns = np.arange(e.shape[1])
    without_top = e.copy()
    without_top[top, columns] = 0.0
    rest = np.sum(without_top, axis=0, keepdims=True)  # what the top unit does not hold
    others = (1.0 + rest) - e  # exact enough for every unit but the top: e ≤ half of it
    others[top, columns] = rest[0]
    return e, rest, others


def _softmax_diagonal(net: Array) -> Array:
    """z_k (1 - z_k), with 1 - z_k as the others' shares (see softmax_parts)."""
    e, rest, others = softmax_parts(net)
    total = 1.0 + rest
    return ((e / total) * (others / total)).reshape(np.shape(net))


def _softmax_jacobian(out: Array) -> Array:
    return np.diag(out) - np.outer(out, out)


def leaky_relu(alpha: float = 0.01) -> Activation:
    """Leaky ReLU: net above 0, alpha * net at or below (the Xu lecture's small constant).
    At exactly 0, where it has no derivative, the left-hand slope alpha, as PyTorch takes it
    (and as ReLU takes its left-hand 0), so `gradcheck --torch` agrees there too."""
    return Activation(
        "leaky_relu",
        value=lambda net: np.where(net > 0, net, alpha * net),
        derivative=lambda net, out: np.where(net > 0, np.ones_like(net), alpha),
        params={"alpha": alpha},
        symbolic=lambda sp, x: sp.Piecewise((x, x > 0), (sp.nsimplify(alpha) * x, True)),
        textbook=lambda sp, out, x: sp.Piecewise((1, x > 0), (sp.nsimplify(alpha), True)),
        torch=lambda torch, z: torch.nn.functional.leaky_relu(z, alpha),
        working=lambda out: f"1 if net > 0, else {setting_text(alpha)}",
        scalar=(
            lambda net: net if net > 0 else alpha * net,
            lambda net, out: 1.0 if net > 0 else alpha,
        ),
        derivation=lambda kit: derivations.piecewise_derivation(
            kit, "leaky_relu", ACTIVATIONS["leaky_relu"]
        ),
    )


def elu(alpha: float = 1.0) -> Activation:
    """ELU: net above 0, alpha (e^net − 1) at or below; its slope there is out + alpha, as
    lectures write it, and at exactly 0 the left-hand alpha, as PyTorch takes it."""
    return Activation(
        "elu",
        value=lambda net: np.where(net > 0, net, alpha * np.expm1(np.minimum(net, 0.0))),
        derivative=lambda net, out: np.where(net > 0, np.ones_like(out), out + alpha),
        derivative_from_net=lambda net, out: np.where(
            net > 0, np.ones_like(out), alpha * np.exp(np.minimum(net, 0))
        ),
        params={"alpha": alpha},
        symbolic=lambda sp, x: sp.Piecewise(
            (x, x > 0), (sp.nsimplify(alpha) * (sp.exp(x) - 1), True)
        ),
        textbook=lambda sp, out, x: sp.Piecewise((1, x > 0), (out + sp.nsimplify(alpha), True)),
        torch=lambda torch, z: torch.nn.functional.elu(z, alpha),
        working=lambda out: f"1 if net > 0, else {out} + {setting_text(alpha)}",
    )


def _sigmoid_saturation(out: Array, s: float) -> Array:
    return np.abs(out - 0.5) - (0.5 - s)  # within s of 0 or of 1


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation(
        "sigmoid",
        value=logistic,
        derivative=lambda net, out: out * (1.0 - out),
        derivative_from_net=_sigmoid_slope,
        symbolic=lambda sp, x: 1 / (1 + sp.exp(-x)),
        textbook=lambda sp, out, x: out * (1 - out),
        torch=lambda torch, z: torch.sigmoid(z),
        working=lambda out: f"{out} × (1 − {out})",
        saturation=_sigmoid_saturation,
        derivation=derivations.sigmoid_derivation,
        scalar=(_logistic, lambda net, out: out * _logistic(-net)),
    ),
    "tanh": Activation(
        "tanh",
        value=np.tanh,
        derivative=lambda net, out: 1.0 - out**2,
        derivative_from_net=lambda net, out: 1.0 / np.cosh(net) ** 2,  # 0 once cosh overflows
        symbolic=lambda sp, x: (sp.exp(x) - sp.exp(-x)) / (sp.exp(x) + sp.exp(-x)),
        textbook=lambda sp, out, x: 1 - out**2,
        torch=lambda torch, z: torch.tanh(z),
        working=lambda out: f"1 − {out}²",
        saturation=lambda out, s: np.abs(out) - (1 - 2 * s),  # within 2s of −1 or 1
        derivation=derivations.tanh_derivation,
        scalar=(math.tanh, lambda net, out: _sech_squared(net)),
    ),
    "relu": Activation(
        "relu",
        value=lambda net: np.maximum(net, 0.0),
        derivative=lambda net, out: (net > 0).astype(floating(net).dtype),  # 0 at the kink
        symbolic=lambda sp, x: sp.Piecewise((x, x > 0), (0, True)),
        textbook=lambda sp, out, x: sp.Piecewise((1, x > 0), (0, True)),
        torch=lambda torch, z: torch.relu(z),
        working=lambda out: "1 if net > 0, else 0",
        dead=lambda net: net <= 0,
        derivation=lambda kit: derivations.piecewise_derivation(kit, "relu", ACTIVATIONS["relu"]),
        # nan stays nan, as np.maximum keeps it: a divergence is reported by its parameter
        scalar=(lambda net: 0.0 if net <= 0.0 else net, lambda net, out: float(net > 0)),
    ),
    "leaky_relu": leaky_relu(),
    "elu": elu(),
    "softplus": Activation(
        "softplus",
        value=lambda net: np.logaddexp(0.0, net),  # log(1 + e^net), finite for any net
        derivative=lambda net, out: logistic(net),
        symbolic=lambda sp, x: sp.log(1 + sp.exp(x)),
        textbook=lambda sp, out, x: 1 / (1 + sp.exp(-x)),
        torch=lambda torch, z: torch.nn.functional.softplus(z),
        working=lambda out: "σ(net) = 1 / (1 + e^−net)",
    ),
    "linear": Activation(
        "linear",
        value=lambda net: floating(net).copy(),
        derivative=lambda net, out: np.ones_like(floating(net)),
        symbolic=lambda sp, x: x,
        textbook=lambda sp, out, x: sp.Integer(1),
        torch=lambda torch, z: z,
        working=lambda out: "1",
        derivation=lambda kit: derivations.linear_derivation(kit, ACTIVATIONS["linear"]),
        scalar=(float, lambda net, out: 1.0),
    ),
    "softmax": Activation(
        "softmax",
        value=_softmax,
        derivative=lambda net, out: out * (1.0 - out),  # the diagonal only
        derivative_from_net=lambda net, out: _softmax_diagonal(net),
        jacobian=_softmax_jacobian,
        torch=lambda torch, z: torch.softmax(z, dim=0),
        working=lambda out: f"{out} × (1 − {out}) (the diagonal)",
        min_units=2,
        distribution=True,
        derivation=derivations.softmax_derivation,
    ),
}

# Activations that take a parameter, and how to build one with it.
PARAMETRIZED: dict[str, Callable[..., Activation]] = {"leaky_relu": leaky_relu, "elu": elu}


def of_layer(name: str, alpha: float | None = None) -> Activation:
    """A layer's activation: the registry entry, built with the layer's alpha if it has one."""
    return activation(name) if alpha is None else activation(name, alpha=alpha)


def activation(name: str, **params: float) -> Activation:
    """The registry entry for `name`, built with its parameters if it takes any."""
    if params:
        return PARAMETRIZED[name](**params)
    return ACTIVATIONS[name]
