"""How large a formula claim may be, checked on its ast before SymPy sees it, and the time
SymPy then gets to compare it.

SymPy works exactly, so a short text can ask for unbounded work: `(((9**10)**10)**10...)` is an
integer of millions of digits (43 characters took 13.6 s, one power more 444 s), a power of a
sum expands to billions of terms (`((((out_o1+t_1+out_h1)**10)**10)**10)**10` reached 3.9 GB),
and simplifying `tanh` or `sigma` nested a few deep runs for minutes. The ast is small and
cheap to walk, so every bound below is checked on it first, with an upper estimate of what
expanding the formula would produce; the bounds are far above any formula a lecture writes.
What the estimates cannot foresee (simplify on a large but legal formula) the time budget
stops.
"""

from __future__ import annotations

import ast
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

# The bounds are measured against the longest formulas a lecture writes: a hidden delta with
# no delta symbols, written out to the outputs. For a 2-2-2 network (out_h1*(1-out_h1)*(w5*
# (out_o1-t_1)*out_o1*(1-out_o1)+w7*(...))): 87 characters, 29 nodes, 4 deep, degree 6, 16
# terms; for the first hidden layer of a 3-layer network with 3 units a layer: 402
# characters, 137 nodes, 6 deep, degree 9, 144 terms. Every bound leaves room above that (the
# length bound, 500 characters, was already there).
MAX_LENGTH = 500  # characters
MAX_POWER = 10  # x**2, x**-1, x**(1/2) are what formulas use
MAX_NODES = 300  # ast nodes: names, numbers, operations
# Nesting of operations, a chain of + and − (or of * and /) counting once, so a long sum is
# wide, not deep; Python's parser and SymPy's recursion fail some hundreds deep.
MAX_DEPTH = 30
# exp, log, tanh, sigma inside each other: log(sigma(net_o1)) is 2; tanh nested 4 deep already
# keeps SymPy's simplify busy for more than 20 s.
MAX_CALL_DEPTH = 3
# The polynomial the formula would expand to, each exp(...), log(...) counting as one variable:
# its degree, and an upper bound on its terms (numerator and denominator each). A power of a
# sum is what grows: (a+b+c+d+e+f)**10 has 3,003 terms, ((a+b+c)**10)**10 degree 100.
MAX_DEGREE = 40
MAX_TERMS = 2000
# A number as written: targets, rates and counts are small. sigma(-1e20) overflows SymPy.
MAX_CONSTANT = 1e6
# Digits of a number SymPy computes exactly from the formula's numbers (9**10 has 10; 1/3 has
# 1): (9**10)**10 has 96, one power more 954.
MAX_DIGITS = 100
# Seconds SymPy has to compare one formula claim with the derivation. Real formulas take well
# under a second (the golden lectures' all together take 2 s, most of it start-up).
TIME_BUDGET = 10.0


class TooCostly(BaseException):
    """The time budget ran out. A BaseException, like KeyboardInterrupt, so that no
    `except Exception` inside SymPy can swallow it and carry on."""


@dataclass(frozen=True)
class Shape:
    """What a subformula would become once SymPy expands it: `num` and `den`, upper bounds on
    the terms of the numerator and the denominator; `digits` of its exact constants."""

    degree: int = 0
    num: int = 1
    den: int = 1
    digits: int = 1
    calls: int = 0
    depth: int = 0


def constant(node: ast.Constant) -> sp.Rational:
    """A number as written, exact (0.1 is 1/10), within MAX_CONSTANT; ValueError if not. The
    float's shortest repr is the decimal written, so it is read as that fraction: nsimplify
    guessed a "simple" form, 1/3 for 0.3333333333333333 and, for 0.1234567890123, a product
    of roots that measure() could not count (an AttributeError)."""
    value = node.value
    if type(value) not in (int, float):
        raise ValueError(f"{type(value).__name__} is not allowed in a formula (only numbers)")
    if not math.isfinite(value):
        raise ValueError("a number in the formula is not finite (a float reaches about 1.8e308)")
    if abs(value) > MAX_CONSTANT:
        raise ValueError(f"the number {value:.6g} is larger than the {MAX_CONSTANT:g} allowed")
    return sp.Integer(value) if isinstance(value, int) else sp.Rational(repr(value))


def measure(tree: ast.Expression, functions: dict[str, Callable]) -> Shape:
    """The formula's shape; ValueError naming the first bound it passes, or what in it is not
    allowed at all. Nodes are counted without recursion, so any depth of tree is safe here."""
    nodes = sum(isinstance(n, ast.expr) for n in ast.walk(tree))
    if nodes > MAX_NODES:
        raise ValueError(f"the formula has {nodes} parts, more than the {MAX_NODES} allowed")
    return _shape(tree.body, functions)


def _shape(node: ast.AST, functions: dict[str, Callable]) -> Shape:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        return _check(_power(_shape(node.left, functions), _exponent(node.right)))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div):
        left, right = _shape(node.left, functions), _shape(node.right, functions)
        depth = max(_depth(node, node.left, left), _depth(node, node.right, right))
        return _check(_combine(node.op, left, right, depth))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        return _shape(node.operand, functions)
    if isinstance(node, ast.Constant):
        number = constant(node)
        return Shape(digits=max(len(str(abs(number.p))), len(str(number.q))))
    if isinstance(node, ast.Name):
        return Shape(degree=1, digits=0)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in functions
        and len(node.args) == 1
        and not node.keywords
    ):
        inner = _shape(node.args[0], functions)
        calls = inner.calls + 1
        if calls > MAX_CALL_DEPTH:
            raise ValueError(f"functions are nested more than {MAX_CALL_DEPTH} deep")
        return _check(Shape(1, 1, 1, 0, calls, inner.depth + 1))  # one new variable
    if isinstance(node, ast.Tuple):  # `0,5`, a decimal comma, is Python's tuple (0, 5)
        raise ValueError(
            "a comma is not allowed in a formula (a decimal has a point: 0.5, not 0,5)"
        )
    what = type(node).__name__
    if isinstance(node, ast.Call):
        what = "a call to " + (node.func.id if isinstance(node.func, ast.Name) else "that")
    raise ValueError(
        f"{what} is not allowed in a formula (only numbers, the network's names,"
        " + - * / **, exp, log, tanh, sigma)"
    )


