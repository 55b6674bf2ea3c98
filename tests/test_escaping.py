"""Injection through the exports (issue 20, item 2): user text is only ever text in them.

Each case in tests/data/injection/ puts hostile text into the dawood spec: a title, a source,
names (`rename: {old: new}`), or the file's own name (`# file:`). Every case goes through every
export a user can write from a spec, by the command line, and each export is read the way its
reader reads it: the LaTeX compiled by pdflatex and its text read back by pdftotext; the
Markdown parsed by markdown-it (CommonMark with GitHub's tables); the HTML by html.parser; the
SVG by an XML parser. The clean dawood spec through the same export is the reference: the case
may use no TeX command it does not, and its Markdown has the same blocks (headings stay
headings, a table keeps its rows and columns). `# literal:` is text the reader must see as is.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml
from cases import Case, cases
from conftest import CONFIGS
from markdown_it import MarkdownIt
from test_exports import _pdflatex, _pdftotext
from typer.testing import CliRunner

from backprop_tutor.cli import app

EXPORTS = {
    "run-latex": ["run", "{spec}", "--format", "latex"],
    "run-markdown": ["run", "{spec}", "--format", "markdown"],
    "run-html": ["run", "{spec}", "--format", "html"],
    "run-svg": ["run", "{spec}", "--format", "svg"],
    "symbolic-latex": ["run", "{spec}", "--symbolic", "--format", "latex"],
    "symbolic-markdown": ["run", "{spec}", "--symbolic", "--format", "markdown"],
    "train-latex": ["train", "{spec}", "--trace-steps", "1", "--format", "latex"],
    "train-markdown": ["train", "{spec}", "--trace-steps", "1", "--format", "markdown"],
    "train-html": ["train", "{spec}", "--trace-steps", "1", "--format", "html"],
    "train-svg": ["train", "{spec}", "--trace-steps", "1", "--format", "svg"],
}
# What the escapers write besides the commands of a clean export: \textbackslash{} and friends.
ESCAPES = {
    *"{}#$%&_",
    "textbackslash",
    "textasciitilde",
    "textasciicircum",
    "textless",
    "textgreater",
    "textasciigrave",
    "backslash",
    "hat",
    "sim",
    "prime",
    "Omega",  # a Greek letter T1 cannot set, in math
}
DANGEROUS_TEX = re.compile(r"\\(input|include|write|immediate|openout|catcode|def|csname)\b|\^\^")
HTML_TAGS = {"html", "head", "meta", "style", "body", "pre", "code", "span"}  # Rich's page
HTML_TAGS |= {"title", "h1", "h2", "h3", "p", "table", "thead", "tbody", "tr", "th", "td", "br"}
SVG_TAGS = {"svg", "style", "defs", "clipPath", "rect", "g", "text", "circle"}  # Rich's picture


def _changes(case: Case) -> dict:
    """The case's changes to the dawood spec: keys to set (null: to drop) and `rename`."""
    return yaml.safe_load(case.text)


def _spec(changes: dict, path: Path) -> Path:
    """The dawood spec with `changes`, and two epochs of training, written to `path`."""
    spec = yaml.safe_load((CONFIGS / "dawood.yaml").read_text(encoding="utf-8"))
    spec["training"] = {"epochs": 2}
    changes = dict(changes)
    spec = _renamed(spec, changes.pop("rename", {}))
    spec.update(changes)
    spec = {key: value for key, value in spec.items() if value is not None}
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def _renamed(value, names: dict[str, str]):
    """Every key and string that is an old name, as the new one."""
    if isinstance(value, dict):
        return {names.get(k, k): _renamed(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, names) for v in value]
    return names.get(value, value) if isinstance(value, str) else value


def _export(export: str, spec: Path) -> str:
    """The export written with --output, run from the spec's folder as a user would: the
    documents show the path as given, here the file's own name."""
    args = [arg.replace("{spec}", spec.name) for arg in EXPORTS[export]]
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(spec.parent)
        result = CliRunner().invoke(app, [*args, "--output", f"{export}.out"])
    assert result.exit_code == 0, result.output
    return (spec.parent / f"{export}.out").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory):
    """The clean dawood spec through an export, once per export: the same keys dropped as the
    case drops (no title: the path heads the document), nothing else changed."""
    made: dict[tuple[str, tuple[str, ...]], str] = {}

    def export(name: str, case: Case) -> str:
        dropped = tuple(sorted(k for k, v in _changes(case).items() if v is None))
        if (name, dropped) not in made:
            folder = tmp_path_factory.mktemp("clean")
            spec = _spec(dict.fromkeys(dropped), folder / "dawood.yaml")
            made[name, dropped] = _export(name, spec)
        return made[name, dropped]

    return export


