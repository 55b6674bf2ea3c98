"""The matrix form in the terminal: each equation in symbols, then with its matrices drawn in
brackets side by side, `⎡0.1  0.3⎤ ⎡0.1⎤ + ...`.

Never a cut digit: an equation wider than the terminal goes on over more lines, a break
between two matrices; a matrix wider than the terminal on its own is written row by row as
numbers that wrap between entries, never inside one.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.text import Text

from backprop_tutor.core.numbers import NumberFormat
from backprop_tutor.core.trace import Trace
from backprop_tutor.render.glyphs import spelled
from backprop_tutor.render.matrix_form import Equation, Matrix, MatrixStep
from backprop_tutor.render.matrix_step import matrix_form

Block = list[str]  # lines of equal width
PARTS = {
    "forward": "Forward",
    "backward": "Backward",
    "gradients": "Gradients",
    "updates": "Update",
}


class MatrixView:
    """`run --matrix`: every step of a trace as matrices, part by part."""

    def __init__(self, trace: Trace, numbered: bool = False) -> None:
        self.trace = trace
        self.fmt: NumberFormat = trace.header.display
        # numbered: a training trace's ids, `@1` too, as train's JSON names them
        self.steps: list[MatrixStep] = matrix_form(trace, numbered)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        h = self.trace.header
        width = options.max_width
        if h.title:
            yield Text(h.title, style="bold")
        yield Text(f"{h.file} · the matrix form · numbers to the tables' digits")
        for step in self.steps:
            columns = (
                f", {step.examples} examples as columns ({step.reduction} of their gradients)"
                if step.examples > 1
                else ""
            )
            yield Text("")
            yield Text(f"Step {step.step}{columns}", style="bold")
            part = ""
            for equation in step.equations:
                if equation.kind != part:
                    part = equation.kind
                    yield Text("")
                    yield Text(PARTS[part], style="bold underline")
                yield Group(*self.equation(equation, width))

    def equation(self, e: Equation, width: int) -> list[Text]:
        """The equation in symbols with its shapes, then its matrices side by side, over as
        many lines as the width needs (or listed row by row when one matrix is too wide)."""
        shapes = " ".join(_shape(t.matrix) for t in e.terms) + f" → {_shape(e.result)}"
        lines = [Text(""), Text(spelled(f"{e.form}    [{shapes}]"), style="italic")]
        items: list[Block] = []  # operators spelled before the layout: ⊙ is (.) in ASCII
        for term in e.terms:
            if term.before:
                items.append([spelled(term.before)])
            items.append(self.block(term.matrix))
            if term.after:
                items.append([spelled(term.after)])
        items += [["="], self.block(e.result)]
        if any(cell_len(item[0]) > width for item in items):
            return lines + self.listed(e, width)
        for row in _rows(items, width):
            lines += [Text(line.rstrip()) for line in _beside(row)]
        return lines

    def block(self, m: Matrix) -> Block:
        """The matrix in brackets, each column right-aligned to its widest number."""
        cells = m.texts(self.fmt.format)
        widths = [max(len(row[c]) for row in cells) for c in range(len(cells[0]))]
        body = [
            "  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in cells
        ]
        if len(body) == 1:
            return [f"[{body[0]}]"]
        left = ["⎡", *["⎢"] * (len(body) - 2), "⎣"]
        right = ["⎤", *["⎥"] * (len(body) - 2), "⎦"]
        return [f"{a}{line}{b}" for a, line, b in zip(left, body, right, strict=True)]

    def listed(self, e: Equation, width: int) -> list[Text]:
        """Each matrix of the equation row by row, for a terminal too narrow to draw it."""
        lines = []
        for m in (*(t.matrix for t in e.terms), e.result):
            lines.append(Text(f"{m.symbol}, row by row:"))
            for r, cells in enumerate(m.texts(self.fmt.format), start=1):
                label = f"  row {r}: "
                lines += [Text(line) for line in _hanging(label, cells, width)]
        return lines


def _hanging(label: str, cells: list[str], width: int) -> list[str]:
    """`label` then the cells, two spaces apart, wrapped between cells under the first one."""
    indent = " " * len(label)
    lines, line = [], label
    for k, cell in enumerate(cells):
        if k and len(line) + 2 + len(cell) > width:
            lines.append(line)
            line = indent + cell
        else:
            line += ("  " if k else "") + cell
    lines.append(line)
    return lines


def _shape(m: Matrix) -> str:
    rows, columns = m.shape
    return f"{rows}×{columns}"


def _rows(items: list[Block], width: int) -> list[list[Block]]:
    """The items in rows no wider than `width`, a space between two; a break never splits an
    item (a matrix, or an operator)."""
    rows: list[list[Block]] = [[]]
    used = 0
    for item in items:
        size = cell_len(item[0]) + (1 if rows[-1] else 0)
        if rows[-1] and used + size > width:
            rows.append([])
            used, size = 0, cell_len(item[0])
        rows[-1].append(item)
        used += size
    return rows


def _beside(items: list[Block]) -> list[str]:
    """Blocks side by side, each centred on the tallest."""
    height = max(len(item) for item in items)
    lines = [""] * height
    for k, item in enumerate(items):
        top = (height - len(item)) // 2
        blank = " " * cell_len(item[0])
        for r in range(height):
            inside = top <= r < top + len(item)
            lines[r] += (" " if k else "") + (item[r - top] if inside else blank)
    return lines
