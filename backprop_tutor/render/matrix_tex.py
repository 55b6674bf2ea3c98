"""The matrix form as a LaTeX or Markdown document: each equation in symbols, then with its
matrices as `bmatrix`es, through the same document model (render/document.py) and writers as
the derivations, so the LaTeX compiles with pdflatex and GitHub renders the Markdown's math."""

from __future__ import annotations

from backprop_tutor.core.numbers import NumberFormat
from backprop_tutor.core.trace import Trace
from backprop_tutor.render.document import Document, Heading, Math, Paragraph, TeX
from backprop_tutor.render.matrix_form import Equation, Matrix
from backprop_tutor.render.matrix_step import matrix_form
from backprop_tutor.render.matrix_view import PARTS


def matrix_document(trace: Trace, numbered: bool = False) -> Document:
    """Every step, part by part: an equation's form as a paragraph, its numbers as math."""
    h = trace.header
    fmt = h.display
    doc = Document(h.title or h.file)
    doc.blocks.append(Paragraph((f"{h.file}: the matrix form, numbers to the tables' digits",)))
    for step in matrix_form(trace, numbered):
        columns = (
            f", {step.examples} examples as columns ({step.reduction} of their gradients)"
            if step.examples > 1
            else ""
        )
        doc.blocks.append(Heading((f"Step {step.step}{columns}",)))
        part = ""
        for e in step.equations:
            if e.kind != part:
                part = e.kind
                doc.blocks.append(Heading((PARTS[part],), level=2))
            doc.blocks.append(Paragraph((TeX(e.tex),)))
            doc.blocks.append(Math([_numbers(e, fmt)]))
    return doc


def _numbers(e: Equation, fmt: NumberFormat) -> tuple[str, str]:
    """(the result's symbol, its matrices with the numbers: `W z + b = result`)."""
    parts = []
    for term in e.terms:
        before = term.before_tex or ("" if not term.before else term.before)
        parts.append(f"{before} {_bmatrix(term.matrix, fmt)} {term.after_tex}".strip())
    return e.result.tex, " ".join(parts) + " = " + _bmatrix(e.result, fmt)


def _bmatrix(m: Matrix, fmt: NumberFormat) -> str:
    rows = " \\\\ ".join(" & ".join(row) for row in m.texts(fmt.format))
    return f"\\begin{{bmatrix}} {rows} \\end{{bmatrix}}"
