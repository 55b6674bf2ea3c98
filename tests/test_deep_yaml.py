"""YAML nested far deeper than any spec (issue 20, item 8): one line, as spec and as claims.

PyYAML composes and constructs by recursion, so 1 KB of brackets used to end in a
RecursionError; anchors can nest one node in another, so depth is bounded as data too.
Cases: tests/data/deep-yaml/, one file each.
"""

from __future__ import annotations

import pytest
from cases import Case, case_params
from typer.testing import CliRunner

from backprop_tutor.cli import app


@pytest.mark.parametrize("role", ["spec", "claims"])
@pytest.mark.parametrize("case", case_params("deep-yaml"))
def test_deep_yaml_is_one_line(in_root, case: Case, role: str) -> None:
    args = ["run", str(case.path)] if role == "spec" else ["check", "dawood", str(case.path)]
    result = CliRunner().invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, result.output + result.stderr
    message = result.stderr.strip()
    assert message.startswith(f"error: {case.path}:") and "\n" not in message, message
    assert "nested more than 32 levels deep" in message
