"""Training's fast paths against the recorded one: the same numbers, on networks drawn at random.

`Network._descend` (in place, one flat array, nothing recorded) must give `_compute` then
`_apply` to the last bit; the tiny networks' loop on Python floats (tiny.py) must agree with
the arrays within an ulp per operation; a full batch's loss pass, reused as its next forward
pass, and the diagnosis from it must give what separate passes give.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import yaml
from conftest import ROOT
from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_gradients import networks

from backprop_tutor.core.activations import ACTIVATIONS, PARAMETRIZED, activation
from backprop_tutor.core.losses import LOSSES
from backprop_tutor.engine import Network
from backprop_tutor.spec import load_spec, spec_from_text
from backprop_tutor.tiny import TinyDescent
from backprop_tutor.train import train

# the losses and activations the tiny loop takes (a scalar form each)
TINY_LOSSES = sorted(name for name, loss in LOSSES.items() if loss.scalar_derivative)


@st.composite
def training_specs(draw, losses: list[str] | None = None):
    """A drawn network with two to four examples and drawn training rules."""
    spec = yaml.safe_load(draw(networks(losses)))
    x, t = spec.pop("inputs"), spec.pop("targets")
    number = st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 3))
    examples = [{"inputs": x, "targets": t}]
    for _ in range(draw(st.integers(1, 3))):
        other = [draw(number) for _ in x]
        examples.append({"inputs": other, "targets": t})
    spec["examples"] = examples
    spec["update_biases"] = draw(st.booleans())
    spec["training"] = {
        "momentum": draw(st.sampled_from([0.0, 0.9])),
        "reduction": draw(st.sampled_from(["mean", "sum"])),
    }
    if draw(st.booleans()):
        spec["notation"] = "layered"  # the bias as a threshold, subtracted
    return spec_from_text(yaml.safe_dump(spec), "drawn.yaml")


def _parameters(network: Network) -> np.ndarray:
    return network._params.data.copy()


@settings(max_examples=120, deadline=None)
@given(training_specs(), st.integers(1, 4))
def test_descend_is_compute_then_apply_to_the_last_bit(spec, batch: int) -> None:
    recorded, fast = Network(spec), Network(spec)
    x, t = spec.examples.inputs.T, spec.examples.targets.T
    columns = np.arange(min(batch, x.shape[1]))
    scale = 1.0 / len(columns) if spec.training.reduction == "mean" else 1.0
    with np.errstate(all="ignore"):
        for _ in range(3):
            recorded._apply(recorded._compute(x[:, columns], t[:, columns]), scale)
            fast._descend(x[:, columns], t[:, columns], scale)
    assert np.array_equal(_parameters(recorded), _parameters(fast), equal_nan=True)
    # the layers' arrays are still the flat array's views: an update reached them
    for layer, (weights, bias) in zip(fast.layers, fast._params.views, strict=True):
        assert layer.weights is weights and layer.bias is bias


# Found by hypothesis: a deep linear stack under momentum whose parameters grow past 1e22, where
# ±5e5 weights cancel in a sum and one ulp's change in a parameter moves the update by 3e11.
CANCELLING = """
layers:
  - {units: 3, activation: tanh, bias: [0, 0, 1],
     weights: [[2, 0, 2], [0, 0, 0], [0, 0, 1.5]]}
  - {units: 4, activation: linear, weights: [[2, 0, 0], [1.25, 0, 0], [0, 0, 0], [0, 0, 0]]}
  - {units: 3, activation: linear, weights: [[0, 0, 1, 0], [0, 2, 0, 0], [0, 0, 2, 0]]}
  - {units: 3, activation: linear, weights: [[0, 0, 0], [0, 0, 0], [0, 1.625, 0]]}
examples:
  - {inputs: [0.891, 0.0, -1.0], targets: [0, 0, 0]}
  - {inputs: [0.0, 0.0, -2.0], targets: [0, 0, 0]}
