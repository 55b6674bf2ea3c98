"""`bank`: the Moodle XML has what Moodle's importer reads (a category, then a cloze question
per version whose every NUMERICAL part carries the engine's answer, its tolerance and feedback,
and the named mistakes' answers at 0%); 50 versions repeat byte for byte from one seed, share
no numbers, and each passes gradcheck."""

from __future__ import annotations

import base64
import json
import re
import xml.etree.ElementTree as ET

import pytest
from conftest import CONFIGS
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.teach.bank import from_shape, given_numbers, make_bank
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
        picture = text.find("file")  # the network, embedded as Moodle embeds a file
        assert picture.get("name") == "network.svg" and picture.get("encoding") == "base64"
        svg = ET.fromstring(base64.b64decode(picture.text).decode("utf-8"))
        assert svg.tag.endswith("svg")
        assert "@@PLUGINFILE@@/network.svg" in text.findtext("text")
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
    bank = make_bank(from_shape(settings, "exam"), 50, 11, "exam")
    numbers = [given_numbers(v.spec) for v in bank.versions]
    assert len(set(numbers)) == 50
    for v in bank.versions:
        assert all(c.passed for c in gradcheck(v.spec)), v.seed
    args = ["bank", "2-2-2", "--versions", "50", "--seed", "11", "-f", "moodle"]
    assert _out(args) == _out(args)


def test_a_learning_rate_past_1e154_is_drawn_without_overflow(tmp_path) -> None:
    """η² of the "learning rate applied twice" slip is inf there, as the arrays give it (a
    float's ** raised OverflowError: exit 3)."""
    out = tmp_path / "bank.json"
    args = ["bank", "2-2-2", "--learning-rate", "1e200", "--versions", "2", "-f", "json"]
    result = CliRunner().invoke(app, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert len(json.loads(out.read_text(encoding="utf-8"))["versions"]) == 2


def test_a_file_none_of_whose_draws_will_do_says_why_and_what_to_change(
    tmp_path, monkeypatch
) -> None:
    """With two display digits, the hidden layer's gradients (about 0.001) show as 0: the line
    says so, and names the setting to change (it said to widen the ranges, which cannot help)."""
    from backprop_tutor.teach import redraw

    monkeypatch.setattr(redraw, "MAX_DRAWS", 20)
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "net.yaml"
    dawood = (CONFIGS / "dawood.yaml").read_text(encoding="utf-8")
    spec.write_text(re.sub(r"^display: .*$", "display: {digits: 2}", dawood, flags=re.M), "utf-8")
    result = CliRunner().invoke(app, ["bank", str(spec), "-f", "json", "-o", "bank.json"])
    assert result.exit_code == 2
    assert "20 had a vanishing gradient" in result.stderr
    assert "more than its 2 display digits" in result.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["bank", "2-x-2"], "SHAPE"),
        (["bank", "2-2-2", "--activations", "sigmoid,tanh,relu"], "--activations"),
        (["bank", "2-2-2", "--loss", "hinge"], "--loss"),
        (["bank", "2-2-2", "-f", "markdown"], "--format"),
        (["bank", "2-2-2", "-f", "latex"], "-o exam.tex"),
    ],
)
def test_bad_bank_options_are_one_line(args: list[str], words: str) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and words in result.stderr
    assert "Traceback" not in result.stderr


# -- grade ---------------------------------------------------------------------------------------
def test_the_exam_in_versions_compiles_with_its_answer_key(tmp_path) -> None:
    from test_exports import _pdflatex, _pdftotext

    exam = tmp_path / "exam.tex"
    _out(["bank", "2-2-1", "--versions", "3", "--seed", "5", "-f", "latex", "-o", str(exam)])
    key = tmp_path / "exam-answers.tex"
    for path, what in ((exam, "exam"), (key, "answer key")):
        source = path.read_text(encoding="utf-8")
        assert source.count("\\newpage") == 2  # each version on its own page
        folder = tmp_path / what.replace(" ", "_")
        folder.mkdir()
        text = " ".join(_pdftotext(_pdflatex(source, folder)).split())
        for k, seed in enumerate((5 * 100_003 + 1, 5 * 100_003 + 2, 5 * 100_003 + 3), start=1):
            assert f"version {k} of 3, seed {seed} ({what})" in text


