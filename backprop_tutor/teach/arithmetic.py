"""A claim written as arithmetic of numbers alone (`loss[o1]: "1/2*(0.01-0.75136)**2"`): a
student writing out the sum instead of its result. It names no quantity, so there is no
formula to compare; it is a number, and is judged as one (teach/check.py).

The text is worked by the formula parser (teach/formula.parse_formula: the same whitelist and
the same bounds before SymPy sees it, within the same time budget), so nothing written is
evaluated by Python and `9**9**9` is refused in one line as a formula is. Its exact value is
then written, rounded to the nearest (the student did not cut it, so the nearest is the
number the arithmetic says), at the decimals the value holds: a number in it that is one of
the spec's givens (0.1, the learning rate) or whole is exact, and any other (a rounded
intermediate, 0.73492; or a misread given, 0.14 for 0.1) may be off by a unit of its last
digit, which moves the value by that unit times the value's slope in it. The value is written
to the place those moves reach: 1/2*(0.05-0.73492)**2 to 5 decimals, 0.1*0.14 + 0.3*0.5 +
0.25 to 3 (0.414, no 0.41: rounded to the 2 decimals its numbers show, the misread passed).
Arithmetic of exact numbers alone is the number itself, at every decimal the spec shows
(3/5 is 0.60000: at its own 0 decimals it would be 1, and pass for 0.60108). A value smaller
than its decimals show is taken to its first significant figure: 0.04*0.02*0.5 is 0.0004, and
at 3 decimals 0.000, a zero that would match any small value.
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


def as_number(
    claim: Claim,
    written: list[str],
    digits: int,
    file: str,
    exact: frozenset[Decimal] = frozenset(),
) -> Claim:
    """The claim as the number its arithmetic gives, at the decimals it holds (the spec's
    `digits` where it writes only exact numbers: `exact`, the spec's givens, or whole ones),
    its text kept as written; a SpecError, at the claim's line, for arithmetic the parser
    refuses or with no finite value."""

    def refuse(problem: str) -> SpecError:
        return SpecError(file, problem, FIX, place=claim.id, line=claim.line)

    try:
        with time_budget(TIME_BUDGET):
            try:
                expr, written_to = parse_formula(claim.text, {}), _places(written, digits)
                value = _exact(expr, written_to)  # first: it says where there is no value
                worked_to = _worked_to(_spread(claim.text, exact), written_to, digits)
                if worked_to > written_to:
                    value = _exact(expr, worked_to)
            except ValueError as exc:  # the parser's refusal, or no real, finite value
                raise refuse(str(exc)) from None
    except TooCostly:
        took = f"working the arithmetic took more than the {TIME_BUDGET:g} s allowed"
        raise refuse(took) from None
    except (ArithmeticError, RecursionError, MemoryError, TypeError) as exc:  # SymPy's own
        raise refuse(f"SymPy cannot work this arithmetic ({type(exc).__name__})") from None
    places = max(worked_to, _leading(value))
    if places > MAX_DECIMALS:
        raise refuse(f"a number in it has more than {MAX_DECIMALS} decimals")
    return Claim(claim.id, claim.text, claim.line, _at(value, places), _at(value, places + 2))


def _spread(text: str, exact: frozenset[Decimal]) -> float:
    """How far the arithmetic's value can move when each number in it that is not exact (a
    whole number, or one of the spec's givens: `exact`) is off by one unit of its last digit,
    as a rounded or truncated intermediate is: to first order, the sum over those numbers of
    |∂value/∂number| × its unit. 0 when every number is exact."""
    tree = ast.parse(text, mode="eval")
    inexact = _Inexact(text, exact)
    tree = inexact.visit(tree)
    units = inexact.units
    if not units:
        return 0.0
    symbols = {name: sp.Symbol(name) for name in units}
    expr = parse_formula(ast.unparse(tree), symbols)
    at = {symbols[name]: value for name, (value, _) in units.items()}
    return float(
        sum(abs(expr.diff(symbols[n]).subs(at).evalf(15)) * u for n, (_, u) in units.items())
    )


class _Inexact(ast.NodeTransformer):
    """Each number of the arithmetic that is not exact, made a name (c0, c1, ...), with its
    value and the unit of its last digit as written (0.10: 1/100)."""

    def __init__(self, text: str, exact: frozenset[Decimal]) -> None:
        self.text, self.exact = text, exact
        self.units: dict[str, tuple[sp.Rational, sp.Rational]] = {}

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        segment = ast.get_source_segment(self.text, node) or ""
        found = _DECIMAL.match(segment.replace("_", ""))
        if not found or isinstance(node.value, int):
            return node
        number = Decimal(found[0])
        if number in self.exact or number == number.to_integral_value():
            return node
        name = f"c{len(self.units)}"
        unit = sp.Rational(1, 10 ** max(0, -number.as_tuple().exponent))  # type: ignore[operator]
        self.units[name] = (sp.Rational(str(number)), unit)
        return ast.copy_location(ast.Name(id=name, ctx=ast.Load()), node)


def _worked_to(spread: float, written: int, digits: int) -> int:
    """The decimals the arithmetic's value holds: past the place its inexact numbers can move
    it (0.1*0.14 + 0.3*0.5 + 0.25 is 0.414, to 3 decimals: a misread 0.14 moves it 0.001, so
    it is no 0.41), and every decimal the spec shows when they are all exact (its givens, whole
    numbers): the value is then the number itself."""
    if spread <= 0:
        return max(written, digits)
    if not math.isfinite(spread):  # a number where the value's slope is infinite: it holds none
        return 1
    return max(1, min(MAX_DECIMALS, math.floor(-math.log10(spread))))


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
