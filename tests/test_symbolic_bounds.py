"""Issue 20, items 10 and 13: `--symbolic` on a big network ends, or is refused before it starts.

The hangs are run in a child process with a time limit and an address-space limit, so code that
still hangs fails here by its timeout instead of blocking the suite.
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import yaml
from child import cli_child
from conftest import wide_network

TIMEOUT = 240  # seconds: generous for a busy 2-core machine (the fixed code needs ~15 s of CPU)
MEMORY = 4 * 1024**3  # bytes of address space for the child


def _cli(folder: Path, *args: str):
    """The command in a bounded child process, run in `folder`."""
    return cli_child(list(args), seconds=TIMEOUT, memory=MEMORY, cwd=folder, columns=80)


def sigmoid_network(tmp_path: Path, shape: tuple[int, ...], name: str = "net.yaml") -> Path:
    """Sigmoid units throughout, half the squared error: every parameter has a proof."""
    rng = random.Random(0)
    spec = {
        "title": "-".join(map(str, shape)),
        "inputs": [round(rng.random(), 3) for _ in range(shape[0])],
        "targets": [round(rng.random(), 3) for _ in range(shape[-1])],
        "layers": [{"units": n, "activation": "sigmoid", "bias": "init"} for n in shape[1:]],
        "loss": "half_sse",
        "learning_rate": 0.1,
        "init": {"method": "xavier", "seed": 1},
    }
    path = tmp_path / name
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def _done_or_refused(result: subprocess.CompletedProcess[str]) -> None:
    """Exit 0, or exit 2 with one line naming both ways out; never a traceback."""
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.returncode in (0, 2), (result.returncode, result.stderr[-2000:])
    if result.returncode == 2:
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
        assert "--force" in result.stderr and "--only" in result.stderr


def test_3_3_25_3_symbolic_ends(tmp_path: Path) -> None:
    """Item 13: 190 parameters, each with its proof, ran past 10 minutes."""
    path = sigmoid_network(tmp_path, (3, 3, 25, 3))
    result = _cli(tmp_path, "run", str(path), "--symbolic", "--width", "120")
    _done_or_refused(result)
    if result.returncode == 0:
        assert result.stdout.count("proof: d/d") == 190
        assert "MISMATCH" not in result.stdout and "FAILED" not in result.stdout


def test_2_100_100_only_one_weight_ends(tmp_path: Path) -> None:
    """Item 13: `--only w_h1_x1` grew from 4 s at 2-20-20 past 300 s at 2-100-100."""
    path = wide_network(tmp_path, (2, 100, 100))
    result = _cli(tmp_path, "run", str(path), "--only", "w_h1_x1", "--width", "120")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "so δ_h1 = " in result.stdout and "w_o100_h1·δ_o100" in result.stdout
    assert "✓ every factor and product equals the engine's value" in result.stdout


def test_2_150_150_only_one_weight_is_one_line_or_done(tmp_path: Path) -> None:
    """Item 10: a RecursionError inside SymPy's factoring."""
    path = wide_network(tmp_path, (2, 150, 150))
    result = _cli(tmp_path, "run", str(path), "--symbolic", "--only", "w_h1_x1")
    assert "RecursionError" not in result.stderr
    assert "Traceback" not in result.stderr and result.returncode in (0, 2), result.stderr[-2000:]
    if result.returncode == 2:
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
