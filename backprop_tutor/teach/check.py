"""`backprop-tutor check SPEC CLAIMS`: which claimed numbers are right, and why the others are not.

Each claim gets one verdict, tried in this order:
- exact: the exact value, shown at the claim's own digits (rounded or truncated, either one),
  equals it, or is within one unit of its last digit;
- calculator: it equals the value of calculator arithmetic (every quantity rounded to N
  decimals): a fact reported, not a mistake;
- carried or follows: recomputed by the trace's rules (core/rules.py) from the claimed numbers
  as written, carried forward through what lies between (exactly, then as the spec's
  calculator works it), it is right: rounding carried when every number it read is right
  ("carried", right), else a consequence of the mistakes those numbers came from ("follows",
  named; teach/from_claims.py);
- coarse (of the three right ones above): an update written with fewer decimals than the
  tables print that, by the same cut, is also the weight never updated (the update left
  out), so it shows no work is right: not right;
- variant: it equals the value under a named mistake (layer-by-layer update, the other sign
  of delta, a missing dout/dnet factor, updated weights in a hidden delta, ...);
- mismatch: none of these; the exact value and the difference are given.

Every id of the trace gets one, for every loss and activation: a later step's (`new[w5]@2`)
is recomputed from its own step's claims and the weights the step before left, and a test
prediction's (`out[y1]@test1`) from the weights the last update left.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path

import numpy as np

from backprop_tutor.core.errors import SpecError, TrainingError
from backprop_tutor.core.notation import NOTATIONS
from backprop_tutor.core.numbers import carry
from backprop_tutor.core.rules import Evaluator, Rule
from backprop_tutor.core.trace import StepTrace, Trace
from backprop_tutor.core.trace_rules import trace_rules
from backprop_tutor.core.words import counted
from backprop_tutor.record import run
from backprop_tutor.spec.model import Spec
from backprop_tutor.teach.claims import (
    Claim,
    claim_aliases,
    claimable_order,
    load_claims,
    parse_id,
)
from backprop_tutor.teach.from_claims import FromClaims
from backprop_tutor.teach.mistakes import LEFT_OUT, masked_test_pass, mistake_of
from backprop_tutor.teach.training_claims import TrainingClaims, TrainingId, training_id
from backprop_tutor.teach.variants import NamedMistakes, Tried, later
from backprop_tutor.teach.verdicts import (
    Verdict,
    exact_claim,
    exactly,
    matches_only,
    shown_as,
    whole,
    within_a_unit,
    worked_out,
)

CARRY_DIGITS = range(1, 7)


class StepEvents:
    """One step's events by name, for the named mistakes of its quantities."""

    def __init__(self, step: StepTrace) -> None:
        self.gradients = {g.param: g for g in step.gradients}
        self.deltas = {d.unit: d for d in step.deltas}


