"""The proof line of a derivation: SymPy's derivative of the loss minus the chain-rule sum is 0.

For a parameter of a small network (at most MAX_PROOF_PATHS paths, MAX_COMPOSED_LAYERS layers)
the loss is composed through every unit the parameter moves, each layer's activation an
undefined f_l; otherwise the chain rule is proved one layer at a time, E = G(the next layer's net
inputs) with ∂G/∂net_k = δ_k. Either way only what the parameter moves is written out: the rest
of the network is constant for its derivative, and stays one symbol (_moved_part), so the work
follows the parameter's paths, not the size of the network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sympy as sp

from backprop_tutor.core.activations import activation
from backprop_tutor.core.trace import Factor

if TYPE_CHECKING:
    from backprop_tutor.symbolic.derivation import Deriver, ParameterDerivation

MAX_PROOF_PATHS = 16  # beyond this (or deeper than MAX_COMPOSED_LAYERS), prove layer by layer:
MAX_COMPOSED_LAYERS = 3  # the fully composed loss grows with the number of paths, exponentially


@dataclass(frozen=True)
class _Composed:
    """The network composed for one parameter's proof: f_l' by layer, the net input and
    output of each unit it moves, as expressions, and the loss through them."""

    d: dict[int, sp.Function]
    nets: dict[str, sp.Expr]
    outputs: dict[sp.Symbol, sp.Expr]  # output units' symbols to their composed outputs
    everything: dict[sp.Symbol, sp.Expr]  # each moved unit's symbol to its composed output
    loss: sp.Expr


def prove(dv: Deriver, result: ParameterDerivation) -> tuple[bool | None, str]:
    """SymPy's derivative of the loss minus the chain-rule sum is 0: on the loss composed
    through what the parameter moves while it has few paths, one layer at a time (polynomial
    in depth) otherwise; nothing to prove through softmax, which mixes its units."""
    layers = dv.header.layers
    if any(not activation(a).elementwise for a in dv.header.activations):
        return None, "not composed: softmax mixes its units (see `derive softmax`)"
    paths = math.prod(len(units) for units in layers[dv.units[result.event.to[0]].layer + 1 :])
    if paths > MAX_PROOF_PATHS or len(layers) > MAX_COMPOSED_LAYERS + 1:
        return _prove_by_layer(dv, result)
    c = _composed(dv, result.event.to, dv.param[result.param])
    direct = sp.diff(c.loss, dv.param[result.param])  # f_l's derivative written f_l'(a)

    def as_composed(factor: Factor) -> sp.Expr:
        if factor.role == "dout_dnet":
            return c.d[dv.units[factor.unit].layer](c.nets[factor.unit]) * _mask(dv, factor.unit)
        if factor.role == "delta":
            return _composed_delta(dv, factor.unit, c.d, c.nets, c.outputs)
        if factor.role == "de_dout" and factor.unit not in dv.terms:
            return _composed_de_dout(dv, factor.unit, c.d, c.nets, c.outputs)
        return dv.factor_step(factor, result.event.to[0]).expr.xreplace(c.everything)

    source = [p.factors for p in result.event.paths] or [result.event.factors]
    ours = sp.Add(*(sp.Mul(*(as_composed(f) for f in factors)) for factors in source))
    proved = sp.expand(direct - ours) == 0
    return bool(proved), f"d/d{result.param} of the composed loss − the chain-rule sum = 0"


def _prove_by_layer(dv: Deriver, result: ParameterDerivation) -> tuple[bool, str]:
    """The chain rule one layer at a time: below the output layer, E = G(the next layer's
    net inputs) with ∂G/∂net_k = δ_k, and SymPy differentiates G through this layer only;
    δ_k is then the same step one layer up. Every expression stays the size of one layer:
    of each net_k only the terms p moves are written out (_moved_part)."""
    event, layers = result.event, dv.header.layers
    layer = dv.units[event.to[0]].layer
    f, d, g = sp.Function("f"), sp.Function("f'"), sp.Function("G")
    p = dv.param[result.param]
    here = {dv.out[u]: f(dv.net_expr[u]) * _mask(dv, u) for u in event.to}  # p moves, via f
    if layer == len(layers) - 1:
        total, above = sp.Add(*dv.terms.values()).xreplace(here), []
    else:
        above = list(layers[layer + 1])
        total = g(*(_moved_part(dv, k, here, p) for k in above))
    direct = _name_derivatives(sp.diff(total, p), f, d, g, [dv.delta[k] for k in above])

    def local(factor: Factor) -> sp.Expr:
        role, unit = factor.role, factor.unit
        if role == "dout_dnet" and dv.units[unit].layer == layer:
            return d(dv.net_expr[unit]) * _mask(dv, unit)
        if role in ("de_dout", "dout_dnet") and dv.units[unit].layer > layer:
            return dv.delta[unit] if role == "de_dout" else sp.Integer(1)
        if role == "de_dout" and unit in dv.terms:
            return sp.diff(dv.terms[unit], dv.out[unit]).xreplace(here)
        if role == "de_dout":  # a hidden unit this layer's parameter feeds
            return dv._downstream_sum(unit)
        return dv.factor_step(factor, event.to[0]).expr

    source = [q.factors for q in event.paths] or [event.factors]
    ours = sp.Add(*(sp.Mul(*(local(x) for x in factors)) for factors in source))
    proved = sp.expand(direct - ours) == 0
    where = "the loss" if not above else "E = G(net of the layer above), ∂G/∂net_k = δ_k,"
    return bool(proved), f"d/d{result.param} of {where} one layer deep − the chain-rule sum = 0"


def _moved_part(dv: Deriver, unit: str, here: dict[sp.Symbol, sp.Expr], p: sp.Symbol) -> sp.Expr:
    """A unit's net input with the terms p moves (p's own, and those holding an output
    `here` composes) written out, and the rest one symbol: p does not move it. Written
    out whole, the by-layer proof's K nets of K terms each made every one of SymPy's K
    partials of G carry all of them: O(K³), 40 s a parameter at 2-100-100."""
    moved = {*here, p}
    kept, rest = [], []
    for term in sp.Add.make_args(dv.net_expr[unit]):
        (kept if term.free_symbols & moved else rest).append(term)
    written = sp.Add(*kept).xreplace(here)
    return written + sp.Dummy(f"rest_{unit}", real=True) if rest else written


def _composed(dv: Deriver, moved: tuple[str, ...], p: sp.Symbol) -> _Composed:
    """The loss composed through every unit p moves: the units of `moved` and every layer
    above, each layer's activation an undefined f_l. What p does not move is constant for
    the derivative: the other units' outputs stay symbols, and in each net input the terms
    that hold none of p's units are one symbol (_moved_part). Composing all of them made
    each proof walk the whole network, 0.5-2 s a parameter at 3-3-25-3."""
    layers = dv.header.layers
    first = dv.units[moved[0]].layer
    d = {k: sp.Function(f"f{k}'", real=True) for k in range(1, len(layers))}
    f = {k: _with_slope(f"f{k}", d[k]) for k in range(1, len(layers))}
    everything: dict[sp.Symbol, sp.Expr] = {}
    nets: dict[str, sp.Expr] = {}
    for k in range(first, len(layers)):
        for u in layers[k] if k > first else moved:
            nets[u] = _moved_part(dv, u, everything, p)
            everything[dv.out[u]] = f[k](nets[u]) * _mask(dv, u)
    outputs = {dv.out[o]: everything[dv.out[o]] for o in nets if o in dv.terms}
    loss = sp.Add(*dv.terms.values()).xreplace(outputs)
    return _Composed(d, nets, outputs, everything, loss)


def _with_slope(name: str, slope: sp.FunctionClass) -> sp.FunctionClass:
    """An undefined activation whose derivative SymPy is told is `slope`: diff then writes
    f'(a) itself, where an undefined function's is Subs(Derivative(f(ξ), ξ), ξ, a), found
    and renamed after (the same derivative; the proofs' diff takes about 40% less time)."""
    return type(
        name,
        (sp.Function,),
        {"fdiff": lambda self, argindex=1: slope(self.args[0]), "is_real": True},
    )


def _composed_delta(dv: Deriver, unit: str, d, nets, outputs) -> sp.Expr:
    """δ of a unit, composed: f'(net) · dE/dout through every unit above it."""
    slope = d[dv.units[unit].layer](nets[unit]) * _mask(dv, unit)
    return slope * _composed_de_dout(dv, unit, d, nets, outputs)


def _mask(dv: Deriver, unit: str) -> sp.Expr:
    """A unit's dropout mask (a constant of the step), or 1."""
    return dv.mask.get(unit, sp.Integer(1))


def _composed_de_dout(dv: Deriver, unit: str, d, nets, outputs) -> sp.Expr:
    """dE/dout of a unit, composed: the loss's derivative, or Σ_k w_jk δ_k above it."""
    layer = dv.units[unit].layer
    if layer == len(dv.header.layers) - 1:
        return sp.diff(dv.terms[unit], dv.out[unit]).xreplace(outputs)
    feeds = next(d_.downstream for d_ in dv.step.deltas if d_.unit == unit)
    return sp.Add(*(dv.param[w] * _composed_delta(dv, k, d, nets, outputs) for k, w, _, _ in feeds))


def _name_derivatives(expr: sp.Expr, f, d, g, deltas: list[sp.Symbol]) -> sp.Expr:
    """SymPy's Subs(Derivative(f(ξ), ξ), ξ, a) becomes f'(a), and G's k-th partial δ_k."""

    def named(e):
        derivative = e.expr if isinstance(e, sp.Subs) else e
        inner, variable = derivative.expr, derivative.variables[0]
        if inner.func == g:
            return deltas[list(inner.args).index(variable)]
        point = e.point[0] if isinstance(e, sp.Subs) else variable
        return d(point)

    # Subs first (the walk is bottom-up: its inner Derivative must still be there), then any
    # bare Derivative, which SymPy writes when an argument is the variable itself
    expr = expr.replace(lambda e: isinstance(e, sp.Subs), named)
    return expr.replace(lambda e: isinstance(e, sp.Derivative), named)
