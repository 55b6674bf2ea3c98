"""A trace as the lecture's tables, in the lecture's order and vocabulary.

`WorkedExample` follows rich's own renderables (panel.py): settings in `__init__`, drawing in
`__rich_console__`. Every number in a cell comes from the trace through `NumberFormat.format`;
nothing here computes a value.
"""

from __future__ import annotations

from collections.abc import Iterator

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from backprop_tutor.core.losses import LOSSES
from backprop_tutor.core.numbers import NumberFormat
from backprop_tutor.core.trace import DeltaEvent, GradientEvent, StepTrace, Trace, UpdateEvent
from backprop_tutor.render.glyphs import plain, table_box
from backprop_tutor.render.labels import DELTA, Labels

MAX_TERMS_SHOWN = 4  # a net input with more terms is summarised, not spelled out


class WorkedExample:
    """Every step of a trace: forward pass, error, backward pass layer by layer, updates."""

    def __init__(self, trace: Trace, notation: str | None = None) -> None:
        self.trace = trace
        self.labels = Labels(trace.header, notation)
        h = trace.header
        self.fmt = h.display

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self._heading()
        for block in self.blocks():
            if isinstance(block, str):
                yield Rule(Text(plain(block), style="rule.text"))  # Text: never read as markup
            else:
                yield block.table()
                yield Text("")

    def blocks(self) -> Iterator[str | Grid]:
        """The worked example as data: a step's title (str) or a table (Grid), in order. Rich
        draws them here; the Markdown, LaTeX and HTML exports read the same blocks."""
        for step in self.trace.steps:
            if len(self.trace.steps) > 1 and not step.batch:
                yield f"Step {step.step}"
            for k, example in enumerate(step.batch, start=1):
                yield f"Step {step.step}, example {k} of {len(step.batch)} in the batch"
                yield from StepTables(example, self.trace, self.labels, self.fmt).tables()
            yield from StepTables(step, self.trace, self.labels, self.fmt).tables()
        if self.trace.tests:
            yield self._tests()

    def _tests(self) -> Grid:
        """The spec's test examples, predicted with the parameters after the last step."""
        n, L = self.fmt.format, self.labels
        outputs = self.trace.header.layers[-1]
        table = Grid(
            f"Test: predictions after {len(self.trace.steps)} step"
            f"{'s' * (len(self.trace.steps) != 1)}, with the updated parameters"
        )
        table.column("inputs", numeric=False)
        for unit in outputs:
            table.column(f"target {unit}")
            table.column(L.out(unit))
        table.column(L.error)
        for test in self.trace.tests:
            cells = [", ".join(n(x) for x in test.inputs)]
            for t, o in zip(test.targets, test.outputs, strict=True):
                cells += [n(t), n(o)]
            table.row(*cells, n(test.loss))
        return table

    def heading_lines(self) -> list[str]:
        """Title, source, and the settings every number depends on."""
        h, n = self.trace.header, self.fmt.format
        shape = "-".join(str(len(units)) for units in h.layers)
        biases = "updated" if h.update_biases else "kept (update_biases: false)"
        arithmetic = (
            f"calculator arithmetic, {h.carry_digits} decimals carried"
            if h.carry_digits is not None
            else "exact arithmetic"
        )
        shown = f"{h.digits} decimals, {'truncated' if h.rounding == 'truncate' else 'rounded'}"
        settings = (
            f"{h.file} · {shape} network · notation {self.labels.notation.name} · "
            f"loss {h.loss} · learning rate {n(h.learning_rate)} · biases {biases} · "
            f"{arithmetic} · {shown}"
        )
        if not h.paths_listed:
            settings += (
                f" · hidden gradients in the delta form ({h.paths:,} paths, too many to list)"
            )
        return [line for line in (h.title, h.source) if line] + [settings]

    def _heading(self) -> Group:
        lines = self.heading_lines()
        h = self.trace.header
        styles = (["bold"] if h.title else []) + (["dim"] if h.source else []) + [""]
        return Group(
            *(Text(plain(line), style=style) for line, style in zip(lines, styles, strict=True)),
            Text(""),
        )


