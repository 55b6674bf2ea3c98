"""Training on an MNIST-sized data set read from CSV: time, memory and loading, each against a
reference measured side by side in the same run.

Run on demand (see README): pytest tests/benchmarks -o addopts="" --benchmark-only -s
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from backprop_tutor.spec import load_spec
from backprop_tutor.train import data_arrays, train

from .test_training import _side_by_side, _sigmoid, _start, numpy_loop

ROUNDS = 5


def _full_pass(w1, b1, w2, b2, x, t) -> list[float]:
    h = _sigmoid(w1 @ x + b1[:, None])
    o = _sigmoid(w2 @ h + b2[:, None])
    d2 = (o - t) * o * (1 - o)
    d1 = (w2.T @ d2) * h * (1 - h)
    return [float(np.linalg.norm(d)) for d in (d1, d2)]


def mnist_sized(folder: Path, hidden: int = 256) -> Path:
    """784-hidden-10 on 10,000 synthetic examples from a CSV, as a course would load MNIST."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (10_000, 784)).round(3)
    t = np.eye(10)[np.argmax(x[:, :10], axis=1)]
    inputs, targets = [f"p{k}" for k in range(784)], [f"c{k}" for k in range(10)]
    csv = folder / "digits.csv"
    if not csv.exists():
        np.savetxt(
            csv,
            np.hstack([x, t]),
            delimiter=",",
            fmt="%g",
            header=",".join(inputs + targets),
            comments="",
        )
    spec = {
        "data": {"csv": "digits.csv", "inputs": inputs, "targets": targets},
        "layers": [
            {"units": hidden, "activation": "sigmoid", "bias": "init"},
            {"units": 10, "activation": "sigmoid", "bias": "init"},
        ],
        "init": {"method": "xavier", "seed": 0},
        "loss": "half_sse",
        "learning_rate": 0.5,
        "training": {"batch": "mini", "batch_size": 32, "epochs": 1, "max_epochs": 1},
    }
    path = folder / f"784-{hidden}-10.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def mnist(tmp_path_factory) -> Path:
    return mnist_sized(tmp_path_factory.mktemp("mnist"))


def test_784_256_10_one_epoch_against_a_numpy_loop(benchmark, mnist: Path) -> None:
    """`train` (no tracing, mini-batches of 32) against the plain loop: shuffle, forward,
    backward, update, and the loss over all examples once an epoch. `train` also reports
    ‖δ‖ per layer and the dead units before and after training, which the loop does not."""
    spec = load_spec(mnist)
    xs, ts = data_arrays(spec)

    def reference():
        numpy_loop(*_start(spec), xs, ts, 1, spec.learning_rate, 0.0, 32)

    result: list = []
    ratio = _side_by_side(benchmark, lambda: result.append(train(spec)), reference)
    assert len(result[-1].losses) == 1 and np.isfinite(result[-1].losses[-1])
    print(f"\n784-256-10, 1 epoch of mini-batches of 32: {ratio:.2f}x the loop (target 1.1x)")
    assert ratio <= 1.1


def test_784_256_10_against_a_loop_that_reports_as_much(benchmark, mnist: Path) -> None:
    """The same, the loop also making the passes over all examples before and after that
    `train`'s report of ‖δ‖ needs (the work asked of both alike)."""
    spec = load_spec(mnist)
    xs, ts = data_arrays(spec)

    def reference():
        start = _start(spec)
        _full_pass(*start, xs, ts)
        numpy_loop(*start, xs, ts, 1, spec.learning_rate, 0.0, 32)
        _full_pass(*start, xs, ts)

    ratio = _side_by_side(benchmark, lambda: train(spec), reference)
    print(f"\n784-256-10 with the same reports: {ratio:.2f}x the loop (target 1.1x)")
    assert ratio <= 1.1


def test_loading_the_spec_and_its_csv_against_numpy_loadtxt(benchmark, mnist: Path) -> None:
    """`load_spec` (YAML, schema, 203,264 weights named and drawn, the CSV read and checked)
    against `numpy.loadtxt` reading the same file."""
    times: list[float] = []

    def reference() -> None:
        start = time.perf_counter()
        np.loadtxt(mnist.parent / "digits.csv", delimiter=",", skiprows=1)
        times.append(time.perf_counter() - start)

    benchmark.pedantic(lambda: load_spec(mnist), setup=reference, rounds=ROUNDS, iterations=1)
    ratio = benchmark.stats.stats.median / statistics.median(times)
    benchmark.extra_info.update(reference_median_s=statistics.median(times), ratio=ratio)
    print(f"\nload_spec of a 10,000 x 794 CSV: {ratio:.2f}x numpy.loadtxt (target 1.2x)")
    assert ratio <= 1.2


# VmHWM, this process's own peak: getrusage's ru_maxrss would keep the peak of the pytest
# process it was forked from across the exec (Linux keeps it in the signal struct)
PEAK = """
import sys
from backprop_tutor.spec import load_spec
from backprop_tutor.train import train

def status(field):
    with open("/proc/self/status") as lines:
        return next(int(line.split()[1]) for line in lines if line.startswith(field))

base = status("VmRSS:")  # after the imports: what any run of the tool holds before the data
spec = load_spec(sys.argv[1])
train(spec)
print(base, status("VmHWM:"), spec.examples.inputs.nbytes + spec.examples.targets.nbytes)
"""


def test_peak_memory_of_training_784_64_10_against_the_data(benchmark, mnist: Path) -> None:
    """A child process loads the CSV and trains one epoch; its peak resident memory over
    what it held after its imports, against the data's own float64 size (61 MiB)."""
    path = mnist_sized(mnist.parent, hidden=64)

    def measure() -> tuple[int, int, int]:
        out = subprocess.run(
            [sys.executable, "-c", PEAK, str(path)], capture_output=True, text=True, check=True
        )
        base, peak, data = map(int, out.stdout.split())
        return base, peak, data

    base, peak, data = benchmark.pedantic(measure, rounds=1, iterations=1)
    ratio = (peak - base) * 1024 / data
    benchmark.extra_info.update(base_kib=base, peak_kib=peak, data_bytes=data, ratio=ratio)
    print(
        f"\n784-64-10, one epoch on 10,000 CSV examples: peak {peak / 1024:.0f} MiB, "
        f"{ratio:.2f}x the data's {data / 2**20:.0f} MiB over the {base / 1024:.0f} MiB "
        "after the imports (target 2.0x)"
    )
    assert ratio <= 2.0
