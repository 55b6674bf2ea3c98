"""`check` counts a named mistake once, at every claim it shows in: in its summary, its JSON
(`mistakes`) and `grade`'s roots column."""

from __future__ import annotations

from pathlib import Path

from conftest import CONFIGS
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.spec import load_spec
from backprop_tutor.teach.check import Checker
from backprop_tutor.teach.claims import load_claims


def test_one_named_mistake_at_several_claims_is_one_mistake(tmp_path: Path) -> None:
    """SSE for half SSE shows in the loss and in each output's ∂E/∂out: one misconception,
    counted once, at the three claims (it was three root mistakes); the roots stay listed.
    The claimed numbers are the engine's own, run with the mistaken loss."""
    import json
    from dataclasses import replace

    from backprop_tutor.core.losses import LOSSES
    from backprop_tutor.record import run
    from backprop_tutor.render.grade_view import _roots
    from backprop_tutor.teach.grade import StudentGrade

    spec = load_spec(CONFIGS / "dawood.yaml")
    other, name = LOSSES[spec.loss].mistaken_for
    values = run(replace(spec, loss=other)).values()
    ids = ["loss", "de_dout[o1]", "de_dout[o2]", "delta[o1]", "grad[w5]", "new[w1]"]
    claims = tmp_path / "claims.yaml"
    claims.write_text("".join(f"{k}: {values[k]:.5f}\n" for k in ids), encoding="utf-8")
    result = CliRunner().invoke(
        app, ["check", str(CONFIGS / "dawood.yaml"), str(claims), "-f", "json"]
    )
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["roots"] == ["loss", "de_dout[o1]", "de_dout[o2]"]
    (mistake,) = report["mistakes"]
    assert (mistake["at"], mistake["mistake"]) == (report["roots"], name)
    assert set(mistake["then"]) == {"delta[o1]", "grad[w5]", "new[w1]"}
    checker = Checker(spec)
    roots = [v for v in checker.check(load_claims(claims, set(checker.v))) if v.is_root]
    student = StudentGrade("a", 3, 6, roots, [])
    assert _roots(student) == f"loss, de_dout[o1], de_dout[o2]: {name}"


def test_a_named_mistake_says_its_name_not_one_claims_arithmetic(tmp_path: Path) -> None:
    """The loss written as arithmetic and each dE/dout as a number, all SSE for half SSE: the
    mistake's detail is the name the three claims share. It was the loss's own, with "worked
    from the written arithmetic as 0.49818" said of all three claims."""
    import json

    claims = tmp_path / "claims.yaml"
    claims.write_text(
        'loss: "(0.05-0.73493)**2 + (0.95-0.77955)**2"\n'
        "de_dout[o1]: 1.36986\nde_dout[o2]: -0.34089\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app, ["check", str(CONFIGS / "dawood.yaml"), str(claims), "-f", "json"]
    )
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    details = {c["id"]: c["detail"] for c in report["claims"]}
    (mistake,) = report["mistakes"]
    assert mistake["at"] == ["loss", "de_dout[o1]", "de_dout[o2]"]
    assert mistake["detail"] == details["de_dout[o1]"] == details["de_dout[o2]"]
    assert details["loss"].startswith(mistake["detail"] + ";")  # its arithmetic, its own


def test_a_training_claims_named_mistake_is_counted_by_its_name() -> None:
    """A slip in a claim about training (Mazur's loss after one epoch fewer) carries its name,
    as a step's does, so `mistakes` and grade's count of named mistakes hold it (it had none:
    grade left it out, and two such claims were two mistakes)."""
    import json

    from conftest import ROOT

    case = ROOT / "tests" / "data" / "claims" / "mazur-after-training.yaml"
    spec = ROOT / "tests" / "data" / "homework-specs" / "mazur.yaml"
    result = CliRunner().invoke(app, ["check", str(spec), str(case), "-f", "json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    named = {tuple(m["at"]): m["mistake"] for m in report["mistakes"]}
    assert "one epoch fewer" in named[("loss@epoch10000",)]
    assert None not in named.values()


def test_grades_roots_column_keeps_the_claims_order() -> None:
    """A claim too coarse to tell stays where its claim is among the mistakes (the column
    listed every named mistake first, then the coarse claims)."""
    from decimal import Decimal

    from backprop_tutor.render.grade_view import _roots
    from backprop_tutor.teach.claims import Claim
    from backprop_tutor.teach.grade import StudentGrade
    from backprop_tutor.teach.verdicts import Verdict

    def claim(key: str) -> Claim:
        return Claim(key, "0.5", 1, Decimal("0.5"))

    roots = [
        Verdict(claim("new[w1]"), "coarse", "too coarse to tell"),
        Verdict(claim("delta[o1]"), "variant", "matches only with a slip", mistake="a slip"),
        Verdict(claim("new[w5]"), "mismatch", "exact value 0.45187"),
    ]
    said = _roots(StudentGrade("a", 0, 3, roots, [])).split("; ")
    assert [part.partition(":")[0] for part in said] == ["new[w1]", "delta[o1]", "new[w5]"]


def test_a_slip_at_one_unit_keeps_its_unit_in_the_mistake(tmp_path: Path) -> None:
    """A slip named at its unit, made at one unit, is said there in the mistakes' list as in
    its verdict ("... at o1"); made at two, by its name alone."""
    import json

    from conftest import ROOT

    case = ROOT / "tests" / "data" / "claims" / "missing-factor-at-two-outputs-is-one-mistake.yaml"
    one = tmp_path / "one.yaml"
    one.write_text("grad[w5]: 0.41170\n", encoding="utf-8")
    dawood = str(CONFIGS / "dawood.yaml")
    for path, said in ((one, "at o1"), (case, "factor")):
        result = CliRunner().invoke(app, ["check", dawood, str(path), "-f", "json"])
        (mistake,) = json.loads(result.stdout)["mistakes"]
        assert mistake["detail"].endswith(said), mistake
