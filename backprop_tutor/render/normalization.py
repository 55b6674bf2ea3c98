"""Batch normalization's tables, beside the step tables they sit among: the batch's statistics
(before its examples), a unit's x̂ and y in the forward table's words, the backward pass
through μ and σ², γ's and β's shares of each example, and the sums each δ reads.

Every number comes from the trace's events (NormEvent, and the x̂, y, ∂E/∂y the forward and
delta events carry); the formulas are core/batch_norm.py's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from backprop_tutor.core.batch_norm import FORMULAS
from backprop_tutor.core.numbers import setting_text
from backprop_tutor.core.trace import DeltaEvent, GradientEvent
from backprop_tutor.render.grid import GivenCell, Grid
from backprop_tutor.render.labels import DELTA

if TYPE_CHECKING:
    from backprop_tutor.render.step_tables import StepTables


SHARE = "this example's share of the batch's gradient (its δ through the batch's μ and σ²)"


def formula(L, name: str) -> str:
    """One of batch normalization's formulas (core/batch_norm.py) in the notation's symbol for
    γ·x̂ + β."""
    return FORMULAS[name].format(y=L.bn_y)


def shared(header, layer: int) -> bool:
    """Whether an example's gradient of a parameter in `layer` is its share of the batch's,
    not the derivative of its own error: at or under a batch-normalized layer, whose μ and σ²
    carry every example's error into every example's δ."""
    return any(e is not None and layer <= b for b, e in enumerate(header.batch_norm, start=1))


def forward_words(L, word: str, activation: str, epsilon: float) -> str:
    """The forward table's title's part for a batch-normalized layer."""
    return (
        f"; batch normalization over the batch (μ, σ²: the batch's table): "
        f"{formula(L, 'xhat')} with ε = {setting_text(epsilon)}, {formula(L, 'y')}, "
        f"{word} = {activation}({L.bn_y})"
    )


def statistics_table(tables: StepTables) -> Grid:
    """The batch's mean and variance of each batch-normalized unit's net input, with the γ
    and β its examples are scaled and shifted by."""
    step, v, L = tables.step, tables.v, tables.labels
    size = len(step.batch)
    table = Grid(
        f"Batch normalization: each unit's statistics over the {size} examples, "
        f"{formula(L, 'mean')}, {formula(L, 'var')} (N = {size}), and the running statistics "
        "the test pass uses"
    )
    table.column("unit", numeric=False)
    net = tables.labels.notation.net_word
    table.column(f"{net} (examples 1–{size})", numeric=False)
    table.column("μ")
    table.column("σ²")
    table.column("γ", numeric=False)
    table.column("β", numeric=False)
    table.column("running μ", numeric=False)
    table.column("running σ²", numeric=False)
    for s in step.statistics:
        nets = ", ".join(
            tables.n(f.net) for ex in step.batch for f in ex.forward if f.unit == s.unit
        )
        given = GivenCell if step.step == 1 else str
        table.row(
            s.unit,
            nets,
            v(s.mean, f"mean[{s.unit}]"),
            v(s.var, f"var[{s.unit}]"),
            given(f"{s.gamma} = {v(s.gamma_value, f'old[{s.gamma}]')}"),
            given(f"{s.beta} = {v(s.beta_value, f'old[{s.beta}]')}"),
            *_running(tables, s),
        )
    return table


def _running(tables: StepTables, s) -> tuple[str, str]:
    """A unit's running μ and σ² after this batch, from the ones before it:
    (1 − m)·before + m·μ, and for σ² the batch's × N/(N − 1), m the momentum."""
    n, v, m = tables.n, tables.v, setting_text(s.momentum)
    size = len(tables.step.batch)
    mean, var = s.running
    before_mean, before_var = s.running_before
    return (
        f"(1 − {m})·{n(before_mean)} + {m}·{n(s.mean)}\n= " + v(mean, f"running_mean[{s.unit}]"),
        f"(1 − {m})·{n(before_var)} + {m}·{n(s.var)}·{size}/{size - 1}\n= "
        + v(var, f"running_var[{s.unit}]"),
    )


def delta_table(tables: StepTables, layer: int, events: list[DeltaEvent]) -> Grid:
    """A batch-normalized layer's backward pass for one example: ∂E/∂out as any hidden
    unit's, the activation's slope at y, ∂E/∂y, and δ = ∂E/∂net through μ and σ²."""
    L, v = tables.labels, tables.v
    sign = L.notation.delta_sign  # Mitchell's and Xu's δ is the sensitivity −∂E/∂net
    table = Grid(
        f"Backward pass, layer {layer} (hidden layer, batch-normalized): each unit's error "
        f"signal through {L.bn_y}, then through the batch's μ and σ²: {formula(L, 'delta')} "
        "(the sums: the batch's table after its examples)"
    )
    table.column("unit", numeric=False)
    table.column(L.role_header("de_dout"))
    table.column("from", numeric=False)
    out = L.notation.out_word_for(False)
    table.column(L.fraction(out, L.bn_y))
    table.column(L.fraction(L.error, L.bn_y))
    table.column(f"{DELTA} = {'−' if sign < 0 else ''}∂E/∂{L.notation.net_word}")
    for d in events:
        u = d.unit
        table.row(
            u,
            v(d.de_dout, f"de_dout[{u}]"),
            tables._de_dout_source(d, False),
            v(d.dout_dnet, f"dout_dy[{u}]"),
            v(d.dy, f"dy[{u}]"),
            v(sign * d.delta, f"delta[{u}]"),
        )
    return table


def parameter_table(tables: StepTables, layer: int, events: list[GradientEvent]) -> Grid:
    """γ's and β's gradients in one example: its share of the batch's sums."""
    L, v = tables.labels, tables.v
    shares = {d.unit: d for d in tables.step.deltas if d.layer == layer}
    xhats = {f.unit: f.xhat for f in tables.step.forward if f.layer == layer}
    table = Grid(
        f"Gradients, layer {layer} (batch normalization's γ and β): this example's share, "
        f"{formula(L, 'grad_gamma')} and {formula(L, 'grad_beta')} over the batch"
    )
    table.column("param", numeric=False)
    table.column(L.fraction(L.error, L.bn_y))
    table.column("x̂", numeric=False)
    table.column(L.fraction(L.error, "param"))
    for g in events:
        unit = g.to[0]
        xhat = v(xhats[unit], f"xhat[{unit}]") if g.kind == "gamma" else ""
        table.row(
            g.param, v(shares[unit].dy, f"dy[{unit}]"), xhat, v(g.gradient, f"grad[{g.param}]")
        )
    return table


def sums_table(tables: StepTables) -> Grid:
    """The sums over the batch that every example's δ reads (γ's and β's gradients, summed)."""
    v, step = tables.v, tables.step
    size = len(step.batch)
    table = Grid(
        f"Batch normalization: the sums over the {size} examples each {DELTA} reads "
        "(γ's and β's gradients, summed)"
    )
    table.column("unit", numeric=False)
    table.column(f"Σ ∂E/∂{tables.labels.bn_y}")
    table.column(f"Σ ∂E/∂{tables.labels.bn_y} · x̂")
    for s in step.statistics:
        table.row(
            s.unit, v(s.sum_dy, f"sum_dy[{s.unit}]"), v(s.sum_dy_xhat, f"sum_dy_xhat[{s.unit}]")
        )
    return table
