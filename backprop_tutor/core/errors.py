"""Errors that reach the user as one line: the file, the place in it, what is wrong, the fix.

`cli.py` prints `str(error)` and exits with code 2. Nothing else about an error is shown, so
every field a user needs to mend the file must be in the message.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field, replace


@dataclass
class SpecError(Exception):
    """A spec file that cannot be used as written."""

    file: str
    problem: str
    fix: str = ""
    place: str = ""
    line: int | None = None
    column: int | None = None
    # the file's other problems, found in the same pass: counted in this one's line, with the
    # command that lists them all (`validate`), so none is hidden without a way to see it
    others: tuple[SpecError, ...] = field(default=(), compare=False, repr=False)

    def each(self) -> list[SpecError]:
        """This problem and every other one, each as a line of its own (without the count),
        in file order (the one line of the other commands says the likeliest first)."""
        every = [replace(self, others=()), *self.others]
        return sorted(every, key=lambda e: (e.line or 0, e.column or 0))

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: "
        if self.place:
            text += f"{self.place}: "
        text += self.problem
        if self.others:
            count = len(self.others)
            text += (
                f" (and {count} more problem{'s' * (count > 1)}: "
                f"`backprop-tutor validate {shlex.quote(self.file)}` lists them all)"
            )
        if self.fix:
            text += f"; {self.fix}"
        return one_line(text)


class FileRefused(SpecError):
    """A file the tool will not read or write: missing, special, too large, outside the spec's
    folder, or one that only --force may replace. `file` names it; the message never quotes
    what is inside it."""


def one_line(text: str) -> str:
    """A message as one visible line, whatever a user's names or paths hold: each control
    character (a newline, a tab, an escape) written as its escape sequence."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def shortened(value: object) -> str:
    """A value as a one-line message quotes it: whole if short, else its two ends; control
    characters (a NUL, a newline) escaped, so the message stays one visible line."""
    text = str(value)
    if not text.isprintable():
        text = repr(text)[1:-1]
    return text if len(text) <= 40 else f"{text[:24]}…{text[-8:]}"


def format_place(path: tuple[str | int, ...]) -> str:
    """A YAML path as a user reads it: layers[0].weights.w1.from (a pasted key shortened)."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{shortened(part)}" if text else shortened(part)
    return text


@dataclass
class TrainingError(Exception):
    """A spec that loads but whose numbers cannot be computed (overflow to inf or NaN)."""

    file: str
    problem: str
    fix: str = ""

    def __str__(self) -> str:
        return one_line(f"{self.file}: {self.problem}" + (f"; {self.fix}" if self.fix else ""))
