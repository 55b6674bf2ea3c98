"""A trace as the lecture's tables, in the lecture's order and vocabulary.

`WorkedExample` follows rich's own renderables (panel.py): settings in `__init__`, drawing in
`__rich_console__`. Every number in a cell comes from the trace through `NumberFormat.format`;
nothing here computes a value.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.rule import Rule
from rich.text import Text

from backprop_tutor.core.losses import LOSSES
from backprop_tutor.core.numbers import setting_text
from backprop_tutor.core.trace import PredictionEvent, StepTrace, Trace
from backprop_tutor.core.words import counted
from backprop_tutor.render import normalization
from backprop_tutor.render.glyphs import plain
from backprop_tutor.render.grid import Grid, cells_with_ids
from backprop_tutor.render.heading import batch_norm_words, dropout_words, update_words
from backprop_tutor.render.labels import Labels
from backprop_tutor.render.step_tables import StepTables

MAX_GIVEN_WEIGHTS = 12  # a unit with more incoming weights has them summarised in "Given"


class WorkedExample:
    """Every step of a trace: forward pass, error, backward pass layer by layer, updates."""

    def __init__(
        self,
        trace: Trace,
        notation: str | None = None,
        ids: bool = False,
        sections: Collection[str] | None = None,
        params: Collection[str] | None = None,
        given: bool = True,
    ) -> None:
        self.trace = trace
        self.ids = ids  # each number's trace id under it (`run --ids`), to write claims with
        # the sections and parameters to print (`run --section`, `--param`); None: all
        self.sections, self.params = sections, params
        self.given = given  # the "Given" table first (`train`'s chosen updates go without)
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
        if self.given and (self.sections is None or "given" in self.sections):
            yield self.given_table()
        for step in self.trace.steps:
            if step.statistics and (self.sections is None or "forward" in self.sections):
                key = _key(step.step, "") if self.ids else None
                tables = StepTables(step, self.trace, self.labels, self.fmt, key, self.params)
                yield f"Step {step.step}: the batch's statistics"
                yield normalization.statistics_table(tables)
            for k, example in enumerate(step.batch, start=1):
                title = f"Step {step.step}, example {k} of {len(step.batch)} in the batch"
                yield from self._titled(title, self._tables(example, f"#{k}"))
            tables = self._tables(step)  # a batch's update: under its examples' titles
            titled = len(self.trace.steps) > 1 and not step.batch
            yield from self._titled(f"Step {step.step}", tables) if titled else tables
        if self.sections is None or "predictions" in self.sections:
            yield from self._all_predictions()

    def _tables(self, step: StepTrace, example: str = "") -> Iterator[Grid]:
        """One step's (or one batch example's) tables, those of the sections chosen."""
        key = _key(step.step, example) if self.ids else None
        tables = StepTables(step, self.trace, self.labels, self.fmt, key, self.params).tables()
        for section, table in tables:
            if self.sections is None or section in self.sections:
                yield table

    def given_table(self) -> Grid:
        """What the worked example starts from, for a worksheet or a slide: the inputs, the
        targets, every weight and bias before the first update (with its edge), η and the
        loss. The settings of the arithmetic are in the heading."""
        h, n, L = self.trace.header, self.fmt.format, self.labels
        first = self.trace.steps[0]
        step = first.batch[0] if first.batch else first
        table = Grid("Given", given=True)
        table.column("", numeric=False)
        table.column("values", numeric=False)
        examples = first.batch if first.statistics else (step,)  # batch normalization's
        for k, example in enumerate(examples, start=1):
            which = f" of example {k}" if len(examples) > 1 else ""
            inputs = ", ".join(f"{L.out(x)} = {n(v)}" for x, v in example.inputs)
            table.row(f"inputs{which}", inputs)
            targets = (f"{L.target(e.unit)} = {n(e.target)}" for e in example.losses)
            table.row(f"targets{which}", ", ".join(targets))
        for f in step.forward:
            weights = [f"{t.weight} = {n(t.weight_value)} from {t.source}" for t in f.terms]
            if len(weights) > MAX_GIVEN_WEIGHTS:
                values = [t.weight_value for t in f.terms]
                weights = [
                    f"{len(weights)} weights from {n(min(values))} to {n(max(values))} "
                    "(each in --format json)"
                ]
            bias = [f"{f.bias} = {n(f.bias_value)}"] if f.bias else []
            table.row(f"into {f.unit} ({f.activation})", ", ".join(weights + bias))
        for s in first.statistics:  # batch normalization: γ, β and ε of each unit
            table.row(
                f"batch norm of {s.unit}",
                f"{s.gamma} = {n(s.gamma_value)}, {s.beta} = {n(s.beta_value)}, "
                f"ε = {setting_text(s.epsilon)}",
            )
        rate = f"η = {setting_text(h.learning_rate)}"  # as given: 1/3, 0.0004 at any digits
        alpha = f", momentum α = {setting_text(h.momentum)}" if h.momentum else ""
        table.row("learning rate", rate + alpha)
        formula = LOSSES[h.loss].formula.format(target="target", out="out")
        table.row("loss", f"{h.loss}: {L.error} = Σ {formula}")
        return table

    @staticmethod
    def _titled(title: str, tables: Iterator[Grid]) -> Iterator[str | Grid]:
        """A step's title, then its tables: no title for a step none of whose tables is chosen."""
        first = next(tables, None)
        if first is not None:
            yield title
            yield first
            yield from tables

    def _all_predictions(self) -> Iterator[Grid]:
        steps = len(self.trace.steps)
        after = f"after {steps} step{'s' * (steps != 1)}, with the updated parameters"
        if self.trace.after is not None:
            title = f"The example again {after}"
            yield self._predictions(title, {"@after": self.trace.after}, False)
        if self.trace.tests:
            tests = {f"@test{k}": t for k, t in enumerate(self.trace.tests, start=1)}
            if self.trace.header.batch_norm:  # (set only where a layer is normalized)
                after += " and batch normalization by the running μ and σ² the last step left"
            yield self._predictions(f"Test: predictions {after}", tests)

    def _predictions(self, title: str, events: dict[str, PredictionEvent], inputs=True) -> Grid:
        """Examples predicted with the parameters after the last step, by their ids' suffix:
        the spec's tests, or the steps' own example again (the error the update left)."""
        n, L = self.fmt.format, self.labels
        table = Grid(title)
        if inputs:
            table.column("inputs", numeric=False)
        for unit in self.trace.header.layers[-1]:
            table.column(f"target {unit}")
            table.column(L.out(unit))
        table.column(L.error)
        for suffix, event in events.items():
            cell = cells_with_ids(n, (lambda base, s=suffix: base + s) if self.ids else None)
            cells = [", ".join(n(x) for x in event.inputs)] if inputs else []
            outputs = self.trace.header.layers[-1]
            for unit, t, o in zip(outputs, event.targets, event.outputs, strict=True):
                cells += [n(t), cell(o, f"out[{unit}]")]
            table.row(*cells, cell(event.loss, "loss"))
        return table

    def heading_lines(self, worksheet: bool = False) -> list[str]:
        """Title, source, and the settings every number depends on; for a worksheet, what
        to do instead: every given is in the Given table."""
        h = self.trace.header
        if worksheet:
            how = "truncated" if h.rounding == "truncate" else "rounded"
            keep = (
                f"carry {counted(h.carry_digits, 'decimal')} in every step"
                if h.carry_digits is not None
                else "carry as many decimals as your calculator shows"
            )
            task = (
                f"Fill in each blank to {counted(h.digits, 'decimal')} ({how}); {keep}. "
                "Every number you start from is under Given."
            )
            return [line for line in (h.title, h.source) if line] + [task]
        shape = "-".join(str(len(units)) for units in h.layers)
        biases = "updated" if h.update_biases else "kept (update_biases: false)"
        arithmetic = (
            f"calculator arithmetic, {counted(h.carry_digits, 'decimal')} carried"
            if h.carry_digits is not None
            else "exact arithmetic"
        )
        cut = "truncated" if h.rounding == "truncate" else "rounded"
        shown = f"{counted(h.digits, 'decimal')}, {cut}"
        settings = (
            f"{h.file} · {shape} network · notation {self.labels.notation.name} · "
            f"loss {h.loss} · learning rate {setting_text(h.learning_rate)}{update_words(h)}"
            f"{dropout_words(h)}{batch_norm_words(h)} · biases {biases} · {arithmetic} · {shown}"
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


def _key(step: int, example: str = "") -> Callable[[str], str]:
    """A step's ids as `Trace.values` names them: `grad[w5]`, `grad[w5]@2`, `grad[w5]@2#1`."""

    def key(base: str) -> str:
        sign, rest = ("−", base[1:]) if base.startswith("−") else ("", base)  # Δw's −grad
        return sign + (rest if step == 1 else f"{rest}@{step}") + example

    return key
