"""Where each number comes from: every quantity's local rule, and one evaluator that walks them.

A `Rule` is micrograd's `_prev` and `_op` as data: the ids a quantity is computed from and the
operation (`delta[o1] = de_dout[o1] × dout_dnet[o1]`, `new[w5] = old[w5] − η × grad[w5]`).
`trace_rules` (core/trace_rules.py) reads them off a recorded trace (in the JSON export, so
another program can replay them); `Evaluator` recomputes any quantity from any set of given
values, each given number carried forward through every rule that reads it, as a hand
calculation carries its own numbers. `check` ("right for the claimed ...") and the quiz's
working use it.

The rules are the textbook's, one per quantity, not the engine's float64 tricks: dE/dout of
cross-entropy is −t/o, not the log-space form; a softmax delta is Σ_j dE/dout_j · dout_j/dnet.
They agree with the engine's numbers to float64 precision on every bundled config (tested).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from backprop_tutor.core import batch_norm
from backprop_tutor.core.activations import of_layer
from backprop_tutor.core.losses import LOSSES
from backprop_tutor.core.numbers import carry
from backprop_tutor.core.optimizers import OPTIMIZERS
from backprop_tutor.core.plain import without_defaults
from backprop_tutor.core.regularizers import REGULARIZERS


@dataclass(frozen=True, slots=True)
class Rule:
    """`key = op(inputs)`. `coefficients`: weighted_sum's one per input, dot's for the inputs after
    its pairs, const's value; `function` and `alpha` name an activation or loss entry; `at`
    the unit (or Jacobian entry) of a layer-wide function the key is, or for an update's
    weighted_sum where its carried Δ starts and its decimals (see `_weighted_sum`)."""

    key: str
    op: str
    inputs: tuple[str, ...] = ()
    coefficients: tuple[float, ...] = ()
    function: str = ""
    alpha: float | None = None
    at: tuple[int, ...] = ()
    rounded: bool = True  # carried to the spec's digits under calculator arithmetic

    def apply(self, x: list[float]) -> float:
        """The operation on the inputs' values; nan where they overflow float64 (claimed
        numbers may be anything), which matches no claim."""
        try:
            return float(OPS[self.op](self, x))
        except (OverflowError, ValueError):
            return math.nan

    def to_dict(self) -> dict:
        """As plain data, without the fields left at their defaults."""
        return without_defaults(self)


def _weighted_sum(r: Rule, x: list[float]) -> float:
    """Σ c·x; with `at` = (k, places), an update new = old + Δ under calculator arithmetic:
    the terms from input k on are Δ, carried to `places` before it is added, as a hand
    calculation writes Mitchell's Δw = η δ x down first (the engine's `_change`)."""
    if r.at:
        k, places = r.at
        head = Rule(r.key, r.op, r.inputs[:k], r.coefficients[:k])
        step = Rule(r.key, r.op, r.inputs[k:], r.coefficients[k:])
        return _weighted_sum(head, x[:k]) + carry(_weighted_sum(step, x[k:]), places)
    return math.fsum(c * v for c, v in zip(r.coefficients, x, strict=True))


def _dot(r: Rule, x: list[float]) -> float:
    pairs = len(x) - len(r.coefficients)
    products = [x[i] * x[i + 1] for i in range(0, pairs, 2)]
    return math.fsum(products) + _weighted_sum(r, x[pairs:])


def _activation(r: Rule, x: list[float]) -> float:
    return of_layer(r.function, r.alpha).value(np.array(x))[r.at[0]]


def _activation_derivative(r: Rule, x: list[float]) -> float:
    net, out = (np.array([v]) for v in x)
    return of_layer(r.function, r.alpha).derivative(net, out)[0]


def _dropout(r: Rule, x: list[float]) -> float:
    """out = σ(net) × mask (1/(1 − rate) kept, 0 dropped) × the second coefficient: 1; the
    first is the keep probability 1 − rate, the factor a forgotten scaling leaves in."""
    net, mask = x
    return of_layer(r.function, r.alpha).value(np.array([net]))[0] * mask * r.coefficients[1]


def _dropout_derivative(r: Rule, x: list[float]) -> float:
    """d out/d net of a unit with dropout: σ′(net), from σ(net) before the mask, × mask."""
    net, mask = x
    act = of_layer(r.function, r.alpha)
    nets = np.array([net])
    return act.derivative(nets, act.value(nets))[0] * mask


def _jacobian(r: Rule, x: list[float]) -> float:
    jacobian = of_layer(r.function, r.alpha).jacobian
    return jacobian(np.array(x))[r.at]  # type: ignore[misc]


def _columns(r: Rule, x: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """One output's (target, out) as the loss's arrays: each term reads its own output alone,
    and the number of outputs, `at[0]` (mse divides by it), is the arrays' length."""
    target, out = x
    return np.full((r.at[0], 1), target), np.full((r.at[0], 1), out)


