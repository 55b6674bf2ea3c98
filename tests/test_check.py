"""`backprop-tutor check`: lecture claims, planted mistakes named where they start, bad claims."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import CONFIGS, GOLDEN
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.core.notation import NOTATIONS
from backprop_tutor.spec import load_spec
from backprop_tutor.teach.check import Checker
from backprop_tutor.teach.claims import load_claims


def _check(spec: Path, claims: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["check", str(spec), str(claims), "--width", "160"])
    assert "Traceback" not in result.output + result.stderr
    return result.exit_code, result.output + result.stderr


def _verdicts(config: str, claims: dict, tmp_path: Path) -> dict:
    path = tmp_path / "claims.yaml"
    path.write_text(yaml.safe_dump({k: str(v) for k, v in claims.items()}), encoding="utf-8")
    checker = Checker(load_spec(CONFIGS / f"{config}.yaml"))
    return {v.claim.id: v for v in checker.check(load_claims(path, set(checker.v)))}


def test_dawood_claims_all_match(in_root) -> None:
    code, output = _check(Path("configs/dawood.yaml"), Path("golden/dawood.values.yaml"))
    assert code == 0 and "All 36 claims match." in output
    assert "truncated to 5 decimals" in output


def test_borela_matches_and_2_76_is_calculator_arithmetic(in_root) -> None:
    code, output = _check(Path("configs/borela.yaml"), Path("golden/borela.values.yaml"))
    assert code == 0 and "All 20 claims match." in output
    line = next(x for x in output.splitlines() if "grad[w11^(2)]" in x)
    assert "2.76" in line and "calculator arithmetic, 2 decimals carried" in line


def test_xu_example_2_formula_is_not_equal_with_the_right_form(in_root) -> None:
    code, output = _check(
        Path("configs/xu-example-2.yaml"), Path("golden/xu-example-2.values.yaml")
    )
    text = " ".join(output.split())
    assert code == 1
    assert "not equal: SymPy derives t_1 − z1·(t_1 + t_2 + t_3)" in text
    assert "which is t_1 − z1 when the targets sum to 1" in text


def test_a_right_formula_is_equal(tmp_path: Path) -> None:
    claims = tmp_path / "c.yaml"
    claims.write_text('delta[o1]: "(output_o1 - target_1)*output_o1*(1 - output_o1)"\n')
    code, output = _check(CONFIGS / "dawood.yaml", claims)
    assert code == 0 and "equal to SymPy's" in output


# -- a hand calculation of the Dawood example with planted mistakes ---------------------------


def test_a_missing_sigmoid_derivative_at_o1(tmp_path: Path) -> None:
    verdicts = _verdicts(
        "dawood",
        {
            "out[o1]": "0.73492",
            "de_dout[o1]": "0.68492",
            "dout_dnet[o1]": "0.19480",
            "delta[o1]": "0.68492",  # forgot x out(1 - out)
            "grad[w5]": "0.41169",
            "new[w5]": "0.25298",  # carried on from it
        },
        tmp_path,
    )
    assert verdicts["out[o1]"].ok and verdicts["dout_dnet[o1]"].ok
    assert verdicts["delta[o1]"].status == "variant"
    assert "a missing dout/dnet factor" in verdicts["delta[o1]"].detail
    for later in ("grad[w5]", "new[w5]"):
        assert verdicts[later].status == "follows" and verdicts[later].causes == ["delta[o1]"]


def test_the_updated_w5_used_in_the_hidden_delta(tmp_path: Path) -> None:
    verdicts = _verdicts(
        "dawood",
        {
            "delta[o1]": "0.13342",
            "delta[o2]": "-0.02929",
            "new[w5]": "0.45187",
            "de_dout[h1]": "0.03979",  # 0.45187 x 0.13342 + 0.7 x -0.02929: the new w5
            "delta[h1]": "0.00954",
            "grad[w1]": "0.00095",
            "new[w1]": "0.09943",
        },
        tmp_path,
    )
    assert verdicts["new[w5]"].ok
    assert verdicts["de_dout[h1]"].status == "variant"
    assert "the updated w5 instead of the original" in verdicts["de_dout[h1]"].detail
    for later in ("delta[h1]", "grad[w1]", "new[w1]"):
        assert verdicts[later].status == "follows", verdicts[later]
        assert verdicts[later].causes == ["de_dout[h1]"]


def test_a_sign_flip_on_one_gradient(tmp_path: Path) -> None:
    verdicts = _verdicts(
        "dawood",
        {
            "grad[w5]": "0.08020",
            "grad[w7]": "0.01760",
            "new[w7]": "0.68943",
            "new[w8]": "0.81081",
        },
        tmp_path,
    )
    assert verdicts["grad[w5]"].ok and verdicts["new[w8]"].ok
    assert verdicts["grad[w7]"].status == "variant"
    assert "the opposite sign" in verdicts["grad[w7]"].detail
    assert verdicts["new[w7]"].status == "follows" and verdicts["new[w7]"].causes == ["grad[w7]"]


def test_a_plain_wrong_number_gives_the_exact_value_and_the_difference(tmp_path: Path) -> None:
    verdicts = _verdicts("dawood", {"out[h1]": "0.61234"}, tmp_path)
    assert verdicts["out[h1]"].status == "mismatch"
    assert "exact value 0.601087" in verdicts["out[h1]"].detail
    assert "off by +0.0112" in verdicts["out[h1]"].detail


def test_layer_by_layer_update_is_recognised(tmp_path: Path) -> None:
    spec = yaml.safe_load((CONFIGS / "dawood.yaml").read_text())
    spec["update"] = "layer_by_layer"
    (tmp_path / "lbl.yaml").write_text(yaml.safe_dump(spec))
    from backprop_tutor.record import run

    wrong = run(load_spec(tmp_path / "lbl.yaml")).values()
    verdicts = _verdicts("dawood", {"new[w1]": f"{wrong['new[w1]']:.5f}"}, tmp_path)
    assert verdicts["new[w1]"].status == "variant"
    assert "layer-by-layer update" in verdicts["new[w1]"].detail


# -- bad claims files: one line, exit 2, nothing executed -------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("net[h9]: 0.5\n", "'net[h9]' is not a trace id of this network"),
        ("out[h1]: [1, 2]\n", "is not a number or a formula"),
        ('delta[o1]: "t1*(1 - out_z9)"\n', "unknown name 'out_z9'"),
        ("delta[o1]: \"__import__('os').system('touch pwned')\"\n", "is not allowed in a formula"),
        ('delta[o1]: "out_o1.__class__"\n', "Attribute is not allowed"),
        ('delta[o1]: "out_o1 ** 99999999"\n', "only constant powers"),
        ('new[w5]: "w5 - 0.5 * 0.08"\n', "no formula to compare new[w5] with"),
        ("out[h1]: .nan\n", "not a finite number"),
        ("out[h1]: !!float 0.5x\n", "'0.5x' is not a valid number"),
        ("", "the file is empty"),
    ],
)
def test_bad_claims_are_one_line(tmp_path: Path, text: str, message: str, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    claims = tmp_path / "claims.yaml"
    claims.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(CONFIGS / "dawood.yaml"), str(claims)])
    assert result.exit_code == 2, result.output
    message_line = result.stderr.strip()
    assert message in message_line and message_line.count("\n") == 0
    assert message_line.startswith(f"error: {claims}")  # the file to mend, not the claim's id
    assert "Traceback" not in result.output
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("config", ["tiwari", "xu-example-2", "dawood", "adam"])
def test_a_claims_template_filled_as_run_prints_passes(tmp_path: Path, config: str) -> None:
    """Every id filled with the number `run` prints for it passes `check` (the numbers inside
    the pass after the update, which the tables do not print, left empty); where the
    notation's δ is −∂E/∂net (Mitchell's, Xu's), the template's comment says so and that the
    JSON's values hold ∂E/∂net (a claim copied from there fails with the sign turned)."""
    import json

    spec, path = str(CONFIGS / f"{config}.yaml"), tmp_path / "claims.yaml"
    CliRunner().invoke(app, ["run", spec, "--claims-template", str(path)])
    document = json.loads(CliRunner().invoke(app, ["run", spec, "-f", "json"]).stdout)
    lines = path.read_text(encoding="utf-8").splitlines()
    sensitivity = NOTATIONS[load_spec(spec).notation].delta_sign < 0
    deltas = [line for line in lines if line.startswith("delta[")]
    assert deltas and all(("= −∂E/∂net" in line) == sensitivity for line in deltas)
    filled = [
        f"{key}: '{document['display'][key]}'" if key in document["display"] else line
        for line in lines
        for key in [line.partition(":")[0]]
    ]
    path.write_text("\n".join(filled) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["check", spec, str(path), "-f", "json"])
    assert result.exit_code == 0, [c for c in json.loads(result.stdout)["claims"] if not c["ok"]]