@pytest.mark.parametrize(
    ("case", "export"),
    [pytest.param(c, e, id=f"{c.name}-{e}") for c in cases("injection") for e in EXPORTS],
)
def test_user_text_is_only_text(case: Case, export: str, clean, tmp_path: Path) -> None:
    spec = _spec(_changes(case), tmp_path / case.get("file", f"{case.name}.yaml"))
    content = _export(export, spec)
    language = export.split("-")[1]
    literal = case.get("literal")
    if language == "latex":
        _check_latex(content, clean(export, case))
        shown = _pdftotext(_pdflatex(content, tmp_path))
    elif language == "markdown":
        shown = _check_markdown(content, clean(export, case))
    elif language == "html":
        shown = _check_html(content)
    else:
        shown = _check_svg(content)
    if literal:
        assert _squeezed(literal) in _squeezed(shown), f"{literal!r} is not shown as is"


def _squeezed(text: str) -> str:
    """Without whitespace: a reader's line breaks are not the text's."""
    return "".join(text.replace("\xa0", " ").split())


# LaTeX ----------------------------------------------------------------------------------------


def _check_latex(source: str, clean: str) -> None:
    """No command a clean export does not use, and no brace, $, % or # out of place (after
    the preamble, which is the export's own and holds no user text)."""
    assert not DANGEROUS_TEX.search(source), DANGEROUS_TEX.search(source)
    source = source.partition("\\begin{document}")[2] or source
    extra = _commands(source) - _commands(clean) - ESCAPES
    assert not extra, f"commands no clean export uses: {sorted(extra)}"
    depth, dollars = 0, 0
    for token in re.findall(r"\\[A-Za-z]+|\\.|.", source, re.DOTALL):
        assert token not in ("%", "#"), f"an unescaped {token}"
        depth += {"{": 1, "}": -1}.get(token, 0)
        dollars += token == "$"
        assert depth >= 0, "a } closes a group the export did not open"
    assert depth == 0 and dollars % 2 == 0, "a group or a formula is left open"


def _commands(source: str) -> set[str]:
    return set(re.findall(r"\\([A-Za-z]+|.)", source, re.DOTALL))


# Markdown -------------------------------------------------------------------------------------


def _check_markdown(text: str, clean: str) -> str:
    """No raw HTML but the cells' <br>, no link, image or code; the clean export's blocks and
    tables, each row with the header's cells. Returns the text a reader sees."""
    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    tokens = parser.parse(text)
    inline = [child for token in tokens for child in token.children or ()]
    kinds = {t.type for t in (*tokens, *inline)}
    assert not kinds & {"html_block", "link_open", "image", "code_inline", "fence", "s_open"}
    assert {t.content for t in inline if t.type == "html_inline"} <= {"<br>"}
    assert "<" not in text.replace("<br>", ""), "a raw < in the Markdown"
    blocks = [(t.type, t.tag) for t in tokens if t.type != "inline"]
    assert blocks == [(t.type, t.tag) for t in parser.parse(clean) if t.type != "inline"]
    for table in re.findall(r"(?:^\|.*\n)+", text, re.MULTILINE):
        widths = {len(_cells(row)) for row in table.splitlines()}
        assert len(widths) == 1, f"a row with more or fewer cells:\n{table}"
    return _Text.of(parser.render(text))


def _cells(row: str) -> list[str]:
    """A table row's cells as GitHub splits them: a | after a backslash is text."""
    return re.findall(r"(?:\\.|[^|\\])+", row.strip().strip("|"))


# HTML and SVG ---------------------------------------------------------------------------------


