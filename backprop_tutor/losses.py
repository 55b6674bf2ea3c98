"""Loss functions, each with its derivative with respect to the output beside it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray


@dataclass(frozen=True)
class Loss:
    """One loss: per-output `terms(target, out)` summed to the total, and `derivative` dE/dout."""

    name: str
    terms: Callable[[Array, Array], Array]
    derivative: Callable[[Array, Array], Array]
    formula: str  # one output's term, with {target} and {out} to fill in
    derivative_formula: str  # dE/dout, with the same placeholders


LOSSES: dict[str, Loss] = {
    "half_sse": Loss(
        "half_sse",
        terms=lambda target, out: 0.5 * (target - out) ** 2,
        derivative=lambda target, out: out - target,
        formula="½({target} − {out})²",
        derivative_formula="{out} − {target}",
    ),
}
