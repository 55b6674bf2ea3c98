"""Activation functions, each with its derivative beside it (as micrograd keeps them).

The derivative takes both the net input and the output, because lectures write it in terms of
the output (sigmoid: out(1 - out)), and a hand calculation that carries rounded outputs must use
the rounded output there too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    """One activation: `value(net) -> out` and `derivative(net, out) -> dout/dnet`."""

    name: str
    value: Callable[[Array], Array]
    derivative: Callable[[Array, Array], Array]


def _sigmoid(net: Array) -> Array:
    # exp(-log(1 + e^-x)) never overflows, for any finite net input.
    return np.exp(-np.logaddexp(0.0, -net))


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation(
        "sigmoid",
        value=_sigmoid,
        derivative=lambda net, out: out * (1.0 - out),
    ),
    "linear": Activation(
        "linear",
        value=lambda net: np.array(net, dtype=float, copy=True),
        derivative=lambda net, out: np.ones_like(net, dtype=float),
    ),
}
