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
from types import ModuleType

import sympy as sp

from backprop_tutor.core import batch_norm_derivation
from backprop_tutor.core.activations import ACTIVATIONS
from backprop_tutor.core.losses import LOSSES
from backprop_tutor.core.optimizers import OPTIMIZERS
from backprop_tutor.core.regularizers import REGULARIZERS
from backprop_tutor.symbolic.forms import activation_derivative, equal, loss_derivative

x = sp.Symbol("x", real=True)


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


@dataclass(frozen=True)
class Kit:
    """What a registry entry's derivation is written with: SymPy arrives as an argument, as in
    the entries' `symbolic` forms, so the registries import none of it."""

    sp: ModuleType
    x: sp.Symbol
    Step: type
    chain: Callable
    equal: Callable
    derivation: type
    derivative: Callable


KIT = Kit(sp, x, Step, _chain, equal, TextbookDerivation, activation_derivative)


def _entry(derivation: Callable) -> Callable[[], TextbookDerivation]:
    return lambda: derivation(KIT)


DERIVATIONS: dict[str, Callable[[], TextbookDerivation]] = {
    **{
        name: _entry(entry.derivation) if entry.derivation else _activation(name)
        for name, entry in ACTIVATIONS.items()
        if entry.elementwise or entry.derivation
    },
    **{
        f"{loss.log_space_activation}_{name}": _entry(loss.combined_derivation)
        for name, loss in LOSSES.items()
        if loss.combined_derivation
    },
    "recursion": recursion,
    **{name: _loss(name) for name in LOSSES},
    **{name: _entry(entry.derivation) for name, entry in OPTIMIZERS.items() if entry.derivation},
    **{name: _entry(entry.derivation) for name, entry in REGULARIZERS.items()},
    "batch_norm": _entry(batch_norm_derivation.batch_norm),
}
