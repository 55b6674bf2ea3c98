"""Hostile input: valid specs, mutated at random, through run, train, check and the library API.

Every outcome must be a result (exit 0, or 1 for a check that found a mismatch) or one line and
exit 2; any other exception fails. Bounded to stay fast; for the larger run (10,000 cases):
    BACKPROP_FUZZ_EXAMPLES=10000 pytest tests/test_fuzz.py
"""

from __future__ import annotations

import copy
import math
import os
from pathlib import Path

import yaml
from conftest import CONFIGS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import backprop_tutor
from backprop_tutor.cli import app
from backprop_tutor.errors import SpecError, TrainingError

EXAMPLES = int(os.environ.get("BACKPROP_FUZZ_EXAMPLES", "60"))
BASES = [
    yaml.safe_load((CONFIGS / f"{name}.yaml").read_text())
    for name in ("dawood", "borela", "xor", "xu-softmax")
]
ODD_VALUES = [
    None,
    True,
    "abc",
    "1/0",
    "__import__('os')",
    math.nan,
    math.inf,
    -math.inf,
    1e308,
    -1e308,
    0,
    -1,
    10**400,
    [],
    {},
    [1.0] * 1000,
    "1e-3",
    "9" * 350 + "/3",  # a fraction past float64
    "9" * 5000 + "/3",  # past Python's 4,300-digit int()
    {"a": {"b": {}}},
]


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node[:4]):
            yield from _paths(value, (*prefix, index))


def _deep(levels: int):
    value: object = 1.0
    for _ in range(levels):
        value = [value]
    return value


@st.composite
def mutated_specs(draw) -> dict:
    spec = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(spec) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = spec
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        action = draw(st.sampled_from(["drop", "rename", "replace", "deep"]))
        if action == "drop":
            del parent[key]
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.sampled_from([f"{key}x", "unknown", "", "0"]))] = parent.pop(key)
        elif action == "deep":
            parent[key] = _deep(draw(st.integers(5, 60)))
        else:
            parent[key] = copy.deepcopy(draw(st.sampled_from(ODD_VALUES)))  # never shared
    if isinstance(spec.get("training"), dict):  # keep a mutated training run short
        spec["training"]["max_epochs"] = 20
        spec["training"].pop("epochs", None)
    return spec


def _write(tmp_path: Path, spec: dict) -> Path:
    path = tmp_path / "spec.yaml"
    try:
        path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    except (TypeError, ValueError, OverflowError, RecursionError):
        path.write_text("not: [valid\n", encoding="utf-8")
    return path


def _outcome(args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{args[0]} raised {result.exception!r}") from result.exception
    assert result.exit_code in (0, 1, 2), result.exit_code
    if result.exit_code == 2:
        message = result.stderr.strip()
        assert message.startswith("error: ") or "Usage:" in result.output + result.stderr
        assert message.count("\n") == 0 or "Usage:" in message, message


def _library_outcome(path: Path) -> None:
    """The library API: a Trace, or one of the two errors the CLI prints as one line."""
    try:
        backprop_tutor.run(path).values()
    except (SpecError, TrainingError) as error:
        assert "\n" not in str(error), str(error)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mutated_specs())
def test_mutated_specs_never_raise(tmp_path_factory, spec: dict) -> None:
    tmp_path = tmp_path_factory.mktemp("fuzz")
    path = _write(tmp_path, spec)
    (tmp_path / "claims.yaml").write_text("loss: 0.5\n", encoding="utf-8")
    for args in (
        ["run", str(path)],
        ["run", str(path), "--format", "json"],
        ["train", str(path)],
        ["validate", str(path)],
        ["check", str(path), str(tmp_path / "claims.yaml")],
    ):
        _outcome(args)
    _library_outcome(path)


def test_billion_laughs_is_refused_quickly_and_small(tmp_path: Path) -> None:
    import resource
    import time

    lines = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for level in range(1, 10):
        lines.append(
            f"{chr(97 + level)}: &{chr(97 + level)} ["
            + ", ".join([f"*{chr(96 + level)}"] * 10)
            + "]"
        )
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    result = CliRunner().invoke(app, ["run", str(path)])
    assert time.perf_counter() - start < 1.0
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024  # KiB
    assert result.exit_code == 2 and "anchors and aliases" in result.stderr


def test_a_file_too_large_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("x: " + "1" * 2_000_000 + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(path)])
    assert result.exit_code == 2 and "allowed" in result.stderr


def test_huge_inputs_through_sigmoid_softmax_and_cross_entropy_print_finite_numbers(
    tmp_path: Path,
) -> None:
    for inputs in ([1e4, -1e4], [-1e4, 1e4]):
        spec = {
            "inputs": inputs,
            "targets": [1, 0, 0],
            "layers": [
                {
                    "units": 2,
                    "activation": "sigmoid",
                    "bias": [0.1, 0.2],
                    "weights": [[1, 0.5], [-0.3, 0.8]],
                },
                {
                    "units": 3,
                    "activation": "softmax",
                    "bias": [0, 0, 0],
                    "weights": [[0.5, -0.2], [0.3, 0.6], [-0.4, 0.2]],
                },
            ],
            "loss": "cross_entropy",
            "learning_rate": 0.1,
        }
        path = tmp_path / "huge.yaml"
        path.write_text(yaml.safe_dump(spec), encoding="utf-8")
        result = CliRunner().invoke(app, ["run", str(path), "--format", "json"])
        assert result.exit_code == 0, result.stderr
        import json

        values = json.loads(result.output)["values"]
        assert all(math.isfinite(v) for v in values.values())
