"""A derivation document as a standalone LaTeX file that compiles with pdflatex."""

from __future__ import annotations

from backprop_tutor.render.document import Document, write
from backprop_tutor.render.escape import latex_text
from backprop_tutor.render.table_export import PAGE_SETUP

PREAMBLE = (
    r"""\documentclass[11pt]{article}
\usepackage[T1]{fontenc}
\usepackage{amsmath}
\setcounter{MaxMatrixCols}{1000}
\allowdisplaybreaks
"""
    + PAGE_SETUP
    + "\\begin{document}\n"
)


def latex_document(doc: Document) -> str:
    """The title and every paragraph's text through latex_text: only the math is TeX."""
    head = PREAMBLE + f"\\section*{{{latex_text(doc.title)}}}\n"
    return write(
        doc,
        head,
        heading=("\\subsection*{{{text}}}\n", "\\subsubsection*{{{text}}}\n"),
        math="\\[\n\\fitwidth{{$\\displaystyle\\begin{{aligned}}\n{rows}\n\\end{{aligned}}$}}\n\\]\n",
        paragraph="{text}\n\n",
        text=latex_text,
        tail="\\end{document}\n",
    )
