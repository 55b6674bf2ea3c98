"""`bank`: the Moodle XML has what Moodle's importer reads (a category, then a cloze question
per version whose every NUMERICAL part carries the engine's answer, its tolerance and feedback,
and the named mistakes' answers at 0%); 50 versions repeat byte for byte from one seed, share
no numbers, and each passes gradcheck."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.teach.bank import given_numbers, make_bank
from backprop_tutor.teach.exercise import ExerciseSettings
from backprop_tutor.teach.gradcheck import gradcheck

PART = re.compile(r"\{1:NUMERICAL:(.*?)(?<!\\)\}")
ANSWER = re.compile(r"(?:^=|~%(\d+)%)(-?[\d.e+-]+):([\d.e+-]+)#((?:\\.|[^~\\])*)")


def _out(args: list[str]) -> str:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, (args, result.output, result.stderr)
    return result.stdout


@pytest.fixture(scope="module")
def bank_files() -> tuple[str, dict]:
    args = ["bank", "2-2-2", "--versions", "4", "--seed", "3"]
    return _out([*args, "-f", "moodle"]), json.loads(_out([*args, "-f", "json"]))


def test_the_moodle_xml_has_what_the_importer_reads(bank_files) -> None:
    xml, document = bank_files
    root = ET.fromstring(xml)
    assert root.tag == "quiz"
    category, *questions = root.findall("question")
    assert category.get("type") == "category"
    assert category.findtext("category/text").startswith("$course$/")
    assert len(questions) == len(document["versions"]) == 4
    for question, version in zip(questions, document["versions"], strict=True):
        assert question.get("type") == "cloze"
        assert question.findtext("name/text").endswith(f"(seed {version['seed']})")
        text = question.find("questiontext")
        assert text.get("format") == "html"
        assert question.findtext("generalfeedback/text")
        assert float(question.findtext("penalty")) >= 0 and question.findtext("hidden") == "0"
        parts = PART.findall(text.findtext("text"))
        assert len(parts) == len(version["questions"])
        for part, asked in zip(parts, version["questions"], strict=True):
            answers = ANSWER.findall(part)
            (first, *wrong) = answers
            assert float(first[1]) == pytest.approx(asked["answer"], rel=1e-11, abs=1e-15)
            assert float(first[2]) == pytest.approx(10.0**-4)  # one unit of the 4th decimal
            assert first[3] and asked["prompt"].replace("/", "\\/") in first[3]
            assert len(wrong) == len(asked["mistakes"])
            for (fraction, value, _, feedback), mistake in zip(
                wrong, asked["mistakes"], strict=True
            ):
                assert fraction == "0" and feedback.startswith("The mistake: ")
                assert float(value) == pytest.approx(mistake["answer"], rel=1e-11, abs=1e-15)
                assert abs(mistake["answer"] - asked["answer"]) > 2e-4


def test_the_answers_are_the_engines_and_the_mistakes_are_named(bank_files) -> None:
    _, document = bank_files
    kinds = {q["id"].partition("[")[0] for v in document["versions"] for q in v["questions"]}
    assert {"net", "out", "delta", "grad", "new"} <= kinds
    names = {
        m["mistake"] for v in document["versions"] for q in v["questions"] for m in q["mistakes"]
    }
    assert any("dout/dnet" in name for name in names)  # δ without σ′, check's mal-rule
    assert any("sign" in name for name in names)  # new = old + η grad


def test_fifty_versions_repeat_share_no_numbers_and_pass_gradcheck() -> None:
    settings = ExerciseSettings((2, 2, 2), ("sigmoid", "sigmoid"), seed=11)
    bank = make_bank(settings, 50, "exam")
    numbers = [given_numbers(v.spec) for v in bank.versions]
    assert len(set(numbers)) == 50
    for v in bank.versions:
        assert all(c.passed for c in gradcheck(v.spec)), v.seed
    args = ["bank", "2-2-2", "--versions", "50", "--seed", "11", "-f", "moodle"]
    assert _out(args) == _out(args)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["bank", "2-x-2"], "SHAPE"),
        (["bank", "2-2-2", "--activations", "sigmoid,tanh,relu"], "--activations"),
        (["bank", "2-2-2", "--loss", "hinge"], "--loss"),
        (["bank", "2-2-2", "-f", "latex"], "--format"),
    ],
)
def test_bad_bank_options_are_one_line(args: list[str], words: str) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and words in result.stderr
    assert "Traceback" not in result.stderr
