"""Grading a class: each student's answers (a row of a CSV file, a column per trace id) judged
as `check` judges a claims file, with full credit for carried-forward work (a number right for
the student's own wrong numbers above it) and the root mistakes named; then the class: which
quantities most students got wrong, and which named mistakes are most common.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from backprop_tutor.core.errors import SpecError
from backprop_tutor.spec.model import Spec
from backprop_tutor.teach.check import Checker
from backprop_tutor.teach.claims import Claim
from backprop_tutor.teach.verdicts import Verdict

MAX_STUDENTS = 5_000
MAX_BYTES = 20_000_000


@dataclass
class StudentGrade:
    name: str
    credit: int  # answers right, or right for the student's own numbers above them
    total: int  # the quantities the sheet asks for
    roots: list[Verdict]  # the mistakes of their own, in hand-calculation order
    carried: list[str]  # ids given credit as carried forward


@dataclass
class ClassGrade:
    ids: list[str]  # the quantities asked, as the sheet's columns name them (as trace ids)
    students: list[StudentGrade]
    wrong: Counter = field(default_factory=Counter)  # id -> students with a root mistake there
    mistakes: Counter = field(default_factory=Counter)  # named mistake -> students making it


def read_answers(path: Path, checker: Checker) -> tuple[list[str], list[tuple[str, list[Claim]]]]:
    """The sheet: a header row (a name column, then trace ids or the labels `check` reads),
    then a row per student; an empty cell is a quantity not answered. One SpecError, naming
    the row and column, for a cell that is not a number or an id that is not the network's."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise SpecError(str(path), "the answers file is over 20 MB", "split the class")
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        raise SpecError(str(path), "no such file", "check the path to the answers") from None
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        problem = f"cannot read the answers ({type(error).__name__})"
        raise SpecError(str(path), problem, "give a UTF-8 CSV file") from None
    if len(rows) < 2 or len(rows[0]) < 2:
        raise SpecError(
            str(path), "no answers", "write a header (student, then ids) and a row per student"
        )
    if len(rows) - 1 > MAX_STUDENTS:
        raise SpecError(str(path), f"more than {MAX_STUDENTS:,} students", "split the class")
    aliases = checker.aliases
    ids = []
    for k, written in enumerate(rows[0][1:], start=2):
        key = aliases.get(written.strip(), written.strip())
        if key not in checker.v:
            raise SpecError(
                str(path),
                f"column {k}, '{written}', is not a quantity of this network",
                "name columns by trace id, e.g. new[w5] (run SPEC --ids lists them)",
                line=1,
            )
        ids.append(key)
    students = []
    for line, row in enumerate(rows[1:], start=2):
        claims = []
        for key, text in zip(ids, row[1:], strict=False):
            text = text.strip()
            if not text:
                continue
            try:
                number = Decimal(text.replace("−", "-"))
            except InvalidOperation:
                number = None
            if number is None or not number.is_finite():
                raise SpecError(
                    str(path),
                    f"{key} is not a number: '{text[:40]}'",
                    "write it as 0.45187",
                    line=line,
                )
            claims.append(Claim(key, text, line, number))
        students.append((row[0].strip() if row else f"row {line}", claims))
    return ids, students


def grade_class(spec: Spec, path: Path) -> ClassGrade:
    checker = Checker(spec)
    ids, students = read_answers(path, checker)
    result = ClassGrade(ids, [])
    for name, claims in students:
        checker.verdicts = {}
        verdicts = checker.check(claims)
        roots = [v for v in verdicts if v.is_root]
        carried = [v.claim.id for v in verdicts if not v.ok and not v.is_root]
        credit = sum(1 for v in verdicts if v.ok) + len(carried)
        result.students.append(StudentGrade(name, credit, len(ids), roots, carried))
        result.wrong.update({v.claim.id for v in roots})
        result.mistakes.update({v.mistake for v in roots if v.mistake})
    return result
