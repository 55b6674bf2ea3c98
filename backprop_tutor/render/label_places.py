"""Where each weight's label goes on `draw`'s picture: on its own edge, clear of every unit's
circle and of every other label, so that no number is hidden under another.

Pure geometry in the picture's display units (pixels), without matplotlib: a label is a
rectangle turned to lie along its edge, and two are apart when some axis of either separates
them (the separating axis test for two rectangles).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Point = tuple[float, float]
# how far along the visible part of its edge a label may sit, in the order tried: a third of
# the way first (labels of one unit's edges fan out there), then further choices
FRACTIONS = (0.3, 0.7, 0.5, 0.2, 0.8, 0.4, 0.6, 0.15, 0.85)


@dataclass(frozen=True)
class Edge:
    """An edge's visible part (from the source's circle to the target's) and its label's
    size: `length` along the edge and `height` across it; `flat`: the label is written
    level (an SVG's), its length then across the page, not along the edge."""

    start: Point
    end: Point
    length: float
    height: float
    flat: bool = False


@dataclass(frozen=True)
class Box:
    """A label's rectangle: its centre, half its length along (cos, sin), half its height."""

    x: float
    y: float
    half_length: float
    half_height: float
    cos: float
    sin: float

    @property
    def angle(self) -> float:
        """The label's rotation in degrees, upright (in (−90, 90])."""
        degrees = math.degrees(math.atan2(self.sin, self.cos))
        return degrees - 180 if degrees > 90 else degrees + 180 if degrees <= -90 else degrees

    def reach(self, ux: float, uy: float) -> float:
        """Half the box's extent along the unit direction (ux, uy)."""
        along = abs(self.cos * ux + self.sin * uy)
        across = abs(-self.sin * ux + self.cos * uy)
        return self.half_length * along + self.half_height * across


def overlap(a: Box, b: Box) -> bool:
    """Whether two labels' rectangles share any area (touching edges do not count)."""
    dx, dy = b.x - a.x, b.y - a.y
    if math.hypot(dx, dy) >= math.hypot(a.half_length, a.half_height) + math.hypot(
        b.half_length, b.half_height
    ):
        return False
    for ux, uy in ((a.cos, a.sin), (-a.sin, a.cos), (b.cos, b.sin), (-b.sin, b.cos)):
        if abs(dx * ux + dy * uy) >= a.reach(ux, uy) + b.reach(ux, uy):
            return False
    return True


def clear_of_circle(box: Box, centre: Point, radius: float) -> bool:
    """Whether the label keeps out of a unit's circle."""
    dx, dy = centre[0] - box.x, centre[1] - box.y
    along = dx * box.cos + dy * box.sin
    across = -dx * box.sin + dy * box.cos
    nearest_along = max(-box.half_length, min(box.half_length, along))
    nearest_across = max(-box.half_height, min(box.half_height, across))
    return math.hypot(along - nearest_along, across - nearest_across) >= radius


def box_at(edge: Edge, fraction: float) -> Box:
    """The label's rectangle centred `fraction` of the way along the edge's visible part."""
    (x0, y0), (x1, y1) = edge.start, edge.end
    span = math.hypot(x1 - x0, y1 - y0) or 1.0
    cos, sin = (1.0, 0.0) if edge.flat else ((x1 - x0) / span, (y1 - y0) / span)
    x, y = x0 + fraction * (x1 - x0), y0 + fraction * (y1 - y0)
    return Box(x, y, edge.length / 2, edge.height / 2, cos, sin)


def place_labels(
    edges: Sequence[Edge], circles: Sequence[tuple[Point, float]], taken: Sequence[Box] = ()
) -> list[Box] | None:
    """A place on its edge for every label, each clear of the circles, of the boxes already
    `taken` (other text) and of the labels placed before it (the first of FRACTIONS that
    is); None when some label has no such place, and the picture must spread out. Labels
    and circles are kept in a grid of cells as wide as the longest label, so each place is
    checked against its neighbours only."""
    if not edges:
        return []
    cell = max(2 * math.hypot(e.length / 2, e.height / 2) for e in edges)
    grid = _Grid(cell)
    for centre, radius in circles:
        grid.add((centre, radius), centre, radius)
    for box in taken:
        grid.add(box, (box.x, box.y), math.hypot(box.half_length, box.half_height))
    placed: list[Box] = []
    for edge in edges:
        for fraction in FRACTIONS:
            box = box_at(edge, fraction)
            if _inside(box, edge) and _free(box, grid):
                grid.add(box, (box.x, box.y), math.hypot(box.half_length, box.half_height))
                placed.append(box)
                break
        else:
            return None
    return placed


class _Grid:
    """Things (circles, boxes) by the square cells their bounding circle meets."""

    def __init__(self, cell: float) -> None:
        self.cell = cell
        self.cells: dict[tuple[int, int], list] = {}

    def _keys(self, centre: Point, reach: float):
        c = self.cell
        for i in range(
            math.floor((centre[0] - reach) / c), math.floor((centre[0] + reach) / c) + 1
        ):
            for j in range(
                math.floor((centre[1] - reach) / c), math.floor((centre[1] + reach) / c) + 1
            ):
                yield i, j

    def add(self, thing, centre: Point, reach: float) -> None:
        for key in self._keys(centre, reach):
            self.cells.setdefault(key, []).append(thing)

    def near(self, centre: Point, reach: float) -> list:
        found = {id(t): t for key in self._keys(centre, reach) for t in self.cells.get(key, ())}
        return list(found.values())


def _free(box: Box, grid: _Grid) -> bool:
    """Whether the label may go here: clear of every circle and every label placed."""
    for thing in grid.near((box.x, box.y), math.hypot(box.half_length, box.half_height)):
        if isinstance(thing, Box):
            if overlap(box, thing):
                return False
        elif not clear_of_circle(box, *thing):
            return False
    return True


def _inside(box: Box, edge: Edge) -> bool:
    """Whether the label lies along its edge's visible part, not past either end."""
    span = math.hypot(edge.end[0] - edge.start[0], edge.end[1] - edge.start[1])
    along = math.hypot(box.x - edge.start[0], box.y - edge.start[1])
    return box.half_length <= along <= span - box.half_length
