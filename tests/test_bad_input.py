"""Bad input: one clear line naming the file, the place and the fix; exit code 2; no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CONFIGS
from typer.testing import CliRunner

from backprop_tutor.cli import app

DAWOOD = (CONFIGS / "dawood.yaml").read_text(encoding="utf-8")


def _run(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["run", str(path)])
    assert "Traceback" not in result.output + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.stderr.strip()


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    assert old in DAWOOD, old
    path = tmp_path / "net.yaml"
    path.write_text(DAWOOD.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i + 1 for i, line in enumerate(lines) if text in line)


def _refused(path: Path) -> str:
    """Run on a bad file: exit code 2 and one line naming the file; returns that line."""
    code, message = _run(path)
    assert code == 2
    _one_line(message, path)
    return message


def _one_line(message: str, path: Path) -> None:
    assert message.count("\n") == 0, message
    assert message.startswith("error: "), message
    assert str(path) in message, message


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    message = _refused(path)
    assert "no such file" in message and "check the path" in message


def test_yaml_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    path = _broken(tmp_path, "targets: {o1: 0.05, o2: 0.95}", "targets: {o1: 0.05, o2: [0.95}")
    message = _refused(path)
    assert f"{path}:{_line_of(path, 'targets')}:" in message
    assert "YAML syntax error" in message


def test_unknown_key_names_the_closest_valid_one(tmp_path: Path) -> None:
    path = _broken(tmp_path, "learning_rate: 0.6", "lerning_rate: 0.6")
    message = _refused(path)
    assert f"{path}:{_line_of(path, 'lerning_rate')}:" in message
    assert "unknown key 'lerning_rate'" in message and "did you mean 'learning_rate'?" in message


def test_unknown_key_inside_a_weight(tmp_path: Path) -> None:
    path = _broken(tmp_path, "w6: {from: h2,", "w6: {form: h2,")
    message = _refused(path)
    assert "layers[1].weights.w6.form" in message and "did you mean 'from'?" in message
    assert f":{_line_of(path, 'w6:')}:" in message


def test_weight_from_a_unit_that_does_not_exist(tmp_path: Path) -> None:
    path = _broken(tmp_path, "w5: {from: h1,", "w5: {from: h3,")
    message = _refused(path)
    assert "layers[1].weights.w5.from" in message and "'h3' is not a unit" in message
    assert f":{_line_of(path, 'w5:')}:" in message and "choose one of: h1, h2" in message


def test_weight_to_a_unit_that_does_not_exist(tmp_path: Path) -> None:
    path = _broken(tmp_path, "to: o2, value: 0.8", "to: o3, value: 0.8")
    message = _refused(path)
    assert "layers[1].weights.w8.to" in message and "'o3' is not a unit of this layer" in message


def test_two_weights_on_the_same_edge(tmp_path: Path) -> None:
    path = _broken(tmp_path, "w6: {from: h2, to: o1", "w6: {from: h1, to: o1")
    message = _refused(path)
    assert "'w6' and 'w5' are both weights from h1 to o1" in message
    assert "keep one weight per edge" in message


def test_a_missing_weight(tmp_path: Path) -> None:
    path = _broken(tmp_path, "      w4: {from: i2, to: h2, value: 0.4}\n", "")
    message = _refused(path)
    assert "no weight from i2 to h2" in message and "add '<name>: {from: i2, to: h2" in message


def test_a_wrong_type(tmp_path: Path) -> None:
    path = _broken(tmp_path, "value: 0.7}", "value: heavy}")
    message = _refused(path)
    assert "layers[1].weights.w7.value" in message and "expected a number" in message
    assert f":{_line_of(path, 'heavy')}:" in message


def test_a_non_finite_number(tmp_path: Path) -> None:
    path = _broken(tmp_path, "inputs:  {i1: 0.1,", "inputs:  {i1: .nan,")
    message = _refused(path)
    assert "inputs.i1" in message and "not a finite number" in message


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("9" * 5000, "a whole number of 5,000 digits"),  # Python refuses int() past 4,300
        ('"' + "9" * 350 + '/3"', "too large for a number"),  # the fraction overflows a float
        ('"' + "9" * 5000 + '/3"', "expected a number, got 5,002 characters of text"),
    ],
)
def test_a_number_with_thousands_of_digits_is_one_short_line(
    tmp_path: Path, written: str, said: str
) -> None:
    path = _broken(tmp_path, "value: 0.5}", f"value: {written}}}")
    message = _refused(path)
    assert "layers[1].weights.w5.value" in message and said in message
    assert len(message) < 300 + len(str(path)), message


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("activation: sigmoid", "activation: " + "s" * 5000, "at most 100 characters"),
        ("loss: half_sse", "loss: half_sse\n? " + "k" * 5000 + "\n: 1", "unknown key 'kkkk"),
        ("inputs:  {i1: 0.1,", "inputs:  {i1: 1" + "0" * 5000 + ".0,", "not a finite number"),
    ],
)
def test_a_pasted_megabyte_is_quoted_by_its_ends(
    tmp_path: Path, old: str, new: str, said: str
) -> None:
    path = _broken(tmp_path, old, new)
    message = _refused(path)
    assert said in message and "…" in message
    assert len(message) < 400 + len(str(path)), message


@pytest.mark.parametrize(
    ("old", "where"), [("seed: 0}", "init.seed"), ("  seed: 0", "training.seed")]
)
def test_a_negative_seed(tmp_path: Path, old: str, where: str) -> None:
    """Found by the 10,000-case fuzz run: numpy's generator raised on a negative training seed."""
    text = (CONFIGS / "xor.yaml").read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "xor.yaml"
    path.write_text(text.replace(old, old.replace("0", "-1"), 1), encoding="utf-8")
    for command in ("run", "train"):
        result = CliRunner().invoke(app, [command, str(path)])
        assert result.exit_code == 2 and "Traceback" not in result.output + result.stderr
        message = result.stderr.strip()
        _one_line(message, path)
        assert where in message and "-1" in message, message


