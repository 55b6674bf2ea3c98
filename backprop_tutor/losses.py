"""Loss functions, each with its derivative with respect to the output beside it.

Arrays are (outputs, examples). `terms` gives one error term per output and example; the total
error of an example sums them. Each entry also says which output activations and targets it is
defined for, so a spec that pairs it with anything else is refused when it is loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray


def _log(x: Array) -> Array:
    """log that gives -inf for 0 without a warning; the engine reports non-finite results."""
    with np.errstate(divide="ignore"):
        return np.log(x)


def _difference(sp, t, o):
    """t - o kept in the lecture's order (SymPy would print -o + t)."""
    return sp.Add(t, -o, evaluate=False)


@dataclass(frozen=True)
class Loss:
    """One loss: per-output `terms(target, out)` and their derivative dE/dout."""

    name: str
    terms: Callable[[Array, Array], Array]
    derivative: Callable[[Array, Array], Array]
    formula: str  # one output's term, with {target} and {out} to fill in
    derivative_formula: str  # dE/dout, with the same placeholders
    output_activations: tuple[str, ...] | None = None  # None: any
    why: str = ""  # why only those activations
    targets: str = "any"  # "any", "probability" (0 <= t <= 1), "positive" (0 < t <= 1)
    # out · dE/dout without dividing by out, for softmax's backward pass: -t for cross-entropy,
    # so delta = z Σt - t stays finite even where an output has underflowed to 0
    out_times_derivative: Callable[[Array, Array], Array] | None = None
    # One output's term for SymPy, beside the numeric one: symbolic(sp, t, o, K) with K outputs;
    # sympy arrives as an argument, so nothing here imports it.
    symbolic: Callable | None = None


LOSSES: dict[str, Loss] = {
    "half_sse": Loss(
        "half_sse",
        symbolic=lambda sp, t, o, k: sp.Rational(1, 2) * _difference(sp, t, o) ** 2,
        terms=lambda t, o: 0.5 * (t - o) ** 2,
        derivative=lambda t, o: o - t,
        formula="½({target} − {out})²",
        derivative_formula="{out} − {target}",
    ),
    "sse": Loss(
        "sse",
        symbolic=lambda sp, t, o, k: _difference(sp, t, o) ** 2,
        terms=lambda t, o: (t - o) ** 2,
        derivative=lambda t, o: 2.0 * (o - t),
        formula="({target} − {out})²",
        derivative_formula="2({out} − {target})",
    ),
    "mse": Loss(
        "mse",
        symbolic=lambda sp, t, o, k: _difference(sp, t, o) ** 2 / k,
        terms=lambda t, o: (t - o) ** 2 / t.shape[0],
        derivative=lambda t, o: 2.0 * (o - t) / t.shape[0],
        formula="({target} − {out})² / K",
        derivative_formula="2({out} − {target}) / K",
    ),
    "cross_entropy": Loss(
        "cross_entropy",
        symbolic=lambda sp, t, o, k: -t * sp.log(o),
        terms=lambda t, o: -t * _log(o),
        derivative=lambda t, o: -t / o,
        formula="−{target} log {out}",
        derivative_formula="−{target} / {out}",
        output_activations=("softmax",),
        why="cross-entropy compares two probability distributions; softmax makes the outputs one",
        targets="probability",
        out_times_derivative=lambda t, o: -t,
    ),
    "binary_cross_entropy": Loss(
        "binary_cross_entropy",
        symbolic=lambda sp, t, o, k: -(t * sp.log(o) + (1 - t) * sp.log(1 - o)),
        terms=lambda t, o: -(t * _log(o) + (1 - t) * _log(1 - o)),
        derivative=lambda t, o: (o - t) / (o * (1 - o)),
        formula="−[{target} log {out} + (1 − {target}) log(1 − {out})]",
        derivative_formula="({out} − {target}) / ({out}(1 − {out}))",
        output_activations=("sigmoid",),
        why="each output must be a probability in (0, 1), as sigmoid gives",
        targets="probability",
    ),
    "symmetric_cross_entropy": Loss(
        "symmetric_cross_entropy",
        symbolic=lambda sp, t, o, k: -(t * sp.log(o) + o * sp.log(t)),
        terms=lambda t, o: -(t * _log(o) + o * _log(t)),
        derivative=lambda t, o: -(t / o + _log(t)),
        formula="−[{target} log {out} + {out} log {target}]",
        derivative_formula="−[{target} / {out} + log {target}]",
        output_activations=("softmax",),
        why="it compares two probability distributions; softmax makes the outputs one",
        targets="positive",
        out_times_derivative=lambda t, o: -(t + o * _log(t)),
    ),
}
