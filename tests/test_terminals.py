"""Narrow and wide terminals, pipes, the C locale and terminals without UTF-8: every command's
output in every format, no exception, and no text line longer than the width."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
from conftest import ROOT, wide_network
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.render.formats import ALL, ASCII_FORMS
from backprop_tutor.render.glyphs import ASCII, latex_ascii, to_ascii

WIDTHS = (40, 80, 200)
FORMATS = ("text", "json", "markdown", "latex", "html", "svg")
CLAIMS = "new[w5]: 0.45187\nloss: 0.29837\n"  # one right, one wrong: check exits 1


def _commands(tmp_path: Path) -> dict[str, list[str]]:
    claims = tmp_path / "claims.yaml"
    claims.write_text(CLAIMS, encoding="utf-8")
    return {
        "run": ["run", "configs/dawood.yaml"],
        "run-borela": ["run", "configs/borela.yaml", "--notation", "borela"],
        "run-softmax": ["run", "configs/xu-softmax.yaml"],
        "run-matrix": ["run", "configs/dawood.yaml", "--matrix"],
        "run-symbolic": ["run", "configs/dawood.yaml", "--only", "w5,w1"],
        "train": ["train", "configs/xor.yaml", "--trace-steps", "1"],
        "derive": ["derive", "softmax_cross_entropy"],
        "check": ["check", "configs/dawood.yaml", str(claims)],
        "gradcheck": ["gradcheck", "configs/borela.yaml"],
        "validate": ["validate", "configs/dawood.yaml"],
        "examples": ["examples"],
        "run-summary": ["run", str(wide_network(tmp_path, (60, 40, 10)))],  # summarized
    }


TAKES_FORMAT = {"run", "run-borela", "run-softmax", "run-symbolic", "train", "derive"}


def _invoke(args: list[str], charset: str = "utf-8") -> str:
    result = CliRunner(charset=charset).invoke(app, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{args} raised {result.exception!r}") from result.exception
    assert result.exit_code in (0, 1), (args, result.exit_code, result.stderr)
    return result.output


def _widest(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    "command",
    [
        "run",
        "run-borela",
        "run-softmax",
        "run-symbolic",
        "train",
        "derive",
        "check",
        "gradcheck",
        "validate",
        "examples",
    ],
)
def test_text_fits_the_width(in_root, tmp_path, command: str, width: int) -> None:
    output = _invoke([*_commands(tmp_path)[command], "--width", str(width)])
    assert output.strip()
    assert _widest(output) <= width


@pytest.mark.parametrize("format", FORMATS[1:])
@pytest.mark.parametrize("command", sorted(TAKES_FORMAT - {"run-symbolic"}))
def test_every_format_at_every_width(in_root, tmp_path, command: str, format: str) -> None:
    """The exports do not depend on the width, but must not break at any of them."""
    outputs = {
        _invoke([*_commands(tmp_path)[command], "--format", format, "--width", str(width)])
        for width in WIDTHS
    }
    assert all(o.strip() for o in outputs)
    if format in ("json", "markdown", "latex"):
        assert len(outputs) == 1, "an export changed with the terminal width"


@pytest.mark.parametrize("format", ["markdown", "latex", "html"])
def test_symbolic_exports(in_root, tmp_path, format: str) -> None:
    assert _invoke([*_commands(tmp_path)["run-symbolic"], "--format", format]).strip()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    "command",
    ["run", "run-borela", "run-matrix", "run-symbolic", "train", "derive", "check", "gradcheck"],
)
def test_a_terminal_without_utf8_gets_ascii_that_still_fits(
    in_root, tmp_path, command: str, width: int
) -> None:
    output = _invoke([*_commands(tmp_path)[command], "--width", str(width)], charset="ascii")
    assert output.isascii() and "?" not in output.replace("?)", "")
    assert not re.search(r"\\[xuU][0-9a-f]{2}", output), "a symbol of ours has no ASCII spelling"
    assert _widest(output) <= width


def _svg_text(svg: str) -> str:
    return "".join(ElementTree.fromstring(svg).itertext())


# what a reader gets back from each format: the data of JSON, the text a browser shows of
# HTML and SVG; Markdown and LaTeX are read by people, so there the symbols are spelled
READ_BACK = {"json": json.loads, "html": html.unescape, "svg": _svg_text}


# every command with a --format in each format, and a network too big to print, which is
# summarized (Markdown and LaTeX refuse it)
STREAMED = [
    *((c, f) for c in sorted(TAKES_FORMAT - {"run-symbolic"}) for f in FORMATS[1:]),
    *(("run-summary", f) for f in ("json", "html", "svg")),
    ("check", "json"),
    ("gradcheck", "json"),
]


@pytest.mark.parametrize(("command", "format"), STREAMED)
def test_a_stream_without_unicode_reads_back_the_same(
    in_root, tmp_path, command: str, format: str
) -> None:
    """JSON and markup keep every symbol in their own escapes (a Windows pipe, say), never
    rewritten as words: "∂E/∂net" stays "∂E/∂net" for the program that reads it."""
    args = [*_commands(tmp_path)[command], "--format", format]
    unicode, ascii = _invoke(args), _invoke(args, charset="ascii")
    assert ascii.isascii()
    if format in READ_BACK and command.startswith("run"):  # ∂E/∂net in every label
        assert not unicode.isascii()
    read = READ_BACK.get(format, to_ascii)
    assert read(ascii) == read(unicode)


# A document of each kind with what it must keep: a user's accent, a symbol of ours, one
# outside every table, and a character the format itself gives meaning to.
SAMPLE = json.dumps({"Zoë ∂E/∂w5 𝛿": "σ² <&>", "loss": [0.5, "▁▂█"]}, ensure_ascii=False)
MARKUP = "<p title='Zoë ∂E/∂w5'>𝛿 &amp; σ²</p>"
LATEX = r"\section*{Zoë cm³ ≈ Straße ‖$\delta$‖}"
ASCII_FORM_HOLDS = {  # format: (its sample, what its ASCII form must be)
    "json": (SAMPLE, lambda ascii: ascii == json.dumps(json.loads(SAMPLE))),  # Python's escapes
    "html": (MARKUP, lambda ascii: html.unescape(ascii) == html.unescape(MARKUP)),
    "svg": (MARKUP, lambda ascii: html.unescape(ascii) == html.unescape(MARKUP)),
    "text": (
        MARKUP,
        lambda ascii: ascii == "<p title='Zo\\xeb dE/dw5'>\\U0001d6ff &amp; sigma^2</p>",
    ),
    "markdown": (
        MARKUP,
        lambda ascii: ascii == "<p title='Zo\\xeb dE/dw5'>\\U0001d6ff &amp; sigma^2</p>",
    ),
    # LaTeX must still compile: no Python escape, and no ^ or _ brought in outside math
    "latex": (LATEX, lambda ascii: ascii == r"\section*{Zoe cm3 ? Stra\ss{}e ||$\delta$||}"),
    "csv": ("Zoë,σ²", lambda ascii: ascii == "Zoë,σ²"),  # as it is, or refused (_emit)
    "moodle": (MARKUP, lambda ascii: ascii == MARKUP),  # the same
    "qti": (MARKUP, lambda ascii: ascii == MARKUP),  # a zip, only ever written to a file
    "prairielearn": (SAMPLE, lambda ascii: json.loads(ascii) == json.loads(SAMPLE)),
}


@pytest.mark.parametrize("format", ALL)
def test_every_format_has_an_ascii_form(format: str) -> None:
    assert set(ASCII_FORMS) == set(ASCII_FORM_HOLDS)
    sample, holds = ASCII_FORM_HOLDS[format]
    ascii = ASCII_FORMS[format].escape(sample, "ascii")
    assert holds(ascii) and (ascii.isascii() or ascii == sample), ascii


SIGN_SLIP = "0.54812"  # new[w5] of dawood with the update's sign turned: "new = old + η × grad"


@pytest.mark.parametrize(
    ("charset", "name", "written"),
    [
        ("latin-1", "José", "José,0,1,0,new[w5]: the update's sign (new = old + eta x grad)"),
        ("cp1252", "José", "José,0,1,0,new[w5]: the update's sign (new = old + eta x grad)"),
        ("ascii", "Jose", "Jose,0,1,0,new[w5]: the update's sign (new = old + eta x grad)"),
        ("utf-8", "José", "José,0,1,0,new[w5]: the update's sign (new = old + η × grad)"),
        ("ascii", "José", None),
    ],
)
def test_a_csv_keeps_each_name_or_is_refused(tmp_path, charset, name, written) -> None:
    """CSV has no escapes: the tool's own words are spelled where the stream has no Unicode,
    and a name it cannot carry is refused (one line, exit 2, nothing written), never spelled
    otherwise, as a gradebook matches rows by name."""
    answers = tmp_path / "answers.csv"
    answers.write_text(f"student,new[w5]\n{name},{SIGN_SLIP}\n", encoding="utf-8")
    args = ["grade", str(ROOT / "configs" / "dawood.yaml"), str(answers), "-f", "csv"]
    result = CliRunner(charset=charset).invoke(app, args)
    if written is not None:
        assert result.exit_code == 0 and result.stdout.splitlines()[1] == written
        return
    assert result.exit_code == 2 and not result.stdout
    line = result.stderr.strip()
    assert "\n" not in line and "U+00E9 LATIN SMALL LETTER E WITH ACUTE (line 2 of the csv)" in line
    json_args = [*args[:-1], "json"]  # JSON keeps the name in its escapes
    result = CliRunner(charset=charset).invoke(app, json_args)
    assert result.exit_code == 0 and json.loads(result.stdout)["students"][0]["student"] == name


def test_moodle_xml_is_refused_on_an_ascii_stream(tmp_path) -> None:
    """Its HTML sits in CDATA, where XML reads a character reference as text: written to a
    file (-o), never to a stream that cannot carry its η."""
    args = ["bank", "2-2-1", "--versions", "1", "--format", "moodle"]
    assert "η" in _invoke(args)
    result = CliRunner(charset="ascii").invoke(app, args)
    assert result.exit_code == 2 and not result.stdout
    assert "U+03B7 GREEK SMALL LETTER ETA" in result.stderr and "-o" in result.stderr


@pytest.mark.parametrize(
    ("charset", "name", "shown"),
    [
        ("ascii", "nofilé", "nofil\\xe9"),
        ("latin-1", "nofilé", "nofilé"),
        ("ascii", "η", "\\u03b7"),  # not eta.yaml: a Greek letter of the user's is not ours
        ("ascii", "ﬁle", "\\ufb01le"),
    ],
)
def test_a_users_path_is_named_as_given(tmp_path, charset: str, name: str, shown: str) -> None:
    """Never nofile.yaml, eta.yaml or file.yaml, which are not the file named (and exist)."""
    for other in ("nofile", "eta", "file"):
        (tmp_path / f"{other}.yaml").write_text("x: 1\n", encoding="utf-8")
    result = CliRunner(charset=charset).invoke(app, ["run", str(tmp_path / f"{name}.yaml")])
    assert result.exit_code == 2 and f"{shown}.yaml: no such file" in result.stderr


@pytest.mark.parametrize(
    ("change", "args", "shown"),
    [
        (("o1: 0.05", "oσ: 0.05"), [], "targets.o\\u03c3: 'o\\u03c3' is not an output unit"),
        (("activation: sigmoid", "activation: σ"), [], "unknown activation '\\u03c3'"),
        ((), ["--param", "wσ"], "no parameter 'w\\u03c3'"),
    ],
)
def test_what_a_user_wrote_is_quoted_as_written(tmp_path, change, args, shown: str) -> None:
    """A unit hσ is never reported as 'hsigma', nor `activation: σ` as 'sigma' (which looks
    like a name that might be valid): what an error line quotes, and a spec's place, are the
    user's, shown by their escapes."""
    spec = tmp_path / "net.yaml"
    text = (ROOT / "configs" / "dawood.yaml").read_text(encoding="utf-8")
    spec.write_text(text.replace(*change, 1) if change else text, encoding="utf-8")
    result = CliRunner(charset="ascii").invoke(app, ["run", str(spec), *args])
    assert result.exit_code == 2 and shown in result.stderr, result.stderr
    assert "sigma" not in result.stderr


