"""`backprop-tutor draw`: the network as a picture, like micrograd's graph: units in layers,
each weight on its edge, and after the step each unit's output and delta. The layout is
networkx's (layers side by side) and the drawing matplotlib's: both optional extras."""

from __future__ import annotations

import math
import unicodedata
import warnings
from typing import BinaryIO

from backprop_tutor.core.numbers import setting_text
from backprop_tutor.core.trace import Trace
from backprop_tutor.render.label_places import Edge, place_labels
from backprop_tutor.render.labels import DELTA, Labels

FONT_SIZE = 8  # points, a unit's label
EDGE_FONT_SIZE = 7  # points, a weight's label
LABEL_PAD = 0.3  # a weight label's white box around its text, in font sizes
MIN_DIAMETER = 60.0  # points: a unit's circle when its label is short
ARROW = 8.0  # pixels of an edge's end that its arrowhead takes: no label there
SPREADS = (1.0, 1.3, 1.7, 2.2, 2.9, 3.8)  # the picture's size, tried in turn until labels fit
MAX_PIXELS = 40_000_000  # a PNG of 160 MB in memory: the largest spread tried


def save(figure, file: BinaryIO, format: str) -> None:
    """Write the picture to an open binary `file` as `format` (svg or png), and let it go;
    the command line chooses the path and replaces it atomically."""
    import matplotlib.pyplot as plt

    try:
        with warnings.catch_warnings():  # a title's emoji the font lacks: drawn as a box
            warnings.filterwarnings("ignore", "Glyph .* missing from font", UserWarning)
            figure.savefig(
                file, format=format, bbox_inches="tight", pad_inches=0.3, facecolor="white"
            )
    finally:
        plt.close(figure)


def picture(trace: Trace, notation: str | None = None):
    """The picture as a matplotlib Figure: every unit a circle that holds its label, each
    weight's label on its edge between the circles, clear of the circles and of every other
    label (the picture spreads out until they are). ImportError if an extra is missing;
    LabelsDoNotFit if even the widest spread leaves some label on another."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import networkx as nx

    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: searchable, selectable
    h = trace.header
    graph, node_labels, edge_labels = _graph(nx, trace, notation)
    positions = nx.multipartite_layout(graph, subset_key="layer")
    for units in h.layers:  # the layout's slots of a layer, top to bottom in the spec's order
        slots = sorted((positions[u][1] for u in units), reverse=True)
        for unit, y in zip(units, slots, strict=True):
            positions[unit] = (positions[unit][0], y)
    figure, axes = plt.subplots()
    diameter = _circle_around(figure, axes, node_labels.values())
    sizes = {
        edge: _text_size(figure, axes, text, EDGE_FONT_SIZE) for edge, text in edge_labels.items()
    }
    boxes = _spread(figure, axes, positions, diameter, sizes, h.layers)
    if boxes is None:
        plt.close(figure)
        raise LabelsDoNotFit(len(edge_labels))
    _draw_network(nx, axes, graph, positions, node_labels, diameter)
    inverse = axes.transData.inverted()
    for edge, box in boxes.items():
        x, y = inverse.transform((box.x, box.y))
        axes.text(
            x,
            y,
            edge_labels[edge],
            fontsize=EDGE_FONT_SIZE,
            rotation=box.angle,
            rotation_mode="anchor",
            ha="center",
            va="center",
            bbox={"boxstyle": f"round,pad={LABEL_PAD}", "fc": "white", "ec": "white"},
            zorder=3,  # over the edges it crosses; never over a circle (placed clear of them)
            parse_math=False,
        )
    axes.set_title(_title(trace), fontsize=10, parse_math=False)  # user text: no mathtext
    axes.axis("off")
    return figure


def _spread(figure, axes, positions, diameter: float, sizes, layers):
    """Size the picture, from its units' circles and spreading out step by step
    (SPREADS), until every weight's label has a place of its own; those places, or None
    if none of the sizes up to MAX_PIXELS leaves room for them all."""
    pitch = diameter / 72  # inches: a unit's circle, and room beside it for edges and labels
    for spread in SPREADS:
        width = 3 + max(3.2, pitch + 2.6) * len(layers) * spread
        height = 2.5 + max(2.0, pitch + 0.7) * max(len(units) for units in layers) * spread
        if width * height * figure.dpi**2 > MAX_PIXELS:
            return None
        figure.set_size_inches(width, height)
        _frame(axes, positions, diameter / 2 * figure.dpi / 72)
        boxes = _label_boxes(figure, axes, positions, diameter, sizes)
        if boxes is not None:
            return boxes
    return None


class LabelsDoNotFit(ValueError):
    """The weights' labels cannot all be placed apart, however far the picture spreads."""

    def __init__(self, count: int) -> None:
        super().__init__(
            f"the labels of {count} weights cannot all be placed without covering each "
            "other; draw a smaller network, or read the numbers in `run`'s tables"
        )