def test_golden_files_are_valid_claims() -> None:
    for path in GOLDEN.glob("*.values.yaml"):
        config = CONFIGS / path.name.replace(".values.yaml", ".yaml")
        checker = Checker(load_spec(config))
        assert load_claims(path, set(checker.v))


@pytest.mark.parametrize("config", ["tiwari", "layered"])
def test_the_formula_lectures_check_equal(config: str) -> None:
    code, output = _check(CONFIGS / f"{config}.yaml", GOLDEN / f"{config}.values.yaml")
    assert code == 0 and "equal to SymPy's" in output


@pytest.mark.parametrize("config", sorted(p.stem for p in CONFIGS.glob("*.yaml")))
def test_a_formula_fix_is_an_example_in_the_networks_own_names(config: str) -> None:
    """The fix of a refused formula showed `t_1*(1 - z1)` whatever the network, so on Dawood's
    it used the very name just refused; its example must be a formula of this network's."""
    pytest.importorskip("sympy")
    from backprop_tutor.teach.formula import FormulaChecker, parse_formula

    checker = Checker(load_spec(CONFIGS / f"{config}.yaml"))
    if checker.trace.header.batch_norm:
        pytest.skip("formulas are not compared through batch normalization")
    formulas = FormulaChecker(checker)
    for unit in formulas.deriver.target:
        example = formulas.example(f"delta[{unit}]")
        assert parse_formula(example, formulas.names) is not None, example