class Checker(FromClaims, NamedMistakes):
    """The exact trace of a spec, and the runs and local values of the named variants.

    Everything runs under np.errstate(all="ignore"): claimed numbers are arbitrary, so a
    recomputation from them may overflow or divide by zero; such a value matches no claim
    (shown_as refuses inf and nan), and a warning on stderr would only alarm the user.
    """

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.exact_spec = replace(spec, carry_digits=None)
        with np.errstate(all="ignore"):
            self.trace: Trace = run(self.exact_spec)
        # delta in the spec's own notation: dE/dnet, or the sensitivity -dE/dnet (Mitchell, Xu)
        self.sign = NOTATIONS[spec.notation].delta_sign
        self.steps = [StepEvents(step) for step in self.trace.steps]
        self.values = self.trace.values()  # in the engine's sign: delta = dE/dnet
        self.evaluator = Evaluator(trace_rules(self.trace), self.values)
        self.values.update(inside_predictions(self.evaluator))
        self.v = {k: self._engine_sign(k, x) for k, x in self.values.items()}
        self._index = {key: i for i, key in enumerate(self.v)}
        self._runs: dict[str, dict[str, float]] = {}
        self._wanted: set[str] | None = None  # the ids the variant runs keep
        self.claimed: dict[str, float] = {}
        self.verdicts: dict[str, Verdict] = {}
        # the rule of each named mistake tried, by name, and the value it gave
        self._tried: dict[str, Tried] = {}

    @functools.cached_property
    def _masked_pass(self) -> tuple[Evaluator, dict[str, float]]:
        """The rules of a test pass that kept dropout's last mask on (teach/mistakes.py), and
        the givens they are replayed from."""
        rules = masked_test_pass(self.evaluator.rules, self.spec.dropout_rates, len(self.steps))
        leaves = {k: v for k, v in self.values.items() if k not in rules}
        return Evaluator(rules, self.values), leaves

    def _masked_test(self, key: str) -> float | None:
        """A prediction with dropout's last mask kept on, replayed from the givens and the
        student's own numbers (2 × σ(0.4658) from a claimed net of 0.4658)."""
        evaluator, leaves = self._masked_pass
        return self._signed(key, {**leaves, **self._given()}, by=evaluator)

    @functools.cached_property
    def calculator(self) -> Evaluator | None:
        """The spec's calculator arithmetic as rules (carry_digits): its trace's rules and
        values, every value carried and an update's Δ carried before it is added (the rule of
        new's `at`, as the engine does), so a named mistake is also worked as a calculator
        works it (teach/variants.py); None in exact arithmetic, or where it cannot run."""
        places = self.spec.carry_digits
        if places is None:
            return None
        try:
            with np.errstate(all="ignore"):
                trace = run(self.spec)
        except (SpecError, TrainingError):
            return None
        return Evaluator(trace_rules(trace), trace.values(), places)

    @functools.cached_property
    def _neighbours(self) -> dict[str, tuple[str, ...]]:
        """Each weight's fellow weights in its layer, for the wrong-edge mistake."""
        step = self.trace.steps[0]
        layers: dict[int, list[str]] = {}
        for f in (step.batch[0] if step.batch else step).forward:
            layers.setdefault(f.layer, []).extend(t.weight for t in f.terms)
        return {w: tuple(o for o in ws if o != w) for ws in layers.values() for w in ws}

    def load(self, path: Path) -> list[Claim]:
        """A claims file's claims, its ids as written (labels, spellings) read as trace ids;
        one written as arithmetic of numbers alone, as the number it gives (teach/arithmetic.py,
        which brings in SymPy: only for a file with a formula)."""
        claims = load_claims(path, set(self.v), self.aliases, self._training_id, self.spec.file)
        if not any(c.is_formula for c in claims):
            return claims
        from backprop_tutor.teach.arithmetic import as_number, numbers_written

        digits = self.spec.display.digits
        written = [numbers_written(c.text) if c.is_formula else None for c in claims]
        return [
            c if w is None else as_number(c, w, digits, str(path))
            for c, w in zip(claims, written, strict=True)
        ]

    def _training_id(self, key: str) -> TrainingId | None:
        return training_id(key, self.spec)

    @property
    def aliases(self) -> dict[str, str]:
        """The labels and spellings a claims file may use for this network's ids."""
        parameters = (u.param for u in self.trace.steps[0].updates)
        return claim_aliases(self.trace.header, parameters)

    def _run(self, name: str, **changes) -> dict[str, float]:
        """A variant's values, those inside its predictions too (only the ids claims can ask
        for, once `check` knows them: a big network's trace is large, and there are a dozen
        variants); none where the variant cannot run (its numbers overflow, its trace would be
        too large): the spec as written is fine, so that is no error of the user's, the
        variant just does not apply."""
        if name not in self._runs:
            wanted = self._wanted
            try:
                with np.errstate(all="ignore"):
                    trace = run(replace(self.exact_spec, **changes))
                    values = trace.values()
                    asked = wanted if wanted is not None else self.v.keys()
                    if any(parse_id(k).predicted for k in asked - values.keys()):
                        # net[h1]@after: worked as the run's own, a slip inside it named
                        worked = Evaluator(trace_rules(trace), values, trace.header.carry_digits)
                        values.update(inside_predictions(worked))
            except (SpecError, TrainingError):
                values = {}
            kept = values if wanted is None else {k: values[k] for k in wanted & values.keys()}
            # in the claims' sign: δ is the sensitivity −∂E/∂net in some notations
            self._runs[name] = {k: self._engine_sign(k, x) for k, x in kept.items()}
        return self._runs[name]

    # -- the verdicts ------------------------------------------------------------------------
    def check(self, claims: list[Claim]) -> list[Verdict]:
        """A verdict for each numeric claim (one written as arithmetic too), judged in the
        order of the rules (each after every claim it reads) and listed in hand-calculation
        order, as the tables print the numbers (core/hand_order.py); then those about
        training (teach/training_claims.py) as the file lists them."""
        about_training = [(c, t) for c in claims if (t := self._training_id(c.id))]
        trained_ids = {c.id for c, _ in about_training}
        claims = [c for c in claims if c.id not in trained_ids]
        unknown = [c.id for c in claims if c.id not in self.v]
        if unknown:
            raise ValueError(f"not trace ids of this network: {', '.join(unknown)}")
        numeric = sorted((self._whole(c) for c in claims if not c.is_formula), key=self._order)
        self.claimed = {c.id: float(c.number) for c in numeric}  # type: ignore[arg-type]
        wanted = {key for c in numeric for key in (c.id, later(parse_id(c.id)))}
        if self._wanted is None or not wanted <= self._wanted:
            self._runs.clear()  # they kept only the ids claimed before
            self._wanted = (self._wanted or set()) | wanted
        with np.errstate(all="ignore"):
            for claim in numeric:
                self.verdicts[claim.id] = self._verdict(claim)
        trained = [
            self.training.judge(self._whole(c), t) for c, t in about_training if not c.is_formula
        ]
        listed = self.in_hand_order([self.verdicts[c.id] for c in numeric] + trained)
        return [worked_out(v) for v in listed]

    def in_hand_order(self, verdicts: list[Verdict]) -> list[Verdict]:
        """The verdicts, a number's or a formula's, in hand-calculation order (`_hand`); those
        about training, which the trace does not hold, after them as they came."""
        after = len(self._hand)
        return sorted(verdicts, key=lambda v: self._hand.get(v.claim.id, after))

    @functools.cached_property
    def _hand(self) -> dict[str, int]:
        """Each id's place in the hand calculation: the order of the report's rows, where
        the order of judging (`_order`) put dout_dnet[h1] before out[o1]."""
        order = [*claimable_order(self.trace, self.evaluator.rules), *self.v]
        return {key: n for n, key in enumerate(dict.fromkeys(order))}

    @functools.cached_property
    def training(self) -> TrainingClaims:
        return TrainingClaims(self.spec)

    def _whole(self, claim: Claim) -> Claim:
        return whole(claim, self.spec.display.digits)

    def _order(self, claim: Claim) -> tuple[int, int]:
        """After every claim its recomputation can read: by the depth of its rule above the
        givens (net reads old, new reads grad, a layer-by-layer de_dout reads new, a
        softmax delta reads every de_dout of its layer), then the trace's order."""
        return self.evaluator.depth(claim.id), self._index[claim.id]

    def _verdict(self, claim: Claim) -> Verdict:
        exact = float(self.v[claim.id])
        found = exact_claim(exact, claim)
        if found:
            return found
        found = self._right(claim, exact)
        if found is None:
            found = self._from_claims(claim)
            found = found and replace(found, exact=exact)
        if found is not None:
            return self._too_coarse(found) if found.ok else found
        self._tried = {}
        for name, value in self._variants(parse_id(claim.id)):
            if _matches(value, claim):
                found = Verdict(
                    claim, "variant", matches_only(name), exact, mistake=mistake_of(name)
                )  # its detail at its unit; counted as the mistake it is
                tried = self._tried.get(name)
                return self._with_working(found, tried if tried and tried.value == value else None)
        off = float(claim.number) - exact  # type: ignore[arg-type]
        shown = exactly(exact, claim.digits)
        found = Verdict(claim, "mismatch", f"exact value {shown}, off by {off:+.6g}", exact)
        return self._with_working(found)

    def _right(self, claim: Claim, exact: float) -> Verdict | None:
        """The verdict on a claim of the exact value as written down: rounded or truncated
        (the spec's way first), calculator arithmetic, within a unit of its last digit."""
        own = self.spec.display.rounding
        how = shown_as(exact, claim, own)
        if how:
            return Verdict(claim, "exact", f"{how} to {claim.precision}", exact, True)
        # the spec's own calculator arithmetic, then the other rounding, then other calculators:
        # each a fact about how the number was written down, not a mistake
        carried = self.spec.carry_digits
        for digits in [carried] if carried else []:
            found = self._calculator(claim, digits, exact)
            if found:
                return found
        how = shown_as(exact, claim)
        if how:
            detail = f"{how} to {claim.precision} (the spec's display says {own})"
            return Verdict(claim, "exact", detail, exact, True)
        if within_a_unit(exact, claim):
            detail = f"within one unit of its last digit ({claim.precision})"
            return Verdict(claim, "exact", detail, exact, True)
        # a calculator that carries fewer decimals than the claim shows did not write it
        # (0.00000 is no 1-decimal calculator's zero: it is a gradient taken as 0)
        for digits in (d for d in CARRY_DIGITS if d != carried and d >= claim.digits):
            found = self._calculator(claim, digits, exact)
            if found:
                return found
        return None

    def _too_coarse(self, verdict: Verdict) -> Verdict:
        """A right verdict, unless the claim has fewer decimals than the tables print (or a
        calculator spec carries) and is also, at its digits, the value with no work done:
        the update left out (new = old). At 1 decimal Dawood's new w5, 0.5, is the right
        0.45187 and w5 never updated alike, so it shows no work. Other slips are not
        rivals: at 2 decimals a path of 0.00049 is 0.00 with either sign, and a carried
        hand calculation would lose a third of its claims to such coincidences."""
        claim, full = verdict.claim, self.spec.display.digits
        if self.spec.carry_digits is not None:
            full = min(full, self.spec.carry_digits)
        ident = parse_id(claim.id)
        if claim.digits >= full or ident.kind != "new":  # no work done shows in an update
            return verdict
        self._tried = {}
        value = next((v for name, v in self._rule_variants(ident) if name == LEFT_OUT), None)
        n = self.spec.display.format
        right = n(self.v[claim.id])
        if value is None or n(value) == right:
            return verdict
        # the cut the claim is right by (rounded or truncated) must show the old value as
        # the claim too (no unit's leeway: 0.099 does not read as w1's 0.1)
        cuts = [r for r in ("round", "truncate") if shown_as(self.v[claim.id], claim, r)]
        if not any(shown_as(value, claim, r) for r in cuts):
            return verdict
        detail = (
            f"too coarse to tell: at {claim.precision} {claim.text} is both the right value "
            f"{right} and {n(value)} from {LEFT_OUT}; write the tables' "
            f"{counted(self.spec.display.digits, 'decimal')}"
        )
        return Verdict(claim, "coarse", detail, verdict.exact, ambiguous_with=LEFT_OUT)

    def _with_working(self, verdict: Verdict, mistake: Tried | None = None) -> Verdict:
        """The verdict with its working: the right rule with the student's numbers (claimed
        where claimed), and for a named mistake of a rule, the rule the number fits with the
        numbers it read (`read`: a bias's ∂net/∂b as 0), worked as it was found to match:
        exactly, or as the spec's calculator carries (its inputs carried)."""
        given = self._given()
        options = self.evaluator.rules.get(verdict.claim.id)
        if options:
            rule, inputs, gives = _worked(self.evaluator, options[0], given)
            verdict = replace(verdict, rule=rule, inputs=inputs, gives=gives)
        if mistake is not None:
            read = {**given, **mistake.read}
            rule, inputs, gives = _worked(mistake.evaluator, mistake.rule, read)
            verdict = replace(
                verdict, mistake_rule=rule, mistake_inputs=inputs, mistake_gives=gives
            )
        return verdict

    def _calculator(self, claim: Claim, digits: int, exact: float) -> Verdict | None:
        value = self._run(f"carry{digits}", carry_digits=digits).get(claim.id)
        if value is None or not shown_as(value, claim):
            return None
        said = " (as the spec says)" if digits == self.spec.carry_digits else ""
        detail = f"calculator arithmetic, {counted(digits, 'decimal')} carried{said}"
        return Verdict(claim, "calculator", detail, exact, True)

    def _given(self) -> dict[str, float]:
        """The claimed numbers as the rules read them (a delta as ∂E/∂net)."""
        return {key: self._engine_sign(key, value) for key, value in self.claimed.items()}

    def _engine_sign(self, key: str, value: float) -> float:
        """A delta between the notation's sign (a claim) and dE/dnet (the rules): ±1 turns
        either way."""
        return NOTATIONS[self.spec.notation].sign_of(key) * value


