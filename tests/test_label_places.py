"""label_places: the geometry that keeps each weight's label on `draw`'s picture clear of the
circles and of every other label, checked against points sampled from the shapes."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_tutor.render.label_places import (
    Box,
    Edge,
    box_at,
    clear_of_circle,
    overlap,
    place_labels,
)

coordinate = st.floats(-50, 50)
half = st.floats(1, 30)
turn = st.floats(0, 2 * math.pi)


@st.composite
def boxes(draw) -> Box:
    angle = draw(turn)
    return Box(
        draw(coordinate), draw(coordinate), draw(half), draw(half), math.cos(angle), math.sin(angle)
    )


def _points(box: Box, steps: int = 24):
    """Points filling the box (a grid over its inside, edges included)."""
    for i in range(steps + 1):
        for j in range(steps + 1):
            a = box.half_length * (2 * i / steps - 1)
            b = box.half_height * (2 * j / steps - 1)
            yield box.x + a * box.cos - b * box.sin, box.y + a * box.sin + b * box.cos


def _contains(box: Box, point, slack: float = 1e-9) -> bool:
    dx, dy = point[0] - box.x, point[1] - box.y
    along, across = dx * box.cos + dy * box.sin, -dx * box.sin + dy * box.cos
    return abs(along) < box.half_length - slack and abs(across) < box.half_height - slack


@settings(max_examples=300, deadline=None)
@given(boxes(), boxes())
def test_two_boxes_overlap_exactly_when_a_point_of_one_is_inside_the_other(a: Box, b: Box) -> None:
    sampled = any(_contains(b, p) for p in _points(a)) or any(_contains(a, p) for p in _points(b))
    if sampled:  # a point of one strictly inside the other: they share area
        assert overlap(a, b)
    if not overlap(a, b):
        assert not sampled
    assert overlap(a, b) == overlap(b, a)


@settings(max_examples=300, deadline=None)
@given(boxes(), coordinate, coordinate, st.floats(1, 40))
def test_a_box_is_clear_of_a_circle_when_none_of_its_points_is_inside(box, x, y, r) -> None:
    inside = any(math.hypot(px - x, py - y) < r - 1e-9 for px, py in _points(box))
    if inside:
        assert not clear_of_circle(box, (x, y), r)
    if clear_of_circle(box, (x, y), r):
        assert not inside


def test_labels_that_would_cover_each_other_move_along_their_edges() -> None:
    """Two edges crossing where both labels sit a third of the way (Borela's w13 and w21):
    the second label moves along its own edge, and none covers the other."""
    crossing = [Edge((0, 30), (300, -70), 80, 10), Edge((0, -30), (300, 70), 80, 10)]
    assert overlap(box_at(crossing[0], 0.3), box_at(crossing[1], 0.3))  # both at (90, 0)
    first, second = place_labels(crossing, [])
    assert first == box_at(crossing[0], 0.3) and second != box_at(crossing[1], 0.3)
    assert not overlap(first, second)


def test_a_label_longer_than_its_edge_has_no_place() -> None:
    assert place_labels([Edge((0, 0), (50, 0), 80, 10)], []) is None
    assert place_labels([], [((0, 0), 5)]) == []
