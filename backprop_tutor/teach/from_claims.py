"""A claim recomputed from the student's own numbers: rounding carried through a hand
calculation is right ("carried"), and a number right only for a wrong one above it is a
consequence of that mistake ("follows"), listed under it, not a mistake of its own.

A base of `Checker` (teach/check.py), which supplies the trace's values, the rules' exact
evaluator, the spec's calculator (Checker.calculator) and the verdicts reached so far.
"""

from __future__ import annotations

import math

from backprop_tutor.core.rules import Evaluator
from backprop_tutor.core.words import counted
from backprop_tutor.teach.claims import Claim
from backprop_tutor.teach.verdicts import Verdict, shown_as, within_a_unit


class FromClaims:
    """Carried and follows: the claim recomputed by the trace's rules from the claims."""

    def _from_claims(self, claim: Claim) -> Verdict | None:
        """The claim recomputed by the trace's rules from the claimed numbers as written,
        carried forward through everything between: exactly, then, where the spec carries
        decimals, as its calculator works it (Mitchell's Δ = 0.5 × 0.05 = 0.025 written 0.03
        before it is added, which exact arithmetic misses by a unit). Equal to the claim (at
        its digits, or within a unit of the last): right for rounded numbers carried
        ("carried"), or, when a wrong number was read, a consequence of the mistakes it came
        from ("follows")."""
        given = self._given()
        for evaluator in filter(None, (self.evaluator, self.calculator)):
            found, read = evaluator.recompute(claim.id, given)
            if found is None or not read:
                continue
            value = self._engine_sign(claim.id, found)
            if shown_as(value, claim) or within_a_unit(value, claim):
                return self._carried_or_follows(claim, evaluator, found, read)
        return None

    def _carried_or_follows(
        self, claim: Claim, evaluator: Evaluator, found: float, read: list[str]
    ) -> Verdict:
        """ "carried" when every claimed number it read (and moved it) is right, else
        "follows" from the root mistakes those numbers came from."""
        given = self._given()
        how = ""
        if evaluator is not self.evaluator:
            how = f" (calculator arithmetic, {counted(evaluator.places, 'decimal')} carried)"
        wrong = [
            k
            for k in read
            if k in self.verdicts
            and not self.verdicts[k].ok
            and self.verdicts[k].status != "coarse"  # right to its digits: no mistake to follow
            and self._moves(claim.id, found, k, given, evaluator)
        ]
        if not wrong:
            detail = f"right from the claimed {', '.join(read)} as written (rounding carried){how}"
            return Verdict(claim, "carried", detail, ok=True)
        roots: list[str] = []
        for key in wrong:
            verdict = self.verdicts[key]
            for root in verdict.causes if verdict.status == "follows" else [key]:
                if root not in roots:
                    roots.append(root)
        detail = f"right for the claimed {', '.join(roots)}: the mistake is there{how}"
        return Verdict(claim, "follows", detail, causes=roots)

    def _moves(
        self,
        key: str,
        with_it: float,
        source: str,
        given: dict[str, float],
        evaluator: Evaluator,
    ) -> bool:
        """Whether the claimed `source` changes `key`, recomputed as `with_it`, at all: σ′
        reads net and out but uses out alone, so a wrong net is no cause of it."""
        exact = {**given, source: self.values[source]}  # the source right, the rest as claimed
        without, _ = evaluator.recompute(key, exact)
        if without is None:
            return True
        return not math.isclose(with_it, without, rel_tol=1e-12, abs_tol=1e-15)