def inside_predictions(evaluator: Evaluator) -> dict[str, float]:
    """Every number inside a prediction's forward pass (a test example's, the example's again
    after the update: net[h1]@after, out[h1]@after, loss[o1]@after), which a trace records
    only at its outputs and loss: worked by its rules (`evaluator`'s) from the parameters the
    last update left, in one walk, so a hand calculation of that pass can be claimed step by
    step and its rounding carried (the outputs worked so equal the engine's: tests), and a
    variant's run (the biases updated too) names a slip made inside it."""
    rules, recorded = evaluator.rules, evaluator.values
    inside = [key for key in rules if key not in recorded and parse_id(key).predicted]
    return {key: value for key, (value, _) in evaluator.replay({}, inside).items()}


def _matches(value: float | None, claim: Claim) -> bool:
    """A named mistake's value as the claim writes it: rounded or truncated to its digits. No
    unit's leeway (the right value has one): the slips are worked on the student's own
    numbers already, and a claim of 0.010 was named the layer-by-layer update, whose 0.00947
    no cut writes as 0.010."""
    return value is not None and bool(shown_as(value, claim))


def _worked(evaluator: Evaluator, rule: Rule, given: dict[str, float]):
    """A rule's working: the values it reads from `given` and what follows from it (each
    carried, under a calculator evaluator), and what it gives from them (carried too)."""
    inputs = evaluator.inputs(rule, given)
    gives = rule.apply([inputs[key] for key in rule.inputs])
    return rule, inputs, carry(gives, evaluator.places) if rule.rounded else gives