def test_a_claims_template_lists_every_id_and_check_reads_it_filled(tmp_path: Path) -> None:
    """`run --claims-template` writes every id, empty, in hand-calculation order; filled in
    part, `check` judges what was filled and skips the rest."""
    import json

    from backprop_tutor.cli import app

    dawood = str(CONFIGS / "dawood.yaml")
    path = tmp_path / "template.yaml"
    result = CliRunner().invoke(app, ["run", dawood, "--claims-template", str(path)])
    assert result.exit_code == 0, result.output
    template = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert set(template.values()) == {None}
    values = json.loads(CliRunner().invoke(app, ["run", dawood, "-f", "json"]).stdout)["values"]
    copies = {k for k in values if k.startswith(("dnet_dout[", "dnet_dparam["))}
    assert [k for k in template if k in values] == [k for k in values if k not in copies]
    # and the numbers inside the pass after the update, which check knows, before its loss
    inside = [k for k in template if k not in values]
    known = Checker(load_spec(CONFIGS / "dawood.yaml")).v
    assert set(inside) == {k for k in known.keys() - values.keys() if "@after" in k} - {
        "input[i1]@after", "input[i2]@after", "target[o1]@after", "target[o2]@after"
    }  # fmt: skip
    assert list(template).index(inside[-1]) < list(template).index("loss@after")
    empty = CliRunner().invoke(app, ["check", dawood, str(path)])
    assert empty.exit_code == 2  # nothing claimed yet
    text = path.read_text(encoding="utf-8")
    text = text.replace("\nout[h1]:", "\nout[h1]: 0.60108")
    text = text.replace("\ndelta[o1]:", "\ndelta[o1]: 0.6849")
    path.write_text(text, encoding="utf-8")
    filled = CliRunner().invoke(app, ["check", dawood, str(path), "-f", "json"])
    assert filled.exit_code == 1
    report = json.loads(filled.stdout)
    assert [c["id"] for c in report["claims"]] == ["out[h1]", "delta[o1]"]
    assert report["roots"] == ["delta[o1]"]


@pytest.mark.parametrize("written", ["0.41", "0.4100", "0.410000000"])
def test_a_claim_of_the_exact_value_is_said_exact(written: str) -> None:
    """Dawood's net_h1 is 0.41 (0.41000000000000003 in binary): 'truncated to 2 decimals'
    said it was cut from something longer."""
    from decimal import Decimal

    from backprop_tutor.teach.claims import Claim

    checker = Checker(load_spec(CONFIGS / "dawood.yaml"))
    (verdict,) = checker.check([Claim("net[h1]", written, 1, Decimal(written))])
    assert (verdict.status, verdict.detail, verdict.ok) == ("exact", "the exact value", True)


