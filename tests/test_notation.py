"""Every config in every notation: the same numbers, the lecture's own words."""

from __future__ import annotations

import json

import pytest
from conftest import CONFIGS, numbers_in, render
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.core.notation import NOTATIONS
from backprop_tutor.record import run
from backprop_tutor.render.rich_tables import WorkedExample
from backprop_tutor.spec import load_spec

CONFIG_FILES = sorted(CONFIGS.glob("*.yaml"))


@pytest.mark.parametrize("config", CONFIG_FILES, ids=lambda c: c.stem)
def test_every_config_renders_in_every_notation(config, in_root) -> None:
    trace = run(load_spec(config))
    printed = {
        name: {x.lstrip("-") for x in numbers_in(render(WorkedExample(trace, name), width=100))}
        for name in NOTATIONS
    }
    # every number of the generic notation, in each (up to the sign of delta in Mitchell's and
    # Xu's -dE/dnet); a notation may add some, such as Mitchell's Δw column
    assert all(printed["generic"] <= numbers for numbers in printed.values())


def test_new_weights_are_identical_in_every_notation(in_root) -> None:
    outputs = set()
    for name in NOTATIONS:
        result = CliRunner().invoke(
            app, ["run", "configs/dawood.yaml", "--notation", name, "--format", "json"]
        )
        assert result.exit_code == 0
        values = json.loads(result.output)["values"]
        outputs.add(tuple(sorted((k, v) for k, v in values.items() if k.startswith("new["))))
    assert len(outputs) == 1


def test_the_notation_changes_the_words(in_root) -> None:
    runner = CliRunner()
    dawood = runner.invoke(app, ["run", "configs/dawood.yaml", "--width", "100"]).output
    xu = runner.invoke(
        app, ["run", "configs/dawood.yaml", "--notation", "xu", "--width", "100"]
    ).output
    assert "sum_h1" in dawood and "net_h1" in xu and "J = Σ" in xu


def test_symbolic_in_another_notation(in_root) -> None:
    result = CliRunner().invoke(
        app,
        [
            "run",
            "configs/dawood.yaml",
            "--symbolic",
            "--only",
            "w5",
            "--notation",
            "generic",
            "--width",
            "120",
        ],
    )
    assert result.exit_code == 0
    assert "(out_o1 − t_o1)·(out_o1·(1 − out_o1))·out_h1" in result.output


def test_an_unknown_notation_is_one_line(in_root) -> None:
    result = CliRunner().invoke(app, ["run", "configs/dawood.yaml", "--notation", "dawod"])
    assert result.exit_code == 2 and "did you mean 'dawood'?" in result.stderr


def test_layered_biases_are_thresholds_subtracted(in_root) -> None:
    """S = Σ w x − b: ∂L/∂b = −δ, b ← b + η δ, and the gradients still match differences."""
    import numpy as np

    from backprop_tutor.engine import Network
    from backprop_tutor.teach.gradcheck import central_differences

    spec = load_spec(CONFIGS / "layered.yaml")
    trace = run(spec)
    step = trace.steps[0]
    values = trace.values()
    hidden = next(f for f in step.forward if f.unit == "x1^(1)")
    assert hidden.net == pytest.approx(
        sum(t.source_value * t.weight_value for t in hidden.terms) - hidden.bias_value
    )
    bias = next(g for g in step.gradients if g.param == hidden.bias)
    assert bias.gradient == pytest.approx(-values["delta[x1^(1)]"])
    assert values[f"new[{hidden.bias}]"] == pytest.approx(
        values[f"old[{hidden.bias}]"] + spec.learning_rate * values["delta[x1^(1)]"]
    )
    network = Network.from_spec(spec)
    numeric = central_differences(network, np.array(spec.inputs), np.array(spec.targets))
    for name, expected in numeric.items():
        assert values[f"grad[{name}]"] == pytest.approx(expected, rel=1e-6, abs=1e-10)
    text = render(WorkedExample(trace), width=100)
    assert "Σ weight × input − threshold" in text and "− w01^(1)" not in text


def test_layered_symbolic_is_proved(in_root) -> None:
    from backprop_tutor.symbolic.derivation import derive

    for derivation in derive(run(load_spec(CONFIGS / "layered.yaml"))):
        assert derivation.proof is True and not derivation.mismatches


@pytest.mark.parametrize("name", sorted(NOTATIONS))
def test_a_row_of_weight_names_is_the_form_filled_for_each_weight(name: str) -> None:
    """`weight_names` fills the target's part of the form once per row (a shortcut for MNIST's
    200,000 weights); each name must be the notation's form filled for that one weight,
    indices past 9 (a separator) included, and a name outside the spec's rules too."""
    from backprop_tutor.core.notation import UnitRef

    notation = NOTATIONS[name]
    sources = [UnitRef(f"x{k}", 0, k) for k in range(1, 13)]
    for target in (UnitRef("h3", 1, 3), UnitRef("o11", 2, 11, True), UnitRef("a{b}", 1, 2)):
        expected = [
            notation.weight.format(
                source=s.name,
                target=target.name,
                source_index=s.index,
                target_index=target.index,
                sep="_" if max(s.index, target.index) > 9 else "",
                layer=target.layer,
                counter=40 + i,
            )
            for i, s in enumerate(sources)
        ]
        assert notation.weight_row(target.layer, sources, target, 40)[0] == expected


@pytest.mark.parametrize("notation", sorted(NOTATIONS))
def test_run_json_follows_notation_in_header_and_deltas_display(notation: str, in_root) -> None:
    """--notation was ignored by -f json: its header and δ's display stayed the file's."""

    def document(*extra: str) -> dict:
        result = CliRunner().invoke(app, ["run", "configs/tiwari.yaml", "-f", "json", *extra])
        return json.loads(result.stdout)

    own, other = document(), document("--notation", notation)
    assert other["header"]["notation"] == notation and other["values"] == own["values"]
    sign = NOTATIONS[notation].delta_sign
    for key, value in own["values"].items():
        if key.startswith("delta[") and abs(value) > 1e-3:
            assert other["display"][key].startswith("-") == (sign * value < 0), key


# An input as each lecture writes it: Mitchell's x_i (x_ij into unit j), the layered notes'
# x_j^(0), Dawood's i1, Bishop's and Xu's x1; the generic notation by its name. An input is
# its own output, but no lecture writes it with the output's letter (Mitchell's o_x1, the
# layered notes' x_x1, the generic out_x1 were the registry's default, not a lecture's).
INPUTS = {
    "generic": "x1",
    "dawood": "i1",
    "borela": "x1",
    "mitchell": "x1",
    "layered": "x1^(0)",
    "xu": "x1",
}


@pytest.mark.parametrize("name", sorted(NOTATIONS))
def test_an_input_is_written_as_its_lecture_writes_it(name: str) -> None:
    from backprop_tutor.core.notation import UnitRef

    notation = NOTATIONS[name]
    unit = UnitRef(notation.input_name(1), 0, 1)
    assert notation.out(unit) == INPUTS[name]
