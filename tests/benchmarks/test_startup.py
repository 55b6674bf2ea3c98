"""Start-up of `run` and `new`, each against a floor measured side by side in the same run.

Run on demand (see README): pytest tests/benchmarks -o addopts="" --benchmark-only -s
The reference and the command alternate round by round, so machine load hits both alike; the
figure is the ratio of the medians, never an absolute time. Both run as installed, their
bytecode compiled once and read back (installed.py). Two floors: the bare imports any
such tool needs (typer, rich's console, numpy, yaml), and the framework's own start-up, an
empty typer app with one argument and two options that imports numpy and yaml (typer builds a
pydantic adapter for every parameter, which no command can avoid).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .installed import installed_env

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 21
BARE_IMPORTS = [sys.executable, "-c", "import typer, rich.console, numpy, yaml"]
EMPTY_APP = """
from pathlib import Path
from typing import Annotated

import numpy
import typer
import yaml

app = typer.Typer(add_completion=False)


@app.callback()
def main() -> None:
    pass


@app.command()
def run(
    spec: Annotated[Path, typer.Argument()],
    width: Annotated[int | None, typer.Option()] = None,
    force: Annotated[bool, typer.Option()] = False,
) -> None:
    print(spec.read_text()[:10])


app()
"""


def _ours(*args: str) -> list[str]:
    script = shutil.which("backprop-tutor", path=str(Path(sys.executable).parent))
    return [*([script] if script else [sys.executable, "-m", "backprop_tutor"]), *args]


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    return installed_env(tmp_path_factory.mktemp("bytecode"))


def _ratio(benchmark, env, command: list[str], reference: list[str], cwd: Path) -> float:
    """Median of `command` over the median of `reference`, the two alternating."""
    times: list[float] = []

    def time_reference() -> None:
        start = time.perf_counter()
        subprocess.run(reference, cwd=cwd, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - start)

    def ours() -> None:
        subprocess.run(command, cwd=cwd, check=True, capture_output=True, env=env)

    ours()  # warm the file cache and compile the bytecode, for both
    time_reference()
    times.clear()
    benchmark.pedantic(ours, setup=time_reference, rounds=ROUNDS, iterations=1)
    ratio = benchmark.stats.stats.median / statistics.median(times)
    benchmark.extra_info.update(
        reference_median_s=statistics.median(times),
        median_s=benchmark.stats.stats.median,
        ratio=ratio,
    )
    return ratio


@pytest.fixture
def empty_app(tmp_path: Path) -> list[str]:
    path = tmp_path / "empty_app.py"
    path.write_text(EMPTY_APP, encoding="utf-8")
    return [sys.executable, str(path), "run", str(ROOT / "configs" / "dawood.yaml")]


def test_run_against_the_frameworks_own_start_up(benchmark, env, empty_app) -> None:
    ratio = _ratio(benchmark, env, _ours("run", "configs/dawood.yaml"), empty_app, ROOT)
    print(f"\nrun configs/dawood.yaml: {ratio:.2f}x an empty typer app (target 1.15x)")
    assert ratio <= 1.15


def test_run_against_the_bare_imports(benchmark, env) -> None:
    ratio = _ratio(benchmark, env, _ours("run", "configs/dawood.yaml"), BARE_IMPORTS, ROOT)
    print(f"\nrun configs/dawood.yaml: {ratio:.2f}x the bare imports (target 1.6x)")
    assert ratio <= 1.6


def test_new_against_the_bare_imports(benchmark, env, tmp_path: Path) -> None:
    command = _ours("new", "--shape", "2-2-2", "--output-dir", str(tmp_path), "--force")
    ratio = _ratio(benchmark, env, command, BARE_IMPORTS, ROOT)
    print(f"\nnew --shape 2-2-2: {ratio:.2f}x the bare imports (target 1.6x)")
    assert ratio <= 1.6
