"""One table of output formats: for each kind of document, the writer of each format it has.

The CLI looks a format up here once (`DOCUMENTS[kind].writer(format)`); a combination not in
the table is refused with the formats the document does have. Text, HTML and SVG are Rich's
recording of the document's terminal view (`rich`); the others are text of their own (`files`).
Adding a format is its writer module plus one entry per document it fits. Writers import their
modules when called, so looking a format up costs nothing at start-up.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from backprop_tutor.render.glyphs import (
    as_it_is,
    character_references,
    json_escapes,
    latex_ascii,
    to_ascii,
)

RECORDED = ("text", "html", "svg")  # Rich's recording of the terminal view
# every format, in --help's order; moodle: Moodle's question XML (a question bank)
ALL = ("text", "json", "markdown", "latex", "html", "svg", "moodle", "qti", "prairielearn", "csv")
# the parts of a worked example `run --section` chooses from, in the order they are printed
# (step_tables.py and rich_tables.py tag their tables with these); here, not there, so the
# command line names them without importing the tables
SECTIONS = ("given", "forward", "error", "backward", "gradients", "updates", "predictions")


@dataclass(frozen=True)
class Document:
    """A kind of output: `rich(*content)` builds its terminal view (None: it has none), and
    `files[format](*content)` writes each format that is text of its own."""

    name: str
    rich: Callable[..., object] | None = None
    files: dict[str, Callable[..., str]] = field(default_factory=dict)

    @property
    def formats(self) -> tuple[str, ...]:
        recorded = RECORDED if self.rich else ()
        return tuple(f for f in ALL if f in recorded or f in self.files)

    def refusal(self, format: str) -> str | None:
        """Why `format` cannot be written, naming those that can; None when it can."""
        if format in self.formats:
            return None
        return f"--format {format}: the {self.name} is written as {', '.join(self.formats)}"


# -- the writers, each importing its module on use -----------------------------------------------
def _worked_example(trace, notation=None, ids=False, sections=None, params=None):
    from backprop_tutor.render.rich_tables import WorkedExample

    return WorkedExample(trace, notation, ids, sections, params)


def _tables(format: str, build: Callable[..., object]) -> Callable[..., str]:
    """Markdown, LaTeX or HTML tables of a Rich view (they read its blocks)."""

    def write(*content, **options) -> str:
        from backprop_tutor.render import html_out, table_export

        export = {
            "markdown": table_export.markdown_tables,
            "latex": table_export.latex_tables,
            "html": html_out.html_tables,
        }[format]
        return export(build(*content), **options)

    return write


def _trace_json(trace, notation=None, ids=False, sections=None, params=None) -> str:
    """Every number by id (`--ids` changes the tables only); --notation names the header's
    notation and δ's sign in `display`, as that notation's tables print it."""
    from backprop_tutor.render.json_out import trace_json

    return trace_json(trace, notation) + "\n"


def _derivations(derivations, trace, notation=None):
    from backprop_tutor.render.symbolic_view import Derivations

    return Derivations(derivations, trace, notation)


def _math(format: str, document: Callable[..., object]) -> Callable[..., str]:
    """A derivation document (math_doc) in LaTeX or Markdown."""

    def write(*content) -> str:
        if format == "latex":
            from backprop_tutor.render.latex_out import latex_document as export
        else:
            from backprop_tutor.render.markdown_out import markdown_document as export
        return export(document(*content))

    return write


def _parameters_doc(derivations, trace, notation=None):
    from backprop_tutor.render.math_doc import DocumentBuilder

    title = trace.header.title or trace.header.file
    return DocumentBuilder(trace, notation).parameters(derivations, title)


def _textbook_view(derivation):
    from backprop_tutor.render.derive_view import DerivationView

    return DerivationView(derivation)


def _textbook_doc(derivation):
    from backprop_tutor.render.math_doc import DocumentBuilder

    return DocumentBuilder().textbook(derivation)


def _textbook_json(derivation) -> str:
    from backprop_tutor.render.json_out import derivation_json

    return derivation_json(derivation)


def _training_report(result, trace, every=None):
    from backprop_tutor.render.train_view import TrainingReport

    return TrainingReport(result, trace, every)


def _training_json(result, trace, every=None) -> str:
    from backprop_tutor.render.json_out import training_json

    return training_json(result, trace)


def _matrix_view(trace, numbered=False):
    from backprop_tutor.render.matrix_view import MatrixView

    return MatrixView(trace, numbered)


def _matrix_file(format: str) -> Callable[..., str]:
    """The matrix form as LaTeX or Markdown (bmatrix math), or JSON."""

    def write(trace, numbered=False) -> str:
        if format == "json":
            from backprop_tutor.render.json_out import matrix_json

            return matrix_json(trace, numbered) + "\n"
        from backprop_tutor.render.matrix_tex import matrix_document

        return _math(format, matrix_document)(trace, numbered)

    return write


def _bank_file(format: str) -> Callable[..., str]:
    """A question bank as JSON, Moodle XML or a LaTeX exam in versions (bank_out.py)."""

    def write(bank) -> str:
        from backprop_tutor.render import bank_out

        if format == "prairielearn":  # a folder: its files as one JSON object, by name
            from backprop_tutor.render.prairielearn import prairielearn_files

            return json.dumps(prairielearn_files(bank), indent=1)
        if format == "qti":  # a zip: its bytes, written by the command as they are
            from backprop_tutor.render.qti import qti_zip

            return qti_zip(bank)  # type: ignore[return-value]
        write = {"json": bank_out.bank_json, "moodle": bank_out.moodle_xml}
        return write.get(format, bank_out.exam_latex)(bank)

    return write


def _grade_report(grades):
    from backprop_tutor.render.grade_view import GradeReport

    return GradeReport(grades)


def _grade_file(format: str) -> Callable[..., str]:
    def write(grades) -> str:
        from backprop_tutor.render import grade_view

        return (grade_view.grade_json if format == "json" else grade_view.grade_csv)(grades)

    return write


def _check_report(verdicts, delta_sign: int = 1, header=None):
    from backprop_tutor.render.check_view import CheckReport

    return CheckReport(verdicts, delta_sign, header)


def _check_json(verdicts, delta_sign: int = 1, header=None) -> str:
    from backprop_tutor.render.json_out import check_json

    return check_json(verdicts, delta_sign)


def _gradcheck_report(*content):
    from backprop_tutor.render.gradcheck_view import GradcheckReport

    return GradcheckReport(*content)


def _gradcheck_json(*content) -> str:
    from backprop_tutor.render.json_out import gradcheck_json

    return gradcheck_json(*content)


DOCUMENTS: dict[str, Document] = {
    "worked example": Document(
        "worked example",
        _worked_example,
        {
            "json": _trace_json,
            "markdown": _tables("markdown", _worked_example),
            "latex": _tables("latex", _worked_example),
            "html": _tables("html", _worked_example),
        },
    ),
    "derivations": Document(
        "derivation (--symbolic)",
        _derivations,
        {
            "markdown": _math("markdown", _parameters_doc),
            "latex": _math("latex", _parameters_doc),
        },
    ),
    "textbook derivation": Document(
        "derivation",
        _textbook_view,
        {
            "json": _textbook_json,
            "markdown": _math("markdown", _textbook_doc),
            "latex": _math("latex", _textbook_doc),
        },
    ),
    "training report": Document(
        "training report",
        _training_report,
        {
            "json": _training_json,
            "markdown": _tables("markdown", _training_report),
            "latex": _tables("latex", _training_report),
            "html": _tables("html", _training_report),
        },
    ),
    "matrix form": Document(
        "matrix form (--matrix)",
        _matrix_view,
        {f: _matrix_file(f) for f in ("json", "markdown", "latex")},
    ),
    "question bank": Document(
        "question bank",
        None,
        {f: _bank_file(f) for f in ("json", "latex", "moodle", "qti", "prairielearn")},
    ),
    "grades": Document("grades", _grade_report, {f: _grade_file(f) for f in ("json", "csv")}),
    "check report": Document("check report", _check_report, {"json": _check_json}),
    "gradcheck report": Document("gradcheck report", _gradcheck_report, {"json": _gradcheck_json}),
    "worksheet": Document(  # `new`: the answer key, and with blank=True the worksheet
        "worksheet",
        None,
        {
            "markdown": _tables("markdown", _worked_example),
            "latex": _tables("latex", _worked_example),
            "html": _tables("html", _worked_example),
        },
    ),
}
EXTENSIONS = {
    "json": "json",
    "markdown": "md",
    "latex": "tex",
    "html": "html",
    "svg": "svg",
    "moodle": "xml",
    "qti": "zip",
    "csv": "csv",
}
DATA = ("json",)  # data for a program: written whole whatever its size, never summarized
MADE_FOR_FILES = ("markdown", "latex")  # past the row bound: refused without --output or --force


# How each format is written to a stream without Unicode (a Windows pipe, PYTHONIOENCODING=
# ascii). Data and markup keep every character in their own escapes; text read by people
# spells its symbols in ASCII words (glyphs.to_ascii: "∂E/∂w5" -> "dE/dw5"); CSV and Moodle
# are written as they are where the stream's encoding holds them, and refused where not
# (cli/common._emit), never spelled otherwise: a student's name must match the gradebook.
@dataclass(frozen=True)
class AsciiForm:
    """`escape(text, encoding)`: the written text made fit for a stream in that encoding.
    `spelled`: the writer spells its own symbols in words while it writes (glyphs.ascii_text),
    so a CSV says "eta" in its notes while a student's name in it is kept as it is."""

    escape: Callable[[str, str], str]
    spelled: bool = False


