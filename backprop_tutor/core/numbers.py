"""The number policy: how a value is shown, and how a hand calculation carries it.

Every number a renderer prints goes through `NumberFormat.format`, so the whole tool agrees on
digits and rounding. Rounding works on the decimal string of a float (its shortest repr), not on
the binary float, so 0.165 rounds up to 0.17 as a student with a calculator expects, where binary
rounding of 0.16500000000000001 can go either way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal, InvalidOperation
from fractions import Fraction
from typing import Literal

Rounding = Literal["round", "truncate"]

# A value within this relative distance of a short decimal is taken to be that decimal: it
# absorbs binary noise such as 0.1*0.1 + 0.5*0.3 + 0.25 == 0.41000000000000003.
EXACT_TOLERANCE = 1e-12

_MODES = {"round": ROUND_HALF_UP, "truncate": ROUND_DOWN}
# From here up a value prints in scientific notation: a float holds at most 17 significant
# digits, so a plain decimal past 16 figures shows made-up zeros (1e200 would be 201 wide).
PLAIN_BELOW = 1e16
# Enough precision for any finite float (1e308 has 309 digits) at any display width.
_CONTEXT = Context(prec=700)


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


def _quantize(value: float, places: int, rounding: Rounding) -> Decimal:
    """`value` at `places` decimals; ROUND_HALF_UP is half away from zero, ROUND_DOWN truncates."""
    exponent = Decimal(1).scaleb(-places)
    return Decimal(repr(float(value))).quantize(
        exponent, rounding=_MODES[rounding], context=_CONTEXT
    )


def carry(value: float, places: int | None) -> float:
    """Round `value` to `places` decimals as a calculator user writes it down (None: keep exact)."""
    if places is None or not math.isfinite(value):  # inf and nan are reported by the caller
        return float(value)
    return float(_quantize(value, places, "round"))


def _short_places(value: float, max_places: int, at_max: Decimal) -> int | None:
    """The fewest decimals (at least one) that hold `value` exactly, if at most `max_places`;
    `at_max` is `value` rounded to max_places already (the caller prints it if none do)."""
    # binary noise, but never a digit the display shows, nor one truncation would drop: at
    # 13 to 15 decimals 1e-12 took 0.601087878847826 for 0.601087878848, and half a unit of
    # the last digit took 0.12345678901239 truncated for 0.1234567890124 (two digits below
    # the last shown is the bound; a float's noise is further down)
    tolerance = min(EXACT_TOLERANCE * max(1.0, abs(value)), 0.5 * 10.0 ** -(max_places + 2))

    def holds(places: int) -> bool:
        rounded = at_max if places == max_places else _quantize(value, places, "round")
        if at_max and not rounded:  # 1e-12 at 12 decimals is not 0.0: its one digit kept
            return False
        return abs(float(rounded) - value) <= tolerance

    # a value fewer decimals hold, max_places hold too: most computed values need one try
    if max_places < 1 or not holds(max_places):
        return None
    return next(places for places in range(1, max_places + 1) if holds(places))


@dataclass(frozen=True, slots=True)
class NumberFormat:
    """How values are displayed.

    `digits` decimals, cut by `rounding`. With `fixed` false (the default), a value that is
    exactly a shorter decimal prints short, the way slides print given numbers and exact sums
    (0.41, 2.0) while computed values keep every digit (0.19480, 0.00110).
    """

    digits: int = 5
    rounding: Rounding = "round"
    fixed: bool = False
    # the spec's own numbers (its givens) written with more than `digits` decimals: a value
    # exactly one of them prints whole, as written, never cut (spec/givens.py)
    written: frozenset[float] = frozenset()

    def format(self, value: float) -> str:
        """The display string of `value`: a plain decimal, or past PLAIN_BELOW in scientific
        notation (its digits past a float's 17 would be made-up zeros, hundreds wide)."""
        value = float(value)
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        if self.written and value in self.written:  # its shortest repr is as it was written
            places = max(self.digits, written_places(repr(value)) or 0)
            return NumberFormat(places, self.rounding, self.fixed).format(value)
        if abs(value) >= PLAIN_BELOW:
            return self._scientific(value)
        shown = self.decimal(value)
        text = str(shown)  # a quarter of format(shown, "f")'s time, for 45,000 values of a trace
        if "E" in text:  # below 1e-6 str writes 1E-7, and 0E-8 for 0.00000000
            text = format(shown, "f")
        if text.startswith("-") and Decimal(text) == 0:
            text = text[1:]  # a value cut to zero prints as 0.000, not -0.000
        return text

    def decimal(self, value: float) -> Decimal:
        """The finite `value` as the display cuts it, at any size as a plain decimal: what a
        claim at these digits is compared with (`format` writes 1e16 and up as 1.52e+17,
        which a claim of 152000000000000000.00 must not match)."""
        rounded = _quantize(value, self.digits, "round")  # the short test's first try, too
        places = _short_places(value, self.digits, rounded)
        if places is not None:  # exactly a shorter decimal, but for binary noise
            shown = rounded if places == self.digits else _quantize(value, places, "round")
            if self.fixed:  # every decimal shown: 0.325 as 0.32500, never truncated noise
                shown = shown.quantize(Decimal(1).scaleb(-self.digits), context=_CONTEXT)
            return shown
        if self.rounding == "round":
            return rounded
        return _quantize(value, self.digits, self.rounding)

    def _scientific(self, value: float) -> str:
        """A value past PLAIN_BELOW as d.ddddde+XX: `digits` decimals of its first figure,
        cut by the display's rounding; unless `fixed`, a value that is exactly a shorter
        mantissa prints short (1.5e+25, as a spec may give it), and any other keeps every
        decimal (9.999996e20 is 1.00000e+21, as 0.9999996 is 1.00000)."""
        exact, unit = Decimal(repr(value)), Decimal(1).scaleb(-self.digits)
        power = exact.adjusted()

        def mantissa_at(power: int) -> Decimal:
            cut = _MODES[self.rounding]
            return exact.scaleb(-power).quantize(unit, rounding=cut, context=_CONTEXT)

        mantissa = mantissa_at(power)
        if abs(mantissa) >= 10:  # 9.999996 rounded up to 10.00000
            power += 1
            mantissa = mantissa_at(power)
        text = format(mantissa, "f")
        if not self.fixed and mantissa.scaleb(power) == exact:  # exactly shorter: 1.5e+25
            text = text.rstrip("0")
            text += "0" * text.endswith(".")  # 2.0e+20, as a plain 2.0 prints
        return f"{text}e{power:+03d}"


def setting_text(value: float) -> str:
    """A setting (η, β₂, a rate, a threshold) as short as it prints whole: 0.1, 1e-08, 1/3,
    and 0.9999999 not rounded to 1 as `:g` alone would (it keeps 6 significant figures)."""
    short = f"{value:g}"
    if float(short) == value:
        return short
    fraction = Fraction(value).limit_denominator(1000)  # η: 1/3, as a spec may write it
    if float(fraction) == value:
        return f"{fraction.numerator}/{fraction.denominator}"
    return repr(float(value))


def or_scientific(value: float, text: str, figures: int = 1, places: int = 3) -> str:
    """`text`, the value as printed, or the value in scientific notation where `text` shows
    fewer than `figures` of its significant digits: a loss of 3.5e-06 at four decimals is not
    0.0000 (figures 1), and an optimizer's state, which the next quantity is worked from, is
    6.433e-06, not 0.00001 (figures 3). Text that holds the value exactly stays."""
    digits = text.lstrip("-").replace(".", "").lstrip("0")
    if not value or len(digits) >= figures or not math.isfinite(value):
        return text
    if abs(float(text) - value) <= EXACT_TOLERANCE * abs(value):
        return text
    return f"{value:.{places}e}"
