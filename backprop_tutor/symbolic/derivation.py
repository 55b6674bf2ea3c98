"""The chain rule for chosen parameters of a traced step, derived and checked by SymPy.

Every unit is its own symbol (output_o1, sum_o1, in the lecture's notation), so an expression
never grows with depth. Each chain-rule factor is differentiated by SymPy and shown in textbook
form; the trace's numbers are substituted and the result is checked against the engine's value.
A proof line (proof.py) then differentiates the loss composed through the units the parameter
moves, with each layer's activation an undefined function f_l, and shows that SymPy's derivative
and the chain-rule product are the same expression; the activations' own identities
(sigmoid' = σ(1 - σ)) are proved separately, in symbolic.py.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import sympy as sp
from sympy.core.mul import _keep_coeff

from backprop_tutor.core.activations import of_layer
from backprop_tutor.core.losses import LOSSES
from backprop_tutor.core.notation import NOTATIONS, unit_refs
from backprop_tutor.core.numbers import carry
from backprop_tutor.core.trace import Factor, GradientEvent, StepTrace, Trace
from backprop_tutor.symbolic.forms import activation_derivative
from backprop_tutor.symbolic.proof import prove

TOLERANCE = 1e-9


@dataclass
class FactorStep:
    """One chain-rule factor: its textbook expression, SymPy's own form, and the numbers."""

    factor: Factor
    expr: sp.Expr
    raw: sp.Expr | None  # SymPy's derivative where the textbook form rewrites it
    proved: bool | None  # raw equals expr (with out = f(net))
    engine: float
    evaluated: float


@dataclass
class Chain:
    """A product of factors: one path through a downstream unit, or the whole gradient."""

    via: str | None
    steps: list[FactorStep]
    product: sp.Expr
    engine: float
    evaluated: float


@dataclass
class ParameterDerivation:
    param: str
    event: GradientEvent
    loss: sp.Expr
    chains: list[Chain]
    delta_form: Chain | None = None  # a hidden parameter: delta_j · (its input)
    output_delta: sp.Expr | None = None  # an output unit's δ = dE/dout · dout/dnet, simplified
    output_delta_value: float = 0.0  # ... and its value, from the trace
    proof: bool | None = None
    proof_note: str = ""
    mismatches: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        return self.event.gradient


FLOAT64_EXPONENT_REACH = 800.0  # |x| past which e^x is 0 or inf in float64