@pytest.mark.parametrize("rate", ["0", "-0.6"])
def test_a_non_positive_learning_rate(tmp_path: Path, rate: str) -> None:
    path = _broken(tmp_path, "learning_rate: 0.6", f"learning_rate: {rate}")
    message = _refused(path)
    assert "learning_rate" in message and "is not positive" in message
    assert f":{_line_of(path, 'learning_rate')}:" in message


def test_a_duplicate_key_names_both_lines(tmp_path: Path) -> None:
    path = _broken(tmp_path, "learning_rate: 0.6", "learning_rate: 0.6\nlearning_rate: 0.5")
    message = _refused(path)
    first = _line_of(path, "learning_rate")
    assert f"duplicate key 'learning_rate' (lines {first} and {first + 1})" in message


def test_an_unknown_activation(tmp_path: Path) -> None:
    path = _broken(tmp_path, "activation: sigmoid", "activation: sigmiod")
    message = _refused(path)
    assert "unknown activation 'sigmiod'" in message and "did you mean 'sigmoid'?" in message


def test_targets_that_do_not_match_the_outputs(tmp_path: Path) -> None:
    path = _broken(tmp_path, "targets: {o1: 0.05, o2: 0.95}", "targets: {o1: 0.05, o3: 0.95}")
    message = _refused(path)
    assert "'o3' is not an output unit" in message


def test_a_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n", encoding="utf-8")
    message = _refused(path)
    assert "must be a mapping" in message


def test_a_bad_option_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["run", str(CONFIGS / "dawood.yaml"), "--format", "pdf"])
    assert result.exit_code == 2


def test_nothing_the_user_had_is_changed(tmp_path: Path) -> None:
    path = _broken(tmp_path, "learning_rate: 0.6", "lerning_rate: 0.6")
    before = path.read_bytes()
    _run(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.yaml"]


def test_overflow_is_one_line_not_inf(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(
        """
inputs: [1e300, 1e300]
targets: [0.5]
layers:
  - {units: 1, activation: linear, weights: [[1e300, 1e300]]}
loss: half_sse
learning_rate: 0.5
""",
        encoding="utf-8",
    )
    message = _refused(path)
    assert "net[o1] is inf" in message and "overflow" in message


def test_overflow_under_calculator_arithmetic_is_one_line(tmp_path: Path) -> None:
    borela = (CONFIGS / "borela.yaml").read_text(encoding="utf-8")
    path = tmp_path / "big.yaml"
    path.write_text(
        borela.replace("- [1, 1, 1]                 # from z1, z2, z3", "- [1.0e+308, 1, 1]"),
        encoding="utf-8",
    )
    message = _refused(path)
    assert "is inf" in message and "overflow" in message


def test_a_refused_spec_leaves_nothing_behind(tmp_path: Path) -> None:
    """A validator's exception sits inside pydantic-core's ValidationError, which the garbage
    collector cannot see into; chained to our SpecError, it kept every frame of every refused
    run alive (600 objects a call: 1.8 GB over the 10,000-case fuzz run)."""
    import gc

    path = _broken(tmp_path, "inputs:  {i1: 0.1,", "inputs:  {i1: '1/0',")
    for command in ("run", "validate", "train"):
        for _ in range(3):  # caches warm up
            CliRunner().invoke(app, [command, str(path)])
        gc.collect()
        before = len(gc.get_objects())
        for _ in range(10):
            assert CliRunner().invoke(app, [command, str(path)]).exit_code == 2
        gc.collect()
        assert (len(gc.get_objects()) - before) / 10 < 20, command


def test_an_empty_value_where_a_number_belongs(tmp_path: Path) -> None:
    message = _refused(_broken(tmp_path, "inputs:  {i1: 0.1,", "inputs:  {i1: ,"))
    assert "inputs.i1: expected a number, got an empty value" in message
