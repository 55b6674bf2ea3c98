"""`bank`'s right answers in each course system are the tables' numbers: a blank accepts the
value exactly as `run` prints it (1.0, 0.0), and no system is given or shows a signed zero.

Version 85 of `bank 2-2-2 --seed 1` has net[h2] = -2.8e-17, which the tables print as 0.0;
Canvas's blank held only -0.0001, -0.0000, -0 and 0.0001, so 0, 0.0 and 0.0000 were wrong.
"""

from __future__ import annotations

import importlib.util
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from conftest import CONFIGS
from typer.testing import CliRunner

from backprop_tutor.cli import app

QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
SIGNED_ZERO = re.compile(r"^-0*\.?0*$")
PART = re.compile(r"\{1:NUMERICAL:(.*?)(?<!\\)\}")
ANSWER = re.compile(r"(?:^=|~%\d+%)([^:]+):")


def _write(*args: str) -> None:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output, result.stderr)


@pytest.fixture(scope="module")
def noisy_zero(tmp_path_factory) -> Path:
    """The 85-version bank whose last version has -2.8e-17, in each format, in one folder."""
    folder = tmp_path_factory.mktemp("bank")
    args = ["bank", "2-2-2", "--versions", "85", "--seed", "1"]
    for format, name in (("json", "bank.json"), ("qti", "q.zip"), ("moodle", "m.xml")):
        _write(*args, "-f", format, "-o", str(folder / name))
    _write(*args, "-f", "prairielearn", "-o", str(folder / "pl"))
    return folder


def _printed(question: dict) -> str:
    """The value as the tables print it: the last term of the JSON's worked answer."""
    return question["feedback"].rpartition(" = ")[2]


def _blanks(package: Path) -> list[list[list[str]]]:
    """Each item's blanks, each blank's accepted texts, read from the QTI assessment."""
    with zipfile.ZipFile(package) as archive:
        name = next(n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".xml"))
        root = ET.fromstring(archive.read(name))
    return [
        [
            [
                label.findtext(f"{QTI}material/{QTI}mattext")
                for label in response.iter(f"{QTI}response_label")
            ]
            for response in item.iter(f"{QTI}response_lid")
        ]
        for item in root.iter(f"{QTI}item")
    ]


def _versions(document_path: Path) -> list[dict]:
    return json.loads(document_path.read_text(encoding="utf-8"))["versions"]


def test_a_canvas_blank_accepts_the_tables_number_and_no_signed_zero(noisy_zero) -> None:
    versions = _versions(noisy_zero / "bank.json")
    blanks = _blanks(noisy_zero / "q.zip")
    for version, item in zip(versions, blanks, strict=True):
        for question, texts in zip(version["questions"], item, strict=True):
            assert _printed(question) in texts, (version["seed"], question["id"], texts)
            assert not [t for t in texts if SIGNED_ZERO.match(t)], (question["id"], texts)
    net_h2 = [q["id"] for q in versions[84]["questions"]].index("net[h2]")
    assert versions[84]["questions"][net_h2]["answer"] == pytest.approx(0, abs=1e-15)
    assert {"0", "0.0", "0.0000"} <= set(blanks[84][net_h2])


def test_a_canvas_blank_accepts_a_whole_number_as_the_tables_print_it(tmp_path) -> None:
    """borela's output is linear: ∂y1/∂net is 1, printed 1.0; the blank held 1 and 1.0000."""
    args = ["bank", str(CONFIGS / "borela.yaml"), "--versions", "1"]
    _write(*args, "-f", "json", "-o", str(tmp_path / "b.json"))
    _write(*args, "-f", "qti", "-o", str(tmp_path / "b.zip"))
    (version,) = _versions(tmp_path / "b.json")
    item = _blanks(tmp_path / "b.zip")[0]
    ids = [q["id"] for q in version["questions"]]
    assert _printed(version["questions"][ids.index("dout_dnet[y1]")]) == "1.0"
    assert "1.0" in item[ids.index("dout_dnet[y1]")]


def test_moodle_states_the_tables_zero_not_a_float_s_noise(noisy_zero) -> None:
    """Moodle compares numbers, but shows its stored right answer: -2.77555756156e-17 was
    it; now the tables' 0.0, and no answer of any version is a signed zero."""
    root = ET.fromstring((noisy_zero / "m.xml").read_text(encoding="utf-8"))
    texts = [q.findtext("questiontext/text") for q in root.iter("question")][1:]
    versions = _versions(noisy_zero / "bank.json")
    for text, version in zip(texts, versions, strict=True):
        answers = [ANSWER.findall(part) for part in PART.findall(text)]
        assert len(answers) == len(version["questions"])
        assert not [a for part in answers for a in part if SIGNED_ZERO.match(a)]
    ids = [q["id"] for q in versions[84]["questions"]]
    last = [ANSWER.findall(part) for part in PART.findall(texts[84])]
    assert last[ids.index("net[h2]")][0] == "0.0"


def test_prairielearn_shows_no_signed_zero(noisy_zero) -> None:
    """PrairieLearn prints a right answer to the digits asked for ('{:.4f}'), which made
    -2.8e-17 '-0.0000'; a zero of the tables is shown 0.0000."""
    spec = importlib.util.spec_from_file_location("server", noisy_zero / "pl" / "server.py")
    server = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(server)  # type: ignore[union-attr]
    versions = _versions(noisy_zero / "bank.json")
    for stored, version in zip(server.VERSIONS, versions, strict=True):
        for question in version["questions"]:
            shown = f"{stored['answers'][stored['ids'][question['id']]]:.4f}"
            assert not SIGNED_ZERO.match(shown), (version["seed"], question["id"])
            assert float(shown) == pytest.approx(float(_printed(question)), abs=1.01e-4)
