"""The stand-alone derivations the lectures do by hand, each step checked by SymPy.

`backprop-tutor derive NAME` prints one of these: the sigmoid's derivative step by step (as the
Dawood, Tiwari and layered-notation lectures do), tanh, ReLU and leaky ReLU, softmax's Jacobian,
softmax with cross-entropy to z_k - t_k (and why the Xu lecture's t_k(1 - z_k) is only part of
it), sigmoid with binary cross-entropy to o - t, each loss's derivative, and the layered
recursion for delta. Every step is proved equal to the one before it; a step that is not equal
is reported as such, never hidden.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import sympy as sp

from backprop_tutor.core.activations import ACTIVATIONS
from backprop_tutor.core.losses import LOSSES
from backprop_tutor.symbolic.forms import activation_derivative, equal, loss_derivative

x = sp.Symbol("x", real=True)
sigma = sp.Function("σ")


@dataclass
class Step:
    """`lhs = rhs`, and why; `proved` says SymPy found rhs equal to the step before."""

    rhs: sp.Expr
    reason: str = ""
    lhs: str = ""
    proved: bool | None = None


@dataclass
class TextbookDerivation:
    name: str
    title: str
    steps: list[Step]
    condition: str = ""  # when the result holds (softmax + cross-entropy: targets sum to 1)
    notes: list[str] = field(default_factory=list)

    @property
    def proved(self) -> bool:
        return all(s.proved is not False for s in self.steps)


def _chain(steps: list[Step], *, known: dict | None = None) -> list[Step]:
    """Prove each step equal to the one before (with `known` substitutions such as σ)."""
    known = known or {}
    for before, step in itertools.pairwise(steps):
        if step.proved is None:
            step.proved = equal(before.rhs.subs(known).doit(), step.rhs.subs(known).doit())
    return steps


def sigmoid() -> TextbookDerivation:
    e = sp.exp(-x)
    s = 1 / (1 + e)
    steps = _chain(
        [
            Step(
                sp.Derivative(sp.Pow(1 + e, -1, evaluate=False), x), "σ(x) = 1/(1 + e^−x)", "dσ/dx"
            ),
            Step(
                sp.Mul(
                    -1, sp.Pow(1 + e, -2, evaluate=False), sp.Derivative(1 + e, x), evaluate=False
                ),
                "chain rule on (1 + e^−x)^−1",
            ),
            Step(
                sp.Mul(-1, sp.Pow(1 + e, -2, evaluate=False), -e, evaluate=False),
                "d/dx e^−x = −e^−x",
            ),
            Step(e / (1 + e) ** 2, "simplify"),
            Step(sp.Mul(s, e / (1 + e), evaluate=False), "split the fraction"),
            Step(sp.Mul(s, 1 - s, evaluate=False), "e^−x/(1 + e^−x) = 1 − 1/(1 + e^−x)"),
            Step(sp.Mul(sigma(x), 1 - sigma(x), evaluate=False), "σ(x) = 1/(1 + e^−x)"),
        ],
        known={sigma(x): s},
    )
    return TextbookDerivation(
        "sigmoid",
        "The sigmoid's derivative, step by step",
        steps,
        notes=[
            "so dout/dnet = out (1 − out): the derivative needs only "
            "the output, which the forward pass already has"
        ],
    )


def tanh() -> TextbookDerivation:
    ep, em = sp.exp(x), sp.exp(-x)
    t = (ep - em) / (ep + em)
    steps = _chain(
        [
            Step(sp.Derivative(t, x), "tanh(x) = (e^x − e^−x)/(e^x + e^−x)", "d tanh/dx"),
            Step(((ep + em) ** 2 - (ep - em) ** 2) / (ep + em) ** 2, "quotient rule"),
            Step(1 - t**2, "split the fraction"),
            Step(1 - sp.tanh(x) ** 2, "tanh"),
        ],
        known={},
    )
    return TextbookDerivation("tanh", "tanh's derivative", steps, notes=["so dout/dnet = 1 − out²"])


def _piecewise(name: str) -> TextbookDerivation:
    act = ACTIVATIONS[name]
    result = activation_derivative(act)
    steps = [
        Step(result.function, "", f"{name}(x)"),
        Step(result.raw, "differentiate each piece", f"d {name}/dx", None),
        Step(
            result.textbook,
            "as the engine uses it (at x = 0, where there is no derivative: the "
            "left-hand piece, 0 for ReLU and alpha for leaky ReLU, as PyTorch)",
            "",
            result.proved,
        ),
    ]
    return TextbookDerivation(
        name,
        f"{name}'s derivative, piece by piece",
        steps,
        notes=[
            "not differentiable at 0; below 0 a ReLU passes no "
            "gradient at all, which is how units die"
        ],
    )


def linear() -> TextbookDerivation:
    result = activation_derivative(ACTIVATIONS["linear"])
    steps = [Step(result.function, "", "linear(x)"), Step(result.raw, "", "d/dx", result.proved)]
    return TextbookDerivation(
        "linear",
        "The linear activation's derivative",
        steps,
        notes=["so at a linear output, delta = dE/dout: y − t for ½(y − t)²"],
    )


def softmax() -> TextbookDerivation:
    n1, n2, n3 = sp.symbols("net_1:4", real=True)
    nets = [n1, n2, n3]
    total = sum(sp.exp(n) for n in nets)
    z = [sp.exp(n) / total for n in nets]
    zs = sp.symbols("z_1:4", positive=True)
    diag = sp.diff(z[0], n1)
    off = sp.diff(z[0], n2)
    steps = [
        Step(z[0], "softmax, shown for K = 3 (the proof is the same for any K)", "z_1"),
        Step(diag, "quotient rule", "∂z_1/∂net_1"),
        Step(
            zs[0] * (1 - zs[0]), "with z_1 = e^net_1/Σ e^net_i", "", equal(diag, z[0] * (1 - z[0]))
        ),
        Step(off, "quotient rule", "∂z_1/∂net_2"),
        Step(-zs[0] * zs[1], "", "", equal(off, -z[0] * z[1])),
    ]
    return TextbookDerivation(
        "softmax",
        "Softmax's Jacobian",
        steps,
        notes=[
            "in general ∂z_j/∂net_k = z_j (δ_jk − z_k): every output moves with every net "
            "input, so delta_k = Σ_j ∂E/∂z_j · ∂z_j/∂net_k needs the whole row, "
            "not only z_k(1 − z_k)"
        ],
    )


def softmax_cross_entropy() -> TextbookDerivation:
    nets = sp.symbols("net_1:4", real=True)
    ts = sp.symbols("t_1:4", nonnegative=True)
    zs = sp.symbols("z_1:4", positive=True)
    total = sum(sp.exp(n) for n in nets)
    z = [sp.exp(n) / total for n in nets]
    loss = -sum(t * sp.log(zj) for t, zj in zip(ts, z, strict=True))
    direct = sp.diff(loss, nets[0])
    by_chain = sum((-ts[j] / zs[j]) * zs[j] * ((1 if j == 0 else 0) - zs[0]) for j in range(3))
    as_z = {zs[j]: z[j] for j in range(3)}
    general = zs[0] * sum(ts) - ts[0]
    steps = [
        Step(
            -sum(t * sp.log(zj) for t, zj in zip(ts, zs, strict=True)),
            "cross-entropy, shown for K = 3",
            "J",
        ),
        Step(
            sp.Add(
                *[
                    sp.Mul(-ts[j] / zs[j], zs[j] * ((1 if j == 0 else 0) - zs[0]), evaluate=False)
                    for j in range(3)
                ],
                evaluate=False,
            ),
            "Σ_j ∂J/∂z_j · ∂z_j/∂net_1, with ∂z_j/∂net_1 = z_j(δ_j1 − z_1)",
            "∂J/∂net_1",
            equal(direct, by_chain.subs(as_z)),
        ),
        Step(sp.Add(-ts[0], zs[0] * sum(ts), evaluate=False), "", "", equal(by_chain, general)),
        Step(
            sp.Add(zs[0], -ts[0], evaluate=False),
            "when the targets sum to 1",
            "",
            equal(general.subs(ts[2], 1 - ts[0] - ts[1]), zs[0] - ts[0]),
        ),
    ]
    xu = ts[0] * (1 - zs[0])
    return TextbookDerivation(
        "softmax_cross_entropy",
        "Softmax with cross-entropy: ∂J/∂net_k = z_k − t_k",
        steps,
        condition="the targets sum to 1 (Σ_j t_j = 1), as one-hot labels and probability "
        "targets do; otherwise ∂J/∂net_k = z_k Σ_j t_j − t_k",
        notes=[
            "so ∂J/∂net_k = z_k − t_k for every output k: the output delta of softmax with "
            "cross-entropy is the prediction minus the target",
            "the Xu lecture's sensitivity δ_k = −∂J/∂net_k = t_k(1 − z_k) keeps only the "
            "j = k term of the sum; the j ≠ k terms add −z_k Σ_(j≠k) t_j, and "
            "t_1(1 − z_1) − z_1(t_2 + t_3) = t_1 − z_1 Σ_j t_j is "
            f"{'proved' if equal(xu - zs[0] * (ts[1] + ts[2]), -general) else 'NOT proved'}"
            " equal to −∂J/∂net_1: t(1 − z) is right only summed with the other terms",
        ],
    )


def sigmoid_binary_cross_entropy() -> TextbookDerivation:
    o, t = sp.symbols("o t", real=True)
    net = sp.Symbol("net", real=True)
    s = 1 / (1 + sp.exp(-net))
    loss = -(t * sp.log(s) + (1 - t) * sp.log(1 - s))
    steps = [
        Step(-(t * sp.log(o) + (1 - t) * sp.log(1 - o)), "binary cross-entropy, o = σ(net)", "J"),
        Step(
            sp.Mul((o - t) / (o * (1 - o)), o * (1 - o), evaluate=False),
            "∂J/∂o · ∂o/∂net",
            "∂J/∂net",
            equal(sp.diff(loss, net), s - t),
        ),
        Step(o - t, "the o(1 − o) cancels", "", True),
    ]
    return TextbookDerivation(
        "sigmoid_binary_cross_entropy",
        "Sigmoid with binary cross-entropy: ∂J/∂net = o − t",
        steps,
        notes=[
            "the same o − t as linear output with ½(y − t)²: "
            "the sigmoid's saturation does not slow learning here"
        ],
    )


def recursion() -> TextbookDerivation:
    s1, s2 = sp.symbols("S_1^(k) S_2^(k)", real=True)
    w = sp.Matrix(2, 2, sp.symbols("w_11^(k+1) w_12^(k+1) w_21^(k+1) w_22^(k+1)", real=True))
    d1, d2 = sp.symbols("δ_1^(k+1) δ_2^(k+1)", real=True)
    phi, phid, g = sp.Function("φ"), sp.Function("φ'"), sp.Function("L")
    above = [w[0, i] * phi(s1) + w[1, i] * phi(s2) for i in range(2)]
    direct = sp.diff(g(*above), s1)
    direct = direct.replace(
        lambda e: isinstance(e, sp.Subs) and e.expr.expr.func == g,
        lambda e: [d1, d2][list(e.expr.expr.args).index(e.expr.variables[0])],
    )
    direct = direct.replace(
        lambda e: isinstance(e, sp.Derivative) and e.expr.func == phi,
        lambda e: phid(e.variables[0]),
    )
    direct = direct.replace(lambda e: isinstance(e, sp.Subs), lambda e: phid(*e.point))
    ours = phid(s1) * (w[0, 0] * d1 + w[0, 1] * d2)
    steps = [
        Step(
            sp.Symbol("∂L/∂S_1^(k)"),
            "δ_j^(k) = ∂L/∂S_j^(k); L depends on S_1^(k) only "
            "through S_i^(k+1) = Σ_j w_ji^(k+1) φ(S_j^(k))",
            "δ_1^(k)",
        ),
        Step(
            ours,
            "chain rule: Σ_i δ_i^(k+1) w_1i^(k+1) φ'(S_1^(k))",
            "",
            equal(sp.expand(direct), sp.expand(ours)),
        ),
    ]
    return TextbookDerivation(
        "recursion",
        "The layered recursion: δ^(k) = φ'(S^(k)) ⊙ W^(k+1) δ^(k+1)",
        steps,
        notes=[
            "shown for two units per layer; the same step holds for any width and depth, "
            "which is why backpropagation visits every unit once"
        ],
    )


def _loss(name: str) -> Callable[[], TextbookDerivation]:
    def build() -> TextbookDerivation:
        term, derivative = loss_derivative(LOSSES[name])
        steps = [
            Step(term, "one output's term", "E"),
            Step(sp.factor(derivative), "SymPy differentiates", "∂E/∂o", True),
        ]
        return TextbookDerivation(name, f"The {name} loss's derivative", steps)

    return build


def _activation(name: str) -> Callable[[], TextbookDerivation]:
    """Any elementwise activation from its registry entry alone: its SymPy form, SymPy's
    derivative, and the entry's textbook form, proved equal (softplus and elu come this way)."""

    def build() -> TextbookDerivation:
        result = activation_derivative(ACTIVATIONS[name])
        steps = [
            Step(result.function, "", f"{name}(x)"),
            Step(result.raw, "SymPy differentiates", f"d {name}/dx", None),
            Step(result.textbook, "as the engine uses it", "", result.proved),
        ]
        return TextbookDerivation(name, f"{name}'s derivative", steps)

    return build


DERIVATIONS: dict[str, Callable[[], TextbookDerivation]] = {
    **{name: _activation(name) for name, entry in ACTIVATIONS.items() if entry.elementwise},
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": lambda: _piecewise("relu"),
    "leaky_relu": lambda: _piecewise("leaky_relu"),
    "linear": linear,
    "softmax": softmax,
    "softmax_cross_entropy": softmax_cross_entropy,
    "sigmoid_binary_cross_entropy": sigmoid_binary_cross_entropy,
    "recursion": recursion,
    **{name: _loss(name) for name in LOSSES},
}