def _generated(folder, variant_seed: int):
    """The folder's server.py, loaded as PrairieLearn loads it, and one variant generated:
    (the module, the `data` it filled, the version it chose)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("server", folder / "server.py")
    server = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(server)  # type: ignore[union-attr]
    data: dict = {"variant_seed": variant_seed, "params": {}, "correct_answers": {}}
    server.generate(data)
    return server, data, server.VERSIONS[data["params"]["version"] - 1]


def test_the_prairielearn_server_grades_right_carried_and_wrong(tmp_path) -> None:
    """server.py, run here with a stub `data` as PrairieLearn calls it: generate, then grade
    a right answer, one right only for the student's own wrong answer above it, a wrong
    one, and a usual mistake's answer, named."""

    folder = tmp_path / "q"
    _out(
        ["bank", "2-2-2", "--versions", "4", "--seed", "2", "-f", "prairielearn", "-o", str(folder)]
    )
    info = json.loads((folder / "info.json").read_text(encoding="utf-8"))
    assert info["type"] == "v3" and info["uuid"] and info["title"]
    html = (folder / "question.html").read_text(encoding="utf-8")
    server, data, version = _generated(folder, variant_seed=6)
    assert "{{{params.picture}}}" in html and "{{{params.givens}}}" in html
    ET.fromstring(data["params"]["picture"])  # the network, inline: well-formed SVG
    assert data["params"]["picture"].startswith("<svg")
    ids = version["ids"]
    assert html.count("<pl-number-input") == len(ids) == len(data["correct_answers"])
    answers = {name: round(data["correct_answers"][name], 4) for name in ids.values()}
    answers[ids["out[h1]"]] = round(answers[ids["out[h1]"]] + 0.05, 4)  # wrong
    rule = version["rules"]["net[o1]"]
    own = [answers[ids[k]] if k in ids else version["values"][k] for k in rule["inputs"]]
    answers[ids["net[o1]"]] = round(server._apply(rule, own), 4)  # right for the wrong out[h1]
    submission = {"params": data["params"], "submitted_answers": answers, "partial_scores": {}}
    server.grade(submission)
    scores = {k: submission["partial_scores"][ids[k]]["score"] for k in ids}
    assert scores["out[h1]"] == 0
    assert scores["net[o1]"] == 1
    assert "carried forward" in submission["partial_scores"][ids["net[o1]"]]["feedback"]
    assert sum(scores.values()) == len(ids) - 1
    assert submission["score"] == pytest.approx((len(ids) - 1) / len(ids))
    # a usual mistake's answer, everything else right: wrong, and the mistake named
    name, ((mistake, value), *_) = next(iter(version["mistakes"].items()))
    right = {n: round(data["correct_answers"][n], 4) for n in ids.values()}
    slipped = {"params": data["params"], "submitted_answers": {**right, name: value}}
    slipped["partial_scores"] = {}
    server.grade(slipped)
    assert slipped["partial_scores"][name]["score"] == 0
    assert mistake in slipped["partial_scores"][name]["feedback"]
    assert len(version["mistakes"]) >= 5  # missing σ′, the updated weight, the sign, ...


def test_a_given_spec_is_drawn_again_with_its_names_and_ranges() -> None:
    """bank configs/dawood.yaml: Dawood's own names (w1..w8, b1, b2) in every version, each
    number in the span of the file's own, no two versions alike."""
    document = json.loads(
        _out(["bank", str(CONFIGS / "dawood.yaml"), "--versions", "5", "-f", "json"])
    )
    import yaml

    seen = set()
    for version in document["versions"]:
        spec = yaml.safe_load(version["spec"])
        weights = {
            name: w["value"] for layer in spec["layers"] for name, w in layer["weights"].items()
        }
        assert set(weights) == {f"w{k}" for k in range(1, 9)}
        assert all(0.1 <= w <= 0.8 for w in weights.values())
        assert all(0.05 <= t <= 0.95 for t in spec["targets"].values())
        seen.add(tuple(weights.values()))
        assert {q["id"] for q in version["questions"]} >= {"new[w5]", "delta[o1]"}
    assert len(seen) == 5


def test_the_qti_zip_is_a_canvas_quiz_drawing_one_version(tmp_path) -> None:
    """imsmanifest.xml names the assessment; the assessment is QTI 1.2's structure: a group
    (section) selecting one item, an item per version, a blank per quantity whose accepted
    texts hold the answer to the required decimals, each scored by a condition on them."""
    import zipfile

    from backprop_tutor.render.qti import accepted_texts

    qti = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
    path = tmp_path / "exam.zip"
    args = ["bank", "2-2-2", "--versions", "3", "--seed", "4", "-f", "qti", "-o", str(path)]
    _out(args)
    first = path.read_bytes()
    path.unlink()
    _out(args)
    assert path.read_bytes() == first  # the same bank, byte for byte
    document = json.loads(_out(["bank", "2-2-2", "--versions", "3", "--seed", "4", "-f", "json"]))
    with zipfile.ZipFile(path) as archive:
        manifest = ET.fromstring(archive.read("imsmanifest.xml"))
        resource, *pictures = manifest.iter(
            "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}resource"
        )
        assert resource.get("type") == "imsqti_xmlv1p2"
        href = next(iter(resource)).get("href")
        root = ET.fromstring(archive.read(href))
        assert [p.get("type") for p in pictures] == ["webcontent"] * 3
        svgs = [archive.read(p.get("href")) for p in pictures]  # each listed file is packed
    assert all(ET.fromstring(svg).tag == "{http://www.w3.org/2000/svg}svg" for svg in svgs)
    assert root.tag == f"{qti}questestinterop"
    group = root.find(f"{qti}assessment/{qti}section/{qti}section")
    assert group.findtext(f"{qti}selection_ordering/{qti}selection/{qti}selection_number") == "1"
    items = group.findall(f"{qti}item")
    assert len(items) == 3
    for item, version in zip(items, document["versions"], strict=True):
        fields = {
            f.findtext(f"{qti}fieldlabel"): f.findtext(f"{qti}fieldentry")
            for f in item.iter(f"{qti}qtimetadatafield")
        }
        assert fields["question_type"] == "fill_in_multiple_blanks_question"
        text = item.findtext(f"{qti}presentation/{qti}material/{qti}mattext")
        picture = f"$IMS-CC-FILEBASE$/backprop-tutor/network-{version['number']}.svg"
        assert f'src="{picture}"' in text
        assert "<table" in text and "learning rate" in text  # the Given table: the numbers
        responses = item.findall(f"{qti}presentation/{qti}response_lid")
        assert len(responses) == len(version["questions"]) == int(fields["points_possible"])
        labels = {}
        for response, asked in zip(responses, version["questions"], strict=True):
            texts = [
                label.findtext(f"{qti}material/{qti}mattext")
                for label in response.iter(f"{qti}response_label")
            ]
            printed = asked["feedback"].rpartition(" = ")[2]  # as the tables print it
            assert texts == accepted_texts(asked["answer"], 4, printed)
            assert f"{asked['answer']:.4f}".replace("-0.0000", "0.0000") in texts or any(
                abs(float(t) - asked["answer"]) <= 1e-4 for t in texts
            )
            labels[response.get("ident")] = {
                label.get("ident") for label in response.iter(f"{qti}response_label")
            }
        conditions = item.findall(f"{qti}resprocessing/{qti}respcondition")
        assert len(conditions) == len(responses)
        for condition in conditions:
            for equal in condition.iter(f"{qti}varequal"):
                assert equal.text in labels[equal.get("respident")]


