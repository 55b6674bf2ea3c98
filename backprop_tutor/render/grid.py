"""A table collected row by row, drawn by Rich so that no number is ever cut.

Every view's tables go through `Grid`: each number column is as wide as its widest value, and
Rich narrows or wraps the text columns, never a number. Where even that does not fit the width
(a narrow terminal, `run --ids`), the table changes shape instead of losing a column: one
record per row, `w5 (h1→o1): old 0.5 · grad 0.08020 · new 0.45187`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from backprop_tutor.render.glyphs import plain, table_box


class Grid:
    """Collects a table's rows first, so each number column is made as wide as its widest
    value (the Markdown and LaTeX exports read the same rows)."""

    def __init__(self, title: str, caption: str | None = None, given: bool = False) -> None:
        self.title, self.caption = title, caption
        self.given = given  # a table of givens: a worksheet keeps its numbers
        self.columns: list[tuple[str, bool]] = []
        self.rows: list[tuple[tuple[str, ...], dict]] = []

    def column(self, header: str, numeric: bool = True) -> None:
        self.columns.append((header, numeric))

    def row(self, *cells: str, **options: object) -> None:
        self.rows.append((cells, options))

    def table(self) -> Group:
        """The title above, as text that wraps at the console's width; the caption below."""
        parts: list[RenderableType] = [Text(plain(self.title), style="bold"), _Fitted(self)]
        if self.caption:
            parts.append(Text(plain(self.caption)))
        return Group(*parts)

    def rich_table(self) -> Table:
        table = Table(box=table_box(), pad_edge=False)
        for i, (header, numeric) in enumerate((Text(plain(h)), n) for h, n in self.columns):
            lines = (line for c, _ in self.rows if i < len(c) for line in plain(c[i]).split("\n"))
            widest = max(map(len, lines), default=0)
            if numeric:
                table.add_column(header, justify="right", min_width=widest, overflow="fold")
            else:  # folded, not cut with "…": every name is kept, at any width
                table.add_column(header, overflow="fold")
        for cells, options in self.rows:
            # Text, not str: names are never read as Rich markup, and no markup is parsed.
            table.add_row(*(Text(plain(cell)) for cell in cells), **options)  # type: ignore[arg-type]
        return table

    def records(self) -> list[Text]:
        """One line per row, each cell after its column's header: the shape a table takes
        where its columns do not fit. A row that continues the one above (no label of its
        own, such as a path's Σ) is indented under it."""
        headers = ["/".join(plain(h).split("\n")) for h, _ in self.columns]  # ∂E/∂w, not stacked
        found = []
        for cells, options in self.rows:
            labelled = bool(self.columns) and not self.columns[0][1]  # a name, not a number
            skip = 1 if labelled else 0
            columns = zip(headers[skip:], self.columns[skip:], cells[skip:], strict=False)
            named = [
                f"{header} {_joined(cell, numeric)}".strip()
                for header, (_, numeric), cell in columns
                if cell.strip()
            ]
            label = _joined(cells[0], False) if cells and labelled else ""
            line = f"{label}: " if label else ("    " if labelled else "")
            found.append(Text(line + " · ".join(named), style=str(options.get("style") or "")))
        return found


def _joined(cell: str, numeric: bool) -> str:
    """A cell on one line: a number's id (`run --ids`) in brackets after it, text run on."""
    first, *rest = plain(cell).split("\n")
    if numeric and rest:
        return f"{first} ({' '.join(rest)})"
    return " ".join(" ".join([first, *rest]).split())


class GivenCell(str):
    """A number the worked example starts from (a target, a weight before the first update):
    a worksheet keeps it, where it blanks every number to work out."""


class _Fitted:
    """The grid as a Rich table where its narrowest layout fits the width, else as records."""

    def __init__(self, grid: Grid) -> None:
        self.grid = grid

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = console.render_lines(self.grid.rich_table(), options, pad=False)
        if not self._fits(lines, options.max_width):
            yield Group(*self.grid.records())
            return
        for line in lines:  # the lines already drawn: the table is laid out once
            yield from line
            yield Segment.line()

    def _fits(self, lines: list[list[Segment]], width: int) -> bool:
        """Whether Rich drew the table within the width with every word of every cell and
        header whole (a number, an id, a name): its measurement alone is not enough, as Rich
        narrows a column below its min_width when the table cannot fit, and the console then
        crops the line."""
        if any(Segment.get_line_length(line) > width for line in lines):
            return False
        words = {w for line in lines for w in "".join(s.text for s in line).split()}
        cells = (
            word for cells, _ in self.grid.rows for cell in cells for word in plain(cell).split()
        )
        headers = (word for header, _ in self.grid.columns for word in plain(header).split())
        return all(word in words for word in itertools.chain(cells, headers))


def cells_with_ids(n: Callable[[float], str], key: Callable[[str], str] | None):
    """How a table writes a number: by `n`, with its id on the line below when `key` names
    ids (`run --ids`), so a student can see what to call each number in a claims file."""

    def cell(value: float, base: str) -> str:
        return n(value) if key is None else f"{n(value)}\n{key(base)}"

    return cell