def _depth(node: ast.BinOp, child: ast.AST, shape: Shape) -> int:
    """A chain of + and − (or * and /) is one level: a long sum is wide, not deep."""
    family = (ast.Add, ast.Sub) if isinstance(node.op, ast.Add | ast.Sub) else (ast.Mult, ast.Div)
    same = isinstance(child, ast.BinOp) and isinstance(child.op, family)
    return shape.depth if same else shape.depth + 1


def _combine(op: ast.operator, a: Shape, b: Shape, depth: int) -> Shape:
    """a op b, as fractions: a/b + c/d = (ad + cb)/(bd), so terms multiply as they would."""
    calls = max(a.calls, b.calls)
    if isinstance(op, ast.Add | ast.Sub):
        num, den = a.num * b.den + b.num * a.den, a.den * b.den
        return Shape(max(a.degree, b.degree), num, den, max(a.digits, b.digits) + 1, calls, depth)
    if isinstance(op, ast.Mult):
        num, den = a.num * b.num, a.den * b.den
    else:
        num, den = a.num * b.den, a.den * b.num
    return Shape(a.degree + b.degree, num, den, a.digits + b.digits, calls, depth)


def _exponent(node: ast.AST) -> Fraction:
    """A power's exponent: a number, or a fraction of two (x**2, x**-1, x**(1/2)), at most
    MAX_POWER in size; anything else is refused before SymPy computes it."""
    refused = ValueError(f"only constant powers up to {MAX_POWER} are allowed, such as x**2")
    sign = 1
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        sign = -sign if isinstance(node.op, ast.USub) else sign
        node = node.operand
    fraction = isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)
    parts = [node.left, node.right] if fraction else [node]  # type: ignore[attr-defined]
    values = [p.value for p in parts if isinstance(p, ast.Constant)]
    if len(values) < len(parts) or not all(type(v) in (int, float) for v in values):
        raise refused
    if not all(math.isfinite(v) and abs(v) <= MAX_CONSTANT for v in values):
        raise refused
    if fraction and values[1] == 0:
        raise ValueError("a power divides by zero")
    value = sign * Fraction(values[0]) / Fraction(values[1] if fraction else 1)
    if abs(value) > MAX_POWER:
        raise refused
    return value


def _power(base: Shape, exponent: Fraction) -> Shape:
    """base ** exponent: a sum of k terms to the n has at most C(n+k-1, k-1) terms."""
    n = math.ceil(abs(exponent))
    num, den = (_multinomial(base.num, n), _multinomial(base.den, n))
    if exponent < 0:
        num, den = den, num
    return Shape(base.degree * n, num, den, base.digits * n, base.calls, base.depth + 1)


def _multinomial(terms: int, n: int) -> int:
    return math.comb(n + terms - 1, terms - 1) if terms > 1 else 1


def _check(shape: Shape) -> Shape:
    if shape.depth > MAX_DEPTH:
        raise ValueError(f"the formula is nested more than {MAX_DEPTH} deep")
    if shape.degree > MAX_DEGREE:
        raise ValueError(f"the formula expands to degree {shape.degree}, more than {MAX_DEGREE}")
    if max(shape.num, shape.den) > MAX_TERMS:
        raise ValueError(f"the formula expands to more than {MAX_TERMS} terms")
    if shape.digits > MAX_DIGITS:
        raise ValueError(f"the formula's numbers reach more than {MAX_DIGITS} digits")
    return shape


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Raise TooCostly in the block after `seconds` (SIGALRM on the main thread; elsewhere,
    or without setitimer, no budget: the bounds above still hold). A timer already running
    (a test harness's hang guard) keeps its time: if it is due first, its own handler runs
    then, and the budget goes on; afterwards the handler and what is left of it are restored."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        yield
        return
    earlier = signal.getitimer(signal.ITIMER_REAL)[0]
    started = time.monotonic()
    state = {"armed": True, "theirs": 0 < earlier <= seconds, "delivered": False}

    def expire(signum: int, frame: object) -> None:
        if not state["armed"]:
            return
        if not state["theirs"]:
            raise TooCostly
        state["theirs"] = False  # the earlier timer's alarm: its owner's, then ours again
        state["delivered"] = True
        signal.setitimer(signal.ITIMER_REAL, max(seconds - (time.monotonic() - started), 0.001))
        if callable(previous):
            previous(signum, frame)

    previous = signal.signal(signal.SIGALRM, expire)
    try:
        # armed inside the try, so an alarm at once still restores everything
        signal.setitimer(signal.ITIMER_REAL, earlier if state["theirs"] else seconds)
        yield
    finally:
        try:
            state["armed"] = False  # an alarm from here on is ignored
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            if earlier and not state["delivered"]:  # give the earlier timer what is left
                left = earlier - (time.monotonic() - started)
                signal.setitimer(signal.ITIMER_REAL, max(left, 0.001))
