"""`run --claims-template FILE`: a claims file for `check` with every id of the worked example
(and of the pass after the update: net[h1]@after, ...) and no values, in hand-calculation
order, each line commented with the label the tables print.

A student fills in the numbers they worked out; `check` skips the lines left empty.
"""

from __future__ import annotations

from collections.abc import Callable

from backprop_tutor.core.trace import Trace
from backprop_tutor.core.trace_rules import trace_rules
from backprop_tutor.render import normalization
from backprop_tutor.render.labels import Labels
from backprop_tutor.teach.claims import claimable_order, parse_id

COPIES = ("dnet_dout[", "dnet_dparam[")  # a weight or an output again, as a chain's factor
# Mitchell's and Xu's δ, as their tables print it and `check` reads it: the JSON's values hold
# ∂E/∂net in every notation, so a claim copied from there needs its sign turned
_SENSITIVITY = " = −∂E/∂net, as the tables print it (run -f json's values hold ∂E/∂net)"


def claims_template(trace: Trace, notation: str | None = None) -> str:
    L = Labels(trace.header, notation)
    lines = [
        f"# Claims for `backprop-tutor check {trace.header.file} THIS_FILE`: write the number",
        "# you worked out after each colon (as many decimals as you carried); empty lines are",
        "# skipped. The comment is the quantity as the tables print it.",
    ]
    h = trace.header
    first = trace.steps[0].batch[0] if trace.steps[0].batch else trace.steps[0]
    shared = {f"grad[{g.param}]" for g in first.gradients if normalization.shared(h, g.layer)}
    for key in claimable_order(trace, trace_rules(trace), givens_again=False):
        if key.startswith(COPIES) or key.endswith("@0"):  # @0: a state before update 1, given
            continue
        label = _label(key, L)
        if "#" in key and key.partition("@")[0].partition("#")[0] in shared:
            label += ", this example's share"  # of the batch's, under batch normalization
        lines.append(f"{key}:" + (f"  # {label}" if label else ""))
    return "\n".join(lines) + "\n"


def _label(key: str, L: Labels) -> str:
    """The tables' label of an id's quantity (without its step), or "" where it has none."""
    base = key.partition("@")[0].partition("#")[0]
    kind, _, inside = base.partition("[")
    inside = inside.rstrip("]")
    unit = inside.partition(",")[0]
    labels: dict[str, Callable[[], str]] = {
        "input": lambda: L.out(unit),
        "net": lambda: L.net(unit),
        "out": lambda: L.out(unit),
        "target": lambda: f"target of {L.out(unit)}",
        "loss": lambda: L.unit_error(unit) if inside else L.error,
        "de_dout": lambda: L.partial(
            L.unit_error(inside.partition(",")[2]) if "," in inside else L.error, L.out(unit)
        ),
        "dout_dnet": lambda: L.partial(L.out(unit), L.net(inside.rpartition(",")[2])),
        "delta": lambda: f"δ_{unit}" + _SENSITIVITY * (L.notation.delta_sign < 0),
        "grad": lambda: L.partial(L.error, inside),
        "path": lambda: f"{L.partial(L.error, unit)} through {inside.partition(',')[2]}",
        "old": lambda: f"{inside} before the update",
        "new": lambda: f"{inside} after the update",
    }
    try:
        # any other id as the notation writes it (an update's Δ, m, v; batch normalization's
        # μ, x̂, ∂E/∂y, ...)
        label = labels[kind]() if kind in labels else L.of_id(base).replace(base, "")
    except KeyError:  # an id of a shape the labels do not know: no comment
        return ""
    if label and key.endswith("@after"):
        return f"{label}, the example again after the update"
    test = parse_id(key).test
    if label and test is not None:
        return f"{label}, test example {test} (the last update's weights)"
    return label
