"""The spec format: every way the README documents to write a network loads as documented."""

from __future__ import annotations

import json
import math
import random

import pytest
from conftest import CONFIGS
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_tutor.core.errors import SpecError
from backprop_tutor.record import run
from backprop_tutor.spec import load_spec, spec_from_text
from backprop_tutor.spec.initialization import Initializer
from backprop_tutor.spec.yaml_source import parse_yaml

BASE = """
inputs: {x1: 0.5, x2: -0.25}
targets: {o1: 0.2}
loss: half_sse
learning_rate: 0.5
"""


def test_dawood_loads_exactly_as_written() -> None:
    spec = load_spec(CONFIGS / "dawood.yaml")
    hidden, output = spec.layers
    assert hidden.units == ("h1", "h2") and hidden.bias_names == ("b1",) and hidden.shared_bias
    assert hidden.weight_names == (("w1", "w3"), ("w2", "w4"))
    assert output.weights == ((0.5, 0.6), (0.7, 0.8))
    assert not spec.update_biases and spec.display.rounding == "truncate"
    assert spec.title and spec.source and spec.notation == "dawood"


def test_per_unit_biases_by_position() -> None:
    spec = spec_from_text(
        BASE
        + """
layers:
  - units: [h1, h2, h3]
    activation: sigmoid
    bias: {b_h1: 1, b_h2: 2, b_h3: 3}
    weights: [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]
  - units: [o1]
    activation: linear
    weights: [[1, 1, 1]]
"""
    )
    hidden = spec.layers[0]
    assert hidden.bias_names == ("b_h1", "b_h2", "b_h3") and hidden.bias_values == (1, 2, 3)
    assert hidden.bias_of_unit == (0, 1, 2) and not hidden.shared_bias
    assert spec.layers[1].bias_names == ()


def test_per_unit_biases_by_unit_name() -> None:
    text = (
        BASE.replace("targets: {o1: 0.2}", "targets: {o1: 0.2, o2: 0.1}")
        + """
layers:
  - units: [o1, o2]
    activation: sigmoid
    bias: {b_second: {to: o2, value: 2}, b_first: {to: o1, value: 1}}
    weights: [[0.1, 0.2], [0.3, 0.4]]
"""
    )
    spec = spec_from_text(text)
    assert spec.layers[0].bias_names == ("b_first", "b_second")
    assert spec.layers[0].bias_values == (1, 2)


def test_compact_form_names_come_from_the_notation() -> None:
    text = """
inputs: [0.5, 0.5]
targets: [0.5]
layers:
  - {units: 2, activation: sigmoid, bias: 0.1, weights: [[1, 2], [3, 4]]}
  - {units: 1, activation: linear, bias: [0.2], weights: [[5, 6]]}
loss: half_sse
learning_rate: 1/4
"""
    generic = spec_from_text(text)
    assert generic.input_names == ("x1", "x2")
    assert generic.layers[0].units == ("h1", "h2")
    assert generic.layers[0].weight_names == (("w_h1_x1", "w_h1_x2"), ("w_h2_x1", "w_h2_x2"))
    assert generic.layers[0].bias_names == ("b1",)
    assert generic.layers[1].bias_names == ("b_o1",)
    assert generic.learning_rate == 0.25
    dawood = spec_from_text("notation: dawood\n" + text)
    assert dawood.input_names == ("i1", "i2") and dawood.output_names == ("o1",)
    assert dawood.layers[1].weight_names == (("w5", "w6"),)
    borela = spec_from_text("notation: borela\n" + text)
    assert borela.layers[0].units == ("z1", "z2") and borela.output_names == ("y1",)
    assert borela.layers[1].weight_names == (("w11^(2)", "w21^(2)"),)
    assert borela.layers[1].bias_names == ("w01^(2)",)


def test_borela_learning_rate_is_exactly_one_third() -> None:
    assert load_spec(CONFIGS / "borela.yaml").learning_rate == 1 / 3


