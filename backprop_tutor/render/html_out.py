"""The worked example (or a training report) as an HTML page for slides and handouts: semantic
`<table>`s under a heading per step and table, one small embedded style sheet (light, fit for
print), ∂ fractions stacked in Unicode, and nothing fetched from anywhere.

It reads the same `blocks()` the Rich view, Markdown and LaTeX read; `html.escape` makes every
piece of text literal.
"""

from __future__ import annotations

from html import escape as _escape

from backprop_tutor.render.escape import visible
from backprop_tutor.render.grid import Grid

STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; color: #111; background: #fff;
       margin: 1.5em auto; max-width: 64em; padding: 0 1em; line-height: 1.35; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
h3 { font-size: 1em; margin: 1.2em 0 0.4em; }
table { border-collapse: collapse; margin: 0.3em 0 0.6em; font-size: 0.92em; }
th, td { padding: 0.2em 0.7em; vertical-align: top; text-align: left; }
thead th { border-bottom: 1.5px solid #333; }
tbody tr:last-child td { border-bottom: 1px solid #333; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td { font-weight: bold; border-top: 1px solid #999; }
.frac { display: inline-flex; flex-direction: column; text-align: center; vertical-align: middle; }
.frac > span + span { border-top: 1px solid currentColor; }
.id { display: block; color: #666; font-size: 0.8em; }
caption, p.caption { caption-side: bottom; text-align: left; color: #333; font-style: italic; }
@media print { body { margin: 0; max-width: none; } table { page-break-inside: avoid; } }
"""


def html_tables(example, blank: bool = False) -> str:
    """A WorkedExample or a TrainingReport: anything with heading_lines() and blocks()."""
    from backprop_tutor.render.table_export import _blocks, _heading

    head, *rest = _heading(example, blank)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(head)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{escape(head)}</h1>",
        *(f"<p>{escape(line)}</p>" for line in rest),
    ]
    for block in _blocks(example, blank):
        parts.append(f"<h2>{escape(block)}</h2>" if isinstance(block, str) else grid_html(block))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def grid_html(grid: Grid) -> str:
    numeric = [n for _, n in grid.columns]
    heads = "".join(f'<th scope="col"{_class(n)}>{_header(h)}</th>' for (h, n) in grid.columns)
    rows = []
    for cells, options in grid.rows:
        padded = (*cells, *[""] * (len(grid.columns) - len(cells)))
        tds = "".join(
            f"<td{_class(n)}>{_cell(c, n)}</td>" for c, n in zip(padded, numeric, strict=True)
        )
        total = ' class="total"' if options.get("style") == "bold" else ""
        rows.append(f"<tr{total}>{tds}</tr>")
    caption = f'<p class="caption">{escape(grid.caption)}</p>' if grid.caption else ""
    return (
        f"<h3>{escape(grid.title)}</h3>\n<table><thead><tr>{heads}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>{caption}"
    )


def escape(text: str) -> str:
    """User text as literal HTML: markup escaped, control characters made visible."""
    return _escape(visible(text))


def _class(numeric: bool) -> str:
    return ' class="n"' if numeric else ""


def _header(text: str) -> str:
    """∂top over ∂bottom (two lines in the text tables) stacked as a fraction."""
    lines = text.split("\n")
    if len(lines) == 2 and all(line.startswith("∂") for line in lines):
        return (
            '<span class="frac">' + "".join(f"<span>{escape(x)}</span>" for x in lines) + "</span>"
        )
    return "<br>".join(escape(line) for line in lines)


def _cell(text: str, numeric: bool) -> str:
    """A cell's lines; under a number, its id (`run --ids`) in small grey type."""
    first, *rest = text.split("\n")
    if numeric and rest:
        return escape(first) + "".join(f'<span class="id">{escape(x)}</span>' for x in rest)
    return "<br>".join(escape(line) for line in text.split("\n"))
