"""Networks far bigger than a slide: the delta form past the path bound, a summary and a hint
instead of a flood of tables, --force for everything."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml
from child import cli_child
from conftest import CONFIGS, wide_network
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.core.errors import TrainingError
from backprop_tutor.engine import Network
from backprop_tutor.record import run
from backprop_tutor.spec import load_spec
from backprop_tutor.spec.limits import (
    BYTES_PER_NUMBER,
    PATH_LIMIT,
    ROW_LIMIT,
    TRACE_LIMIT,
    TraceTooLarge,
    size,
    step_numbers,
    trace_numbers,
)


@pytest.mark.parametrize("config", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_lecture_example_prints_in_full_with_its_paths(config: Path) -> None:
    measured = size(load_spec(config))
    assert measured.fits and measured.paths_listed, measured


def test_784_256_10_prints_a_summary_and_the_hint(tmp_path: Path) -> None:
    path = wide_network(tmp_path, (784, 256, 10))
    result = CliRunner().invoke(app, ["run", str(path), "--width", "100"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) < 80, len(lines)
    joined = " ".join(result.output.split())  # as words, whatever the wrapping
    assert "203,530 parameters" in joined
    assert f"more than {ROW_LIMIT:,}" in joined
    assert "more than the 200,000 a trace may hold" in joined and "gradcheck" in joined
    # the summary's numbers are the engine's: the loss and the largest gradient
    spec = load_spec(path)
    network = Network(spec)
    p = network.compute(np.array(spec.inputs), np.array(spec.targets))
    assert f"total error {spec.display.format(p.total)}" in result.output
    largest = max(np.abs(g).max() for g in p.grad_w)
    assert spec.display.format(-largest) in result.output


def test_a_big_network_a_trace_can_hold_hints_force_only_and_output(tmp_path: Path) -> None:
    path = wide_network(tmp_path, (60, 40, 10))
    assert size(load_spec(path)).traceable
    result = CliRunner().invoke(app, ["run", str(path), "--width", "100"])
    assert result.exit_code == 0, result.output
    joined = " ".join(result.output.split())
    assert "--force prints all" in joined and "--only w_h1_x1,w_h1_x2" in joined


def test_formats_for_files_are_refused_in_one_line_and_symbolic_asks_for_only(
    tmp_path: Path,
) -> None:
    path = wide_network(tmp_path, (60, 40, 10))
    for args in (["--format", "markdown"], ["--format", "latex"], ["--symbolic"]):
        result = CliRunner().invoke(app, ["run", str(path), *args])
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.count("\n") == 1 and "--force" in result.stderr, result.stderr


def test_json_is_written_whole_within_the_trace_bound(tmp_path: Path) -> None:
    """JSON is data: past the 2,000 table rows it is still written whole (it was refused,
    while the README promised every number); past the trace bound it is refused."""
    path = wide_network(tmp_path, (60, 40, 10))
    result = CliRunner().invoke(app, ["run", str(path), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.output)["values"].keys() == run(load_spec(path)).values().keys()
    big = wide_network(tmp_path, (784, 256, 10), "big.yaml")
    result = CliRunner().invoke(app, ["run", str(big), "--format", "json"])
    assert result.exit_code == 2 and "more than the 200,000" in result.stderr


def test_force_prints_every_gradient_in_the_delta_form(tmp_path: Path) -> None:
    path = wide_network(tmp_path, (30, 40, 10))  # 1,240 hidden parameters, 12,400 paths
    spec = load_spec(path)
    assert size(spec).paths > PATH_LIMIT
    trace = run(spec)
    values = trace.values()
    assert not any(key.startswith("path[") for key in values)
    hidden = [g for g in trace.steps[0].gradients if g.layer == 1]
    assert len(hidden) == 1_240 and all(not g.paths for g in hidden)
    for g in hidden:  # the delta form's product is the gradient the engine computed
        assert np.prod([f.value for f in g.factors]) == pytest.approx(g.gradient, rel=1e-12)
    result = CliRunner().invoke(app, ["run", str(path), "--force", "--width", "120"])
    assert result.exit_code == 0
    assert "hidden gradients in the delta form (12,400 paths" in " ".join(result.output.split())
    assert result.output.count("\n") > 2_500


def test_force_with_output_writes_the_file(tmp_path: Path) -> None:
    path = wide_network(tmp_path, (60, 40, 10))
    out = tmp_path / "all.md"
    result = CliRunner().invoke(app, ["run", str(path), "--format", "markdown", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").count("\n") > ROW_LIMIT


@pytest.mark.parametrize(
    ("units", "said"),
    [
        (10**300, "about 10^300 units, more than the 100,000 a layer may have"),
        (100_001, "100,001 units, more than the 100,000"),
        ([3000, 1000], "up to 3,010,000 weights and biases, more than the 1,000,000 allowed"),
    ],
)
def test_a_network_beyond_the_hard_limits_stops_at_the_count_not_in_memory(
    tmp_path: Path, units: int | list[int], said: str
) -> None:
    """A fuzzed `units: 10**400` once made a name for every unit until memory ran out. Each
    command runs in a child with 1 GB of address space: making the names would pass it."""
    hidden = units if isinstance(units, list) else [units]
    spec = {
        "inputs": [0.5, 0.1],
        "targets": [1],
        "layers": [
            *({"units": n, "activation": "sigmoid", "bias": "init"} for n in hidden),
            {"units": 1, "activation": "sigmoid", "bias": "init"},
        ],
        "loss": "half_sse",
        "learning_rate": 0.1,
    }
    path = tmp_path / "huge.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    for command in ("run", "train", "validate"):
        result = cli_child([command, str(path)], seconds=60, memory=2**30)
        assert result.returncode == 2, result.stderr[-2000:]
        assert "huge.yaml:" in result.stderr and said in result.stderr
        assert "units" in result.stderr and result.stderr.count("\n") == 1


def _floats(value: object) -> int:
    """Python floats inside trace events (slotted dataclasses, tuples), counted one by one."""
    if isinstance(value, float):
        return 1
    if isinstance(value, tuple):
        return sum(map(_floats, value))
    slots = getattr(type(value), "__slots__", ())
    return sum(_floats(getattr(value, name)) for name in slots)


@pytest.mark.parametrize("config", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_lecture_example_is_far_inside_the_trace_bound(config: Path) -> None:
    spec = load_spec(config)
    assert trace_numbers(spec) * 20 <= TRACE_LIMIT, trace_numbers(spec)
    assert size(spec).traceable


@pytest.mark.parametrize(
    "case",
    [
        "dawood",
        "xu-softmax",
        "layered",
        "mitchell-8-3-8",
        "adam",
        "adamw",
        "weight-decay",
        (30, 20, 10),
        (30, 40, 10),
        (4, 5, 3, 2),
    ],
    ids=str,
)
def test_the_estimate_counts_every_number_the_recorder_keeps(tmp_path: Path, case) -> None:
    """Shared biases, softmax's Jacobian, listed paths and the delta form, several steps and
    test examples: the estimate is the trace's own count, not a guess."""
    if isinstance(case, str):
        spec = load_spec(CONFIGS / f"{case}.yaml")
    else:
        spec = replace(load_spec(wide_network(tmp_path, case)), steps=3)
        spec = replace(spec, tests=((spec.inputs, spec.targets),) * 2)
    trace = run(spec)
    predictions = (*trace.tests, trace.after)
    assert trace_numbers(spec) == _floats(trace.steps) + _floats(predictions)


