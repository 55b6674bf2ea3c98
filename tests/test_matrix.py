"""`run --matrix`: every equation holds as matrix algebra, done here with numpy on the matrices
printed; every entry is the tables' own number by id; every number is printed whole at every
width; the LaTeX compiles; a mini-batch is one column per example."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
from conftest import CONFIGS
from hypothesis import given, settings
from rich.cells import cell_len
from test_exports import _pdflatex
from test_gradients import networks
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.core.regularizers import displayed
from backprop_tutor.record import run
from backprop_tutor.render.json_out import matrix_json
from backprop_tutor.spec import load_spec, spec_from_text

CONFIG_NAMES = sorted(p.stem for p in CONFIGS.glob("*.yaml"))


def _out(args: list[str]) -> str:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, (args, result.output, result.stderr)
    return result.stdout


def _words(text: str) -> set[str]:
    """Each number printed, without the brackets drawn around it or its sign."""
    return {w.strip("⎡⎢⎣⎤⎥⎦[]()·:,").lstrip("-−") for w in text.split()}


def _softmax(a):
    e = np.exp(a - a.max(axis=0))
    return e / e.sum(axis=0)


ACTIVATIONS = {  # written here, not read from the registry
    "sigmoid": lambda a: 1 / (1 + np.exp(-a)),
    "tanh": np.tanh,
    "relu": lambda a: np.maximum(a, 0),
    "linear": lambda a: a,
    "softmax": _softmax,
    "softplus": lambda a: np.log1p(np.exp(a)),
    "elu": lambda a: np.where(a > 0, a, np.expm1(a)),
    "leaky_relu": lambda a, alpha: np.where(a > 0, a, alpha * a),
}


def _evaluate(terms: list[dict], examples: int, form: str) -> np.ndarray:
    """The right side of an equation as its symbols say: juxtaposition is the matrix product,
    `+`/`−` a new term, `⊙` the elementwise product, `− η ×` a scaled term, `(1/B)` a mean,
    `1ᵀ`/`1` a row or column of ones, `f(` an activation."""
    total, current = None, None
    for t in terms:
        m, before = np.array(t["values"], dtype=float), t["before"]
        scale = 1.0
        if before.startswith("(1/") or "(1/" in before:
            scale = 1 / examples
        if before.startswith("−") and before != "−":
            scale *= -1
        if before.endswith("1ᵀ"):  # a shared bias's gradient: 1ᵀ δ (1), scaled
            m = np.ones((1, m.shape[0])) @ m
        if before in ("+", "−") or before.endswith("×"):
            total = current if total is None else total + current
            factor = -1.0 if before.startswith("−") else 1.0
            if before.endswith("×"):
                factor = -float(Fraction(before.strip("−× ")))  # η as given: 0.5, 1/3
            current = factor * m
        elif before == "⊙":
            current = current * m
        elif before.endswith("(") and before[:-1] in ACTIVATIONS:
            alpha = form.partition("α = ")[2]
            extra = (float(alpha),) if alpha else ()
            current = ACTIVATIONS[before[:-1]](m, *extra)
        else:
            assert before in ("", "(1/", "−") or before.startswith(("(1/", "1ᵀ", "−")), before
            current = scale * m if current is None else current @ (scale * m)
        if t["after"] == " 1ᵀ":
            current = current @ np.ones((1, examples))
        elif t["after"] == " 1":
            current = current @ np.ones((current.shape[1], 1))
    return current if total is None else total + current


def _check(document: dict, values: dict[str, float], tolerance: float = 1e-9) -> int:
    """Every equation holds, and every entry with an id is that id's value; the count."""
    checked = 0
    for step in document["steps"]:
        for e in step["equations"]:
            got = _evaluate(e["terms"], step["examples"], e["form"])
            want = np.array(e["result"]["values"], dtype=float)
            assert got.shape == want.shape, e["form"]
            assert np.allclose(got, want, rtol=tolerance, atol=tolerance), (e["form"], got, want)
            for m in (*e["terms"], e["result"]):
                for ids, row in zip(m["ids"], m["values"], strict=True):
                    for key, value in zip(ids, row, strict=True):
                        assert not key or values[key] == value, key
            checked += 1
    return checked


MATRIX_CONFIGS = [c for c in CONFIG_NAMES if not load_spec(CONFIGS / f"{c}.yaml").normalized]


@pytest.mark.parametrize("config", MATRIX_CONFIGS)
def test_every_equation_holds_and_every_entry_is_the_tables(config: str) -> None:
    path = str(CONFIGS / f"{config}.yaml")
    document = json.loads(_out(["run", path, "--matrix", "-f", "json"]))
    values = json.loads(_out(["run", path, "-f", "json"]))["values"]
    spec = load_spec(path)
    # calculator arithmetic rounds each quantity: the algebra holds to its last carried digit
    tolerance = 1e-9 if spec.carry_digits is None else 3 * 10.0**-spec.carry_digits
    assert _check(document, values, tolerance) >= 4 * len(spec.layers)


@settings(max_examples=25, deadline=None)
@given(text=networks())
def test_every_equation_holds_on_drawn_networks(text: str) -> None:
    trace = run(spec_from_text(text, "drawn.yaml"))
    _check(json.loads(matrix_json(trace)), trace.values(), 1e-8)


