"""A derivation document as Markdown with $ math, which GitHub renders."""

from __future__ import annotations

from .math_doc import Document, Heading, Math, Paragraph


def markdown_document(doc: Document) -> str:
    parts = [f"# {doc.title}\n"]
    for block in doc.blocks:
        if isinstance(block, Heading):
            parts.append(f"\n## {block.text}\n")
        elif isinstance(block, Math):
            rows = " \\\\\n".join(f"{lhs} &= {rhs}" for lhs, rhs in block.rows)
            parts.append(f"\n$$\n\\begin{{aligned}}\n{rows}\n\\end{{aligned}}\n$$\n")
        elif isinstance(block, Paragraph):
            parts.append(f"\n{block.text}\n")
    return "".join(parts)
