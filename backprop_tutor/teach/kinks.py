"""Where central differences are no reference: a stencil that crosses an activation's kink.

ReLU's slope jumps at net 0 (leaky ReLU's and ELU's too, for alpha ≠ 1). At net exactly 0 the
derivative is not defined: only the one-sided slopes are, and backprop takes one of them (0
for ReLU, as PyTorch does). Near 0, the stencil's points (up to two steps either side) can lie
on both sides of the kink; either way the differences average the two slopes, so a mismatch
there says nothing about the engine. A parameter whose stencil moves a unit's net across 0
is noted with that unit, and its mismatch is not counted as the engine's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backprop_tutor.engine import Network

Array = np.ndarray
SIDE = 1e-300  # just either side of 0: a kinked activation's two slopes there differ
ONE_SIDED = 1e-3  # a one-sided difference's error: O(h²), or O(h) at first order
ONE_SIDED_FLOOR = 1e-7  # its rounding: E's ulps over the step


@dataclass(frozen=True)
class Kink:
    """A unit whose net the stencil moved across an activation's kink at 0."""

    unit: str
    activation: str
    net: float  # at the parameters as given (the first example where it crossed)
    # one-sided differences from below p and from above (gradcheck._one_sided): at most one
    # side crosses the kink, and backprop, which takes one side, must agree with the other
    sides: tuple[float, ...] = ()

    def explains(self, backprop: float) -> bool:
        """Whether backprop is one side's gradient: it agrees with a one-sided difference
        to ONE_SIDED (their error is first order in the step). A gradient that is neither
        side's is a mismatch the kink does not excuse."""
        return any(
            abs(backprop - side) <= ONE_SIDED * max(abs(backprop), abs(side)) + ONE_SIDED_FLOOR
            for side in self.sides
        )

    def note(self) -> str:
        if self.net == 0:
            return (
                f"{self.unit}'s net is exactly 0, {self.activation}'s kink: its derivative is "
                "not defined there (its one-sided slopes differ); backprop takes one side, "
                "central differences average both"
            )
        return (
            f"{self.unit}'s net ({self.net:.3g}) is within the differences' steps of "
            f"{self.activation}'s kink at 0: they average the slopes of both sides, backprop "
            "gives the derivative at the net itself"
        )


def kinked(network: Network, k: int) -> bool:
    """Whether layer k's activation has a kink at net 0 (its slopes either side differ)."""
    activation = network.layers[k].activation
    if not activation.elementwise:
        return False
    sides = np.array([SIDE, -SIDE])
    slopes = activation.derivative(sides, activation.value(sides))
    return bool(slopes[0] != slopes[1])


class KinkWatch:
    """The signs of every kinked unit's nets at the parameters as given, to find a stencil
    point that moved one across 0 (or off an exact 0)."""

    def __init__(self, network: Network, nets: list[Array]) -> None:
        self.network = network
        self.layers = [k for k in range(len(network.layers)) if kinked(network, k)]
        self.nets = {k: nets[k] for k in self.layers}
        self.signs = {k: np.sign(nets[k]) for k in self.layers}

    def crossed(self, nets: list[Array]) -> Kink | None:
        """The first unit, layer by layer, whose net's sign at a stencil point differs from
        its sign at the parameters as given, or None."""
        for k in self.layers:
            moved = np.argwhere(np.sign(nets[k]) != self.signs[k])
            if len(moved):
                unit, example = (int(i) for i in moved[0])
                layer = self.network.layers[k]
                net = float(self.nets[k][unit, example])
                return Kink(layer.spec.units[unit], layer.activation.name, net)
        return None
