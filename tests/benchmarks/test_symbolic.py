"""`--symbolic` cost, measured side by side with `python -c "import sympy"` in the same run,
and the estimate that bounds it (symbolic_budget.py) against the CPU time it takes.

Run on demand (see README): pytest tests/benchmarks -o addopts="" --benchmark-only -s
"""

from __future__ import annotations

import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml
from conftest import wide_network
from test_symbolic_bounds import sigmoid_network

from backprop_tutor.record import run
from backprop_tutor.spec import load_spec, spec_from_text
from backprop_tutor.symbolic.budget import estimate
from backprop_tutor.symbolic.derivation import derive

from .installed import installed_env

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 7


def _command() -> list[str]:
    script = shutil.which("backprop-tutor", path=str(Path(sys.executable).parent))
    base = [script] if script else [sys.executable, "-m", "backprop_tutor"]
    return [*base, "run", "configs/dawood.yaml", "--symbolic"]


def test_dawood_symbolic_within_import_sympy_plus_half_a_second(benchmark, tmp_path) -> None:
    """Both as installed, their bytecode compiled once and read back (installed.py)."""
    reference: list[float] = []
    env = installed_env(tmp_path / "bytecode")

    def time_import() -> None:
        start = time.perf_counter()
        command = [sys.executable, "-c", "import sympy"]
        subprocess.run(command, check=True, capture_output=True, env=env)
        reference.append(time.perf_counter() - start)

    def symbolic() -> None:
        subprocess.run(_command(), cwd=ROOT, check=True, capture_output=True, env=env)

    symbolic()  # the warm-up: the file cache and the bytecode, for both
    time_import()
    reference.clear()
    benchmark.pedantic(symbolic, setup=time_import, rounds=ROUNDS, iterations=1)
    ours, sympy_import = benchmark.stats.stats.median, statistics.median(reference)
    benchmark.extra_info.update(import_sympy_s=sympy_import, extra_s=ours - sympy_import)
    print(
        f"\nrun --symbolic: {ours:.2f} s; import sympy: {sympy_import:.2f} s; "
        f"difference {ours - sympy_import:.2f} s (target at most 0.5 s)"
    )
    assert ours <= sympy_import + 0.5


def _deep(depth: int, width: int = 6) -> str:
    return yaml.safe_dump(
        {
            "inputs": [0.1, 0.2],
            "targets": [0.3, 0.7],
            "layers": [
                {"units": width, "activation": "sigmoid", "bias": "init"} for _ in range(depth - 1)
            ]
            + [{"units": 2, "activation": "sigmoid", "bias": "init"}],
            "init": {"method": "uniform", "low": -1, "high": 1, "seed": 0},
            "loss": "half_sse",
            "learning_rate": 0.5,
        }
    )


def test_six_layers_in_under_ten_seconds_and_polynomial(benchmark) -> None:
    """Every parameter derived, checked and proved; time per parameter must not explode."""
    per_parameter = {}
    for depth in (2, 3, 4, 5):
        trace = run(spec_from_text(_deep(depth)))
        start = time.perf_counter()
        derivations = derive(trace)
        per_parameter[depth] = (time.perf_counter() - start) / len(derivations)
    trace = run(spec_from_text(_deep(6)))
    derivations = benchmark.pedantic(derive, args=(trace,), rounds=1, iterations=1)
    seconds = benchmark.stats.stats.median
    per_parameter[6] = seconds / len(derivations)
    assert all(d.proof is True and not d.mismatches for d in derivations)
    benchmark.extra_info.update(seconds_6_layers=seconds, per_parameter=per_parameter)
    print(
        f"\n6 layers, width 6: {len(derivations)} parameters in {seconds:.2f} s (target 10 s); "
        "seconds per parameter by depth: "
        + ", ".join(f"{k}: {v:.3f}" for k, v in per_parameter.items())
    )
    assert seconds < 10
    assert per_parameter[6] < 5 * max(per_parameter[4], 0.001)  # no exponential blow-up


# The estimate that bounds `--symbolic` (symbolic_budget.py) against the CPU time it measures,
# for shapes whose work grows in different ways: composed proofs, proofs one layer deep,
# softmax without proofs, the delta form past scale.PATH_LIMIT, and --only on a wide layer.
ESTIMATED = [
    ("dawood", "configs/dawood.yaml", None),
    ("xu-vanishing", "configs/xu-vanishing.yaml", None),
    ("3-3-25-3 sigmoid", (3, 3, 25, 3), None),
    ("2-6-6-6-6-2 sigmoid", (2, 6, 6, 6, 6, 2), None),
    ("2-20-20 sigmoid", (2, 20, 20), None),
    ("3-3-10-3 softmax", (3, 3, 10, 3), None),
    ("2-30-30 softmax", (2, 30, 30), None),
    ("2-100-100 softmax, --only w_h1_x1", (2, 100, 100), "w_h1_x1"),
    ("2-100-100 sigmoid, --only w_h1_x1", (2, 100, 100), "w_h1_x1"),
]


def _spec_file(tmp_path: Path, name: str, shape) -> Path:
    if isinstance(shape, str):
        return ROOT / shape
    make = sigmoid_network if "sigmoid" in name else wide_network
    return make(tmp_path, shape, name=name.split()[0] + ".yaml")


def _child_cpu(args: list[str]) -> float:
    """CPU seconds (user + system) of the command in a child process: the estimate counts
    work, which a busy machine stretches in wall-clock time but not in CPU time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(args, cwd=ROOT, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def test_symbolic_estimate_against_measured_cpu_time(benchmark, tmp_path: Path) -> None:
    """The ratio estimate / measured for each shape; the calibration is off if any leaves
    [1/3, 3] (refit symbolic_budget's seconds a unit of work on this machine)."""
    rows = []

    def measure() -> None:
        for name, shape, only in ESTIMATED:
            path = _spec_file(tmp_path, name, shape)
            chosen = ["--only", only] if only else ["--symbolic"]
            args = [sys.executable, "-m", "backprop_tutor", "run", str(path), *chosen, "--force"]
            seconds = _child_cpu(args)
            guess = estimate(load_spec(path), [only] if only else None).seconds
            rows.append((name, guess, seconds))

    benchmark.pedantic(measure, rounds=1, iterations=1)
    print("\nestimate against measured CPU seconds, `run ... --symbolic --force`:")
    for name, guess, seconds in rows:
        ratio = guess / seconds
        print(f"  {name:36s} estimate {guess:6.1f} s, measured {seconds:6.1f} s: {ratio:.2f}x")
    benchmark.extra_info.update({name: guess / seconds for name, guess, seconds in rows})
    assert all(1 / 3 <= guess / seconds <= 3 for _, guess, seconds in rows), rows
