"""`grade`'s report: a row per student (score, credit carried forward, root mistakes), then
the class (the quantities most students got wrong, the most common named mistakes); as a
table, as CSV for a gradebook, or as JSON."""

from __future__ import annotations

import csv
import io
import json

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from backprop_tutor.render.glyphs import spelled
from backprop_tutor.render.grid import Grid
from backprop_tutor.teach.grade import ClassGrade, StudentGrade
from backprop_tutor.teach.verdicts import mistakes

SUMMARY_ROWS = 10  # the most common quantities and mistakes the summary lists


class GradeReport:
    def __init__(self, grades: ClassGrade) -> None:
        self.grades = grades

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        g = self.grades
        table = Grid(
            f"Grades: {len(g.students)} students, {len(g.ids)} quantities each; a number right "
            "for the student's own wrong numbers above it gets full credit (carried forward)"
        )
        table.column("student", numeric=False)
        table.column("score")
        table.column("carried forward")
        table.column("root mistakes", numeric=False)
        for s in g.students:
            table.row(s.name, _score(s), str(len(s.carried)), _roots(s) or "none")
        yield table.table()
        yield Text("")
        yield _counted(
            "Quantities most students got wrong (a mistake of their own there)", "quantity", g.wrong
        )
        yield Text("")
        yield _counted("The most common named mistakes", "mistake", g.mistakes)


def _counted(title: str, what: str, counts) -> object:
    """A summary table: the most common of `counts`, each with how many students; a line
    saying there are none where a table would be empty."""
    if not counts:
        return Text(f"{title}: none")
    table = Grid(title)
    table.column(what, numeric=False)
    table.column("students")
    for name, count in counts.most_common(SUMMARY_ROWS):
        table.row(name, str(count))
    return table.table()


def _score(s: StudentGrade) -> str:
    return f"{s.credit}/{s.total}"


def _roots(s: StudentGrade) -> str:
    """The student's mistakes, a named one once with every quantity it shows in, and the
    claims too coarse to tell, in the order of their first claims."""
    first = {m.roots[0].claim.id: m for m in mistakes(s.roots)}
    said = []
    for v in s.roots:
        if v.status == "coarse":
            said.append(f"{v.claim.id}: {v.detail}")
        elif v.claim.id in first:
            m = first[v.claim.id]
            said.append(f"{', '.join(m.ids)}: {m.roots[0].mistake or m.detail}")
    return "; ".join(said)


def grade_csv(grades: ClassGrade) -> str:
    """A row per student, for a gradebook: credit, total, carried forward, root mistakes."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "credit", "total", "carried_forward", "root_mistakes"])
    for s in grades.students:
        # the tool's own words spelled where the stream has no Unicode (formats.ASCII_FORMS)
        writer.writerow([s.name, s.credit, s.total, len(s.carried), spelled(_roots(s))])
    return out.getvalue()


def grade_json(grades: ClassGrade) -> str:
    document = {
        "ids": grades.ids,
        "students": [
            {
                "student": s.name,
                "credit": s.credit,
                "total": s.total,
                "carried_forward": s.carried,
                "root_mistakes": [
                    {
                        "id": v.claim.id,
                        "claimed": v.claim.text,
                        "verdict": v.status,  # variant, mismatch, or coarse (too few decimals)
                        "mistake": v.mistake,
                        "detail": v.detail,
                    }
                    for v in s.roots
                ],
            }
            for s in grades.students
        ],
        "wrong": dict(grades.wrong.most_common()),
        "mistakes": dict(grades.mistakes.most_common()),
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"
