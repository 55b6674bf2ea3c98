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


def test_batch_norm_proves_every_step_and_ends_in_the_short_form() -> None:
    """∂E/∂x_1 through μ and σ², for a batch of 3: the last step is γ/(N√(σ²+ε))·(N·g_1 −
    Σ_j g_j − x̂_1·Σ_j g_j·x̂_j), as written, and SymPy proved it equal to the one before."""
    import json

    assert "every step proved" in _derive("batch_norm")
    result = CliRunner().invoke(app, ["derive", "batch_norm", "--format", "json"])
    assert result.exit_code == 0, result.output + result.stderr
    document = json.loads(result.output)
    assert document["proved"] and all(s["proved"] is not False for s in document["steps"])
    last = document["steps"][-1]
    assert last["lhs"] == "∂E/∂x_1" and last["proved"] is True
    assert last["expression"] == (
        "(γ/(3*sqrt(σ² + ε)))*(3*g_1 - (g_1 + g_2 + g_3) - x̂_1*(g_1*x̂_1 + g_2*x̂_2 + g_3*x̂_3))"
    )
    lhs = [s["lhs"] for s in document["steps"]]
    assert {"∂E/∂γ", "∂E/∂β", "∂E/∂x̂_j", "∂E/∂σ²", "∂E/∂μ"} <= set(lhs)


@pytest.mark.parametrize("n", [2, 4])
def test_batch_norm_is_proved_for_other_batch_sizes(n: int) -> None:
    """`derive` shows N = 3; the same steps hold for a batch of 2 and of 4."""
    from backprop_tutor.core.batch_norm_derivation import batch_norm
    from backprop_tutor.symbolic.textbook import KIT

    derivation = batch_norm(KIT, n)
    assert derivation.proved and all(s.proved is not False for s in derivation.steps)
    assert derivation.steps[-1].proved is True and derivation.steps[-1].lhs == "∂E/∂x_1"
