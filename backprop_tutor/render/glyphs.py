"""ASCII stand-ins for the Greek letters, ∂ and the other symbols, on a terminal without UTF-8.

Lecture notation is Unicode (∂E/∂w5, δ_o1, Σ, η). A terminal or pipe whose encoding cannot
carry it (LANG=en_US.ISO-8859-1, PYTHONIOENCODING=ascii) gets ASCII spelled out (dE/dw5,
delta_o1, sum, eta). The words go in before Rich lays the tables out, so columns still line up
and no line grows past the width: `AsciiOnly` rewrites the text a view yields, and `Grid`
(every table) asks `plain` for each cell while `ascii_text` is on.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import TextIO

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.rule import Rule
from rich.text import Text

from backprop_tutor.render.escape import rich_text

ASCII = {
    "∂": "d",
    "δ": "delta",
    "Δ": "Delta",
    "Σ": "sum",
    "σ": "sigma",
    "η": "eta",
    "α": "alpha",
    "θ": "theta",
    "β": "beta",
    "ρ": "rho",
    "ε": "eps",
    "λ": "lambda",
    "μ": "mu",  # batch normalization's mean and scale
    "γ": "gamma",
    "–": "-",
    "₁": "1",
    "₂": "2",
    "ᵗ": "^t",
    "√": "sqrt",
    "\u0302": "_hat",  # m̂: the combining circumflex after its letter
    "φ": "phi",
    "ξ": "xi",
    "∇": "grad",
    "−": "-",
    "·": "*",
    "×": "x",
    "⊙": "(.)",
    "±": "+/-",
    "‖": "||",
    "→": "->",
    "←": "<-",
    "…": "...",
    "²": "^2",
    "³": "^3",
    "½": "1/2",
    "≠": "!=",
    "≥": ">=",
    "≤": "<=",
    "≈": "~",
    "✓": "ok",
    "✗": "X",
    "│": "|",
    "└": "+",
    "─": "-",
    # the matrix form: bracket pieces stacked row by row, a transpose, a derivative's prime
    **dict.fromkeys("⎡⎢⎣", "["),
    **dict.fromkeys("⎤⎥⎦", "]"),
    "ᵀ": "^T",
    "′": "'",
    # the loss curve's bars, lowest to highest
    **dict(zip("▁▂▃▄▅▆▇█", "_.,:-=+#", strict=True)),
}
_TABLE = str.maketrans(ASCII)
_ascii_only: ContextVar[bool] = ContextVar("ascii_only", default=False)
_SAMPLE = "".join(ASCII)


def carries_unicode(stream: TextIO) -> bool:
    """Whether the stream's encoding can write the symbols the views use."""
    try:
        _SAMPLE.encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def to_ascii(text: str) -> str:
    """The text with every symbol of ours spelled in ASCII (∂E/∂w5: dE/dw5), and a character
    that is ASCII in another form as that (¹: 1, ﬁ: fi). Anything else comes from the user
    (a path, a name, a title) and is shown by its Python escape, as Python's own standard
    error shows it: nofil\xe9.yaml, never a nofile.yaml that is not the file named, or a
    sigmoid the spec did not say."""
    if text.isascii():
        return text
    text = _LAYER_INDEX.sub(_layer_index, text)  # W⁽²⁾: W(2), the layer, not W(^2)
    text = text.replace("Σ_", "sum_").replace("∇_", "grad_").translate(_TABLE)  # Σ_j: sum_j
    return text if text.isascii() else "".join(map(_ascii_char, text))


@cache
def _ascii_char(character: str) -> str:
    if character.isascii():
        return character
    folded = unicodedata.normalize("NFKD", character)
    return folded if folded.isascii() else character.encode("ascii", "backslashreplace").decode()


def _layer_index(match: re.Match[str]) -> str:
    return f"({unicodedata.normalize('NFKD', match.group(1))})"


def json_escapes(text: str) -> str:
    """JSON in ASCII that reads back the same: each other character as JSON's own \\uXXXX
    escape (a surrogate pair past U+FFFF). Outside its strings JSON is ASCII already."""
    return _NOT_ASCII.sub(_json_escape, text)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 | code >> 10:04x}\\u{0xDC00 | code & 0x3FF:04x}"


def character_references(text: str) -> str:
    """HTML and SVG in ASCII that a reader shows the same: &#NNNN; for each character (none
    sits in a script or CDATA of ours, where a reference would be read as text)."""
    return text.encode("ascii", "xmlcharrefreplace").decode("ascii")


def as_it_is(text: str) -> str:
    """For a format with no escape that reads back the same (CSV): the text unchanged."""
    return text


_NOT_ASCII = re.compile(r"[^\x00-\x7f]")
_LAYER_INDEX = re.compile("⁽([⁰¹²³⁴⁵⁶⁷⁸⁹]+)⁾")


# Rich swaps a Unicode box for its bordered ASCII box, which is wider; this keeps the layout.
ASCII_SIMPLE_HEAD = box.Box("    \n    \n -- \n    \n    \n    \n    \n    \n", ascii=True)


def table_box() -> box.Box:
    """The tables' box: a rule under the header, in ASCII where the output has no Unicode."""
    return ASCII_SIMPLE_HEAD if _ascii_only.get() else box.SIMPLE_HEAD


def plain(text: str) -> str:
    """The text as the current output can carry it: control characters shown, never sent
    (rich_text), and symbols spelled in ASCII where the output has no Unicode."""
    return spelled(rich_text(text))


def spelled(text: str) -> str:
    """The text with its symbols spelled in ASCII where the output has no Unicode (inside
    `ascii_text(True)`), else as it is."""
    return to_ascii(text) if _ascii_only.get() else text


@contextmanager
def ascii_text(on: bool) -> Iterator[None]:
    """While rendering for a stream without Unicode, every view spells its symbols in ASCII."""
    token = _ascii_only.set(on)
    try:
        yield
    finally:
        _ascii_only.reset(token)


class AsciiOnly:
    """A view with the text it yields rewritten by `plain` before Rich lays it out."""

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        inner = self.renderable
        if isinstance(inner, str | Text | Group | Rule):
            yield _rewritten(inner)
            return
        for item in inner.__rich_console__(console, options):  # type: ignore[union-attr]
            yield _rewritten(item)


def _rewritten(item):
    """Text, strings, rules and groups rewritten; tables come from Grid, already plain; any
    other view is wrapped so its own output is rewritten when Rich renders it."""
    if isinstance(item, str):
        return plain(item)
    if isinstance(item, Text):
        copy = item.copy()
        copy.plain = plain(item.plain)  # styles on the whole line survive; spans may shift
        return copy
    if isinstance(item, Group):
        return Group(*(_rewritten(r) for r in item.renderables))
    if isinstance(item, Rule):
        return Rule(plain(item.title) if isinstance(item.title, str) else item.title)
    if hasattr(item, "__rich_console__"):
        return AsciiOnly(item)
    return item
