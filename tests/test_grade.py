"""`grade`: a class's sheet of answers against one spec or a bank's versions; each student's
first mistake named, work carried forward from it credited, and a sheet or key that would
grade the wrong cells refused in one line."""

from __future__ import annotations

import json

import pytest
from conftest import CONFIGS
from test_bank import _out
from typer.testing import CliRunner

from backprop_tutor.cli import app

COLUMNS = ["out[h1]", "net[o1]", "out[o1]", "de_dout[o1]", "delta[o1]", "grad[w5]", "new[w5]"]


def _dawood_by_hand(out_h1_shift: float = 0.0, sigma_prime: bool = True, sign: float = -1.0):
    """Dawood's step for the columns, by hand (numpy), with a planted mistake: out[h1] off by
    a shift (and everything after it computed from it), δ_o1 without σ′, or the update's sign."""
    import numpy as np

    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    i1, i2, t1 = 0.1, 0.5, 0.05
    out_h1 = sig(0.1 * i1 + 0.3 * i2 + 0.25) + out_h1_shift
    out_h2 = sig(0.2 * i1 + 0.4 * i2 + 0.25)
    net_o1 = 0.5 * out_h1 + 0.6 * out_h2 + 0.35
    out_o1 = sig(net_o1)
    de_dout = out_o1 - t1
    delta = de_dout * (out_o1 * (1 - out_o1) if sigma_prime else 1.0)
    grad = delta * out_h1
    new = 0.5 + sign * 0.6 * grad
    return [out_h1, net_o1, out_o1, de_dout, delta, grad, new]


def test_grade_finds_every_planted_mistake_and_credits_carried_work(tmp_path) -> None:
    """30 students from hand calculations: a wrong out[h1] (then right for it), δ without σ′
    (then right for it), or the update's sign; each root found, all else full credit."""
    planted = {}
    rows = [["student", *COLUMNS]]
    for k in range(30):
        kind = k % 3
        if kind == 0:
            numbers = _dawood_by_hand(out_h1_shift=0.01 * (k + 3))
            planted[f"s{k}"] = ("out[h1]", None)
        elif kind == 1:
            numbers = _dawood_by_hand(sigma_prime=False)
            planted[f"s{k}"] = ("delta[o1]", "dout/dnet")
        else:
            numbers = _dawood_by_hand(sign=1.0)
            planted[f"s{k}"] = ("new[w5]", "sign")
        rows.append([f"s{k}", *(f"{v:.5f}" for v in numbers)])
    sheet = tmp_path / "answers.csv"
    sheet.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    spec = str(CONFIGS / "dawood.yaml")
    report = json.loads(_out(["grade", spec, str(sheet), "-f", "json"]))
    assert len(report["students"]) == 30
    for s in report["students"]:
        where, name = planted[s["student"]]
        (root,) = s["root_mistakes"]
        assert root["id"] == where, s
        if name:
            assert name in root["mistake"], s
        assert s["credit"] == s["total"] - 1 == len(COLUMNS) - 1, s
    assert report["wrong"] == {"out[h1]": 10, "delta[o1]": 10, "new[w5]": 10}
    table = _out(["grade", spec, str(sheet), "--width", "200"])
    assert "carried forward" in table and "s29" in table
    gradebook = _out(["grade", spec, str(sheet), "-f", "csv"]).splitlines()
    assert gradebook[0].startswith("student,credit,total") and len(gradebook) == 31


@pytest.mark.parametrize(
    ("sheet", "words"),
    [
        ("student,new[w9]\na,0.4\n", "column 2"),
        ("student,new[w5]\na,lots\n", "not a number"),
        ("student,new[w5]\na,1e-1000\n", "more than 340 decimals"),  # was exit 3
        ("student,new[w5]\na,1e400\n", "not a finite number"),
        ("", "no answers"),
        ("student,new[w5],new_w5\na,0.45187,0.1\n", "is new[w5] again (column 2)"),
        ("new[w5],out[h1]\n0.45187,0.60108\n", "the first column holds the students' names"),
        ("student,new[w5]\na,0.45187,0.6\n", "row 2 has 3 cells, the header names 2"),
        # an id with a comma, unquoted: the csv module cuts it in two columns
        ("student,de_dout[h1,o1]\na,0.0667,\n", 'one column only in quotes: "de_dout[h1,o1]"'),
        # a Latin-1 é (0xE9, written here as the surrogate that keeps it a byte)
        ("student,new[w5]\nJos\udce9,0.45187\n", "answers.csv:2:4: byte 0xE9 (at byte offset 19)"),
    ],
)
def test_a_bad_sheet_is_one_line(tmp_path, sheet: str, words: str) -> None:
    path = tmp_path / "answers.csv"
    path.write_bytes(sheet.encode("utf-8", "surrogateescape"))
    result = CliRunner().invoke(app, ["grade", str(CONFIGS / "dawood.yaml"), str(path)])
    assert result.exit_code == 2 and words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("{bad", "not JSON (Expecting property name enclosed in double quotes: line 1 column 2"),
        ('{"versions": [{"number": 1}]}', "JSON, but not a bank's"),
        ("[1, 2]", "JSON, but not a bank's"),
        ('{"versions": [{"number": 1, "seed": 2, "spec": null}]}', "JSON, but not a bank's"),
        ('{"versions": []}', "JSON, but not a bank's"),  # it said "no version 'None'"
    ],
)
def test_a_key_that_is_not_a_banks_json_says_what_it_is(tmp_path, key: str, words: str) -> None:
    """Said in words, never by an exception's name (it was "(KeyError)")."""
    (tmp_path / "bank.json").write_text(key, encoding="utf-8")
    (tmp_path / "sheet.csv").write_text("student,version,new[w5]\na,1,0.4\n", encoding="utf-8")
    args = ["grade", str(tmp_path / "bank.json"), str(tmp_path / "sheet.csv")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and words in result.stderr, result.stderr
    assert "Error)" not in result.stderr


def test_grade_a_class_that_took_different_versions(tmp_path) -> None:
    """The key is the bank's JSON; each row's `version` names its version (number or seed):
    every student right for their own version, one with a planted wrong answer."""
    bank = tmp_path / "bank.json"
    _out(["bank", "2-2-1", "--versions", "3", "--seed", "8", "-f", "json", "-o", str(bank)])
    document = json.loads(bank.read_text(encoding="utf-8"))
    ids = ["out[h1]", "delta[o1]", "new[w_o1_h1]"]
    rows = [["student", "version", *ids]]
    for k, version in enumerate(document["versions"]):
        answers = {q["id"]: q["answer"] for q in version["questions"]}
        written = [f"{answers[key]:.4f}" for key in ids]
        if k == 2:
            written[1] = f"{answers['delta[o1]'] + 0.1:.4f}"  # wrong, and new[w] not from it
        which = str(version["number"] if k != 1 else version["seed"])
        rows.append([f"s{k}", which, *written])
    sheet = tmp_path / "answers.csv"
    sheet.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    report = json.loads(_out(["grade", str(bank), str(sheet), "-f", "json"]))
    credit = {s["student"]: s["credit"] for s in report["students"]}
    assert credit == {"s0": 3, "s1": 3, "s2": 2}
    assert report["wrong"] == {"delta[o1]": 1}
    rows[1][1] = "99"
    sheet.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["grade", str(bank), str(sheet)])
    assert result.exit_code == 2 and "no version '99'" in result.stderr


