"""A training run as tables: the algorithm, the loss every k epochs, why it stopped, a loss
curve, the final parameters, the predictions and the hidden codes, and any traced steps."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.text import Text

from backprop_tutor.core.numbers import or_scientific, setting_text
from backprop_tutor.core.optimizers import OPTIMIZERS
from backprop_tutor.core.trace import Trace
from backprop_tutor.core.words import counted
from backprop_tutor.render.glyphs import plain
from backprop_tutor.render.grid import Grid
from backprop_tutor.render.heading import batch_norm_words, decay_words, dropout_words
from backprop_tutor.render.rich_tables import WorkedExample
from backprop_tutor.train import TrainingResult

CURVE_HEIGHT = 8
BLOCKS = " ▁▂▃▄▅▆▇█"
MAX_ROWS = 64  # predictions and hidden codes print in full up to this many examples
MAX_CODE_UNITS = 12
MAX_PARAMETERS = 100  # listed one by one up to this many; past it, one row per layer
MAX_OUTPUT_COLUMNS = 4  # a target and an out column per output up to this many outputs
MAX_INPUTS_SHOWN = 8  # an example's inputs listed in full up to this many


class TrainingReport:
    """Everything `backprop-tutor train` prints after the progress bar."""

    def __init__(self, result: TrainingResult, trace: Trace, every: int | None = None) -> None:
        self.result = result
        self.trace = trace  # the traced steps, with the header every view shares
        spec = result.spec
        self.spec = spec
        self.fmt = spec.display
        self.every = every or spec.training.report_every or max(1, result.epochs // 10)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self._heading()
        yield self._loss_table().table()
        yield Text("")
        yield Text(self._stop_line(), style="bold")
        yield Text("")
        yield self._curve(max(20, min(options.max_width - 12, 72)))
        yield Text("")
        yield self._parameters().table()
        yield Text("")
        yield self._predictions().table()
        if self.result.hidden is not None and self._shows_codes():
            yield Text("")
            yield self._codes().table()
        if len(self.result.spec.layers) > 1:
            yield Text("")
            yield self._delta_norms().table()
        if any(self.result.dead_units):
            yield Text("")
            yield Text(self._dead_line(), style="bold")
        if self.trace.steps:
            yield Text("")
            yield WorkedExample(self.trace, given=False)

    def blocks(self):
        """The report as data, for the Markdown and LaTeX exports: section titles (str) and
        tables (Grid); the loss curve is terminal art and stays out."""
        yield self._loss_table()
        yield self._stop_line()
        yield self._parameters()
        yield self._predictions()
        if self.result.hidden is not None and self._shows_codes():
            yield self._codes()
        if len(self.result.spec.layers) > 1:
            yield self._delta_norms()
        if any(self.result.dead_units):
            yield self._dead_line()
        if self.trace.steps:
            yield "Traced updates"
            yield from WorkedExample(self.trace, given=False).blocks()

    def heading_lines(self) -> list[str]:
        return [line.plain for line in self._heading().renderables if line.plain]

    def _dead_line(self) -> str:
        before, after = self.result.dead_units
        return (
            "Dead ReLU units (output 0 on every example, so no gradient reaches their "
            f"weights): {len(before)} before training ({', '.join(before) or 'none'}), "
            f"{len(after)} after ({', '.join(after) or 'none'})"
        )

    def _heading(self) -> Group:
        spec, rules = self.spec, self.spec.training
        shape = "-".join(str(len(units)) for units in self.trace.header.layers)
        n = len(spec.examples)
        kind = {
            "stochastic": "stochastic (one example per update)",
            "mini": f"mini-batch ({counted(rules.batch_size, 'example')} per update)",
            "full": f"full batch (all {n:,} examples per update)",
        }[rules.batch]
        order = f"shuffled (seed {rules.seed})" if rules.shuffled(n) else "in file order"
        momentum = f", momentum {setting_text(rules.momentum)}" if rules.momentum else ""
        entry = OPTIMIZERS[spec.optimizer.name]
        if not entry.classic:
            settings = ", ".join(
                f"{key} {setting_text(value)}" for key, value in spec.optimizer.settings
            )
            momentum = f" · {entry.title}" + (f" ({settings})" if settings else "")
        h = self.trace.header
        momentum += decay_words(h) + dropout_words(h) + batch_norm_words(h, training=True)
        precision = "" if rules.dtype == "float64" else f" · {rules.dtype} arithmetic"
        lines = [Text(plain(spec.title), style="bold")] if spec.title else []
        if spec.source:
            lines.append(Text(plain(spec.source), style="dim"))
        lines.append(
            Text(
                plain(
                    f"{spec.file} · {shape} network · {counted(n, 'example')} · loss {spec.loss} · "
                    f"learning rate {setting_text(spec.learning_rate)}{momentum} · {kind}, "
                    f"{order} · "
                    f"{rules.reduction} over a batch{precision}"
                )
            )
        )
        if spec.init:
            lines.append(Text(f"starting weights drawn {spec.init}"))
        return Group(*lines, Text(""))

    def _loss_table(self) -> Grid:
        n = self.fmt.format
        losses = self.result.losses
        table = Grid(
            f"Loss ({self.spec.training.reduction} over the examples"
            f"{', the penalty not in it' if self.spec.optimizer.regularizer else ''}), every "
            f"{self.every} epoch{'s' * (self.every > 1)}"
        )
        table.column("epoch")
        table.column("loss")
        shown = list(range(self.every, len(losses) + 1, self.every))
        if not shown or shown[0] != 1:
            shown.insert(0, 1)
        if shown[-1] != len(losses):
            shown.append(len(losses))
        for epoch in shown:
            table.row(str(epoch), _small(losses[epoch - 1], n))
        return table

    def _stop_line(self) -> str:
        r, rules = self.result, self.spec.training
        loss = _small(r.losses[-1], self.fmt.format)
        if r.stop == "epochs":
            line = f"Stopped after the {counted(r.epochs, 'epoch')} asked for (loss {loss})."
        elif r.stop == "loss_threshold":
            line = (
                f"Stopped at epoch {r.epochs}: loss {_below(r.losses[-1], rules.loss_threshold, 4)}"
                f" < {setting_text(rules.loss_threshold)} (loss_threshold)."
            )
        elif r.stop == "gradient_threshold":
            norm = _below(r.gradient_norm, rules.gradient_threshold, 3)
            line = (
                f"Stopped at epoch {r.epochs}: gradient norm {norm} < "
                f"{setting_text(rules.gradient_threshold)} "
                "(gradient_threshold, the Xu lecture's θ)."
            )
        else:
            line = f"Stopped at max_epochs = {r.epochs} without meeting a threshold (loss {loss})."
        return f"{line} {counted(r.updates, 'update')}."

    def _curve(self, width: int) -> Group:
        """The loss per epoch as block characters: columns average the epochs they cover."""
        losses = self.result.losses
        # the axis from the data, not from the columns' averages: the first loss is the top
        top, bottom = max(losses), min(losses)
        labels = _small(top, self.fmt.format), _small(bottom, self.fmt.format)
        # a label wider than 10 (a loss of 2457963599.21554) takes its room from the columns,
        # so every row's axis stays in one place and no row passes the width
        margin = max(10, *map(len, labels))
        columns = max(1, min(width - (margin - 10), len(losses)))
        buckets = [
            losses[len(losses) * c // columns : len(losses) * (c + 1) // columns]
            for c in range(columns)
        ]
        points = [sum(b) / len(b) for b in buckets]
        span = (top - bottom) or 1.0
        levels = [round((p - bottom) / span * (CURVE_HEIGHT * 8 - 1)) for p in points]
        rows = []
        for row in range(CURVE_HEIGHT - 1, -1, -1):
            cells = "".join(BLOCKS[max(0, min(8, level - row * 8 + 1))] for level in levels)
            label = labels[0] if row == CURVE_HEIGHT - 1 else (labels[1] if row == 0 else "")
            rows.append(Text(f"{label:>{margin}} │{cells}"))
        rows.append(Text(f"{'':>{margin}} └{'─' * columns}"))
        gap = " " * max(1, columns - 8 - len(str(len(losses))))
        rows.append(Text(f"{'':>{margin}}  epoch 1{gap}{len(losses)}"))
        return Group(Text("Loss curve", style="bold"), *rows)

    def _parameters(self) -> Grid:
        """Every parameter, or past MAX_PARAMETERS one row per layer (`--format json` still
        holds every value): 200,000 rows help no one on a terminal."""
        n = self.fmt.format
        values = self.result.parameters
        if len(values) > MAX_PARAMETERS:
            return self._parameter_layers(len(values))
        table = Grid("Final parameters")
        table.column("param", numeric=False)
        table.column("value")
        for name, value in values.items():
            table.row(name, n(value))
        return table

    def _parameter_layers(self, count: int) -> Grid:
        n = self.fmt.format
        table = Grid(
            f"Final parameters: {count:,}, summarized per layer (--format json lists each one)"
        )
        for header in ("layer", "weights", "biases", "min", "max", "mean", "‖·‖"):
            table.column(header)
        for i, f in enumerate(self.result.figures(), start=1):
            figures = (f.minimum, f.maximum, f.mean, f.norm)
            table.row(str(i), f"{f.weights:,}", f"{f.biases:,}", *map(n, figures))
        return table

    def _predictions(self) -> Grid:
        n, spec, outputs = self.fmt.format, self.spec, self.result.outputs
        assert outputs is not None
        shown = min(len(spec.examples), MAX_ROWS)
        more = len(spec.examples) - shown
        title = "Predictions" + (f" (first {shown} of {len(spec.examples):,})" if more else "")
        table = Grid(title)
        table.column("#")
        table.column("inputs", numeric=False)
        names = spec.output_names
        wide = len(names) > MAX_OUTPUT_COLUMNS  # then one text column each for t and out
        for header in ("targets", "outputs") if wide else ():
            table.column(f"{header} ({', '.join(names[:2])}, …)", numeric=False)
        for unit in () if wide else names:
            table.column(f"target {unit}")
            table.column(f"out {unit}")
        for k, (x, t) in enumerate(spec.examples[:shown]):
            cells = [str(k + 1), _some(x, n)]
            if wide:
                cells += [", ".join(map(n, t)), ", ".join(n(float(o)) for o in outputs[:, k])]
            else:
                for j in range(len(t)):
                    cells += [n(t[j]), n(float(outputs[j, k]))]
            table.row(*cells)
        return table

    def _delta_norms(self) -> Grid:
        """‖δ‖ per layer, before and after: the Xu lecture's vanishing gradient made visible."""
        n = self.fmt.format
        first, last = self.result.delta_norms
        table = Grid(
            "Error signal per layer, ‖δ‖ over all examples (inputs side first): "
            "it shrinks layer by layer when gradients vanish"
        )
        table.column("layer", numeric=False)
        table.column("units", numeric=False)
        table.column("before training")
        table.column("after training")
        layers = self.result.spec.layers
        for k, (layer, a, b) in enumerate(zip(layers, first, last, strict=True)):
            kind = "output" if k == len(layers) - 1 else "hidden"
            shown = (_small(a, n), _small(b, n))  # a vanished signal is not 0.00000
            table.row(f"{k + 1} ({kind}, {layer.activation})", str(len(layer.units)), *shown)
        return table

    def _shows_codes(self) -> bool:
        hidden = self.result.hidden
        return (
            hidden is not None and hidden.shape[0] <= MAX_CODE_UNITS and hidden.shape[1] <= MAX_ROWS
        )

    def _codes(self) -> Grid:
        """The last hidden layer's values per example, and each rounded to 0 or 1 (a code)."""
        n, hidden = self.fmt.format, self.result.hidden
        assert hidden is not None
        units = self.trace.header.layers[-2]
        codes = ["".join(str(int(v >= 0.5)) for v in hidden[:, k]) for k in range(hidden.shape[1])]
        distinct = len(set(codes))
        table = Grid(
            f"Hidden values ({', '.join(units)}) per example, rounded to a code: "
            f"{distinct} distinct code{'s' * (distinct != 1)} for {counted(len(codes), 'example')}"
        )
        table.column("#")
        table.column("inputs", numeric=False)
        for unit in units:
            table.column(unit)
        table.column("code", numeric=False)
        for k, (x, _) in enumerate(self.spec.examples):
            table.row(
                str(k + 1),
                _some(x, n),
                *(n(float(v)) for v in hidden[:, k]),
                codes[k],
            )
        return table


def _below(value: float, threshold: float, figures: int) -> str:
    """`value`, which is below `threshold`, to `figures` significant figures or as many more
    as it takes to read below it: 0.0050646 < 0.0050648, never 0.005065 < 0.0050648."""
    for places in range(figures, 18):
        text = f"{value:.{places}g}"
        if float(text) < threshold:
            return text
    return repr(value)


def _small(value: float, n) -> str:
    """A loss as the display prints it, or in scientific notation where the display's digits
    would show a loss that is not zero as zero (3.5e-06, not 0.0000)."""
    return or_scientific(value, n(value))


def _some(values, n) -> str:
    """An example's inputs, or the first few and how many there are."""
    if len(values) <= MAX_INPUTS_SHOWN:
        return ", ".join(map(n, values))
    return ", ".join(map(n, values[:3])) + f", … ({len(values):,} inputs)"
