"""A derivation document as Markdown with $ math, which GitHub renders."""

from __future__ import annotations

from backprop_tutor.render.document import Document, write
from backprop_tutor.render.escape import markdown_text


def markdown_document(doc: Document) -> str:
    """The title and every paragraph's text through markdown_text, so a title stays one
    heading and opens no HTML or link; only the math is TeX."""
    return write(
        doc,
        f"# {markdown_text(doc.title)}\n",
        heading=("\n## {text}\n", "\n### {text}\n"),
        math="\n$$\n\\begin{{aligned}}\n{rows}\n\\end{{aligned}}\n$$\n",
        paragraph="\n{text}\n",
        text=markdown_text,
    )
