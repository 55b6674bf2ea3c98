"""A derivation document as a standalone LaTeX file that compiles with pdflatex."""

from __future__ import annotations

from backprop_tutor.render.escape import latex_text
from backprop_tutor.render.math_doc import Document, write

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

PREAMBLE = (
    r"""\documentclass[11pt]{article}
\usepackage[T1]{fontenc}
\usepackage{amsmath}
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
        heading="\\subsection*{{{text}}}\n",
        math="\\[\n\\fitwidth{{$\\displaystyle\\begin{{aligned}}\n{rows}\n\\end{{aligned}}$}}\n\\]\n",
        paragraph="{text}\n\n",
        text=latex_text,
        tail="\\end{document}\n",
    )
