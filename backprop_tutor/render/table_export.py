"""The worked example's tables as Markdown (GitHub tables) or a standalone LaTeX document with
booktabs tables. Both read WorkedExample.blocks(), the same data Rich draws; HTML and SVG come
from Rich's own recording of the terminal output (see cli.py)."""

from __future__ import annotations

import re

from backprop_tutor.render.escape import latex_math, latex_text, markdown_text
from backprop_tutor.render.grid import GivenCell, Grid

BLANK = "__________"  # room to write a number of 4 or 5 decimals by hand
_DECIMAL = re.compile(r"\d\.\d")


def worksheet(grid: Grid) -> Grid:
    """The same table with every cell to work out left blank: numbers, and any text cell that
    shows a computed number (only its symbolic first line is kept)."""
    if grid.given:
        return grid
    blank = Grid(grid.title, grid.caption)
    blank.columns = list(grid.columns)
    for cells, options in grid.rows:
        row = []
        padded = (*cells, *[""] * (len(grid.columns) - len(cells)))  # as Rich pads a short row
        for cell, (_, numeric) in zip(padded, grid.columns, strict=True):
            first = cell.split("\n")[0]
            if isinstance(cell, GivenCell):
                row.append(cell)
                continue
            row.append(BLANK if cell and (numeric or _DECIMAL.search(first)) else first)
        blank.rows.append((tuple(row), options))
    return blank


def _heading(example, blank: bool) -> list[str]:
    """The document's heading: a worksheet's speaks to the student, not of tool settings."""
    return example.heading_lines(worksheet=True) if blank else example.heading_lines()


def _blocks(example, blank: bool):
    for block in example.blocks():
        yield worksheet(block) if blank and isinstance(block, Grid) else block


# What every standalone LaTeX export sets up (the tables' too, table_export.py): 2 cm margins
# on A4 or Letter, room for a long table's columns; \fitwidth sets
# a table or a block of aligned steps at its size where it fits the text width and shrinks it
# to the width where not (nothing runs off the page, and nothing is blown up); text is ragged
# right with no hyphenation, so a paragraph of long names breaks between words and a name or a
# number is never split.
PAGE_SETUP = r"""\usepackage[margin=2cm]{geometry}
\usepackage{graphicx}
\setlength{\parindent}{0pt}
\raggedright
\hyphenpenalty=10000
\exhyphenpenalty=10000
\newsavebox{\fitbox}
\newcommand{\fitwidth}[1]{\sbox{\fitbox}{#1}\ifdim\wd\fitbox>\linewidth
  \resizebox{\linewidth}{!}{\usebox{\fitbox}}\else\usebox{\fitbox}\fi}
"""

# the tables' document: booktabs, and longtable for a table too tall for a page
LATEX_PREAMBLE = (
    r"""\documentclass[10pt]{article}
\usepackage[T1]{fontenc}
\usepackage{amsmath}
\usepackage{booktabs}
\usepackage{longtable}
\usepackage{array}
"""
    + PAGE_SETUP
    + "\\begin{document}\n"
)


def _markdown_cell(text: str) -> str:
    """A cell's lines, each through markdown_text, joined by <br>: one table row per row. The
    worksheet's blank is ours and stays as typed (four _ alone are no emphasis)."""
    if text == BLANK:
        return BLANK
    return "<br>".join(markdown_text(line) for line in text.split("\n"))


def _markdown_header(text: str) -> str:
    """A column header: ∂top over ∂bottom as `$\\frac{…}{…}$` math (GitHub, Jupyter and pandoc
    render it), any other header as literal text."""
    fraction = _fraction(text)
    return f"${fraction}$" if fraction else _markdown_cell(text.replace("\n", "/")) or " "


def _fraction(text: str) -> str | None:
    """∂top over ∂bottom (two lines in the text tables) as TeX, or None for another header."""
    lines = text.split("\n")
    if len(lines) == 2 and all(line.startswith("∂") for line in lines):
        top, bottom = (_latex_symbol(line[1:]) for line in lines)
        return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"
    return None