def _frame(axes, positions, radius: float) -> None:
    """Axis limits around the units with room for the outer units' circles (`radius`, in
    pixels), set before drawing so that where a label goes can be worked out in the
    picture's pixels: a margin m of a span s shows r pixels of an axis H pixels long when
    m · H / (s + 2m) = r."""
    box = axes.get_window_extent()
    room = radius + 6.0  # the circle, its outline, and air
    for k, (length, limits) in enumerate(((box.width, axes.set_xlim), (box.height, axes.set_ylim))):
        low, high = min(p[k] for p in positions.values()), max(p[k] for p in positions.values())
        span = (high - low) or 1.0
        margin = room * span / max(length - 2 * room, 1.0)
        limits(low - margin, high + margin)


def _label_boxes(figure, axes, positions, diameter, sizes):
    """Each edge's label box in pixels (label_places), or None where they do not all fit."""
    radius = diameter / 2 * figure.dpi / 72
    pixels = {unit: tuple(axes.transData.transform(p)) for unit, p in positions.items()}
    edges = []
    for source, target in sizes:
        (x0, y0), (x1, y1) = pixels[source], pixels[target]
        span = math.hypot(x1 - x0, y1 - y0) or 1.0
        ux, uy = (x1 - x0) / span, (y1 - y0) / span
        start = (x0 + ux * radius, y0 + uy * radius)
        end = (x1 - ux * (radius + ARROW), y1 - uy * (radius + ARROW))
        edges.append(Edge(start, end, *sizes[(source, target)]))
    boxes = place_labels(edges, [(p, radius) for p in pixels.values()])
    return None if boxes is None else dict(zip(sizes, boxes, strict=True))


def _draw_network(nx, axes, graph, positions, node_labels, diameter) -> None:
    """The circles with their labels, and the edges as arrows ending at the circles."""
    size = diameter**2  # a marker's area in points², as matplotlib's scatter takes it
    nx.draw_networkx_nodes(
        graph, positions, ax=axes, node_size=size, node_color="#dbe9f6", edgecolors="#3b6ea5"
    )
    nx.draw_networkx_labels(graph, positions, node_labels, ax=axes, font_size=FONT_SIZE)
    nx.draw_networkx_edges(graph, positions, ax=axes, node_size=size, arrowsize=12)


def _graph(nx, trace: Trace, notation: str | None):
    """The network as a networkx graph (each unit's layer its `layer`), each unit's label
    and each edge's: a unit's output, δ, target and bias old → new; a weight's old → new."""
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
    node_labels.update({u: f"{u}\n{labels.out(u)} = {n(value)}" for u, value in step.inputs})
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
    return graph, node_labels, edge_labels


def _title(trace: Trace) -> str:
    h, first = trace.header, trace.steps[0]
    eta = setting_text(h.learning_rate)
    title = f"{_drawable(h.title or h.file)}\none step: each weight and bias old → new, η = {eta}"
    if first.batch:  # batch normalization's: one update on the whole batch
        title += f"; outputs and δ of example 1 of {len(first.batch)}"
    return title


def _circle_around(figure, axes, labels) -> float:
    """The diameter in points of a circle that holds the widest and tallest unit label
    (its box's diagonal, and a margin): every unit is drawn that size, so no label runs over
    its circle's edge into the arrows (Borela's `w01^(1) 1.0 → 0.89` did at a fixed size)."""
    widest = tallest = 0.0
    for label in labels:
        width, height = _text_size(figure, axes, label, FONT_SIZE)
        widest, tallest = max(widest, width), max(tallest, height)
    return max(MIN_DIAMETER, math.hypot(widest, tallest) * 72 / figure.dpi + 2 * FONT_SIZE)


def _text_size(figure, axes, label: str, points: float) -> tuple[float, float]:
    """A label's width and height in pixels, unrotated, as matplotlib lays it out (with the
    padding of an edge label's white box, LABEL_PAD of the font size on each side)."""
    text = axes.text(0, 0, label, fontsize=points, ha="center", va="center", parse_math=False)
    box = text.get_window_extent(figure.canvas.get_renderer())
    text.remove()
    pad = 2 * LABEL_PAD * points * figure.dpi / 72
    return box.width + pad, box.height + pad


def _drawable(text: str) -> str:
    """A title as a picture can show it: control characters (an escape, a bell), which no
    font draws, left out; its lines kept, and a tab a space (words stay apart)."""
    text = text.replace("\t", " ")
    return "".join(c for c in text if c == "\n" or unicodedata.category(c) != "Cc")
