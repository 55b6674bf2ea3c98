"""The named mistakes `check` tries on a claim that is not the engine's value: each is a
value a student gets by a known slip (δ without σ′, the update's sign, the layer-by-layer
update, one step more or fewer), so a wrong number can be named, not only marked wrong.

A base of `Checker` (teach/check.py), which supplies the state below: the trace's values,
the rules, the claimed numbers and whole runs with a setting changed.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, NamedTuple

from backprop_tutor.core.losses import LOSSES
from backprop_tutor.core.rules import Evaluator, Rule
from backprop_tutor.teach.claims import TraceId, parse_id
from backprop_tutor.teach.mistakes import (
    MISSING_SLOPE,
    UPDATED_WEIGHT,
    AtUnit,
    mistaken_bias_factors,
    mistaken_rules,
    mistaken_slopes,
)

if TYPE_CHECKING:
    from backprop_tutor.teach.check import StepEvents


class Tried(NamedTuple):
    """A named mistake of a quantity's rule as tried, for its working: the rule used, the
    value it gave, the numbers read in place of the claimed ones (a bias's ∂net/∂b as 0),
    and the evaluator that worked it (exact, or as the spec's calculator carries)."""

    rule: Rule
    value: float | None
    read: dict[str, float]
    evaluator: Evaluator


TRAINING_MODE = "the last batch's μ and σ² in the test pass (training mode), not the running ones"


class NamedMistakes:
    """The variants of a claimed quantity, by the name of the mistake that gives each."""

    def _signed(
        self,
        key: str,
        given: Mapping[str, float],
        rule: Rule | None = None,
        by: Evaluator | None = None,
    ) -> float | None:
        """`key` worked by the rules (`by`'s; the exact ones by default) from `given`, with
        `rule` in its own rule's place where one is given, in the claims' sign (δ as the
        notation writes it); None for a key without a rule."""
        value, _ = (by or self.evaluator).recompute(key, given, rule)
        return None if value is None else self._engine_sign(key, value)

    def _variants(self, ident: TraceId) -> Iterator[tuple[str, float | None]]:
        """(name, value) of each named mistake that applies to this quantity: first those of
        its own rule, from the claimed numbers; then whole runs with a setting changed. A
        prediction worked with the weights before the update comes before the runs: at a
        claim's few digits the layer-by-layer update's 2.3855 would name Borela's test pass
        worked with the old weights (2.4), the commoner slip."""
        yield from self._rule_variants(ident)
        if ident.predicted:
            yield from self._step_fewer(ident)
            if ident.test is not None and self._batch_statistics:
                yield TRAINING_MODE, self._with_batch_statistics(ident)
        key, spec = ident.key, self.spec
        yield (
            "the layer-by-layer update (hidden deltas computed with the already updated "
            "weights above)",
            self._run("layers", update="layer_by_layer").get(key),
        )
        flipped = "biases kept" if spec.update_biases else "the biases updated too"
        yield flipped, self._run("biases", update_biases=not spec.update_biases).get(key)
        mistaken = LOSSES[spec.loss].mistaken_for
        if mistaken:
            other, name = mistaken
            yield name, self._run(other, loss=other).get(key)
        yield "one step more", self._run("more", steps=spec.steps + 1).get(later(ident))
        if not ident.predicted:
            yield from self._step_fewer(ident)
        if ident.predicted and self.spec.dropout_rates:
            yield "dropout's mask applied in the test pass", self._masked_test(ident.key)
        if ident.predicted or not ident.known:
            return
        yield from self._sign_variants(ident)
        if ident.step <= len(self.steps):
            yield from self._local_variants(ident, self.steps[ident.step - 1])

    def _sign_variants(self, ident: TraceId) -> Iterator[tuple[str, float | None]]:
        """The quantity with its sign or its sum's scale slipped: delta's other sign
        convention, a gradient's opposite sign, the loss's mean over the outputs."""
        v, kind, key = self.v, ident.kind, ident.key
        if kind in ("delta", "de_dout"):
            other = "δ = ∂E/∂net" if self.sign < 0 else "δ = −∂E/∂net"
            yield f"the other sign convention of delta ({other})", -v[key]
        if kind in ("grad", "path"):
            yield "the opposite sign", -v[key]
        if kind == "loss" and not ident.inside:
            yield (
                "the mean instead of the sum over the outputs",
                v[key] / len(self.spec.output_names),
            )

    def _rule_variants(self, ident: TraceId) -> Iterator[tuple[str, float | None]]:
        """The quantity's own rule with a named mistake in it, evaluated from the claimed
        numbers as written (so a missing σ′ from 5-decimal intermediates is found); under
        calculator arithmetic each also as a calculator works it, right after."""
        options = self.evaluator.rules.get(ident.key)
        if not options:
            return
        given = self._given()
        carried = self._carried_mistakes(ident, given)
        rules = self.evaluator.rules
        for name, rule in mistaken_rules(ident.kind, options[0], self._neighbours, rules):
            value = self._signed(ident.key, given, rule)
            for used, gives, by in ((rule, value, self.evaluator), *carried.get(name, ())):
                self._tried[name] = Tried(used, gives, {}, by)
                yield name, gives
        yield from self._slope_variants(ident, options[0], given)
        bias = ident.inside.split(",")[0]
        factor = self.evaluator.rules.get(ident.at("dnet_dparam", bias), ())
        if factor and factor[0].op == "const":  # a bias: ∂net/∂b is 1 (or −1, a threshold)
            one = factor[0].coefficients[0]
            for name, instead in mistaken_bias_factors(ident.kind, bias, one):
                old = ident.at("old", bias)
                read = {
                    factor[0].key: given.get(old, self.values[old]) if instead is None else instead
                }
                value = self._signed(ident.key, {**given, **read})
                self._tried[name] = Tried(options[0], value, read, self.evaluator)
                yield name, value

    def _slope_variants(
        self, ident: TraceId, rule: Rule, given: dict[str, float]
    ) -> Iterator[tuple[str, float | None]]:
        """A delta worked with a slipped dout/dnet that is not claimed (teach/mistakes.py:
        out copied, net(1 − net), another activation's): the slope worked on the claimed
        numbers, then δ = de_dout × it, exactly, then as the spec's calculator works it. A
        claimed slope is the one δ read: its slip is named there, and δ follows from it."""
        evaluators = [e for e in (self.evaluator, self.calculator) if e is not None]
        for name, slope in mistaken_slopes(ident.kind, rule, self.evaluator.rules):
            if slope.key in given:
                continue
            for evaluator in evaluators:
                used, _ = evaluator.recompute(slope.key, given, slope)
                read = {slope.key: math.nan if used is None else used}
                value = self._signed(ident.key, {**given, **read}, by=evaluator)
                self._tried[name] = Tried(rule, value, read, evaluator)
                yield name, value

    def _carried_mistakes(
        self, ident: TraceId, given: dict[str, float]
    ) -> dict[str, list[tuple[Rule, float | None, Evaluator]]]:
        """Under calculator arithmetic (Checker.calculator), each named mistake of the
        quantity's rule worked as the engine works it, from the claimed numbers: every value
        carried, and a new weight's Δ carried before it is added (Δw = −η × grad written
        down first: 0.5 × 0.03 = 0.015 is 0.02), which exact arithmetic, or carrying only
        old + Δ, misses by a unit; by name. Empty in exact arithmetic."""
        calculator = self.calculator
        options = calculator.rules.get(ident.key) if calculator else None
        if not calculator or not options:
            return {}
        found: dict[str, list[tuple[Rule, float | None, Evaluator]]] = {}
        rules = calculator.rules
        for name, rule in mistaken_rules(ident.kind, options[0], self._neighbours, rules):
            value = self._signed(ident.key, given, rule, by=calculator)
            found.setdefault(name, []).append((rule, value, calculator))
        return found

    def _step_fewer(self, ident: TraceId) -> Iterator[tuple[str, float | None]]:
        """The value one step earlier: a prediction worked with the weights before the last
        update (on the student's own numbers, as every named mistake is; the example's again
        also as the step's own value, copied), a later step's quantity copied (a new weight
        left at its old value is the update left out, a mistake of its rule:
        teach/mistakes.py)."""
        if ident.test is not None:
            yield "one step fewer (the weights before the last update)", self._before(ident)
        elif ident.after:  # the same example before the last update: that step's own value
            before = self.v.get(parse_id(ident.key.split("@")[0]).step_key(len(self.steps)))
            name = "the value before the update (the weights the last step started from)"
            yield name, before
            yield name, self._before(ident)
        elif ident.step > 1 and ident.known:
            yield "one step fewer", self.v.get(ident.step_key(ident.step - 1))

    @functools.cached_property
    def _batch_statistics(self) -> dict[str, str]:
        """Each running μ and σ² a test pass normalizes with (running_mean[h1]@2), and the
        last batch's own (mean[h1]@2), which a test worked in training mode reads instead."""
        found = {}
        for key, options in self.evaluator.rules.items():
            if options[0].op == "normalize" and parse_id(key).test is not None:
                for running in options[0].inputs[1:3]:
                    found[running] = running.removeprefix("running_")
        return found

    def _with_batch_statistics(self, ident: TraceId) -> float | None:
        """A test worked on the student's own numbers with the last batch's statistics (as
        claimed, where claimed) in place of the running ones."""
        given = self._given()
        batch = {r: given.get(b, self.values[b]) for r, b in self._batch_statistics.items()}
        return self._signed(ident.key, {**given, **batch})

    def _before(self, ident: TraceId) -> float | None:
        """A prediction worked on the student's own numbers with the weights before the last
        update read for the new ones."""
        given = {**self._given(), **self._before_last_update}
        return self._signed(ident.key, given)

    @functools.cached_property
    def _before_last_update(self) -> dict[str, float]:
        """What a prediction reads of the last step (new[w5]@2, running_mean[h1]@2), as it
        was before that step: its rule's first input (new = old + Δ; a running statistic =
        (1 − m)·before + m·the batch's). A test's pass worked from these, by the trace's rules,
        is the test predicted with the weights before the last update, at every number inside
        it (net[h1]@test1), not only at those the trace records (its outputs and loss)."""
        rules, read = self.evaluator.rules, set()
        for key, options in rules.items():
            if parse_id(key).predicted:
                read.update(i for i in options[0].inputs if not parse_id(i).predicted)
        return {key: self.values[rules[key][0].inputs[0]] for key in read if key in rules}

    def _local_variants(
        self, ident: TraceId, events: StepEvents
    ) -> Iterator[tuple[str, float | None]]:
        """The named mistakes of one quantity's own formula, at its own step."""
        v, kind, inside, at = self.v, ident.kind, ident.inside, ident.at
        delta, g = events.deltas.get(inside), events.gradients.get(inside)
        if kind == "delta" and delta and not delta.jacobian:
            yield MISSING_SLOPE, self.sign * v[at("de_dout", inside)]
        if kind in ("grad", "new") and g and g.factors:
            # the chain without its dout/dnet factor: a product, so a dead unit (dout/dnet 0)
            # divides nothing
            to = g.to[0]
            kept = [f.value for f in g.factors if (f.role, f.unit) != ("dout_dnet", to)]
            if len(kept) < len(g.factors):
                without = math.prod(kept)
                value = (
                    without
                    if kind == "grad"
                    else v[at("old", inside)] - self.spec.learning_rate * without
                )
                yield AtUnit(MISSING_SLOPE, f"{MISSING_SLOPE} at {to}"), value
        if kind in ("de_dout", "delta") and delta and delta.downstream:
            scale = 1.0 if kind == "de_dout" else v[at("dout_dnet", inside)]
            base = v[at("de_dout", inside)]
            for _unit, w, _, dk in delta.downstream:
                changed = base + (v[at("new", w)] - v[at("old", w)]) * dk
                sign = self.sign if kind == "delta" else 1
                said = f"the updated {w} instead of the original"
                yield AtUnit(UPDATED_WEIGHT, said), changed * scale * sign
        if kind == "grad" and g and g.paths:
            for p in g.paths:
                yield (
                    f"the path through {p.via} dropped",
                    v[at("grad", inside)] - v[at("path", f"{inside},{p.via}")],
                )


def later(ident: TraceId) -> str:
    """The id of the same quantity one step later (a test is predicted after every step)."""
    return ident.key if ident.predicted else ident.step_key(ident.step + 1)