def test_latex_on_an_ascii_stream_still_compiles(tmp_path) -> None:
    """A Python escape in LaTeX would be a command (\\xe9), and a spelling such as cm^3 is
    math outside math: a user's accents are dropped, anything else is '?'."""
    spec = tmp_path / "fr.yaml"
    text = (ROOT / "configs" / "dawood.yaml").read_text(encoding="utf-8")
    title = "title: Réseau über Zoë, cm³ ≈ 2×2 Straße"
    spec.write_text(re.sub("^title: .*", title, text, flags=re.M), "utf-8")
    unicode = _invoke(["run", str(spec), "--format", "latex"])
    latex = _invoke(["run", str(spec), "--format", "latex"], charset="ascii")
    assert latex.isascii() and latex.count("\n") == unicode.count("\n")
    assert r"Reseau uber Zoe, cm3 ? 2$\times$2 Stra\ss{}e" in latex
    plain_lines = [line for line in unicode.splitlines() if line.isascii()]
    assert plain_lines == [line for line in latex.splitlines() if line in plain_lines]


def test_ascii_spells_the_symbols_out() -> None:
    assert to_ascii("∂E/∂w5 = δ_o1 · out_h1") == "dE/dw5 = delta_o1 * out_h1"
    assert to_ascii("Σ ½(t − o)²") == "sum 1/2(t - o)^2"
    assert to_ascii("Σ_j ∂E/∂out_j") == "sum_j dE/dout_j"
    assert all(to_ascii(symbol).isascii() for symbol in ASCII)
    # a user's characters: by their escapes, or kept where the encoding holds them
    assert to_ascii("nofilé ☃ 𝛿 ﬁle x¹") == "nofil\\xe9 \\u2603 \\U0001d6ff \\ufb01le x\\xb9"
    assert to_ascii("Zoë Łukasz x¹ σ", "latin-1") == "Zoë \\u0141ukasz x¹ sigma"
    said = to_ascii("a/η.yaml: η is missing", theirs=["a/η.yaml"])  # the caller knows the file
    assert said == "a/\\u03b7.yaml: eta is missing"
    assert to_ascii("fene\u0302tre m̂ x̂", "ascii") == "fene\\u0302tre m_hat x_hat"
    assert latex_ascii("Réseau über Łukasz σ² ☃ m̂") == r"Reseau uber \L{}ukasz sigma2 ? m"
    matrix_form = "(W⁽²⁾)ᵀ ⎡0.1⎤ σ′(a⁽¹⁾) σ²"  # run --matrix
    assert to_ascii(matrix_form) == "(W(2))^T [0.1] sigma'(a(1)) sigma^2"


