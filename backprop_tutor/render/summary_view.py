"""What `run` prints for a network too big to print in full: a summary and how to see more.

A 784-256-10 network's worked example is hundreds of thousands of table rows. Instead of
flooding the terminal, `run` computes the same step without recording it (summary.py) and this
view prints the outputs, the error, each layer's gradient and the largest gradients, then the
options: --force for everything, --only for chosen parameters, --output for a file.
"""

from __future__ import annotations

from collections.abc import Iterator

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from backprop_tutor.core.numbers import setting_text
from backprop_tutor.render.glyphs import plain
from backprop_tutor.render.grid import Grid
from backprop_tutor.spec.limits import PATH_LIMIT, ROW_LIMIT, TRACE_LIMIT, Size
from backprop_tutor.spec.model import Spec
from backprop_tutor.summary import SHOWN, StepSummary


class RunSummary:
    """One step of a big network, summarized (the record is made by summary.py)."""

    def __init__(self, spec: Spec, size: Size, summary: StepSummary) -> None:
        self.spec, self.size, self.summary = spec, size, summary
        self.fmt = spec.display

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.heading_lines():
            yield Text(plain(line))
        yield Text("")
        for grid in self.grids():
            yield grid.table()
            yield Text("")
        yield Text(self.hint(), style="bold")

    def heading_lines(self) -> list[str]:
        s, z = self.spec, self.size
        shape = "-".join(
            str(len(units)) for units in (s.input_names, *(ls.units for ls in s.layers))
        )
        lines = [line for line in (s.title, s.source) if line]
        return [
            *lines,
            f"{s.file} · {shape} network · {z.parameters:,} parameters · {z.paths:,} paths · "
            f"loss {s.loss} · learning rate {setting_text(s.learning_rate)}",
            f"Summary of step 1: the full worked example is {z.rows:,} table rows "
            f"(more than {ROW_LIMIT:,}).",
        ]

    def grids(self) -> Iterator[Grid]:
        yield self._outputs()
        yield self._layers()
        yield self._largest()

    def _outputs(self) -> Grid:
        n, s = self.fmt.format, self.summary
        title = f"Outputs and error (total error {n(s.total)})"
        if self.spec.normalized:  # one update on the whole batch
            batch = len(self.spec.examples)
            title = (
                f"Outputs and error of example 1 of {batch} (the batch's total error {n(s.total)})"
            )
        grid = Grid(title)
        for header in ("unit", "target", "out", "error"):
            grid.column(header, numeric=header != "unit")
        for name, *numbers in s.outputs:
            grid.row(name, *map(n, numbers))
        if s.more_outputs:
            grid.row(f"… {s.more_outputs} more", "", "", "")
        return grid

    def _layers(self) -> Grid:
        n = self.fmt.format
        grid = Grid("Each layer's gradient", "‖·‖: the square root of the sum of squares")
        for header in ("layer", "units", "activation", "parameters", "‖δ‖", "‖∂E/∂param‖"):
            grid.column(header, numeric=header not in ("activation",))
        for i, layer in enumerate(self.summary.layers, start=1):
            grid.row(
                str(i),
                str(layer.units),
                layer.activation,
                f"{layer.parameters:,}",
                n(layer.delta),
                n(layer.gradient),
            )
        return grid

    def _largest(self) -> Grid:
        """The parameters that move most, with their new values (plain gradient descent)."""
        n = self.fmt.format
        grid = Grid(f"The {SHOWN} largest weight gradients")
        for header in ("param", "layer", "old", "∂E/∂param", "new"):
            grid.column(header, numeric=header != "param")
        for name, layer, old, grad, new in self.summary.largest:
            grid.row(name, str(layer), n(old), n(grad), n(new))
        return grid

    def hint(self) -> str:
        if not self.size.traceable:  # --force, --only and --output would all be refused
            return (
                f"Its full worked example would hold {self.size.numbers:,} numbers, more than the "
                f"{TRACE_LIMIT:,} a trace may hold, so it is not printed or written in full; "
                "gradcheck checks its gradients, train trains it, a smaller network shows "
                "every number."
            )
        some = ",".join(self.spec.layers[0].weight_names[0][:2])
        listed = "" if self.size.paths_listed else f" (past {PATH_LIMIT:,} paths, delta form)"
        return (
            f"To see more: --force prints all {self.size.rows:,} rows{listed}, "
            f"--only {some} derives chosen parameters, --output FILE writes everything to a file."
        )
