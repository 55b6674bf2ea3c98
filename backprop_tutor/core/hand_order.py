"""The order a hand calculation finds a step's numbers in, for every view that walks them one
by one (the quiz, the claims template, the explore page).

Without batch normalization a step is worked example by example: each example's forward pass,
error, backward pass and gradients, then the batch's gradients and the update. Batch
normalization couples the examples, so its layer's statistics wait for every example's net
input, and its δ for every example's ∂E/∂y: the work goes in stages, each over all examples
(the net inputs up to the layer, μ and σ², the rest of the forward pass and the error, the
backward pass down to ∂E/∂y, the sums, δ and on down), then the update.
"""

from __future__ import annotations

from collections.abc import Callable

from backprop_tutor.core.activations import ACTIVATIONS
from backprop_tutor.core.trace import StepTrace, Trace, TraceHeader, with_step

FORWARD = ("input", "net", "mask", "xhat", "y", "out")
ERROR = ("target", "loss")
STATISTICS = ("mean", "var", "running_mean", "running_var")
SUMS = ("sum_dy", "sum_dy_xhat")
BEFORE_SUMS = ("de_dout", "dout_dy", "dy")  # a batch-normalized unit's, before its sums
UPDATE = 10**6  # the stage of the update: after everything else
# in a layer whose outputs mix its units (softmax), what each unit's quantity reads of every
# unit: an output every net input, a delta every dE/dout (and its slope)
MIXED = {"out": ("net",), "delta": ("de_dout", "dout_dnet")}


def order_key(step: StepTrace, header: TraceHeader) -> Callable[[str], tuple]:
    """A sort key for the step's ids (without the step's suffix; an example's with `#k`):
    (stage, example, position in `StepTrace.values`)."""
    layer_of = {unit: i for i, units in enumerate(header.layers) for unit in units}
    passes = step.batch or (step,)
    for g in passes[0].gradients:
        layer_of[g.param] = g.layer
    normalized = [i + 1 for i, e in enumerate(header.batch_norm) if e is not None]
    position = {key: n for n, key in enumerate(step.values())}
    mixing = {
        layer
        for layer, name in enumerate(header.activations, start=1)
        if not ACTIVATIONS[name].elementwise
    }

    def below(layer: int) -> int:  # batch-normalized layers under this one
        return sum(1 for b in normalized if b < layer)

    def above(layer: int) -> int:  # and over it
        return sum(1 for b in normalized if b > layer)

    back = 2 * len(normalized) + 1  # where the backward pass starts

    def stage(kind: str, inside: str, example: bool) -> int:
        layer = layer_of.get(inside.partition(",")[2 if kind == "dnet_dout" else 0], 0)
        if not example:  # the batch's own: its statistics and sums; the update
            if kind in STATISTICS:
                return 2 * below(layer) + 1
            return back + 2 * above(layer) + 1 if kind in SUMS else UPDATE
        if not normalized:
            return 0  # example by example
        own = layer in normalized
        if kind in FORWARD:
            return 2 * below(layer) + (2 if own and kind != "net" else 0)
        if kind in ERROR:
            return 2 * len(normalized)
        return back + 2 * above(layer) + (2 if own and kind not in BEFORE_SUMS else 0)

    def key(base: str) -> tuple:
        name, mark, k = base.partition("#")
        kind, _, inside = name.partition("[")
        inside = inside.rstrip("]")
        at = (position.get(base, 0), 0, 0)
        if kind in MIXED and layer_of.get(inside) in mixing:  # after what it reads
            units = header.layers[layer_of[inside]]
            read = [f"{r}[{u}]{mark}{k}" for r in MIXED[kind] for u in units]
            at = (max(position.get(r, 0) for r in read), 1, at[0])
        return stage(kind, inside, bool(mark)), int(k or 0), *at

    return key


def hand_order(trace: Trace) -> list[str]:
    """Every id of the trace (`Trace.values`) in hand-calculation order: step by step, then
    the predictions; a state given before a step (`m[w5]@0`) where the step starts."""
    values = trace.values()
    found: list[str] = []
    placed: set[str] = set()
    for step in trace.steps:
        own = list(step.values())
        own.sort(key=order_key(step, trace.header))
        keys = [k if step.step == 1 else with_step(k, step.step) for k in own]
        given = [k for k in values if k not in placed and _given_before(k, step.step)]
        found += given + keys
        placed.update(given + keys)
    found += [k for k in values if k not in placed]
    return found


def _given_before(key: str, step: int) -> bool:
    """A state the step starts from, given (`m[w5]@0` before step 1)."""
    return key.endswith("@0") and step == 1
