"""`backprop-tutor draw`: the network as a picture, from networkx and matplotlib."""

from __future__ import annotations

import builtins
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from conftest import ROOT, wide_network
from typer.testing import CliRunner

from backprop_tutor.cli import app


def _draw(*args: str):
    return CliRunner().invoke(app, ["draw", *args])


@pytest.mark.parametrize("suffix", ["svg", "png"])
def test_draw_writes_a_picture(in_root, tmp_path: Path, suffix: str) -> None:
    pytest.importorskip("networkx")
    path = tmp_path / f"net.{suffix}"
    result = _draw("configs/dawood.yaml", "--output", str(path))
    assert result.exit_code == 0, result.output + result.stderr
    data = path.read_bytes()
    if suffix == "png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        root = ElementTree.fromstring(data)
        assert root.tag.endswith("svg")
        text = data.decode("utf-8")  # outputs, and each weight old → new, on the picture
        assert "0.60108" in text and "w5 0.5 → 0.45187" in text
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_a_title_no_font_draws_leaves_standard_error_empty(tmp_path: Path) -> None:
    """An escape and a bell are left out of the picture's title, and an emoji the font lacks
    is a box: matplotlib's warning about either never reaches the user."""
    pytest.importorskip("networkx")
    dawood = (ROOT / "configs" / "dawood.yaml").read_text(encoding="utf-8")
    spec = tmp_path / "net.yaml"
    title = 'title: "a\\x1b b \U0001f9e0 c\\x07"'
    spec.write_text(re.sub(r"^title: .*$", lambda _: title, dawood, flags=re.M), "utf-8")
    command = [sys.executable, "-m", "backprop_tutor", "draw", str(spec), "-o", "net.svg"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, timeout=120)
    assert done.returncode == 0 and done.stderr == b"", done.stderr


def test_draw_refuses_to_overwrite(in_root, tmp_path: Path) -> None:
    path = tmp_path / "net.svg"
    path.write_text("mine")
    result = _draw("configs/dawood.yaml", "--output", str(path))
    assert result.exit_code == 2 and path.read_text() == "mine"


def test_draw_without_its_extra_says_how_to_get_it(in_root, tmp_path, monkeypatch) -> None:
    real_import = builtins.__import__

    def no_networkx(name, *args, **kwargs):
        if name.startswith("networkx"):
            raise ImportError(name, name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_networkx)
    result = _draw("configs/dawood.yaml", "--output", str(tmp_path / "net.svg"))
    assert result.exit_code == 2 and "pip install 'backprop-tutor[draw]'" in result.stderr


def test_a_network_too_big_to_label_asks_for_force(tmp_path: Path) -> None:
    """784-64-10 once took five minutes and 1.6 GB to draw; refused in a line before any run."""
    path = wide_network(tmp_path, (30, 20, 10))
    picture = tmp_path / "net.svg"
    result = _draw(str(path), "--output", str(picture))
    assert result.exit_code == 2 and not picture.exists()
    assert "830 weights and biases are more than the 300" in result.stderr
    assert "--force" in result.stderr and result.stderr.count("\n") == 1


def test_a_batch_normalized_network_is_drawn_with_its_edges_and_gamma(in_root, tmp_path) -> None:
    """configs/batch-norm.yaml: one update on a batch; the picture shows example 1's outputs,
    every weight old → new, and each normalized unit's γ and β."""
    pytest.importorskip("networkx")
    path = tmp_path / "net.svg"
    result = _draw("configs/batch-norm.yaml", "--output", str(path))
    assert result.exit_code == 0, result.output + result.stderr
    text = path.read_text(encoding="utf-8")
    assert "w1 0.1 → 0.09782" in text and "w5 0.5 → 0.48440" in text
    assert "γ 1.0 → 1.00063" in text and "β 0.0 → -0.00609" in text
    assert "example 1 of 3" in text
