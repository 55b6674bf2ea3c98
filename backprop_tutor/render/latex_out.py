"""A derivation document as a standalone LaTeX file that compiles with pdflatex."""

from __future__ import annotations

from .math_doc import Document, tex_text, write

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[T1]{fontenc}
\usepackage{amsmath}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
\begin{document}
"""


def latex_document(doc: Document) -> str:
    head = PREAMBLE + f"\\section*{{{tex_text(doc.title)}}}\n"
    return write(
        doc,
        head,
        heading="\\subsection*{{{text}}}\n",
        math="\\begin{{align*}}\n{rows}\n\\end{{align*}}\n",
        paragraph="{text}\n\n",
        tail="\\end{document}\n",
    )
