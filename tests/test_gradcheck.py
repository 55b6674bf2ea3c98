"""`backprop-tutor gradcheck`: every bundled config, central differences and PyTorch."""

from __future__ import annotations

import pytest
from conftest import CONFIGS
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.gradcheck import gradcheck, torch_check
from backprop_tutor.spec import load_spec

CONFIG_FILES = sorted(CONFIGS.glob("*.yaml"))


@pytest.mark.parametrize("config", CONFIG_FILES, ids=lambda c: c.stem)
def test_gradcheck_passes_on_every_bundled_config(config) -> None:
    checks = gradcheck(load_spec(config))
    assert checks and all(c.passed for c in checks), [c for c in checks if not c.passed]


@pytest.mark.parametrize("config", CONFIG_FILES, ids=lambda c: c.stem)
def test_torch_agrees_to_1e_10(config) -> None:
    pytest.importorskip("torch")
    checks = torch_check(load_spec(config))
    assert all(c.passed and c.relative_error < 1e-10 for c in checks)


def test_the_command_reports_and_exits(in_root) -> None:
    result = CliRunner().invoke(app, ["gradcheck", "configs/dawood.yaml"])
    assert result.exit_code == 0 and "pass: all 10 gradients agree" in result.output


def test_a_wrong_gradient_fails_the_command(in_root, monkeypatch) -> None:
    from backprop_tutor import activations

    real = activations.ACTIVATIONS["sigmoid"]
    broken = activations.Activation("sigmoid", real.value, lambda net, out: out)
    monkeypatch.setitem(activations.ACTIVATIONS, "sigmoid", broken)
    result = CliRunner().invoke(app, ["gradcheck", "configs/dawood.yaml"])
    assert result.exit_code == 1 and "FAIL" in result.output


def test_torch_missing_is_one_line(in_root, monkeypatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    result = CliRunner().invoke(app, ["gradcheck", "configs/dawood.yaml", "--torch"])
    assert result.exit_code == 2 and "pip install torch" in result.stderr
