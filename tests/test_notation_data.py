"""A notation is data: a seventh one, declared in a fixture, renders every bundled config.

No module branches on a notation's name; each one's naming and symbols are fields of its
declaration (notation.py), so declaring one is all a new lecture's vocabulary takes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CONFIGS
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.core.notation import NOTATIONS, Notation

RUMELHART = Notation(
    "rumelhart",
    "Rumelhart, Hinton and Williams (1986): net_pj, o_pj, E_p, delta_pj",
    "net",
    "o",
    "E_p",
    True,
    "i",
    "u",
    "v",
    hidden_name="{prefix}{index}.{layer}",
    weight="w_{target_index}{source_index}.{layer}",
    unit_bias="theta_{target}",
    shared_bias="theta.{layer}",
    net_symbol="net_p{name}",
    target_symbol="t_p{index}",
    unit_error_symbol="E_p{index}",
    error_per_output=True,
)


@pytest.fixture
def rumelhart(monkeypatch: pytest.MonkeyPatch) -> Notation:
    monkeypatch.setitem(NOTATIONS, RUMELHART.name, RUMELHART)
    return RUMELHART


@pytest.mark.parametrize("config", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.stem)
def test_a_declared_notation_renders_every_bundled_config(rumelhart, config: Path) -> None:
    result = CliRunner().invoke(
        app, ["run", str(config), "--notation", rumelhart.name, "--width", "200", "--force"]
    )
    assert result.exit_code == 0, result.stderr
    words = " ".join(result.output.split())
    assert "E_p" in words and "net_p" in words


def test_a_compact_spec_takes_its_names_from_the_declaration(rumelhart, tmp_path: Path) -> None:
    spec = tmp_path / "deep.yaml"
    spec.write_text(
        "notation: rumelhart\ninputs: [0.1, 0.2]\ntargets: [1]\nlearning_rate: 0.5\n"
        "loss: half_sse\nlayers:\n"
        "  - {units: 2, activation: sigmoid, weights: [[0.1, 0.2], [0.3, 0.4]], bias: [0, 0]}\n"
        "  - {units: 2, activation: sigmoid, weights: [[0.5, 0.6], [0.7, 0.8]], bias: 0.1}\n"
        "  - {units: 1, activation: sigmoid, weights: [[0.9, 1.0]], bias: 0}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["run", str(spec), "-f", "json"])
    assert result.exit_code == 0, result.stderr
    values = result.output
    for name in ("u1.1", "u2.2", "v1", "w_12.1", "theta_u1.1", "theta.2"):
        assert f"[{name}]" in values, name
