"""The command line: the only place that makes a Console, reads paths and sets exit codes.

Exit codes: 0 done, 1 a check found a mismatch, 2 bad input or usage. A `SpecError` becomes one
red line on standard error; a traceback reaching a user is a bug.
"""

from __future__ import annotations

import io
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from .errors import SpecError, TrainingError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Turn a YAML feed-forward network into a complete worked example of backpropagation.",
)

EXIT_MISMATCH = 1
EXIT_BAD_INPUT = 2


class OutputFormat(str, Enum):
    text = "text"
    json = "json"
    latex = "latex"
    markdown = "markdown"
    html = "html"
    svg = "svg"


def _math_export(doc, format: OutputFormat) -> str | None:
    """LaTeX or Markdown of a derivation document; None for text."""
    if format is OutputFormat.latex:
        from .render.latex_out import latex_document

        return latex_document(doc)
    if format is OutputFormat.markdown:
        from .render.markdown_out import markdown_document

        return markdown_document(doc)
    return None


@app.callback()
def _main() -> None:
    """backprop-tutor: every forward value, chain-rule factor, delta, gradient and update."""
    # A callback keeps `run` a subcommand; without one Typer would read `run` as a file name.


def _fail(message: str) -> typer.Exit:
    """One red line on standard error; the caller raises the returned exit (code 2)."""
    # Messages hold ids such as net[o1]: escaped, or Rich would read them as markup tags.
    Console(stderr=True, highlight=False).print(
        f"[bold red]error:[/] {escape(message)}", markup=True, soft_wrap=True
    )
    return typer.Exit(EXIT_BAD_INPUT)


@app.command()
def run(
    spec: Annotated[
        Path, typer.Argument(help="The network spec, a YAML file.", show_default=False)
    ],
    format: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", help="text, json, markdown, latex, html or svg."),
    ] = OutputFormat.text,
    width: Annotated[
        int | None, typer.Option(help="Output width in columns.", min=40, max=400)
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")] = (
        None
    ),
    force: Annotated[bool, typer.Option(help="Overwrite the --output file if it exists.")] = False,
    symbolic: Annotated[
        bool, typer.Option("--symbolic", help="Derive each gradient with SymPy, factor by factor.")
    ] = False,
    only: Annotated[
        str | None, typer.Option(help="Parameters to derive, e.g. w5,w1 (implies --symbolic).")
    ] = None,
    notation: Annotated[
        str | None,
        typer.Option(
            help="Print in another lecture's notation: generic, dawood, borela, "
            "mitchell, xu, layered."
        ),
    ] = None,
) -> None:
    """Print one lecture-style worked example: forward pass, error, backward pass, updates."""
    from .engine import run as run_spec
    from .examples_index import resolve
    from .spec import load_spec

    _known_notation(notation)
    _refuse_overwrite(output, force)
    try:
        trace = run_spec(load_spec(resolve(spec)))
    except (SpecError, TrainingError) as error:
        raise _fail(str(error)) from None
    if symbolic or only:
        content = _print_derivations(trace, only, width, format, notation, output is not None)
    else:
        content = _tables(trace, format, width, notation, output is not None)
    _emit(content, output)


def _tables(
    trace, format: OutputFormat, width: int | None, notation: str | None, to_file: bool
) -> str | None:
    """The worked example in a format; None when it went straight to the terminal."""
    from .render.rich_tables import WorkedExample

    example = WorkedExample(trace, notation)
    if format is OutputFormat.json:
        from .render.json_out import trace_json

        return trace_json(trace) + "\n"
    if format is OutputFormat.markdown:
        from .render.table_export import markdown_tables

        return markdown_tables(example)
    if format is OutputFormat.latex:
        from .render.table_export import latex_tables

        return latex_tables(example)
    return _recorded(example, format, width, to_file)


def _recorded(renderable, format: OutputFormat, width: int | None, to_file: bool) -> str | None:
    """Text, HTML or SVG from Rich's recording of what the terminal shows."""
    if format is OutputFormat.text and not to_file:
        Console(width=width, highlight=False).print(renderable)
        return None
    styled = format in (OutputFormat.html, OutputFormat.svg)
    console = Console(
        record=True,
        file=io.StringIO(),
        width=width or 100,
        highlight=False,
        force_terminal=styled,
        color_system="truecolor" if styled else None,
    )
    console.print(renderable)
    if format is OutputFormat.html:
        return console.export_html(inline_styles=True)
    if format is OutputFormat.svg:
        return console.export_svg(title="backprop-tutor")
    return console.export_text()


def _refuse_overwrite(output: Path | None, force: bool) -> None:
    if output is not None and output.exists() and not force:
        raise _fail(f"{output} exists; add --force to overwrite it, or choose another file")


