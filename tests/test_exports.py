"""LaTeX and Markdown of the derivations: the LaTeX compiles with pdflatex, and pdftotext reads
its text back (in CI both must run)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import CONFIGS
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.render.math_doc import tex_name
from backprop_tutor.symbolic.names import derivation_names


def _export(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output + result.stderr
    return result.output


def _pdflatex(source: str, tmp_path: Path) -> Path:
    if shutil.which("pdflatex") is None:
        if os.environ.get("CI"):
            pytest.fail("pdflatex is missing in CI: .ci/run installs texlive-latex-base")
        pytest.skip("pdflatex is not installed (CI installs it)")
    (tmp_path / "doc.tex").write_text(source, encoding="utf-8")
    result = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    return tmp_path / "doc.pdf"


def _pdftotext(pdf: Path) -> str:
    """The PDF's text, as a reader copying it would get it (poppler's pdftotext)."""
    if shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext is missing in CI: .ci/run installs poppler-utils")
        pytest.skip("pdftotext is not installed (CI installs poppler-utils)")
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


def test_dawood_derivation_latex_compiles(in_root, tmp_path: Path) -> None:
    source = _export("run", "configs/dawood.yaml", "--symbolic", "--format", "latex")
    assert r"\begin{aligned}" in source and "0.08020" in source and "0.45187" not in source
    assert (
        r"\left(\mathrm{output}_{\mathrm{o1}} - \mathrm{target}_{1}\right) "
        r"\mathrm{output}_{\mathrm{o1}} \left(1 - \mathrm{output}_{\mathrm{o1}}\right) "
        r"\mathrm{output}_{\mathrm{h1}}" in source
    )
    assert _pdflatex(source, tmp_path).read_bytes()[:5] == b"%PDF-"


@pytest.mark.parametrize("name", derivation_names())
def test_derive_latex_compiles(name: str, tmp_path: Path) -> None:
    """Every derivation `derive` knows (activations, losses, optimizers, penalties) compiles."""
    source = _export("derive", name, "--format", "latex")
    assert _pdflatex(source, tmp_path).exists()


def test_borela_latex_compiles(in_root, tmp_path: Path) -> None:
    source = _export("run", "configs/borela.yaml", "--symbolic", "--format", "latex")
    assert "w_{11}^{(2)}" in source
    assert _pdflatex(source, tmp_path).exists()


def test_markdown_has_math_blocks(in_root) -> None:
    text = _export(
        "run", "configs/dawood.yaml", "--symbolic", "--only", "w1", "--format", "markdown"
    )
    assert text.startswith("# 2-2-2 sigmoid network")
    assert "$$\n\\begin{aligned}" in text and "0.00110" in text


@pytest.mark.parametrize("format", ["text", "json", "markdown", "latex", "html", "svg"])
def test_each_format_of_the_dawood_tables(format: str, in_root, tmp_path: Path) -> None:
    path = tmp_path / f"dawood.{format}"
    _export("run", "configs/dawood.yaml", "--format", format, "--output", str(path))
    content = path.read_text(encoding="utf-8")
    if format in ("markdown", "html", "text", "json", "latex"):
        assert "0.45187" in content
    if format == "markdown":
        assert "| w5 (h1→o1) |" in content and "---:" in content
    if format == "latex":
        assert r"\toprule" in content
        assert _pdflatex(content, tmp_path).exists()
    if format == "svg":
        import xml.etree.ElementTree as ElementTree

        assert ElementTree.fromstring(content).tag.endswith("svg")  # it opens as an image
    if format == "html":
        assert content.lstrip().lower().startswith("<!doctype html")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_output_never_overwrites_without_force(in_root, tmp_path: Path) -> None:
    path = tmp_path / "mine.md"
    path.write_text("my notes", encoding="utf-8")
    for command in (["run", "configs/dawood.yaml"], ["derive", "sigmoid"]):
        result = CliRunner().invoke(app, [*command, "--format", "markdown", "--output", str(path)])
        assert result.exit_code == 2 and "--force" in result.stderr
        assert path.read_text(encoding="utf-8") == "my notes"
    _export("run", "configs/dawood.yaml", "--format", "markdown", "--output", str(path), "--force")
    assert "0.45187" in path.read_text(encoding="utf-8")


def test_derive_and_symbolic_in_html(in_root) -> None:
    html = _export("derive", "sigmoid", "--format", "html")
    assert "σ(x)·(1 − σ(x))" in html
    html = _export("run", "configs/dawood.yaml", "--symbolic", "--only", "w5", "--format", "html")
    assert "0.08020" in html


@pytest.mark.parametrize(
    ("name", "tex"),
    [
        ("output_o1", r"\mathrm{output}_{\mathrm{o1}}"),
        ("a1^(2)", "a_{1}^{(2)}"),
        ("w11^(2)", "w_{11}^{(2)}"),
        ("δ_o1", r"\delta_{\mathrm{o1}}"),
        ("w5", "w_{5}"),
        ("w_h1_x1", r"w_{h1\_x1}"),  # not one word: as written
        ("E_total", r"E_{\mathrm{total}}"),
        # what names may hold beyond these shapes is itself, never TeX of its own
        ("w^^5cinput", r"w\hat{}\hat{}5cinput"),  # ^^5c would be a backslash: \input
        ("w_1^x", r"w_{1\hat{}x}"),
        ("a)^(b", r"a)\hat{}(b"),
        ("w''", r"w^{\prime\prime}"),  # one superscript, not a double one
        ("o.1'^(2)", r"{o.1^{\prime}}^{(2)}"),
        (r"w\input{x}_#$%&~", r"w\backslash{}input\{x\}_{\#\$\%\&\sim{}}"),
        ("x<script>", "x{<}script{>}"),
    ],
)
def test_tex_names(name: str, tex: str) -> None:
    assert tex_name(name) == tex


@pytest.mark.parametrize("config", sorted(p.stem for p in CONFIGS.glob("*.yaml")))
def test_every_configs_latex_keeps_its_symbols(config: str, in_root) -> None:
    """No character of a bundled config's tables is written as '?' (m̂, x̂, –, … and ‖ are
    set by pdflatex; the fallback for a title's Cyrillic once took them too)."""
    result = CliRunner().invoke(app, ["run", config, "-f", "latex", "--force"])
    assert result.exit_code == 0 and "?" not in result.stdout
    if config == "adam":
        assert r"\hat{m}" in result.stdout and r"\hat{v}" in result.stdout


def test_a_negative_number_in_the_tables_latex_is_a_minus(in_root, tmp_path: Path) -> None:
    """Text mode sets - as a hyphen: a table cell's -0.1230 was a hyphen in the PDF, and
    cross-entropy's E_a = -1.0 log 0.2881 too; each is $-$ now, U+2212 to a reader."""
    source = _export("run", "configs/xu-softmax.yaml", "-f", "latex")
    assert " & $-$0.1230 & " in source and r"E\_a = $-$1.0 log 0.2881" in source
    assert " -0.1230" not in source
    shown = _pdftotext(_pdflatex(source, tmp_path))
    assert "\u22120.1230" in shown and "\u22121.0 log 0.2881" in shown
    assert "-0.1230" not in shown