def _markdown_grid(grid: Grid) -> str:
    align = ["---:" if numeric else ":---" for _, numeric in grid.columns]
    lines = [
        f"**{_markdown_cell(grid.title)}**",
        "",
        "| " + " | ".join(_markdown_header(h) for h, _ in grid.columns) + " |",
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
    head, *rest = (markdown_text(line).strip() for line in _heading(example, blank))
    parts = [f"# {head}\n", *(f"{line}\n" for line in rest), ""]
    for block in _blocks(example, blank):
        parts.append(
            f"\n## {markdown_text(block).strip()}\n"
            if isinstance(block, str)
            else "\n" + _markdown_grid(block)
        )
    return "\n".join(parts)


def _latex_symbol(name: str) -> str:
    """A symbol of the tables in math: E_total as E_{\\mathrm{total}}, output_o1 as
    \\mathrm{output}_{\\mathrm{o1}}; a one-letter name stays italic."""
    base, _, below = name.partition("_")
    base = latex_math(base) if len(base) == 1 else rf"\mathrm{{{latex_math(base)}}}"
    return base + (rf"_{{\mathrm{{{latex_math(below)}}}}}" if below else "")


def _latex_header(text: str) -> str:
    """A column header: ∂top over ∂bottom (two lines in the text tables) as a fraction."""
    fraction = _fraction(text)
    return f"$\\displaystyle{fraction}$" if fraction else _latex_cell(text)


def _latex_cell(text: str) -> str:
    if text == BLANK:  # a line to write on, as wide as a number of five decimals by hand
        return r"\rule{4.5em}{0.4pt}"
    lines = [latex_text(line) for line in text.split("\n")]
    if len(lines) == 1:
        return lines[0]
    return r"\begin{tabular}[t]{@{}l@{}}" + r" \\ ".join(lines) + r"\end{tabular}"


TALL = 40  # rows past which a table is a longtable: it breaks across pages, never runs off one


def _long_spec(grid: Grid) -> str:
    """A longtable's columns: it cannot be shrunk to the width, so its longest text column, if
    long, wraps in half the text width (the values of a Given table, the sums of a forward
    pass)."""
    text = [i for i, (_, numeric) in enumerate(grid.columns) if not numeric]

    def widest(i: int) -> int:
        return max((len(c[i]) for c, _ in grid.rows if i < len(c)), default=0)

    longest = max(text, key=widest, default=None)
    if longest is not None and widest(longest) <= 40:  # short names: every column as wide as
        longest = None  # its widest cell
    wrapped = r">{\raggedright\arraybackslash}p{0.5\linewidth}"
    return "".join(
        "r" if numeric else (wrapped if i == longest else "l")
        for i, (_, numeric) in enumerate(grid.columns)
    )


def _latex_grid(grid: Grid) -> str:
    spec = "".join("r" if numeric else "l" for _, numeric in grid.columns)
    head = " & ".join(_latex_header(h) for h, _ in grid.columns) + r" \\"
    rows = [head, r"\midrule"]
    rows += [" & ".join(_latex_cell(c) for c in cells) + r" \\" for cells, _ in grid.rows]
    caption = f"\n\n{latex_text(grid.caption)}" if grid.caption else ""
    body = "\n".join(rows)
    if len(grid.rows) > TALL:  # the header again on every page; a smaller size to fit across
        spec = _long_spec(grid)
        return (  # footnotesize: a smaller size needs bitmap fonts built at run time
            f"\\subsubsection*{{{latex_text(grid.title)}}}\n{{\\footnotesize\\setlength{{\\tabcolsep}}{{2pt}}\n"
            f"\\begin{{longtable}}{{{spec}}}\n\\toprule\n{head}\n\\midrule\n\\endhead\n"
            f"{chr(10).join(rows[2:])}\n\\bottomrule\n\\end{{longtable}}}}{caption}\n\n"
        )
    return (
        f"\\subsubsection*{{{latex_text(grid.title)}}}\n{{\\small\n\\fitwidth{{\\begin{{tabular}}{{{spec}}}"
        f"\n\\toprule\n{body}\n\\bottomrule\n\\end{{tabular}}}}}}{caption}\n\n"
    )


def latex_tables(example, blank: bool = False) -> str:
    """A WorkedExample or a TrainingReport: anything with heading_lines() and blocks()."""
    head, *rest = _heading(example, blank)
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
