"""The escapers, one per language the exports write (backprop_tutor/render/escape.py): what
each makes of the characters that would be markup. The exports themselves, with hostile specs,
are tested end to end in test_escaping.py."""

from __future__ import annotations

import pytest

from backprop_tutor.render.escape import latex_text, markdown_text, rich_text, template_text


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        (r"\input /etc/passwd \relax", r"\textbackslash{}input /etc/passwd \textbackslash{}relax"),
        ("# $ % & _ { }", r"\# \$ \% \& \_ \{ \}"),
        ("~^", r"\textasciitilde{}\textasciicircum{}"),
        ("^^5c", r"\textasciicircum{}\textasciicircum{}5c"),
        (
            "a -- b ,, << '' ` it's",
            r"a -{}- b ,{}, \textless{}\textless{} '{}' \textasciigrave{} it's",
        ),
        ("a\nb\tc", "a b c"),  # a blank line would be \par, which no heading survives
        ("\x1b[31m\x00", r"\textbackslash{}x1b[31m\textbackslash{}x00"),
        ("δ → ∂", r"$\delta$ $\to$ $\partial$"),
        # a number's sign is a minus (text mode sets - as a hyphen); a hyphen stays one
        ("-0.8 (-0.9) −1.0 x -.5", r"$-$0.8 ($-$0.9) $-$1.0 x $-$.5"),
        ("E_y1 = -1.0 log 0.7313", r"E\_y1 = $-$1.0 log 0.7313"),
        ("(target − out)", r"(target $-$ out)"),
        ("2-3-1 step-1 1e-05 -x -2", "2-3-1 step-1 1e-05 -x $-$2"),
    ],
)
def test_latex_text_escapes_all_ten_specials_and_control_characters(text: str, latex: str) -> None:
    assert latex_text(text) == latex


@pytest.mark.parametrize(
    ("text", "markdown"),
    [
        ("<script>&amp;", "&lt;script&gt;&amp;amp;"),
        ("[a](b) ![c](d)", r"\[a\](b) !\[c\](d)"),
        ("a | b `c` *d* $e$ ~f~ #", r"a \| b \`c\` \*d\* \$e\$ \~f\~ \#"),
        ("w_o1_h1 _x_ a_", r"w_o1_h1 \_x\_ a\_"),  # an _ inside a word opens nothing
        (
            "https://x.example www.y.example z@w.example",
            r"https\://x.example www\.y.example z\@w.example",
        ),
        ("- item", r"\- item"),
        ("12. item", r"12\. item"),
        ("-0.5", "-0.5"),  # a number, not a list
        ("= 0.5", "= 0.5"),  # a continued sum, not a heading's underline
        ("===", r"\==="),
        ("---", r"\---"),
        ("a\n# b", r"a \# b"),
        ("\\", "\\\\"),
    ],
)
def test_markdown_text(text: str, markdown: str) -> None:
    assert markdown_text(text) == markdown


def test_rich_text_keeps_lines_and_shows_control_characters() -> None:
    assert rich_text("a\nb\x1b[31m\u202e") == "a\nb\\x1b[31m\\u202e"


def test_template_text_holds_no_brace_or_tag_and_reads_back_as_written() -> None:
    """Moodle's cloze text and PrairieLearn's Mustache page: no brace of the user's is left
    for the system, and a browser's reading gives the text back."""
    from html import unescape

    text = '{1:SHORTANSWER:=x} {{{params.seed}}} <b>"&"</b>'
    escaped = template_text(text)
    assert not set('{}<>"') & set(escaped)
    assert unescape(escaped) == text


def test_every_character_latex_text_writes_is_one_pdflatex_sets() -> None:
    """Whatever the text, what latex_text writes is ASCII or a character LaTeX declares
    (render/latex_chars.py): any other stops pdflatex."""
    from backprop_tutor.render.escape import latex_text
    from backprop_tutor.render.latex_chars import settable

    text = "".join(map(chr, range(0x80, 0x3000))) + "🎉网络\U0001f600"
    assert all(settable(ch) for ch in latex_text(text))
