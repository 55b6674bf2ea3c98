"""`backprop-tutor draw`: the network as a picture, like micrograd's graph: units in layers,
each weight on its edge, and after the step each unit's output and delta. The layout is
networkx's (layers side by side) and the drawing matplotlib's: both optional extras."""

from __future__ import annotations

import unicodedata
import warnings
from typing import BinaryIO

from backprop_tutor.core.numbers import setting_text
from backprop_tutor.core.trace import Trace
from backprop_tutor.render.labels import DELTA, Labels


def draw(trace: Trace, file: BinaryIO, format: str, notation: str | None = None) -> None:
    """Write the picture to an open binary `file` as `format` (svg or png); the command line
    chooses the path and replaces it atomically. ImportError if an extra is missing."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import networkx as nx

    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: searchable, selectable
    h, first = trace.header, trace.steps[0]
    step = first.batch[0] if first.batch else first  # a batch's example 1 (batch norm's)
    n = h.display.format
    labels = Labels(h, notation)
    sign = labels.notation.delta_sign  # δ as the notation writes it
    change = {u.param: f"{n(u.old)} → {n(u.new)}" for u in first.updates}
    targets = {e.unit: e.target for e in step.losses}
    graph = nx.DiGraph()
    for layer, units in enumerate(h.layers):
        for unit in units:
            graph.add_node(unit, layer=layer)
    deltas = {d.unit: d.delta for d in step.deltas}
    node_labels = {unit: unit for unit in h.layers[0]}
    node_labels.update(
        {
            unit: f"{unit}\n{labels.out(unit)} = {n(value)}"
            for unit, value in ((name, v) for name, v in step.inputs)
        }
    )
    edge_labels = {}
    for ev in step.forward:
        text = f"{ev.unit}\nout {n(ev.out)}"
        if ev.unit in deltas:
            text += f"\n{DELTA} {n(sign * deltas[ev.unit])}"
        if ev.unit in targets:
            text += f"\ntarget {n(targets[ev.unit])}"
        if ev.bias:
            text += f"\n{ev.bias} {change.get(ev.bias, n(ev.bias_value))}"
        for s in (s for s in first.statistics if s.unit == ev.unit):  # batch normalization's
            text += f"\nγ {change.get(s.gamma, n(s.gamma_value))}"
            text += f"\nβ {change.get(s.beta, n(s.beta_value))}"
        node_labels[ev.unit] = text
        for term in ev.terms:
            graph.add_edge(term.source, ev.unit)
            edge_labels[(term.source, ev.unit)] = (
                f"{term.weight} {change.get(term.weight, n(term.weight_value))}"
            )
    positions = nx.multipartite_layout(graph, subset_key="layer")
    for units in h.layers:  # the layout's slots of a layer, top to bottom in the spec's order
        slots = sorted((positions[u][1] for u in units), reverse=True)
        for unit, y in zip(units, slots, strict=True):
            positions[unit] = (positions[unit][0], y)
    width = 3 + 3.2 * len(h.layers)
    height = 2.5 + 2.0 * max(len(units) for units in h.layers)
    figure, axes = plt.subplots(figsize=(width, height))
    nx.draw_networkx(
        graph,
        positions,
        ax=axes,
        labels=node_labels,
        node_size=3600,
        node_color="#dbe9f6",
        edgecolors="#3b6ea5",
        font_size=8,
        arrowsize=12,
    )
    nx.draw_networkx_edge_labels(
        graph, positions, edge_labels=edge_labels, ax=axes, font_size=7, label_pos=0.3
    )
    # a title is user text: never read as mathtext ("$" would start a formula, or fail)
    eta = setting_text(h.learning_rate)
    title = f"{_drawable(h.title or h.file)}\none step: each weight and bias old → new, η = {eta}"
    if first.batch:  # batch normalization's: one update on the whole batch
        title += f"; outputs and δ of example 1 of {len(first.batch)}"
    axes.set_title(title, fontsize=10, parse_math=False)
    axes.margins(0.18)  # room for the outer units' labels: nothing cut at the edge
    axes.axis("off")
    try:
        with warnings.catch_warnings():  # a title's emoji the font lacks: drawn as a box
            warnings.filterwarnings("ignore", "Glyph .* missing from font", UserWarning)
            figure.savefig(
                file, format=format, bbox_inches="tight", pad_inches=0.3, facecolor="white"
            )
    finally:
        plt.close(figure)


def _drawable(text: str) -> str:
    """A title as a picture can show it: control characters (an escape, a bell), which no
    font draws, left out; its lines kept, and a tab a space (words stay apart)."""
    text = text.replace("\t", " ")
    return "".join(c for c in text if c == "\n" or unicodedata.category(c) != "Cc")
