"""`explore` in a real browser (the system's Chromium, driven by playwright; see test_browser.py):
the whole Dawood example stepped through with the keys, every number on the page one of the
trace's display values, the URL fragment, the quiz, two screen widths, every bundled config,
and a 300-parameter network stepped without lag."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import CONFIGS, GOLDEN, ROOT, wide_network
from test_browser import browser  # noqa: F401  (the fixture)
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.core.notation import NOTATIONS

DECIMAL = re.compile(r"\d+\.\d+")  # a sum writes a negative term's sign as its own: − 0.02929
CONFIG_NAMES = sorted(p.stem for p in CONFIGS.glob("*.yaml"))


def _page(spec: Path, tmp_path: Path, *options: str) -> Path:
    page = tmp_path / f"{spec.stem}{'-'.join(options)}.html"
    result = CliRunner().invoke(app, ["explore", str(spec), "-o", str(page), *options])
    assert result.exit_code == 0, result.output
    return page


def _display(spec: Path) -> tuple[dict, set[str]]:
    """The JSON's display strings by id, and every number the page may show: those, and the
    settings the rules are written with (η, α)."""
    document = json.loads(CliRunner().invoke(app, ["run", str(spec), "-f", "json"]).stdout)
    allowed = set(document["display"].values())
    header = document["header"]
    from backprop_tutor.core.numbers import NumberFormat

    n = NumberFormat(header["digits"], header["rounding"], header["fixed"]).format
    allowed |= {n(header["learning_rate"]), n(header["momentum"])}
    return document["display"], {number.lstrip("-") for number in allowed}


@pytest.fixture
def opened(browser, tmp_path):  # noqa: F811
    pages = []

    def open_page(page_file: Path, width: int = 1280):
        page = browser.new_page(viewport={"width": width, "height": 800})
        errors: list[str] = []
        requests: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("request", lambda request: requests.append(request.url))
        page.goto(page_file.as_uri())
        pages.append((page, errors, requests))
        return page

    yield open_page
    for page, errors, requests in pages:
        assert errors == [], errors
        assert [url for url in requests if not url.startswith("file://")] == []
        page.close()


def test_dawood_stepped_through_shows_every_number_of_the_trace(opened, tmp_path) -> None:
    spec = CONFIGS / "dawood.yaml"
    page_file = _page(spec, tmp_path)
    assert page_file.stat().st_size < 200_000
    display, allowed = _display(spec)
    page = opened(page_file)
    total = int(page.inner_text("#count").split("/")[1])
    seen = {}
    for i in range(total):
        shown_id = page.inner_text("#id")
        result = page.inner_text("#result").removeprefix("= ")
        assert result == display[shown_id], shown_id
        assert set(DECIMAL.findall(page.inner_text("#working"))) <= allowed, shown_id
        seen[shown_id] = result
        if i + 1 < total:
            page.keyboard.press("ArrowRight")
    assert seen["new[w5]"] == "0.45187" and len(seen) == total
    assert set(DECIMAL.findall(page.text_content("#picture") or "")) <= allowed


def test_the_fragment_links_to_a_step_and_the_keys_move_it(opened, tmp_path) -> None:
    page = opened(_page(CONFIGS / "dawood.yaml", tmp_path))
    page.goto(page.url.split("#")[0] + "#grad%5Bw1%5D")
    assert page.inner_text("#id") == "grad[w1]"
    page.keyboard.press("ArrowLeft")
    # the page's own hash at once; Playwright's page.url follows it a beat later on a busy
    # machine, so the test asks the page
    page.wait_for_function("location.hash === '#path%5Bw1%2Co2%5D'", timeout=10_000)
    assert page.evaluate("location.hash") == "#path%5Bw1%2Co2%5D"
    page.keyboard.press("ArrowRight")
    assert page.inner_text("#id") == "grad[w1]"
    page.click("text[data-label='e:w5']")
    assert "0.45187" in page.inner_text("#listing")  # everything computed for w5


def test_the_quiz_takes_a_right_answer_and_explains_a_wrong_one(opened, tmp_path) -> None:
    page = opened(_page(CONFIGS / "dawood.yaml", tmp_path))
    page.goto(page.url.split("#")[0] + "#out%5Bh1%5D")
    page.check("#try")
    assert page.inner_text("#result") == ""  # asked before it is shown
    page.fill("#answer", "0.60108")
    page.click("#quiz button")
    assert page.get_attribute("#verdict", "class") == "right"
    page.keyboard.press("ArrowRight")
    page.fill("#answer", "0.7")
    page.click("#quiz button")
    assert page.get_attribute("#verdict", "class") == "wrong"
    assert "0.5 × 0.4" in page.inner_text("#working")  # the working, numbers plugged in
    assert page.inner_text("#result") == "= 0.47"


@pytest.mark.parametrize("width", [1280, 375])
def test_no_sideways_scroll_at_a_laptop_or_a_phone(
    opened, tmp_path, width, request, in_root
) -> None:
    page = opened(_page(Path("configs/dawood.yaml"), tmp_path), width)  # as a user names it
    page.goto(page.url.split("#")[0] + "#new%5Bw5%5D")
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner
    shot = tmp_path / f"explore-{width}.png"
    if width == 1280 and request.config.getoption("--update-golden"):
        shot = GOLDEN / "explore-dawood.png"  # the README's picture, made by this test
    page.screenshot(path=str(shot))


@pytest.mark.parametrize(
    ("name", "notation"),
    [(name, None) for name in CONFIG_NAMES] + [("dawood", n) for n in NOTATIONS],
)
def test_every_config_in_every_notation_opens_and_steps(opened, tmp_path, name, notation):
    options = ("--notation", notation) if notation else ()
    page = opened(_page(CONFIGS / f"{name}.yaml", tmp_path, *options))
    total = int(page.inner_text("#count").split("/")[1])
    page.keyboard.press("End")  # not a key of the page: nothing happens
    page.fill("#slider", str(total - 1))
    assert page.inner_text("#count").startswith(f"{total} /")


def test_a_300_parameter_network_steps_without_lag(opened, tmp_path) -> None:
    spec = wide_network(tmp_path, (10, 18, 5))  # 293 weights and biases
    page = opened(_page(spec, tmp_path))
    per_step = page.evaluate(
        """() => {
          const start = performance.now();
          for (let i = 0; i < 100; i++) {
            document.dispatchEvent(new KeyboardEvent("keydown", {key: "ArrowRight"}));
          }
          return (performance.now() - start) / 100;
        }"""
    )
    assert per_step < 50, f"{per_step:.1f} ms a step"


def test_chosen_training_updates_are_steps_of_the_page(opened, tmp_path) -> None:
    """`--trace-steps` as `train` takes it: those updates, each batch example and the update."""
    spec = CONFIGS / "xu-mini-batch.yaml"
    page = opened(_page(spec, tmp_path, "--trace-steps", "1,3"))
    trained = json.loads(
        CliRunner().invoke(app, ["train", str(spec), "--trace-steps", "1,3", "-f", "json"]).stdout
    )
    total = int(page.inner_text("#count").split("/")[1])
    page.fill("#slider", str(total - 1))
    last = page.inner_text("#id")
    assert last.endswith("@3") and last.startswith("new[")
    from backprop_tutor.core.numbers import NumberFormat

    header = trained["header"]
    n = NumberFormat(header["digits"], header["rounding"], header["fixed"]).format
    assert page.inner_text("#result") == f"= {n(trained['traced'][last])}"


def test_an_answer_right_for_a_wrong_earlier_one_is_carried(opened, tmp_path) -> None:
    """As `check` carries an error forward: a gradient right for the student's own δ."""
    page = opened(_page(CONFIGS / "dawood.yaml", tmp_path))
    page.goto(page.url.split("#")[0] + "#delta%5Bo1%5D")
    page.check("#try")
    page.fill("#answer", "0.13")  # δ_o1 is 0.13342
    page.click("#quiz button")
    assert page.get_attribute("#verdict", "class") == "wrong"
    page.goto(page.url.split("#")[0] + "#grad%5Bw5%5D")
    page.fill("#answer", "0.07814")  # 0.13 × out_h1 (0.60108); the exact is 0.08020
    page.click("#quiz button")
    assert page.get_attribute("#verdict", "class") == "carried"
    assert "δ_o1" in page.inner_text("#verdict")


