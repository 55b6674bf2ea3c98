"""`backprop-tutor gradcheck`: every bundled config, central differences and PyTorch."""

from __future__ import annotations

import json

import pytest
from conftest import CONFIGS, ROOT, wide_network
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.engine import Network
from backprop_tutor.spec import load_spec
from backprop_tutor.teach.gradcheck import SAMPLE_LIMIT, gradcheck, sample, torch_check

CONFIG_FILES = sorted(CONFIGS.glob("*.yaml"))


@pytest.mark.parametrize("config", CONFIG_FILES, ids=lambda c: c.stem)
def test_gradcheck_passes_on_every_bundled_config(config) -> None:
    checks = gradcheck(load_spec(config))
    assert checks and all(c.passed for c in checks), [c for c in checks if not c.passed]


@pytest.mark.parametrize("config", CONFIG_FILES, ids=lambda c: c.stem)
def test_every_bundled_config_as_json(config) -> None:
    """Each verdict a JSON true (xu-dead-relu's were numpy's bools, which json cannot write)."""
    result = CliRunner().invoke(app, ["gradcheck", str(config), "--format", "json"])
    assert result.exit_code == 0, result.output
    references = json.loads(result.stdout)["references"].values()
    verdicts = [c["passed"] for r in references for c in r["checks"]]
    assert verdicts and all(v is True for v in verdicts)


@pytest.mark.parametrize("config", CONFIG_FILES, ids=lambda c: c.stem)
def test_torch_agrees_to_1e_10(config) -> None:
    pytest.importorskip("torch")
    checks = torch_check(load_spec(config))
    assert all(c.passed and c.relative_error < 1e-10 for c in checks)


def test_the_command_reports_and_exits(in_root) -> None:
    result = CliRunner().invoke(app, ["gradcheck", "configs/dawood.yaml"])
    assert result.exit_code == 0 and "pass: all 10 gradients agree" in result.output


def test_the_verdict_states_the_agreement_rule_with_its_floor(in_root) -> None:
    result = CliRunner().invoke(app, ["gradcheck", "configs/dawood.yaml", "--width", "200"])
    words = " ".join(result.output.split())
    assert "agreement: |backprop − reference| ≤ 1e-06 × the larger + 1e-09 × max(1, |E|)" in words