def test_deep_compact_network_names_are_unique_and_it_runs() -> None:
    text = """
inputs: [0.1, 0.2]
targets: [0.3]
layers:
  - {units: 3, activation: sigmoid, weights: [[1, 2], [3, 4], [5, 6]]}
  - {units: 2, activation: sigmoid, weights: [[1, 2, 3], [4, 5, 6]]}
  - {units: 1, activation: linear, weights: [[1, 2]]}
loss: half_sse
learning_rate: 0.1
"""
    spec = spec_from_text(text)
    assert spec.layers[0].units == ("h1_1", "h1_2", "h1_3")
    assert spec.layers[1].units == ("h2_1", "h2_2")
    trace = run(spec)
    # the first hidden layer's paths go through the second hidden layer's deltas
    first = next(g for g in trace.steps[0].gradients if g.param == "w_h1_1_x1")
    assert [p.via for p in first.paths] == ["h2_1", "h2_2"]
    assert first.paths[0].factors[0].role == "delta"


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ("weights: [[1, 2], [3, 4]]", "2 rows for 1 units"),
        ("weights: [[1]]", "has 1 weights, the layer below has 2 units"),
        ("bias: [1, 2]\n    weights: [[1, 2]]", "2 biases for 1 units"),
        ("units: 0\n    weights: [[1, 2]]", "at least one unit"),
    ],
)
def test_matrix_shape_errors(snippet: str, message: str) -> None:
    text = BASE + "layers:\n  - activation: linear\n    units: [o1]\n    " + snippet + "\n"
    text = text.replace("units: [o1]\n    units: 0", "units: 0")
    with pytest.raises(SpecError, match=message):
        spec_from_text(text)


def test_a_name_used_twice() -> None:
    text = (
        BASE.replace("targets: {o1: 0.2}", "targets: {x1: 0.2}")
        + """
layers:
  - units: [x1]
    activation: linear
    weights: [[1, 2]]
"""
    )
    with pytest.raises(SpecError, match="the name 'x1' is used twice"):
        spec_from_text(text)


def test_fractions_are_parsed_not_evaluated() -> None:
    with pytest.raises(SpecError, match="expected a number"):
        spec_from_text(
            BASE.replace("0.5\n", "__import__('os')\n")
            + """
layers:
  - {units: [o1], activation: linear, weights: [[1, 2]]}
"""
        )


def test_calculator_arithmetic_never_rounds_the_given_numbers() -> None:
    text = """
inputs: [0.125, 0.5]
targets: [0.5]
layers:
  - {units: 1, activation: linear, weights: [[1, 0]]}
loss: half_sse
learning_rate: 1
arithmetic: {carry_digits: 2}
"""
    values = run(spec_from_text(text)).values()
    assert values["input[x1]"] == 0.125
    assert values["net[o1]"] == 0.13  # the computed sum is carried


@pytest.mark.parametrize(
    ("text", "value"),
    [("1e-3", 0.001), ("2E2", 200.0), ('"1/4"', 0.25), ("-3", -3.0), ("1.5e+1", 15.0)],
)
def test_numbers_as_people_write_them(text: str, value: float) -> None:
    spec = spec_from_text(
        BASE.replace("learning_rate: 0.5", "learning_rate: 1")
        + f"""
layers:
  - {{units: [o1], activation: linear, weights: [[{text}, 0]]}}
"""
    )
    assert spec.layers[0].weights[0][0] == value


@pytest.mark.parametrize("text", ["nan", "inf", "'1/0'", "1_0e", "'1/3/4'"])
def test_text_that_is_not_a_finite_number(text: str) -> None:
    with pytest.raises(SpecError, match=r"number|divides by zero"):
        spec_from_text(
            BASE
            + f"""
layers:
  - {{units: [o1], activation: linear, weights: [[{text}, 0]]}}
"""
        )


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**70),
    method=st.sampled_from(["uniform", "xavier"]),
    shapes=st.lists(st.tuples(st.integers(1, 40), st.integers(1, 700)), min_size=1, max_size=4),
)
def test_drawn_weights_are_the_standard_librarys_numbers(seed, method, shapes) -> None:
    """numpy draws a layer's weights from the generator's own state: every value, and every
    draw after it (the biases, the next layer), is what random.Random(seed) gives one by one."""
    drawn = Initializer(method, seed=seed)
    python = random.Random(seed)
    for units, fan_in in shapes:
        limit = math.sqrt(6.0 / (fan_in + units))
        low, high = (-limit, limit) if method == "xavier" else (-0.05, 0.05)
        expected = [[python.uniform(low, high) for _ in range(fan_in)] for _ in range(units)]
        assert drawn.weights(units, fan_in) == expected
        drawn_from = python if method == "uniform" else None  # Xavier's biases are 0, not drawn
        biases = [drawn_from.uniform(-0.05, 0.05) if drawn_from else 0.0 for _ in range(units)]
        assert drawn.biases(units) == biases
    assert all(type(w) is float for w in drawn.weights(2, 3)[0])


