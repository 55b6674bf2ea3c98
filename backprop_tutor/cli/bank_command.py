"""For an instructor's course: `bank` (versions of one exercise as a question bank for a
learning management system) and `grade` (a class's answers, judged as `check` does)."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Annotated

import typer

from backprop_tutor.cli.common import (
    SPEC_WANTED,
    DigitsOption,
    LearningRateOption,
    LossOption,
    OutputOption,
    WidthOption,
    _document,
    _fail,
    _load_spec,
    _search_progress,
    _written,
    app,
    examples_epilog,
    format_choices,
    format_option,
    path_argument,
)
from backprop_tutor.cli.outputs import (
    _emit,
    _make_folder,
    _refuse_overwrite,
    _write,
    _write_text,
)
from backprop_tutor.core.errors import SpecError, TrainingError
from backprop_tutor.core.words import counted

BankFormat = format_choices("question bank")


def _not_empty(value: str) -> str:
    """SPEC_OR_SHAPE '' said as an empty path, in the usage error every other empty path gets
    (path_argument), not as 'neither a spec file nor a shape': it is neither because it is
    nothing. (A shape is text, not a Path, so path_argument's conversion does not fit.)"""
    if not value:
        raise typer.BadParameter(
            "the path is empty: name a spec file, e.g. configs/dawood.yaml, or give layer "
            "sizes such as 2-2-2"
        )
    return value


# bank's own options, each with its help (the command's signature lists them by these names)
_Shape = Annotated[
    str,
    typer.Argument(
        metavar="SPEC_OR_SHAPE",
        help="A spec file (its numbers drawn again), or layer sizes, e.g. 2-2-2.",
        show_default=False,
        callback=_not_empty,
    ),
]
_Versions = Annotated[int, typer.Option(help="How many versions.", min=1, max=500)]
_Seed = Annotated[int, typer.Option(help="The same seed gives the same bank.", min=0)]
_Activations = Annotated[
    str, typer.Option(help="One activation for every layer, or one per layer.")
]
_Title = Annotated[str | None, typer.Option(help="The exam's name (its category).")]
_Force = Annotated[
    bool,
    typer.Option(help="Overwrite the --output file (prairielearn: the folder's) if it exists."),
]


@app.command(
    epilog=examples_epilog(
        "backprop-tutor bank 2-2-2 --versions 30 --seed 7 -f moodle -o exam.xml",
        "backprop-tutor bank 2-2-1 --versions 5 -f json -o bank.json",
        "backprop-tutor bank 2-2-2 --versions 3 -f latex -o exam.tex",
    )
)
def bank(
    context: typer.Context,
    shape: _Shape,
    versions: _Versions = 10,
    seed: _Seed = 0,
    activations: _Activations = "sigmoid",
    loss: LossOption = "half_sse",
    learning_rate: LearningRateOption = 0.5,
    digits: DigitsOption = None,
    title: _Title = None,
    format: format_option(BankFormat) = BankFormat.moodle,  # type: ignore[valid-type,attr-defined]
    output: OutputOption = None,
    force: _Force = False,
) -> None:
    """Versions of one exercise, each with its own numbers, as a question bank: every quantity
    with its answer, a tolerance of one unit in the last digit, the working as feedback, and
    the named mistakes' answers."""
    from backprop_tutor.teach.bank import make_bank

    document = _document("question bank", format)
    # prairielearn's -o names a folder: its files are checked
    if format.value == "prairielearn":
        _refuse_folder(output, force)
    else:
        _refuse_overwrite(output, force, Path(shape))  # a spec file is read: never written
    try:
        if _is_shape(shape):
            draw, name = _shape_draw(shape, activations, loss, learning_rate, seed, digits, title)
        else:
            draw, name = _spec_draw(shape, title, output, digits, context)
        made = make_bank(draw, versions, seed, name)
    except (SpecError, TrainingError, ValueError) as error:
        raise _fail(error) from None
    files = _FILES.get(format.value)  # formats that write more than one text
    if files is not None:
        files(made, output, force)
        return
    _emit(document.files[format.value](made), output, force, format.value, _versions(made))


def _exam(made, output: Path | None, force: bool) -> None:
    """-f latex: the exam and its answer key, two files."""
    if output is None:
        raise _fail("-f latex writes the exam and its answer key: give -o exam.tex")
    from backprop_tutor.render.bank_out import exam_latex

    key = output.with_name(f"{output.stem}-answers{output.suffix or '.tex'}")
    _refuse_overwrite(key, force)
    _write_text(output, exam_latex(made), force, _versions(made))
    _write_text(key, exam_latex(made, key=True), force, "its answer key")


def _qti(made, output: Path | None, force: bool) -> None:
    """-f qti: a zip for Canvas, bytes to a file."""
    if output is None:
        raise _fail("-f qti writes a zip for Canvas: give -o exam.zip")
    from backprop_tutor.render.qti import qti_zip

    package = qti_zip(made)
    _write(output, lambda handle: handle.write(package), force, _versions(made))


GradeFormat = format_choices("grades")


@app.command(
    epilog=examples_epilog(
        "backprop-tutor grade exercise.yaml answers.csv",
        "backprop-tutor grade exercise.yaml answers.csv -f csv -o grades.csv",
    )
)
def grade(
    spec: Annotated[
        Path,
        path_argument(
            "The exercise's spec, or a bank's JSON (bank ... -f json): then the sheet's "
            "second column, `version`, names each student's version.",
            SPEC_WANTED,
        ),
    ],
    answers: Annotated[
        Path,
        path_argument(
            "A CSV file: a header (student, then trace ids), a row per student.",
            "name the class's CSV file, e.g. answers.csv",
        ),
    ],
    format: format_option(GradeFormat) = GradeFormat.text,  # type: ignore[valid-type,attr-defined]
    width: WidthOption = None,
    output: OutputOption = None,
    force: Annotated[bool, typer.Option(help="Overwrite the --output file if it exists.")] = False,
) -> None:
    """Grade a class: each student's answers judged as `check` judges a claims file, with
    full credit for carried-forward work, the root mistakes named, and a class summary."""
    from backprop_tutor.teach.grade import grade_class

    _document("grades", format)
    _refuse_overwrite(output, force, spec, answers)  # never over the class's answers
    try:
        key = spec if spec.suffix.lower() == ".json" else _load_spec(spec, False, output)
        grades = grade_class(key, answers)
    except (SpecError, TrainingError) as error:
        raise _fail(error) from None
    grades = _written("grades", format, width, output is not None, grades)
    _emit(grades, output, force, format.value)


def _prairielearn(made, folder: Path | None, force: bool) -> None:
    from backprop_tutor.render.prairielearn import prairielearn_files

    if folder is None:
        raise _fail("-f prairielearn writes a question folder: give -o questions/backprop1")
    try:
        files = prairielearn_files(made)
    except ValueError as error:
        raise _fail(error) from None
    _refuse_folder(folder, force)  # again: the drawing took time
    _make_folder(folder, "-o")
    for name, text in files.items():
        _write_text(folder / name, text, force)


def _refuse_folder(folder: Path | None, force: bool) -> None:
    """-f prairielearn's -o is a folder, new or existing (the generic check refused any
    folder, even an empty one with --force): one line and exit 2 for anything else there,
    for a symbolic link (never followed: the files would land where it points), and for a
    file of the question's already in it, named, unless --force (then a regular file only)."""
    from backprop_tutor.render.prairielearn import FILES

    if folder is None:
        return  # said when the bank is written: -o is required
    try:
        mode = os.lstat(folder).st_mode
    except FileNotFoundError:
        return
    except NotADirectoryError:
        raise _fail(f"{folder}: a part of the path is not a folder; check the path") from None
    except OSError as error:
        raise _fail(f"{folder}: cannot be read: {error.strerror}; choose another folder") from None
    if stat.S_ISLNK(mode):
        raise _fail(f"{folder}: is a symbolic link; name the question folder itself")
    if not stat.S_ISDIR(mode):
        raise _fail(f"{folder}: a file stands where the question folder goes; choose another")
    for name in FILES:
        _refuse_overwrite(folder / name, force)


# the bank's formats that are files, not one text: each writes its own (-o required)
_FILES = {"latex": _exam, "qti": _qti, "prairielearn": _prairielearn}


def _is_shape(text: str) -> bool:
    """2-2-2, not a file name: digits and dashes only."""
    return bool(text) and all(part.isdigit() for part in text.split("-"))


def _shape_draw(shape, activations, loss, learning_rate, seed, digits, title):
    """`new`'s exercise for a shape, its options checked as `new` checks them."""
    from backprop_tutor.teach.bank import from_shape
    from backprop_tutor.teach.exercise import check_settings, settings_from_options

    given = 1 if digits is None else digits
    settings = settings_from_options(shape, activations, loss, learning_rate, seed, given)
    check_settings(settings)
    name = title or f"A {shape} exercise"
    return from_shape(settings, name, _search_progress("bank, this version")), name


# what a shape's exercise is built with, which a spec file says itself
SHAPE_OPTIONS = {
    "activations": "each layer's activation:",
    "loss": "loss:",
    "learning_rate": "learning_rate:",
}


def _refuse_shape_options(context: typer.Context, spec: str) -> None:
    """A shape's options given with a spec file, which sets its own: one line naming the key
    to edit there (they were silently ignored)."""
    for option, key in SHAPE_OPTIONS.items():
        source = context.get_parameter_source(option)
        if source is not None and source.name != "DEFAULT":
            flag = "--" + option.replace("_", "-")
            raise SpecError(
                spec,
                f"{flag} is for a shape such as 2-2-2; a spec file sets its own",
                f"edit {key} in the file, or leave {flag} out",
            )


def _spec_draw(
    shape: str, title: str | None, output: Path | None, digits: int | None, context: typer.Context
):
    """The exercise of a spec file, its numbers drawn again for each version: the file's
    problems said first, at their place, and a name that is neither file nor shape said as
    such (a missing file with a suffix, e.g. exam.yaml, is said to be missing)."""
    from backprop_tutor.spec.yaml_source import read_yaml
    from backprop_tutor.teach.bank import from_spec
    from backprop_tutor.teach.redraw import check_digits

    if not os.path.exists(shape) and not Path(shape).suffix:
        raise _fail(
            f"SPEC_OR_SHAPE '{shape}' is neither a spec file nor a shape; give a file, "
            "or layer sizes such as 2-2-2"
        )
    spec = _load_spec(Path(shape), False, output)  # its problems first, at their place
    _refuse_shape_options(context, shape)  # once there is a file to edit
    check_digits(spec, digits)  # before any draw
    draw = from_spec(read_yaml(Path(shape)), digits, _search_progress("bank, this version"))
    return draw, title or spec.title or shape


def _versions(made) -> str:
    return f"{counted(len(made.versions), 'version')} from seed {made.seed}"
