"""Hand calculations as students write them, one file per case under tests/data/homework/:
`check` finds every planted mistake as a root, names it, and counts nothing else.

Header keys: `spec`; `exit`; `roots`, `id=the mistake's name` pairs joined by `;` (empty for a
calculation without a mistake). Every other claim must be right, or follow from a root.
"""

from __future__ import annotations

import json

import pytest
from cases import Case, case_params
from conftest import ROOT
from typer.testing import CliRunner

from backprop_tutor.cli import app


def _roots(case: Case) -> dict[str, str]:
    pairs = (p.partition("=") for p in (case.get("roots") or "").split(";") if p.strip())
    return {key.strip(): name.strip() for key, _, name in pairs}


@pytest.mark.parametrize("case", case_params("homework"))
def test_check_finds_each_planted_mistake_and_nothing_else(case: Case) -> None:
    spec = ROOT / case.get("spec")
    result = CliRunner().invoke(app, ["check", str(spec), str(case.path), "--format", "json"])
    assert result.exit_code == int(case.get("exit")), result.output
    report = json.loads(result.stdout)
    expected = _roots(case)
    assert set(report["roots"]) == set(expected)
    by_id = {claim["id"]: claim for claim in report["claims"]}
    for key, name in expected.items():
        assert name in by_id[key]["detail"], by_id[key]
        assert by_id[key]["rule"] and by_id[key]["inputs"]  # its working
    for claim in report["claims"]:
        assert claim["right"] or claim["root"] or set(claim["follows_from"]) <= set(expected)
