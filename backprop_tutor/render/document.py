"""A small document of headings, aligned math and paragraphs, in TeX math: the one model
the LaTeX (latex_out.py) and Markdown (markdown_out.py) writers both write, so the two exports
cannot drift apart. SymPy's derivations (math_doc.py) and the matrix form (matrix_tex.py) each
build one; nothing here imports SymPy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TeX:
    """Inline math, already TeX: names only ever through tex_name."""

    source: str


# A heading or paragraph is plain text and inline math in turn: each writer escapes the text
# its own way (latex_text, markdown_text) and puts the math between $ signs.
Inline = tuple[str | TeX, ...]


@dataclass
class Heading:
    """A heading: plain text and inline math; level 2 sits under level 1 (a step's parts
    under the step)."""

    parts: Inline
    level: int = 1


@dataclass
class Math:
    """Display math, its rows aligned at the =."""

    rows: list[tuple[str, str]]  # (left side, "= right side" parts), aligned at the =


@dataclass
class Paragraph:
    """A paragraph: plain text and inline math."""

    parts: Inline


@dataclass
class Document:
    """A title and its blocks, in order."""

    title: str  # plain text: each writer escapes it its own way
    blocks: list[Heading | Math | Paragraph] = field(default_factory=list)


def write(
    doc: Document,
    head: str,
    heading: tuple[str, ...],
    math: str,
    paragraph: str,
    text: Callable[[str], str],
    tail: str = "",
) -> str:
    """The document through one writer's templates: `heading` one per level, each taking
    {text}; `math` {rows} (aligned rows `left &= right`), `paragraph` {text}; `text`
    escapes plain text for it."""
    parts = [head]
    for block in doc.blocks:
        if isinstance(block, Heading):
            template = heading[min(block.level, len(heading)) - 1]
            parts.append(template.format(text=inline(block.parts, text)))
        elif isinstance(block, Math):
            rows = " \\\\\n".join(f"{lhs} &= {rhs}" for lhs, rhs in block.rows)
            parts.append(math.format(rows=rows))
        else:
            parts.append(paragraph.format(text=inline(block.parts, text)))
    return "".join(parts) + tail


def inline(parts: Inline, text: Callable[[str], str]) -> str:
    """Plain text escaped by `text`, math between $ signs."""
    return "".join(f"${p.source}$" if isinstance(p, TeX) else text(p) for p in parts)
