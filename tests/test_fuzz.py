"""Hostile input through every command: whole specs drawn from a grammar, claims files drawn
from their traces, and the bundled specs mutated at random.

Every outcome must be a result (exit 0, or 1 for a check that found a mismatch) or one line and
exit 2 (`validate`: a line per problem); a traceback, or exit 3 (an unexpected error: a bug,
whose report file is quoted in the failure), fails. Each command must also end within 30 s of
CPU with the process under 500 MB at its peak (fuzz_bounds.py): the acceptance bounds of the
large run, about 100 times what a case takes, so they hold on a busy machine. The default run
is small (30 cases of each kind, under a minute on a busy machine); the large run is on
demand, in batches of 500 cases (each a fresh hypothesis run, so its memory of past cases
does not grow with the run):

    BACKPROP_FUZZ_EXAMPLES=10000 .venv/bin/pytest -s -p no:cacheprovider tests/test_fuzz.py \
        --hypothesis-show-statistics

`-s` shows the summary (cases, the valid fraction, the slowest command, the highest peak
memory); the statistics show each event's share (spec valid or refused, each exit code).
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from child import cli_child
from conftest import CONFIGS, ROOT
from fuzz_bounds import GROWTH, WORST, bounded
from fuzz_claims import claims_files
from fuzz_grammar import spec_cases
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase
from typer.testing import CliRunner, Result

import backprop_tutor
from backprop_tutor.cli import app
from backprop_tutor.core.errors import SpecError, TrainingError

DEFAULT_EXAMPLES = 30  # per test: 60 cases in all, in every test run
EXAMPLES = int(os.environ.get("BACKPROP_FUZZ_EXAMPLES", DEFAULT_EXAMPLES))
# Hypothesis keeps what it learns about every case of a run (about 100 kB each for a whole spec),
# so a large run is split into batches, each a fresh run, and the process stays small.
BATCH = 500
BATCHES = range(math.ceil(EXAMPLES / BATCH))
BUG_REPORT = re.compile(r"the details are in (\S+?\.txt)")
# A large run keeps the failures it finds to itself (and replays them when run again), so the
# default run of everyone working in this tree is not failed by an on-demand run's finds.
LARGE_RUN = EXAMPLES > DEFAULT_EXAMPLES
FUZZ_SETTINGS = settings(
    max_examples=min(EXAMPLES, BATCH),
    deadline=None,  # time is bounded per command (fuzz_bounds), not per example
    suppress_health_check=list(HealthCheck),  # big, slow, function-scoped: all on purpose
    **(
        {"database": DirectoryBasedExampleDatabase(ROOT / ".hypothesis" / "fuzz-large")}
        if LARGE_RUN
        else {}
    ),
)
SUMMARY: Counter = Counter()


# -- outcomes ------------------------------------------------------------------------------------
def _outcome(args: list[str]) -> Result:
    """Run a command in-process within the bounds; its outcome must be a result or one line
    (`validate`: a line per problem)."""
    result = bounded(" ".join(args), lambda: CliRunner().invoke(app, args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{args[0]} raised {result.exception!r}") from result.exception
    if result.exit_code == 3:
        raise AssertionError(f"{' '.join(args)}: exit 3, a bug:\n{_bug_report(result.stderr)}")
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.stderr[-2000:])
    if result.exit_code == 2:
        message = result.stderr.strip()
        assert message.startswith("error: ") or "Usage:" in result.output + result.stderr
        if args[0] == "validate":  # every problem the format check finds, a line each
            assert all(line.startswith("error: ") for line in message.splitlines()), message
        else:
            assert message.count("\n") == 0 or "Usage:" in message, message
    SUMMARY[f"{args[0]}{' --symbolic' * ('--symbolic' in args)} exit {result.exit_code}"] += 1
    return result


def _bug_report(stderr: str) -> str:
    """The traceback an exit 3 saved, read (and removed) from the file its line names."""
    found = BUG_REPORT.search(stderr)
    if not found:
        return stderr
    report = Path(found.group(1))
    try:
        return stderr + report.read_text(encoding="utf-8")
    except OSError:
        return stderr
    finally:
        report.unlink(missing_ok=True)


def _library_values(path: Path, anywhere: bool = False) -> dict[str, float]:
    """The library API: a Trace's values, or one of the two errors the CLI prints as one line
    (then no values)."""
    try:
        spec = backprop_tutor.load_spec(path, data_anywhere=anywhere)
        return backprop_tutor.run(spec).values()
    except (SpecError, TrainingError) as error:
        assert "\n" not in str(error), str(error)
        return {}


def _strict_json(text: str) -> None:
    """`--format json` is JSON a strict parser reads: no NaN or Infinity."""

    def refuse(constant: str) -> None:
        raise AssertionError(f"run --format json wrote {constant}")

    json.loads(text, parse_constant=refuse)


# -- whole specs from the grammar ----------------------------------------------------------------
@pytest.fixture(autouse=True)
def _summary(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each batch, a summary of the run so far (seen with -s): a large run's progress."""
    yield
    cases = SUMMARY["cases"]
    if cases and "batch" in request.fixturenames:
        print(
            f"\n{request.node.name}: {cases} generated cases so far, "
            f"{SUMMARY['valid'] / cases:.0%} valid ({SUMMARY['plain refused']} drawn valid but "
            f"refused); slowest command {WORST['seconds'][0]:.2f} s of CPU "
            f"({WORST['seconds'][1]}); "
            f"highest peak {WORST['peak MB'][0]:.0f} MB ({WORST['peak MB'][1]}), "
            f"{WORST['alone MB'][0]:.0f} MB as a process of its own ({WORST['alone MB'][1]})\n"
            + ", ".join(f"{k}: {v}" for k, v in sorted(SUMMARY.items()))
            + "\ngrew most: "
            + "; ".join(f"+{mb:.0f} MB {label}" for mb, label in GROWTH),
            flush=True,
        )


