"""A claim written as arithmetic of numbers alone (`loss[o1]: "1/2*(0.01-0.75136)**2"`): a
student writing out the sum instead of its result. It names no quantity, so there is no
formula to compare; it is a number, and is judged as one (teach/check.py).

The text is worked by the formula parser (teach/formula.parse_formula: the same whitelist and
the same bounds before SymPy sees it, within the same time budget), so nothing written is
evaluated by Python and `9**9**9` is refused in one line as a formula is. Its exact value is
then written, rounded to the nearest (the student did not cut it, so the nearest is the
number the arithmetic says), at the most decimals any of its numbers is written with: the
precision the student worked to (0.75136 is 5 decimals). Two exceptions, each so the number
judged keeps what was written:
- arithmetic of whole numbers alone (`1/4`) claims every decimal the spec shows, as a whole
  number does (verdicts.whole);
- a value smaller than those decimals show is taken to its first significant figure:
  0.04*0.24*0.1 is 0.00096, and at 2 decimals 0.00, a zero that would match any small value.
The result is judged, not the working inside it: 0.1*0.14 + 0.3*0.5 + 0.25 (i1 misread) is
0.41 at its 2 decimals, right as a claim of 0.41 is. Holding the spec's givens exact and
judging the value to the place its other numbers move it caught that, but failed correct
work whose rounded numbers equal a given by chance (0.05*0.60*(1-0.60) for Dawood's δ_h1).
"""

from __future__ import annotations

import ast
import math
import re
from decimal import Decimal

import sympy as sp

from backprop_tutor.core.errors import SpecError
from backprop_tutor.teach.claims import MAX_DECIMALS, Claim
from backprop_tutor.teach.formula import FUNCTIONS, parse_formula
from backprop_tutor.teach.formula_limits import MAX_LENGTH, TIME_BUDGET, TooCostly, time_budget

# a number's decimals as written: 0.75136 has 5, 1e-5 has 5, 2.5e3 none (underscores dropped)
_DECIMAL = re.compile(r"^(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
# digits SymPy works an irrational value (exp, log, a root) to past the ones kept: no tie at
# the cut can hide in them (a tie needs a terminating decimal, which only a fraction has)
GUARD = 20
FIX = f"write the arithmetic with numbers, + - * / **, {', '.join(FUNCTIONS)}, or its result"


def numbers_written(text: str) -> list[str] | None:
    """The numbers `text` writes, as written, when it is arithmetic of numbers alone (no name
    but a called function's); None when it is not: a formula of the network's names, or text
    the formula parser refuses on its own (too long, not Python's syntax)."""
    if len(text) > MAX_LENGTH:
        return None
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    nodes = list(ast.walk(tree))  # no recursion: safe at any depth
    called = {id(n.func) for n in nodes if isinstance(n, ast.Call)}
    if any(isinstance(n, ast.Name) and id(n) not in called for n in nodes):
        return None
    return [ast.get_source_segment(text, n) or "" for n in nodes if isinstance(n, ast.Constant)]


def as_number(claim: Claim, written: list[str], digits: int, file: str) -> Claim:
    """The claim as the number its arithmetic gives, at the decimals it was worked to (the
    spec's `digits` where it writes only whole numbers), its text kept as written; a
    SpecError, at the claim's line, for arithmetic the parser refuses or with no finite value."""

    def refuse(problem: str) -> SpecError:
        return SpecError(file, problem, FIX, place=claim.id, line=claim.line)

    try:
        with time_budget(TIME_BUDGET):
            try:
                value = _exact(parse_formula(claim.text, {}), _places(written, digits))
            except ValueError as exc:  # the parser's refusal, or no real, finite value
                raise refuse(str(exc)) from None
    except TooCostly:
        took = f"working the arithmetic took more than the {TIME_BUDGET:g} s allowed"
        raise refuse(took) from None
    except (ArithmeticError, RecursionError, MemoryError, TypeError) as exc:  # SymPy's own
        raise refuse(f"SymPy cannot work this arithmetic ({type(exc).__name__})") from None
    places = max(_places(written, digits), _leading(value))
    if places > MAX_DECIMALS:
        raise refuse(f"a number in it has more than {MAX_DECIMALS} decimals")
    return Claim(claim.id, claim.text, claim.line, _at(value, places), _at(value, places + 2))


def _places(written: list[str], digits: int) -> int:
    """The most decimals any number is written with; `digits` if none has a decimal."""
    found = (_DECIMAL.match(text.replace("_", "")) for text in written)
    decimals = [-Decimal(m[0]).as_tuple().exponent for m in found if m]  # type: ignore[operator]
    return max(decimals, default=0) if max(decimals, default=0) > 0 else digits


def _leading(value: sp.Rational) -> int:
    """The decimal place of the value's first significant figure (0.00096: 4); 0 for a
    value from 1 up, for 0, and past MAX_DECIMALS (no claim is written so finely)."""
    size = abs(value)
    if size == 0 or size >= 1:
        return 0
    place = 1
    while size * 10**place < 1 and place <= MAX_DECIMALS:
        place += 1
    return place if place <= MAX_DECIMALS else 0


def _exact(expr: sp.Expr, places: int) -> sp.Rational:
    """The value of arithmetic with no names, as a fraction: exact where it is one, else
    worked by SymPy to GUARD digits past `places`; ValueError where it has no real value a
    float holds (a division by zero, the log of 0, a root of a negative number, exp(1000))."""
    rough = expr.evalf(15)
    if rough.is_real is not True or rough.is_finite is not True:
        raise ValueError(
            "the arithmetic has no finite real value (it divides by zero, or takes the log of "
            "a number ≤ 0 or the root of a negative one)"
        )
    if not math.isfinite(float(abs(rough))):
        raise ValueError("the arithmetic gives a number past a float's range (about 1.8e308)")
    if expr.is_Rational:
        return expr
    if abs(rough) < sp.Float(10) ** -(MAX_DECIMALS + 3):  # zero at any decimals a claim has
        return sp.Rational(0)
    whole = len(str(int(abs(rough))))  # digits left of the point
    return sp.Rational(expr.evalf(whole + places + 2 + GUARD))


def _at(value: sp.Rational, places: int) -> Decimal:
    """`value` at `places` decimals, rounded half away from zero, exactly (no float, no
    context's precision between the fraction and the digits)."""
    whole, rest = divmod(abs(value.p) * 10**places, value.q)
    whole += 2 * rest >= value.q
    sign = "-" if value < 0 and whole else ""
    return Decimal(f"{sign}{whole}E-{places}")
