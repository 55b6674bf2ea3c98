"""Grading a class: each student's answers (a row of a CSV file, a column per trace id) judged
as `check` judges a claims file, with full credit for carried-forward work (a number right for
the student's own wrong numbers above it) and the root mistakes named; then the class: which
quantities most students got wrong, and which named mistakes are most common.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from backprop_tutor.core.errors import SpecError
from backprop_tutor.core.utf8 import file_not_utf8
from backprop_tutor.spec.model import Spec
from backprop_tutor.teach.check import Checker
from backprop_tutor.teach.claims import Claim, unusable
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


Student = tuple[str, str | None, list[Claim], int]  # name, version (None: one spec), answers, line


def read_answers(path: Path, checker: Checker) -> tuple[list[str], list[Student]]:
    """The sheet: a header row (a name column, an optional `version` column, then trace ids
    or the labels `check` reads), then a row per student; an empty cell is a quantity not
    answered. One SpecError, naming the row and column, for a cell that is not a number or
    an id that is not the network's."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise SpecError(str(path), "the answers file is over 20 MB", "split the class")
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        raise SpecError(str(path), "no such file", "check the path to the answers") from None
    except OSError as error:  # a folder, a name too long, no permission: the system's words
        problem = f"cannot read the answers: {error.strerror or error}"
        raise SpecError(str(path), problem, "give the path of a CSV file you can read") from None
    except UnicodeDecodeError:  # where, in the whole file (read again), not in a chunk
        raise file_not_utf8(path, MAX_BYTES, "answers file") from None
    except csv.Error:
        problem = "cannot read the answers as CSV text"
        raise SpecError(str(path), problem, "give a UTF-8 CSV file") from None
    if len(rows) < 2 or len(rows[0]) < 2:
        raise SpecError(
            str(path), "no answers", "write a header (student, then ids) and a row per student"
        )
    if len(rows) - 1 > MAX_STUDENTS:
        raise SpecError(str(path), f"more than {MAX_STUDENTS:,} students", "split the class")
    ids, first = _answer_columns(path, rows[0], checker)
    students = []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) > len(rows[0]) and any(cell.strip() for cell in row[len(rows[0]) :]):
            raise SpecError(
                str(path),
                f"row {line} has {len(row)} cells, the header names {len(rows[0])} columns",
                "give every answer a column in the header, or delete the extra cells",
                line=line,
            )
        cells = zip(ids, (cell.strip() for cell in row[first:]), strict=False)
        claims = [_answer(path, line, key, text) for key, text in cells if text]
        version = row[1].strip() if first == 2 and len(row) > 1 else None
        students.append((row[0].strip() if row else f"row {line}", version, claims, line))
    return ids, students


def _answer(path: Path, line: int, key: str, text: str) -> Claim:
    """One cell as a claim, or one line saying why it cannot be one: not a number, or past a
    float's range or its decimals (as `check` says it of a claims file)."""
    written = text.replace("−", "-")  # a minus sign, as a spreadsheet may write it
    try:
        number = Decimal(written)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        problem = f"{key} is not a number: '{text[:40]}'"
        raise SpecError(str(path), problem, "write it as 0.45187", line=line)
    why = unusable(written)
    if why:
        raise SpecError(str(path), f"{key}: {why}", "write it as 0.45187", line=line)
    return Claim(key, text, line, number)


def _answer_columns(path: Path, header: list[str], checker: Checker) -> tuple[list[str], int]:
    """The trace id each answer column holds, and the first such column's index: after the
    names (and a `version` column). A quantity in the names' place, or in two columns, is
    refused: either would grade a student on the wrong cells without a word."""
    aliases = checker.aliases

    def key(written: str) -> str:
        return aliases.get(written.strip(), written.strip())

    if key(header[0]) in checker.v:
        raise SpecError(
            str(path),
            f"column 1, '{header[0]}', is a quantity; the first column holds the students' names",
            "add a column such as 'student' before the answers",
            line=1,
        )
    first = 2 if header[1].strip().lower() == "version" else 1
    ids: list[str] = []
    for k, written in enumerate(header[first:], start=first + 1):
        quantity = key(written)
        if quantity not in checker.v:
            split = "[" in written and "]" not in written  # de_dout[h1,o1] cut at its comma
            raise SpecError(
                str(path),
                f"column {k}, '{written}', is not a quantity of this network",
                'an id with a comma is one column only in quotes: "de_dout[h1,o1]"'
                if split
                else "name columns by trace id, e.g. new[w5] (run SPEC --ids lists them)",
                line=1,
            )
        if quantity in ids:
            twin = ids.index(quantity) + first + 1
            raise SpecError(
                str(path),
                f"column {k}, '{written}', is {quantity} again (column {twin})",
                "keep one column per quantity",
                line=1,
            )
        ids.append(quantity)
    return ids, first


