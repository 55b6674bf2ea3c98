"""`check`, `gradcheck`, `schema` and `validate`: what is right, and what is valid."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from backprop_tutor.cli.common import (
    EXIT_MISMATCH,
    DataAnywhereOption,
    SpecArgument,
    WidthOption,
    _document,
    _fail,
    _load_spec,
    _named_parameters,
    _show,
    _written,
    app,
    examples_epilog,
    format_choices,
    format_option,
    path_argument,
)
from backprop_tutor.cli.outputs import (
    _emit,
)
from backprop_tutor.core.errors import SpecError, TrainingError

CheckFormat = format_choices("check report")
GradcheckFormat = format_choices("gradcheck report")


@app.command(
    epilog=examples_epilog(
        "backprop-tutor run configs/dawood.yaml --claims-template mine.yaml",
        "backprop-tutor check configs/dawood.yaml mine.yaml",
        "backprop-tutor check configs/dawood.yaml mine.yaml -f json",
    )
)
def check(
    spec: SpecArgument,
    claims: Annotated[
        Path,
        path_argument(
            "Claims: trace ids to numbers or formulas.",
            "name a claims file, e.g. golden/dawood.values.yaml",
        ),
    ],
    width: WidthOption = None,
    format: format_option(CheckFormat) = CheckFormat.text,  # type: ignore[valid-type]
    allow_data_anywhere: DataAnywhereOption = False,
) -> None:
    """Check claimed numbers (slides, a hand calculation) against the engine: exit 1 if any is
    wrong, with the first quantity each mistake touches and the mistake's name."""
    from backprop_tutor.teach.check import Checker

    _document("check report", format)
    try:
        checker = Checker(_load_spec(spec, allow_data_anywhere))
        read = checker.load(claims)
        verdicts = checker.check(read)
        verdicts = checker.in_hand_order(verdicts + _formula_verdicts(checker, read, claims))
    except (SpecError, TrainingError) as error:
        raise _fail(error) from None
    header = checker.trace.header
    report = _written("check report", format, width, False, verdicts, checker.sign, header)
    _emit(report, None, False, format.value)
    if not all(v.ok for v in verdicts):
        raise typer.Exit(EXIT_MISMATCH)


def _formula_verdicts(checker, claims: list, claims_path: Path) -> list:
    """Formula claims are compared with SymPy, which is imported only when there are some."""

    formulas = [c for c in claims if c.is_formula]
    if not formulas:
        return []
    from backprop_tutor.teach.formula import check_formulas

    return check_formulas(checker, formulas, str(claims_path))


@app.command(
    epilog=examples_epilog(
        "backprop-tutor gradcheck configs/borela.yaml",
        "backprop-tutor gradcheck configs/dawood.yaml --only w5,w1 --torch",
    )
)
def gradcheck(
    spec: SpecArgument,
    torch: Annotated[
        bool, typer.Option("--torch", help="Also compare with PyTorch's autograd (if installed).")
    ] = False,
    only: Annotated[
        str | None, typer.Option(help="Parameters to check, e.g. w5,w1 (default: all).")
    ] = None,
    force: Annotated[
        bool,
        typer.Option(help="Check every parameter, however many (default: a sample past 1,000)."),
    ] = False,
    width: WidthOption = None,
    format: format_option(GradcheckFormat) = GradcheckFormat.text,  # type: ignore[valid-type]
    allow_data_anywhere: DataAnywhereOption = False,
) -> None:
    """Every parameter's gradient against central finite differences (and PyTorch): exit 1 if
    any disagrees."""
    from backprop_tutor.spec.limits import parameter_count
    from backprop_tutor.teach.gradcheck import SAMPLE_LIMIT, rule
    from backprop_tutor.teach.gradcheck import gradcheck as check_gradients

    _document("gradcheck report", format)
    try:
        network_spec = _load_spec(spec, allow_data_anywhere)
        known = {name for layer in network_spec.layers for name in layer.param_order}
        chosen = None if only is None else set(_named_parameters(only, known))
        limit = None if force else SAMPLE_LIMIT
        checks = {"central differences": check_gradients(network_spec, chosen, limit)}
    except (SpecError, TrainingError) as error:
        raise _fail(error) from None
    rules = {"central differences": rule()}
    if torch:
        _torch_checks(network_spec, chosen, checks, rules)
    sampled = chosen is None and not force
    note = _gradcheck_note(network_spec)
    counted = parameter_count(network_spec) if sampled else None
    report = (checks, counted, rules, note)
    _emit(_written("gradcheck report", format, width, False, *report), None, False, format.value)
    if not all(c.passed for found in checks.values() for c in found):
        raise typer.Exit(EXIT_MISMATCH)


