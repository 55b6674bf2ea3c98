"""Formula claims ("t_1*(1 - z1)"), compared with SymPy's derivation, never evaluated.

The text is parsed by Python's `ast` and walked with a whitelist: numbers, the network's own
names, + - * / and small constant powers, and exp, log, tanh, sigma. Anything else (attribute
access, calls to other names, __import__, comprehensions, huge powers) is refused by name, so
no user text reaches eval, exec or sympify.

SymPy's cost grows without bound in a formula's size: 43 characters of nested powers take
minutes, `sigma(` nested 70 deep longer, a power of a sum gigabytes. So the tree is measured
first (formula_limits.measure: nesting, node count, the degree and terms of the polynomial it
expands to, the size of constants), and only a formula within every bound reaches SymPy; each
claim then runs within a time budget (formula_limits.time_budget), and one that runs out is
refused as too costly rather than hanging.
"""

from __future__ import annotations

import ast
import difflib
import operator
from typing import TYPE_CHECKING

import sympy as sp

from backprop_tutor.core.errors import SpecError, shortened
from backprop_tutor.core.notation import NOTATIONS
from backprop_tutor.core.trace import Factor, StepTrace
from backprop_tutor.symbolic.derivation import Deriver
from backprop_tutor.symbolic.forms import equal, inline
from backprop_tutor.teach.claims import Claim, parse_id
from backprop_tutor.teach.formula_limits import (
    MAX_LENGTH,
    TIME_BUDGET,
    TooCostly,
    constant,
    measure,
    time_budget,
)
from backprop_tutor.teach.verdicts import Verdict

if TYPE_CHECKING:  # check.py reads a claim of arithmetic through this module
    from backprop_tutor.teach.check import Checker

FUNCTIONS = {"exp": sp.exp, "log": sp.log, "tanh": sp.tanh, "sigma": lambda a: 1 / (1 + sp.exp(-a))}
BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
FORMULA_KINDS = ("delta", "de_dout", "dout_dnet", "grad", "loss")


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
    measure(tree, FUNCTIONS)  # every bound, before SymPy builds anything

    def walk(node: ast.AST) -> sp.Expr:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
            return BINARY[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            value = walk(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.Constant):
            return constant(node)
        if isinstance(node, ast.Name):
            if node.id not in names:
                close = difflib.get_close_matches(node.id, sorted(names), n=1, cutoff=0.6)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise ValueError(f"unknown name '{shortened(node.id)}'{hint}")
            return names[node.id]
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)  # measure() saw to it
        return FUNCTIONS[node.func.id](walk(node.args[0]))

    return walk(tree)


class FormulaChecker:
    """Names for formulas, and the derivation's expression for each quantity."""

    def __init__(self, checker: Checker) -> None:
        self.checker = checker
        self.deriver = Deriver(checker.trace, checker.trace.steps[0])
        self._derivers = {1: self.deriver}
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

    def example(self, key: str) -> str:
        """A formula written in this network's own names, for a fix: about the output unit
        the claim `key` names, else the first output (`target_1*(1 - output_o1)` for Dawood).
        A fixed example named a unit (z1) that most networks lack, so it could repeat the
        very name just refused."""
        d = self.deriver
        unit = parse_id(key).inside.split(",")[0]
        unit = unit if unit in d.target else next(iter(d.target), "")
        if not unit:
            return ""
        out, target = self._spelled(d.out[unit]), self._spelled(d.target[unit])
        return f"{target}*(1 - {out})" if out and target else ""

    def _spelled(self, symbol: sp.Symbol) -> str:
        """The first name a formula may write `symbol` as (a name such as a1^(2) is not one)."""
        return next((n for n, s in self.names.items() if s == symbol and n.isidentifier()), "")

    def deriver_at(self, step: int) -> Deriver:
        """The derivation of step `step` (every step has the same symbols, its own numbers)."""
        if step not in self._derivers:
            trace = self.checker.trace
            self._derivers[step] = Deriver(trace, trace.steps[step - 1])
        return self._derivers[step]

    def expected(self, key: str) -> sp.Expr | None:
        """The quantity `key` as SymPy derives it, in the notation's sign of delta, at the
        step the id names; None where there is no formula to compare with (a test
        prediction, a number that is given, a gradient only its paths define)."""
        ident = parse_id(key)
        steps = len(self.checker.trace.steps)
        if ident.predicted or not ident.known or not 1 <= ident.step <= steps:
            return None
        d, kind, inside = self.deriver_at(ident.step), ident.kind, ident.inside
        step = d.step
        event = next((e for e in step.deltas if e.unit == inside), None)
        if kind == "dout_dnet" and inside.split(",")[-1] in d.units:
            return self._dout_dnet(d, inside)
        if kind == "delta" and event:
            return self._delta(d, step, inside, event.jacobian == ())
        unit, _, k = inside.partition(",")
        feeds = next((e.downstream for e in step.deltas if e.unit == unit), ())
        if kind == "de_dout" and k:  # one term w × δ of a hidden unit's dE/dout
            w = next((w for above, w, _, _ in feeds if above == k), None)
            return None if w is None else d.param[w] * d.delta[k]
        if kind == "de_dout" and event:
            return d.factor_step(Factor("de_dout", inside, None, event.de_dout), inside).expr
        if kind == "grad":
            g = next((e for e in step.gradients if e.param == inside), None)
            if g is None:
                return None
            derivation = d.derive(g)
            chain = derivation.delta_form or derivation.chains[0]
            return chain.product if not g.paths or derivation.delta_form else None
        if kind == "loss" and (inside in d.terms or not inside):
            return d.terms[inside] if inside else d.total_loss
        return None

    def _delta(self, d: Deriver, step: StepTrace, unit: str, elementwise: bool) -> sp.Expr | None:
        if unit in d.terms:
            grad = next((g for g in step.gradients if g.to[0] == unit and g.factors), None)
            if grad is None:
                return None
            head = grad.factors[:2] if elementwise else grad.factors[:1]
            expr = sp.Mul(*(d.factor_step(f, unit).expr for f in head))
        else:
            dout = d.factor_step(Factor("dout_dnet", unit, None, 0.0), unit).expr
            expr = dout * d._downstream_sum(unit)
        return self.sign * expr

    @staticmethod
    def _dout_dnet(d: Deriver, inside: str) -> sp.Expr | None:
        """dout/dnet of a unit; for softmax, dout_j/dnet_u = out_j·([j = u] − out_u), the
        entry of the Jacobian the id names (`dout_dnet[b,a]`, or the diagonal `dout_dnet[a]`)."""
        j, _, u = inside.rpartition(",")
        j = j or u
        if d._elementwise(u):
            if j != u:
                return None
            return d.factor_step(Factor("dout_dnet", u, None, 0.0), u).expr
        return d.out[j] * (int(j == u) - d.out[u])


