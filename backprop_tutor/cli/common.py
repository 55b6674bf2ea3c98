"""The Typer app and what every command shares: output formats, one-line errors, writing files.

`cli` is the only package that makes a Console for the terminal, reads paths and sets exit codes:
0 done, 1 a check found a mismatch, 2 bad input or usage. A traceback reaching a user is a bug.
"""

from __future__ import annotations

import errno
import re
import sys
from collections.abc import Collection
from enum import Enum
from pathlib import Path
from typing import Annotated, get_args

import typer
from rich.console import Console
from rich.markup import escape

from backprop_tutor.cli.guard import (
    EXIT_BAD_INPUT,
    EXIT_BUG,
    EXIT_MISMATCH,
    GuardedGroup,
    output_failed,
)
from backprop_tutor.core.errors import SpecError
from backprop_tutor.core.notation import NOTATIONS
from backprop_tutor.core.numbers import Rounding
from backprop_tutor.render.formats import ALL, ASCII_FORMS, DOCUMENTS, record
from backprop_tutor.render.glyphs import AsciiOnly, ascii_text, carries_unicode, for_stream

app = typer.Typer(
    cls=GuardedGroup,
    add_completion=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    help="Turn a YAML feed-forward network into a complete worked example of backpropagation.",
)

__all__ = ["EXIT_BAD_INPUT", "EXIT_BUG", "EXIT_MISMATCH"]
MIN_WIDTH = 40  # narrower terminals get 40 columns and wrap them: a number is never cut


def examples_epilog(*commands: str) -> str:
    """A command's --help ends with examples, kept as written (Click's \\b: no rewrapping)."""
    return "\b\nExamples:\n" + "\n".join(f"  {command}" for command in commands)


def format_choices(*kinds: str) -> type[Enum]:
    """A command's --format choices, exactly the formats its documents have in the formats
    table (render/formats.py): `new -f` offers markdown and latex, not six."""
    names = [f for f in ALL if any(f in DOCUMENTS[kind].formats for kind in kinds)]
    return Enum("Format", [(name, name) for name in names], type=str)  # type: ignore[return-value]


def format_option(choices: type[Enum]):
    """--format/-f with those choices, listed in the help."""
    names = [c.value for c in choices]  # type: ignore[attr-defined]
    listed = f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else names[0]
    return Annotated[choices, typer.Option("--format", "-f", help=f"{listed}.")]


# Every path a command reads or writes is declared through these, shown as <path> as typer
# shows every Path, so an empty one is said as empty wherever it is given. Typer would make
# '' the current folder (Path('') is '.'), reported as '.: is a folder' (or, for `new -o ''`,
# written into); so the text comes as written (path_type=str) and is checked here. (Typer's
# `parser=` would do it too, but shows the type as <Path>, the annotation's name.)
def _written_path(what: str):
    """The check of one path: '' refused in one usage error naming the parameter, with
    `what` to give instead; anything else (and a default) as a Path."""

    def checked(value):
        if value is None:
            return None
        if not str(value):
            raise typer.BadParameter(f"the path is empty: {what}")
        return Path(value)

    return checked


def path_argument(help: str, what: str, **options):
    """A path argument (a spec, a claims file), shown as <path>; '' is refused as empty."""
    callback = _written_path(what)
    return typer.Argument(
        help=help, show_default=False, path_type=str, callback=callback, **options
    )


def path_option(*names: str, help: str, what: str, **options):
    """A path option (-o, --plot), shown as <path>; '' is refused as empty, naming it."""
    callback = _written_path(what)
    return typer.Option(*names, help=help, path_type=str, callback=callback, **options)


# The options several commands share, declared once so their help and limits cannot drift apart.
SPEC_WANTED = "name a spec file, e.g. configs/dawood.yaml"
SpecArgument = Annotated[Path, path_argument("The network spec, a YAML file.", SPEC_WANTED)]
WidthOption = Annotated[int | None, typer.Option(help="Output width in columns.", min=40, max=400)]
OutputOption = Annotated[
    Path | None,
    path_option("--output", "-o", help="Write to this file.", what="name a file to write"),
]
# a generated exercise's settings, as `new` and `bank` take them
LossOption = Annotated[str, typer.Option(help="The loss.")]
LearningRateOption = Annotated[float, typer.Option(help="The learning rate.", min=0.001)]
DigitsOption = Annotated[  # `bank`'s: a spec's givens keep the file's decimals unless given
    int | None,
    typer.Option(
        help="Decimals of the given numbers: a shape's (1 unless given), or a spec's in place of "
        "its file's own (at most its display's digits).",
        min=1,
        max=2,
        show_default=False,
    ),
]
# ... and `new`'s alone: how the exercise is written
GivenDigitsOption = Annotated[
    int,
    typer.Option(
        help="Decimals of the drawn given numbers (inputs, weights, biases, targets); the "
        "tables' decimals are --display-digits.",
        min=1,
        max=2,
    ),
]
ExerciseNotationOption = Annotated[
    str, typer.Option(help=f"The lecture notation to write it in: {', '.join(NOTATIONS)}.")
]
DisplayDigitsOption = Annotated[
    int,
    typer.Option(
        help="Decimals the answer key and worksheet show (at least --digits); a draw whose "
        "gradient vanishes at them is drawn again.",
        min=1,
        max=15,  # spec/schema.py's bound of display: digits
    ),
]
RoundingChoice = Enum("RoundingChoice", [(r, r) for r in get_args(Rounding)], type=str)  # type: ignore[misc]
RoundingOption = Annotated[
    RoundingChoice,  # type: ignore[valid-type]
    typer.Option(help="How the tables cut a value to --display-digits."),
]
DataAnywhereOption = Annotated[
    bool,
    typer.Option(
        "--allow-data-anywhere",
        help="Let the spec's data: csv: name a file outside the spec's folder (off: specs may "
        "be untrusted).",
    ),
]


