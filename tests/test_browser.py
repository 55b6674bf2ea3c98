"""The HTML and SVG exports in a real browser: Chromium from the system's packages (CI installs
it: `.ci/run`), driven by playwright with the system browser's path, so nothing downloads a
browser. The page shows 0.45187, makes no request beyond its own file, and has no horizontal
scroll at a laptop's width."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import CONFIGS
from typer.testing import CliRunner

from backprop_tutor.cli import app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [  # as this machine's Chromium needs them: no sandbox as root, no calls home
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/run installs it (apt-get install chromium)")
        pytest.skip("the system's chromium is not installed (CI installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


@pytest.mark.parametrize("format", ["html", "svg"])
def test_the_export_opens_offline_and_shows_new_w5(browser, tmp_path: Path, format: str) -> None:
    page_file = tmp_path / f"dawood.{format}"
    args = ["run", str(CONFIGS / "dawood.yaml"), "--format", format, "-o", str(page_file)]
    assert CliRunner().invoke(app, args).exit_code == 0
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(page_file.as_uri())
    page.wait_for_load_state("load")
    text = page.inner_text("body") if format == "html" else page.content()
    assert "0.45187" in text
    assert [url for url in requests if not url.startswith("file://")] == []
    page.screenshot(path=str(tmp_path / f"dawood-{format}.png"))
    if format == "html":
        scroll, width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll <= width, "the page scrolls sideways at 1280 px"
    page.close()