loss: mse
learning_rate: 0.5
update_biases: false
training: {momentum: 0.9, reduction: mean}
"""


def _rounding_spread(spec, start: np.ndarray, velocity: np.ndarray, x, t) -> np.ndarray:
    """How far each parameter's update moves when every starting parameter moves by one ulp
    (the most over a few random such moves).

    Two correct orders of the same sums differ by about this much: where terms cancel, a few
    ulps of the terms is far more than a few ulps of the result.
    """
    rng = np.random.default_rng(0)
    spread, want = np.zeros_like(start), None
    for probe in range(5):
        network = Network(spec)
        ulps = rng.choice([-1.0, 1.0], start.size) * np.finfo(float).eps * (probe > 0)
        network._params.data[:] = start * (1.0 + ulps)
        network._velocity.data[:] = velocity
        network._descend(x[:, None], t[:, None], 1.0)
        if want is None:
            want = network._params.data.copy()
        spread = np.maximum(spread, np.abs(network._params.data - want))
    return spread


@settings(max_examples=150, deadline=None)
@given(training_specs(TINY_LOSSES))
@example(spec_from_text(CANCELLING, "cancelling.yaml"))
def test_the_tiny_loop_agrees_with_the_arrays_within_ulps(spec) -> None:
    """Update after update from the same parameters (and velocities), the two give the same
    new ones within a few ulps of the numbers involved (where sums cancel, of their terms)."""
    arrays, tiny_network = Network(spec), Network(spec)
    if not TinyDescent.fits(tiny_network, 1):
        return  # an activation without a scalar form: the arrays train it
    tiny = TinyDescent(tiny_network)
    x, t = spec.examples.inputs, spec.examples.targets
    with np.errstate(all="ignore"):
        for k in range(12):
            i = k % len(x)
            start, velocity = _parameters(arrays), arrays._velocity.data.copy()
            tiny_network._params.data[:] = start
            tiny_network._velocity.data[:] = velocity
            tiny.load()
            arrays._descend(x[i][:, None], t[i][:, None], 1.0)
            if not tiny.update(list(x[i]), list(t[i])):
                return  # overflowed: the arrays make that update (and report it)
            tiny.store()
            want, got = _parameters(arrays), _parameters(tiny_network)
            if not np.isfinite(want).all():
                return
            # each parameter against its own size and its own update's spread (one bound for
            # all let an update smaller than the largest's spread go unchecked)
            size = np.maximum(np.abs(start), np.abs(want)) + 1.0
            spread = _rounding_spread(spec, start, velocity, x[i], t[i])
            off = np.abs(got - want) > 1e-13 * size + 8.0 * spread
            assert not off.any(), (np.abs(got - want)[off], spread[off])


NETS = [0.0, -0.0, 1e-300, -1e-300, 0.5, -0.5, 3.0, -3.0, 30.0, -30.0, 700.0, -700.0, 800.0]
NETS += [-709.7, -710.0, -745.5, -800.0]  # e^−net overflows past about −709.78


def _entry(name: str):
    return activation(name, alpha=0.2) if name in PARAMETRIZED else ACTIVATIONS[name]


@pytest.mark.filterwarnings("error")  # e^710 is inf on one float as on arrays, unannounced
@pytest.mark.parametrize("name", [n for n in sorted(ACTIVATIONS) if _entry(n).scalar])
def test_each_scalar_form_is_its_array_form(name: str) -> None:
    entry = _entry(name)
    value, derivative = entry.scalar
    nets = np.array(NETS)
    with np.errstate(all="ignore"):
        outs = entry.value(nets)
        slopes = (entry.derivative_from_net or entry.derivative)(nets, outs)
    for net, out, slope in zip(NETS, outs, slopes, strict=True):
        assert math.isclose(value(net), out, rel_tol=4e-16, abs_tol=0.0), (net, value(net), out)
        assert math.isclose(derivative(net, value(net)), slope, rel_tol=1e-15), net


@pytest.mark.parametrize("name", TINY_LOSSES)
def test_each_scalar_loss_derivative_is_its_array_form(name: str) -> None:
    loss = LOSSES[name]
    t, o = np.array([[0.0], [1.0], [0.25]]), np.array([[0.3], [0.9], [-2.0]])
    want = loss.derivative(t, o)[:, 0]
    got = [loss.scalar_derivative(a, b, 3) for a, b in zip(t[:, 0], o[:, 0], strict=True)]
    assert got == list(want)


def _xor(epochs: int) -> object:
    text = (ROOT / "configs" / "xor.yaml").read_text(encoding="utf-8")
    spec = yaml.safe_load(text)
    spec["training"].update(epochs=epochs, max_epochs=epochs, loss_threshold=None)
    return spec_from_text(yaml.safe_dump(spec), str(ROOT / "configs" / "xor.yaml"))


def test_xor_trained_by_the_tiny_loop_is_xor_trained_on_arrays(monkeypatch) -> None:
    """10,000 epochs (40,000 updates): the two differ only in the last digits, far below any
    digit printed."""
    spec = _xor(10_000)
    assert TinyDescent.fits(Network(spec), spec.training.batch_size)
    tiny = train(spec)
    monkeypatch.setattr(TinyDescent, "fits", staticmethod(lambda network, size: False))
    arrays = train(spec)
    for name, value in arrays.parameters.items():
        assert math.isclose(tiny.parameters[name], value, rel_tol=1e-9), name
    assert np.allclose(tiny.losses, arrays.losses, rtol=1e-9, atol=0)
    n = spec.display.format
    assert [n(v) for v in tiny.parameters.values()] == [n(v) for v in arrays.parameters.values()]


def test_a_big_data_set_is_read_a_column_at_a_time_to_the_same_numbers(monkeypatch) -> None:
    """Past LISTED_VALUES the tiny loop reads each example from the arrays (a million rows
    as Python floats would take 32 bytes a number): bit for bit what the listed ones give."""
    import backprop_tutor.train as training

    spec = _xor(300)
    listed = train(spec)
    monkeypatch.setattr(training, "LISTED_VALUES", 0)
    made = []
    real = training.Updates.__init__

    def remember(self, *args) -> None:
        real(self, *args)
        made.append(self)

    monkeypatch.setattr(training.Updates, "__init__", remember)
    columns = train(spec)
    assert made and made[0].tiny is not None and made[0].examples is None
    assert columns.parameters == listed.parameters
    assert np.array_equal(columns.losses, listed.losses)


def test_a_tiny_network_that_diverges_is_reported_as_on_arrays(monkeypatch) -> None:
    """Linear units and a big learning rate overflow to inf, then nan: the same epoch and
    parameter are named whichever loop trained it."""
    from backprop_tutor.core.errors import TrainingError

    spec = yaml.safe_load((ROOT / "configs" / "xor.yaml").read_text(encoding="utf-8"))
    for layer in spec["layers"]:
        layer["activation"] = "linear"
    spec["learning_rate"] = 10.0
    spec["training"].update(epochs=500, max_epochs=500, loss_threshold=None)
    spec = spec_from_text(yaml.safe_dump(spec), "diverges.yaml")
    assert TinyDescent.fits(Network(spec), 1)
    with pytest.raises(TrainingError, match="training diverged at epoch") as tiny:
        train(spec)
    monkeypatch.setattr(TinyDescent, "fits", staticmethod(lambda network, size: False))
    with pytest.raises(TrainingError, match="training diverged at epoch") as arrays:
        train(spec)
    assert str(tiny.value) == str(arrays.value)


def test_a_full_batch_reuses_its_loss_pass_and_gives_separate_passes_numbers() -> None:
    """Each epoch's loss pass is the next update's forward pass, and the diagnosis after
    training is read from the last one: the numbers of a pass made for each."""
    spec = load_spec(ROOT / "configs" / "xu-full-batch.yaml")
    result = train(spec)
    network = Network(spec)
    x, t = spec.examples.inputs.T, spec.examples.targets.T
    n = x.shape[1]
    before = [float(np.linalg.norm(d)) for d in network.compute(x, t).delta]
    losses = []
    for _ in range(result.epochs):
        network.apply(network.compute(x, t), 1.0 / n)
        losses.append(network.total_loss(x, t) / n)
    after = network.compute(x, t)
    assert list(result.losses) == losses
    assert result.delta_norms == (before, [float(np.linalg.norm(d)) for d in after.delta])
    assert np.array_equal(result.outputs, after.outs[-1])


def test_float32_training_learns_xor_as_float64_does_and_says_so() -> None:
    """`training: dtype: float32` trains in float32 (half the memory, faster products) to
    the float64 result within float32's precision; the report's header says so."""
    from conftest import render

    from backprop_tutor.core.trace import Trace
    from backprop_tutor.record import header
    from backprop_tutor.render.json_out import training_json
    from backprop_tutor.render.train_view import TrainingReport

    text = yaml.safe_load((ROOT / "configs" / "xor.yaml").read_text(encoding="utf-8"))
    exact = spec_from_text(yaml.safe_dump(text), "xor.yaml")
    text["training"]["dtype"] = "float32"
    single = spec_from_text(yaml.safe_dump(text), "xor.yaml")
    wide, narrow = train(exact), train(single)
    assert narrow.weights[0].dtype == np.float32 and wide.weights[0].dtype == np.float64
    assert narrow.epochs == wide.epochs
    for name, value in wide.parameters.items():
        assert math.isclose(narrow.parameters[name], value, rel_tol=1e-4), name
    for result, spec, said in ((narrow, single, True), (wide, exact, False)):
        shown = " ".join(render(TrainingReport(result, Trace(header(spec), ())), 200).split())
        assert ("float32 arithmetic" in shown) is said
        document = json.loads(training_json(result, Trace(header(spec), ())))
        assert document["training"]["dtype"] == ("float32" if said else "float64")
        assert document["training"]["shuffled"] is True  # stochastic: a new order each epoch


def test_float32_is_for_training_only() -> None:
    from backprop_tutor.record import run

    text = yaml.safe_load((ROOT / "configs" / "dawood.yaml").read_text(encoding="utf-8"))
    exact = run(spec_from_text(yaml.safe_dump(text), "dawood.yaml")).values()
    text["training"] = {"dtype": "float32"}
    assert run(spec_from_text(yaml.safe_dump(text), "dawood.yaml")).values() == exact


@settings(max_examples=80, deadline=None)
@given(training_specs())
def test_float32_stays_float32_in_every_array(spec) -> None:
    """Every activation and loss keeps `training: dtype: float32` in float32: an entry that
    made a float64 array (a derivative of ones, a softmax's shares) would double the memory
    and the time of every pass after it."""
    network = Network(spec, np.float32)
    x, t = (np.asarray(a, dtype=np.float32) for a in (spec.inputs, spec.targets))
    p = network._compute(x.reshape(-1, 1), t.reshape(-1, 1))
    kinds = [layer.activation.name for layer in network.layers]
    for name in ("outs", "nets", "de_dout", "dout_dnet", "delta", "grad_w", "grad_b"):
        for k, a in enumerate(getattr(p, name)):
            assert a.dtype == np.float32, f"{name}[{k}] of {kinds}, {spec.loss}"
    assert p.terms.dtype == np.float32


# Updates past float64 that raise nothing in Python, each made differently by BLAS's fused
# multiply-add: inf − inf is nan here where BLAS keeps inf (found by hypothesis), and a net of
# inf is a sigmoid's 1 with slope 0 here where BLAS makes the same net 0 (helper 22's case).
PAST_FLOAT64 = {
    "inf minus inf": {
        "inputs": [0.0, 1.0, 0.0, 0.0],
        "targets": [0.0, 1.0],
        "layers": [
            {
                "units": 2,
                "activation": "linear",
                "weights": [[0.0, -2e163, 0.0, 4e163], [0.0, -4e163, 0.0, 8e163]],
            },
            {"units": 2, "activation": "relu", "weights": [[0.0, 0.0], [-3e162, 5e163]]},
            {"units": 2, "activation": "linear", "weights": [[0.0, 0.0], [0.0, 1e164]]},
        ],
    },
    "a net of inf": {
        "inputs": [1e154, 1e154],
        "targets": [0.0],
        "layers": [
            {
                "units": 1,
                "activation": "sigmoid",
                "weights": [[-1.7e154, 2.5e154]],
                "bias": [-8.000000000000002e307],
            }
        ],
    },
}


@pytest.mark.parametrize("case", sorted(PAST_FLOAT64))
def test_an_update_past_float64_without_an_exception_is_made_on_the_arrays(case: str) -> None:
    """The tiny loop hands such an update to the arrays instead of making a different one."""
    text = yaml.safe_dump({**PAST_FLOAT64[case], "loss": "half_sse", "learning_rate": 0.5})
    spec = spec_from_text(text, "overflow.yaml")
    network = Network(spec)
    tiny = TinyDescent(network)
    with np.errstate(all="ignore"):
        assert not tiny.update(list(spec.inputs), list(spec.targets))
    assert tiny.params == network._params.data.tolist()  # nothing changed