def grade_class(key: Spec | Path, path: Path) -> ClassGrade:
    """The class's sheet judged against one spec, or against a bank's JSON (`bank -f json`),
    each student's row against the version in its `version` column (a number or a seed)."""
    checker_of = _versions(key) if isinstance(key, Path) else _one(Checker(key))
    ids, students = read_answers(path, checker_of(None))
    result = ClassGrade(ids, [])
    for name, version, claims, line in students:
        checker = checker_of(version, (path, line))
        checker.verdicts = {}
        verdicts = checker.check(claims)
        roots = [v for v in verdicts if v.is_root]
        carried = [v.claim.id for v in verdicts if not v.ok and not v.is_root]
        credit = sum(1 for v in verdicts if v.ok) + len(carried)
        result.students.append(StudentGrade(name, credit, len(ids), roots, carried))
        # each once per student, in hand-calculation order: a tie in the class's counts is
        # listed as the sheet shows it (a set's order is the string hash's, seeded per run)
        result.wrong.update(dict.fromkeys(v.claim.id for v in roots).keys())
        result.mistakes.update(dict.fromkeys(v.mistake for v in roots if v.mistake).keys())
    return result


def _one(checker: Checker):
    def checker_of(version: str | None, row: tuple[Path, int] | None = None) -> Checker:
        if version is not None:
            raise SpecError(
                str(checker.spec.file),
                "the sheet has a version column, and the key is one spec",
                "give the bank's JSON (bank ... -f json) as the key",
            )
        return checker

    return checker_of


def _versions(bank: Path):
    """A bank's versions by number and seed, each version's Checker made when first asked."""
    from backprop_tutor.core.files import read_bytes
    from backprop_tutor.spec.load import spec_from_text

    not_a_bank = SpecError(
        str(bank),
        "JSON, but not a bank's: no list of versions, each with its number, seed and spec",
        "write the key with bank ... -f json",
    )
    try:
        document = json.loads(read_bytes(bank, MAX_BYTES * 5, "bank"))
        texts = {str(v["number"]): v["spec"] for v in document["versions"]}
        texts.update({str(v["seed"]): v["spec"] for v in document["versions"]})
    except ValueError as error:  # json's own message says where: line 3 column 5 (char 40)
        problem = f"not JSON ({error})" if isinstance(error, json.JSONDecodeError) else "not JSON"
        raise SpecError(str(bank), problem, "write the key with bank ... -f json") from None
    except (KeyError, TypeError, AttributeError):
        raise not_a_bank from None
    if "1" not in texts or not all(isinstance(text, str) for text in texts.values()):
        raise not_a_bank  # no version 1 (the sheet's header is read against it), or no spec
    made: dict[str, Checker] = {}

    def checker_of(version: str | None, row: tuple[Path, int] | None = None) -> Checker:
        """The Checker of a version; `row`: the sheet and line whose version cell named it,
        which an unknown version is said at (the sheet is wrong there, not the bank)."""
        chosen = "1" if version is None else version
        if chosen not in texts:
            sheet, line = row or (bank, None)
            raise SpecError(
                str(sheet),
                f"no version '{chosen}' in the bank {bank}" if chosen else "no version given",
                "give a version's number (1, 2, ...) or its seed",
                line=line,
            )
        if chosen not in made:
            made[chosen] = Checker(spec_from_text(texts[chosen], f"{bank} version {chosen}"))
        return made[chosen]

    return checker_of
