"""Grading a quiz answer: right when within one unit of the last digit the trace is shown to,
so a rounded and a truncated answer both pass; the questions themselves are a view
(render/quiz.py)."""

from __future__ import annotations

import math

from backprop_tutor.core.numbers import PLAIN_BELOW


def is_right(answer: str, value: float, digits: int) -> bool | None:
    """Within one unit of the last displayed digit; None when the answer is not a number."""
    try:
        number = float(answer.strip().replace("−", "-").replace("∞", "inf"))
    except ValueError:
        return None
    if math.isinf(value):  # a dE/dout past float64: "inf" (or ∞) with its sign is right
        return number == value
    low, high = accepted(value, digits)
    return low <= number <= high


def accepted(value: float, digits: int) -> tuple[float, float]:
    """The answers taken as right: within one unit of the last displayed digit (the explore
    page's quiz compares with these bounds, so its verdicts are this module's)."""
    unit = tolerance(digits)
    if abs(value) >= PLAIN_BELOW:  # shown as 1.52416e+17: a unit of the mantissa's last digit
        unit *= 10.0 ** math.floor(math.log10(abs(value)))
    return value - unit, value + unit


def tolerance(digits: int) -> float:
    """One unit of the last displayed digit, and a hair more for the float's own rounding."""
    return 10.0**-digits * (1 + 1e-9)


def right_to_fewer(answer: str, value: float, digits: int) -> int | None:
    """The decimals of an answer given to fewer than `digits` (at least 2) and right to
    those, where it is (1.0198 for 1.01977): the quiz then says why it wants more; None
    otherwise."""
    written = answer.strip().replace("−", "-")
    _, point, decimals = written.partition(".")
    places = len(decimals) if point and decimals.isdigit() else 0
    if 2 <= places < digits and is_right(written, value, places):
        return places
    return None
