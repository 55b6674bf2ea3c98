"""A derivation document as a standalone LaTeX file that compiles with pdflatex."""

from __future__ import annotations

from backprop_tutor.render.escape import latex_text
from backprop_tutor.render.math_doc import Document, write

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[T1]{fontenc}
\usepackage{amsmath}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
\begin{document}
"""


def latex_document(doc: Document) -> str:
    """The title and every paragraph's text through latex_text: only the math is TeX."""
    head = PREAMBLE + f"\\section*{{{latex_text(doc.title)}}}\n"
    return write(
        doc,
        head,
        heading="\\subsection*{{{text}}}\n",
        math="\\begin{{align*}}\n{rows}\n\\end{{align*}}\n",
        paragraph="{text}\n\n",
        text=latex_text,
        tail="\\end{document}\n",
    )
