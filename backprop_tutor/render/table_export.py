"""The worked example's tables as Markdown (GitHub tables) or a standalone LaTeX document with
booktabs tables. Both read WorkedExample.blocks(), the same data Rich draws; HTML and SVG come
from Rich's own recording of the terminal output (see cli.py)."""

from __future__ import annotations

import re

from backprop_tutor.render.escape import latex_text, markdown_text
from backprop_tutor.render.grid import Grid

BLANK = "____"
_DECIMAL = re.compile(r"\d\.\d")


def worksheet(grid: Grid) -> Grid:
    """The same table with every cell to work out left blank: numbers, and any text cell that
    shows a computed number (only its symbolic first line is kept)."""
    blank = Grid(grid.title, grid.caption)
    blank.columns = list(grid.columns)
    for cells, options in grid.rows:
        row = []
        padded = (*cells, *[""] * (len(grid.columns) - len(cells)))  # as Rich pads a short row
        for cell, (_, numeric) in zip(padded, grid.columns, strict=True):
            first = cell.split("\n")[0]
            row.append(BLANK if cell and (numeric or _DECIMAL.search(first)) else first)
        blank.rows.append((tuple(row), options))
    return blank


def _blocks(example, blank: bool):
    for block in example.blocks():
        yield worksheet(block) if blank and isinstance(block, Grid) else block


LATEX_PREAMBLE = r"""\documentclass[10pt]{article}
\usepackage[T1]{fontenc}
\usepackage{amsmath}
\usepackage{booktabs}
\setlength{\parindent}{0pt}
\begin{document}
"""


def _markdown_cell(text: str) -> str:
    """A cell's lines, each through markdown_text, joined by <br>: one table row per row. The
    worksheet's blank is ours and stays as typed (four _ alone are no emphasis)."""
    if text == BLANK:
        return BLANK
    return "<br>".join(markdown_text(line) for line in text.split("\n"))


def _markdown_grid(grid: Grid) -> str:
    headers = [h.replace("\n", "/") for h, _ in grid.columns]
    align = ["---:" if numeric else ":---" for _, numeric in grid.columns]
    lines = [
        f"**{_markdown_cell(grid.title)}**",
        "",
        "| " + " | ".join(_markdown_cell(h) or " " for h in headers) + " |",
        "| " + " | ".join(align) + " |",
    ]
    for cells, _ in grid.rows:
        lines.append("| " + " | ".join(_markdown_cell(c) for c in cells) + " |")
    if grid.caption:
        lines += ["", f"*{_markdown_cell(grid.caption)}*"]
    return "\n".join(lines) + "\n"


def markdown_tables(example, blank: bool = False) -> str:
    """A WorkedExample or a TrainingReport: anything with heading_lines() and blocks(). Every
    piece of text goes through markdown_text: a title stays one heading, a line one paragraph."""
    head, *rest = (markdown_text(line).strip() for line in example.heading_lines())
    parts = [f"# {head}\n", *(f"{line}\n" for line in rest), ""]
    for block in _blocks(example, blank):
        parts.append(
            f"\n## {markdown_text(block).strip()}\n"
            if isinstance(block, str)
            else "\n" + _markdown_grid(block)
        )
    return "\n".join(parts)


def _latex_cell(text: str) -> str:
    lines = [latex_text(line) for line in text.split("\n")]
    if len(lines) == 1:
        return lines[0]
    return r"\begin{tabular}[t]{@{}l@{}}" + r" \\ ".join(lines) + r"\end{tabular}"


def _latex_grid(grid: Grid) -> str:
    spec = "".join("r" if numeric else "l" for _, numeric in grid.columns)
    rows = [" & ".join(_latex_cell(h) for h, _ in grid.columns) + r" \\", r"\midrule"]
    rows += [" & ".join(_latex_cell(c) for c in cells) + r" \\" for cells, _ in grid.rows]
    caption = f"\n\n{latex_text(grid.caption)}" if grid.caption else ""
    body = "\n".join(rows)
    return (
        f"\\subsubsection*{{{latex_text(grid.title)}}}\n{{\\small\n\\begin{{tabular}}{{{spec}}}"
        f"\n\\toprule\n{body}\n\\bottomrule\n\\end{{tabular}}}}{caption}\n\n"
    )


def latex_tables(example, blank: bool = False) -> str:
    """A WorkedExample or a TrainingReport: anything with heading_lines() and blocks()."""
    head, *rest = example.heading_lines()
    parts = [
        LATEX_PREAMBLE,
        f"\\section*{{{latex_text(head)}}}\n",
        *(f"{latex_text(line)}\n\n" for line in rest),
    ]
    for block in _blocks(example, blank):
        parts.append(
            f"\\subsection*{{{latex_text(block)}}}\n"
            if isinstance(block, str)
            else _latex_grid(block)
        )
    parts.append("\\end{document}\n")
    return "".join(parts)