def test_dawood_new_w5_is_the_tables_0_45187() -> None:
    path = str(CONFIGS / "dawood.yaml")
    document = json.loads(_out(["run", path, "--matrix", "-f", "json"]))
    display = json.loads(_out(["run", path, "-f", "json"]))["display"]
    (update,) = [e for e in document["steps"][0]["equations"] if e["form"].startswith("W⁽²⁾ ←")]
    assert update["result"]["ids"][0][0] == "new[w5]"
    assert display["new[w5]"] == "0.45187"
    text = _out(["run", path, "--matrix", "--width", "100"])
    assert "0.45187" in _words(text)


@pytest.mark.parametrize("width", (40, 60, 100))
@pytest.mark.parametrize("config", ["dawood", "mitchell-8-3-8", "adam", "xu-softmax", "layered"])
def test_every_number_whole_at_every_width(config: str, width: int) -> None:
    path = str(CONFIGS / f"{config}.yaml")
    document = json.loads(_out(["run", path, "--matrix", "-f", "json"]))
    display = load_spec(path).display
    text = _out(["run", path, "--matrix", "--width", str(width)])
    assert max(map(cell_len, text.splitlines())) <= width
    words = _words(text)
    for step in document["steps"]:
        for e in step["equations"]:
            for m in (*e["terms"], e["result"]):
                for ids, row in zip(m["ids"], m["values"], strict=True):
                    for key, v in zip(ids, row, strict=True):  # a Δ to 3 significant figures
                        shown = displayed(key, v, display.format)
                        assert shown.lstrip("-") in words, (e["form"], v)


def test_the_latex_compiles_with_bmatrix(tmp_path) -> None:
    source = _out(["run", str(CONFIGS / "dawood.yaml"), "--matrix", "-f", "latex"])
    assert "\\begin{bmatrix}" in source and "0.45187" in source
    assert _pdflatex(source, tmp_path).exists()
    markdown = _out(["run", str(CONFIGS / "dawood.yaml"), "--matrix", "-f", "markdown"])
    assert "$$" in markdown and "\\begin{bmatrix}" in markdown


def test_a_mini_batch_is_one_column_per_example() -> None:
    """`train --trace-steps 1 --matrix`: Xu's mini-batch of 4, each example a column, the
    gradient the mean of δ zᵀ over them."""
    path = str(CONFIGS / "xu-mini-batch.yaml")
    args = ["train", path, "--trace-steps", "1"]
    document = json.loads(_out([*args, "--matrix", "-f", "json"]))
    traced = json.loads(_out([*args, "-f", "json"]))["traced"]  # train's own ids: @1 too
    (step,) = document["steps"]
    assert step["examples"] == 4 and step["reduction"] == "mean"
    forward = step["equations"][0]
    assert np.array(forward["result"]["values"]).shape[1] == 4
    assert forward["result"]["ids"][0][1].endswith("@1#2")
    assert _check(document, traced) >= 8


def test_a_matrix_of_more_than_ten_columns_compiles(tmp_path) -> None:
    """Xu's full batch: 12 examples as 12 columns (amsmath's bmatrix stops at 10 unless
    told otherwise)."""
    path = str(CONFIGS / "xu-full-batch.yaml")
    source = _out(["train", path, "--trace-steps", "1", "--matrix", "-f", "latex"])
    assert _pdflatex(source, tmp_path).exists()


def test_train_matrix_of_an_update_that_never_happened_is_refused() -> None:
    args = ["train", str(CONFIGS / "xor.yaml"), "--trace-steps", "99999999", "--matrix"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "updates" in result.stderr


def test_matrix_refuses_what_it_does_not_print() -> None:
    result = CliRunner().invoke(app, ["run", str(CONFIGS / "dawood.yaml"), "--matrix", "--ids"])
    assert result.exit_code == 2 and "--matrix" in result.stderr
    result = CliRunner().invoke(app, ["train", str(CONFIGS / "xor.yaml"), "--matrix"])
    assert result.exit_code == 2 and "--trace-steps" in result.stderr


@pytest.mark.parametrize(
    "extra",
    [
        ["--symbolic"],
        ["--only", "w5"],
        ["--ids"],
        ["--section", "forward"],
        ["--param", "w5"],
        ["--notation", "xu"],
        ["--claims-template", "CLAIMS"],
    ],
    ids=lambda extra: extra[0],
)
def test_matrix_refuses_every_option_of_another_document(extra: list[str], tmp_path) -> None:
    """Each option the refusal names, alone with --matrix: exit 2, the --matrix line, and
    no claims file written."""
    claims = tmp_path / "claims.yaml"
    extra = [str(claims) if arg == "CLAIMS" else arg for arg in extra]
    args = ["run", str(CONFIGS / "dawood.yaml"), "--matrix", *extra]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, (extra, result.output)
    assert "matrix form alone" in " ".join(result.stderr.split())
    assert not claims.exists()


def test_batch_normalization_is_refused_in_one_line() -> None:
    """The matrix form of a batch-normalized layer is not worked out yet: refused, exit 2."""
    result = CliRunner().invoke(app, ["run", str(CONFIGS / "batch-norm.yaml"), "--matrix"])
    assert result.exit_code == 2
    assert "not worked out yet" in result.output and result.output.count("\n") == 1
