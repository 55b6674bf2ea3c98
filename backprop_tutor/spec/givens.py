"""The numbers a spec gives print as written, whatever the display's digits.

A worked example prints its givens (inputs, targets, starting weights and biases) in every
table that uses them. With `display.digits` fewer than a given's own decimals, 0.05 printed as
0.0 and a forward sum read 0.1 × 0.1 + 0.5 × 0.3 + 0.2 = 0.4: arithmetic that is wrong on the
page. So the display holds those givens (NumberFormat.written) and prints a value that is
exactly one of them whole. Only numbers written in the spec itself count: a CSV's data and
weights drawn by `init:` are computed values to the tables, shown to the display's digits.
"""

from __future__ import annotations

from decimal import Decimal

from backprop_tutor.core.numbers import written_places
from backprop_tutor.spec.yaml_source import YamlPath, YamlSource

GIVEN_KEYS = frozenset({"inputs", "targets", "examples", "test"})
LAYER_GIVENS = frozenset({"weights", "bias"})


def _is_given(path: YamlPath) -> bool:
    if not path:
        return False
    if path[0] == "layers":
        return len(path) > 2 and path[2] in LAYER_GIVENS
    return path[0] in GIVEN_KEYS


def givens_past(source: YamlSource, digits: int) -> frozenset[float]:
    """The spec's givens written with more than `digits` decimals (at most 17: a float's)."""
    found = set()
    for path, text in source.scalars.items():
        if _is_given(path):
            places = written_places(text)
            if places is not None and digits < places <= 17:
                found.add(float(Decimal(text.strip())))
    return frozenset(found)
