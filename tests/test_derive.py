"""`backprop-tutor derive`: the lectures' stand-alone derivations, every step proved."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.symbolic.textbook import DERIVATIONS


def _derive(name: str) -> str:
    """The output with every run of whitespace as one space, so wrapping cannot split a phrase."""
    result = CliRunner().invoke(app, ["derive", name, "--width", "120"])
    assert result.exit_code == 0, result.output + result.stderr
    return " ".join(result.output.split())


@pytest.mark.parametrize("name", sorted(DERIVATIONS))
def test_every_derivation_is_proved_step_by_step(name: str) -> None:
    derivation = DERIVATIONS[name]()
    assert derivation.proved, [(s.rhs, s.proved) for s in derivation.steps]
    assert any(s.proved for s in derivation.steps)  # at least one step was checked
    assert "every step proved" in _derive(name)


def test_sigmoid_ends_in_sigma_one_minus_sigma() -> None:
    output = _derive("sigmoid")
    assert "e^(−x)/(1 + e^(−x))² ✓" in output
    assert output.index("e^(−x)/(1 + e^(−x))²") < output.index("= σ(x)·(1 − σ(x)) ✓")


def test_softmax_cross_entropy_ends_in_z_minus_t_and_states_the_condition() -> None:
    output = _derive("softmax_cross_entropy")
    assert "= z_1 − t_1 ✓" in output
    assert "∂J/∂net_k = z_k − t_k for every output k" in output
    assert "Condition: the targets sum to 1" in output
    assert "t(1 − z) is right only summed with the other terms" in output
    assert "is proved equal" in output


def test_softmax_jacobian_and_bce() -> None:
    assert "= −z_1·z_2 ✓" in _derive("softmax")
    assert "= o − t ✓" in _derive("sigmoid_binary_cross_entropy")


def test_a_step_that_is_not_equal_is_reported() -> None:
    from backprop_tutor.symbolic.textbook import Step, _chain

    steps = _chain(
        [Step(DERIVATIONS["linear"]().steps[0].rhs), Step(DERIVATIONS["linear"]().steps[0].rhs * 2)]
    )
    assert steps[1].proved is False


def test_an_unknown_name_is_one_line() -> None:
    result = CliRunner().invoke(app, ["derive", "sigmod"])
    assert result.exit_code == 2 and "did you mean 'sigmoid'?" in result.stderr


def test_derive_as_json() -> None:
    import json

    result = CliRunner().invoke(app, ["derive", "sigmoid", "--format", "json"])
    document = json.loads(result.output)
    assert document["proved"] and document["steps"][-1]["expression"] == "σ(x)*(1 - σ(x))"