def test_a_small_layer_is_drawn_without_handing_the_state_to_numpy(monkeypatch) -> None:
    """Handing the generator's state to numpy and back took 0.2 ms a layer: a third of a bank's
    search of Mitchell's 8-3-8, whose init: is drawn again for each of 10,000 draws. A layer of
    fewer than NUMPY_FROM weights is drawn in Python, the same numbers."""
    import numpy as np

    from backprop_tutor.spec.initialization import NUMPY_FROM

    def handed(*_args):
        raise AssertionError("the generator's state was handed to numpy")

    monkeypatch.setattr(np.random, "RandomState", handed)
    python = random.Random(3)
    units, fan_in = 8, (NUMPY_FROM - 1) // 8
    expected = [[python.uniform(-0.05, 0.05) for _ in range(fan_in)] for _ in range(units)]
    assert Initializer(seed=3).weights(units, fan_in) == expected


@settings(max_examples=300, deadline=None)
@given(
    tag=st.sampled_from(["", "!!int ", "!!float ", "!!bool ", "!!timestamp ", "!!binary "]),
    text=st.text(alphabet="0123456789-:._+xobeE tTZ", max_size=32),
    quoted=st.booleans(),
)
def test_a_value_yaml_cannot_read_as_its_tag_says_is_refused_in_one_line(tag, text, quoted):
    """PyYAML's constructors raise Python's own ValueError, KeyError or IndexError on
    `!!int abc`, `!!bool maybe` or a date with month 13 (2026-13-01, read as a date): each is
    a SpecError naming its place, never an unexpected error."""
    scalar = json.dumps(text) if quoted else text
    try:
        parse_yaml(f"value: {tag}{scalar}\n", "drawn.yaml")
    except SpecError as error:
        assert error.line == 1, error


def test_a_range_xavier_and_he_do_not_use_is_refused_as_a_key_they_do_not_take() -> None:
    """low and high are uniform's: with he they are refused as keys it does not take, not
    checked as a range (too wide, or low above high) that no draw would use."""
    layers = "layers:\n  - {units: [o1], activation: linear}\n"
    init = "init: {method: he, low: -1e308, high: 1e308}\n"
    with pytest.raises(SpecError, match="method he takes no low") as refused:
        spec_from_text(BASE + layers + init)
    assert refused.value.place == "init.low"
    assert spec_from_text(BASE + layers + "init: {method: he}\n").layers[0].weights
    with pytest.raises(SpecError, match="wider than a number can be"):
        spec_from_text(BASE + layers + init.replace("he", "uniform"))


def test_the_readmes_spec_is_configs_dawood_yaml() -> None:
    """The README's annotated spec says it is configs/dawood.yaml: copied from the README, it
    gives the lecture's numbers, every one (it once added calculator arithmetic: new_w5 0.45)."""
    readme = (CONFIGS.parent / "README.md").read_text(encoding="utf-8")
    start = readme.index("This is `configs/dawood.yaml`:")
    block = readme[readme.index("```yaml\n", start) + 8 : readme.index("```\n", start + 40)]
    ours, theirs = run(spec_from_text(block)), run(load_spec(CONFIGS / "dawood.yaml"))
    assert ours.to_dict()["values"] == theirs.to_dict()["values"]
    assert ours.to_dict()["values"]["new[w5]"] == pytest.approx(0.45187, abs=1e-5)
