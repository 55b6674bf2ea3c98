"""Shared test helpers: the project root, rendering at a fixed width, `--update-golden`."""

from __future__ import annotations

import io
import random
import re
from pathlib import Path

import pytest
import yaml
from rich.console import Console

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"
GOLDEN = ROOT / "golden"
NUMBER = re.compile(r"-?\d+\.\d+")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite golden/<config>.txt from the current output",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def in_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from the project root, so paths print as `configs/dawood.yaml` in every output."""
    monkeypatch.chdir(ROOT)
    return ROOT


def render(renderable: object, width: int = 100) -> str:
    """Plain text, as a pipe would get it (rich's own tests do the same)."""
    console = Console(
        file=io.StringIO(),
        width=width,
        color_system=None,
        legacy_windows=False,
        force_terminal=False,
        highlight=False,
    )
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def numbers_in(text: str) -> set[str]:
    """Every decimal number printed in `text`, as printed."""
    return set(NUMBER.findall(text))


def wide_network(tmp_path: Path, shape: tuple[int, ...], name: str = "big.yaml") -> Path:
    """A sigmoid network with a softmax output, weights drawn from a seed."""
    rng = random.Random(0)
    spec = {
        "title": "-".join(map(str, shape)),
        "inputs": [round(rng.random(), 3) for _ in range(shape[0])],
        "targets": [1] + [0] * (shape[-1] - 1),
        "layers": [
            *({"units": n, "activation": "sigmoid", "bias": "init"} for n in shape[1:-1]),
            {"units": shape[-1], "activation": "softmax", "bias": "init"},
        ],
        "loss": "cross_entropy",
        "learning_rate": 0.1,
        "init": {"method": "xavier", "seed": 1},
    }
    path = tmp_path / name
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path