class Grid:
    """Collects a table's rows first, so each number column is made as wide as its widest
    value: Rich then narrows or wraps the text columns, never a number."""

    def __init__(self, title: str, caption: str | None = None) -> None:
        self.title, self.caption = title, caption
        self.columns: list[tuple[str, bool]] = []
        self.rows: list[tuple[tuple[str, ...], dict]] = []

    def column(self, header: str, numeric: bool = True) -> None:
        self.columns.append((header, numeric))

    def row(self, *cells: str, **options: object) -> None:
        self.rows.append((cells, options))

    def table(self) -> Group:
        """The title above, as text that wraps at the console's width; the caption below."""
        table = Table(box=table_box(), pad_edge=False)
        for i, (header, numeric) in enumerate((Text(plain(h)), n) for h, n in self.columns):
            widest = max((len(plain(c[i])) for c, _ in self.rows if i < len(c)), default=0)
            if numeric:
                table.add_column(header, justify="right", min_width=widest, overflow="fold")
            else:  # folded, not cut with "…": every name is kept, at any width
                table.add_column(header, overflow="fold")
        for cells, options in self.rows:
            # Text, not str: names are never read as Rich markup, and no markup is parsed.
            table.add_row(*(Text(plain(cell)) for cell in cells), **options)  # type: ignore[arg-type]
        parts: list[RenderableType] = [Text(plain(self.title), style="bold"), table]
        if self.caption:
            parts.append(Text(plain(self.caption)))
        return Group(*parts)