def test_accepted_texts_hold_rounded_truncated_and_one_unit_either_side() -> None:
    from backprop_tutor.render.qti import accepted_texts

    texts = accepted_texts(0.60296, 4)
    assert {"0.6030", "0.603", "0.6029", "0.6031", "0.6028"} <= set(texts)


def test_prairielearn_grades_a_batch_normalized_exercise(tmp_path) -> None:
    """bank configs/batch-norm.yaml -f prairielearn: server.py replays batch normalization's
    rules (σ², x̂, δ by the short form): every right answer scores 1, and each of those
    rules, run on the right answers, gives its own answer (what carried-forward credit
    reads), so a student's own σ² carries into their x̂."""
    folder = tmp_path / "q"
    args = ["bank", str(CONFIGS / "batch-norm.yaml"), "--versions", "2", "-f", "prairielearn"]
    _out([*args, "-o", str(folder)])
    server, data, version = _generated(folder, variant_seed=0)
    ids = version["ids"]
    replayed = 0
    for key, rule in version["rules"].items():
        if rule["op"] in ("variance", "normalize", "batch_norm_delta"):
            x = [version["values"][k] for k in rule["inputs"]]
            assert server._apply(rule, x) == pytest.approx(version["values"][key], rel=1e-12)
            replayed += 1
    assert replayed >= 2 + 6 + 6  # σ² of two units, x̂ and δ of two units in 3 examples
    answers = {name: data["correct_answers"][name] for name in ids.values()}
    submission = {"params": data["params"], "submitted_answers": answers, "partial_scores": {}}
    server.grade(submission)
    assert submission["score"] == 1


def test_each_feedback_ends_in_the_value_as_the_tables_print_it(in_root, tmp_path) -> None:
    """Adam's v of 6.353e-09 at 5 digits: the feedback said 0.00000 (and the quiz too),
    where every table and run's JSON print 6.353e-09."""
    document = json.loads(_out(["bank", "configs/adam.yaml", "--versions", "1", "-f", "json"]))
    version = document["versions"][0]
    spec = tmp_path / "version.yaml"
    spec.write_text(version["spec"], encoding="utf-8")
    display = json.loads(_out(["run", str(spec), "-f", "json"]))["display"]
    ends = {q["id"]: q["feedback"].rpartition(" = ")[2] for q in version["questions"]}
    assert {key: display[key] for key in ends} == ends
    assert any("e-" in shown for key, shown in ends.items() if key.startswith("v["))


def test_a_shared_bias_over_softmax_does_not_stop_the_draws(tmp_path) -> None:
    """Its gradient is 0 in every draw (softmax(net + b) = softmax(net)): the bank drew
    10,000 times, then said 'give it more display digits', which could never help."""
    text = (CONFIGS / "dawood.yaml").read_text(encoding="utf-8")
    text = text.replace("loss: half_sse", "loss: cross_entropy")
    text = text.replace("targets: {o1: 0.05, o2: 0.95}", "targets: {o1: 0.2, o2: 0.8}")
    head, tail = text.split("  - units: [o1, o2]\n    activation: sigmoid")
    spec = tmp_path / "softmax.yaml"
    spec.write_text(head + "  - units: [o1, o2]\n    activation: softmax" + tail, encoding="utf-8")
    document = json.loads(_out(["bank", str(spec), "--versions", "2", "-f", "json"]))
    assert len(document["versions"]) == 2
