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
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from itertools import chain
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
    "÷": "/",  # batch normalization's unbiased variance: ÷ (N − 1)
    "↳": "->",  # check: right from the claimed numbers
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
# while rendering for a stream without Unicode: its encoding (None: the stream has Unicode)
_target: ContextVar[str | None] = ContextVar("ascii_target", default=None)
# sequences of ours spelled whole, before the table: a letter and its combining hat (Adam's
# m̂ and v̂, batch normalization's x̂; a user's decomposed ê is the user's, and kept)
_SEQUENCES = {"Σ_": "sum_", "∇_": "grad_", "m̂": "m_hat", "v̂": "v_hat", "x̂": "x_hat"}
_SAMPLE = "".join(ASCII)


def carries_unicode(stream: TextIO) -> bool:
    """Whether the stream's encoding can write the symbols the views use."""
    try:
        _SAMPLE.encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def to_ascii(text: str, encoding: str = "ascii", theirs: Collection[str] = ()) -> str:
    """The text for a stream in `encoding`, which has no Unicode: every symbol of ours
    spelled in ASCII (∂E/∂w5: dE/dw5). Any other character is the user's (a path, a name, a
    title): kept where the encoding holds it (ë in Latin-1), else shown by its Python
    escape, as Python's own standard error shows it: nofil\\xe9.yaml, never a nofile.yaml
    that is not the file named. Where the caller knows the user's parts (`theirs`: a spec's
    file), they are never spelled (a file η.yaml is not eta.yaml); elsewhere a user's Greek
    letter is spelled as ours are: nothing here tells the two apart."""
    if text.isascii():
        return text
    known = sorted((t for t in theirs if t and not t.isascii() and t in text), key=len)
    if known:  # each of theirs as it is, the text between spelled
        pattern = re.compile("|".join(re.escape(t) for t in reversed(known)))
        between = [_symbols_spelled(piece) for piece in pattern.split(text)]
        text = "".join(chain.from_iterable(zip(between, [*pattern.findall(text), ""], strict=True)))
    else:
        text = _symbols_spelled(text)
    if text.isascii():
        return text
    try:
        return text.encode(encoding, "backslashreplace").decode(encoding)
    except LookupError:  # an encoding Python does not know: ASCII
        return text.encode("ascii", "backslashreplace").decode("ascii")


def latex_ascii(text: str, encoding: str = "ascii") -> str:
    """LaTeX source in ASCII that still compiles, whatever the stream (`encoding` unused): a
    spelling or an accent-free letter where it holds none of LaTeX's special characters
    (‖: ||, é: e, ß: \\ss{}), else '?'. Never a Python escape (\\xe9 is a command), nor a
    spelling such as ^2 or _hat that LaTeX reads as math outside math."""
    if text.isascii():
        return text
    return "".join(map(_latex_char, text))


@cache
def _latex_char(character: str) -> str:
    if character.isascii():
        return character
    if character in _LATEX_LETTERS:
        return _LATEX_LETTERS[character]
    for form in (ASCII.get(character), unicodedata.normalize("NFKD", character)):
        if form is not None:
            form = "".join(c for c in form if not unicodedata.combining(c))
            if form.isascii() and not _LATEX_SPECIAL.intersection(form):
                return form
    return "?"


def _symbols_spelled(text: str) -> str:
    text = _LAYER_INDEX.sub(_layer_index, text)  # W⁽²⁾: W(2), the layer, not W(^2)
    for sequence, spelling in _SEQUENCES.items():
        if sequence in text:
            text = text.replace(sequence, spelling)
    return text.translate(_TABLE)


def for_stream(text: str, stream: TextIO, theirs: Collection[str] = ()) -> str:
    """`text` as `stream` can carry it: as it is, or `to_ascii` in the stream's encoding."""
    if carries_unicode(stream):
        return text
    return to_ascii(text, getattr(stream, "encoding", None) or "ascii", theirs)


def _layer_index(match: re.Match[str]) -> str:
    return f"({unicodedata.normalize('NFKD', match.group(1))})"


def json_escapes(text: str, encoding: str = "ascii") -> str:
    """JSON in ASCII that reads back the same, whatever the stream: each other character as
    JSON's own \\uXXXX escape (a surrogate pair past U+FFFF). Outside its strings JSON is
    ASCII already."""
    return _NOT_ASCII.sub(_json_escape, text)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 | code >> 10:04x}\\u{0xDC00 | code & 0x3FF:04x}"


def character_references(text: str, encoding: str = "ascii") -> str:
    """HTML and SVG in ASCII that a reader shows the same, whatever the stream: &#NNNN; for
    each character (none sits in a script or CDATA of ours, where a reference is text)."""
    return text.encode("ascii", "xmlcharrefreplace").decode("ascii")


def as_it_is(text: str, encoding: str = "ascii") -> str:
    """For a format with no escape that reads back the same (CSV): the text unchanged."""
    return text


_NOT_ASCII = re.compile(r"[^\x00-\x7f]")
_LATEX_SPECIAL = frozenset("#$%&_{}~^\\")
# letters without an accent-free form, as LaTeX's own commands for them
_LATEX_LETTERS = {
    "ß": r"\ss{}",
    "æ": r"\ae{}",
    "Æ": r"\AE{}",
    "œ": r"\oe{}",
    "Œ": r"\OE{}",
    "ø": r"\o{}",
    "Ø": r"\O{}",
    "ł": r"\l{}",
    "Ł": r"\L{}",
    "ı": r"\i{}",
}
_LAYER_INDEX = re.compile("⁽([⁰¹²³⁴⁵⁶⁷⁸⁹]+)⁾")


# Rich swaps a Unicode box for its bordered ASCII box, which is wider; this keeps the layout.
ASCII_SIMPLE_HEAD = box.Box("    \n    \n -- \n    \n    \n    \n    \n    \n", ascii=True)


def table_box() -> box.Box:
    """The tables' box: a rule under the header, in ASCII where the output has no Unicode."""
    return box.SIMPLE_HEAD if _target.get() is None else ASCII_SIMPLE_HEAD


def plain(text: str) -> str:
    """The text as the current output can carry it: control characters shown, never sent
    (rich_text), and symbols spelled in ASCII where the output has no Unicode."""
    return spelled(rich_text(text))


def spelled(text: str) -> str:
    """The text with its symbols spelled in ASCII where the output has no Unicode (inside
    `ascii_text(True, ...)`), else as it is."""
    encoding = _target.get()
    return text if encoding is None else to_ascii(text, encoding)


@contextmanager
def ascii_text(on: bool, encoding: str | None = "ascii") -> Iterator[None]:
    """While rendering for a stream without Unicode (`on`), in `encoding`, every view spells
    its symbols in ASCII (to_ascii)."""
    token = _target.set((encoding or "ascii") if on else None)
    try:
        yield
    finally:
        _target.reset(token)


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
