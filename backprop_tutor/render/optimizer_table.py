"""The update table of an optimizer other than gradient descent, or of any update with a
penalty: each quantity of the update (a penalty's decay and g, Adam's m, v, m̂, v̂, the change)
in its own column with its id, under the formulas that give it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from backprop_tutor.core.numbers import setting_text
from backprop_tutor.core.optimizers import Optimizer
from backprop_tutor.core.regularizers import GRADIENT, REGULARIZERS, decayed, worked
from backprop_tutor.core.trace import TraceHeader, UpdateEvent
from backprop_tutor.render.grid import GivenCell, Grid
from backprop_tutor.render.heading import decay_reach

if TYPE_CHECKING:
    from backprop_tutor.render.step_tables import StepTables


def optimizer_table(tables: StepTables, entry: Optimizer, updates: list[UpdateEvent]) -> Grid:
    """An optimizer's update (Adam: m, v, m̂, v̂, then Δ), after a penalty's decay and g
    where there is one, each quantity in its column with its id, under its formula; the
    hyperparameters as the file gives them (ε = 1e-08 is printed whole, not at the
    tables' digits)."""
    h, L, t = tables.header, tables.labels, tables.step.step
    quantities = worked(entry.name, h.regularizer)
    gradient = L.partial(L.error, "w") if h.regularizer else "g"  # g: the sum, with a penalty
    table = Grid(
        f"Updated parameters by {entry.title}{_penalty(h)} (update t = {t}): "
        + "; ".join(f"{q.symbol} = {q.text.replace(GRADIENT, gradient)}" for q in quantities)
        + "; new = old + Δ"
        + ("" if h.regularizer else f", where g = {L.partial(L.error, 'param')}")
        + f", η = {setting_text(h.learning_rate)}"
        + "".join(f", {symbol} = {setting_text(value)}" for symbol, value in _settings(entry, h))
        + decay_reach(entry, h)
        + ("; every state starts at 0" if t == 1 and entry.state else "")
    )
    table.column("param", numeric=False)
    table.column("old")
    table.column(gradient)
    for q in quantities:
        table.column(q.symbol)
    table.column("new")
    table.column("", numeric=False)
    for u in tables.chosen(updates):
        v, p = tables.v, u.param
        old = v(u.old, f"old[{p}]")
        cells = [p, GivenCell(old) if t == 1 else old, v(u.gradient, f"grad[{p}]")]
        shown = dict(u.shown)
        cells += [  # v ≈ g² / 1000 is often below the tables' digits: then 6.433e-06
            tables.small(shown[q.key], f"{q.key}[{p}]") if shown else "" for q in quantities
        ]
        table.row(*cells, v(u.new, f"new[{p}]"), _note(u, h, quantities))
    return table


def _settings(entry: Optimizer, h: TraceHeader) -> list[tuple[str, float]]:
    """Each setting the update reads, by its symbol: the optimizer's, then the penalty's λ."""
    symbols = entry.symbols or {}
    found = [(symbols.get(key, key), value) for key, value in h.optimizer_settings]
    return found + ([("λ", h.strength)] if h.regularizer else [])


def _penalty(h: TraceHeader) -> str:
    """The penalty added to the error, as its title says it: " with L2 weight decay (E +
    λ/2·Σw²)"."""
    if not h.regularizer:
        return ""
    penalty = REGULARIZERS[h.regularizer]
    return f" with {penalty.title} (E + {penalty.text})"


def _note(u: UpdateEvent, h: TraceHeader, quantities) -> str:
    if not u.updated:
        return "kept: update_biases is false"
    decays = any(q.key == "decay" for q in quantities)
    if decays and not decayed(u.param in h.biases, h.decay_biases):
        return f"{'γ or β' if u.param in h.scales else 'a bias'}: not decayed"
    return ""
