"""Regularizers: a penalty on the weights added to the error, each one registry entry.

A penalty P(w) added to the error adds ∂P/∂w to every decayed parameter's gradient before the
optimizer sees it: the update works on g = ∂E/∂w + ∂P/∂w. Each entry is that extra gradient
term as two named quantities, run like an optimizer's (core/optimizers.py): `decay`, the
term (λ·w for L2), and `g`, the gradient the optimizer then reads, so the update table shows
both with their ids (`decay[w5]@2`, `g[w5]@2`). AdamW's decay is not one of these: it is
decoupled, outside the gradient, in AdamW's own entry, with the same `decay` column.

Which parameters are decayed is the spec's `decay_biases` (default: the weights only); a
parameter not decayed reads λ = 0 here, as PyTorch's parameter group with weight_decay 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from backprop_tutor.core import regularizer_derivations as derivations
from backprop_tutor.core.numbers import or_scientific
from backprop_tutor.core.optimizers import OPTIMIZERS, Env, Quantity, run_quantities


@dataclass(frozen=True)
class Regularizer:
    """One penalty: its formula as a slide writes it, its value per parameter (for the error
    it adds), its quantities (the decay term, then g), and the same penalty in PyTorch."""

    name: str
    title: str
    text: str  # the penalty, as added to the error
    penalty: Callable[[np.ndarray, float], np.ndarray]  # P per parameter, from w and λ
    quantities: tuple[Quantity, ...]
    torch: Callable  # (torch, tensor, λ) -> the penalty of the tensor's entries, summed
    derivation: Callable  # `derive NAME`: its gradient term, and the update it makes

    def label(self, read: str) -> str:
        """How a formula writes what a quantity reads: ∂E/∂w for the error's own gradient."""
        return GRADIENT if read == "grad" else read

    def run(self, env: Env, each: Callable = lambda value: value) -> Env:
        """`decay` and `g` from `grad` (the error's own gradient), `old` and `strength`."""
        return run_quantities(self.quantities, env, each)


GRADIENT = "∂E/∂w"  # the error's own gradient, as the penalty's formulas write it


def _quantities(term: Callable[[Env], object], text: str) -> tuple[Quantity, ...]:
    return (
        Quantity("decay", ("old",), term, text, "decay"),
        Quantity(
            "g",
            ("grad", "decay"),
            lambda e: e["grad"] + e["decay"],
            f"{GRADIENT} + decay",
            "g",
            (("the decay left out of g (g = ∂E/∂w)", GRADIENT, lambda e: e["grad"]),),
        ),
    )


REGULARIZERS: dict[str, Regularizer] = {
    "l2": Regularizer(
        "l2",
        "L2 weight decay",
        "λ/2·Σw²",
        lambda w, lam: lam / 2 * (w * w),
        _quantities(lambda e: e["strength"] * e["old"] + 0.0, "λ·old"),  # + 0.0: never −0
        lambda torch, w, lam: lam / 2 * (w * w).sum(),
        derivations.l2,
    ),
    # |w| has no derivative at 0: sign(0) = 0, the subgradient PyTorch's autograd takes
    "l1": Regularizer(
        "l1",
        "L1 (lasso)",
        "λ·Σ|w|",
        lambda w, lam: lam * np.abs(w),
        _quantities(lambda e: e["strength"] * np.sign(e["old"]) + 0.0, "λ·sign(old)"),
        lambda torch, w, lam: lam * w.abs().sum(),
        derivations.l1,
    ),
}


def worked(optimizer: str, regularizer: str | None) -> tuple[Quantity, ...]:
    """The quantities one update works out per parameter, in order: the penalty's decay and
    g, where there is a penalty, then the optimizer's own (the last is the change)."""
    extra = REGULARIZERS[regularizer].quantities if regularizer else ()
    return (*extra, *OPTIMIZERS[optimizer].quantities)


def decayed(is_bias: bool, decay_biases: bool) -> float:
    """Whether a decay (a penalty's, AdamW's) reaches a parameter, as the factor its λ is
    multiplied by: 1 for every weight, for a bias (and batch normalization's γ and β, held
    with them) only with the spec's decay_biases, else 0. The one place this rule is said:
    the update, the rules `check` replays and the tables' note read it here."""
    return 1.0 if decay_biases or not is_bias else 0.0


def decay_settings(optimizer: str, settings: dict, strength: float, decayed) -> dict:
    """The settings one parameter's update reads, `strength` (the penalty's λ) among them,
    with every decay times `decayed`: 1 for a decayed parameter, 0 for one that is not (an
    array of them over many parameters)."""
    found = {**settings, "strength": strength}
    for key in (*OPTIMIZERS[optimizer].decays, "strength"):
        found[key] = found[key] * decayed
    return found


# the kinds of id an update works out per parameter (m, v, mhat, ..., decay, g, change): the
# next quantity is worked from them, so they print to at least 3 significant figures
UPDATE_QUANTITIES: frozenset[str] = frozenset(
    q.key for entry in (*OPTIMIZERS.values(), *REGULARIZERS.values()) for q in entry.quantities
)


def displayed(key: str, value: float, n: Callable[[float], str]) -> str:
    """A value as every table, matrix and the JSON print it, by its id: `n` (the spec's
    digits), an update's quantity in scientific notation where `n` would show fewer than 3
    significant figures (Adam's v = 6.433e-06, not 0.00001)."""
    return display_of(key, n)(value)


def display_of(key: str, n: Callable[[float], str]) -> Callable[[float], str]:
    """How the numbers of `key`'s working are printed: an update's quantity's, which are
    small (v = β₂·v + (1 − β₂)·g²), as `displayed` prints the quantity; any other's by `n`."""
    return as_state(n) if key.partition("[")[0] in UPDATE_QUANTITIES else n


def as_state(n: Callable[[float], str]) -> Callable[[float], str]:
    """An update's quantity as printed: by `n`, or in scientific notation where `n` would
    show fewer than 3 of its significant figures (the next quantity is worked from it)."""
    return lambda value: or_scientific(value, n(value), figures=3)
