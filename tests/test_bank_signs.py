"""A bank in a notation whose δ is −∂E/∂net (Mitchell's, Xu's): every export asks δ in that
sign, grades it in that sign and names its mistakes in that sign, as `run` prints δ and
`check` reads it."""

from __future__ import annotations

import json

from test_bank import _generated, _out
from typer.testing import CliRunner

from backprop_tutor.cli import app


def test_prairielearn_grades_mitchells_delta_as_asked(in_root, tmp_path) -> None:
    """The answers shown as right score full marks, a δ among them with run's sign; the
    same δ with the other sign (∂E/∂net) is wrong."""
    folder = tmp_path / "q"
    _out(
        ["bank", "configs/tiwari.yaml", "--versions", "1", "-f", "prairielearn", "-o", str(folder)]
    )
    server, data, version = _generated(folder, variant_seed=0)
    ids = version["ids"]
    right = dict(data["correct_answers"])
    submission = {"params": data["params"], "submitted_answers": right, "partial_scores": {}}
    server.grade(submission)
    assert submission["score"] == 1
    deltas = [key for key in ids if key.startswith("delta[")]
    assert deltas and all(right[ids[k]] == -version["values"][k] for k in deltas)
    flipped = {**right, ids[deltas[0]]: -right[ids[deltas[0]]]}
    submission = {"params": data["params"], "submitted_answers": flipped, "partial_scores": {}}
    server.grade(submission)
    assert submission["partial_scores"][ids[deltas[0]]]["score"] == 0


def test_a_banks_delta_mistake_is_the_one_check_names(in_root, tmp_path) -> None:
    """The bank's 'a missing dout/dnet factor' answer for δ, claimed in `check`, is named
    as that mistake (it was the answer with ∂E/∂net's sign, which check does not name)."""
    document = json.loads(_out(["bank", "configs/tiwari.yaml", "--versions", "1", "-f", "json"]))
    version = document["versions"][0]
    (tmp_path / "spec.yaml").write_text(version["spec"], encoding="utf-8")
    question = next(q for q in version["questions"] if q["id"] == "delta[o1]")
    (mistake,) = [m for m in question["mistakes"] if "dout/dnet" in m["mistake"]]
    claims = tmp_path / "claims.yaml"
    claims.write_text(f'delta[o1]: "{mistake["answer"]:.5f}"\n', encoding="utf-8")
    args = ["check", str(tmp_path / "spec.yaml"), str(claims), "-f", "json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert "dout/dnet" in result.stdout