class Deriver:
    """Symbols and numbers for one traced step of one network."""

    def __init__(self, trace: Trace, step: StepTrace, notation: str | None = None) -> None:
        h = trace.header
        self.header, self.step = h, step
        self.notation = NOTATIONS[notation or h.notation]
        self.units = unit_refs(h.layers)
        self.values = step.values()
        self.loss = LOSSES[h.loss]
        n = self.notation
        self.out = {u: sp.Symbol(n.out(ref), real=True) for u, ref in self.units.items()}
        self.net = {u: sp.Symbol(n.net(ref), real=True) for u, ref in self.units.items()}
        self.target = {u: sp.Symbol(n.target(self.units[u]), real=True) for u in h.layers[-1]}
        self.delta = {u: sp.Symbol(f"δ_{u}", real=True) for u in self.units}
        self.param: dict[str, sp.Symbol] = {}
        self.net_expr: dict[str, sp.Expr] = {}
        for ev in step.forward:
            terms = []
            for term in ev.terms:
                symbol = self.param.setdefault(term.weight, sp.Symbol(term.weight, real=True))
                terms.append(symbol * self.out[term.source])
            if ev.bias:
                bias = self.param.setdefault(ev.bias, sp.Symbol(ev.bias, real=True))
                terms.append(h.bias_sign * bias)  # a threshold is subtracted (x_0 = −1)
            self.net_expr[ev.unit] = sp.Add(*terms, evaluate=False)
        outputs = h.layers[-1]
        self.terms = {
            k: self.loss.symbolic(sp, self.target[k], self.out[k], len(outputs)) for k in outputs
        }
        self.total_loss = sp.Add(*self.terms.values(), evaluate=False)
        # dropout: a unit's out is its activation × its mask; its activation has a symbol of
        # its own, which dout/dnet's textbook form reads (σ(net)(1 − σ(net)) × mask)
        self.mask = {
            f.unit: sp.Symbol(f"mask_{f.unit}", real=True)
            for f in step.forward
            if f.mask is not None
        }
        self.kept = {
            u: sp.Symbol(f"{self._activation(u).name}({self.net[u].name})", real=True)
            for u in self.mask
        }
        self.numbers = self._numbers()
        # A factor recurs in many chains (δ_o1 of softmax in every path through o1): once.
        self._steps: dict[tuple[Factor, str], FactorStep] = {}

    def _numbers(self) -> dict[sp.Symbol, float]:
        v, numbers = self.values, {}
        for unit, symbol in self.out.items():
            numbers[symbol] = v[f"out[{unit}]"] if f"out[{unit}]" in v else v[f"input[{unit}]"]
        for unit, symbol in self.net.items():
            if f"net[{unit}]" in v:
                numbers[symbol] = v[f"net[{unit}]"]
        for unit, symbol in self.target.items():
            numbers[symbol] = v[f"target[{unit}]"]
        for unit, symbol in self.delta.items():
            if f"delta[{unit}]" in v:
                numbers[symbol] = v[f"delta[{unit}]"]
        for name, symbol in self.param.items():
            numbers[symbol] = v[f"old[{name}]"]
        for unit, symbol in self.mask.items():
            numbers[symbol] = v[f"mask[{unit}]"]
        if self.header.carry_digits is None:  # outputs as exact as the engine's factors
            numbers.update(self._exact_outputs())
        return numbers

    def _exact_outputs(self) -> dict[sp.Symbol, sp.Float]:
        """Each unit's output from its net input, to as many digits as its complement needs:
        the engine computes dout/dnet and the log losses' factors from the net input, so
        SymPy must not evaluate them at a float64 output that has rounded 1 − σ(40) away
        (at out = 1.0 exactly, (o − t)/(o(1 − o)) has no value at all)."""
        found: dict[sp.Symbol, sp.Float] = {}
        for units in self.header.layers[1:]:
            nets = [self.values.get(f"net[{u}]") for u in units]
            if any(net is None or not math.isfinite(net) for net in nets):
                continue
            # 1 − σ(x) is e^−x: |x|/ln 10 digits more hold it, up to where float64 ends
            # (e^−745); past that the engine's own number is 0 or inf, and more digits
            # would only make SymPy compute e^−700000 to 300,000 places (25 s).
            reach = min(max(abs(net) for net in nets), FLOAT64_EXPONENT_REACH)
            digits = 30 + int(reach / math.log(10))
            x = [sp.Float(net, digits) for net in nets]
            act = self._activation(units[0])
            if act.elementwise and act.symbolic is not None:
                outs = [act.symbolic(sp, xi) for xi in x]
            elif not act.elementwise:  # softmax over the layer
                top = max(x)
                shares = [sp.exp(xi - top) for xi in x]
                outs = [share / sp.Add(*shares) for share in shares]
            else:
                continue
            for unit, out in zip(units, outs, strict=True):
                kept = sp.Float(sp.N(out, digits), digits)
                if unit in self.mask:  # dropout: the activation, then the mask
                    found[self.kept[unit]] = kept
                    kept = sp.Float(sp.N(kept * self.values[f"mask[{unit}]"], digits), digits)
                found[self.out[unit]] = kept
        return found

    def _elementwise(self, unit: str) -> bool:
        return self._activation(unit).elementwise

    def evaluate(self, expr: sp.Expr, numbers: dict | None = None) -> float:
        """The expression at the trace's numbers (only its own symbols: subs over every symbol
        of the network would make deep networks slow)."""
        numbers = self.numbers if numbers is None else numbers
        return float(expr.xreplace({s: _number(numbers[s]) for s in expr.free_symbols}).evalf())

    def _activation(self, unit: str):
        layer = self.units[unit].layer
        alpha = self.header.alphas[layer - 1] if self.header.alphas else None
        name = self.header.activations[layer - 1]
        return of_layer(name, alpha)

    # -- one factor --------------------------------------------------------------------------
    def factor_step(self, factor: Factor, to: str) -> FactorStep:
        """One factor, differentiated and evaluated once however many chains it is in."""
        key = (factor, to)
        if key not in self._steps:
            self._steps[key] = self._factor_step(factor, to)
        return self._steps[key]

    def _factor_step(self, factor: Factor, to: str) -> FactorStep:
        raw, proved = None, None
        if factor.role == "de_dout" and factor.unit in self.terms:
            expr = sp.factor(sp.diff(self.total_loss, self.out[factor.unit]))
        elif factor.role == "de_dout":  # a hidden unit: Σ_k w_jk δ_k over the units it feeds
            expr = self._downstream_sum(factor.unit)
        elif factor.role == "dout_dnet":
            act = self._activation(factor.unit)
            out, net = self.out[factor.unit], self.net[factor.unit]
            identity = _identity(act.name, act.params.get("alpha"))
            raw = identity.raw.subs(sp.Symbol("net", real=True), net)
            proved = identity.proved
            if factor.unit in self.mask:  # dropout: σ′(net) × mask, σ′ at the activation
                mask = self.mask[factor.unit]
                expr = sp.Mul(act.textbook(sp, self.kept[factor.unit], net), mask, evaluate=False)
                raw = sp.Mul(raw, mask, evaluate=False)
            else:
                expr = act.textbook(sp, out, net)
        elif (
            factor.role == "delta"
            and factor.unit in self.terms
            and not self._elementwise(factor.unit)
        ):  # softmax output: δ_k = Σ_j ∂E/∂z_j · z_j (δ_jk − z_k), the whole Jacobian row
            k = factor.unit
            expr = sp.collect(
                sp.expand(
                    sum(
                        sp.diff(self.total_loss, self.out[j])
                        * self.out[j]
                        * (int(j == k) - self.out[k])
                        for j in self.terms
                    )
                ),
                self.out[k],
            )
        elif factor.role == "delta":
            expr = self.delta[factor.unit]
        elif factor.role == "dnet_dout":
            expr = sp.diff(self.net_expr[factor.unit], self.out[factor.other or ""])
            if self.header.update == "layer_by_layer":  # the weight as the update sets it
                new = {s: self.values[f"new[{s.name}]"] for s in expr.free_symbols}
                return FactorStep(factor, expr, raw, proved, factor.value, self.evaluate(expr, new))
        else:  # dnet_dparam: the parameter's own input, or 1 for a bias
            expr = sp.diff(self.net_expr[to], self.param[factor.unit])
        evaluated = self.evaluate(expr)
        return FactorStep(factor, expr, raw, proved, factor.value, evaluated)

    def chain(self, factors: tuple[Factor, ...], to: str, via: str | None, engine: float) -> Chain:
        steps = [self.factor_step(f, to) for f in factors]
        product = sp.Mul(*(s.expr for s in steps), evaluate=False)
        numbers = [s.engine for s in steps]
        if not math.isfinite(math.prod(numbers)) and [s.factor.role for s in steps[:2]] == [
            "de_dout",
            "dout_dnet",
        ]:  # dE/dout past float64 (inf · 0): the unit's δ, computed whole, is their product
            numbers[:2] = [self.values[f"delta[{steps[0].factor.unit}]"]]
        evaluated = self._carried(math.prod(numbers))
        return Chain(via, steps, product, engine, evaluated)

    def _carried(self, value: float) -> float:
        return carry(value, self.header.carry_digits)

    # -- one parameter -----------------------------------------------------------------------
    def derive(self, event: GradientEvent) -> ParameterDerivation:
        to = event.to[0]
        result = ParameterDerivation(event.param, event, self.total_loss, [])
        if event.paths:
            result.chains = [self.chain(p.factors, to, p.via, p.value) for p in event.paths]
            if event.factors:
                result.delta_form = self._delta_form(event, to)
        else:
            result.chains = [self.chain(event.factors, to, None, event.gradient)]
            steps = result.chains[0].steps
            if [st.factor.role for st in steps[:2]] == ["de_dout", "dout_dnet"]:
                result.output_delta = _factor_product(steps[1].expr, steps[0].expr)
                result.output_delta_value = self.values[f"delta[{to}]"]
        result.mismatches = self._mismatches(result)
        result.proof, result.proof_note = self.prove(result)
        return result

    def _downstream_sum(self, unit: str) -> sp.Expr:
        """Σ_k w_jk δ_k over the units that unit j feeds: its dE/dout."""
        below = next(d for d in self.step.deltas if d.unit == unit)
        return sp.Add(
            *(self.param[w] * self.delta[k] for k, w, _, _ in below.downstream), evaluate=False
        )

    def _delta_form(self, event: GradientEvent, to: str) -> Chain:
        """δ_j · input, with δ_j = dout_j/dnet_j · Σ_k w_jk δ_k written out."""
        dout = self.factor_step(event.factors[1], to)
        dparam = self.factor_step(event.factors[2], to)
        product = sp.Mul(dout.expr, self._downstream_sum(to), dparam.expr, evaluate=False)
        delta_value = self.values[f"delta[{to}]"]
        evaluated = self._carried(delta_value * dparam.engine)
        return Chain(None, [dout, dparam], product, event.gradient, evaluated)

    def _mismatches(self, result: ParameterDerivation) -> list[str]:
        found = []
        chains = [*result.chains, *([result.delta_form] if result.delta_form else [])]
        for chain in chains:
            for s in chain.steps:
                value = s.evaluated if s.factor.role == "dout_dnet" else self._carried(s.evaluated)
                if not _close(value, s.engine):
                    found.append(f"{s.factor.id}: SymPy gives {value!r}, the engine {s.engine!r}")
            if not _close(chain.evaluated, chain.engine):
                what = f"path through {chain.via}" if chain.via else "product"
                found.append(
                    f"{result.param} {what}: SymPy gives {chain.evaluated!r}, "
                    f"the engine {chain.engine!r}"
                )
        if result.chains[0].via and self.header.carry_digits is None:
            total = sum(c.engine for c in result.chains)
            if not _close(total, result.total):
                found.append(
                    f"{result.param}: the paths sum to {total!r}, the engine's gradient "
                    f"is {result.total!r}"
                )
        return found

    # -- the proof ---------------------------------------------------------------------------
    def prove(self, result: ParameterDerivation) -> tuple[bool | None, str]:
        """SymPy's derivative of the loss minus the chain-rule sum is 0 (proof.py)."""
        return prove(self, result)