def test_the_report_lists_claims_in_hand_calculation_order(tmp_path: Path) -> None:
    """The rows follow the hand calculation (core/hand_order.py, the claims template's
    order), not the file's order nor the order they are judged in (dout_dnet[h1] was listed
    before out[o1], delta[h1] after new[w8], grad[w1] after new[b2])."""
    import json

    from backprop_tutor.core.hand_order import hand_order

    checker = Checker(load_spec(CONFIGS / "dawood.yaml"))
    wanted = [
        "new[w8]", "grad[w1]", "delta[h1]", "dout_dnet[h1]", "out[o1]", "new[w1]",
        "delta[o1]", "de_dout[h1]", "net[h1]", "loss", "grad[w5]", "new[w5]",
    ]  # fmt: skip
    values = json.loads(
        CliRunner().invoke(app, ["run", str(CONFIGS / "dawood.yaml"), "-f", "json"]).stdout
    )["display"]
    claims = tmp_path / "claims.yaml"
    claims.write_text("".join(f"{k}: '{values[k]}'\n" for k in wanted), encoding="utf-8")
    result = CliRunner().invoke(
        app, ["check", str(CONFIGS / "dawood.yaml"), str(claims), "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    listed = [c["id"] for c in json.loads(result.stdout)["claims"]]
    assert listed == [k for k in hand_order(checker.trace) if k in wanted]


def test_formulas_and_arithmetic_are_listed_in_hand_calculation_order(tmp_path: Path) -> None:
    """A formula's row, and arithmetic's, take their place in the hand calculation among the
    numbers' (formulas were listed after every number); arithmetic is judged as a number."""
    import json

    from backprop_tutor.core.hand_order import hand_order

    claims = {
        "new[w5]": "0.5 - 0.6*0.08020",  # arithmetic
        "grad[w5]": "(out_o1 - t_1)*out_o1*(1 - out_o1)*out_h1",  # a formula
        "out[o1]": "0.73492",
        "delta[o1]": "(out_o1 - t_1)*out_o1*(1 - out_o1)",
        "loss[o1]": "1/2*(0.05-0.73492)**2",
        "net[h1]": "0.41",
    }
    path = tmp_path / "claims.yaml"
    path.write_text(yaml.safe_dump(claims), encoding="utf-8")
    result = CliRunner().invoke(
        app, ["check", str(CONFIGS / "dawood.yaml"), str(path), "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    listed = {c["id"]: c["verdict"] for c in json.loads(result.stdout)["claims"]}
    trace = Checker(load_spec(CONFIGS / "dawood.yaml")).trace
    assert list(listed) == [k for k in hand_order(trace) if k in claims]
    assert [k for k, v in listed.items() if v == "formula"] == ["delta[o1]", "grad[w5]"]
    assert listed["new[w5]"] == listed["loss[o1]"] == "exact"


def test_a_coarse_claim_is_not_right_in_the_json(tmp_path: Path) -> None:
    """`check -f json` gives a claim too coarse to tell its own verdict, not right, with the
    named mistake it shows as too; exit 1."""
    import json

    claims = tmp_path / "claims.yaml"
    claims.write_text("new[w5]: 0.5\nnew[w6]: 0.55073\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["check", str(CONFIGS / "dawood.yaml"), str(claims), "-f", "json"]
    )
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    coarse, right = report["claims"]
    assert (coarse["id"], coarse["verdict"], coarse["right"]) == ("new[w5]", "coarse", False)
    assert coarse["ambiguous_with"] == "the update left out (new = old)"
    assert right["right"] and report["right"] == 1


def _claims_json(spec: Path, text: str, tmp_path: Path) -> dict:
    claims = tmp_path / "claims.yaml"
    claims.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(spec), str(claims), "-f", "json"])
    import json

    return {c["id"]: c for c in json.loads(result.stdout)["claims"]}


def test_a_named_mistake_has_its_working_and_the_right_one(tmp_path: Path) -> None:
    """The update's sign: `rule` is the right rule (w7 − 0.6 × grad) and `mistake_rule` the
    one the number fits (w7 + 0.6 × grad), each worked from the claimed gradient; a
    mismatch has the right working alone."""
    found = _claims_json(
        CONFIGS / "dawood.yaml", "grad[w7]: -0.01761\nnew[w7]: 0.68943\nout[h1]: 0.7\n", tmp_path
    )
    claim = found["new[w7]"]
    assert claim["rule"]["coefficients"] == [1.0, -0.6]
    assert claim["mistake_rule"]["coefficients"] == [1.0, 0.6]
    assert claim["inputs"] == claim["mistake_inputs"] == {"old[w7]": 0.7, "grad[w7]": -0.01761}
    assert claim["gives"] == pytest.approx(0.7 + 0.6 * 0.01761)
    assert claim["mistake_gives"] == pytest.approx(0.7 - 0.6 * 0.01761)
    mismatch = found["out[h1]"]
    assert mismatch["verdict"] == "mismatch" and mismatch["rule"]["op"] == "activation"
    assert mismatch["mistake_rule"] is None and mismatch["mistake_gives"] is None


def test_a_mistake_found_as_a_calculator_works_it_reads_carried_numbers(tmp_path: Path) -> None:
    """Two decimals carried, the update's sign slipped, no gradient claimed: −0.2 + 0.5 ×
    (−0.03) is −0.215, Δ carried to −0.02 first: −0.22, the claim. The working read the
    exact gradient, −0.027276, and gave −0.21, not the claim."""
    spec = Path(__file__).parent / "data" / "calculator" / "mitchell-four-decimals.yaml"
    claim = _claims_json(spec, "new[w_o1_h2]: -0.2200\n", tmp_path)["new[w_o1_h2]"]
    assert claim["verdict"] == "variant" and "the update's sign" in claim["mistake"]
    assert claim["mistake_inputs"]["grad[w_o1_h2]"] == -0.03
    assert claim["mistake_gives"] == pytest.approx(-0.22)
