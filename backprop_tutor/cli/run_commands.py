"""`run` (the worked example, its exports, `--symbolic`) and `derive`."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperCommand

from backprop_tutor.cli.common import (
    DataAnywhereOption,
    OutputOption,
    SpecArgument,
    WidthOption,
    _console,
    _document,
    _fail,
    _known_notation,
    _load_spec,
    _named_parameters,
    _recorded,
    _refuse_normalized,
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
    _write_text,
)
from backprop_tutor.core.errors import SpecError, TrainingError
from backprop_tutor.render.formats import DATA, MADE_FOR_FILES, SECTIONS

RunFormat = format_choices("worked example", "derivations", "matrix form")
DeriveFormat = format_choices("textbook derivation")


# run's options, each with its help (the command's signature lists them by these names)
_Force = Annotated[
    bool,
    typer.Option(
        help="Overwrite the --output file if it exists; print a network of any size in full."
    ),
]
_Symbolic = Annotated[
    bool, typer.Option("--symbolic", help="Derive each gradient with SymPy, factor by factor.")
]
_Only = Annotated[
    str | None, typer.Option(help="Parameters to derive, e.g. w5,w1 (implies --symbolic).")
]
_Notation = Annotated[
    str | None,
    typer.Option(
        help="Print in another lecture's notation: generic, dawood, borela, mitchell, xu, layered."
    ),
]
_ClaimsTemplate = Annotated[
    Path | None,
    path_option(
        "--claims-template",
        help="Write a claims file for `check` with every id and no values, in "
        "hand-calculation order, each commented with its label.",
        what="name the claims file to write, e.g. mine.yaml",
    ),
]
_Ids = Annotated[
    bool,
    typer.Option(
        "--ids", help="Print each number's trace id under it: the names a claims file uses."
    ),
]
_Section = Annotated[
    list[str] | None,
    typer.Option(
        help=f"Print only this part (repeatable): {', '.join(SECTIONS)}.", show_default=False
    ),
]
_Param = Annotated[
    str | None,
    typer.Option(help="Only these parameters' gradient and update rows, e.g. w5,w1."),
]
_Matrix = Annotated[
    bool,
    typer.Option(
        "--matrix",
        help="The same step as vectors and matrices, layer by layer: a = W z + b, "
        "δ = (W)ᵀ δ ⊙ φ′(a), ∂E/∂W = δ zᵀ, with their numbers.",
    ),
]


@app.command(
    epilog=examples_epilog(
        "backprop-tutor run configs/dawood.yaml",
        "backprop-tutor run dawood --ids --width 100",
        "backprop-tutor run configs/dawood.yaml --symbolic --only w5",
        "backprop-tutor run configs/dawood.yaml -f latex -o dawood.tex",
        "backprop-tutor run configs/dawood.yaml --matrix -f latex -o matrices.tex",
    )
)
def run(
    spec: SpecArgument,
    format: format_option(RunFormat) = RunFormat.text,  # type: ignore[valid-type]
    width: WidthOption = None,
    output: OutputOption = None,
    force: _Force = False,
    symbolic: _Symbolic = False,
    only: _Only = None,
    notation: _Notation = None,
    claims_template: _ClaimsTemplate = None,
    ids: _Ids = False,
    section: _Section = None,
    param: _Param = None,
    matrix: _Matrix = False,
    allow_data_anywhere: DataAnywhereOption = False,
) -> None:
    """Print one lecture-style worked example: forward pass, error, backward pass, updates."""
    from backprop_tutor.record import run as run_spec

    _known_notation(notation)
    derivations = symbolic or bool(only)
    sections = _sections(section)
    chosen = bool(sections or param)  # tables chosen: --section, --param
    _refuse_together(matrix, derivations, ids, chosen, format, claims_template, notation)
    _refuse_overwrite(claims_template, force, spec)
    document = "derivations" if derivations else "worked example"
    _document("matrix form" if matrix else document, format)
    _refuse_overwrite(output, force, spec)
    to_file = output is not None
    try:
        loaded = _load_spec(spec, allow_data_anywhere, output, claims_template)
        _refuse_normalized(loaded, matrix, derivations)
        bounded = not to_file or symbolic or only is not None
        if not force and bounded and _summarized(loaded, format, width, symbolic, only):
            _summary_replaces_choices(ids or chosen)
            return
        trace = run_spec(loaded)
    except (SpecError, TrainingError) as error:
        raise _fail(error) from None
    if claims_template is not None:
        _write_claims_template(trace, notation, claims_template, force)
    elif matrix:
        _emit(_written("matrix form", format, width, to_file, trace), output, force, format.value)
    elif derivations:
        content = _print_derivations(trace, only, width, format, notation, to_file)
        _emit(content, output, force, format.value)
    else:
        content = _worked_example(trace, notation, ids, sections, param, format, width, to_file)
        _emit(content, output, force, format.value)


def _worked_example(
    trace,
    notation: str | None,
    ids: bool,
    sections: list[str] | None,
    param: str | None,
    format: Enum,
    width: int | None,
    to_file: bool,
) -> str | None:
    """`run`'s own document: the tables of the step, in full or the ones --section and
    --param choose (a --param name checked against the trace's parameters only now: a
    parameter's name is known once the spec is read)."""
    named = None if param is None else _named_parameters(param, _parameters(trace), "--param")
    return _written("worked example", format, width, to_file, trace, notation, ids, sections, named)


def _summary_replaces_choices(choosing: bool) -> None:
    """After a summary, a line on stderr when --ids, --section or --param asked for tables
    the summary does not hold: otherwise they would seem ignored."""
    if choosing:
        print(
            "(--ids, --section and --param choose from the full tables, which this "
            "summary replaces: add --force to print them)",
            file=sys.stderr,
        )


def _write_claims_template(trace, notation: str | None, path: Path, force: bool) -> None:
    """`run --claims-template FILE`: every id of the worked example, no values."""
    from backprop_tutor.render.claims_template import claims_template as template

    note = "fill in your numbers, then `backprop-tutor check`"
    _write_text(path, template(trace, notation), force, note)


def _refuse_together(
    matrix: bool,
    derivations: bool,
    ids: bool,
    chosen: bool,
    format: Enum,
    template: Path | None,
    notation: str | None,
) -> None:
    """Options that ask for different documents, refused together in one line each."""
    json = format.value == "json"
    if matrix and (derivations or ids or chosen or template or notation):
        raise _fail(
            "--matrix prints the matrix form alone, in its own symbols; leave out --symbolic, "
            "--only, --ids, --section, --param, --notation and --claims-template"
        )
    if ids and derivations:
        raise _fail("--ids names the numbers of the tables; the derivations (--symbolic) have none")
    if chosen and (derivations or json):
        raise _fail(
            "--section and --param choose the tables; for the derivations use --only, and "
            "--format json always holds every number"
        )


def _summarized(spec, format: Enum, width: int | None, symbolic: bool, only: str | None) -> bool:
    """Past scale's bounds, a summary and the ways to see more instead of a flood of tables
    (True: done). Formats made for files are refused in one line rather than summarized."""
    from backprop_tutor.spec.limits import ROW_LIMIT, refuse_large_trace, size

    if symbolic or only:  # bounded by SymPy's work, estimated from the spec before it starts
        from backprop_tutor.symbolic.budget import refusal

        refused = refusal(spec, only)
        if refused:
            raise _fail(refused)
        return False
    measured = size(spec)
    if format.value in DATA:  # data for a program, not rows to read: whole, if it fits
        refuse_large_trace(spec)
        return False
    if measured.fits:
        return False
    if format.value in MADE_FOR_FILES:
        refuse_large_trace(spec)  # past the trace bound, neither --force nor --output can help
        raise _fail(
            f"{spec.file}: the worked example is {measured.rows:,} table rows (more than "
            f"{ROW_LIMIT:,}); add --force to print them, or write them with --output FILE"
        )
    from backprop_tutor.render.summary_view import RunSummary
    from backprop_tutor.summary import summarize

    summary = _recorded(RunSummary(spec, measured, summarize(spec)), format, width, False)
    _emit(summary, None, False, format.value)
    return True


def _sections(asked: list[str] | None) -> list[str] | None:
    """`--section` names, checked against SECTIONS (comma-separated ones too); None: all."""
    from backprop_tutor.spec.data import closest

    if not asked:
        return None
    chosen = [name.strip() for text in asked for name in text.split(",") if name.strip()]
    for name in chosen:
        if name not in SECTIONS:
            raise _fail(f"--section: no section '{name}'; {closest(name, SECTIONS)}")
    return chosen


def _parameters(trace) -> set[str]:
    """Every parameter, as the first step's updates name them (a batch's too)."""
    return {u.param for u in trace.steps[0].updates}


def _print_derivations(
    trace,
    only: str | None,
    width: int | None,
    format: Enum = RunFormat.text,
    notation: str | None = None,
    to_file: bool = False,
) -> str | None:
    """`--symbolic`: SymPy is imported here and only here on the run path; how far it got
    goes to standard error (a bar on a terminal), never into the output."""
    import sys

    from backprop_tutor.render.symbolic_view import progress
    from backprop_tutor.symbolic.derivation import derive

    known = _parameters(trace)
    chosen = _named_parameters(only, known) if only else None
    with progress(_console(stderr=True), len(chosen or known), sys.stderr) as advance:
        derivations = derive(trace, chosen, notation=notation, progress=advance)
    return _written("derivations", format, width, to_file, derivations, trace, notation)


class _Derivable(TyperCommand):
    """`derive --help` lists every name derive knows, read off the registries when the help is
    asked for: at start-up that would import them (and numpy) for every command."""

    def format_epilog(self, ctx, formatter) -> None:  # type: ignore[no-untyped-def]
        from backprop_tutor.symbolic.names import derivation_names

        formatter.write_paragraph()
        formatter.write_text(f"Names: {', '.join(derivation_names())}.")
        super().format_epilog(ctx, formatter)


@app.command(
    cls=_Derivable,
    epilog=examples_epilog(
        "backprop-tutor derive sigmoid",
        "backprop-tutor derive softmax_cross_entropy -f latex -o ce.tex",
    ),
)
def derive(
    name: Annotated[
        str,
        typer.Argument(help="What to derive: one of the names below.", show_default=False),
    ],
    width: WidthOption = None,
    format: format_option(DeriveFormat) = DeriveFormat.text,  # type: ignore[valid-type]
    output: OutputOption = None,
    force: Annotated[bool, typer.Option(help="Overwrite the --output file if it exists.")] = False,
) -> None:
    """Derive a formula the lectures derive by hand, each step checked by SymPy."""
    from backprop_tutor.spec.data import closest
    from backprop_tutor.symbolic.textbook import DERIVATIONS

    if name not in DERIVATIONS:
        raise _fail(f"nothing to derive called '{name}'; {closest(name, DERIVATIONS)}")
    _refuse_overwrite(output, force)
    derivation = DERIVATIONS[name]()
    content = _written("textbook derivation", format, width, output is not None, derivation)
    _emit(content, output, force, format.value)
