"""A step's batch and update tables: the batch's error and each parameter's gradient over
its examples, then new = old − η ∂E/∂param (or the optimizer's table), the parameters in the
file's order. Functions of a step's StepTables, as normalization's and optimizer_table's are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from backprop_tutor.core.numbers import setting_text
from backprop_tutor.core.optimizers import OPTIMIZERS, is_classic
from backprop_tutor.core.regularizers import as_state
from backprop_tutor.core.trace import StepTrace, UpdateEvent
from backprop_tutor.render.grid import GivenCell, Grid
from backprop_tutor.render.labels import DELTA
from backprop_tutor.render.optimizer_table import optimizer_table

if TYPE_CHECKING:
    from backprop_tutor.render.step_tables import StepTables


def batch_error_table(t: StepTables) -> Grid:
    """The batch's error: its examples' total errors, summed."""
    L, step = t.labels, t.step
    size = len(step.batch)
    table = Grid(f"Error of the batch: {L.error} summed over its {size} examples")
    table.column(f"{L.error} of examples 1 to {size}", numeric=False)
    table.column("sum")
    each = ", ".join(t.n(example.total_loss) for example in step.batch)
    table.row(each, t.v(step.total_loss, "loss"))
    return table


def batch_table(t: StepTables) -> Grid:
    """Each example's gradient and the batch's: their mean or sum, which the update uses."""
    L, n, step = t.labels, t.n, t.step
    size = len(step.batch)
    combined = f"{step.reduction} of {size}"
    table = Grid(
        f"Batch update: each parameter's gradient over the {size} examples, and "
        f"their {step.reduction}"
    )
    table.column("param", numeric=False)
    each = f"{L.partial(L.error, 'param')} for examples 1 to {size}"
    if t.header.batch_norm:  # (set only where a layer is normalized)
        each += " (at or under batch normalization: each one's share)"
    table.column(each, numeric=False)
    table.column(combined)
    per_example = [{g.param: g.gradient for g in ex.gradients} for ex in step.batch]
    for u in t.chosen(_file_order(step)):
        each = ", ".join(n(grads[u.param]) for grads in per_example)
        table.row(u.param, each, t.v(u.gradient, f"grad[{u.param}]"))
    return table


def update_table(t: StepTables) -> Grid:
    """new = old − η ∂E/∂param (+ momentum); Mitchell and Xu add Δw = η δ x instead, with
    their δ the sensitivity −∂E/∂net: the same numbers in the lecture's own form."""
    entry = OPTIMIZERS[t.header.optimizer]
    if not is_classic(entry.name, t.header.regularizer):
        return optimizer_table(t, entry, _file_order(t.step))
    L, n = t.labels, t.n
    eta = setting_text(t.header.learning_rate)
    updates = t.chosen(_file_order(t.step))
    momentum = bool(t.header.momentum)  # α·Δ(previous) is 0 at the first step
    alpha = f", α = {setting_text(t.header.momentum)}" if momentum else ""
    grad = L.fraction(L.error, "param")
    increment = L.notation.delta_sign < 0
    if increment:
        title = (
            f"Updated parameters: w ← w + Δw, Δw = {eta} × δ·x"
            f"{' + α·Δw(previous)' if momentum else ''}{alpha}, where δ·x = "
            f"−{L.partial(L.error, 'w')}"
        )
    else:
        title = (
            f"Updated parameters: new = old − {eta} × {L.partial(L.error, 'param')}"
            f"{' + α·Δ(previous)' if momentum else ''}{alpha}"
        )
    table = Grid(title)
    table.column("param", numeric=False)
    table.column("old")
    table.column(f"{DELTA}·x" if increment else grad)
    if momentum:
        table.column("α·Δ(previous)")
    if increment or momentum:
        table.column("Δ")
    table.column("new")
    table.column("", numeric=False)
    for u in updates:
        v, p = t.v, u.param
        step = v(-u.gradient, f"−grad[{p}]") if increment else v(u.gradient, f"grad[{p}]")
        old = v(u.old, f"old[{p}]")  # the first step's: given (a worksheet keeps it)
        cells = [p, GivenCell(old) if t.step.step == 1 else old, step]
        if momentum:  # to 3 significant figures as every update quantity; a kept
            # parameter's Δ = 0 has no id (nothing was worked out for it)
            cells.append(as_state(n)(u.momentum_term))
            cells.append(t.small(u.change, f"change[{p}]") if u.updated else n(u.change))
        elif increment:
            cells.append(n(u.change))
        note = "" if u.updated else "kept: update_biases is false"
        table.row(*cells, v(u.new, f"new[{p}]"), note)
    return table


def _file_order(step: StepTrace) -> list[UpdateEvent]:
    """Updates layer by layer from the inputs, each layer in the file's order (w1, w2, ... w8)."""
    by_name = {u.param: u for u in step.updates}
    gradients = step.gradients or step.batch[0].gradients  # a batch: its examples' order
    return [by_name[g.param] for g in sorted(gradients, key=lambda g: g.layer)]