def _loss_term(r: Rule, x: list[float]) -> float:
    return LOSSES[r.function].terms(*_columns(r, x))[0, 0]


def _loss_derivative(r: Rule, x: list[float]) -> float:
    return LOSSES[r.function].derivative(*_columns(r, x))[0, 0]


def _optimizer(r: Rule, x: list[float]) -> float:
    """Quantity `at[0]` of an optimizer's update (core/optimizers.py) from the values it
    reads; the coefficients are η, the update number t, then the entry's hyperparameters (and
    for a parameter its decay passes by, the spec's decay, which a named mistake reads).
    With `at[1]`, the quantity's named mistake of that number (teach/mistakes.py)."""
    entry = OPTIMIZERS[r.function]
    quantity = entry.quantities[r.at[0]]
    env = dict(zip(entry.hyper, r.coefficients[2 : 2 + len(entry.hyper)], strict=True))
    env.update(lr=r.coefficients[0], t=r.coefficients[1])
    env.update(zip(quantity.reads, x, strict=True))
    formula = quantity.mistakes[r.at[1]][2] if len(r.at) > 1 else quantity.formula
    return formula(env)


def _regularizer(r: Rule, x: list[float]) -> float:
    """Quantity `at[0]` of a penalty's extra gradient term (core/regularizers.py): the decay
    from the old value and λ (the first coefficient; 0 for a parameter not decayed; the second
    is the spec's λ, for the mistake of decaying it anyway), or g. With `at[1]`, the
    quantity's named mistake of that number (teach/mistakes.py)."""
    quantity = REGULARIZERS[r.function].quantities[r.at[0]]
    env = {"strength": r.coefficients[0], **dict(zip(quantity.reads, x, strict=True))}
    formula = quantity.mistakes[r.at[1]][2] if len(r.at) > 1 else quantity.formula
    return float(formula(env))


OPS: dict[str, Callable[[Rule, list[float]], float]] = {
    # batch normalization (core/batch_norm.py): σ² from (μ, nets) (and a mistake's N − 1),
    # x̂ from (net, μ, σ²) and ε, δ from (γ, σ², x̂, ∂E/∂y, Σ ∂E/∂y, Σ ∂E/∂y·x̂), the batch's
    # size and ε (and a mistake's 0 for the terms through μ and σ²), a running statistic from
    # (before, the batch's) with the momentum, N and whether it is the (unbiased) variance
    "variance": lambda r, x: batch_norm.variance(x, *r.coefficients),
    "normalize": lambda r, x: batch_norm.standardized(x, r.coefficients[0]),
    "running": lambda r, x: batch_norm.running_value(x, *r.coefficients),
    "mean": lambda r, x: math.fsum(x) / len(x),  # μ = Σ net / N
    "batch_norm_delta": lambda r, x: batch_norm.unit_delta(x, *r.coefficients),
    "optimizer": _optimizer,
    "regularizer": _regularizer,
    "const": lambda r, x: r.coefficients[0],
    "weighted_sum": _weighted_sum,
    "dot": _dot,
    "product": lambda r, x: math.prod(x),
    "activation": _activation,
    "activation_derivative": _activation_derivative,
    "dropout": _dropout,
    "dropout_derivative": _dropout_derivative,
    "jacobian": _jacobian,
    "loss_term": _loss_term,
    "loss_derivative": _loss_derivative,
}


