"""Training: the lectures' algorithms learn what they should, every rule does what it says."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import yaml
from conftest import CONFIGS
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_gradients import _away_from_kinks, networks

from backprop_tutor.core.errors import TrainingError
from backprop_tutor.engine import Network
from backprop_tutor.spec import load_spec, spec_from_text
from backprop_tutor.teach.gradcheck import agrees, central_differences
from backprop_tutor.train import LAST, data_arrays, train

XOR = (CONFIGS / "xor.yaml").read_text(encoding="utf-8")


def _xor(**training) -> str:
    spec = yaml.safe_load(XOR)
    spec["training"].update(training)
    return yaml.safe_dump(spec)


def test_xor_learns() -> None:
    result = train(load_spec(CONFIGS / "xor.yaml"))
    outputs = result.outputs[0]
    assert outputs[0] < 0.5 < outputs[1] and outputs[2] > 0.5 > outputs[3]
    assert result.stop == "loss_threshold"


def test_one_layer_cannot_learn_xor() -> None:
    result = train(load_spec(CONFIGS / "xor-single-layer.yaml"))
    right = [
        o < 0.5 if t == 0 else o > 0.5 for o, t in zip(result.outputs[0], (0, 1, 1, 0), strict=True)
    ]
    assert not all(right) and result.stop == "max_epochs"
    assert result.losses[-1] > 0.12


def test_mitchell_encoder_finds_eight_distinct_codes() -> None:
    result = train(load_spec(CONFIGS / "mitchell-8-3-8.yaml"))
    codes = {tuple(np.round(result.hidden[:, k]).astype(int)) for k in range(8)}
    assert len(codes) == 8


@settings(max_examples=60, deadline=None)
@given(networks(), st.integers(2, 5), st.integers(0, 2**16))
def test_batch_gradients_match_central_differences(text: str, n: int, seed: int) -> None:
    """A batch's gradient is the sum of its examples' gradients: check it for batches of 1,
    of some, and of all the examples, on every activation and loss."""
    assume(_away_from_kinks(text))
    spec = spec_from_text(text)
    network = Network.from_spec(spec)
    rng = np.random.default_rng(seed)
    inputs = np.column_stack(
        [spec.inputs] + [rng.uniform(-1, 1, len(spec.inputs)) for _ in range(n - 1)]
    )
    targets = np.column_stack([spec.targets] * n)
    nets, outs = network.forward(inputs)
    assume(  # where differences are reliable: see test_gradients._away_from_kinks
        all(
            layer.activation.name not in ("relu", "leaky_relu") or np.min(np.abs(z)) > 1e-3
            for layer, z in zip(network.layers, nets, strict=True)
        )
        and (
            spec.loss != "binary_cross_entropy"
            or np.min(np.minimum(outs[-1], 1 - outs[-1])) >= 1e-3
        )
    )
    for size in sorted({1, max(1, n // 2), n}):
        x, t = inputs[:, :size], targets[:, :size]
        p = network.compute(x, t)
        numeric = central_differences(network, x, t)
        for name, layer, is_bias, index in network.slots():
            got = (p.grad_b if is_bias else p.grad_w)[layer][index]
            expected = numeric[name]
            assert agrees(got, expected, float(np.sum(p.terms))), (name, size)


@pytest.mark.parametrize(
    ("batch", "size", "updates"), [("stochastic", None, 4), ("mini", 3, 2), ("full", None, 1)]
)
def test_batch_modes_update_as_often_as_they_should(batch, size, updates) -> None:
    options = {"batch": batch, "epochs": 1, "loss_threshold": None}
    if size:
        options["batch_size"] = size
    result = train(spec_from_text(_xor(**options)))
    assert result.updates == updates and result.epochs == 1 and result.stop == "epochs"


def test_full_batch_mean_is_one_gradient_step_on_the_mean_loss() -> None:
    spec = spec_from_text(_xor(batch="full", epochs=1, momentum=0, loss_threshold=None))
    start = Network.from_spec(spec)
    inputs, targets = data_arrays(spec)
    p = start.compute(inputs, targets)
    result = train(spec)
    expected = start.layers[0].weights - spec.learning_rate * p.grad_w[0] / 4
    assert np.allclose(result.weights[0], expected, rtol=0, atol=1e-15)


def test_sum_reduction_takes_the_summed_gradient() -> None:
    mean = train(spec_from_text(_xor(batch="full", epochs=1, momentum=0, loss_threshold=None)))
    total = train(
        spec_from_text(
            _xor(batch="full", epochs=1, momentum=0, loss_threshold=None, reduction="sum")
        )
    )
    start = Network.from_spec(spec_from_text(_xor()))
    change_mean = mean.weights[0] - start.layers[0].weights
    change_sum = total.weights[0] - start.layers[0].weights
    assert np.allclose(change_sum, 4 * change_mean)


def test_momentum_adds_alpha_times_the_previous_change() -> None:
    spec = spec_from_text(_xor(shuffle=False, epochs=1, loss_threshold=None))
    result = train(spec, trace_updates={1, 2})
    first, second = result.traced[1], result.traced[2]
    for before, after in zip(first.updates, second.updates, strict=True):
        assert before.momentum_term == 0.0
        change = before.new - before.old
        assert after.momentum_term == pytest.approx(0.9 * change, abs=1e-15)
        assert after.new == pytest.approx(
            after.old - 0.3 * after.gradient + after.momentum_term, abs=1e-15
        )


def test_traced_updates_are_the_updates_training_makes() -> None:
    plain = train(spec_from_text(_xor(epochs=5, loss_threshold=None)))
    traced = train(spec_from_text(_xor(epochs=5, loss_threshold=None)), trace_updates={3, LAST})
    assert plain.losses == traced.losses
    assert sorted(traced.traced) == [3, 20]
    last = traced.traced[20]
    for update in last.updates:
        assert update.new == pytest.approx(plain.parameters[update.param], abs=1e-15)


def test_the_same_seed_gives_the_same_run() -> None:
    first, second = (train(spec_from_text(_xor(epochs=50, loss_threshold=None))) for _ in range(2))
    assert first.losses == second.losses
    other = train(spec_from_text(_xor(epochs=50, loss_threshold=None, seed=1)))
    assert other.losses != first.losses


def test_stopping_rules() -> None:
    assert train(spec_from_text(_xor(epochs=7, loss_threshold=None))).epochs == 7
    capped = train(spec_from_text(_xor(max_epochs=9, loss_threshold=None)))
    assert capped.stop == "max_epochs" and capped.epochs == 9
    theta = train(spec_from_text(_xor(gradient_threshold=0.05, loss_threshold=None)))
    assert theta.stop == "gradient_threshold" and theta.gradient_norm < 0.05


def test_divergence_names_the_epoch_the_parameter_and_a_hint() -> None:
    spec = yaml.safe_load(_xor(momentum=0, loss_threshold=None))
    for layer in spec["layers"]:
        layer["activation"] = "linear"  # nothing bounds a linear network's outputs
    spec["learning_rate"] = 1000
    with pytest.raises(TrainingError, match=r"diverged at epoch \d+: .* lower the learning rate"):
        train(spec_from_text(yaml.safe_dump(spec)))


def test_csv_examples(tmp_path) -> None:
    (tmp_path / "xor.csv").write_text(
        "a,b,y\n"
        + "\n".join(f"{a},{b},{a ^ b}" for a, b in itertools.product((0, 1), repeat=2))
        + "\n"
    )
    spec = yaml.safe_load(XOR)
    del spec["examples"]
    spec["data"] = {"csv": "xor.csv", "inputs": ["a", "b"], "targets": ["y"]}
    (tmp_path / "net.yaml").write_text(yaml.safe_dump(spec))
    loaded = load_spec(tmp_path / "net.yaml")
    assert loaded.input_names == ("a", "b")
    assert loaded.examples == tuple(
        ((float(a), float(b)), (float(a ^ b),)) for a, b in itertools.product((0, 1), repeat=2)
    )
    assert train(loaded).stop == "loss_threshold"


def test_deep_sigmoid_deltas_shrink_layer_by_layer() -> None:
    result = train(load_spec(CONFIGS / "xu-vanishing.yaml"))
    before, after = result.delta_norms
    for norms in (before, after):
        assert all(a < b for a, b in itertools.pairwise(norms))  # smaller toward the inputs
    assert before[0] < before[-1] / 100


def test_dead_relu_units_are_named() -> None:
    result = train(load_spec(CONFIGS / "xu-dead-relu.yaml"))
    before, after = result.dead_units
    assert set(before) <= set(after) and len(after) > len(before)
    assert len(result.spec.layers) == 2 and result.hidden is not None  # one hidden layer
    units = result.spec.layers[0].units
    for name in after:
        assert not np.any(result.hidden[units.index(name)] > 0)


def test_softmax_cross_entropy_stays_finite_when_an_output_underflows() -> None:
    text = yaml.safe_dump(
        {
            "inputs": [1.0],
            "targets": [1, 0],
            "layers": [{"units": 2, "activation": "softmax", "weights": [[-800.0], [800.0]]}],
            "loss": "cross_entropy",
            "learning_rate": 0.1,
        }
    )
    network = Network.from_spec(spec_from_text(text))
    p = network.compute(np.array([1.0]), np.array([1.0, 0.0]))
    assert p.outs[-1][0, 0] == 0.0  # the true class's probability underflowed
    assert np.allclose(p.delta[0][:, 0], [-1.0, 1.0])  # z - t, finite


@pytest.mark.parametrize(
    ("batch", "size", "reduction", "chosen"),
    [("mini", 3, "mean", {1, 3}), ("full", None, "sum", {2, LAST})],  # mini: 3 + 1 per epoch
)
def test_a_traced_batch_update_is_the_update_training_makes(batch, size, reduction, chosen):
    options = {"batch": batch, "epochs": 2, "loss_threshold": None, "reduction": reduction}
    if size:
        options["batch_size"] = size
    plain = train(spec_from_text(_xor(**options)))
    traced = train(spec_from_text(_xor(**options)), trace_updates=chosen)
    assert plain.losses == traced.losses
    for number, step in traced.traced.items():
        assert step.batch and step.reduction == reduction
        for update in step.updates:
            per_example = [
                next(g.gradient for g in ex.gradients if g.param == update.param)
                for ex in step.batch
            ]
            combined = sum(per_example) / (len(per_example) if reduction == "mean" else 1)
            assert update.gradient == pytest.approx(combined, abs=1e-15)
            assert update.new == pytest.approx(
                update.old - 0.3 * update.gradient + update.momentum_term, abs=1e-15
            )
        values = traced.traced[number].values()
        assert "grad[w_h1_x1]#1" in values and "grad[w_h1_x1]" in values
    if LAST in chosen:
        last = traced.traced[max(traced.traced)].updates[0]
        assert last.new == plain.parameters[last.param]


def test_progress_lines_come_about_every_ten_seconds_and_not_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Time-based, not epoch-based: a fast run says nothing, a slow one a line per 10 s."""
    import backprop_tutor.train as train_module

    now = [100.0]
    monkeypatch.setattr(train_module, "clock", lambda: now[0])
    lines: list[str] = []
    report = train_module.ProgressLines(10_000_000, lines.append)
    for epoch, seconds in enumerate((3, 9.9, 10, 12, 19.9, 20.5, 45), start=1):
        now[0] = 100.0 + seconds
        report(epoch, 0.012345678)
    assert lines == [
        "epoch 3 of 10,000,000 · loss 0.012346 · 10 s",
        "epoch 6 of 10,000,000 · loss 0.012346 · 20 s",
        "epoch 7 of 10,000,000 · loss 0.012346 · 45 s",
    ]