CALCULATOR = ROOT / "tests" / "data" / "calculator" / "mitchell-four-decimals.yaml"


@pytest.mark.parametrize(
    ("gradient", "new", "verdict"),
    [
        # Δw = 0.5 × 0.05 = 0.025, written 0.03, then -0.2 + 0.03: the hand calculation's own
        ("-0.05", "-0.17", "carried"),
        ("-0.07", "-0.16", "carried"),  # 0.035 written 0.04
        ("-0.07", "-0.17", "wrong"),  # carry(-0.2 + 0.035): the sum carried, its Δ not
        ("-0.07", "-0.165", "wrong"),  # nothing carried
    ],
)
def test_an_update_carried_forward_carries_its_change_first(
    opened, tmp_path, gradient, new, verdict
) -> None:
    """Under calculator arithmetic the page replays an update as the engine makes it (Δw
    carried before it is added): at four decimals shown, one unit of the last digit is finer
    than a carried unit, so only the carried value itself is right for the student's own ∂E/∂w."""
    trace = json.loads(CliRunner().invoke(app, ["run", str(CALCULATOR), "-f", "json"]).stdout)
    assert trace["values"]["new[w_o1_h2]"] == -0.18  # the engine: 0.015 written 0.02
    page = opened(_page(CALCULATOR, tmp_path))
    page.goto(page.url.split("#")[0] + "#grad%5Bw_o1_h2%5D")
    page.check("#try")
    page.fill("#answer", gradient)  # ∂E/∂w_o1_h2 is -0.03
    page.click("#quiz button")
    assert page.get_attribute("#verdict", "class") == "wrong"
    page.goto(page.url.split("#")[0] + "#new%5Bw_o1_h2%5D")
    page.fill("#answer", new)
    page.click("#quiz button")
    assert page.get_attribute("#verdict", "class") == verdict, page.inner_text("#verdict")