def check_formulas(checker: Checker, claims: list[Claim], file: str) -> list[Verdict]:
    """Each formula claim: equal to SymPy's derivation, or not, with the correct form; a
    formula past the bounds, or one whose comparison runs out of time, is a SpecError; so is
    any formula on a batch-normalized spec, which SymPy does not derive through yet (as
    `run --symbolic` refuses it)."""
    if checker.trace.header.batch_norm:
        first = claims[0]
        raise SpecError(
            file,
            "formulas are not compared through batch normalization yet (its δ mixes the "
            "batch's examples)",
            "claim numbers here, and see `backprop-tutor derive batch_norm` for its short form",
            place=first.id,
            line=first.line,
        )
    formulas = FormulaChecker(checker)
    return [_check_one(claim, formulas, file) for claim in claims]


def _check_one(claim: Claim, formulas: FormulaChecker, file: str) -> Verdict:
    def refuse(problem: str, fix: str) -> SpecError:
        return SpecError(file, problem, fix, place=claim.id, line=claim.line)

    try:
        with time_budget(TIME_BUDGET):
            try:
                stated = parse_formula(claim.text, formulas.names)
            except ValueError as exc:
                example = formulas.example(claim.id)
                hint = "write the formula with the network's names" + (
                    f", e.g. {example}" if example else ""
                )
                raise refuse(str(exc), hint) from None
            expected = formulas.expected(claim.id)
            if expected is None:
                raise refuse(
                    f"no formula to compare {claim.id} with",
                    "claim formulas for delta, de_dout, dout_dnet, grad or loss ids",
                )
            return _compare(claim, stated, expected, formulas)
    except TooCostly:
        raise refuse(
            f"comparing the formula with SymPy's derivation took more than the {TIME_BUDGET:g} s"
            " allowed: it is too costly to simplify",
            "write it shorter, closer to the derivation's own form",
        ) from None
    except (ArithmeticError, RecursionError, MemoryError, TypeError, ValueError) as exc:
        # only SymPy's own can reach here: the formula's were turned into SpecErrors above
        raise refuse(
            f"SymPy cannot work with this formula ({type(exc).__name__})",
            "write it with smaller numbers and less nesting",
        ) from None


def _compare(claim: Claim, stated: sp.Expr, expected: sp.Expr, formulas: FormulaChecker) -> Verdict:
    if equal(stated, expected):
        return Verdict(claim, "formula", f"equal to SymPy's {inline(expected)}", ok=True)
    detail = f"not equal: SymPy derives {inline(expected)}"
    targets = list(formulas.deriver.target.values())
    if len(targets) > 1 and expected.has(*targets):
        total = sum(targets)
        summed = sp.factor(sp.expand(expected).subs(targets[-1], 1 - (total - targets[-1])))
        if not equal(summed, expected):
            detail += f", which is {inline(summed)} when the targets sum to 1"
    if equal(stated, -expected):
        detail += " (the claim has the other sign convention of delta)"
    return Verdict(claim, "formula", detail)