def test_a_traced_number_takes_what_the_bound_assumes(tmp_path: Path) -> None:
    """The bound's calibration: a trace's memory per recorded number (tracemalloc)."""
    import gc
    import tracemalloc

    spec = replace(load_spec(wide_network(tmp_path, (30, 20, 10))), steps=2)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        trace = run(spec)
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert trace.steps and 50 < kept / trace_numbers(spec) <= BYTES_PER_NUMBER


def test_past_the_bound_run_refuses_before_computing(tmp_path: Path) -> None:
    spec = replace(load_spec(wide_network(tmp_path, (70, 70, 70))), steps=2)
    assert step_numbers(spec) <= TRACE_LIMIT < trace_numbers(spec)
    with pytest.raises(TraceTooLarge) as refused:
        run(spec)
    said = str(refused.value)
    assert f"would record {trace_numbers(spec):,} numbers" in said and "use steps: 1 or" in said
    assert isinstance(refused.value, TrainingError)  # every command reports it in one line


def test_validate_says_how_big_the_worked_example_is(tmp_path: Path) -> None:
    small = CliRunner().invoke(app, ["validate", str(CONFIGS / "dawood.yaml")])
    numbers = trace_numbers(load_spec(CONFIGS / "dawood.yaml"))
    assert small.exit_code == 0 and f"a worked example of {numbers:,} numbers" in " ".join(
        small.output.split()
    )
    big = CliRunner().invoke(app, ["validate", str(wide_network(tmp_path, (784, 256, 10)))])
    assert big.exit_code == 0 and "too many for a full worked example" in " ".join(
        big.output.split()
    )
