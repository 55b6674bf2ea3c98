"""Derivations as a small document of headings, aligned math and paragraphs, in TeX math.

LaTeX (latex_out.py) and Markdown (markdown_out.py) both write this one model, so the two
exports cannot drift apart. Expressions go through SymPy's LaTeX printer with order="none", so
chain-rule factors stay in the order they were built.
"""

from __future__ import annotations

import re

import sympy as sp

from backprop_tutor.core.trace import Factor, Trace
from backprop_tutor.render.document import (
    Document,
    Heading,
    Inline,
    Math,
    Paragraph,
    TeX,
)
from backprop_tutor.render.escape import GREEK, latex_math, latex_text
from backprop_tutor.render.labels import Labels
from backprop_tutor.symbolic.derivation import Chain, ParameterDerivation
from backprop_tutor.symbolic.textbook import TextbookDerivation

_SUPERSCRIPT = re.compile(r"(.*)\^\((.*)\)", re.DOTALL)
_NUMBERED = re.compile(r"([^\W\d_]+)([0-9]+)")
_SUBSCRIPTED = re.compile("[\u2080-\u2089]+$")
_DIGITS = {0x2080 + d: str(d) for d in range(10)}


def tex_name(name: str) -> str:
    """A symbol as TeX: output_o1 → output_{o1}, a1^(2) → a_{1}^{(2)}, δ_o1 → \\delta_{o1},
    β₁ → \\beta_{1}. Only these shapes become sub- and superscripts; every other character
    is itself (latex_math), so no name can run a command or leave a brace open."""
    sup = ""
    if "_" not in name:  # β₁ as β_1: its power then sits on the subscript, \beta_{1}^{t}
        name = _SUBSCRIPTED.sub(lambda m: "_" + m[0].translate(_DIGITS), name)
    match = _SUPERSCRIPT.fullmatch(name)
    if match:
        name, sup = match[1], f"^{{({latex_math(match[2])})}}"
    numbered = _NUMBERED.fullmatch(name)
    if "_" in name:
        base, rest = name.split("_", 1)
        core = f"{_upright(latex_math(base).strip())}_{{{_upright(latex_math(rest))}}}"
    elif numbered:
        core = f"{_upright(latex_math(numbered[1]).strip())}_{{{numbered[2]}}}"
    else:
        core = _upright(latex_math(name))
    if sup and "^" in core:  # w'^(2): the prime's superscript, then this one, kept apart
        core = f"{{{core}}}"
    return core + sup


def _upright(tex: str) -> str:
    """A word of several letters (output, total, o1) upright, as \\mathrm: italic letters side
    by side read as a product o·u·t·p·u·t. One letter, and anything else, stays as it is."""
    return rf"\mathrm{{{tex}}}" if len(tex) > 1 and _WORD.fullmatch(tex) else tex


_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def tex(expr: sp.Expr) -> str:
    """An expression as TeX, every symbol (bound ones too, as in a Subs) named by tex_name."""
    names = {s: tex_name(s.name) for s in expr.atoms(sp.Symbol)}
    text = sp.latex(expr, order="none", symbol_names=names)
    for char, value in GREEK.items():
        text = text.replace(char, value + " ")
    return text.replace("'", "^{\\prime}")  # a function's, as f'; names have none left


