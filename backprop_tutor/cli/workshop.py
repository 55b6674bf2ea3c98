"""For the classroom: `examples`, `quiz`, `new` and `draw`."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from backprop_tutor.cli.common import (
    DataAnywhereOption,
    DisplayDigitsOption,
    ExerciseNotationOption,
    GivenDigitsOption,
    LearningRateOption,
    LossOption,
    RoundingChoice,
    RoundingOption,
    SpecArgument,
    WidthOption,
    _console,
    _document,
    _fail,
    _known_notation,
    _load_spec,
    _notice,
    _search_progress,
    _show,
    _trace_updates,
    _traced_or_said,
    app,
    examples_epilog,
    format_choices,
    format_option,
    path_option,
)
from backprop_tutor.cli.outputs import (
    _make_folder,
    _refuse_overwrite,
    _write,
    _write_text,
)
from backprop_tutor.core.errors import SpecError, TrainingError
from backprop_tutor.core.words import counted
from backprop_tutor.render.glyphs import for_stream


@app.command(epilog=examples_epilog("backprop-tutor examples", "backprop-tutor run dawood"))
def examples(width: WidthOption = None) -> None:
    """List the bundled lecture examples: `backprop-tutor run NAME` works from any folder."""
    from backprop_tutor.render.grid import Grid
    from backprop_tutor.spec.examples import list_examples

    table = Grid("Bundled examples (backprop-tutor run NAME, train NAME, check NAME CLAIMS)")
    table.column("name", numeric=False)
    table.column("title", numeric=False)
    for name, title in list_examples():
        table.row(name, title)
    _show(table.table(), width)


@app.command(epilog=examples_epilog("backprop-tutor quiz configs/dawood.yaml"))
def quiz(
    spec: SpecArgument,
    notation: Annotated[str | None, typer.Option(help="Ask in another lecture's notation.")] = None,
    allow_data_anywhere: DataAnywhereOption = False,
) -> None:
    """Ask every quantity of one step in the order a hand calculation finds it; after a wrong
    answer, show the working and the answer; end with a score per section. Answers may be piped
    in; end of input or Ctrl-C ends the quiz with the score so far."""
    from backprop_tutor.core.regularizers import displayed
    from backprop_tutor.record import run as run_spec
    from backprop_tutor.render.quiz import questions
    from backprop_tutor.teach.quiz import is_right, right_to_fewer

    _known_notation(notation)
    if sys.stdin is None or sys.stdin.closed:
        raise _fail("quiz: standard input is closed; run it in a terminal or pipe answers in")
    try:
        loaded = _load_spec(spec, allow_data_anywhere)
        # the quiz asks step 1 only: its later steps and tests would only take memory and time
        trace = run_spec(replace(loaded, steps=1, tests=()))
    except (SpecError, TrainingError) as error:
        raise _fail(error) from None
    console = _console()
    digits = trace.header.digits
    asked = questions(trace, notation)
    score: dict[str, list[int]] = {}
    console.print(
        f"{counted(len(asked), 'question')}; answer each to {counted(digits, 'decimal')} "
        "(end of input or Ctrl-C stops)."
    )
    for q in asked:
        answer = _ask(q.prompt)
        if answer is None:  # end of input, or Ctrl-C: the score so far
            console.print()
            break
        total = score.setdefault(q.section, [0, 0])
        total[1] += 1
        if is_right(answer, q.value, digits):
            total[0] += 1
            console.print("  right")
        else:
            shown = displayed(q.id, q.value, trace.header.display.format)
            fewer = right_to_fewer(answer, q.value, digits)
            why = f"right to {fewer} decimals, give {digits}: " if fewer else ""
            console.print(
                for_stream(f"  not quite: {why}{q.prompt} = {q.working} = {shown}", sys.stdout)
            )
    _print_score(console, score)


def _ask(prompt: str) -> str | None:
    """An answer that is a number, asking again otherwise; None at end of input or Ctrl-C."""
    from backprop_tutor.teach.quiz import is_right

    ask = for_stream(f"{prompt} = ", sys.stdout)
    while True:
        try:
            answer = input(ask)
        except (EOFError, KeyboardInterrupt, OSError, RuntimeError, ValueError):
            return None  # end of input, Ctrl-C, or standard input closed or unreadable
        if is_right(answer, 0.0, 0) is not None:
            return answer
        ask = for_stream(f"  not a number; {prompt} = ", sys.stdout)


def _print_score(console: Console, score: dict[str, list[int]]) -> None:
    right = sum(r for r, _ in score.values())
    asked = sum(a for _, a in score.values())
    parts = [f"{section} {r}/{a}" for section, (r, a) in score.items()]
    console.print(f"Score: {right}/{asked}" + (f" ({', '.join(parts)})" if parts else ""))


WorksheetFormat = format_choices("worksheet")


_Optimizer = Annotated[
    str, typer.Option(help="The update: sgd, momentum, adam, ... (PyTorch's defaults).")
]
_Steps = Annotated[
    int, typer.Option(help="Updates in a row (an optimizer's state carried).", min=1, max=5)
]


@app.command(
    epilog=examples_epilog(
        "backprop-tutor new --shape 2-3-1 --seed 7",
        "backprop-tutor new --notation dawood --display-digits 5 --rounding truncate",
        "backprop-tutor new --optimizer adam --steps 2",
        "backprop-tutor new -f latex -o sheet-1",
    )
)
def new(
    shape: Annotated[str, typer.Option(help="Layer sizes, inputs first, e.g. 2-2-2.")] = "2-2-2",
    activations: Annotated[
        str, typer.Option(help="One activation for every layer, or one per layer: sigmoid,linear.")
    ] = "sigmoid",
    loss: LossOption = "half_sse",
    learning_rate: LearningRateOption = 0.5,
    seed: Annotated[int, typer.Option(help="The same seed gives the same exercise.")] = 0,
    digits: GivenDigitsOption = 1,
    optimizer: _Optimizer = "sgd",
    steps: _Steps = 1,
    notation: ExerciseNotationOption = "generic",
    display_digits: DisplayDigitsOption = 4,
    rounding: RoundingOption = RoundingChoice.round,  # type: ignore[valid-type]
    format: format_option(WorksheetFormat) = WorksheetFormat.markdown,  # type: ignore[valid-type]
    output_dir: Annotated[
        Path | None,
        path_option(
            "--output-dir",
            "-o",
            help="The folder to write to (default exercise-SEED).",
            what="name a folder, e.g. sheet-1",
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite the files if they exist.")] = False,
) -> None:
    """A fresh exercise: a spec, an answer key with every value, and a worksheet to fill in."""
    from backprop_tutor.teach.exercise import check_settings, settings_from_options

    worksheet = _document("worksheet", format)
    try:  # every option checked before a file is looked at or a number drawn
        settings = settings_from_options(
            shape, activations, loss, learning_rate, seed, digits, optimizer, steps
        )
        written = {"display_digits": display_digits, "rounding": rounding.value}
        settings = replace(settings, notation=notation, **written)
        check_settings(settings)
    except ValueError as exc:
        raise _fail(exc) from None
    _write_exercise(
        settings, worksheet, format.value, output_dir or Path(f"exercise-{seed}"), force
    )


def _write_exercise(settings, worksheet, format: str, folder: Path, force: bool) -> None:
    """The spec, the answer key, the worksheet and the claims file of `settings`' exercise in
    `folder`: none is written while any of them would be refused, or the search finds none."""
    from backprop_tutor.record import run as run_spec
    from backprop_tutor.render.claims_template import claims_template
    from backprop_tutor.render.formats import EXTENSIONS
    from backprop_tutor.teach.exercise import generate

    ext = EXTENSIONS[format]
    files = [
        folder / "exercise.yaml",
        folder / f"answers.{ext}",
        folder / f"worksheet.{ext}",
        folder / "claims.yaml",  # the worksheet's blanks by id: filled in, `check` reads it
    ]
    _usable_folder(folder)
    for path in files:
        _refuse_overwrite(path, force)
    shape = "-".join(map(str, settings.shape))
    try:
        text, spec = generate(settings, f"A {shape} exercise", _search_progress("new"))
        trace = run_spec(spec)
    except (SpecError, TrainingError, ValueError) as error:
        raise _fail(error) from None
    write = worksheet.files[format]
    _make_folder(folder)
    contents = (text, write(trace), write(trace, blank=True), claims_template(trace))
    for path, content in zip(files, contents, strict=True):
        _write_text(path, content, force)


def _usable_folder(folder: Path) -> None:
    """`new --output-dir`: no file may stand where the folder or one of its parents goes."""
    for part in (folder, *folder.parents):
        if os.path.exists(part) and not os.path.isdir(part):  # False past 255 characters
            raise _fail(f"--output-dir {folder}: {part} is a file, not a folder; choose another")


@app.command(epilog=examples_epilog("backprop-tutor draw configs/dawood.yaml -o net.svg"))
def draw(
    spec: SpecArgument,
    output: Annotated[
        Path,
        path_option(
            "--output", "-o", help="net.svg or net.png.", what="name the picture, e.g. net.svg"
        ),
    ] = Path("net.svg"),
    force: Annotated[
        bool,
        typer.Option(
            help="Overwrite the file if it exists; draw past 300 weights, while labels fit."
        ),
    ] = False,
    notation: Annotated[str | None, typer.Option(help="Label in another notation.")] = None,
    allow_data_anywhere: DataAnywhereOption = False,
) -> None:
    """A picture of the network after one step: units, weights on the edges, outputs, deltas."""
    from backprop_tutor.record import run as run_spec

    _known_notation(notation)
    if output.suffix.lower() not in (".svg", ".png"):
        raise _fail(f"--output {output}: draw writes .svg or .png")
    _refuse_overwrite(output, force, spec)
    try:
        loaded = _load_spec(spec, allow_data_anywhere, output)
        loaded = _drawable(loaded, force, "a picture can label")
        trace = run_spec(replace(loaded, steps=1, tests=()))
    except (SpecError, TrainingError) as error:
        raise _fail(error) from None
    try:  # the draw extra: checked before anything is written
        import matplotlib  # noqa: F401
        import networkx  # noqa: F401
    except ImportError as exc:
        raise _fail(
            f"draw needs matplotlib and networkx ({exc.name} is missing); "
            "pip install 'backprop-tutor[draw]'"
        ) from None
    from backprop_tutor.render.network_picture import LabelsDoNotFit, picture, save

    try:
        figure = picture(trace, notation)  # before anything is written
    except LabelsDoNotFit as error:
        raise _fail(f"{spec}: {error}") from None
    kind = output.suffix.lstrip(".").lower()
    _write(output, lambda file: save(figure, file, kind), force)


@app.command(
    epilog=examples_epilog(
        "backprop-tutor explore configs/dawood.yaml -o dawood.html",
        "backprop-tutor explore dawood --notation generic -o dawood.html",
    )
)
def explore(
    spec: SpecArgument,
    output: Annotated[
        Path,
        path_option(
            "--output",
            "-o",
            help="The page to write, e.g. dawood.html.",
            what="name the page, e.g. dawood.html",
        ),
    ] = Path("explore.html"),
    force: Annotated[
        bool, typer.Option(help="Overwrite the file if it exists; a network of any size.")
    ] = False,
    notation: Annotated[str | None, typer.Option(help="Label in another notation.")] = None,
    trace_steps: Annotated[
        str | None,
        typer.Option(help="Train the spec and show these updates, e.g. 1,2,last (as train)."),
    ] = None,
    allow_data_anywhere: DataAnywhereOption = False,
) -> None:
    """One HTML page that steps through the backward pass on the network: each quantity's rule,
    its numbers plugged in and its value, with what it reads highlighted; a try-it-yourself
    mode asks for each value first. Script, style and data inline: it opens with no network."""
    from backprop_tutor.record import run as run_spec
    from backprop_tutor.render.explore import explore_page

    _known_notation(notation)
    _refuse_overwrite(output, force, spec)
    updates = _trace_updates(trace_steps) if trace_steps is not None else None
    try:
        loaded = _drawable(_load_spec(spec, allow_data_anywhere, output), force, "a page can draw")
        if updates is not None:  # a training run's chosen updates, as `train --trace-steps`
            trace = _traced_training(loaded, updates)
        else:
            trace = run_spec(loaded if force else replace(loaded, steps=min(loaded.steps, 3)))
    except (SpecError, TrainingError) as error:
        raise _fail(error) from None
    shown = len(trace.steps)
    short = updates is None and shown < loaded.steps
    note = f"steps 1 to {shown} of {loaded.steps}; add --force for all" if short else ""
    if note:
        _notice(f"The page shows {note}")
    said = "open it in a browser (← and → step through)"
    _write_text(output, explore_page(trace, notation, note), force, said)


def _drawable(spec, force: bool, what: str):
    """The spec, if its network is small enough to draw (or --force); else one line."""
    from backprop_tutor.spec.limits import DRAW_LIMIT, parameter_count

    parameters = parameter_count(spec)
    if parameters > DRAW_LIMIT and not force:
        raise _fail(
            f"{spec.file}: {parameters:,} weights and biases are more than the {DRAW_LIMIT} "
            f"{what}; add --force to draw it anyway (slowly), or use run for the numbers"
        )
    return spec


def _traced_training(spec, updates: set[int]):
    """The spec trained, with the chosen updates traced in full, as one trace."""
    from backprop_tutor.core.trace import Trace
    from backprop_tutor.record import header
    from backprop_tutor.train import train

    result = train(spec, updates)  # refuses, before training, updates no run can reach
    _traced_or_said(updates, result)
    return Trace(header(spec), tuple(result.traced[k] for k in sorted(result.traced)))
