"""`run --format json` on the biggest worked example a trace may hold, against the floor of
writing as many numbers as JSON from Python, measured side by side in the same run.

Run on demand (see README): pytest tests/benchmarks -o addopts="" --benchmark-only -s
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from .installed import installed_env

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 3
# writing n floats as JSON (ids as keys), with the interpreter's start: the floor of any export
FLOOR = """
import json, random, sys
n = int(sys.argv[1])
values = {f"id[{k}]": random.random() for k in range(n)}
display = {k: f"{v:.5f}" for k, v in values.items()}
sys.stdout.write(json.dumps({"values": values, "display": display}))
"""


@pytest.fixture(scope="module")
def wide(tmp_path_factory) -> Path:
    """70-70-70: 119,911 numbers a step, the widest of that shape within the trace limit."""
    rng = np.random.default_rng(0)
    spec = {
        "inputs": [round(float(v), 3) for v in rng.uniform(0, 1, 70)],
        "targets": [float(k == 3) for k in range(70)],
        "layers": [
            {"units": 70, "activation": "sigmoid", "bias": "init"},
            {"units": 70, "activation": "sigmoid", "bias": "init"},
        ],
        "init": {"method": "xavier", "seed": 0},
        "loss": "half_sse",
        "learning_rate": 0.5,
    }
    path = tmp_path_factory.mktemp("wide") / "70-70-70.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def test_json_of_the_biggest_trace_against_writing_its_numbers(benchmark, wide: Path) -> None:
    """Both as installed, their bytecode compiled once and read back (installed.py)."""
    out = wide.parent / "trace.json"
    command = [sys.executable, "-m", "backprop_tutor", "run", str(wide), "--force"]
    command += ["--format", "json", "-o", str(out)]
    env = installed_env(wide.parent / "bytecode")
    subprocess.run(command, check=True, capture_output=True, env=env)  # the warm-up, too
    numbers = len(json.loads(out.read_text(encoding="utf-8"))["values"])
    times: list[float] = []

    def floor() -> None:
        start = time.perf_counter()
        floor_command = [sys.executable, "-c", FLOOR, str(numbers)]
        subprocess.run(floor_command, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - start)

    floor()  # its warm-up
    times.clear()
    benchmark.pedantic(
        lambda: subprocess.run(command, check=True, capture_output=True, env=env),
        setup=floor,
        rounds=ROUNDS,
        iterations=1,
    )
    ours, reference = benchmark.stats.stats.median, statistics.median(times)
    size = out.stat().st_size
    benchmark.extra_info.update(seconds=ours, floor_s=reference, bytes=size, numbers=numbers)
    print(
        f"\nrun --force --format json, 70-70-70 ({numbers:,} values): {ours:.2f} s, "
        f"{size / 1e6:.1f} MB, {ours / reference:.2f}x writing as many numbers as JSON "
        "(target 1.5 s)"
    )
    assert ours <= 1.5