def _process(args: list[str], answers: bytes = b"", **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    environment.update({"NO_COLOR": "1", "COLUMNS": "80", **env})
    return subprocess.run(
        [sys.executable, "-m", "backprop_tutor", *args],
        input=answers,
        capture_output=True,
        cwd=ROOT,
        env=environment,
        timeout=120,
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_the_c_locale(width: int) -> None:
    done = _process(["run", "configs/dawood.yaml", "--width", str(width)], LC_ALL="C", LANG="C")
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    text = done.stdout.decode("utf-8")
    assert "0.45187" in text and _widest(text) <= width


@pytest.mark.parametrize("format", FORMATS[1:])
def test_every_format_in_the_c_locale(format: str) -> None:
    args = ["run", "configs/xu-softmax.yaml", "--format", format, "--width", "40"]
    done = _process(args, LC_ALL="C", LANG="C")
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert done.stdout.strip() and not done.stderr


def test_a_real_ascii_pipe_and_its_error_line(tmp_path) -> None:
    done = _process(["run", "configs/xu-softmax.yaml"], PYTHONIOENCODING="ascii")
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert done.stdout.isascii() and b"delta" in done.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("inputs: [1, 2]\nlayers: [{units: 1, activation: sigmoïd}]\n", "utf-8")
    done = _process(["run", str(bad)], PYTHONIOENCODING="ascii")
    assert done.returncode == 2 and done.stderr.isascii() and b"Traceback" not in done.stderr


@pytest.mark.parametrize("columns", ["0", "1", "-3", "abc"])
def test_an_error_line_at_any_columns(columns: str) -> None:
    """COLUMNS=0 made Rich print nothing: the line keeps the width every console here has."""
    done = _process(["run", "nofile.yaml"], COLUMNS=columns)
    assert done.returncode == 2 and b"nofile.yaml: no such file" in done.stderr


def test_the_quiz_on_an_ascii_terminal_asks_in_words() -> None:
    """Prompts and working go through input() and the quiz's own console: ASCII words too."""
    done = _process(["quiz", "xu-softmax"], b"1\n" * 200, PYTHONIOENCODING="ascii")
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert done.stdout.isascii() and b"?" not in done.stdout
    assert b"delta_a = dE/dnet" in done.stdout and b"sum_j e^net_j" in done.stdout  # Σ in words