def _gradcheck_note(spec) -> str:
    """What to know before reading a mismatch: an update rule that is not the loss's gradient,
    or a batch-normalized unit so narrow that the differences lose their digits."""
    from backprop_tutor.teach.gradcheck import NARROW, narrowest

    if spec.update == "layer_by_layer":
        return (
            "This spec's `update: layer_by_layer` sends the hidden deltas back through weights "
            "already updated, so its hidden gradients are not the loss's gradient: a mismatch "
            "there is the update rule, not the arithmetic."
        )
    spread = narrowest(spec)
    if spread < NARROW:
        return (
            f"A batch-normalized unit's net inputs are almost alike (√(σ² + ε) = {spread:.2g}): "
            "the loss turns on that scale, so central differences lose digits there; "
            "--torch (autograd) is the reference for it."
        )
    return ""


def _torch_checks(network_spec, chosen: set[str] | None, checks: dict, rules: dict) -> None:
    """PyTorch's autograd on the gradients, and torch.optim replaying the optimizer's first
    updates, added to `checks` with their tolerance rules; torch imported only here."""
    from backprop_tutor.teach.gradcheck import (
        TORCH_FLOOR,
        TORCH_TOLERANCE,
        UPDATES_CHECKED,
        rule,
        torch_check,
        torch_update_check,
    )

    try:
        import torch as _  # noqa: F401
    except ImportError:
        raise _fail("--torch needs PyTorch, which is not installed; pip install torch") from None
    updates = f"torch.optim, the first {UPDATES_CHECKED} updates"
    checks["PyTorch autograd"] = torch_check(network_spec, chosen)
    try:  # the optimizer's first updates, replayed by torch.optim
        checks[updates] = torch_update_check(network_spec, chosen)
    except TrainingError as error:
        raise _fail(error) from None
    rules["PyTorch autograd"] = rules[updates] = rule(TORCH_TOLERANCE, TORCH_FLOOR)


@app.command(epilog=examples_epilog("backprop-tutor schema > spec.schema.json"))
def schema() -> None:
    """Print the spec format's JSON Schema (from the pydantic models), for editors."""
    import json

    from backprop_tutor.spec.schema import SpecFile

    sys.stdout.write(json.dumps(SpecFile.model_json_schema(by_alias=True), indent=2) + "\n")


@app.command(epilog=examples_epilog("backprop-tutor validate my-network.yaml"))
def validate(
    spec: SpecArgument,
    width: WidthOption = None,
    allow_data_anywhere: DataAnywhereOption = False,
) -> None:
    """Check a spec file without running it: exit 0 and a summary, or exit 2 and every problem
    the format check finds, one line each with its place (other commands say the first)."""
    from backprop_tutor.spec.limits import TRACE_LIMIT, parameter_count, trace_numbers

    try:
        loaded = _load_spec(spec, allow_data_anywhere)
    except SpecError as error:
        *listed, last = error.each()
        for problem in listed:
            _fail(problem)  # printed; the last one's exit is raised
        raise _fail(last) from None
    shape = "-".join(
        str(n) for n in (len(loaded.input_names), *(len(layer.units) for layer in loaded.layers))
    )
    numbers = trace_numbers(loaded)
    traced = (
        f"a worked example of {numbers:,} numbers"
        if numbers <= TRACE_LIMIT
        else f"{numbers:,} numbers, too many for a full worked example (run summarizes it)"
    )
    _show(
        Text(
            f"{spec}: valid; a {shape} network, {parameter_count(loaded):,} parameters, "
            f"{len(loaded.examples):,} example(s), loss {loaded.loss}; {traced}"
        ),
        width=width,
    )
