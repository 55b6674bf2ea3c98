"""Every quantity's rule, read off a recorded trace: what each number was computed from.

One step (and each example of a batch) at a time, in the ids `Trace.values` uses; see
core/rules.py for the rules themselves and the evaluator that walks them.
"""

from __future__ import annotations

from backprop_tutor.core.activations import of_layer
from backprop_tutor.core.norm_rules import Key, NormRules, Param
from backprop_tutor.core.norm_rules import at_step as _at
from backprop_tutor.core.optimizers import OPTIMIZERS, is_classic
from backprop_tutor.core.regularizers import REGULARIZERS, decay_settings, decayed
from backprop_tutor.core.rules import Rule
from backprop_tutor.core.trace import (
    PredictionEvent,
    StepTrace,
    Trace,
    UpdateEvent,
    state_before,
    with_step,
)


def trace_rules(trace: Trace) -> dict[str, tuple[Rule, ...]]:
    """Every quantity's rule(s), by id as `Trace.values` names them. A step whose step before
    is not in the trace (training traces chosen updates) starts from its own old values, and
    its momentum term is a given constant, `momentum[p]@N`."""
    builder = _Builder(trace)
    for step in trace.steps:
        builder.step(step)
    builder.tests()
    return builder.rules


class _Builder(NormRules):
    """Reads the rules off the events, one step (and one example of a batch) at a time."""

    def __init__(self, trace: Trace) -> None:
        self.trace, self.h, self.momentum = trace, trace.header, trace.header.momentum
        self.recorded = {step.step for step in trace.steps}
        self.rules: dict[str, tuple[Rule, ...]] = {}
        self.inputs = set(self.h.layers[0])
        self.back = "new" if self.h.update == "layer_by_layer" else "old"
        first = trace.steps[0].batch[0] if trace.steps[0].batch else trace.steps[0]
        self.first = first  # the structure every step shares
        self.weight_of = {(f.unit, t.source): t.weight for f in first.forward for t in f.terms}
        # the step being read (see `step`): its own ids (its batch's μ, σ²) and its examples,
        # which differ from step to step (a training epoch's last mini-batch is smaller)
        self.batch: Key = lambda base: base
        self.count = 1

    def add(self, rule: Rule) -> None:
        self.rules[rule.key] = (*self.rules.get(rule.key, ()), rule)

    def copy(self, key: str, source: str) -> None:
        self.add(Rule(key, "weighted_sum", (source,), (1.0,), rounded=False))

    def step(self, step: StepTrace) -> None:
        n = step.step

        def param(kind: str, name: str) -> str:
            return _at(f"{kind}[{name}]", n)

        if n - 1 in self.recorded:
            for u in step.updates:
                self.copy(param("old", u.param), _at(f"new[{u.param}]", n - 1))
        self.batch = lambda base: _at(base, n)  # a batch's own quantities: μ, σ², sums
        self.count = len(step.batch) or 1
        self._statistics(step, n)
        for k, example in enumerate(step.batch, start=1):
            self._pass(example, lambda base, k=k: _at(f"{base}#{k}", n), param)
        if not step.batch:
            self._pass(step, lambda base: _at(base, n), param)
        else:
            count = len(step.batch)
            scale = 1.0 / count if step.reduction == "mean" else 1.0
            for u in step.updates:
                each = tuple(_at(f"grad[{u.param}]#{k}", n) for k in range(1, count + 1))
                if step.reduction == "mean":  # (g1 + g2 + g3) / 3
                    self.add(Rule(param("grad", u.param), "mean", each))
                else:
                    self.add(Rule(param("grad", u.param), "weighted_sum", each, (scale,) * count))
            each = tuple(_at(f"loss#{k}", n) for k in range(1, count + 1))
            self.add(Rule(_at("loss", n), "weighted_sum", each, (1.0,) * count))
        for u in step.updates:
            self._update(u, n)

    def _update(self, u: UpdateEvent, n: int) -> None:
        """new = old − η ∂E/∂p; with momentum Δp = −η ∂E/∂p + α Δp of the step before, and
        new = old + Δp; another optimizer's quantities, then new = old + Δp."""
        name = u.param
        old, new = _at(f"old[{name}]", n), _at(f"new[{name}]", n)
        if not u.updated:
            self.add(Rule(new, "weighted_sum", (old,), (1.0,)))
            return
        if not is_classic(self.h.optimizer, self.h.regularizer):
            change = self._optimized(u, n)
            self.add(Rule(new, "weighted_sum", (old, change), (1.0, 1.0)))
            return
        grad, lr = _at(f"grad[{name}]", n), self.h.learning_rate
        if not self.momentum:  # under carry_digits: Δ = −η·g carried first, as the engine does
            places = self.h.carry_digits
            carried = () if places is None else (1, places)
            self.add(Rule(new, "weighted_sum", (old, grad), (1.0, -lr), at=carried))
            return
        # momentum: Δ = −η·g + α·Δ(previous), then new = old + Δ, so a student's own Δ carries
        inputs, coefficients = [grad], [-lr]
        if n - 1 in self.recorded:
            inputs, coefficients = [grad, _at(f"change[{name}]", n - 1)], [-lr, self.momentum]
        elif n > 1:  # the step before is not in the trace: its term given
            term = with_step(f"momentum[{name}]", n)
            self.add(Rule(term, "const", (), (u.momentum_term,), rounded=False))
            inputs, coefficients = [grad, term], [-lr, 1.0]
        change = _at(f"change[{name}]", n)
        self.add(Rule(change, "weighted_sum", tuple(inputs), tuple(coefficients)))
        self.add(Rule(new, "weighted_sum", (old, change), (1.0, 1.0)))

    def _optimized(self, u: UpdateEvent, n: int) -> str:
        """An optimizer's quantities for one parameter (m, v, m̂, v̂, Δ for Adam), each by
        its entry's formula from the gradient, the old value, its state after the update
        before (given as a constant where that update is not in the trace, 0 before the
        first) and the quantities before it, after a penalty's decay and g where there is
        one; the id of the change."""
        h, name = self.h, u.param
        entry = OPTIMIZERS[h.optimizer]
        reached = decayed(name in h.biases, h.decay_biases)
        settings = decay_settings(h.optimizer, dict(h.optimizer_settings), h.strength, reached)
        coefficients = (h.learning_rate, float(n), *(settings[key] for key in entry.hyper))
        if not reached and entry.decays:  # then the spec's decay: a claim that decayed it anyway
            coefficients += tuple(dict(h.optimizer_settings)[key] for key in entry.decays)
        ids = {"g": _at(f"grad[{name}]", n), "grad": _at(f"grad[{name}]", n)}
        ids["old"] = _at(f"old[{name}]", n)
        prior = dict(u.prior)
        for state in entry.state:
            before = state_before(state, name, n)
            if n - 1 not in self.recorded:
                self.add(Rule(before, "const", (), (prior[state],), rounded=False))
            ids[f"{state}_prev"] = before
        steps = [("optimizer", entry.name, k, q) for k, q in enumerate(entry.quantities)]
        if h.regularizer:
            penalty = REGULARIZERS[h.regularizer].quantities
            steps = [("regularizer", h.regularizer, k, q) for k, q in enumerate(penalty)] + steps
        for op, function, k, q in steps:
            key = _at(f"{q.key}[{name}]", n)
            inputs = tuple(ids[read] for read in q.reads)
            # a penalty's: the λ this parameter reads (0: not decayed), then the spec's λ
            used = coefficients if op == "optimizer" else (settings["strength"], h.strength)
            self.add(Rule(key, op, inputs, used, function, at=(k,)))
            ids[q.key] = key
        return ids["change"]

    def _pass(self, ex: StepTrace, key: Key, param: Param) -> None:
        self._forward(ex, key, param)
        self._backward(ex, key, param)
        for g in ex.gradients:
            self._gradient(g, key, param)

    def _shown(self, unit: str, key: Key) -> str:
        """What a unit passes on: its out, or the input it is."""
        return key(f"input[{unit}]") if unit in self.inputs else key(f"out[{unit}]")

    def _targets_and_outs(self, key: Key) -> tuple[str, ...]:
        outputs = self.h.layers[-1]
        return tuple(key(f"target[{u}]") for u in outputs) + tuple(
            key(f"out[{u}]") for u in outputs
        )

    def _forward(self, ex: StepTrace, key: Key, param: Param, dropout: bool = True) -> None:
        """Each unit's net input and output; `dropout` False: the test pass, which has none."""
        h = self.h
        for f in ex.forward:
            pairs = tuple(
                x for t in f.terms for x in (self._shown(t.source, key), param("old", t.weight))
            )
            bias = (param("old", f.bias),) if f.bias else ()
            signs = (float(h.bias_sign),) * len(bias)
            self.add(Rule(key(f"net[{f.unit}]"), "dot", pairs + bias, signs))
            if f.xhat is not None:
                self._normalized(key, param, f.layer, f.unit, testing=not dropout)
                continue
            self.add(self._activation(key, f.layer, f.unit, dropout and f.mask is not None))
        outputs = h.layers[-1]
        for unit in outputs:
            pair = (key(f"target[{unit}]"), key(f"out[{unit}]"))
            at = (len(outputs),)
            self.add(Rule(key(f"loss[{unit}]"), "loss_term", pair, function=h.loss, at=at))
        terms = tuple(key(f"loss[{u}]") for u in outputs)
        self.add(Rule(key("loss"), "weighted_sum", terms, (1.0,) * len(terms)))

    def _dropout(self, layer: int) -> float | None:
        """The layer's dropout rate, where it has dropout."""
        return self.h.dropout[layer - 1] if self.h.dropout else None

    def _activation(self, key: Key, layer: int, unit: str, dropped: bool = False) -> Rule:
        units, fn, alpha = self.h.layers[layer], *self._function(layer)
        rate = self._dropout(layer)
        if dropped and rate is not None:  # out = σ(net) × mask, the mask 1/(1 − rate) or 0
            inputs = (key(f"net[{unit}]"), key(f"mask[{unit}]"))
            return Rule(key(f"out[{unit}]"), "dropout", inputs, (1 - rate, 1.0), fn, alpha)
        if of_layer(fn, alpha).elementwise:
            nets, at = (key(f"net[{unit}]"),), 0
        else:  # softmax: every net input of the layer
            nets, at = tuple(key(f"net[{v}]") for v in units), units.index(unit)
        return Rule(key(f"out[{unit}]"), "activation", nets, function=fn, alpha=alpha, at=(at,))

    def _function(self, layer: int) -> tuple[str, float | None]:
        alpha = self.h.alphas[layer - 1] if self.h.alphas else None
        return self.h.activations[layer - 1], alpha

    def _backward(self, ex: StepTrace, key: Key, param: Param) -> None:
        outputs = self.h.layers[-1]
        for d in ex.deltas:
            units, (fn, alpha) = self.h.layers[d.layer], self._function(d.layer)
            de_dout, dout_dnet, delta = (
                key(f"{q}[{d.unit}]") for q in ("de_dout", "dout_dnet", "delta")
            )
            self._de_dout(d, key, param, outputs)
            if d.dy is not None:  # batch normalization: δ through the batch's μ and σ²
                self._normalized_delta(key, param, d.layer, d.unit)
                continue
            if not d.jacobian and self._dropout(d.layer) is not None:  # σ′(net) × mask
                inputs = (key(f"net[{d.unit}]"), key(f"mask[{d.unit}]"))
                self.add(Rule(dout_dnet, "dropout_derivative", inputs, (), fn, alpha))
                self.add(Rule(delta, "product", (de_dout, dout_dnet)))
                continue
            if not d.jacobian:
                net_out = (key(f"net[{d.unit}]"), key(f"out[{d.unit}]"))
                self.add(
                    Rule(
                        dout_dnet,
                        "activation_derivative",
                        net_out,
                        function=fn,
                        alpha=alpha,
                        rounded=False,
                    )
                )
                self.add(Rule(delta, "product", (de_dout, dout_dnet)))
                continue
            outs, u, pairs = tuple(key(f"out[{v}]") for v in units), units.index(d.unit), []
            for j, _ in d.jacobian:  # δ_u = Σ_j dE/dout_j · dout_j/dnet_u
                entry = dout_dnet if j == d.unit else key(f"dout_dnet[{j},{d.unit}]")
                at = (units.index(j), u)
                self.add(
                    Rule(entry, "jacobian", outs, function=fn, alpha=alpha, at=at, rounded=False)
                )
                pairs += [key(f"de_dout[{j}]"), entry]
            self.add(Rule(delta, "dot", tuple(pairs)))

    def _de_dout(self, d, key: Key, param: Param, outputs: tuple[str, ...]) -> None:
        """A hidden unit's dE/dout, Σ_k w_k δ_k over the units it feeds (and each term on its
        own), or an output's, the loss's derivative."""
        de_dout = key(f"de_dout[{d.unit}]")
        if not d.downstream:
            pair = (key(f"target[{d.unit}]"), key(f"out[{d.unit}]"))
            at = (len(outputs),)
            self.add(Rule(de_dout, "loss_derivative", pair, function=self.h.loss, at=at))
            return
        pairs = tuple(
            x for k, w, _, _ in d.downstream for x in (param(self.back, w), key(f"delta[{k}]"))
        )
        self.add(Rule(de_dout, "dot", pairs))
        terms = []  # each unit's share, w × δ (Mazur's ∂E_o1/∂out_h1): claimable too
        for k, w, _, _ in d.downstream:
            terms.append(key(f"de_dout[{d.unit},{k}]"))
            self.add(Rule(terms[-1], "product", (param(self.back, w), key(f"delta[{k}]"))))
        self.add(Rule(de_dout, "weighted_sum", tuple(terms), (1.0,) * len(terms)))

    def _gradient(self, g, key: Key, param: Param) -> None:
        """δ × dnet/dparam, or the sum of its paths (each a product of its factors)."""
        if g.kind in ("gamma", "beta"):  # ∂E/∂y·x̂ and ∂E/∂y: this example's share
            dy = key(f"dy[{g.to[0]}]")
            shares = (dy, key(f"xhat[{g.to[0]}]")) if g.kind == "gamma" else (dy,)
            self.add(Rule(key(f"grad[{g.param}]"), "product", shares))
            return
        dparam = key(f"dnet_dparam[{g.param}]")
        if g.source is not None:
            self.copy(dparam, self._shown(g.source, key))
        else:
            self.add(Rule(dparam, "const", (), (float(self.h.bias_sign),), rounded=False))
        grad = key(f"grad[{g.param}]")
        if g.factors:
            self.add(Rule(grad, "product", (key(f"delta[{g.to[0]}]"), dparam)))
        for p in g.paths:
            chain = [f.id for f in p.factors]
            head = p.factors[0]
            if head.role == "de_dout" and p.factors[1].role == "dout_dnet":
                chain[:2] = [f"delta[{head.unit}]"]  # a hand calculation goes on from δ
            for f in p.factors:
                if f.role == "dnet_dout":
                    self.copy(key(f.id), param(self.back, self.weight_of[(f.unit, f.other)]))
            self.add(Rule(key(f"path[{g.param},{p.via}]"), "product", tuple(map(key, chain))))
        if g.paths:
            paths = tuple(key(f"path[{g.param},{p.via}]") for p in g.paths)
            self.add(Rule(grad, "weighted_sum", paths, (1.0,) * len(paths)))
        if len(g.paths) == 1:  # the one path is the whole gradient: δ_j · x_i, as lectures
            # work it from the unit's delta (Borela's hidden weights under one output)
            self.add(Rule(paths[0], "product", (key(f"delta[{g.to[0]}]"), dparam)))

    def tests(self) -> None:
        """A test example, and the steps' own example again: forward through the parameters
        the last step left."""
        for k, test in enumerate(self.trace.tests, start=1):
            self._prediction(f"@test{k}", test)
        if self.trace.after is not None:
            self._prediction("@after", self.trace.after)

    def _prediction(self, suffix: str, event: PredictionEvent) -> None:
        last = len(self.trace.steps)

        def param(kind: str, name: str) -> str:
            return _at(f"new[{name}]", last)

        def key(base: str) -> str:
            return f"{base}{suffix}"

        given = (
            *zip(self.h.layers[0], event.inputs, strict=True),
            *zip(self.h.layers[-1], event.targets, strict=True),
        )
        for i, (unit, value) in enumerate(given):
            kind = "input" if i < len(event.inputs) else "target"
            self.add(Rule(key(f"{kind}[{unit}]"), "const", (), (float(value),), rounded=False))
        self._forward(self.first, key, param, dropout=False)
