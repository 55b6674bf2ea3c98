"""`train`: the progress bar, the report, `--trace-steps`, `--plot`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from backprop_tutor.cli.common import (
    DataAnywhereOption,
    OutputOption,
    SpecArgument,
    WidthOption,
    _console,
    _document,
    _fail,
    _load_spec,
    _notice,
    _refuse_normalized,
    _trace_updates,
    _traced_or_said,
    _written,
    app,
    examples_epilog,
    format_choices,
    format_option,
    path_option,
)
from backprop_tutor.cli.outputs import (
    _emit,
    _refuse_overwrite,
    _write,
)
from backprop_tutor.core.errors import SpecError, TrainingError
from backprop_tutor.render.glyphs import for_stream

TrainFormat = format_choices("training report", "matrix form")


# train's own options, each with its help (the command's signature lists them by these names)
_TraceSteps = Annotated[str | None, typer.Option(help="Updates to print in full, e.g. 1,2,last.")]
_Plot = Annotated[
    Path | None,
    path_option(
        "--plot",
        help="Save the loss curve as a PNG (matplotlib).",
        what="name a PNG, e.g. loss.png",
    ),
]
_Force = Annotated[bool, typer.Option(help="Overwrite the --plot file if it exists.")]
_Every = Annotated[int | None, typer.Option(help="Loss table every K epochs.", min=1)]
_Matrix = Annotated[
    bool,
    typer.Option(
        "--matrix",
        help="Print the --trace-steps updates as matrices (a batch: a column per "
        "example) instead of the report.",
    ),
]


@app.command(
    epilog=examples_epilog(
        "backprop-tutor train configs/xor.yaml",
        "backprop-tutor train configs/xor.yaml --trace-steps 1,last --plot loss.png",
        "backprop-tutor train configs/xu-mini-batch.yaml --trace-steps 1 --matrix",
    )
)
def train(
    spec: SpecArgument,
    trace_steps: _TraceSteps = None,
    plot: _Plot = None,
    force: _Force = False,
    every: _Every = None,
    width: WidthOption = None,
    format: format_option(TrainFormat) = TrainFormat.text,  # type: ignore[valid-type]
    output: OutputOption = None,
    matrix: _Matrix = False,
    allow_data_anywhere: DataAnywhereOption = False,
) -> None:
    """Train until a stopping rule holds; print the losses, the result and chosen steps."""
    from backprop_tutor.core.trace import Trace
    from backprop_tutor.record import header
    from backprop_tutor.train import train as train_spec

    updates = _trace_updates(trace_steps)
    if matrix and not updates:
        raise _fail("--matrix prints traced updates as matrices: add --trace-steps 1 (or 1,last)")
    _document("matrix form" if matrix else "training report", format)
    _refuse_files(spec, plot, output, force)
    console = _console(width, stderr=format is not TrainFormat.text)
    try:
        network_spec = _load_spec(spec, allow_data_anywhere, output, plot)
        _refuse_normalized(network_spec, matrix, False)  # before training, not after
        _unused_masks(network_spec)  # (train refuses updates no run can reach, before work)
        limit = network_spec.training.epochs or network_spec.training.max_epochs
        with _progress(console, limit) as advance:
            result = train_spec(network_spec, updates, advance)
    except (SpecError, TrainingError) as error:
        raise _fail(error) from None
    steps = tuple(result.traced[k] for k in sorted(result.traced))
    trace = Trace(header(network_spec), steps)
    if updates:
        _traced_or_said(updates, result)
    to_file = output is not None
    if matrix:
        content = _written("matrix form", format, width, to_file, trace, True)
    else:
        content = _written("training report", format, width, to_file, result, trace, every)
    _emit(content, output, force, format.value)
    if plot is not None:
        _save_plot(result.losses, plot, network_spec.title or str(spec), force)


def _refuse_files(spec: Path, plot: Path | None, output: Path | None, force: bool) -> None:
    """What stands in the way of the files train writes, said before training rather than
    after it (which may take minutes): a file there without --force, the spec itself,
    matplotlib missing for --plot, --plot and --output naming one file."""
    _refuse_overwrite(plot, force, spec)
    if plot is not None and not _plotting_installed():
        raise _fail(PLOT_MISSING)
    _refuse_overwrite(output, force, spec)
    if plot is not None and output is not None and plot.resolve() == output.resolve():
        raise _fail(f"--plot and --output both name {output}: give each its own file")


def _unused_masks(spec) -> None:
    """Masks the file gives, which training does not use: a line on stderr before it starts."""
    for number, layer in enumerate(spec.layers, 1):
        if layer.dropout is not None and layer.dropout.masks:
            _notice(
                f"dropout: layer {number}'s mask: is for run's steps; train draws a new mask "
                f"every update from seed {layer.dropout.seed}"
            )


def _progress(console: Console, total: int):
    """A transient progress bar in a terminal; when piped, a line on stderr about every 10 s
    (never on stdout, which may be the report), so a long run is not silent."""
    from contextlib import contextmanager, nullcontext

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from backprop_tutor.train import ProgressLines

    if not console.is_terminal:
        return nullcontext(ProgressLines(total, _progress_line))

    @contextmanager
    def bar():
        with Progress(
            TextColumn("epoch"),
            MofNCompleteColumn(),
            BarColumn(),
            TextColumn("loss {task.fields[loss]}"),
            TimeRemainingColumn(),
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


def _progress_line(line: str) -> None:
    """One progress line on stderr, in ASCII where it has no Unicode; a closed or full stderr
    must not stop the training it only reports on."""
    import sys

    try:
        sys.stderr.write(for_stream(line, sys.stderr) + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


PLOT_MISSING = (
    "--plot needs matplotlib, which is not installed; "
    "pip install 'backprop-tutor[plot]' (in the project folder: pip install '.[plot]')"
)


def _plotting_installed() -> bool:
    """Whether matplotlib can be imported, found without importing it (half a second)."""
    import importlib.util

    return importlib.util.find_spec("matplotlib") is not None


def _save_plot(losses: list[float], path: Path, title: str, force: bool) -> None:
    """The loss per epoch with matplotlib (an optional extra), written atomically."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise _fail(PLOT_MISSING) from None
    figure, axes = plt.subplots(figsize=(7, 4))
    axes.plot(range(1, len(losses) + 1), losses)
    axes.set(xlabel="epoch", ylabel="loss")
    axes.set_title(title, parse_math=False)  # user text: "$" must not start mathtext
    axes.grid(alpha=0.3)
    try:
        png = {"format": "png", "dpi": 120, "bbox_inches": "tight"}
        _write(path, lambda f: figure.savefig(f, **png), force, "the loss curve")
    finally:
        plt.close(figure)