def _emit(content: str | None, output: Path | None) -> None:
    """To standard output, or written atomically: a partial file never replaces a whole one."""
    if content is None:
        return
    if output is None:
        sys.stdout.write(content)
        return
    partial = output.with_name(f".{output.name}.partial")
    try:
        partial.write_text(content, encoding="utf-8")
        partial.replace(output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise _fail(f"cannot write {output}: {exc.strerror}") from None


def _known_notation(name: str | None) -> None:
    """--notation must name a notation; one line with the choices otherwise."""
    from .notation import NOTATIONS
    from .spec_data import closest

    if name is not None and name not in NOTATIONS:
        raise _fail(f"--notation: no notation '{name}'; {closest(name, NOTATIONS)}")


def _print_derivations(
    trace,
    only: str | None,
    width: int | None,
    format: OutputFormat = OutputFormat.text,
    notation: str | None = None,
    to_file: bool = False,
) -> str | None:
    """`--symbolic`: SymPy is imported here and only here on the run path."""
    from .derivation import derive
    from .render.symbolic_view import Derivations
    from .spec_data import closest

    known = [g.param for g in trace.steps[0].gradients]
    chosen = [p.strip() for p in only.split(",") if p.strip()] if only else None
    for name in chosen or []:
        if name not in known:
            raise _fail(f"--only: no parameter '{name}'; {closest(name, known)}")
    if format is OutputFormat.json:
        raise _fail("--symbolic prints text, markdown, latex, html or svg, not json")
    derivations = derive(trace, chosen, notation=notation)
    if format in (OutputFormat.latex, OutputFormat.markdown):
        from .render.math_doc import DocumentBuilder

        title = trace.header.title or trace.header.file
        doc = DocumentBuilder(trace, notation).parameters(derivations, title)
        return _math_export(doc, format)
    return _recorded(Derivations(derivations, trace, notation), format, width, to_file)


@app.command()
def derive(
    name: Annotated[
        str,
        typer.Argument(
            help="An activation, a loss, softmax_cross_entropy, "
            "sigmoid_binary_cross_entropy or recursion.",
            show_default=False,
        ),
    ],
    width: Annotated[
        int | None, typer.Option(help="Output width in columns.", min=40, max=400)
    ] = None,
    format: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", help="text, json, markdown, latex, html or svg."),
    ] = OutputFormat.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")] = (
        None
    ),
    force: Annotated[bool, typer.Option(help="Overwrite the --output file if it exists.")] = False,
) -> None:
    """Derive a formula the lectures derive by hand, each step checked by SymPy."""
    from .render.derive_view import DerivationView
    from .spec_data import closest
    from .textbook import DERIVATIONS

    if name not in DERIVATIONS:
        raise _fail(f"nothing to derive called '{name}'; {closest(name, DERIVATIONS)}")
    _refuse_overwrite(output, force)
    derivation = DERIVATIONS[name]()
    if format is OutputFormat.json:
        from .render.json_out import derivation_json

        content = derivation_json(derivation)
    elif format in (OutputFormat.latex, OutputFormat.markdown):
        from .render.math_doc import DocumentBuilder

        content = _math_export(DocumentBuilder().textbook(derivation), format)
    else:
        content = _recorded(DerivationView(derivation), format, width, output is not None)
    _emit(content, output)


@app.command()
def check(
    spec: Annotated[
        Path, typer.Argument(help="The network spec, a YAML file.", show_default=False)
    ],
    claims: Annotated[
        Path, typer.Argument(help="Claims: trace ids to numbers or formulas.", show_default=False)
    ],
    width: Annotated[
        int | None, typer.Option(help="Output width in columns.", min=40, max=400)
    ] = None,
) -> None:
    """Check claimed numbers (slides, a hand calculation) against the engine: exit 1 if any is
    wrong, with the first quantity each mistake touches and the mistake's name."""
    from .check import Checker
    from .claims import load_claims
    from .examples_index import resolve
    from .render.check_view import CheckReport
    from .spec import load_spec

    try:
        checker = Checker(load_spec(resolve(spec)))
        verdicts = checker.check(load_claims(claims, set(checker.v)))
        verdicts += _formula_verdicts(checker, claims)
    except (SpecError, TrainingError) as error:
        raise _fail(str(error)) from None
    Console(width=width, highlight=False).print(CheckReport(verdicts))
    if not all(v.ok for v in verdicts):
        raise typer.Exit(EXIT_MISMATCH)


def _formula_verdicts(checker, claims_path: Path) -> list:
    """Formula claims are compared with SymPy, which is imported only when there are some."""
    from .claims import load_claims

    formulas = [c for c in load_claims(claims_path, set(checker.v)) if c.is_formula]
    if not formulas:
        return []
    from .formula import check_formulas

    return check_formulas(checker, formulas, str(claims_path))


