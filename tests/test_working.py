"""The working of every quantity comes from its rule: every operation has a writer, and the
numbers it shows are the values the rule reads."""

from __future__ import annotations

import pytest
from conftest import CONFIGS

from backprop_tutor.core.rules import OPS
from backprop_tutor.core.trace_rules import trace_rules
from backprop_tutor.record import run
from backprop_tutor.render.quiz import questions
from backprop_tutor.render.working import WRITERS, working
from backprop_tutor.spec import load_spec


def test_every_operation_has_a_writer() -> None:
    assert set(WRITERS) == set(OPS)


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_rule_of_every_config_is_written_with_its_inputs(path) -> None:
    trace = run(load_spec(path))
    values, n = trace.values(), trace.header.display.format
    for key, rules in trace_rules(trace).items():
        if "@test" in key or "@after" in key:  # a prediction's net inputs are not recorded
            continue
        for rule in rules:
            text = working(rule, values, n)
            assert text.strip(), key
            if rule.op in ("dot", "product", "weighted_sum"):  # each input's value is shown
                for source in rule.inputs:
                    shown = n(abs(values[source]))
                    assert shown in text, (key, source, shown, text)


def test_the_quiz_shows_the_softmax_delta_with_its_numbers() -> None:
    """Once a placeholder (Σ_j ∂E/∂out_j · ∂out_j/∂net); now the Jacobian's products."""
    trace = run(load_spec(CONFIGS / "xu-example-2.yaml"))
    n, values = trace.header.display.format, trace.values()
    delta = next(q for q in questions(trace) if q.id == "delta[z1]")
    assert n(values["de_dout[z1]"]).lstrip("-") in delta.working
    assert n(values["dout_dnet[z1]"]) in delta.working and "Σ" not in delta.working


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_rule_of_every_config_names_its_quantities_as_the_tables_do(path) -> None:
    """The formula the explore page and the quiz show reads each quantity by its label: an
    update's Δ, m, v and decay by their column's symbol (it showed
    `new w5 = w5 + change[w5]`, a raw trace id)."""
    import re

    from backprop_tutor.render.labels import Labels
    from backprop_tutor.render.working import formula

    trace = run(load_spec(path))
    labels = Labels(trace.header)
    for key, rules in trace_rules(trace).items():
        for rule in rules:
            text = formula(rule, labels.of_id)
            assert not re.search(r"\b[a-z_]+\[", text), (key, text)
