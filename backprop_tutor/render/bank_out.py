"""A question bank (teach/bank.py) written for a learning management system: Moodle's question
XML (one cloze question per version, every quantity a NUMERICAL part with its tolerance, the
working as the right answer's feedback and each named mistake's value as a 0% answer with
its name), or JSON for any other system.

The questions, their order and their working are the quiz's (render/quiz.py): every number is
the engine's, and every wrong answer a mistake `check` knows.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import replace
from html import escape

from backprop_tutor.core.numbers import EXACT_TOLERANCE, setting_text
from backprop_tutor.core.regularizers import displayed
from backprop_tutor.render.escape import latex_text, template_html, template_text
from backprop_tutor.render.network_svg import network_svg
from backprop_tutor.render.quiz import Question, questions
from backprop_tutor.teach.bank import Bank, Version, mal_answers

PENALTY = "0.3333333"  # Moodle's default for a retried cloze part


def bank_json(bank: Bank) -> str:
    """Every version with its spec, its questions in hand-calculation order, each answer
    with its tolerance, feedback and the named mistakes' answers."""
    document = {
        "title": bank.title,
        "seed": bank.seed,
        "tolerance": bank.tolerance,
        "versions": [
            {
                "number": v.number,
                "seed": v.seed,
                "spec": v.text,
                "questions": [
                    {
                        "id": q.id,
                        "section": q.section,
                        "prompt": q.prompt,
                        "answer": q.value,
                        "feedback": q.working,
                        "mistakes": [{"mistake": name, "answer": value} for name, value in mal],
                    }
                    for q, mal in _asked(v, bank)
                ],
            }
            for v in bank.versions
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def moodle_xml(bank: Bank) -> str:
    """Moodle's question XML: a category for the exam, then a cloze question per version."""
    category = f"$course$/top/backprop-tutor/{_category(f'{bank.title} (seed {bank.seed})')}"
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<quiz>",
        '  <question type="category">',
        f"    <category><text>{escape(category)}</text></category>",
        '    <info format="html"><text></text></info>',
        "  </question>",
    ]
    for v in bank.versions:
        asked = _asked(v, bank)
        name = f"{bank.title}, version {v.number} (seed {v.seed})"
        text = _question_html(v, bank, asked)
        parts += [
            '  <question type="cloze">',
            f"    <name><text>{escape(name)}</text></name>",
            f'    <questiontext format="html"><text><![CDATA[{text}]]></text>',
            f'      <file name="network.svg" path="/" encoding="base64">{_picture(v)}</file>',
            "    </questiontext>",
            '    <generalfeedback format="html"><text><![CDATA['
            f"{_answers_html(v, asked)}]]></text></generalfeedback>",
            f"    <penalty>{PENALTY}</penalty>",
            "    <hidden>0</hidden>",
            f"    <idnumber>backprop-tutor-{v.seed}</idnumber>",
            "  </question>",
        ]
    parts.append("</quiz>")
    return "\n".join(parts) + "\n"


def _asked(v: Version, bank: Bank) -> list[tuple[Question, list[tuple[str, float]]]]:
    """The version's questions with a finite answer, each with its mistakes' answers in the
    sign it is asked in (Mitchell's δ is −∂E/∂net); a question's working ends with its value
    as the tables print it."""
    mal = mal_answers(v.trace, bank.tolerance)
    n = v.trace.header.display.format
    return [
        (
            replace(q, working=f"{q.prompt} = {q.working} = {displayed(q.id, q.value, n)}"),
            [(name, q.sign * value) for name, value in mal.get(q.id, [])],
        )
        for q in questions(v.trace)
        if math.isfinite(q.value)
    ]


def _category(name: str) -> str:
    """A category's name in Moodle's category path, as Moodle's own export writes it
    (qformat_default::assemble_category_path): a '/' is a new level there, so each is
    doubled, and a space keeps a leading or trailing one from joining the separator (the
    importer trims it). A title 'Week 3/4' stays one category."""
    escaped = name.strip().replace("/", "//")
    if escaped.startswith("/"):
        escaped = " " + escaped
    return escaped + " " if escaped.endswith("/") else escaped


def _question_html(v: Version, bank: Bank, asked) -> str:
    h = v.trace.header
    head = (
        f"<p>{template_text(h.title or bank.title)}: one step of backpropagation, loss "
        f"{template_text(h.loss)}, learning rate η = {setting_text(h.learning_rate)}, "
        f"activations {template_text(', '.join(h.activations))}. Give each value to "
        f"{bank.digits} decimals.</p>"
    )
    given = template_html(given_html(v))  # its names are the spec's
    picture = '<p><img src="@@PLUGINFILE@@/network.svg" alt="the network with its givens"></p>'
    n = h.display.format
    items = [
        f"<li>{template_text(q.prompt)} = {_numerical(q, mal, bank.unit, n)}</li>"
        for q, mal in asked
    ]
    return head + picture + given + "<ol>" + "".join(items) + "</ol>"


def _numerical(q: Question, mal: list[tuple[str, float]], unit: float, n) -> str:
    """A cloze NUMERICAL part: the answer within one unit of the last digit, the working as
    its feedback; each named mistake's value as a 0% answer with its name."""
    right = f"={answer_text(q.value, n(q.value))}:{setting_text(unit)}#{_cloze(q.working)}"
    wrong = "".join(
        f"~%0%{answer_text(value, n(value))}:{setting_text(unit)}#{_cloze('The mistake: ' + name)}"
        for name, value in mal
    )
    return "{1:NUMERICAL:" + right + wrong + "}"


def _answers_html(v: Version, asked) -> str:
    rows = "".join(f"<li>{escape(q.working)}</li>" for q, _ in asked)
    return f"<p>Worked answers (seed {v.seed}):</p><ol>{rows}</ol>"


def given_html(v: Version) -> str:
    """The version's givens as the worked example's Given table, in HTML."""
    from backprop_tutor.render.html_out import grid_html
    from backprop_tutor.render.rich_tables import WorkedExample

    return grid_html(WorkedExample(v.trace).given_table())


def _picture(v: Version) -> str:
    """The version's network with its givens, as Moodle embeds a question's file."""
    return base64.b64encode(network_svg(v.trace).encode("utf-8")).decode("ascii")


def answer_text(value: float, shown: str) -> str:
    """A right answer as Moodle stores it (and shows it to the student): `shown`, the tables'
    text, where that is the value but for a float's noise (0.0 for -2.8e-17, 1.0 for
    0.99999999999999997), so the answer shown is the tables' and never '-0'; otherwise the
    value to 12 significant figures, the centre its tolerance is measured from (and 1e+200
    stays short: the tables write all its 201 digits)."""
    if len(shown) <= 24 and abs(float(shown) - value) <= EXACT_TOLERANCE * max(1.0, abs(value)):
        return shown
    written = f"{value:.12g}"
    return "0" if written == "-0" else written


def _cloze(text: str) -> str:
    """Text inside a cloze part: HTML-escaped, and Moodle's cloze syntax characters
    (} # ~ / " \\) escaped with a backslash."""
    escaped = escape(text, quote=False)
    for ch in '\\}#~/"':
        escaped = escaped.replace(ch, "\\" + ch)
    return escaped


def exam_latex(bank: Bank, key: bool = False) -> str:
    """Every version on its own page, each headed by its number and seed (a grader
    regenerates it with `new --seed`): the worksheet with its blanks, or with `key` the
    answer key; one document that compiles with pdflatex."""
    from backprop_tutor.render.rich_tables import WorkedExample
    from backprop_tutor.render.table_export import LATEX_PREAMBLE, latex_tables

    pages = []
    for v in bank.versions:
        whole = latex_tables(WorkedExample(v.trace), blank=not key)
        body = whole.removeprefix(LATEX_PREAMBLE).removesuffix("\\end{document}\n")
        what = "answer key" if key else "exam"
        mark = f"{bank.title}: version {v.number} of {len(bank.versions)}, seed {v.seed} ({what})"
        pages.append(f"\\noindent\\textbf{{{latex_text(mark)}}}\n\n{body}")
    return LATEX_PREAMBLE + "\\newpage\n".join(pages) + "\\end{document}\n"
