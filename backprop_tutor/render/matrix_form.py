"""The matrix form's model: named matrices of the trace's numbers, the equations they make
(a = W z + b, δ = (W)ᵀ δ ⊙ φ′(a), ∂E/∂W = δ zᵀ, the update) and a step of them. matrix_step.py
fills them from a trace; the writers (matrix_view.py for the terminal, matrix_tex.py for
LaTeX and Markdown, json_out for data) only lay them out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from backprop_tutor.core.regularizers import displayed

ONES, ONES_T = r"\,\mathbf{1}", r"\,\mathbf{1}^\top"  # a row or column of ones, in LaTeX
_SUPERSCRIPTS = str.maketrans("0123456789+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻")


@dataclass(frozen=True)
class Matrix:
    """A named matrix: each entry's trace id ("" where the number has none, as a Δ of
    momentum) and value, rows × columns."""

    symbol: str  # as the terminal writes it: W⁽¹⁾
    tex: str  # as LaTeX writes it: W^{(1)}
    ids: tuple[tuple[str, ...], ...]
    values: tuple[tuple[float, ...], ...]

    def texts(self, n: Callable[[float], str]) -> list[list[str]]:
        """Each entry as the tables print it: by `n`, an update's Δ to 3 significant figures
        (core/regularizers.displayed), so a matrix and the update table agree."""
        return [
            [displayed(key, v, n) for key, v in zip(ids, row, strict=True)]
            for ids, row in zip(self.ids, self.values, strict=True)
        ]

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.values), len(self.values[0]) if self.values else 0


@dataclass(frozen=True)
class Term:
    """One operand of an equation, with what is written before and after it: `+ b`,
    `sigmoid(a)` (before "sigmoid(", after ")"), `− 0.5 × ∂E/∂W`."""

    before: str
    matrix: Matrix
    after: str = ""
    before_tex: str = ""
    after_tex: str = ""


@dataclass(frozen=True)
class Equation:
    """`result = terms`, first in symbols (`form`), then with the numbers; `kind` is the part of
    the step it belongs to: forward, backward, gradients or updates."""

    kind: str
    form: str
    tex: str
    terms: tuple[Term, ...]
    result: Matrix


@dataclass(frozen=True)
class MatrixStep:
    step: int
    examples: int  # columns of the per-example matrices: 1, or the batch's size
    reduction: str  # a batch's "mean" or "sum" of its examples' gradients
    equations: tuple[Equation, ...]


def layer_mark(layer: int) -> str:
    """⁽²⁾: a layer's number as a superscript."""
    return f"⁽{str(layer).translate(_SUPERSCRIPTS)}⁾"
