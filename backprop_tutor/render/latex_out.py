"""A derivation document as a standalone LaTeX file that compiles with pdflatex."""

from __future__ import annotations

from .math_doc import Document, Heading, Math, Paragraph, tex_text

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[T1]{fontenc}
\usepackage{amsmath}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
\begin{document}
"""


def latex_document(doc: Document) -> str:
    parts = [PREAMBLE, f"\\section*{{{tex_text(doc.title)}}}\n"]
    for block in doc.blocks:
        if isinstance(block, Heading):
            parts.append(f"\\subsection*{{{block.text}}}\n")
        elif isinstance(block, Math):
            rows = " \\\\\n".join(f"{lhs} &= {rhs}" for lhs, rhs in block.rows)
            parts.append(f"\\begin{{align*}}\n{rows}\n\\end{{align*}}\n")
        elif isinstance(block, Paragraph):
            parts.append(f"{block.text}\n\n")
    parts.append("\\end{document}\n")
    return "".join(parts)
