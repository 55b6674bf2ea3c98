"""`run --symbolic`: the chain rule in the lecture's symbols, checked against the engine."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.record import run
from backprop_tutor.spec import load_spec
from backprop_tutor.symbolic.derivation import derive


def _symbolic(config: str, *args: str) -> str:
    result = CliRunner().invoke(
        app, ["run", f"configs/{config}.yaml", "--symbolic", *args, "--width", "120"]
    )
    assert result.exit_code == 0, result.output + result.stderr
    return result.output


def test_w5_shows_the_chain_the_numbers_and_the_result(in_root) -> None:
    output = _symbolic("dawood", "--only", "w5")
    chain = "(output_o1 − target_1)·(output_o1·(1 − output_o1))·output_h1"
    numbers = "0.68492 × 0.19480 × 0.60108 = 0.08020"
    assert chain in output and numbers in output
    assert output.index(chain) < output.index(numbers)
    assert "e^(−sum_o1)/(1 + e^(−sum_o1))² = output_o1·(1 − output_o1) ✓" in output
    assert "proof: d/dw5 of the composed loss − the chain-rule sum = 0 ✓" in output


def test_w1_shows_both_paths_and_their_sum(in_root) -> None:
    output = _symbolic("dawood", "--only", "w1")
    assert "through o1:" in output and "through o2:" in output
    assert "= 0.00159" in output and "= -0.00049" in output
    assert "the sum of the paths = 0.00159 + (-0.00049) = 0.00110" in output
    assert "(w5·δ_o1 + w7·δ_o2)" in output  # and the delta form


def test_borela_linear_output_delta_is_y_minus_t(in_root) -> None:
    output = _symbolic("borela")
    assert "so δ_y1 = ∂E_n/∂y1 · ∂y1/∂a1^(2) = y1 − t_1 = 3.14" in output


@pytest.mark.parametrize("config", ["dawood", "borela", "xor"])
def test_every_parameter_is_checked_and_proved(in_root, config: str) -> None:
    for derivation in derive(run(load_spec(f"configs/{config}.yaml"))):
        assert not derivation.mismatches, derivation.mismatches
        assert derivation.proof is True, (derivation.param, derivation.proof_note)


def test_an_unknown_parameter_is_one_line(in_root) -> None:
    result = CliRunner().invoke(app, ["run", "configs/dawood.yaml", "--only", "w9"])
    assert result.exit_code == 2 and "no parameter 'w9'" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_sympy_is_imported_only_for_symbolic() -> None:
    code = (
        "import sys; from typer.testing import CliRunner; from backprop_tutor.cli import app; "
        "r = CliRunner().invoke(app, ['run', 'configs/dawood.yaml', '--symbolic', "
        "'--only', 'w5']); assert r.exit_code == 0, r.output; print('sympy' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "True"  # and test_cli checks that plain `run` leaves it out


def test_a_deep_network_is_proved_one_layer_at_a_time() -> None:
    """Six layers: every parameter proved without composing the whole network."""
    import yaml

    from backprop_tutor.spec import spec_from_text

    text = yaml.safe_dump(
        {
            "inputs": [0.1, 0.2],
            "targets": [0.3, 0.7],
            "layers": [
                {"units": 3, "activation": act, "bias": "init"}
                for act in ("sigmoid", "tanh", "sigmoid", "leaky_relu", "sigmoid")
            ]
            + [{"units": 2, "activation": "sigmoid", "bias": "init"}],
            "init": {"method": "uniform", "low": -1, "high": 1, "seed": 0},
            "loss": "half_sse",
            "learning_rate": 0.5,
        }
    )
    derivations = derive(run(spec_from_text(text)))
    assert all(d.proof is True and not d.mismatches for d in derivations)
    assert any("one layer deep" in d.proof_note for d in derivations)


def test_softmax_output_delta_is_written_out_and_checked(in_root) -> None:
    derivations = derive(run(load_spec("configs/xu-softmax.yaml")), ["w_a_h1"])
    step = derivations[0].chains[0].steps[0]
    assert step.factor.role == "delta"
    import sympy as sp

    names = {s.name: s for s in step.expr.free_symbols}
    z, (ta, tb, tc) = names["out_a"], (names["t_a"], names["t_b"], names["t_c"])
    assert sp.expand(step.expr - (z * (ta + tb + tc) - ta)) == 0  # z_k Σt − t_k, the whole row
    assert not derivations[0].mismatches


ELU_UNDER_A_NEGATIVE_WEIGHT = """
inputs: [0.3, -1.2]
targets: [1]
layers:
  - {units: 2, activation: elu, alpha: 0.5, bias: [0.1, -0.3], weights: [[0.2, 0.4], [-0.5, 0.1]]}
  - {units: 2, activation: sigmoid, bias: 0.05, weights: [[0.6, -0.2], [-0.3, 0.8]]}
  - {units: 1, activation: sigmoid, weights: [[0.9, -0.7]]}
loss: binary_cross_entropy
learning_rate: 0.3
display: {digits: 6}
"""


def test_a_case_split_a_delta_and_a_negative_factor_print_as_a_lecture_writes_them(
    tmp_path,
) -> None:
    """ELU's slope is (1 if net > 0, else out + α), not SymPy's Piecewise((1, net > 0), ...);
    a factor that is its own symbol says its value once (it said δ_h2_1 = δ_h2_1 = ...); a
    negative factor of a product is in brackets, as the tables and the sum of paths write it."""
    spec = tmp_path / "elu.yaml"
    spec.write_text(ELU_UNDER_A_NEGATIVE_WEIGHT, encoding="utf-8")
    result = CliRunner().invoke(
        app, ["run", str(spec), "--symbolic", "--only", "w_h1_1_x1", "--width", "250"]
    )
    assert result.exit_code == 0, result.output + result.stderr
    output = result.output
    assert "Piecewise" not in output
    assert "(1 if net_h1_1 > 0, else 1/2 + out_h1_1)" in output
    assert "δ_h2_1 = δ_h2_1" not in output and "      δ_h2_1 = " in output
    assert " × -" not in output and " × (-0.3) × " in output