@app.command()
def gradcheck(
    spec: Annotated[
        Path, typer.Argument(help="The network spec, a YAML file.", show_default=False)
    ],
    torch: Annotated[
        bool, typer.Option("--torch", help="Also compare with PyTorch's autograd (if installed).")
    ] = False,
    width: Annotated[
        int | None, typer.Option(help="Output width in columns.", min=40, max=400)
    ] = None,
) -> None:
    """Every parameter's gradient against central finite differences (and PyTorch): exit 1 if
    any disagrees."""
    from .examples_index import resolve
    from .gradcheck import gradcheck as check_gradients
    from .gradcheck import torch_check
    from .render.gradcheck_view import GradcheckReport
    from .spec import load_spec

    try:
        network_spec = load_spec(resolve(spec))
        checks = {"central differences": check_gradients(network_spec)}
    except (SpecError, TrainingError) as error:
        raise _fail(str(error)) from None
    if torch:
        try:
            import torch as _  # noqa: F401
        except ImportError:
            raise _fail(
                "--torch needs PyTorch, which is not installed; pip install torch"
            ) from None
        checks["PyTorch autograd"] = torch_check(network_spec)
    Console(width=width, highlight=False).print(GradcheckReport(checks))
    if not all(c.passed for found in checks.values() for c in found):
        raise typer.Exit(EXIT_MISMATCH)


@app.command()
def examples() -> None:
    """List the bundled lecture examples: `backprop-tutor run NAME` works from any folder."""
    from .examples_index import list_examples
    from .render.rich_tables import Grid

    table = Grid("Bundled examples (backprop-tutor run NAME, train NAME, check NAME CLAIMS)")
    table.column("name", numeric=False)
    table.column("title", numeric=False)
    for name, title in list_examples():
        table.row(name, title)
    Console(highlight=False).print(table.table())


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
    from .engine import run as run_spec
    from .examples_index import resolve
    from .render.quiz import is_right, questions
    from .spec import load_spec

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
            console.print(f"  not quite: {q.prompt} = {q.working} = {shown}")
    _print_score(console, score)


def _ask(prompt: str) -> str | None:
    """An answer that is a number, asking again otherwise; None at end of input or Ctrl-C."""
    from .render.quiz import is_right

    ask = f"{prompt} = "
    while True:
        try:
            answer = input(ask)
        except (EOFError, KeyboardInterrupt):
            return None
        if is_right(answer, 0.0, 0) is not None:
            return answer
        ask = f"  not a number; {prompt} = "


def _format_number(trace, value: float) -> str:
    from .numbers import NumberFormat

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
    from .engine import run as run_spec
    from .exercise import ExerciseSettings, generate, parse_shape
    from .render.rich_tables import WorkedExample
    from .render.table_export import latex_tables, markdown_tables

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
    Console(highlight=False).print(f"Wrote {', '.join(str(p) for p in files)}")


@app.command()
def draw(
    spec: Annotated[
        Path, typer.Argument(help="The network spec, a YAML file.", show_default=False)
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="net.svg or net.png.")] = Path(
        "net.svg"
    ),
    force: Annotated[bool, typer.Option(help="Overwrite the file if it exists.")] = False,
    notation: Annotated[str | None, typer.Option(help="Label in another notation.")] = None,
) -> None:
    """A picture of the network after one step: units, weights on the edges, outputs, deltas."""
    from .engine import run as run_spec
    from .examples_index import resolve
    from .spec import load_spec

    _known_notation(notation)
    if output.suffix.lower() not in (".svg", ".png"):
        raise _fail(f"--output {output}: draw writes .svg or .png")
    _refuse_overwrite(output, force)
    try:
        trace = run_spec(load_spec(resolve(spec)))
    except (SpecError, TrainingError) as error:
        raise _fail(str(error)) from None
    try:
        from .render.network_picture import draw as draw_network

        draw_network(trace, output, notation)
    except ImportError as exc:
        raise _fail(
            f"draw needs matplotlib and networkx ({exc.name} is missing); "
            "pip install 'backprop-tutor[draw]'"
        ) from None
    except OSError as exc:
        raise _fail(f"cannot write {output}: {exc.strerror}") from None
    Console(highlight=False).print(f"Wrote {output}")


@app.command()
def schema() -> None:
    """Print the spec format's JSON Schema (from the pydantic models), for editors."""
    import json

    from .spec_file import SpecFile

    sys.stdout.write(json.dumps(SpecFile.model_json_schema(by_alias=True), indent=2) + "\n")


