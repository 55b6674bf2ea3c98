"""What `run` prints for a network too big to print in full: a summary and how to see more.

A 784-256-10 network's worked example is hundreds of thousands of table rows. Instead of
flooding the terminal, `run` computes the same step without recording it and prints the
outputs, the error, each layer's gradient and the largest gradients, then the options: --force
for everything, --only for chosen parameters, --output for a file.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from ..engine import Network
from ..network_spec import Spec
from ..scale import PATH_LIMIT, ROW_LIMIT, TRACE_LIMIT, Size
from .glyphs import plain
from .rich_tables import Grid

SHOWN = 10  # outputs and largest gradients listed


class RunSummary:
    """One step of a big network, computed in full and summarized."""

    def __init__(self, spec: Spec, size: Size) -> None:
        self.spec, self.size = spec, size
        self.fmt = spec.display
        network = Network(spec)
        self.p = network.compute(np.array(spec.inputs), np.array(spec.targets))
        # the weight arrays, not a dict by name: a million names would cost hundreds of MB
        self.old = [layer.weights.copy() for layer in network.layers]
        network.apply(self.p)  # the engine's own update, so "new" is what --force would print
        self.new = [layer.weights for layer in network.layers]

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
            f"loss {s.loss} · learning rate {self.fmt.format(s.learning_rate)}",
            f"Summary of step 1: the full worked example is {z.rows:,} table rows "
            f"(more than {ROW_LIMIT:,}).",
        ]

    def grids(self) -> Iterator[Grid]:
        yield self._outputs()
        yield self._layers()
        yield self._largest()

    def _outputs(self) -> Grid:
        n, p = self.fmt.format, self.p
        names = self.spec.output_names
        grid = Grid(f"Outputs and error (total error {n(p.total)})")
        for header in ("unit", "target", "out", "error"):
            grid.column(header, numeric=header != "unit")
        for u, name in enumerate(names[:SHOWN]):
            grid.row(name, n(self.spec.targets[u]), n(p.outs[-1][u, 0]), n(p.terms[u, 0]))
        if len(names) > SHOWN:
            grid.row(f"… {len(names) - SHOWN} more", "", "", "")
        return grid

    def _layers(self) -> Grid:
        n, p = self.fmt.format, self.p
        grid = Grid("Each layer's gradient", "‖·‖: the square root of the sum of squares")
        for header in ("layer", "units", "activation", "parameters", "‖δ‖", "‖∂E/∂param‖"):
            grid.column(header, numeric=header not in ("activation",))
        for i, ls in enumerate(self.spec.layers):
            grads = np.concatenate([p.grad_w[i].ravel(), p.grad_b[i].ravel()])
            with np.errstate(over="ignore"):  # past 1e154 a norm is inf, printed as inf
                norms = float(np.linalg.norm(p.delta[i])), float(np.linalg.norm(grads))
            grid.row(
                str(i + 1),
                str(len(ls.units)),
                ls.activation,
                f"{grads.size:,}",
                n(norms[0]),
                n(norms[1]),
            )
        return grid

    def _largest(self) -> Grid:
        """The parameters that move most, with their new values (plain gradient descent)."""
        n, p = self.fmt.format, self.p
        found: list[tuple[float, int, int, int]] = []
        for i in range(len(self.spec.layers)):
            grad = p.grad_w[i]
            for flat in np.argsort(-np.abs(grad), axis=None)[:SHOWN]:
                u, s = np.unravel_index(flat, grad.shape)
                found.append((float(grad[u, s]), i, int(u), int(s)))
        found.sort(key=lambda item: -abs(item[0]))
        grid = Grid(f"The {SHOWN} largest weight gradients")
        for header in ("param", "layer", "old", "∂E/∂param", "new"):
            grid.column(header, numeric=header != "param")
        for grad, i, u, s in found[:SHOWN]:
            name = self.spec.layers[i].weight_names[u][s]
            old, new = float(self.old[i][u, s]), float(self.new[i][u, s])
            grid.row(name, str(i + 1), n(old), n(grad), n(new))
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