def test_a_title_that_opens_a_comment_and_a_script_leaves_the_page_working(
    opened, tmp_path
) -> None:
    """`<!--<script>` in a title put the tokenizer where `</script>` ends nothing: the page
    was blank and dead (only `</` was escaped in the data)."""
    title = "x <!--<script> y </script> z"
    text = (CONFIGS / "dawood.yaml").read_text(encoding="utf-8")
    spec = tmp_path / "titled.yaml"
    spec.write_text(re.sub(r"(?m)^title:.*$", f"title: '{title}'", text), encoding="utf-8")
    page = opened(_page(spec, tmp_path))
    assert title in page.inner_text("#heading")
    assert int(page.inner_text("#count").split("/")[1]) > 50


# every text and circle of the picture as the browser lays it out: [kind, x, y, width, height]
_SHAPES = """() => [...document.querySelectorAll('#picture text, #picture circle')].map((e) => {
  const b = e.getBBox();
  const kind = e.tagName === 'circle' ? 'circle' : e.classList.contains('label') ? 'label' : 'text';
  return [kind, b.x, b.y, b.width, b.height];
})"""


@pytest.mark.parametrize("name", CONFIG_NAMES)
@pytest.mark.parametrize("where", ["page", "bank"])
def test_no_weight_label_covers_another_or_a_unit(opened, tmp_path, name, where) -> None:
    """As the browser draws them (its own font), on the explore page and on a question bank's
    picture (network_svg): each weight's label apart from every other label, every circle and
    every line under a unit. Borela's w13 and w21 labels crossed, and Xu's softmax had three
    pairs on each other; the picture now spreads out until none do."""
    if where == "page":
        page = opened(_page(CONFIGS / f"{name}.yaml", tmp_path))
    else:
        from dataclasses import replace

        from backprop_tutor.record import run
        from backprop_tutor.render.network_svg import network_svg
        from backprop_tutor.spec import load_spec

        trace = run(replace(load_spec(CONFIGS / f"{name}.yaml"), steps=1, tests=()))
        picture = tmp_path / f"{name}.svg"
        picture.write_text(network_svg(trace), encoding="utf-8")
        page = opened(picture)
    shapes = page.evaluate(_SHAPES.replace("#picture ", ""))
    if name == "xu-vanishing" and where == "bank":  # 174 weights: no room at any spread
        pytest.skip("past the widest spread the labels are staggered, as before")
    labels = [s[1:] for s in shapes if s[0] == "label"]
    others = [s[1:] for s in shapes if s[0] != "label"]

    def apart(a, b) -> bool:  # two boxes that at most touch
        return (
            a[0] + a[2] <= b[0] or b[0] + b[2] <= a[0] or a[1] + a[3] <= b[1] or b[1] + b[3] <= a[1]
        )

    for i, label in enumerate(labels):
        assert all(apart(label, other) for other in labels[i + 1 :]), label
        # a circle's or a unit's text box: its unit's name sits inside its circle
        assert all(apart(label, other) for other in others), label