class _Text(HTMLParser):
    """Every tag and attribute of an HTML page, and its text as a browser shows it."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @classmethod
    def of(cls, html: str) -> str:
        parser = cls()
        parser.feed(html)
        return "".join(parser.text)


def _check_html(html: str) -> str:
    """Rich's page or the tables' (html_out.py) and nothing else: their tags, no event handler
    or link; no control character. Returns the text a browser shows."""
    parser = _Text()
    parser.feed(html)
    assert parser.tags <= HTML_TAGS, parser.tags - HTML_TAGS
    assert parser.attributes <= {"charset", "style", "lang", "class", "scope"}, parser.attributes
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", html), "a control character"
    return "".join(parser.text)


def _check_svg(svg: str) -> str:
    """Well-formed XML (a control character is not), with Rich's elements only and no event
    handler or link. Returns the text of its <text> elements, in order."""
    root = ElementTree.fromstring(svg)
    elements = list(root.iter())
    tags = {e.tag.rpartition("}")[2] for e in elements}
    assert tags <= SVG_TAGS, tags - SVG_TAGS
    names = {name.rpartition("}")[2] for e in elements for name in e.attrib}
    assert not {n for n in names if n.startswith("on") or n == "href"}, names
    return "".join(e.text or "" for e in elements if e.tag.endswith("text"))


# Course systems' templates --------------------------------------------------------------------

# A title in the syntax of both systems, and a '/' (a level in Moodle's category path).
BRACED = "{1:SHORTANSWER:=x} {{{params.seed}}} Week 3/4"
CLOZE_BLANK = re.compile(r"\{[0-9]*:[A-Z_]+:")  # where Moodle's cloze parser starts a blank
MUSTACHE_TAG = re.compile(r"\{\{\{?\s*([^{}]*?)\s*\}?\}\}")


def _bank(tmp_path: Path, title: str, format: str, name: str) -> Path:
    args = ["bank", "2-2-2", "--versions", "2", "--title", title, "-f", format]
    result = CliRunner().invoke(app, [*args, "-o", str(tmp_path / name)])
    assert result.exit_code == 0, result.output
    return tmp_path / name


def _moodle_category_path(path: str) -> list[str]:
    """Moodle's reading of a category path (qformat_default::split_category_path): a lone
    '/' separates, '//' is a slash, each name trimmed."""
    return [part.replace("//", "/").strip() for part in re.split(r"(?<!/)/(?!/)", path)]


@pytest.mark.parametrize("title", [BRACED, "/a title led and ended by slashes/"])
def test_a_title_is_no_cloze_blank_and_one_category_in_moodle(title: str, tmp_path) -> None:
    """The title is in every question's text: there its braces were a cloze blank Moodle
    would add to each version; in the category path each '/' was one more level."""
    root = ElementTree.parse(_bank(tmp_path, title, "moodle", "m.xml")).getroot()
    category, *questions = root.iter("question")
    path = _moodle_category_path(category.findtext("category/text"))
    assert path == ["$course$", "top", "backprop-tutor", f"{title} (seed 0)"]
    bank = json.loads(_bank(tmp_path, title, "json", "b.json").read_text(encoding="utf-8"))
    for question, version in zip(questions, bank["versions"], strict=True):
        text = question.findtext("questiontext/text")
        assert len(CLOZE_BLANK.findall(text)) == len(version["questions"])
        assert title in _Text.of(text)  # shown as written


def test_a_title_is_no_mustache_tag_in_prairielearn(tmp_path) -> None:
    """question.html is a Mustache template: the title's {{{params.seed}}} was one more tag;
    now the page's tags are its own, and the title is shown as written."""
    html = (_bank(tmp_path, BRACED, "prairielearn", "pl") / "question.html").read_text("utf-8")
    tags = MUSTACHE_TAG.findall(html)
    assert tags == ["params.version", "params.seed", "params.picture", "params.givens"]
    assert BRACED in _Text.of(html)


def test_a_title_is_no_blank_in_canvas(tmp_path) -> None:
    """Canvas reads `[name]` in a fill-in-multiple-blanks question as a blank: a title's
    [b0] was one more in every version; now each version's blanks are its quantities'."""
    import zipfile

    title = "Week [b0] and [x]"
    with zipfile.ZipFile(_bank(tmp_path, title, "qti", "q.zip")) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".xml") and "manifest" not in n)
        root = ElementTree.fromstring(archive.read(name))
    bank = json.loads(_bank(tmp_path, title, "json", "b.json").read_text(encoding="utf-8"))
    items = [e for e in root.iter() if e.tag.endswith("}item")]
    assert len(items) == len(bank["versions"])
    for item, version in zip(items, bank["versions"], strict=True):
        text = next(e.text for e in item.iter() if e.tag.endswith("}mattext") and e.text)
        assert len(re.findall(r"\[[^\]]*\]", text)) == len(version["questions"])
        assert title in _Text.of(text)