class StepTables:
    """The tables of one step."""

    def __init__(self, step: StepTrace, trace: Trace, labels: Labels, fmt: NumberFormat) -> None:
        self.step = step
        self.header = trace.header
        self.labels = labels
        self.n = fmt.format
        self.new = {u.param: u for u in step.updates}

    def tables(self) -> Iterator[Grid]:
        """The step's tables; an update on a batch has only its update table (its examples are
        tables of their own), an example of a batch has no update table."""
        if self.step.forward:
            n_layers = len(self.header.layers) - 1
            for layer in range(1, n_layers + 1):
                yield self.forward_table(layer)
            yield self.error_table()
            for layer in range(n_layers, 0, -1):
                yield self.delta_table(layer)
                yield from self.gradient_tables(layer)
        if self.step.batch:
            yield self.batch_table()
        if self.step.updates:
            yield self.update_table()

    # -- forward ---------------------------------------------------------------------------------
    def forward_table(self, layer: int) -> Grid:
        L, n = self.labels, self.n
        is_output = layer == len(self.header.layers) - 1
        kind = "output layer" if is_output else "hidden layer"
        activation = self.header.activations[layer - 1]
        word = L.notation.out_word_for(is_output)
        table = Grid(f"Forward pass, layer {layer} ({kind}, {activation})")
        table.column("unit", numeric=False)
        bias = "− threshold" if self.header.bias_sign < 0 else "+ bias"
        table.column(f"{L.notation.net_word} = Σ weight × input {bias}", numeric=False)
        table.column(L.notation.net_word)
        table.column(word)
        for ev in (e for e in self.step.forward if e.layer == layer):
            if len(ev.terms) <= MAX_TERMS_SHOWN:
                symbols = [f"{L.out(t.source)} × {t.weight}" for t in ev.terms]
                numbers = [f"{n(t.source_value)} × {n(t.weight_value)}" for t in ev.terms]
            else:
                first = ev.terms[0]
                symbols = [f"Σ {L.out(first.source)} × {first.weight} … ({len(ev.terms)} terms)"]
                numbers = [f"Σ … ({len(ev.terms)} terms)"]
            bias_symbol = bias_number = ""
            if ev.bias:  # added, or a threshold subtracted (the layered notes' x_0 = −1)
                sign = " − " if self.header.bias_sign < 0 else " + "
                bias_symbol, bias_number = sign + ev.bias, sign + n(ev.bias_value)
            sums = (
                f"{L.net(ev.unit)} = {' + '.join(symbols)}{bias_symbol}\n"
                f"  = {' + '.join(numbers)}{bias_number}"
            )
            table.row(ev.unit, sums, n(ev.net), n(ev.out))
        return table

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
                n(ev.target),
                n(ev.out),
                f"{L.unit_error(ev.unit)} = {term}",
                n(ev.value),
                end_section=ev is self.step.losses[-1],
            )
        table.row(
            L.error,
            "",
            "",
            " + ".join(L.unit_error(e.unit) for e in self.step.losses),
            n(self.step.total_loss),
            style="bold",
        )
        return table

    # -- backward --------------------------------------------------------------------------------
    def delta_table(self, layer: int) -> Grid:
        L, n = self.labels, self.n
        is_output = layer == len(self.header.layers) - 1
        kind = "output layer" if is_output else "hidden layer"
        events = [d for d in self.step.deltas if d.layer == layer]
        mixing = bool(events[0].jacobian)  # softmax: every output moves with each net input
        sign = L.notation.delta_sign  # Mitchell's and Xu's δ is the sensitivity −∂E/∂net
        table = Grid(f"Backward pass, layer {layer} ({kind}): each unit's error signal")
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
            local = ", ".join(n(v) for _, v in d.jacobian) if mixing else n(d.dout_dnet)
            table.row(d.unit, n(d.de_dout), derivative, local, n(sign * d.delta))
        return table

    def _de_dout_source(self, d: DeltaEvent, is_output: bool) -> str:
        """Where dE/dout comes from: the loss's derivative, or the sum over downstream units."""
        L, n = self.labels, self.n
        if is_output:
            loss = next(e for e in self.step.losses if e.unit == d.unit)
            formula = LOSSES[self.header.loss].derivative_formula
            return formula.format(out=n(loss.out), target=n(loss.target))
        symbols = " + ".join(f"{w} × {L.delta(k)}" for k, w, _, _ in d.downstream)
        numbers = " + ".join(f"{n(wv)} × {n(dv)}" for _, _, wv, dv in d.downstream)
        return f"{symbols}\n= {numbers}"

    def gradient_tables(self, layer: int) -> Iterator[Grid]:
        """One table per row shape: direct chains, paths through downstream units, shared biases."""
        events = [g for g in self.step.gradients if g.layer == layer]
        groups: dict[tuple, list[GradientEvent]] = {}
        for g in events:
            factors = g.paths[0].factors if g.paths else g.factors
            groups.setdefault((bool(g.paths), tuple(f.role for f in factors)), []).append(g)
        for (has_paths, roles), group in groups.items():
            yield self._gradient_table(layer, has_paths, roles, group)

    def _gradient_table(
        self, layer: int, has_paths: bool, roles: tuple[str, ...], group: list[GradientEvent]
    ) -> Grid:
        L, n = self.labels, self.n
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
        table = Grid(f"Gradients, layer {layer} ({kind}): {what}", caption)
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
            # path tables are wide: their edge goes on a second line to fit 80 columns
            edge = ("\n" if has_paths else " ") + f"({g.source}→{g.to[0]})"
            label = g.param + edge if g.source else g.param
            if not has_paths:
                new = (self._new(g.param),) if shows_new else ()
                table.row(label, *(n(f.value) for f in g.factors), n(g.gradient), *new)
                continue
            if len(g.paths) == 1:  # one path: it is the gradient
                p = g.paths[0]
                table.row(
                    label, p.via, *(n(f.value) for f in p.factors), n(g.gradient), end_section=True
                )
                continue
            for i, p in enumerate(g.paths):
                table.row(
                    label if i == 0 else "", p.via, *(n(f.value) for f in p.factors), n(p.value)
                )
            table.row("", "Σ", *([""] * len(roles)), n(g.gradient), style="bold", end_section=True)
        return table

    def _new(self, param: str) -> str:
        update = self.new[param]
        return self.n(update.new) if update.updated else f"{self.n(update.new)} (kept)"

    def batch_table(self) -> Grid:
        """Each example's gradient and the batch's: their mean or sum, which the update uses."""
        L, n, step = self.labels, self.n, self.step
        size = len(step.batch)
        combined = f"{step.reduction} of {size}"
        table = Grid(
            f"Batch update: each parameter's gradient over the {size} examples, and "
            f"their {step.reduction}"
        )
        table.column("param", numeric=False)
        table.column(f"{L.partial(L.error, 'param')} for examples 1 to {size}", numeric=False)
        table.column(combined)
        per_example = [{g.param: g.gradient for g in ex.gradients} for ex in step.batch]
        for u in _file_order(step):
            table.row(u.param, ", ".join(n(grads[u.param]) for grads in per_example), n(u.gradient))
        return table

    def update_table(self) -> Grid:
        """new = old − η ∂E/∂param (+ momentum); Mitchell and Xu add Δw = η δ x instead, with
        their δ the sensitivity −∂E/∂net: the same numbers in the lecture's own form."""
        L, n = self.labels, self.n
        eta = n(self.header.learning_rate)
        updates = _file_order(self.step)
        momentum = any(u.momentum_term for u in updates)
        grad = L.fraction(L.error, "param")
        increment = L.notation.delta_sign < 0
        if increment:
            title = (
                f"Updated parameters: w ← w + Δw, Δw = {eta} × δ·x"
                f"{' + α·Δw(previous)' if momentum else ''}, where δ·x = "
                f"−{L.partial(L.error, 'w')}"
            )
        else:
            title = (
                f"Updated parameters: new = old − {eta} × {L.partial(L.error, 'param')}"
                f"{' + α·Δ(previous)' if momentum else ''}"
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
            cells = [u.param, n(u.old), n(-u.gradient if increment else u.gradient)]
            if momentum:
                cells.append(n(u.momentum_term))
            if increment or momentum:
                cells.append(n(u.change))
            note = "" if u.updated else "kept: update_biases is false"
            table.row(*cells, n(u.new), note)
        return table


def _file_order(step: StepTrace) -> list[UpdateEvent]:
    """Updates layer by layer from the inputs, each layer in the file's order (w1, w2, ... w8)."""
    by_name = {u.param: u for u in step.updates}
    gradients = step.gradients or step.batch[0].gradients  # a batch: its examples' order
    return [by_name[g.param] for g in sorted(gradients, key=lambda g: g.layer)]
