"""`check` on the numbers inside a prediction's pass (a test example's, the example's again
after the update: net[h1]@after, out[h1]@after, loss[o1]@after), which the trace records only
at its outputs and loss: worked by the trace's rules, once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

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


@pytest.mark.parametrize("config", sorted(p.stem for p in CONFIGS.glob("*.yaml")))
def test_a_predictions_inside_is_claimable_and_ends_at_the_engines_outputs(config: str) -> None:
    """A test example's or the after pass's net inputs, outputs and error terms, which the
    trace records only at the outputs and loss, are ids `check` knows; worked from the givens
    alone by the rules, they are the values it judges by, and they end at the engine's own
    outputs and loss."""
    from backprop_tutor.core.rules import Evaluator
    from backprop_tutor.core.trace_rules import trace_rules
    from backprop_tutor.teach.claims import parse_id

    checker = Checker(load_spec(CONFIGS / f"{config}.yaml"))
    recorded = checker.trace.values()
    predicted = [key for key in checker.v if parse_id(key).predicted]
    if not predicted:
        pytest.skip("no prediction after the steps")
    inside = [key for key in predicted if key not in recorded]
    assert {parse_id(key).kind for key in inside} >= {"net", "loss"}
    rules = trace_rules(checker.trace)
    leaves = {key: value for key, value in recorded.items() if key not in rules}
    replayed = Evaluator(rules, recorded).replay(leaves)
    for key in predicted:
        engine = recorded.get(key, checker.values[key])
        assert abs(replayed[key][0] - engine) <= 1e-12 * (1 + abs(engine)), key
    order = list(checker._hand)  # a pass's numbers before its loss, as it is worked
    last = max(order.index(key) for key in predicted if key in recorded)
    assert max(order.index(key) for key in inside) < last


def test_the_claims_templates_test_lines_say_their_test_example(tmp_path: Path) -> None:
    """A test example's ids in the claims template say whose they are, as the after pass's
    do; they read as the step's own (a1^(1), z1)."""
    import yaml
    from typer.testing import CliRunner

    from backprop_tutor.cli import app

    path = tmp_path / "template.yaml"
    spec = str(CONFIGS / "borela.yaml")
    assert CliRunner().invoke(app, ["run", spec, "--claims-template", str(path)]).exit_code == 0
    lines = path.read_text(encoding="utf-8").splitlines()
    tests = [line for line in lines if "@test1:" in line]
    assert tests and set(yaml.safe_load("\n".join(tests)).values()) == {None}
    assert all(
        line.partition("#")[2].rstrip().endswith("test example 1 (the last update's weights)")
        for line in tests
    )
