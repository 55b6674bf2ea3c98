"""`check` on the numbers inside a prediction's pass (a test example's, the example's again
after the update: net[h1]@after, out[h1]@after, loss[o1]@after), which the trace records only
at its outputs and loss: worked by the trace's rules, once."""

from __future__ import annotations

from collections import Counter

import pytest
from conftest import CONFIGS

from backprop_tutor.core.rules import Rule
from backprop_tutor.spec import load_spec
from backprop_tutor.teach.check import Checker


@pytest.mark.parametrize("config", ["dawood", "batch-norm", "xu-vanishing"])
def test_the_numbers_inside_a_prediction_are_worked_in_one_walk(config, monkeypatch) -> None:
    """Each rule is applied once while a checker works them: walking each number's rules
    afresh applied net[h1]@after again for every number after it, so a checker of Xu's
    vanishing-gradient network took five times as long to make (0.15 s, was 0.03 s), and a
    bank's grading makes one per version."""
    spec = load_spec(CONFIGS / f"{config}.yaml")
    applied: Counter[str] = Counter()
    apply = Rule.apply

    def counted(rule: Rule, x: list[float]) -> float:
        applied[rule.key] += 1
        return apply(rule, x)

    monkeypatch.setattr(Rule, "apply", counted)
    checker = Checker(spec)
    inside = {key for key in checker.v if key not in checker.trace.values()}
    assert inside and inside <= applied.keys()
    assert max(applied.values()) == 1, applied.most_common(3)
