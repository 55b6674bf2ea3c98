"""A derivation document as Markdown with $ math, which GitHub renders."""

from __future__ import annotations

from .math_doc import Document, write


def markdown_document(doc: Document) -> str:
    return write(
        doc,
        f"# {doc.title}\n",
        heading="\n## {text}\n",
        math="\n$$\n\\begin{{aligned}}\n{rows}\n\\end{{aligned}}\n$$\n",
        paragraph="\n{text}\n",
    )