def test_tracing_counts_only_updates_the_run_can_make() -> None:
    """XOR, stochastic, 10,000 epochs at most: update 10**9 is never traced, so it costs
    nothing; 'last' and update 1 cost one example's step each."""
    from backprop_tutor.spec.limits import TRACE_LIMIT, TraceTooLarge, step_numbers
    from backprop_tutor.train import refuse_large_tracing

    spec = load_spec(CONFIGS / "xor.yaml")
    refuse_large_tracing(spec, {1, LAST, 10**9})
    many = set(range(1, TRACE_LIMIT // step_numbers(spec) + 2))
    with pytest.raises(TraceTooLarge, match=r"tracing [\d,]+ updates .*\(--trace-steps\)"):
        refuse_large_tracing(spec, many)


def test_norms_past_1e154_print_inf_without_a_numpy_warning(tmp_path) -> None:
    """‖δ‖ and the weight table's norm overflowed inside numpy's dot and printed a
    RuntimeWarning on stderr (found by the grammar fuzzing)."""
    import subprocess
    import sys

    spec = tmp_path / "huge.yaml"
    spec.write_text(  # 121 parameters: the final weights are shown per layer, with ‖·‖
        yaml.safe_dump(
            {
                "inputs": [0.1] * 10,
                "targets": [0.5],
                "learning_rate": 0.1,
                "loss": "half_sse",
                "training": {"epochs": 1},
                "layers": [
                    {
                        "units": 10,
                        "activation": "linear",
                        "weights": [[1e160] * 10] * 10,
                        "bias": 0,
                    },
                    {"units": 1, "activation": "sigmoid", "weights": [[1e-170] * 10], "bias": 0},
                ],
            }
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", "-m", "backprop_tutor", "train", str(spec)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "Warning" not in done.stderr, done.stderr[-2000:]


@pytest.mark.parametrize("threshold", [0.0050648, 0.00506466, 0.005])
def test_the_stop_line_prints_a_loss_that_is_below_the_threshold(threshold: float) -> None:
    """XOR's loss at epoch 447 is 0.00506465593...: at four figures 0.005065, which is not
    below a threshold of 0.0050648; the line said 'loss 0.005065 < 0.0050648'."""
    import re

    from backprop_tutor.core.trace import Trace
    from backprop_tutor.record import header
    from backprop_tutor.render.train_view import TrainingReport

    raw = yaml.safe_load((CONFIGS / "xor.yaml").read_text(encoding="utf-8"))
    raw["training"]["loss_threshold"] = threshold
    spec = spec_from_text(yaml.safe_dump(raw))
    result = train(spec)
    assert result.stop == "loss_threshold"
    line = TrainingReport(result, Trace(header(spec), ()))._stop_line()
    shown = re.search(r"loss (\S+) < ", line)
    assert shown and float(shown.group(1)) < threshold
    assert abs(float(shown.group(1)) - result.losses[-1]) <= 5e-4 * result.losses[-1]


def test_the_loss_curve_keeps_its_axis_in_place_with_labels_wider_than_ten() -> None:
    """A loss of 2,457,963,599.21554 and 248,773,586.30012125 (18 characters): the top row's
    bars were pushed right of the others', and the bottom row ran past the width."""
    from backprop_tutor.core.trace import Trace
    from backprop_tutor.record import header
    from backprop_tutor.render.train_view import TrainingReport

    text = """
examples:
  - {inputs: [123456.789, -0.000001234], targets: [98765.4321]}
  - {inputs: [-3.5, 2], targets: [-12345.6789]}
layers:
  - {units: 2, activation: linear, bias: [0.1, 0.2], weights: [[0.0001, 0.5], [-0.00002, 0.25]]}
  - {units: 1, activation: linear, bias: [0.0], weights: [[0.5, 0.5]]}
loss: half_sse
learning_rate: 1e-12
training: {batch: full, epochs: 200}
display: {digits: 12}
"""
    spec = spec_from_text(text)
    report = TrainingReport(train(spec), Trace(header(spec), ()))
    width = 40
    rows = [row.plain for row in report._curve(width - 12).renderables[1:]]
    axis = {row.index("│") for row in rows[:-2]} | {rows[-2].index("└")}
    assert len(axis) == 1
    assert max(map(len, rows)) <= width
    assert rows[0].split()[0] == "2457963599.21554"
    assert rows[-3].split()[0] == "248773586.30012125"


def test_a_vanished_error_signal_is_not_printed_as_zero() -> None:
    """‖δ‖ per layer is the vanishing gradient made visible: at the display's two decimals
    Xu's first layers printed 0.00 (before training 0.0065); like the loss, such a value is
    written in scientific notation, each cell the norm it stands for."""
    from backprop_tutor.core.trace import Trace
    from backprop_tutor.record import header
    from backprop_tutor.render.train_view import TrainingReport

    text = (CONFIGS / "xu-vanishing.yaml").read_text(encoding="utf-8")
    text = text.replace("display: {digits: 6}", "display: {digits: 2}")
    spec = spec_from_text(text, str(CONFIGS / "v.yaml"))
    result = train(spec)
    rows = TrainingReport(result, Trace(header(spec), ()))._delta_norms().rows
    shown = [[float(cell) for cell in cells[2:]] for cells, _ in rows]
    for row, *norms in zip(shown, *result.delta_norms, strict=True):
        for cell, norm in zip(row, norms, strict=True):
            assert cell == pytest.approx(norm, rel=0.5, abs=0.006), (cell, norm)
    assert min(min(row) for row in shown) > 0
