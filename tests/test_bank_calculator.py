"""A bank under calculator arithmetic: PrairieLearn's server.py, which grades without this
package, gives credit carried forward as the engine computes it, every value carried and an
update's Δw carried before it is added (39beb1d), to the last carried digit."""

from __future__ import annotations

import pytest
from conftest import ROOT
from test_bank import _generated

from backprop_tutor.render.prairielearn import prairielearn_files
from backprop_tutor.spec import load_spec
from backprop_tutor.teach.bank import make_bank

CALCULATOR = ROOT / "tests" / "data" / "calculator" / "mitchell-four-decimals.yaml"


@pytest.fixture(scope="module")
def server_of_the_spec(tmp_path_factory):
    """server.py of a one-version bank of the spec's own numbers (`bank SPEC` draws new
    ones, which would rarely give a half-way Δw), loaded as PrairieLearn loads it."""
    text = CALCULATOR.read_text(encoding="utf-8")
    made = make_bank(lambda seed: (text, load_spec(CALCULATOR)), 1, 0, "calculator")
    folder = tmp_path_factory.mktemp("q")
    for name, content in prairielearn_files(made).items():
        (folder / name).write_text(content, encoding="utf-8")
    return _generated(folder, variant_seed=0)


@pytest.mark.parametrize(
    ("gradient", "new", "score"),
    [
        # ∂E/∂w_o1_h2 claimed -0.05 (it is -0.03): Δw = 0.5 × 0.05 = 0.025, written 0.03,
        # and -0.2 + 0.03 = -0.17, the hand calculation's own update
        (-0.05, -0.17, 1),
        (-0.07, -0.16, 1),  # 0.035 written 0.04
        (-0.07, -0.17, 0),  # carry(-0.2 + 0.035): the sum carried, its Δ not
        (-0.07, -0.165, 0),  # nothing carried
    ],
)
def test_an_update_carried_forward_carries_its_change_first(
    server_of_the_spec, gradient: float, new: float, score: int
) -> None:
    server, data, version = server_of_the_spec
    ids = version["ids"]
    assert version["values"]["new[w_o1_h2]"] == -0.18  # the engine: 0.015 written 0.02
    answers = {**data["correct_answers"], ids["grad[w_o1_h2]"]: gradient, ids["new[w_o1_h2]"]: new}
    submission = {"params": data["params"], "submitted_answers": answers, "partial_scores": {}}
    server.grade(submission)
    scores = submission["partial_scores"]
    assert scores[ids["grad[w_o1_h2]"]]["score"] == 0
    assert scores[ids["new[w_o1_h2]"]]["score"] == score, scores[ids["new[w_o1_h2]"]]
    if score:
        assert "carried forward" in scores[ids["new[w_o1_h2]"]]["feedback"]
    assert version["places"] == 2 and version["rules"]["new[w_o1_h2]"]["at"] == [1, 2]


def test_every_right_answer_is_its_rule_replayed_and_carried(server_of_the_spec) -> None:
    """Each asked quantity's rule, run by server.py on the engine's values and carried where
    the engine carries, gives the engine's value (what carried-forward credit reads)."""
    server, _, version = server_of_the_spec
    for key, rule in version["rules"].items():
        x = [version["values"][k] for k in rule["inputs"]]
        value = server._apply(rule, x)
        carried = server._carry(value, version["places"]) if rule["rounded"] else value
        assert carried == pytest.approx(version["values"][key], abs=1e-12), key


def test_server_sums_as_the_rules_sum(server_of_the_spec) -> None:
    """server.py sums exactly rounded, as core/rules.py does (math.fsum): left to right,
    −1 + 0.02 + 0.045 is −0.9349999999999999, whose carry to 2 places is −0.93, not the
    rules' −0.94."""
    from backprop_tutor.core.numbers import carry
    from backprop_tutor.core.rules import Rule

    server = server_of_the_spec[0]
    x = [-1.0, 0.02, 0.045]
    want = Rule("net[h1]", "weighted_sum", ("a", "b", "c"), (1.0, 1.0, 1.0)).apply(x)
    served = {"op": "weighted_sum", "coefficients": [1.0, 1.0, 1.0], "at": []}
    assert server._apply(served, x) == want
    assert server._carry(server._apply(served, x), 2) == carry(want, 2) == -0.94