ASCII_FORMS: dict[str, AsciiForm] = {
    "text": AsciiForm(to_ascii),
    "json": AsciiForm(json_escapes),
    "markdown": AsciiForm(to_ascii),
    "latex": AsciiForm(latex_ascii),  # must still compile: no escape, no ^ or _ outside math
    "html": AsciiForm(character_references),
    "svg": AsciiForm(character_references),
    # Moodle's XML holds its HTML in CDATA, where XML reads a character reference as text
    "moodle": AsciiForm(as_it_is),
    "qti": AsciiForm(as_it_is),  # a zip, written only to a file; never reaches a stream
    "prairielearn": AsciiForm(json_escapes),  # a folder of files; never reaches a stream
    "csv": AsciiForm(as_it_is, spelled=True),  # CSV has no escapes
}


def record(renderable: object, format: str, width: int | None) -> str:
    """Text, HTML or SVG of a view from Rich's recording of what the terminal shows."""
    import io

    from rich.console import Console
    from rich.terminal_theme import DEFAULT_TERMINAL_THEME as LIGHT  # black on white

    styled = format != "text"
    console = Console(
        record=True,
        file=io.StringIO(),
        width=width or 100,
        highlight=False,
        emoji=False,
        force_terminal=styled,
        color_system="truecolor" if styled else None,
    )
    console.print(renderable)
    export = {
        "text": console.export_text,
        "html": lambda: console.export_html(inline_styles=True, theme=LIGHT),
        "svg": lambda: _cells_wide(
            console.export_svg(theme=LIGHT, code_format=_light_svg_format())
        ),
    }
    return export[format]()


