"""Networks far bigger than a slide: the delta form past the path bound, a summary and a hint
instead of a flood of tables, --force for everything."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import CONFIGS, wide_network
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.engine import Network, run
from backprop_tutor.scale import PATH_LIMIT, ROW_LIMIT, size
from backprop_tutor.spec import load_spec


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
    assert "203,530 parameters" in result.output
    assert f"more than {ROW_LIMIT:,}" in result.output
    assert "--force" in lines[-2] + lines[-1] and "--only w_h1_x1,w_h1_x2" in result.output
    # the summary's numbers are the engine's: the loss and the largest gradient
    spec = load_spec(path)
    network = Network(spec)
    p = network.compute(np.array(spec.inputs), np.array(spec.targets))
    assert f"total error {spec.display.format(p.total)}" in result.output
    largest = max(np.abs(g).max() for g in p.grad_w)
    assert spec.display.format(-largest) in result.output


def test_formats_for_files_are_refused_in_one_line_and_symbolic_asks_for_only(
    tmp_path: Path,
) -> None:
    path = wide_network(tmp_path, (60, 40, 10))
    for args in (["--format", "json"], ["--format", "markdown"], ["--symbolic"]):
        result = CliRunner().invoke(app, ["run", str(path), *args])
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.count("\n") == 1 and "--force" in result.stderr, result.stderr


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
        ([3000, 1000], "up to 3,010,000 weights and biases, more than the 2,000,000 allowed"),
    ],
)
def test_a_network_beyond_the_hard_limits_stops_at_the_count_not_in_memory(
    tmp_path: Path, units: int | list[int], said: str
) -> None:
    """A fuzzed `units: 10**400` once made a name for every unit until memory ran out."""
    import resource

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
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for command in ("run", "train", "validate"):
        result = CliRunner().invoke(app, [command, str(path)])
        assert result.exit_code == 2, result.output
        assert "huge.yaml:" in result.stderr and said in result.stderr
        assert "units" in result.stderr and result.stderr.count("\n") == 1
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024  # KiB
