"""A trace as the lecture's tables, in the lecture's order and vocabulary.

`WorkedExample` follows rich's own renderables (panel.py): settings in `__init__`, drawing in
`__rich_console__`. Every number in a cell comes from the trace through `NumberFormat.format`;
nothing here computes a value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.rule import Rule
from rich.text import Text

from backprop_tutor.core.trace import PredictionEvent, Trace
from backprop_tutor.render.glyphs import plain
from backprop_tutor.render.grid import Grid, cells_with_ids
from backprop_tutor.render.labels import Labels
from backprop_tutor.render.step_tables import StepTables


class WorkedExample:
    """Every step of a trace: forward pass, error, backward pass layer by layer, updates."""

    def __init__(self, trace: Trace, notation: str | None = None, ids: bool = False) -> None:
        self.trace = trace
        self.ids = ids  # each number's trace id under it (`run --ids`), to write claims with
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
                key = _key(step.step, f"#{k}") if self.ids else None
                yield from StepTables(example, self.trace, self.labels, self.fmt, key).tables()
            key = _key(step.step) if self.ids else None
            yield from StepTables(step, self.trace, self.labels, self.fmt, key).tables()
        steps = len(self.trace.steps)
        after = f"after {steps} step{'s' * (steps != 1)}, with the updated parameters"
        if self.trace.after is not None:
            title = f"The example again {after}"
            yield self._predictions(title, {"@after": self.trace.after}, False)
        if self.trace.tests:
            tests = {f"@test{k}": t for k, t in enumerate(self.trace.tests, start=1)}
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


def _key(step: int, example: str = "") -> Callable[[str], str]:
    """A step's ids as `Trace.values` names them: `grad[w5]`, `grad[w5]@2`, `grad[w5]@2#1`."""

    def key(base: str) -> str:
        sign, rest = ("−", base[1:]) if base.startswith("−") else ("", base)  # Δw's −grad
        return sign + (rest if step == 1 else f"{rest}@{step}") + example

    return key