def test_a_layer_by_layer_spec_says_the_update_rule_is_the_cause(tmp_path) -> None:
    text = (CONFIGS / "dawood.yaml").read_text(encoding="utf-8")
    spec = tmp_path / "lbl.yaml"
    spec.write_text(text + "\nupdate: layer_by_layer\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["gradcheck", str(spec)])
    words = " ".join(result.output.split())
    assert result.exit_code == 1 and "FAIL" in words
    assert "`update: layer_by_layer`" in words and "the update rule, not the arithmetic" in words


def test_a_wrong_gradient_fails_the_command(in_root, monkeypatch) -> None:
    from backprop_tutor.core import activations

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


def test_a_big_network_is_checked_on_a_sample_from_every_layer(tmp_path) -> None:
    """40-30-5 has 1,385 parameters: past the limit, a spread sample; every layer in it."""
    spec = load_spec(wide_network(tmp_path, (40, 30, 5)))
    network = Network.from_spec(spec)
    chosen = sample(network)
    assert len(network.slots()) == 1_385
    assert 0.9 * SAMPLE_LIMIT <= len(chosen) <= SAMPLE_LIMIT + len(network.layers)
    assert {slot[1] for slot in chosen} == {0, 1}
    assert {slot[0] for slot in chosen} >= {"w_h1_x1", "b_h30", "w_o1_h1", "b_o5"}  # both ends
    assert len({slot[0] for slot in chosen}) == len(chosen)
    checks = gradcheck(spec)
    assert len(checks) == len(chosen) and all(c.passed for c in checks)
    assert len(gradcheck(spec, limit=None)) == 1_385


def test_the_command_says_it_sampled_and_lists_the_worst_rows(tmp_path) -> None:
    path = wide_network(tmp_path, (40, 30, 5))
    result = CliRunner().invoke(app, ["gradcheck", str(path), "--width", "200"])
    assert result.exit_code == 0, result.stderr
    assert "the 10 largest relative errors of 1,000" in result.output
    assert "a sample of the network's 1,385 parameters" in result.output
    assert result.output.count("✓") == 10
    forced = CliRunner().invoke(app, ["gradcheck", str(path), "--force", "--width", "200"])
    assert "pass: all 1,385 gradients agree" in forced.output and "sample" not in forced.output


def test_only_checks_the_named_parameters(in_root) -> None:
    result = CliRunner().invoke(app, ["gradcheck", "configs/dawood.yaml", "--only", "w5, w1"])
    assert result.exit_code == 0 and "pass: all 2 gradients agree" in result.output
    assert {c.param for c in gradcheck(load_spec("configs/dawood.yaml"), {"w5", "b1"})} == {
        "w5",
        "b1",
    }


@pytest.mark.parametrize(
    ("only", "said"),
    [("w5,w55", "no parameter 'w55'; did you mean 'w5'?"), (" , ", "name at least one")],
)
def test_only_with_a_name_the_network_lacks_is_one_line(in_root, only: str, said: str) -> None:
    result = CliRunner().invoke(app, ["gradcheck", "configs/dawood.yaml", "--only", only])
    assert result.exit_code == 2 and said in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_failure_in_a_big_network_comes_first_and_is_named(tmp_path, monkeypatch) -> None:
    from backprop_tutor.teach import gradcheck as module

    real = module.central_differences

    def off_by_one(*args, **kwargs):
        found = real(*args, **kwargs)
        return {**found, "b_o5": found["b_o5"] + 1.0}

    monkeypatch.setattr(module, "central_differences", off_by_one)
    path = wide_network(tmp_path, (40, 30, 5))
    result = CliRunner().invoke(app, ["gradcheck", str(path), "--width", "200"])
    assert result.exit_code == 1
    rows = [line for line in result.output.splitlines() if "✓" in line or "✗" in line]
    assert "✗" in rows[0] and "b_o5" in rows[0] and len(rows) == 10
    assert "FAIL: b_o5 disagrees with central differences" in result.output


KINK = """
title: h1's net is 0.5 - 0.5 = 0 on the example, ReLU's kink
notation: generic
inputs: [1, 1]
targets: [0.5]
layers:
  - units: [h1, h2]
    activation: relu
    weights: [[0.5, {h1_x2}], [0.25, 0.5]]
  - {{units: [o1], activation: linear, weights: [[1, 1]]}}
loss: half_sse
learning_rate: 0.5
"""


@pytest.mark.parametrize(("h1_x2", "net"), [("-0.5", "is exactly 0"), ("-0.49999999", "(1e-08)")])
def test_a_relu_kink_is_noted_and_not_counted_as_a_mismatch(tmp_path, h1_x2, net) -> None:
    """At net 0 (or within the stencil's steps of it) central differences average ReLU's two
    slopes: the weights into h1 are noted with the unit, pass, and the command exits 0;
    every other parameter is still compared."""
    from backprop_tutor.spec.load import spec_from_text

    checks = {c.param: c for c in gradcheck(spec_from_text(KINK.format(h1_x2=h1_x2)))}
    kinked = sorted(name for name, c in checks.items() if c.kink)
    assert kinked == ["w_h1_x1", "w_h1_x2"] and all(checks[n].passed for n in kinked)
    assert checks["w_h1_x1"].relative_error > 0.4  # a mismatch, not hidden: explained
    assert f"h1's net {net}" in checks["w_h1_x1"].kink and "relu" in checks["w_h1_x1"].kink
    assert all(c.passed and c.relative_error < 1e-4 for n, c in checks.items() if n not in kinked)
    path = tmp_path / "kink.yaml"
    path.write_text(KINK.format(h1_x2=h1_x2), encoding="utf-8")
    result = CliRunner().invoke(app, ["gradcheck", str(path), "-f", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["references"]["central differences"]["checks"]
    assert [r["param"] for r in rows if r["kink"]] == ["w_h1_x1", "w_h1_x2"]


@pytest.mark.parametrize("h1_x2", ["-0.5", "-0.49999999"])
def test_a_wrong_gradient_at_a_kink_is_still_a_mismatch(monkeypatch, h1_x2) -> None:
    """A kink excuses only what it explains: backprop taking one side's slope. A gradient of
    five times the right one agrees with neither one-sided difference, so it fails (it
    passed, marked ~, whatever its error)."""
    from backprop_tutor.spec.load import spec_from_text
    from backprop_tutor.teach import gradcheck as module

    right = module.exact_gradients

    def five_times(spec, slots=None):
        found = right(spec, slots)
        return {**found, "grad[w_h1_x1]": 5 * found["grad[w_h1_x1]"] + 0.1}

    monkeypatch.setattr(module, "exact_gradients", five_times)
    checks = {c.param: c for c in gradcheck(spec_from_text(KINK.format(h1_x2=h1_x2)))}
    assert checks["w_h1_x1"].kink and not checks["w_h1_x1"].passed
    assert checks["w_h1_x2"].kink and checks["w_h1_x2"].passed  # the honest one still passes


def test_a_right_gradient_at_a_kink_passes_where_the_loss_curves() -> None:
    """b1 moves h1 (net exactly 0) and h2; backprop's −1e-4 is the slope of h1's inactive
    side, but a first-order one-sided difference is off by h/2·E″ = −5e-5 there: the
    second-order one-sided difference agrees (the first alone failed it, exit 1)."""
    from backprop_tutor.spec.load import spec_from_text

    text = (ROOT / "tests" / "data" / "gradcheck" / "kink-where-the-loss-curves.yaml").read_text(
        encoding="utf-8"
    )
    checks = {c.param: c for c in gradcheck(spec_from_text(text))}
    assert checks["b1"].kink and checks["b1"].passed
    assert checks["b1"].relative_error > 0.5  # a mismatch with the differences: explained