class DocumentBuilder:
    """Derivations of a trace, or a stand-alone derivation, as a Document."""

    def __init__(self, trace: Trace | None = None, notation: str | None = None) -> None:
        self.labels = Labels(trace.header, notation) if trace else None
        if trace:
            h = trace.header
            self.n = h.display.format

    def _frac(self, top: str, bottom: str) -> str:
        return rf"\frac{{\partial {tex_name(top)}}}{{\partial {tex_name(bottom)}}}"

    def _factor(self, factor: Factor, to: str, error: str | None) -> str:
        L = self.labels
        assert L is not None
        if factor.role == "de_dout":
            return self._frac(error or L.error, L.out(factor.unit))
        if factor.role == "dout_dnet":
            return self._frac(L.out(factor.unit), L.net(factor.unit))
        if factor.role == "delta":
            return rf"\delta_{{{tex_name(factor.unit)}}}"
        if factor.role == "dnet_dout":
            return self._frac(L.net(factor.unit), L.out(factor.other or ""))
        return self._frac(L.net(to), factor.unit)

    def parameters(self, derivations: list[ParameterDerivation], title: str) -> Document:
        doc = Document(title)
        for d in derivations:
            self._parameter(doc, d)
        return doc

    def _parameter(self, doc: Document, d: ParameterDerivation) -> None:
        L, event = self.labels, d.event
        assert L is not None
        head = self._frac(L.error, d.param)
        title: Inline = (TeX(head), ", for ", TeX(tex_name(d.param)))
        if event.source:
            title += (" (", TeX(rf"{tex_name(event.source)} \to {tex_name(event.to[0])}"), ")")
        doc.blocks.append(Heading(title))
        doc.blocks.append(Math([(tex_name(L.error), tex(d.loss))]))
        for chain in d.chains:
            self._chain(doc, d, chain)
        if len(d.chains) > 1:
            terms = " + ".join(self.n(c.engine) for c in d.chains)
            doc.blocks.append(Math([(head, rf"{terms} = {self.n(d.total)}")]))
        if d.delta_form:
            doc.blocks.append(Paragraph(("The same in the delta form:",)))
            doc.blocks.append(
                Math(
                    [
                        (
                            head,
                            rf"{tex(d.delta_form.product)} = "
                            rf"{self.n(d.delta_form.engine)}",
                        )
                    ]
                )
            )
        doc.blocks.append(Paragraph((_verdict(d),)))

    def _chain(self, doc: Document, d: ParameterDerivation, chain: Chain) -> None:
        L, to = self.labels, d.event.to[0]
        assert L is not None
        error = L.path_error(chain.via) if chain.via else None
        if chain.via:
            doc.blocks.append(Paragraph(("Through ", TeX(tex_name(chain.via)), ":")))
        head = self._frac(error or L.error, d.param)
        factors = [self._factor(s.factor, to, error) for s in chain.steps]
        rows = [(head, r" \cdot ".join(factors))]
        for step, label in zip(chain.steps, factors, strict=True):
            rows.append((label, f"{tex(step.expr)} = {self.n(step.engine)}"))
        numbers = r" \times ".join(self.n(s.engine) for s in chain.steps)
        rows.append((head, tex(chain.product)))
        rows.append(("", f"{numbers} = {self.n(chain.engine)}"))
        doc.blocks.append(Math(rows))

    def textbook(self, derivation: TextbookDerivation) -> Document:
        doc = Document(derivation.title)
        rows, lhs = [], ""
        for step in derivation.steps:
            lhs = tex_name(step.lhs) if step.lhs else ""
            reason = rf" && \text{{{latex_text(step.reason)}}}" if step.reason else ""
            mark = {True: r"\quad\text{(checked)}", False: r"\quad\text{(NOT equal)}"}.get(
                step.proved, ""
            )
            rows.append((lhs, f"{tex(step.rhs)}{mark}{reason}"))
        doc.blocks.append(Math(rows))
        if derivation.condition:
            doc.blocks.append(Paragraph((f"Condition: {derivation.condition}.",)))
        for note in derivation.notes:
            doc.blocks.append(Paragraph((f"Note: {note}.",)))
        verdict = (
            "Every step is proved equal to the one before by SymPy."
            if derivation.proved
            else "A step is NOT equal to the one before."
        )
        doc.blocks.append(Paragraph((verdict,)))
        return doc


def _verdict(d: ParameterDerivation) -> str:
    if d.mismatches:
        return "MISMATCH between SymPy and the engine: " + "; ".join(d.mismatches)
    text = "Every factor and product equals the engine's value"
    if d.proof is True:
        return f"{text}; proof: {d.proof_note} (checked)."
    if d.proof is False:
        return f"{text}; but the proof FAILED: {d.proof_note}."
    return f"{text}; {d.proof_note}."
