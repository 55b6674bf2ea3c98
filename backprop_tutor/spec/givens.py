"""The numbers a spec gives must print as written: a display too short for them is refused.

A worked example prints its givens (inputs, targets, starting weights and biases) in every
table that uses them. With `display.digits` fewer than a given's own decimals, 0.05 printed as
0.0 and a forward sum read 0.1 × 0.1 + 0.5 × 0.3 + 0.2 = 0.4: arithmetic that is wrong on the
page. Only numbers written in the spec itself are held to this; a CSV's data and weights drawn
by `init:` are computed values to the tables, shown to the display's digits.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from backprop_tutor.core.numbers import NumberFormat
from backprop_tutor.spec.yaml_source import YamlPath, YamlSource

GIVEN_KEYS = frozenset({"inputs", "targets", "examples", "test"})
LAYER_GIVENS = frozenset({"weights", "bias"})


def written_places(text: str) -> int | None:
    """The decimals a number as written needs (0.05 → 2, 0.50 → 1, 1e-3 → 3, 2 → 0); None
    for what is not a plain decimal (a fraction such as 1/3, a name)."""
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    return max(0, -int(number.normalize().as_tuple().exponent))


def _is_given(path: YamlPath) -> bool:
    if not path:
        return False
    if path[0] == "layers":
        return len(path) > 2 and path[2] in LAYER_GIVENS
    return path[0] in GIVEN_KEYS


def check_givens_shown(source: YamlSource, display: NumberFormat) -> None:
    """A SpecError at the first given the display would print with fewer decimals than it
    was written with."""
    for path, text in source.scalars.items():
        if not _is_given(path):
            continue
        places = written_places(text)
        if places is not None and places > display.digits:
            shown = display.format(float(Decimal(text.strip())))
            digits = display.digits
            fewer = f", or give it with at most {_decimals(digits)}" if digits else ""
            raise source.error(
                path,
                f"the given {text.strip()} has {_decimals(places)}, but display.digits is "
                f"{digits}: every table would print it as {shown}",
                f"set display: {{digits: {places}}} or more{fewer}",
            )


def _decimals(count: int) -> str:
    return f"{count} decimal" + "s" * (count != 1)
