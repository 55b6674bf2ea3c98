"""For the classroom: `examples`, `quiz`, `new` and `draw`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ..errors import SpecError, TrainingError
from .common import (
    OutputFormat,
    WidthOption,
    _emit,
    _fail,
    _known_notation,
    _refuse_overwrite,
    _show,
    _terminal_text,
    app,
)


@app.command()
def examples(width: WidthOption = None) -> None:
    """List the bundled lecture examples: `backprop-tutor run NAME` works from any folder."""
    from ..examples_index import list_examples
    from ..render.rich_tables import Grid

    table = Grid("Bundled examples (backprop-tutor run NAME, train NAME, check NAME CLAIMS)")
    table.column("name", numeric=False)
    table.column("title", numeric=False)
    for name, title in list_examples():
        table.row(name, title)
    _show(table.table(), width)


@app.command()
def quiz(
    spec: Annotated[
        Path, typer.Argument(help="The network spec, a YAML file.", show_default=False)
    ],
    notation: Annotated[str | None, typer.Option(help="Ask in another lecture's notation.")] = None,
) -> None:
    """Ask every quantity of one step in the order a hand calculation finds it; after a wrong
    answer, show the working and the answer; end with a score per section. Answers may be piped
    in; end of input or Ctrl-C ends the quiz with the score so far."""
    from ..engine import run as run_spec
    from ..examples_index import resolve
    from ..render.quiz import is_right, questions
    from ..spec import load_spec

    _known_notation(notation)
    try:
        trace = run_spec(load_spec(resolve(spec)))
    except (SpecError, TrainingError) as error:
        raise _fail(str(error)) from None
    console = Console(highlight=False)
    digits = trace.header.digits
    asked = questions(trace, notation)
    score: dict[str, list[int]] = {}
    console.print(
        f"{len(asked)} questions; answer each to {digits} decimals (end of input or Ctrl-C stops)."
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
            shown = _format_number(trace, q.value)
            console.print(_terminal_text(f"  not quite: {q.prompt} = {q.working} = {shown}"))
    _print_score(console, score)


def _ask(prompt: str) -> str | None:
    """An answer that is a number, asking again otherwise; None at end of input or Ctrl-C."""
    from ..render.quiz import is_right

    ask = _terminal_text(f"{prompt} = ")
    while True:
        try:
            answer = input(ask)
        except (EOFError, KeyboardInterrupt):
            return None
        if is_right(answer, 0.0, 0) is not None:
            return answer
        ask = _terminal_text(f"  not a number; {prompt} = ")


def _format_number(trace, value: float) -> str:
    from ..numbers import NumberFormat

    h = trace.header
    return NumberFormat(h.digits, h.rounding, h.fixed).format(value)


def _print_score(console: Console, score: dict[str, list[int]]) -> None:
    right = sum(r for r, _ in score.values())
    asked = sum(a for _, a in score.values())
    parts = [f"{section} {r}/{a}" for section, (r, a) in score.items()]
    console.print(f"Score: {right}/{asked}" + (f" ({', '.join(parts)})" if parts else ""))


@app.command()
def new(
    shape: Annotated[str, typer.Option(help="Layer sizes, inputs first, e.g. 2-2-2.")] = "2-2-2",
    activations: Annotated[
        str, typer.Option(help="One activation for every layer, or one per layer: sigmoid,linear.")
    ] = "sigmoid",
    loss: Annotated[str, typer.Option(help="The loss.")] = "half_sse",
    learning_rate: Annotated[float, typer.Option(help="The learning rate.", min=0.001)] = 0.5,
    seed: Annotated[int, typer.Option(help="The same seed gives the same exercise.")] = 0,
    digits: Annotated[int, typer.Option(help="Decimals of the given numbers.", min=1, max=2)] = 1,
    format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="markdown or latex.")
    ] = OutputFormat.markdown,
    output_dir: Annotated[
        Path | None, typer.Option(help="The folder to write to (default exercise-SEED).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite the files if they exist.")] = False,
) -> None:
    """A fresh exercise: a spec, an answer key with every value, and a worksheet to fill in."""
    from ..engine import run as run_spec
    from ..exercise import ExerciseSettings, generate, parse_shape
    from ..render.rich_tables import WorkedExample
    from ..render.table_export import latex_tables, markdown_tables

    if format not in (OutputFormat.markdown, OutputFormat.latex):
        raise _fail("--format: the answer key and worksheet are markdown or latex")
    try:
        sizes = parse_shape(shape)
    except ValueError as exc:
        raise _fail(f"--shape {exc}") from None
    names = [a.strip() for a in activations.split(",")]
    names = names * (len(sizes) - 1) if len(names) == 1 else names
    if len(names) != len(sizes) - 1:
        raise _fail(
            f"--activations: {len(names)} for {len(sizes) - 1} layers; give one or one per layer"
        )
    folder = output_dir or Path(f"exercise-{seed}")
    ext = "md" if format is OutputFormat.markdown else "tex"
    files = [folder / "exercise.yaml", folder / f"answers.{ext}", folder / f"worksheet.{ext}"]
    for path in files:
        _refuse_overwrite(path, force)
    settings = ExerciseSettings(sizes, tuple(names), loss, learning_rate, seed, digits)
    try:
        text, spec = generate(settings, f"A {shape} exercise")
    except (SpecError, ValueError) as error:
        raise _fail(str(error)) from None
    example = WorkedExample(run_spec(spec))
    write = markdown_tables if format is OutputFormat.markdown else latex_tables
    folder.mkdir(parents=True, exist_ok=True)
    for path, content in zip(
        files, (text, write(example), write(example, blank=True)), strict=True
    ):
        _emit(content, path)
    _show(f"Wrote {', '.join(str(p) for p in files)}")


@app.command()
def draw(
    spec: Annotated[
        Path, typer.Argument(help="The network spec, a YAML file.", show_default=False)
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="net.svg or net.png.")] = Path(
        "net.svg"
    ),
    force: Annotated[
        bool,
        typer.Option(help="Overwrite the file if it exists; draw a network of any size."),
    ] = False,
    notation: Annotated[str | None, typer.Option(help="Label in another notation.")] = None,
) -> None:
    """A picture of the network after one step: units, weights on the edges, outputs, deltas."""
    from ..engine import run as run_spec
    from ..examples_index import resolve
    from ..scale import DRAW_LIMIT, parameter_count
    from ..spec import load_spec

    _known_notation(notation)
    if output.suffix.lower() not in (".svg", ".png"):
        raise _fail(f"--output {output}: draw writes .svg or .png")
    _refuse_overwrite(output, force)
    try:
        loaded = load_spec(resolve(spec))
        parameters = parameter_count(loaded)
        if parameters > DRAW_LIMIT and not force:
            raise _fail(
                f"{loaded.file}: {parameters:,} weights and biases are more than the "
                f"{DRAW_LIMIT} a picture can label; add --force to draw it anyway (slowly), "
                "or use run for the numbers"
            )
        trace = run_spec(loaded)
    except (SpecError, TrainingError) as error:
        raise _fail(str(error)) from None
    try:
        from ..render.network_picture import draw as draw_network

        draw_network(trace, output, notation)
    except ImportError as exc:
        raise _fail(
            f"draw needs matplotlib and networkx ({exc.name} is missing); "
            "pip install 'backprop-tutor[draw]'"
        ) from None
    except OSError as exc:
        raise _fail(f"cannot write {output}: {exc.strerror}") from None
    _show(f"Wrote {output}")
