"""Formula claims ("t_1*(1 - z1)"), compared with SymPy's derivation, never evaluated.

The text is parsed by Python's `ast` and walked with a whitelist: numbers, the network's own
names, + - * / and small constant powers, and exp, log, tanh, sigma. Anything else (attribute
access, calls to other names, __import__, comprehensions, huge powers) is refused by name, so
no user text reaches eval, exec or sympify.
"""

from __future__ import annotations

import ast
import difflib
import operator

import sympy as sp

from .check import Checker, Verdict
from .claims import Claim
from .derivation import Deriver
from .errors import SpecError
from .notation import NOTATIONS

MAX_LENGTH = 500
MAX_POWER = 10
FUNCTIONS = {"exp": sp.exp, "log": sp.log, "tanh": sp.tanh, "sigma": lambda a: 1 / (1 + sp.exp(-a))}
BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}


def parse_formula(text: str, names: dict[str, sp.Symbol]) -> sp.Expr:
    """The formula as a SymPy expression; ValueError says what is not allowed."""
    if len(text) > MAX_LENGTH:
        raise ValueError(f"the formula is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"not a formula: {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise ValueError("the formula is nested too deeply") from None

    def walk(node: ast.AST) -> sp.Expr:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Pow) and not (right.is_number and abs(right) <= MAX_POWER):
                raise ValueError(f"only constant powers up to {MAX_POWER} are allowed")
            return BINARY[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            value = walk(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return sp.nsimplify(node.value)
        if isinstance(node, ast.Name):
            if node.id not in names:
                close = difflib.get_close_matches(node.id, sorted(names), n=1, cutoff=0.6)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise ValueError(f"unknown name '{node.id}'{hint}")
            return names[node.id]
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in FUNCTIONS
            and len(node.args) == 1
            and not node.keywords
        ):
            return FUNCTIONS[node.func.id](walk(node.args[0]))
        what = type(node).__name__
        if isinstance(node, ast.Call):
            what = "a call to " + (node.func.id if isinstance(node.func, ast.Name) else "that")
        raise ValueError(
            f"{what} is not allowed in a formula (only numbers, the network's names,"
            " + - * / **, exp, log, tanh, sigma)"
        )

    try:
        return walk(tree)
    except RecursionError:
        raise ValueError("the formula is nested too deeply") from None


class FormulaChecker:
    """Names for formulas, and the derivation's expression for each quantity."""

    def __init__(self, checker: Checker) -> None:
        self.checker = checker
        self.deriver = Deriver(checker.trace, checker.trace.steps[0])
        d, refs = self.deriver, self.deriver.units
        self.sign = NOTATIONS[checker.trace.header.notation].delta_sign
        names: dict[str, sp.Symbol] = {}
        for u, ref in refs.items():
            for name in (d.out[u].name, f"out_{u}", d.net[u].name, f"net_{u}", f"delta_{u}"):
                names.setdefault(
                    name,
                    d.delta[u]
                    if name.startswith("delta_")
                    else (d.out[u] if "out" in name or name == d.out[u].name else d.net[u]),
                )
            if u in d.target:
                for name in (
                    d.target[u].name,
                    f"t{ref.index}",
                    f"t_{ref.index}",
                    f"t_{u}",
                    f"target_{ref.index}",
                ):
                    names.setdefault(name, d.target[u])
        names.update({name: symbol for name, symbol in d.param.items()})
        self.names = names

    def expected(self, key: str) -> sp.Expr | None:
        """The quantity `key` as SymPy derives it, in the notation's sign of delta."""
        d = self.deriver
        kind, _, inside = key.partition("[")
        inside = inside.rstrip("]")
        step = d.step
        if kind == "delta":
            event = next(e for e in step.deltas if e.unit == inside)
            if inside in d.terms:
                grad = next((g for g in step.gradients if g.to[0] == inside and g.factors), None)
                if grad is None:
                    return None
                head = grad.factors[:2] if event.jacobian == () else grad.factors[:1]
                expr = sp.Mul(*(d.factor_step(f, inside).expr for f in head))
            else:
                expr = d.factor_step(
                    _factor(step, inside, "dout_dnet"), inside
                ).expr * d._downstream_sum(inside)
            return self.sign * expr
        if kind in ("de_dout", "dout_dnet"):
            return d.factor_step(_factor(step, inside, kind), inside).expr
        if kind == "grad":
            g = next(e for e in step.gradients if e.param == inside)
            derivation = d.derive(g)
            chain = derivation.delta_form or derivation.chains[0]
            return chain.product if not g.paths or derivation.delta_form else None
        if kind == "loss":
            return d.terms[inside] if inside else d.total_loss
        return None


def _factor(step, unit: str, role: str):
    from .trace import Factor

    event = next(e for e in step.deltas if e.unit == unit)
    value = event.de_dout if role == "de_dout" else event.dout_dnet
    return Factor(role, unit, None, value)


def check_formulas(checker: Checker, claims: list[Claim], file: str) -> list[Verdict]:
    """Each formula claim: equal to SymPy's derivation, or not, with the correct form."""
    formulas = FormulaChecker(checker)
    verdicts = []
    for claim in claims:
        try:
            stated = parse_formula(claim.text, formulas.names)
        except ValueError as exc:
            raise SpecError(
                file,
                str(exc),
                "write the formula with the network's names, e.g. t_1*(1 - z1)",
                place=claim.id,
                line=claim.line,
            ) from None
        expected = formulas.expected(claim.id)
        if expected is None:
            raise SpecError(
                file,
                f"no formula to compare {claim.id} with",
                "claim formulas for delta, de_dout, dout_dnet, grad or loss ids",
                place=claim.id,
                line=claim.line,
            )
        verdicts.append(_compare(claim, stated, expected, formulas))
    return verdicts


def _equal(a: sp.Expr, b: sp.Expr) -> bool:
    return sp.simplify((a - b).rewrite(sp.exp)) == 0


def _compare(claim: Claim, stated: sp.Expr, expected: sp.Expr, formulas: FormulaChecker) -> Verdict:
    from .render.symbolic_view import show

    if _equal(stated, expected):
        return Verdict(claim, "formula", f"equal to SymPy's {show(expected)}", ok=True)
    detail = f"not equal: SymPy derives {show(expected)}"
    targets = list(formulas.deriver.target.values())
    if len(targets) > 1 and expected.has(*targets):
        total = sum(targets)
        summed = sp.factor(sp.expand(expected).subs(targets[-1], 1 - (total - targets[-1])))
        if not _equal(summed, expected):
            detail += f", which is {show(summed)} when the targets sum to 1"
    if _equal(stated, -expected):
        detail += " (the claim has the other sign convention of delta)"
    return Verdict(claim, "formula", detail)
