"""Startup of `backprop-tutor run configs/dawood.yaml`, against the bare imports it cannot avoid.

Run on demand (see README): pytest tests/benchmarks -o addopts="" --benchmark-only
The reference and the command alternate round by round, so machine load hits both alike; the
figure is the ratio of the medians, never an absolute time.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = [sys.executable, "-c", "import typer, rich.console, numpy, yaml"]
TARGET_RATIO = 1.3
ROUNDS = 21


def _command() -> list[str]:
    script = shutil.which("backprop-tutor", path=str(Path(sys.executable).parent))
    base = [script] if script else [sys.executable, "-m", "backprop_tutor"]
    return [*base, "run", "configs/dawood.yaml"]


def test_run_starts_within_target_of_bare_imports(benchmark) -> None:
    command = _command()
    reference: list[float] = []

    def time_reference() -> None:
        start = time.perf_counter()
        subprocess.run(REFERENCE, check=True, capture_output=True)
        reference.append(time.perf_counter() - start)

    def run_command() -> None:
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)

    run_command()  # warm the file cache for both
    time_reference()
    reference.clear()
    benchmark.pedantic(run_command, setup=time_reference, rounds=ROUNDS, iterations=1)
    ours = benchmark.stats.stats.median
    ref = statistics.median(reference)
    ratio = ours / ref
    benchmark.extra_info.update(reference_median_s=ref, run_median_s=ours, ratio=ratio)
    print(f"\nrun: {ours * 1000:.0f} ms, bare imports: {ref * 1000:.0f} ms, ratio {ratio:.2f}")
    assert ratio <= TARGET_RATIO, f"run takes {ratio:.2f}x the imports (target {TARGET_RATIO}x)"