# a text of Rich's SVG: its width, its other attributes, its (escaped) characters
_SVG_TEXT = re.compile(r'textLength="([\d.]+)"([^>]*)>([^<]*)</text>')


def _cells_wide(svg: str) -> str:
    """Rich's SVG with each text as wide as the cells it fills: Rich stretches a text to its
    characters (textLength) and places the next by its cells, so a text holding a combining
    mark (m̂, v̂: two characters, one cell) ran a character wide, over its neighbour, and a
    full line lost its last digit to the line's clip (Δ -0.10499 showed -0.1049)."""
    import html

    from rich.cells import cell_len

    def fit(found: re.Match) -> str:
        text = html.unescape(found[3])
        cells = cell_len(text)
        if cells == len(text):
            return found[0]
        width = float(found[1]) / len(text) * cells
        return f'textLength="{width:g}"{found[2]}>{found[3]}</text>'

    return _SVG_TEXT.sub(fit, svg)


def _light_svg_format() -> str:
    """Rich's SVG page, made to print and to open offline: no web font fetched from a CDN (the
    system's monospace font instead), and a plain white page in place of the dark window
    with its title bar and buttons."""
    import re

    from rich._export_format import CONSOLE_SVG_FORMAT

    page = re.sub(r"\s*@font-face \{\{.*?\}\}", "", CONSOLE_SVG_FORMAT, flags=re.S)
    page = page.replace("Fira Code, monospace", "'DejaVu Sans Mono', Menlo, Consolas, monospace")
    return page.replace("{chrome}", '<rect width="100%" height="100%" fill="#ffffff"/>')
