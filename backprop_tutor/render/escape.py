"""One escaper per language the exports write, so user text is only ever text in them.

User text is whatever a spec file (or its path) can hold: a title, a source, the spec's own
path (any character a file name may have), unit, input and parameter names. It reaches:

- LaTeX text mode (`latex_text`): headings, table cells, paragraphs of the LaTeX exports;
- TeX math (`latex_math`): the pieces of a symbol's name, which math_doc.tex_name arranges
  into subscripts and superscripts; the same TeX goes into the Markdown exports' `$` math;
- Markdown (`markdown_text`): headings, paragraphs and GitHub table cells;
- Rich (`rich_text`): what the terminal shows, and so the HTML and SVG exports, which are
  Rich's recording of it. Rich's export_html and export_svg pass every piece of text through
  html.escape and put no text of ours in an attribute (the SVG title is a constant), so all
  that is left to do is to keep control characters out (an ESC would reach the terminal, and
  a control character makes the SVG ill-formed XML).
- a course system's template (`template_text`, `template_html`): Moodle's cloze question text,
  where `{1:SHORTANSWER:=x}` is one more blank, PrairieLearn's question.html, a Mustache
  template, where `{{...}}` is a tag, and Canvas's question text, where `[b0]` is a blank:
  HTML with every brace and square bracket a character reference.

Each escaper is the only one of its kind: a renderer that writes one of these languages calls
it for every piece of text it did not write itself, and never escapes by hand. No escaper
evaluates anything; each maps characters to characters. Every one first shows what cannot be
shown (`visible`): a control or format character as its Python escape, so a title with an ESC
or a NUL stays one visible line, and other whitespace (a newline) as a space.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from html import escape
from unicodedata import normalize

from backprop_tutor.render.latex_chars import settable

GREEK = {
    "δ": r"\delta",
    "σ": r"\sigma",
    "φ": r"\varphi",
    "Σ": r"\Sigma",
    "θ": r"\theta",
    "α": r"\alpha",
    "η": r"\eta",
    "∂": r"\partial",
    "Δ": r"\Delta",
    "β": r"\beta",  # the optimizers' hyperparameters
    "ρ": r"\rho",
    "ε": r"\varepsilon",
    "λ": r"\lambda",
    "μ": r"\mu",  # batch normalization's mean, and γ its scale
    "γ": r"\gamma",
}

# The seven specials text and math escape alike, with a backslash; the other three (\ ~ ^)
# differ between the two modes.
_LATEX_SPECIALS = {c: "\\" + c for c in "{}#$%&_"}

# LaTeX text mode: the ten special characters, then those the T1 fonts would print as another
# glyph or join into a ligature (<< is «, ` is ‘), then the lectures' Unicode symbols. Each
# command ends in {}, so the letters after it stay letters.
_LATEX_TEXT = {
    "\\": r"\textbackslash{}",
    **_LATEX_SPECIALS,
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "`": r"\textasciigrave{}",
    **{k: f"${v}$" for k, v in GREEK.items()},
    "−": "$-$",  # a minus, not the hyphen text mode sets for -
    "·": r"$\cdot$",
    "×": r"$\times$",
    "→": r"$\to$",
    "←": r"$\leftarrow$",
    "≠": r"$\neq$",
    "⊙": r"$\odot$",
    "²": r"$^2$",
    "₁": r"$_1$",
    "₂": r"$_2$",
    "ᵗ": r"$^t$",
    "√": r"$\surd$",
    "✓": "(checked)",
    "✗": "(NOT equal)",
    "≥": r"$\geq$",
    "≤": r"$\leq$",
}
# A number's sign (-0.8, (-0.9), = -1.0 log): a hyphen before a digit that does not follow a
# letter, digit or point (a shape's 2-2-2, a name's step-1, 1e-05 stay hyphens). Text mode
# sets - as a hyphen, so the sign is written $-$, the minus math mode sets.
_SIGN = re.compile(r"(?<![\w.])-(?=\.?\d)")
# -- is an en dash, '' a closing quote and ,, a low one: -{}- keeps both characters. A lone '
# stays the typeset apostrophe (’), as prose wants it.
_HAT = re.compile("([A-Za-z])\u0302")
_LIGATURE = re.compile(r"([-,'])(?=\1)")

# TeX math: the same special characters as math spells them; < and > in braces, so no `<tag`
# can reach the Markdown around a formula.
_LATEX_MATH = {
    "\\": r"\backslash{}",
    **_LATEX_SPECIALS,
    "~": r"\sim{}",
    "^": r"\hat{}",
    "<": "{<}",
    ">": "{>}",
    **{k: f"{v} " for k, v in GREEK.items()},
    # the optimizers' symbols: β₁, β₂ and t as a power, as math writes them
    **{chr(0x2080 + d): f"{{}}_{{{d}}}" for d in range(10)},
    "ᵗ": "^{t}",
    "²": "^{2}",
}
_PRIMES = re.compile("'+")

# Markdown: backslash escapes (CommonMark allows one before any ASCII punctuation) for what can
# start emphasis, code, a link, math, a table cell, a heading's closing #, strikethrough or an
# e-mail autolink; HTML entities for what can start raw HTML or an autolink (< and >) and &.
_MARKDOWN = {
    **{c: "\\" + c for c in "\\`*[]|$~#@"},
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
}
_MARKDOWN_SPECIAL = re.compile(
    r"(?<![^\W_])_|_(?![^\W_])"  # an _ that can open or close emphasis: not inside a word
    r"|[\\`*\[\]|$~#@&<>]"
    r"|:(?=//)|(?i:(?<=www))\."  # what GitHub links by itself: http://... and www....
)
# At the start of a line: `- x`, `+ x` or `1. x` would be a list, `---` a rule, `===` alone the
# underline that makes the line above a heading.
_MARKDOWN_BLOCK_START = re.compile(r"^(\s*)([-+](?=[-\s]|$)|=(?==*\s*$)|\d{1,9}(?=[.)](?:\s|$)))")


def visible(text: str, newlines: bool = False) -> str:
    """Each control or format character (ESC, NUL, a right-to-left override) as its Python
    escape, each whitespace character but a space (a tab, a line separator; a newline unless
    `newlines` keeps them) as a space: what is left prints as itself."""
    if (text.replace("\n", "") if newlines else text).isprintable():  # nearly always
        return text
    kept = (lambda ch: ch.isprintable() or ch == "\n") if newlines else str.isprintable
    return "".join(ch if kept(ch) else _shown(ch) for ch in text)


def _shown(ch: str) -> str:
    """A character that does not print: whitespace as a space, anything else as \\x1b."""
    return " " if ch.isspace() else ascii(ch)[1:-1]


def latex_text(text: str) -> str:
    """Text as LaTeX text mode typesets it literally: \\input prints as \\input, never runs.
    A character pdflatex cannot set (render/latex_chars.py) is written as math (a Greek
    letter), as its plain letter, or as '?'; an accent it cannot place is dropped: one in a
    title (Ω, ∑, Cyrillic, CJK, an emoji, a Devanagari vowel sign) stopped the build."""
    pieces = _HAT.split(visible(text))  # text, a letter under a hat (m̂), text, ...
    written = [
        f"$\\hat{{{piece}}}$" if k % 2 else _text_signed(normalize("NFC", piece))
        for k, piece in enumerate(pieces)
    ]
    return _LIGATURE.sub(r"\1{}", "".join(written))


def _text_signed(text: str) -> str:
    """Text mode's characters, each number's sign as a minus (_SIGN)."""
    return "$-$".join("".join(map(_text_char, part)) for part in _SIGN.split(text))


@cache
def _text_char(ch: str) -> str:
    if ch in _LATEX_TEXT:
        return _LATEX_TEXT[ch]
    if settable(ch):
        return ch
    return "" if unicodedata.category(ch).startswith("M") else _beyond_t1(ch)


@cache
def _beyond_t1(ch: str) -> str:
    """A character T1 cannot set, as text mode can: a Greek letter in math, a letter with an
    accent T1 lacks as the letter, anything else (CJK, Cyrillic, an emoji) '?'."""
    form = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    if len(form) == 1 and form != ch:  # ά: α, its accent dropped
        return _text_char(form)
    name = unicodedata.name(ch, "")
    if name.startswith("GREEK ") and " LETTER " in name:
        letter = name.rpartition(" LETTER ")[2].lower().replace("lamda", "lambda")
        if letter == "final sigma":
            return r"$\varsigma$"
        if "SMALL" in name and letter in _GREEK_COMMANDS:
            return f"$\\{letter}$"
        if letter in _GREEK_CAPITALS:
            return f"$\\{letter.capitalize()}$"
        if letter in _GREEK_LATIN:  # Α, Β, omicron: a Latin letter looks the same
            return _GREEK_LATIN[letter] if "SMALL" not in name else _GREEK_LATIN[letter].lower()
    if form and all(settable(c) and c.isalnum() for c in form):
        return form
    return _T1_LACKS.get(ch, "?")


# letters of Latin Extended-A no font here has (ħ, ŉ): the letter they are
_T1_LACKS = dict(zip("ĦħĸĿŀŉŦŧſ", ["H", "h", "k", "L", "l", "'n", "T", "t", "s"], strict=True))
_GREEK_COMMANDS = set(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma "
    "tau upsilon phi chi psi omega".split()
)
_GREEK_CAPITALS = {"gamma", "delta", "theta", "lambda", "xi", "pi", "sigma", "upsilon", "phi"}
_GREEK_CAPITALS |= {"psi", "omega"}
_GREEK_LATIN = dict(
    zip(
        "alpha beta epsilon zeta eta iota kappa mu nu omicron rho tau chi".split(),
        "ABEZHIKMNOPTX",
        strict=True,
    )
)


def latex_math(text: str) -> str:
    """A piece of a name inside TeX math, each character as itself: a ^ is a caret, not a
    superscript (^^5c would be a backslash to TeX), a { or \\ opens nothing; primes, as the
    names use them (w'), one superscript however many there are (w'' is not a double one);
    Unicode sub- and superscripts (β₁, βᵗ) and a hat (m̂) as math writes them."""
    escaped = "".join(_LATEX_MATH.get(ch, ch) for ch in visible(text))
    escaped = _HAT.sub(r"\\hat{\1}", escaped)  # m̂: a letter and a combining circumflex
    return _PRIMES.sub(lambda m: "^{" + r"\prime" * len(m[0]) + "}", escaped)


def markdown_text(text: str) -> str:
    """Text as Markdown shows it literally, on one line: no emphasis, code, link, image, raw
    HTML, math or table cell; and at the start of a line no list, quote, heading or rule."""
    escaped = _MARKDOWN_SPECIAL.sub(lambda m: _MARKDOWN.get(m[0], "\\" + m[0]), visible(text))
    return _MARKDOWN_BLOCK_START.sub(_escape_block_start, escaped, count=1)


def _escape_block_start(match: re.Match[str]) -> str:
    """The marker escaped: `\\- x`, `1\\. x`."""
    space, marker = match.groups()
    return f"{space}\\{marker}" if not marker.isdigit() else f"{space}{marker}\\"


def rich_text(text: str) -> str:
    """Text for Rich to lay out (the terminal, HTML and SVG): newlines kept, as the tables'
    multi-line cells need them; every other control character visible, never sent."""
    return visible(text, newlines=True)


def template_text(text: str) -> str:
    """Text for an HTML page a course system reads as a template before a browser shows it
    (`template_html`): HTML-escaped, and no brace of it is the system's."""
    return template_html(escape(visible(text)))


def template_html(html: str) -> str:
    """HTML for a page a course system reads as a template: each brace and square bracket
    as a character reference, so Moodle's cloze parser, Mustache and Canvas's blanks find no
    tag in the user's text, and the browser shows it as written. The HTML's own markup holds
    none (a style sheet would: it is not for these pages)."""
    return html.translate(_TEMPLATE)


_TEMPLATE = str.maketrans({c: f"&#{ord(c)};" for c in "{}[]"})
