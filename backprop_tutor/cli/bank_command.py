"""For an instructor's course: `bank` (versions of one exercise as a question bank for a
learning management system) and `grade` (a class's answers, judged as `check` does)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from backprop_tutor.cli.common import (
    OutputOption,
    WidthOption,
    _document,
    _emit,
    _fail,
    _load_spec,
    _refuse_overwrite,
    _show,
    _written,
    app,
    examples_epilog,
    format_choices,
    format_option,
)
from backprop_tutor.core.errors import SpecError, TrainingError

BankFormat = format_choices("question bank")


@app.command(
    epilog=examples_epilog(
        "backprop-tutor bank 2-2-2 --versions 30 --seed 7 -f moodle -o exam.xml",
        "backprop-tutor bank 2-2-1 --versions 5 -f json -o bank.json",
        "backprop-tutor bank 2-2-2 --versions 3 -f latex -o exam.tex",
    )
)
def bank(
    shape: Annotated[
        str, typer.Argument(help="Layer sizes, inputs first, e.g. 2-2-2.", show_default=False)
    ],
    versions: Annotated[int, typer.Option(help="How many versions.", min=1, max=500)] = 10,
    seed: Annotated[int, typer.Option(help="The same seed gives the same bank.", min=0)] = 0,
    activations: Annotated[
        str, typer.Option(help="One activation for every layer, or one per layer.")
    ] = "sigmoid",
    loss: Annotated[str, typer.Option(help="The loss.")] = "half_sse",
    learning_rate: Annotated[float, typer.Option(help="The learning rate.", min=0.001)] = 0.5,
    digits: Annotated[int, typer.Option(help="Decimals of the given numbers.", min=1, max=2)] = 1,
    title: Annotated[str | None, typer.Option(help="The exam's name (its category).")] = None,
    format: format_option(BankFormat) = BankFormat.moodle,  # type: ignore[valid-type,attr-defined]
    output: OutputOption = None,
    force: Annotated[bool, typer.Option(help="Overwrite the --output file if it exists.")] = False,
) -> None:
    """Versions of one exercise, each with its own numbers, as a question bank: every quantity
    with its answer, a tolerance of one unit in the last digit, the working as feedback, and
    the named mistakes' answers."""
    from backprop_tutor.teach.bank import make_bank
    from backprop_tutor.teach.exercise import ExerciseSettings, parse_shape

    document = _document("question bank", format)
    _refuse_overwrite(output, force)
    try:
        sizes = parse_shape(shape)
    except ValueError as exc:
        raise _fail(f"SHAPE {exc}") from None
    names = [a.strip() for a in activations.split(",")]
    names = names * (len(sizes) - 1) if len(names) == 1 else names
    if len(names) != len(sizes) - 1:
        raise _fail(
            f"--activations: {len(names)} for {len(sizes) - 1} layers; give one or one per layer"
        )
    settings = ExerciseSettings(sizes, tuple(names), loss, learning_rate, seed, digits)
    try:
        made = make_bank(settings, versions, title or f"A {shape} exercise")
    except (SpecError, TrainingError, ValueError) as error:
        raise _fail(str(error)) from None
    if format.value == "latex":  # the exam and its answer key: two files
        if output is None:
            raise _fail("-f latex writes the exam and its answer key: give -o exam.tex")
        from backprop_tutor.render.bank_out import exam_latex

        key = output.with_name(f"{output.stem}-answers{output.suffix or '.tex'}")
        _refuse_overwrite(key, force)
        _emit(exam_latex(made), output, force)
        _emit(exam_latex(made, key=True), key, force)
        _show(Text(f"Wrote {output} and {key}: {versions} versions from seed {seed}"))
        return
    _emit(document.files[format.value](made), output, force)
    if output is not None:
        _show(Text(f"Wrote {output}: {versions} versions from seed {seed}"))


GradeFormat = format_choices("grades")


@app.command(
    epilog=examples_epilog(
        "backprop-tutor grade exercise.yaml answers.csv",
        "backprop-tutor grade exercise.yaml answers.csv -f csv -o grades.csv",
    )
)
def grade(
    spec: Annotated[Path, typer.Argument(help="The exercise's spec.", show_default=False)],
    answers: Annotated[
        Path,
        typer.Argument(
            help="A CSV file: a header (student, then trace ids), a row per student.",
            show_default=False,
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
    _refuse_overwrite(output, force)
    try:
        grades = grade_class(_load_spec(spec, False), answers)
    except (SpecError, TrainingError) as error:
        raise _fail(str(error)) from None
    _emit(_written("grades", format, width, output is not None, grades), output, force)
