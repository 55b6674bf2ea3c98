"""SymPy derivations, imported only when `--symbolic` or `derive` asks for them.

Each activation and loss carries its SymPy form beside its numeric one (activations.py,
losses.py); this module differentiates them and proves the textbook forms the lectures use,
such as sigmoid' = σ(1 - σ), equal to what SymPy derives itself.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import sympy as sp
from sympy.printing.str import StrPrinter

from backprop_tutor.core.activations import ACTIVATIONS, Activation
from backprop_tutor.core.losses import LOSSES, Loss

SAMPLES = 3  # random points at which two expressions are compared before SymPy tries to prove it

NET = sp.Symbol("net", real=True)
OUT = sp.Symbol("out", real=True)
TARGET = sp.Symbol("t", real=True)
OUTPUTS = sp.Symbol("K", positive=True)


@dataclass(frozen=True)
class ActivationDerivative:
    """SymPy's own derivative of an activation, the textbook form, and whether they are equal."""

    name: str
    function: sp.Expr  # out(net)
    raw: sp.Expr  # d out / d net as SymPy differentiates it
    textbook: sp.Expr  # as the lectures write it, in terms of out (and net where needed)
    proved: bool  # raw - textbook(out = function) simplifies to 0


def activation_derivative(activation: Activation) -> ActivationDerivative:
    """Differentiate an elementwise activation and prove its textbook derivative."""
    if activation.symbolic is None or activation.textbook is None:
        raise ValueError(f"{activation.name} has no elementwise SymPy form (see softmax_jacobian)")
    function = activation.symbolic(sp, NET)
    raw = sp.diff(function, NET)
    textbook = activation.textbook(sp, OUT, NET)
    proved = equal(raw, textbook.subs(OUT, function))
    return ActivationDerivative(activation.name, function, raw, textbook, bool(proved))


def softmax_jacobian(size: int) -> tuple[list[sp.Symbol], sp.Matrix, sp.Matrix, bool]:
    """Softmax over `size` net inputs: SymPy's Jacobian, the textbook z_j (δ_jk - z_k), and
    whether they are equal."""
    nets = list(sp.symbols(f"net_1:{size + 1}", real=True))
    total = sum(sp.exp(n) for n in nets)
    outs = [sp.exp(n) / total for n in nets]
    raw = sp.Matrix(size, size, lambda j, k: sp.diff(outs[j], nets[k]))
    textbook = sp.Matrix(size, size, lambda j, k: outs[j] * (int(j == k) - outs[k]))
    return nets, raw, textbook, bool(sp.simplify(raw - textbook) == sp.zeros(size, size))


def loss_derivative(loss: Loss) -> tuple[sp.Expr, sp.Expr]:
    """One output's term and its derivative with respect to the output, by SymPy."""
    term = loss.symbolic(sp, TARGET, OUT, OUTPUTS)
    return term, sp.diff(term, OUT)


def all_activation_derivatives() -> list[ActivationDerivative]:
    return [activation_derivative(a) for a in ACTIVATIONS.values() if a.elementwise]


def all_loss_derivatives() -> dict[str, tuple[sp.Expr, sp.Expr]]:
    return {name: loss_derivative(loss) for name, loss in LOSSES.items()}


def equal(a: sp.Expr, b: sp.Expr) -> bool:
    """a = b by SymPy, the one test of equality every derivation and formula claim uses:
    clearly different at a random point (then no simplify, which can take minutes on a wrong
    formula), else a − b, with exponentials first so tanh and its definition compare, cancelled
    or simplified to 0."""
    if _differs(a, b):
        return False
    difference = sp.expand((a - b).rewrite(sp.exp))
    try:  # over one denominator and cancelled: settles every activation's derivative but ELU's
        if sp.cancel(sp.together(difference)) == 0:
            return True
    except sp.PolynomialError:  # not a rational function of its parts: simplify decides
        pass
    # simplify's first call imports sympy.physics.units (0.2 s, a third of --symbolic's time)
    return sp.simplify(difference) == 0


def _differs(a: sp.Expr, b: sp.Expr) -> bool:
    """a − b is clearly not 0 at some random point. The points are the same every run; a point
    where either side is undefined decides nothing."""
    symbols = sorted((a - b).free_symbols, key=str)
    rng = random.Random(0)
    for _ in range(SAMPLES):
        point = {s: sp.Rational(rng.randint(11, 89), 97) for s in symbols}
        try:
            x, y = (sp.N(e.xreplace(point), 30) for e in (a, b))
            if not all(v.is_number and v.is_finite for v in (x, y)):
                continue
            scale = sp.Max(sp.Abs(x), sp.Abs(y), 1)
            if (sp.Abs(x - y) > scale * sp.Float("1e-20")) is sp.true:
                return True
        except (ArithmeticError, TypeError, ValueError):
            continue  # this point decides nothing; simplify still will
    return False


class _InlinePrinter(StrPrinter):
    """SymPy's str printer, with d/dx(...) for derivatives and terms in the order built."""

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        variables = "".join(f"d{self._print(v)}" for v in expr.variables)
        return f"d/{variables}({self._print(expr.expr)})"

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        """(1 if net_h1 > 0, else out_h1 + 1/2), as a lecture writes a case split inline;
        SymPy's own is Piecewise((1, net_h1 > 0), (out_h1 + 1/2, True))."""
        cases = [
            f"else {self._print(value)}"
            if condition == sp.true
            else f"{self._print(value)} if {self._print(condition)}"
            for value, condition in expr.args
        ]
        return f"({', '.join(cases)})"


def inline(expr: sp.Expr) -> str:
    """An expression as a lecture writes it inline: output_o1·(1 − output_o1), x², e^(−x)."""
    text = _InlinePrinter({"order": "none"}).doprint(expr)
    text = re.sub(r"\*\*2\b", "²", text)
    text = re.sub(r"\*\*3\b", "³", text)
    text = text.replace("**", "^").replace("*", "·").replace("exp(", "e^(")
    text = text.replace(" - ", " − ").replace("(-", "(−")
    return "−" + text[1:] if text.startswith("-") else text