class Evaluator:
    """Recomputes quantities by walking the rules. A key with several rules (a gradient as
    δ × input, or as the sum of its paths) uses the one most of whose inputs are given.
    A quantity none of whose inputs (down to the leaves) is given keeps the trace's value, so
    only a given number's consequences are recomputed."""

    def __init__(
        self, rules: Mapping[str, tuple[Rule, ...]], values: Mapping[str, float], places=None
    ) -> None:
        self.rules, self.values, self.places = rules, values, places
        self._depths: dict[str, int] = {}

    def recompute(
        self, key: str, given: Mapping[str, float], rule: Rule | None = None
    ) -> tuple[float | None, list[str]]:
        """The key from its rule, or from `rule` in its place (a named mistake: the update's
        sign flipped), never from `given[key]` itself; with the given ids it read, in the
        order first read. (None, []) for a key without a rule."""
        if key not in self.rules:
            return None, []
        others = {k: v for k, v in given.items() if k != key}
        memo: dict[str, tuple[float, tuple[str, ...]]] = {}
        value, read = self._walk(key, others, memo, top=True, instead=rule)
        return value, list(read)

    def depth(self, key: str) -> int:
        """How many rules lie between a quantity and the givens (0 for a given): an order in
        which every quantity comes after those it reads."""
        memo = self._depths
        stack = [(key, False)]
        while stack:
            k, expanded = stack.pop()
            if k in memo:
                continue
            inputs = [i for r in self.rules.get(k, ()) for i in r.inputs]
            if not expanded:
                stack.append((k, True))
                stack.extend((i, False) for i in inputs if i not in memo)
                continue
            memo[k] = 1 + max((memo[i] for i in inputs), default=-1)
        return memo[key]

    def inputs(self, rule: Rule, given: Mapping[str, float]) -> dict[str, float]:
        """The values a rule reads, from `given` and what follows from it (the working)."""
        memo: dict[str, tuple[float, tuple[str, ...]]] = {}
        return {key: self._walk(key, given, memo)[0] for key in rule.inputs}

    def replay(
        self, given: Mapping[str, float], keys: Iterable[str] | None = None
    ) -> dict[str, tuple[float, tuple[str, ...]]]:
        """Every quantity with a rule (or those of `keys`), recomputed from `given` in one
        walk, each rule applied once: (value, the given ids it read)."""
        memo: dict[str, tuple[float, tuple[str, ...]]] = {}
        wanted = list(self.rules if keys is None else keys)
        for key in wanted:
            self._walk(key, given, memo)
        return {key: memo[key] for key in wanted}

    def _rule(self, key: str, given: Mapping[str, float]) -> Rule:
        """Of a quantity's rules, the one nearest the given values: the largest share of its
        inputs given, then the deepest given input (a hidden dE/dout from its claimed terms
        w × δ, which are computed from the claimed weights and deltas, not from those); the
        first on a tie."""
        options = self.rules[key]
        if len(options) == 1:
            return options[0]

        def nearness(rule: Rule) -> tuple[float, int]:
            claimed = [k for k in rule.inputs if k in given]
            share = len(claimed) / max(1, len(rule.inputs))
            return share, max((self.depth(k) for k in claimed), default=-1)

        return max(options, key=nearness)

    def _walk(
        self, key: str, given, memo, top: bool = False, instead: Rule | None = None
    ) -> tuple[float, tuple[str, ...]]:
        """Post-order over the rules without recursion (a many-step trace is deep)."""
        stack = [(key, False)]
        while stack:
            k, expanded = stack.pop()
            if k in memo:
                continue
            if (k in given and not (top and k == key)) or k not in self.rules:
                memo[k] = (given[k], (k,)) if k in given else (self.values[k], ())
                continue
            replaced = instead is not None and k == key
            rule = instead if replaced else self._rule(k, given)
            if not expanded:
                stack.append((k, True))
                stack.extend((i, False) for i in rule.inputs if i not in memo)
                continue
            read = tuple(dict.fromkeys(r for i in rule.inputs for r in memo[i][1]))
            if not read and k in self.values and not replaced:
                memo[k] = (self.values[k], ())
                continue
            value = rule.apply([memo[i][0] for i in rule.inputs])
            memo[k] = (carry(value, self.places) if rule.rounded else value, read)
        return memo[key]
