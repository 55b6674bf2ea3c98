"""A claim's verdict, and the tests of a number as written that every kind of claim shares:
shown at the claim's digits (rounded or truncated), or within one unit of its last digit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from decimal import Decimal, localcontext

from backprop_tutor.core.numbers import EXACT_TOLERANCE, NumberFormat, or_scientific
from backprop_tutor.core.rules import Rule
from backprop_tutor.core.words import counted
from backprop_tutor.teach.claims import MAX_DECIMALS, Claim
from backprop_tutor.teach.quiz import tolerance


@dataclass
class Verdict:
    claim: Claim
    status: str  # exact | calculator | carried | follows | coarse | variant | mismatch | formula
    detail: str
    exact: float | None = None
    ok: bool = False
    causes: list[str] = field(default_factory=list)  # for follows: the first wrong claims
    # the right working: the quantity's rule, and the values it reads, the claimed ones
    # where claimed (dE/dnet for a delta)
    rule: Rule | None = None
    inputs: dict[str, float] = field(default_factory=dict)
    gives: float | None = None  # what the rule gives from those inputs
    # a named mistake's working: the rule the claimed number fits, as the student worked it
    mistake_rule: Rule | None = None
    mistake_inputs: dict[str, float] = field(default_factory=dict)
    mistake_gives: float | None = None
    mistake: str | None = None  # a variant's: the named mistake the claim is the result of
    # a coarse claim's: the named mistake that shows as the claim too, at its few digits
    ambiguous_with: str | None = None

    @property
    def is_root(self) -> bool:
        """A mistake of its own: wrong, and not only because a number above it was wrong."""
        return not self.ok and self.status != "follows"


# what a verdict on a claim written as arithmetic adds to its detail, before the number
WORKED_OUT = "; worked from the written arithmetic as "


@dataclass
class Mistake:
    """One mistake of a student's: a named one at every claim it shows in (SSE for half SSE
    shows in the loss and in each output's ∂E/∂out: one misconception, not three), or a
    wrong number of its own at its claim."""

    roots: list[Verdict]

    @property
    def ids(self) -> list[str]:
        return [v.claim.id for v in self.roots]

    @property
    def detail(self) -> str:
        """A named mistake as its claims' verdicts say it, without a note of one claim's own
        (the arithmetic it was worked from): at its unit where they all say the same ("... at
        o1"), else its name alone (at o1 and at o2); a wrong number's verdict."""
        name = self.roots[0].mistake
        if not name:
            return self.roots[0].detail
        said = {v.detail.partition(WORKED_OUT)[0] for v in self.roots}
        return said.pop() if len(said) == 1 else matches_only(name)

    def then(self, verdicts: list[Verdict]) -> list[str]:
        """The wrong claims that follow from it (right for the wrong numbers it gave)."""
        ids = set(self.ids)
        return [v.claim.id for v in verdicts if v.status == "follows" and ids & set(v.causes)]


def matches_only(name: str) -> str:
    """The verdict on a claim that is the result of the named mistake `name`."""
    return f"matches only with {name}"


def mistakes(verdicts: list[Verdict]) -> list[Mistake]:
    """The root mistakes among the verdicts (a coarse claim shows none), those of one named
    mistake together, in the order their first claim comes."""
    found: dict[tuple[str, str], Mistake] = {}
    for v in verdicts:
        if v.is_root and v.status != "coarse":
            key = ("named", v.mistake) if v.mistake else ("own", v.claim.id)
            found.setdefault(key, Mistake([])).roots.append(v)
    return list(found.values())


def within_a_unit(value: float, claim: Claim) -> bool:
    """Within one unit of the claim's last written digit, as the quiz accepts an answer; for
    a claim of two decimals or more (a whole number ±1, or 0.5 ± 0.1, would pass anything)."""
    if value is None or not math.isfinite(value):
        return False
    if claim.scientific:  # a unit of the mantissa's last digit, of 3 figures or more
        figures = len(claim.number.as_tuple().digits)  # type: ignore[union-attr]
        unit = 10.0**-claim.places * (1 + 1e-9)
        return figures >= 3 and abs(float(claim.number) - value) <= unit  # type: ignore[arg-type]
    if claim.digits < 2:
        return False
    return abs(float(claim.number) - value) <= tolerance(claim.digits)  # type: ignore[arg-type]


def exact_claim(value: float, claim: Claim) -> Verdict | None:
    """The verdict on a claim of the value itself (0.41 or 0.4100 for a net of 0.41, whose
    float is 0.41000000000000003), which is no rounding of it; None for any other claim."""
    if value is None or not math.isfinite(value) or claim.number is None:
        return None
    if abs(float(claim.number) - value) <= EXACT_TOLERANCE * abs(value):
        return Verdict(claim, "exact", "the exact value", value, True)
    return None


def shown_as(value: float, claim: Claim, rounding: str | None = None) -> str | None:
    """'rounded' or 'truncated' when `value` shows as the claim at the claim's digits (only
    that rounding when one is given); never for inf or nan, which no claim can be."""
    if value is None or not math.isfinite(value):
        return None
    modes = [rounding] if rounding else ["round", "truncate"]
    found = [
        r for r in modes if NumberFormat(claim.places, r, fixed=True).decimal(value) == claim.number
    ]
    if len(found) == 2:
        return "rounded or truncated"
    return {"round": "rounded", "truncate": "truncated"}.get(found[0]) if found else None


def exactly(value: float, digits: int) -> str:
    """An exact value beside a claim of `digits` decimals: two digits more, enough to see the
    difference, never 17; in scientific notation where those would show none of its digits
    (a loss of 3.5e-05 beside a claim of 0.1 is not 0.000)."""
    return or_scientific(value, f"{value:.{digits + 2}f}", places=4)


def whole(claim: Claim, digits: int) -> Claim:
    """A whole number written without a point ("0", "1") claims every decimal the spec shows
    (`digits`): slides print an exact value short (1, 0.5), no lecture rounds a computed one to
    a whole number, and a student who writes 0 for a gradient means zero, not about 0.1."""
    if not claim.text.lstrip("+-").isdigit():
        return claim
    places = Decimal(1).scaleb(-digits)
    with localcontext() as context:  # room for any whole number a claims file holds
        context.prec = MAX_DECIMALS + len(claim.text) + 10
        return replace(claim, number=claim.number.quantize(places))  # type: ignore[union-attr]


def worked_out(verdict: Verdict) -> Verdict:
    """The verdict on a claim written as arithmetic (teach/arithmetic.py), saying so and the
    number it was judged as; any other verdict as it is."""
    claim = verdict.claim
    if claim.arithmetic is None or claim.number is None:
        return verdict
    number, finer = _plain(claim.number), _plain(claim.arithmetic)
    said = f"{WORKED_OUT}{number}"
    if claim.arithmetic != claim.number and finer != number:  # the value it rounds
        said += f" ({finer} at {counted(claim.digits + 2, 'decimal')})"
    return replace(verdict, detail=f"{verdict.detail}{said}")


def _plain(number: Decimal) -> str:
    """A number as a plain decimal, or in scientific notation past 20 characters."""
    text = format(number, "f")
    return text if len(text) <= 20 or not number else f"{number:.5e}"
