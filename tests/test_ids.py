"""The ids a student writes claims with: `run --ids` prints them, the new ones (the error after
the update, each term of a hidden dE/dout, training results) hold the engine's numbers, and a
table too wide for the width changes shape instead of losing a number."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from conftest import CONFIGS, ROOT
from rich.cells import cell_len
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.record import run
from backprop_tutor.spec import load_spec
from backprop_tutor.teach.training_claims import training_id
from backprop_tutor.train import train

CONFIG_NAMES = sorted(p.stem for p in CONFIGS.glob("*.yaml"))
# an id as the tables print it under a number: kind[inside] with @step / #example, or the loss
ID = re.compile(r"(?<![\w\[])(?:−?[a-z_]+\[[^\]\s]+\]|loss)(?:@\w+)?(?:#\d+)?")
SHOWN = ("net", "out", "loss", "de_dout", "dout_dnet", "delta", "grad", "old", "new")


def _text(args: list[str], width: int) -> str:
    result = CliRunner().invoke(app, [*args, "--width", str(width)])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_run_ids_names_every_number_by_an_id_of_the_trace(name: str) -> None:
    path = CONFIGS / f"{name}.yaml"
    values = run(load_spec(path)).values()
    printed = {m.lstrip("−") for m in ID.findall(_text(["run", str(path), "--ids"], 400))}
    assert printed <= values.keys(), printed - values.keys()
    kinds = {key.partition("[")[0].partition("@")[0] for key in values}
    assert {k for k in SHOWN if k in kinds} <= {p.partition("[")[0] for p in printed} | {"loss"}
    wanted = {k for k in values if k.startswith(("new[", "grad[", "delta[")) and "@" not in k}
    assert wanted <= printed, wanted - printed


@pytest.mark.parametrize("width", [40, 60, 80])
@pytest.mark.parametrize("ids", [[], ["--ids"]])
def test_a_table_too_wide_for_the_width_keeps_every_number(width: int, ids: list[str]) -> None:
    """Dawood at 60 columns once printed new w5 as 0.4518 and dropped the hidden gradients'
    sum column; now such a table becomes one record per row."""
    path = CONFIGS / "dawood.yaml"
    trace = run(load_spec(path))
    n, values = trace.header.display.format, trace.values()
    text = _text(["run", str(path), *ids], width)
    assert max(map(cell_len, text.splitlines())) <= width  # m̂: a letter and a 0-wide accent
    words = set(text.split())
    for key in (k for k in values if k.startswith(("new[", "grad[", "path[", "delta["))):
        assert n(values[key]) in words, (key, n(values[key]))


@pytest.mark.parametrize("name", ["dawood", "borela", "xu-example-2"])
def test_the_error_after_the_update_is_the_first_epoch_of_training(name: str) -> None:
    """`loss@after` is the example forward again through the new weights: for one example
    trained one update per epoch, the loss `train` reports after epoch 1 (in exact arithmetic:
    `train` carries no calculator's digits)."""
    spec = replace(load_spec(CONFIGS / f"{name}.yaml"), carry_digits=None)
    one = replace(spec.training, epochs=1, batch="stochastic", batch_size=1, shuffle=False)
    trained = train(replace(spec, examples=((spec.inputs, spec.targets),), training=one))
    assert run(spec).values()["loss@after"] == pytest.approx(trained.losses[0], rel=1e-12)


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_each_term_of_a_hidden_de_dout_is_a_weight_times_a_delta(name: str) -> None:
    trace = run(load_spec(CONFIGS / f"{name}.yaml"))
    values = trace.values()
    back = "new" if trace.header.update == "layer_by_layer" else "old"
    places = trace.header.carry_digits  # calculator arithmetic: each term carried to its digits
    near = 1e-9 if places is None else 0.5 * 10**-places + 1e-9
    for d in trace.steps[0].deltas:
        if not d.downstream:
            continue
        terms = [values[f"de_dout[{d.unit},{k}]"] for k, *_ in d.downstream]
        for (k, w, _, _), term in zip(d.downstream, terms, strict=True):
            assert term == pytest.approx(values[f"{back}[{w}]"] * values[f"delta[{k}]"], abs=near)
        assert sum(terms) == pytest.approx(d.de_dout, rel=1e-9, abs=near)


def test_training_ids_name_only_what_the_spec_has() -> None:
    spec = load_spec(ROOT / "tests/data/homework-specs/mazur.yaml")
    assert training_id("loss@epoch10000", spec) and training_id("loss@trained", spec)
    assert training_id("new[w5]@trained", spec) and training_id("out[o2]@trained#1", spec)
    for key in ("loss@epoch0", "loss@epoch10001", "new[w9]@trained", "out[o1]@trained#2"):
        assert training_id(key, spec) is None, key


@pytest.mark.parametrize("config", ["xu-example-2", "tiwari", "dawood"])
def test_every_id_under_a_number_names_that_number(config: str) -> None:
    """In Markdown each cell is `number<br>id`: the number is the JSON's display of the id,
    or its negation for −id (the −δ column of Xu's and Mitchell's tables was labelled
    delta[z1], whose claim has the other sign)."""
    import json

    display = json.loads(_text(["run", str(CONFIGS / f"{config}.yaml"), "-f", "json"], 100))
    shown = display["display"]
    page = _text(["run", str(CONFIGS / f"{config}.yaml"), "--ids", "-f", "markdown"], 100)
    pairs = re.findall(r"(-?\d+\.\d+)<br>(−?)([a-z_]+\\\[[^|<]*?\\\](?:\\?@\w+)?(?:#\d+)?)", page)
    assert len(pairs) > 30
    for number, minus, ident in pairs:
        key = ident.replace("\\", "")  # Markdown's escapes: \\[ \\] \\@
        if key in shown:
            expected = shown[key]
            if minus and float(expected):
                expected = expected[1:] if expected.startswith("-") else "-" + expected
            assert number == expected, (minus + key, number, expected)