def _factor_product(expr: sp.Expr, total: sp.Expr) -> sp.Expr:
    """sp.factor(expr · total), where total is a hidden unit's Σ_k w_jk δ_k, without handing
    the sum to SymPy's factoring: its dense polynomials in 2K symbols take time exponential in
    K (28 s at K = 20) and recurse past Python's limit by K = 150.

    SymPy factors each argument of a product on its own, so only the sum matters, and a sum of
    monomials with coefficient 1 and no symbol in two of them cannot factor (it is linear in
    each symbol: a factor holding a symbol of one monomial would have to divide the others).
    It is therefore its own factorization; a dummy stands for it while SymPy factors the rest,
    and the result is reassembled as factor() assembles its own (_keep_coeff)."""
    terms = sp.Add.make_args(total)
    if len(terms) < 2 or not _disjoint_monomials(terms):
        return sp.factor(expr * total)
    stand_in = sp.Dummy("total")
    coefficient, rest = sp.factor(expr * stand_in).as_coeff_Mul()
    return _keep_coeff(coefficient, rest.xreplace({stand_in: sp.Add(*terms)}))


def _disjoint_monomials(terms: tuple[sp.Expr, ...]) -> bool:
    """Every term a product of distinct symbols (coefficient 1), no symbol in two terms."""
    seen: set[sp.Basic] = set()
    for term in terms:
        factors = sp.Mul.make_args(term)
        if not all(isinstance(x, sp.Symbol) for x in factors) or len(set(factors)) < len(factors):
            return False
        if seen.intersection(factors):
            return False
        seen.update(factors)
    return True


@functools.cache
def _identity(name: str, alpha: float | None):
    """Each activation's textbook derivative is proved once, not once per factor."""
    return activation_derivative(of_layer(name, alpha))


def _close(a: float, b: float) -> bool:
    if math.isinf(a) or math.isinf(b):  # a dE/dout past float64 on both sides
        return a == b
    return abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b))


def derive(
    trace: Trace,
    params: list[str] | None = None,
    step: int = 1,
    notation: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[ParameterDerivation]:
    """Derivations for `params` (all, in the lecture's order, when None) of one traced step;
    `progress` hears how many are done after each one (a long job shows how far it got)."""
    chosen = trace.steps[step - 1]
    deriver = Deriver(trace, chosen, notation)
    events = {g.param: g for g in chosen.gradients}
    names = params or [g.param for g in chosen.gradients]
    found = []
    for name in names:
        found.append(deriver.derive(events[name]))
        if progress is not None:
            progress(len(found))
    return found


def _number(value: float | sp.Float) -> sp.Float:
    """A number for SymPy: a float as it is, a high-precision Float (an exact output) kept."""
    return value if isinstance(value, sp.Float) else sp.Float(value)
