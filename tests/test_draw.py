"""`backprop-tutor draw`: the network as a picture, from networkx and matplotlib."""

from __future__ import annotations

import builtins
import itertools
import math
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
    is a box: matplotlib's warning about either never reaches the user (standard error has
    only the line naming the file written)."""
    pytest.importorskip("networkx")
    dawood = (ROOT / "configs" / "dawood.yaml").read_text(encoding="utf-8")
    spec = tmp_path / "net.yaml"
    title = 'title: "a\\x1b b \U0001f9e0 c\\x07"'
    spec.write_text(re.sub(r"^title: .*$", lambda _: title, dawood, flags=re.M), "utf-8")
    command = [sys.executable, "-m", "backprop_tutor", "draw", str(spec), "-o", "net.svg"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, timeout=120)
    assert done.returncode == 0 and done.stderr.splitlines() == [b"Wrote net.svg"], done.stderr


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


def test_a_network_whose_labels_cannot_be_kept_apart_is_refused_before_writing(tmp_path) -> None:
    """With --force, 800 weights between 30, 20 and 10 units: the picture spreads out up to
    MAX_PIXELS and still cannot give each label a place of its own, so nothing is written and
    one line says why (no picture whose numbers hide each other)."""
    pytest.importorskip("networkx")
    path = wide_network(tmp_path, (30, 20, 10))
    picture = tmp_path / "net.png"
    result = _draw(str(path), "--output", str(picture), "--force")
    assert result.exit_code == 2 and not picture.exists()
    assert "labels of 800 weights cannot all be placed" in result.stderr
    assert result.stderr.count("\n") == 1


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


def _drawable_configs() -> list[str]:
    from backprop_tutor.spec import load_spec
    from backprop_tutor.spec.limits import DRAW_LIMIT, parameter_count

    names = sorted(p.name for p in (ROOT / "configs").glob("*.yaml"))
    return [n for n in names if parameter_count(load_spec(ROOT / "configs" / n)) <= DRAW_LIMIT]


@pytest.mark.parametrize("name", _drawable_configs())
def test_no_label_on_the_picture_covers_a_number(name: str) -> None:
    """Every unit's label inside its circle, no circle on another, and each weight's label
    clear of every circle and every other label: Borela's `w01^(1) 1.0 → 0.89` ran out of
    its circle into the arrows, and its w13 and w21 labels, crossing, hid each other's digits."""
    pytest.importorskip("networkx")
    from dataclasses import replace

    from backprop_tutor.record import run
    from backprop_tutor.render.label_places import Box, clear_of_circle, overlap
    from backprop_tutor.render.network_picture import picture
    from backprop_tutor.spec import load_spec

    trace = run(replace(load_spec(ROOT / "configs" / name), steps=1, tests=()))
    figure = picture(trace)
    axes, renderer = figure.axes[0], figure.canvas.get_renderer()
    nodes = axes.collections[0]  # the units' circles: centres in data, areas in points²
    scale = figure.dpi / 72
    circles = [
        (tuple(axes.transData.transform(xy)), math.sqrt(area) / 2 * scale)
        for xy, area in zip(nodes.get_offsets(), itertools.cycle(nodes.get_sizes()))
    ]
    for (a, ra), (b, rb) in itertools.combinations(circles, 2):
        assert math.dist(a, b) >= ra + rb
    labels: list[Box] = []
    for text in axes.texts:
        if text.get_bbox_patch() is None:  # a unit's label: its box inside its circle
            box = text.get_window_extent(renderer)
            centre, radius = min(circles, key=lambda c: math.dist(c[0], (box.x0, box.y0)))
            corners = itertools.product((box.x0, box.x1), (box.y0, box.y1))
            assert all(math.dist(centre, corner) <= radius for corner in corners), text
            continue
        angle = text.get_rotation()
        text.set_rotation(0)  # its size along the edge, then back
        box = text.get_window_extent(renderer)
        text.set_rotation(angle)
        x, y = axes.transData.transform(text.get_position())
        turn = math.radians(angle)
        labels.append(Box(x, y, box.width / 2, box.height / 2, math.cos(turn), math.sin(turn)))
    layers = trace.header.layers  # a label for each weight: the layers are fully connected
    assert len(labels) == sum(len(a) * len(b) for a, b in itertools.pairwise(layers))
    for label in labels:
        assert all(clear_of_circle(label, *circle) for circle in circles), label
    for a, b in itertools.combinations(labels, 2):
        assert not overlap(a, b), (a, b)