@app.command()
def validate(
    spec: Annotated[
        Path, typer.Argument(help="The network spec, a YAML file.", show_default=False)
    ],
) -> None:
    """Check a spec file without running it: exit 0 and a summary, or one line and exit 2."""
    from .examples_index import resolve
    from .spec import load_spec

    try:
        loaded = load_spec(resolve(spec))
    except SpecError as error:
        raise _fail(str(error)) from None
    shape = "-".join(
        str(n) for n in (len(loaded.input_names), *(len(layer.units) for layer in loaded.layers))
    )
    weights = sum(len(row) for layer in loaded.layers for row in layer.weight_names)
    parameters = weights + sum(len(layer.bias_names) for layer in loaded.layers)
    Console(highlight=False).print(
        f"{spec}: valid; a {shape} network, {parameters} parameters, "
        f"{len(loaded.examples)} example(s), loss {loaded.loss}",
        soft_wrap=True,
    )


def _trace_updates(text: str | None) -> set[int]:
    """`1,2,last` -> {1, 2, LAST}; anything else is a usage error (exit 2)."""
    from .train import LAST

    if not text:
        return set()
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


@app.command()
def train(
    spec: Annotated[
        Path, typer.Argument(help="The network spec, a YAML file.", show_default=False)
    ],
    trace_steps: Annotated[
        str | None, typer.Option(help="Updates to print in full, e.g. 1,2,last.")
    ] = None,
    plot: Annotated[
        Path | None, typer.Option(help="Save the loss curve as a PNG (matplotlib).")
    ] = (None),
    force: Annotated[bool, typer.Option(help="Overwrite the --plot file if it exists.")] = False,
    every: Annotated[int | None, typer.Option(help="Loss table every K epochs.", min=1)] = None,
    width: Annotated[
        int | None, typer.Option(help="Output width in columns.", min=40, max=400)
    ] = None,
    format: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", help="text, json, markdown, latex, html or svg."),
    ] = OutputFormat.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")] = (
        None
    ),
) -> None:
    """Train until a stopping rule holds; print the losses, the result and chosen steps."""
    from .engine import header
    from .examples_index import resolve
    from .render.train_view import TrainingReport
    from .spec import load_spec
    from .trace import Trace
    from .train import train as train_spec

    updates = _trace_updates(trace_steps)
    _refuse_overwrite(plot, force)
    _refuse_overwrite(output, force)
    console = Console(width=width, highlight=False, stderr=format is not OutputFormat.text)
    try:
        network_spec = load_spec(resolve(spec))
        limit = network_spec.training.epochs or network_spec.training.max_epochs
        with _progress(console, limit) as advance:
            result = train_spec(network_spec, updates, advance)
    except (SpecError, TrainingError) as error:
        raise _fail(str(error)) from None
    steps = tuple(result.traced[k] for k in sorted(result.traced))
    trace = Trace(header(network_spec), steps)
    if format is OutputFormat.json:
        from .render.json_out import training_json

        content: str | None = training_json(result, trace)
    elif format in (OutputFormat.markdown, OutputFormat.latex):
        from .render.table_export import latex_tables, markdown_tables

        write = markdown_tables if format is OutputFormat.markdown else latex_tables
        content = write(TrainingReport(result, trace, every))
    else:
        content = _recorded(TrainingReport(result, trace, every), format, width, output is not None)
    _emit(content, output)
    if plot is not None:
        _save_plot(result.losses, plot, network_spec.title or str(spec))
        console.print(f"Loss curve saved to {plot}")


def _progress(console: Console, total: int):
    """A transient progress bar in a terminal; nothing when piped."""
    from contextlib import contextmanager

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    @contextmanager
    def bar():
        with Progress(
            TextColumn("epoch"),
            MofNCompleteColumn(),
            BarColumn(),
            TextColumn("loss {task.fields[loss]}"),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        ) as progress:
            task = progress.add_task("train", total=total, loss="")

            def advance(epoch: int, loss: float) -> None:
                if epoch % 50 == 0 or epoch == total:
                    progress.update(task, completed=epoch, loss=f"{loss:.5g}")

            yield advance

    return bar()


def _save_plot(losses: list[float], path: Path, title: str) -> None:
    """The loss per epoch with matplotlib (an optional extra), written atomically."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise _fail(
            "--plot needs matplotlib, which is not installed; pip install 'backprop-tutor[plot]'"
        ) from None
    figure, axes = plt.subplots(figsize=(7, 4))
    axes.plot(range(1, len(losses) + 1), losses)
    axes.set(xlabel="epoch", ylabel="loss", title=title)
    axes.grid(alpha=0.3)
    partial = path.with_name(f".{path.name}.partial")
    try:
        figure.savefig(partial, format="png", dpi=120, bbox_inches="tight")
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise _fail(f"cannot write {path}: {exc.strerror}") from None
    finally:
        plt.close(figure)


def main() -> None:
    """Console-script entry point."""
    app()
