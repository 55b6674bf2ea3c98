"""Every JSON document the tool writes is strict JSON: no NaN, Infinity or -Infinity.

A test prediction that overflows stops the run in one line, as an update step does (it was
exported as "loss@test1": Infinity); the one number that may be infinite, an output's dE/dout
past float64 at a saturated sigmoid, is written as the text "inf".
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import CONFIGS
from typer.testing import CliRunner

from backprop_tutor.cli import app


def _strict(text: str) -> dict:
    def refuse(constant: str) -> None:
        raise AssertionError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def _write(tmp_path: Path, spec: dict) -> Path:
    path = tmp_path / "net.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


ONE_UNIT = {
    "inputs": {"x1": 1},
    "targets": {"y1": 0.5},
    "layers": [{"units": ["y1"], "activation": "linear", "weights": [[2.0]], "bias": 0}],
    "learning_rate": 0.1,
    "loss": "half_sse",
}


def test_a_test_prediction_that_overflows_is_one_line(tmp_path: Path) -> None:
    spec = {**ONE_UNIT, "test": [{"inputs": {"x1": 1e160}, "targets": {"y1": 0}}]}
    path = _write(tmp_path, spec)
    for args in (["run", str(path), "--format", "json"], ["run", str(path)]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, result.output
        assert "test 1: the loss is inf" in result.stderr and result.stderr.count("\n") == 1


def test_an_infinite_factor_is_written_as_text(tmp_path: Path) -> None:
    spec = {
        **ONE_UNIT,
        "targets": {"y1": 0},
        "layers": [{"units": ["y1"], "activation": "sigmoid", "weights": [[800.0]], "bias": 0}],
        "loss": "binary_cross_entropy",
    }
    result = CliRunner().invoke(app, ["run", str(_write(tmp_path, spec)), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    values = _strict(result.output)["values"]
    assert values["de_dout[y1]"] == "inf" and values["delta[y1]"] == 1.0
    assert values["new[w_y1_x1]"] == pytest.approx(799.9, rel=1e-15)


@pytest.mark.parametrize("config", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_bundled_example_exports_strict_json(config: Path) -> None:
    result = CliRunner().invoke(app, ["run", str(config), "--format", "json", "--force"])
    assert result.exit_code == 0, result.stderr
    _strict(result.output)


def test_the_json_says_what_delta_means_in_every_notation() -> None:
    """Mitchell prints δ = −∂E/∂net; the JSON's delta is ∂E/∂net whatever the notation, and
    says so."""
    result = CliRunner().invoke(app, ["run", str(CONFIGS / "mitchell-8-3-8.yaml"), "-f", "json"])
    document = _strict(result.output)
    assert "∂E/∂net, in every notation" in document["ids"]["delta"]
    assert "mitchell" in document["ids"]["delta"]
    values = document["values"]
    unit = next(key[6:-1] for key in values if key.startswith("delta["))
    assert values[f"delta[{unit}]"] == pytest.approx(
        values[f"de_dout[{unit}]"] * values[f"dout_dnet[{unit}]"], rel=1e-12
    )