def test_the_layout_spreads_for_labels_only_where_they_are_drawn(tmp_path) -> None:
    """Past LABELLED_EDGES weights the page shows a label on hover only: it lays the network
    out once, placing none (the spreads cost 4 label placements for nothing); a bank's picture,
    which has no hover, still places every label, and Dawood's page places its own."""
    from dataclasses import replace

    from backprop_tutor.record import run
    from backprop_tutor.render.explore import LABELLED_EDGES, _Page
    from backprop_tutor.spec import load_spec

    def picture(path: Path, every_label: bool) -> dict:
        trace = run(replace(load_spec(path), steps=1, tests=()))
        return _Page(trace, None).picture(every_label=every_label)

    wide = wide_network(tmp_path, (3, 10, 2))  # 50 weights: a spread has room for them all
    page, bank = picture(wide, False), picture(wide, True)
    assert len(page["edges"]) > LABELLED_EDGES
    assert not page["labelled"] and not any("lx" in e for e in page["edges"])
    assert bank["labelled"] and all("lx" in e for e in bank["edges"])
    dawood = picture(CONFIGS / "dawood.yaml", False)
    assert dawood["labelled"] and all("lx" in e for e in dawood["edges"])


def test_a_wide_picture_takes_the_row_and_the_panel_goes_below(opened, tmp_path) -> None:
    """At a laptop's width a 3-3-2-2 network's picture is whole on screen: the side panel
    wraps below it rather than squeezing it into a column that scrolls (the output units were
    off to the right behind a scroll bar, half the page empty)."""
    page = opened(_page(wide_network(tmp_path, (3, 3, 2, 2)), tmp_path), width=1300)
    network, side = page.evaluate(
        """() => ['network', 'side'].map((id) => {
          const e = document.getElementById(id), box = e.getBoundingClientRect();
          return {scroll: e.scrollWidth, client: e.clientWidth, top: box.top, bottom: box.bottom};
        })"""
    )
    assert network["scroll"] <= network["client"], network
    assert side["top"] >= network["bottom"] - 1, (network, side)


def test_the_pages_sum_is_pythons_fsum(browser) -> None:  # noqa: F811
    """A carried-forward answer is recomputed by the page as the engine's rules compute it:
    Σ exactly rounded (math.fsum). A left-to-right sum gave −1 + 0.02 + 0.045 =
    −0.9349999999999999, carried to −0.93 where the rules carry −0.935 to −0.94."""
    import math
    import random

    script = (ROOT / "backprop_tutor" / "render" / "explore.js").read_text(encoding="utf-8")
    source = re.search(r"\n  function fsum\(values\) \{\n.*?\n  \}\n", script, re.S)
    assert source, "explore.js has no fsum"
    rng = random.Random(0)
    cases = [[-1.0, 0.02, 0.045], [1e100, 1.0, -1e100], [0.1] * 10, []]
    for _ in range(300):
        size = rng.randint(1, 8)
        cases.append(
            [rng.choice([1, -1]) * rng.random() * 10 ** rng.randint(-8, 8) for _ in range(size)]
        )
        cases.append([round(rng.uniform(-1, 1), rng.randint(1, 3)) for _ in range(size)])
    page = browser.new_page()
    got = page.evaluate(f"(cases) => {{ {source.group(0)}; return cases.map(fsum); }}", cases)
    assert got == [math.fsum(case) for case in cases]