def test_the_readmes_class_sheet_grades_as_it_shows(in_root) -> None:
    """README: `grade configs/dawood.yaml tests/data/sheets/dawood-class.csv`, a sheet with
    one student right, one with the update's sign, one without σ′ who carries it forward."""
    args = ["grade", "configs/dawood.yaml", "tests/data/sheets/dawood-class.csv", "-f", "json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    students = {s["student"]: s for s in json.loads(result.stdout)["students"]}
    assert (students["Ada"]["credit"], students["Ada"]["root_mistakes"]) == (5, [])
    assert {m["mistake"] for m in students["Ben"]["root_mistakes"]} == {
        "the update's sign (new = old + η × grad)"
    }
    assert students["Cy"]["carried_forward"] and students["Cy"]["credit"] == 2


@pytest.mark.parametrize(("cell", "words"), [("7", "no version '7'"), ("", "no version given")])
def test_a_bad_version_cell_is_said_at_its_row_of_the_sheet(tmp_path, cell, words) -> None:
    """The sheet is wrong there, not the bank (it named bank.json, without a line)."""
    bank = tmp_path / "bank.json"
    _out(["bank", "2-2-1", "--versions", "2", "--seed", "8", "-f", "json", "-o", str(bank)])
    sheet = tmp_path / "answers.csv"
    sheet.write_text(f"student,version,out[h1]\na,1,0.5\nb,{cell},0.5\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["grade", str(bank), str(sheet)])
    assert result.exit_code == 2 and words in result.stderr
    assert result.stderr.startswith(f"error: {sheet}:3: ")


def test_a_class_with_no_mistakes_says_none(tmp_path) -> None:
    """Not two empty tables."""
    sheet = tmp_path / "answers.csv"
    sheet.write_text("student,new[w5]\nAda,0.45187\n", encoding="utf-8")
    args = ["grade", str(CONFIGS / "dawood.yaml"), str(sheet), "--width", "200"]
    output = CliRunner().invoke(app, args).stdout
    assert "The most common named mistakes: none" in output
    assert "(a mistake of their own there): none" in output


def test_an_answer_too_coarse_to_tell_gets_no_credit(tmp_path) -> None:
    """The starting weights as the updated ones, at 1 decimal: right when rounded, and the
    update left out alike; no credit, and the report says which mistake it could be."""
    sheet = tmp_path / "answers.csv"
    sheet.write_text(
        "student,new[w5],new[w1],new[w6]\nann,0.5,0.1,0.55073\nbob,0.45187,0.09933,0.55073\n",
        encoding="utf-8",
    )
    report = json.loads(_out(["grade", str(CONFIGS / "dawood.yaml"), str(sheet), "-f", "json"]))
    ann, bob = report["students"]
    assert (ann["credit"], bob["credit"]) == (1, 3)
    assert [r["id"] for r in ann["root_mistakes"]] == ["new[w1]", "new[w5]"]
    assert {r["verdict"] for r in ann["root_mistakes"]} == {"coarse"}


def test_the_class_counts_list_a_tie_in_the_order_the_sheet_shows_it(in_root) -> None:
    """Every quantity wrong for one student is a tie: listed as the sheet's students show
    them (Sam's SSE in hand-calculation order, then Ola's copied slope), the same in every
    run. The counts were updated from sets, so a tie's order was the string hash's, which
    Python seeds anew in each process (loss[o1], de_dout[o2], loss[o2], ...)."""
    args = ["grade", "configs/dawood.yaml", "tests/data/sheets/dawood-ties.csv", "-f", "json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert list(report["wrong"].items()) == [
        ("loss[o1]", 1),
        ("loss[o2]", 1),
        ("de_dout[o1]", 1),
        ("de_dout[o2]", 1),
        ("dout_dnet[o1]", 1),
        ("dout_dnet[o2]", 1),
    ]
    assert list(report["mistakes"]) == [
        "SSE instead of half SSE",
        "out in place of the derivative out × (1 − out)",
    ]
