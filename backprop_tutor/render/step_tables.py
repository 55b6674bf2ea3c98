"""One step's tables, in the lecture's order and vocabulary: forward pass, error, backward pass
layer by layer (deltas, then gradients), the batch and the update.

Every number in a cell comes from the step's events through `NumberFormat.format`; nothing here
computes a value. `rich_tables.WorkedExample` puts the steps together.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator

from backprop_tutor.core.losses import LOSSES
from backprop_tutor.core.numbers import NumberFormat, setting_text
from backprop_tutor.core.regularizers import as_state
from backprop_tutor.core.trace import (
    DeltaEvent,
    GradientEvent,
    StepTrace,
    Trace,
)
from backprop_tutor.render import normalization, update_tables
from backprop_tutor.render.grid import GivenCell, Grid, cells_with_ids
from backprop_tutor.render.labels import DELTA, Labels
from backprop_tutor.render.working import bracketed

MAX_TERMS_SHOWN = 4  # a net input with more terms is summarised, not spelled out


class StepTables:
    """The tables of one step."""

    def __init__(
        self,
        step: StepTrace,
        trace: Trace,
        labels: Labels,
        fmt: NumberFormat,
        key: Callable[[str], str] | None = None,
        params: Collection[str] | None = None,
    ) -> None:
        self.step = step
        self.params = params  # the parameters whose rows to print (`run --param`); None: all
        self.header = trace.header
        self.labels = labels
        self.n = fmt.format
        self.v = cells_with_ids(fmt.format, key)  # a number, and its id under it with `run --ids`
        # an update's quantity the digits would show to < 3 significant figures: in scientific
        self.small = cells_with_ids(as_state(fmt.format), key)
        self.key = key
        self.new = {u.param: u for u in step.updates}

    def tables(self) -> Iterator[tuple[str, Grid]]:
        """The step's tables, each with its section (formats.SECTIONS); an update on a batch
        has only its update table (its examples are tables of their own), an example of a
        batch has no update table. With `params`, the gradient and update tables keep only
        their rows."""
        if self.step.forward:
            n_layers = len(self.header.layers) - 1
            for layer in range(1, n_layers + 1):
                yield "forward", self.forward_table(layer)
            yield "error", self.error_table()
            for layer in range(n_layers, 0, -1):
                yield "backward", self.delta_table(layer)
                for table in self.gradient_tables(layer):
                    yield "gradients", table
        if self.step.batch:
            yield "error", update_tables.batch_error_table(self)
        if self.step.statistics:
            yield "backward", normalization.sums_table(self)
        if self.step.batch and self.chosen(self.step.updates):
            yield "updates", update_tables.batch_table(self)
        if self.chosen(self.step.updates):
            yield "updates", update_tables.update_table(self)

    def chosen(self, events):
        """The events (gradients, updates) of the parameters asked for, in their order."""
        return [e for e in events if self.params is None or e.param in self.params]

    # -- forward ---------------------------------------------------------------------------------
    def forward_table(self, layer: int) -> Grid:
        L, n = self.labels, self.n
        rate = self.header.dropout[layer - 1] if self.header.dropout else None
        epsilon = self.header.batch_norm[layer - 1] if self.header.batch_norm else None
        table = Grid(self._forward_title(layer, rate, epsilon))
        table.column("unit", numeric=False)
        bias = "− threshold" if self.header.bias_sign < 0 else "+ bias"
        table.column(f"{L.notation.net_word} = Σ weight × input {bias}", numeric=False)
        table.column(L.notation.net_word)
        if rate is not None:
            table.column("mask")
        if epsilon is not None:
            table.column("x̂")
            table.column(L.bn_y)
        table.column(L.notation.out_word_for(layer == len(self.header.layers) - 1))
        for ev in (e for e in self.step.forward if e.layer == layer):
            if len(ev.terms) <= MAX_TERMS_SHOWN:
                symbols = [f"{L.out(t.source)} × {t.weight}" for t in ev.terms]
                numbers = [
                    f"{bracketed(n(t.source_value))} × {bracketed(n(t.weight_value))}"
                    for t in ev.terms
                ]
            else:
                first = ev.terms[0]
                symbols = [f"Σ {L.out(first.source)} × {first.weight} … ({len(ev.terms)} terms)"]
                numbers = [f"Σ … ({len(ev.terms)} terms)"]
            bias_symbol = bias_number = ""
            if ev.bias:  # added, or a threshold subtracted (the layered notes' x_0 = −1)
                sign = " − " if self.header.bias_sign < 0 else " + "
                bias_symbol, bias_number = sign + ev.bias, sign + bracketed(n(ev.bias_value))
            sums = (
                f"{L.net(ev.unit)} = {' + '.join(symbols)}{bias_symbol}\n"
                f"  = {' + '.join(numbers)}{bias_number}"
            )
            mask = () if rate is None else (self.v(ev.mask, f"mask[{ev.unit}]"),)
            if epsilon is not None:
                mask = (self.v(ev.xhat, f"xhat[{ev.unit}]"), self.v(ev.y, f"y[{ev.unit}]"))
            net, out = self.v(ev.net, f"net[{ev.unit}]"), self.v(ev.out, f"out[{ev.unit}]")
            table.row(ev.unit, sums, net, *mask, out)
        return table

    def _forward_title(self, layer: int, rate: float | None, epsilon: float | None) -> str:
        """The forward table's title: the layer, and what its dropout or batch normalization
        does between the net input and the output."""
        L = self.labels
        is_output = layer == len(self.header.layers) - 1
        kind = "output layer" if is_output else "hidden layer"
        activation = self.header.activations[layer - 1]
        word = L.notation.out_word_for(is_output)
        extra = ""
        if rate is not None:
            extra = (
                f"; dropout rate {setting_text(rate)}: {word} = {activation}"
                f"({L.notation.net_word}) × mask, the mask 1/(1 − {setting_text(rate)}) for a "
                "kept unit, 0 for a dropped one"
            )
        if epsilon is not None:
            extra = normalization.forward_words(L, word, activation, epsilon)
        return f"Forward pass, layer {layer} ({kind}, {activation}){extra}"

    def error_table(self) -> Grid:
        L, n = self.labels, self.n
        formula = LOSSES[self.header.loss].formula
        table = Grid(f"Error: {L.error} = Σ {formula.format(target='target', out='out')}")
        table.column("output", numeric=False)
        table.column("target")
        table.column(L.notation.out_word_for(True))
        table.column("error term", numeric=False)
        table.column("value")
        for ev in self.step.losses:
            term = formula.format(out=n(ev.out), target=n(ev.target))
            table.row(
                ev.unit,
                GivenCell(self.v(ev.target, f"target[{ev.unit}]")),
                self.v(ev.out, f"out[{ev.unit}]"),
                f"{L.unit_error(ev.unit)} = {term}",
                self.v(ev.value, f"loss[{ev.unit}]"),
                end_section=ev is self.step.losses[-1],
            )
        table.row(
            L.error,
            "",
            "",
            " + ".join(L.unit_error(e.unit) for e in self.step.losses),
            self.v(self.step.total_loss, "loss"),
            style="bold",
        )
        return table

    # -- backward --------------------------------------------------------------------------------
    def delta_table(self, layer: int) -> Grid:
        L, n = self.labels, self.n
        is_output = layer == len(self.header.layers) - 1
        kind = "output layer" if is_output else "hidden layer"
        events = [d for d in self.step.deltas if d.layer == layer]
        if events[0].dy is not None:
            return normalization.delta_table(self, layer, events)
        mixing = bool(events[0].jacobian)  # softmax: every output moves with each net input
        sign = L.notation.delta_sign  # Mitchell's and Xu's δ is the sensitivity −∂E/∂net
        rate = self.header.dropout[layer - 1] if self.header.dropout else None
        masked = "; with dropout ∂output/∂sum is the activation's derivative × the mask"
        table = Grid(
            f"Backward pass, layer {layer} ({kind}): each unit's error signal"
            + (masked if rate is not None else "")
        )
        table.column("unit", numeric=False)
        table.column(L.role_header("de_dout", is_output=is_output))
        table.column("from", numeric=False)
        if mixing:
            out, net = L.notation.out_word_for(is_output), L.notation.net_word
            units = ", ".join(j for j, _ in events[0].jacobian)
            table.column(f"∂{out}_j/∂{net} for j = {units}", numeric=False)
            table.column(f"{DELTA} = {'−' if sign < 0 else ''}Σ_j ∂E/∂{out}_j · ∂{out}_j/∂{net}")
        else:
            table.column(L.role_header("dout_dnet", is_output=is_output))
            table.column(
                f"{DELTA} = −product (−∂E/∂net)"
                if sign < 0
                else f"{L.role_header('delta')} = product"
            )
        for d in events:
            derivative = self._de_dout_source(d, is_output)
            v, u = self.v, d.unit
            local = (
                ", ".join(n(x) for _, x in d.jacobian)
                if mixing
                else v(d.dout_dnet, f"dout_dnet[{u}]")
            )
            table.row(
                u,
                v(d.de_dout, f"de_dout[{u}]"),
                derivative,
                local,
                v(sign * d.delta, f"delta[{u}]"),
            )
        return table

    def _de_dout_source(self, d: DeltaEvent, is_output: bool) -> str:
        """Where dE/dout comes from: the loss's derivative, or the sum over downstream units."""
        L, n = self.labels, self.n
        if is_output:
            loss = next(e for e in self.step.losses if e.unit == d.unit)
            formula = LOSSES[self.header.loss].derivative_formula
            return formula.format(out=n(loss.out), target=n(loss.target))
        symbols = " + ".join(f"{w} × {L.delta(k)}" for k, w, _, _ in d.downstream)
        numbers = " + ".join(
            f"{bracketed(n(wv))} × {bracketed(n(dv))}" for _, _, wv, dv in d.downstream
        )
        if len(d.terms) < 2:
            return f"{symbols}\n= {numbers}"
        # each unit's share, w × δ (Mazur's ∂E_o1/∂out_h1), and with --ids their ids
        terms = " + ".join(bracketed(n(t)) for t in d.terms)
        ids = [f"de_dout[{d.unit},{k}]" for k, *_ in d.downstream]
        named = f"\n  ({', '.join(map(self.key, ids))})" if self.key else ""
        return f"{symbols}\n= {numbers}\n= {terms}{named}"

    def _factor_id(self, factor) -> str:
        """A chain factor's id as its column shows it: the δ column of a notation whose δ is
        −∂E/∂net holds ∂E/∂net, so its id is −delta[z1] (a claims file's delta[z1] has the
        other sign)."""
        return f"−{factor.id}" if self.labels.notation.sign_of(factor.id) < 0 else factor.id

    def gradient_tables(self, layer: int) -> Iterator[Grid]:
        """One table per row shape: direct chains, paths through downstream units, shared biases."""
        events = [g for g in self.chosen(self.step.gradients) if g.layer == layer]
        groups: dict[tuple, list[GradientEvent]] = {}
        scaled = [g for g in events if g.kind in ("gamma", "beta")]  # batch normalization's
        for g in (g for g in events if g not in scaled):
            factors = g.paths[0].factors if g.paths else g.factors
            groups.setdefault((bool(g.paths), tuple(f.role for f in factors)), []).append(g)
        for (has_paths, roles), group in groups.items():  # more than one: say which is which
            yield self._gradient_table(layer, has_paths, roles, group, len(groups) > 1)
        if scaled:
            yield normalization.parameter_table(self, layer, scaled)

    def _gradient_table(
        self, layer: int, has_paths: bool, roles: tuple[str, ...], group: list, named: bool
    ) -> Grid:
        L = self.labels
        is_output = layer == len(self.header.layers) - 1
        first = group[0]
        if has_paths:
            path = first.paths[0]
            caption = L.chain(path.factors, first.param, first.to[0], L.path_error(path.via))
            caption += f"   (through {path.via}; a parameter sums its paths)"
        else:
            caption = L.chain(first.factors, first.param, first.to[0])
        kind = "output layer" if is_output else "hidden layer"
        what = "per path, then the sum" if has_paths else "each factor and their product"
        if normalization.shared(self.header, layer) and not self.step.batch:
            what += f"; {normalization.SHARE}"
        kinds = "".join(sorted({g.kind for g in group}))  # a unit's own bias joins its weights
        holds = {"weight": ", weights", "bias": ", biases"}.get(kinds, ", weights and biases")
        holds *= named
        table = Grid(f"Gradients, layer {layer} ({kind}){holds}: {what}", caption)
        table.column("param", numeric=False)
        if has_paths:
            table.column("via", numeric=False)
        split = roles.index("dnet_dout") if "dnet_dout" in roles else None
        for i, role in enumerate(roles):
            position = "" if split is None else ("k" if i < split else "j")
            table.column(L.role_header(role, position, is_output and split is None))
        table.column(L.fraction(L.error, "param"))
        shows_new = not has_paths and bool(self.new)  # path tables: 80 columns; see updates
        if shows_new:
            table.column("new")
        for g in group:
            self._gradient_rows(table, g, has_paths, len(roles), shows_new)
        return table

    def _gradient_rows(
        self, table: Grid, g: GradientEvent, has_paths: bool, n_factors: int, shows_new: bool
    ) -> None:
        """One parameter's rows: a direct chain's factors and their product on one row; in a
        path table, a row per path (its factors and product), then their sum Σ in bold, which
        is the gradient (one path: its row is the gradient, no sum)."""
        # path tables are wide: their edge goes on a second line to fit 80 columns
        edge = ("\n" if has_paths else " ") + f"({g.source}→{g.to[0]})"
        label = g.param + edge if g.source else g.param
        v, grad = self.v, self.v(g.gradient, f"grad[{g.param}]")
        if not has_paths:
            new = (self._new(g.param),) if shows_new else ()
            table.row(label, *(v(f.value, self._factor_id(f)) for f in g.factors), grad, *new)
            return
        if len(g.paths) == 1:  # one path: it is the gradient
            p = g.paths[0]
            factors = (v(f.value, self._factor_id(f)) for f in p.factors)
            table.row(label, p.via, *factors, grad, end_section=True)
            return
        for i, p in enumerate(g.paths):
            factors = (v(f.value, self._factor_id(f)) for f in p.factors)
            path = v(p.value, f"path[{g.param},{p.via}]")
            table.row(label if i == 0 else "", p.via, *factors, path)
        table.row("", "Σ", *([""] * n_factors), grad, style="bold", end_section=True)

    def _new(self, param: str) -> str:
        update = self.new[param]
        new = self.v(update.new, f"new[{param}]")
        return new if update.updated else f"{new} (kept)"
