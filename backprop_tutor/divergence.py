"""Why training stopped on a NaN or an inf: what is known, and the fixes that fit it.

"Lower the learning rate" fits a run that was finite and then blew up. It does not fit a loss
that is inf at the starting weights, before any update (the data's scale or the weights are
too large, and no learning rate helps), and it is one cause of three: a large input or
starting weight makes a large gradient, so even a small step overflows. So the start is
checked before the first update, and every message names the epoch, the first quantity that
is not finite, in the first epoch the (finite) loss it started from, and the inputs' or
starting weights' scale where that is large.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backprop_tutor.core.errors import TrainingError
from backprop_tutor.core.numbers import setting_text
from backprop_tutor.engine import Network

Array = np.ndarray
# an input or starting weight past this is far from the unit scale data is standardized to
# and weights are drawn at (Mitchell's ±0.05, Xavier's ±1): a cause of overflow to name
LARGE = 100.0
Forward = tuple[list[Array], list[Array]]  # nets and outs of a pass (Network._forward)


@dataclass(frozen=True)
class Start:
    """The run before its first update: its loss, its largest starting weight, and the
    inputs (whose scale is read only when a message needs it)."""

    loss: float
    largest_weight: float
    inputs: Array

    @property
    def largest_input(self) -> float:
        """max |x| without an |x| array: an MNIST file's inputs are 63 MB."""
        x = self.inputs
        return float(max(x.max(initial=0.0), -x.min(initial=0.0))) if x.size else 0.0

    @classmethod
    def of(cls, network: Network, inputs: Array, targets: Array, forward: Forward) -> Start:
        """The start of a run, or a TrainingError if its loss is already inf or NaN (made
        from the pass over all examples `forward`, at the starting weights)."""
        with np.errstate(all="ignore"):
            loss = network._loss_of(targets, *forward)
            weight = max(float(np.max(np.abs(la.weights), initial=0.0)) for la in network.layers)
            start = cls(loss, weight, inputs)
        if np.isfinite(loss):
            return start
        first = first_not_finite(network, forward)
        raise TrainingError(
            network.spec.file,
            f"training cannot start: the loss is {loss} at the starting weights, before any "
            "update" + (f" ({first})" if first else ""),
            f"{start.scales()}; scale the inputs to about 1, or start from smaller weights "
            "(a lower learning rate cannot help: no step has been taken)",
        )

    def large(self) -> str:
        """The fixes besides the learning rate, where they fit: an input or starting weight
        past LARGE makes a gradient large enough that a modest step overflows."""
        fixes = []
        if self.largest_input > LARGE:
            fixes.append(f"scale the inputs to about 1 (the largest is {self.largest_input:.3g})")
        if self.largest_weight > LARGE:
            fixes.append(f"start from smaller weights (the largest is {self.largest_weight:.3g})")
        return "".join(f", or {fix}" for fix in fixes)

    def scales(self) -> str:
        return (
            f"the largest input is {self.largest_input:.3g}, the largest starting weight "
            f"{self.largest_weight:.3g}"
        )


def first_not_finite(network: Network, forward: Forward) -> str:
    """The first net input or output, layer by layer, that is inf or NaN, with its example
    ('net[h1] of example 3 is inf'), or '' if every one is finite."""
    nets, outs = forward
    for k, layer in enumerate(network.layers):
        for kind, values in (("net", nets[k]), ("out", outs[k + 1])):
            bad = np.argwhere(~np.isfinite(values))
            if len(bad):
                unit, example = (int(i) for i in bad[0])
                return (
                    f"{kind}[{layer.spec.units[unit]}] of example {example + 1} is "
                    f"{values[unit, example]}"
                )
    return ""


def check(network: Network, epoch: int, loss: float, forward: Forward, start: Start) -> None:
    """After an epoch: a loss or parameter that is inf or NaN stops training, with the epoch,
    the first such parameter (or the first such quantity of the pass over all examples) and
    the fixes that fit the epoch."""
    if np.isfinite(loss) and network.finite():
        return
    values = network.parameter_values()
    bad = next((name for name, value in values.items() if not np.isfinite(value)), None)
    if bad:
        what = f"parameter {bad} is {values[bad]}"
    else:
        first = first_not_finite(network, forward)
        what = f"the loss is {loss}" + (f" ({first})" if first else "")
    rate = f"lower the learning rate (now {setting_text(network.spec.learning_rate)})"
    if epoch > 1:
        problem = f"training diverged at epoch {epoch}: {what}"
        raise TrainingError(network.spec.file, problem, rate + start.large())
    raise TrainingError(
        network.spec.file,
        f"training diverged at epoch 1: {what}, from a finite loss of {start.loss:.3g} at "
        "the starting weights",
        rate + start.large(),
    )
