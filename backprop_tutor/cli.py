"""The command line: the only place that makes a Console, reads paths and sets exit codes.

Exit codes: 0 done, 1 a check found a mismatch, 2 bad input or usage. A `SpecError` becomes one
red line on standard error; a traceback reaching a user is a bug.
"""

from __future__ import annotations

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

EXIT_BAD_INPUT = 2


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


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
    format: Annotated[OutputFormat, typer.Option("--format", "-f", help="text or json.")] = (
        OutputFormat.text
    ),
    width: Annotated[
        int | None, typer.Option(help="Output width in columns.", min=40, max=400)
    ] = None,
) -> None:
    """Print one lecture-style worked example: forward pass, error, backward pass, updates."""
    from .engine import run as run_spec
    from .spec import load_spec

    try:
        trace = run_spec(load_spec(spec))
    except (SpecError, TrainingError) as error:
        raise _fail(str(error)) from None
    if format is OutputFormat.json:
        from .render.json_out import trace_json

        sys.stdout.write(trace_json(trace) + "\n")
        return
    from .render.rich_tables import WorkedExample

    Console(width=width, highlight=False).print(WorkedExample(trace))


def main() -> None:
    """Console-script entry point."""
    app()