def _load_spec(spec: Path, data_anywhere: bool = False, *outputs: Path | None):
    """The spec a command was given: a file, or a bundled example's name; CSV data only from
    the spec's own folder unless --allow-data-anywhere. None of the command's `outputs` may
    be the CSV its examples came from, whatever --force says (known once the spec is read)."""
    from dataclasses import replace

    from backprop_tutor.spec import load_spec
    from backprop_tutor.spec.examples import resolve

    found = resolve(spec)
    loaded = load_spec(found, data_anywhere=data_anywhere)
    from backprop_tutor.core.files import same_file

    for output in outputs:
        if output is not None and same_file(output, found):  # a bundled example's own file
            raise _fail(f"{output}: is the spec this command reads; write it to another file")
        if loaded.data_file and output is not None and same_file(output, Path(loaded.data_file)):
            raise _fail(
                f"{output}: is the CSV the spec's examples come from ({loaded.data_file}); "
                "write the output to another file"
            )
    # a bundled example is named as it was asked for (`dawood`), not by its installed path
    return loaded if found == spec else replace(loaded, file=str(spec))


def _version(asked: bool) -> None:
    if asked:
        from backprop_tutor import __version__

        with output_failed(_fail):  # a closed pipe: 141 (click's own handling exits 1)
            print(f"backprop-tutor {__version__}", flush=True)
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", callback=_version, is_eager=True
        ),
    ] = False,
) -> None:
    """backprop-tutor: every forward value, chain-rule factor, delta, gradient and update."""
    # A callback keeps `run` a subcommand; without one Typer would read `run` as a file name.
    for stream in (sys.stdout, sys.stderr):  # the last resort: '?' for a symbol, never a crash
        if not carries_unicode(stream) and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")


# what an error line quotes is the user's: a name, a value, a word of an option ('hσ')
_QUOTED = re.compile(r"(?<!\w)'([^'\n]+)'(?!\w)")


def _fail(message: str | Exception) -> typer.Exit:
    """One red line on standard error; the caller raises the returned exit (code 2). What
    the user wrote is shown as written, never spelled, on a stream without Unicode: a
    spec's file and place, and whatever the line quotes (a file η.yaml is not eta.yaml, a
    unit 'hσ' not 'hsigma', `activation: σ` not 'sigma')."""
    text = str(message)
    theirs = _QUOTED.findall(text)
    if isinstance(message, SpecError):
        theirs += [message.file, message.place]
    # Messages hold ids such as net[o1]: escaped, or Rich would read them as markup tags.
    message = for_stream(text, sys.stderr, theirs)
    # at least MIN_WIDTH, as every console here: at COLUMNS=0 Rich printed nothing at all
    _console(stderr=True).print(
        f"[bold red]error:[/] {escape(message)}", markup=True, soft_wrap=True
    )
    return typer.Exit(EXIT_BAD_INPUT)


class _Console(Console):
    """Rich's Console, but a closed pipe is raised as one (ending in exit 141, as `cat`'s),
    where Rich exits 1, which here means a check found a mismatch."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")


def _notice(text: str) -> None:
    """A line on stderr beside the output: said, never in the way of stdout's document."""
    _console(stderr=True).print(text, markup=False, soft_wrap=True)


def _console(width: int | None = None, **options) -> Console:
    """A Console for the terminal or pipe: never emoji codes (`:x:` in a title stays text),
    and at least MIN_WIDTH columns (a narrower terminal wraps the lines; no cell is cut)."""
    console = _Console(width=width, highlight=False, emoji=False, **options)
    if width is None and console.width < MIN_WIDTH:
        console.width = MIN_WIDTH
    return console


def _written(kind: str, format, width: int | None, to_file: bool, *content, **options):
    """A document in a format, its writer looked up once in the formats table; a format it
    does not have is refused with those it does. Text for the terminal is printed (None)."""
    document = _document(kind, format)
    if format.value in document.files:
        spelled = ASCII_FORMS[format.value].spelled and not to_file
        with ascii_text(spelled and not carries_unicode(sys.stdout), sys.stdout.encoding):
            return document.files[format.value](*content, **options)
    return _recorded(document.rich(*content), format, width, to_file)  # type: ignore[misc]