@pytest.mark.parametrize("batch", BATCHES)
@FUZZ_SETTINGS
@given(case=spec_cases(), data=st.data())
def test_generated_specs_and_claims(tmp_path_factory, batch: int, case, data) -> None:
    """validate, run (text and JSON), train, check and sometimes --symbolic, and the library,
    on a whole spec from the grammar and a claims file from its own trace."""
    folder = tmp_path_factory.mktemp("spec")
    path = case.write(folder)
    anywhere = ["--allow-data-anywhere"] if case.anywhere else []
    validated = _outcome(["validate", str(path), *anywhere])
    _count(case, validated)
    values = bounded("library run", lambda: _library_values(path, case.anywhere))
    claims = folder / "claims.yaml"
    claims.write_text(data.draw(claims_files(values), label="claims"), encoding="utf-8")
    _outcome(["run", str(path), *anywhere, *case.run_options])
    json_run = _outcome(["run", str(path), "--format", "json", *anywhere])
    if json_run.exit_code == 0:
        _strict_json(json_run.stdout)
    _outcome(["train", str(path), *anywhere])
    event(f"check: exit {_outcome(['check', str(path), str(claims), *anywhere]).exit_code}")
    if case.symbolic:
        _outcome(["run", str(path), "--symbolic", *anywhere, *case.run_options])


def _count(case, validated: Result) -> None:
    """The valid fraction, and specs the grammar drew valid that were refused (each is a
    grammar mistake or a product bug: the summary counts them, events name them)."""
    valid = validated.exit_code == 0
    SUMMARY["cases"] += 1
    SUMMARY["valid"] += valid
    event("spec: valid" if valid else "spec: refused")
    event("spec: drawn hostile" if case.hostile else "spec: drawn valid")
    if not valid and not case.hostile:
        SUMMARY["plain refused"] += 1
        problem = re.sub(r"^error: \S*?(:\d+)*: ", "", validated.stderr.strip())
        event(f"spec: drawn valid but refused: {problem[:100]}")


# -- the bundled specs, mutated ------------------------------------------------------------------
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
    spec.setdefault("training", {})  # keep `train` short: 10,000 epochs is the default
    if isinstance(spec["training"], dict):
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


@pytest.mark.parametrize("batch", BATCHES)
@FUZZ_SETTINGS
@given(mutated_specs())
def test_mutated_specs_never_raise(tmp_path_factory, batch: int, spec: dict) -> None:
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
    bounded("library run", lambda: _library_values(path))


def test_billion_laughs_is_refused_quickly_and_small(tmp_path: Path) -> None:
    """Ten levels of ten aliases each expand to 10^10 values. Refused before expanding: in a
    child with 1 GB of address space and 60 s, where expanding would fail either bound, so
    a busy machine cannot make this pass or fail."""
    lines = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for level in range(1, 10):
        lines.append(
            f"{chr(97 + level)}: &{chr(97 + level)} ["
            + ", ".join([f"*{chr(96 + level)}"] * 10)
            + "]"
        )
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli_child(["run", str(path)], seconds=60, memory=2**30)
    assert result.returncode == 2 and "anchors and aliases" in result.stderr, result.stderr


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
