"""A command of the CLI in a child process, bounded in time and memory.

Tests of bounds (a refusal that must come before gigabytes, a job that must not hang) run the
command in a child, so a regression fails the test instead of taking the machine: the child's
address space is capped, and one still running at the timeout fails the test. The child runs
the package under test (first on its PYTHONPATH), from whatever folder the test chooses.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

import backprop_tutor

PACKAGE_ROOT = str(Path(backprop_tutor.__file__).resolve().parent.parent)


def cli_child(
    args: list[str],
    *,
    seconds: float = 120,
    memory: int = 2_500 * 2**20,
    cwd: Path | None = None,
    columns: int = 100,
    input: str | None = None,
    stdout_closed: bool = False,
) -> subprocess.CompletedProcess[str]:
    """`python -m backprop_tutor ARGS` with at most `memory` bytes of address space; still
    running after `seconds`, it is stopped and the test fails. `stdout_closed`: its standard
    output a pipe nobody reads (`| head` that has stopped reading), so its first write fails."""

    def bound() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    path = os.pathsep.join(p for p in (PACKAGE_ROOT, os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONPATH": path, "OPENBLAS_NUM_THREADS": "1", "COLUMNS": str(columns)}
    streams: dict = {"capture_output": True}
    if stdout_closed:
        read, write = os.pipe()
        os.close(read)
        streams = {"stdout": write, "stderr": subprocess.PIPE}
    try:
        return subprocess.run(
            [sys.executable, "-m", "backprop_tutor", *args],
            **streams,
            text=True,
            timeout=seconds,
            preexec_fn=bound,
            env=env,
            cwd=cwd,
            input=input,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"`{' '.join(args[:2])}` still running after {seconds:.0f} s")
    finally:
        if stdout_closed:
            os.close(streams["stdout"])