def _document(kind: str, format):
    """The formats table's entry for a kind of document; a format it lacks is refused in one
    line naming those it has (commands ask first, before any work)."""
    document = DOCUMENTS[kind]
    refused = document.refusal(format.value)
    if refused:
        raise _fail(refused)
    return document


def _recorded(renderable, format, width: int | None, to_file: bool) -> str | None:
    """A view as text, HTML or SVG; shown on the terminal (None) when it is text not for a
    file."""
    if format.value == "text" and not to_file:
        _show(renderable, width)
        return None
    return record(renderable, format.value, width)


def _show(renderable, width: int | None = None, **options) -> None:
    """To the terminal or pipe; where its encoding has no Unicode, symbols spelled in ASCII
    before the layout, so tables still line up."""
    unicode = carries_unicode(sys.stdout)
    with ascii_text(not unicode, sys.stdout.encoding), output_failed(_fail):
        console = _console(width)
        console.print(renderable if unicode else AsciiOnly(renderable), **options)
        console.file.flush()


def _named_parameters(only: str, known: Collection[str], option: str = "--only") -> list[str]:
    """The parameters `--only w5,w1` names, in its order; one line for a name not in `known`."""
    from backprop_tutor.spec.data import closest

    chosen = list(dict.fromkeys(name.strip() for name in only.split(",") if name.strip()))
    if not chosen:
        raise _fail(f"{option}: name at least one parameter, e.g. {option} w5")
    for name in chosen:
        if name not in known:
            raise _fail(f"{option}: no parameter '{name}'; {closest(name, known)}")
    return chosen


def _known_notation(name: str | None) -> None:
    """--notation must name a notation; one line with the choices otherwise."""
    from backprop_tutor.core.notation import NOTATIONS
    from backprop_tutor.spec.data import closest

    if name is not None and name not in NOTATIONS:
        raise _fail(f"--notation: no notation '{name}'; {closest(name, NOTATIONS)}")


def _trace_updates(text: str | None) -> set[int]:
    """`1,2,last` -> {1, 2, LAST}; anything else is a usage error (exit 2)."""
    from backprop_tutor.traced_updates import LAST

    if text is None:
        return set()
    if not text.strip():  # `--trace-steps ""`: asked for, and nothing named
        raise typer.BadParameter(
            "--trace-steps is empty: give update numbers or 'last' (e.g. 1,2,last)"
        )
    chosen = set()
    for part in text.split(","):
        part = part.strip().lower()
        if part == "last":
            chosen.add(LAST)
        elif part.isdigit() and int(part) >= 1:
            chosen.add(int(part))
        else:
            raise typer.BadParameter(f"'{part}' is not an update number or 'last' (e.g. 1,2,last)")
    return chosen


def _traced_or_said(updates: set[int], result) -> None:
    """After a training run with --trace-steps (train's, explore's): none of the updates
    asked for came (the run stopped sooner: one line, exit 2, never nothing shown), or some
    did not (a line on stderr; the output shows the others)."""
    if not result.traced:
        raise _fail(
            f"--trace-steps: training made {result.updates:,} updates, none of those asked "
            "for; give 1, last or a number up to it"
        )
    past = ", ".join(str(k) for k in sorted(updates) if k > result.updates)  # LAST is -1
    if past:
        _notice(f"--trace-steps: training made {result.updates:,} updates; {past} not reached")


def _search_progress(command: str, every: float = 2.0):
    """For a search of draws (`new`'s, `bank`'s): past `every` seconds, a line on stderr now
    and then saying how far it got, so a long search for settings or a file that rarely give
    an exercise is not silent."""
    import contextlib
    import time

    from backprop_tutor.teach.exercise import MAX_DRAWS, Search

    start = last = time.monotonic()

    def report(search: Search) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last < every:
            return
        last = now
        tried = f"{search.draws:,} of at most {MAX_DRAWS:,} draws tried"
        line = f"{command}: {tried}, none worth doing yet ({search.why()})"
        with contextlib.suppress(OSError, ValueError):  # a closed stderr must not stop it
            print(f"{line}; {now - start:.0f} s", file=sys.stderr, flush=True)

    return report


def _refuse_normalized(spec, matrix: bool, derivations: bool) -> None:
    """What batch normalization is not worked out in yet: the matrix form and the SymPy
    derivation of every gradient (its δ mixes the batch's examples); one line each."""
    if not spec.normalized:
        return
    if matrix:
        raise _fail(
            f"{spec.file}: the matrix form of a batch-normalized layer is not worked out yet; "
            "run without --matrix (the tables show every number)"
        )
    if derivations:
        raise _fail(
            f"{spec.file}: --symbolic does not derive through batch normalization yet (its δ "
            "mixes the batch's examples); run without it, and see `backprop-tutor derive "
            "batch_norm` for the proof of its short form"
        )
