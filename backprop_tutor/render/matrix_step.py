"""The matrix form of a recorded step: a = W z + b, z = φ(a), δ, ∂E/∂W = δ zᵀ and the update,
layer by layer, each matrix filled with the trace's own numbers by id.

Nothing here computes a number: every entry is a value the engine recorded (`Trace.values`),
placed at its row and column (a weight's row is the unit it feeds, its column the unit it comes
from, as in `net = W x`). A mini-batch is one column per example (`net[h1]#2`), and its
gradient δ Zᵀ summed (or averaged) over the columns.
"""

from __future__ import annotations

from backprop_tutor.core.numbers import setting_text
from backprop_tutor.core.optimizers import is_classic
from backprop_tutor.core.trace import StepTrace, Trace, with_step
from backprop_tutor.render.matrix_form import (
    ONES,
    ONES_T,
    Equation,
    Matrix,
    MatrixStep,
    Term,
    layer_mark,
)


def matrix_form(trace: Trace, numbered: bool = False) -> list[MatrixStep]:
    """Every step of the trace as matrices."""
    if not numbered:
        values = trace.values()
    else:  # a training trace: every update's ids numbered, `@1` too (train's JSON)
        values = {with_step(k, st.step): v for st in trace.steps for k, v in st.values().items()}
    return [_Step(trace, step, values, numbered).build() for step in trace.steps]


class _Step:
    """One step's matrices, read off its events and values."""

    def __init__(
        self, trace: Trace, step: StepTrace, values: dict[str, float], numbered: bool = False
    ) -> None:
        self.h, self.step, self.values = trace.header, step, values
        self.numbered = numbered
        self.passes = step.batch or (step,)  # one column per example
        first = self.passes[0]
        self.weight = {(f.unit, t.source): t.weight for f in first.forward for t in f.terms}
        self.bias = {f.unit: f.bias for f in first.forward}
        self.back = "new" if self.h.update == "layer_by_layer" else "old"

    def id(self, base: str, example: int | None = None) -> str:
        """A quantity's id in this step (and example k of a batch)."""
        key = base if example is None or not self.step.batch else f"{base}#{example}"
        bare = self.step.step == 1 and not self.numbered
        return key if bare else with_step(key, self.step.step)

    def matrix(self, symbol: str, tex: str, ids: list[list[str]], fill=None) -> Matrix:
        """A matrix of ids, each looked up; `fill` gives the value of an entry without an id."""
        rows = tuple(tuple(row) for row in ids)
        found = tuple(
            tuple(self.values[k] if k else fill(r, c) for c, k in enumerate(row))
            for r, row in enumerate(rows)
        )
        return Matrix(symbol, tex, rows, found)

    def per_example(self, symbol: str, tex: str, base: str, units: tuple[str, ...]) -> Matrix:
        """A column per example of one quantity of each unit: z, a, δ."""
        columns = range(1, len(self.passes) + 1)
        return self.matrix(
            symbol, tex, [[self.id(f"{base}[{u}]", k) for k in columns] for u in units]
        )

    def weights(self, layer: int, kind: str, transposed: bool = False) -> Matrix:
        """W⁽ˡ⁾ (or its transpose) of `kind` ids: old, new, grad, change, ..."""
        units, sources = self.h.layers[layer], self.h.layers[layer - 1]
        ids = [[self.id(f"{kind}[{self.weight[u, s]}]") for s in sources] for u in units]
        if transposed:
            ids = [list(column) for column in zip(*ids, strict=True)]
        mark = layer_mark(layer)
        name = {"old": "W", "new": "W", "grad": "∂E/∂W", "change": "ΔW"}[kind]
        tex = {"old": "W", "new": "W", "grad": r"\partial E/\partial W", "change": r"\Delta W"}[
            kind
        ]
        symbol, tex = f"{name}{mark}", f"{tex}^{{({layer})}}"
        if transposed:
            symbol, tex = f"({symbol})ᵀ", f"({tex})^\\top"
        return self.matrix(symbol, tex, ids)

    def biases(self, layer: int, kind: str, shared_once: bool = False) -> Matrix | None:
        """b⁽ˡ⁾ as one entry per unit (a shared bias repeated, or once with `shared_once`),
        of `kind` ids."""
        units = self.h.layers[layer]
        if not all(self.bias[u] for u in units):
            return None
        if shared_once and len({self.bias[u] for u in units}) == 1:
            units = units[:1]
        name = {"old": "b", "new": "b", "grad": "∂E/∂b", "change": "Δb"}[kind]
        tex = {"old": "b", "new": "b", "grad": r"\partial E/\partial b", "change": r"\Delta b"}
        return self.matrix(
            f"{name}{layer_mark(layer)}",
            f"{tex[kind]}^{{({layer})}}",
            [[self.id(f"{kind}[{self.bias[u]}]")] for u in units],
        )

    def build(self) -> MatrixStep:
        """The step's equations in a hand calculation's order: forward layer by layer, the
        deltas from the output down, the gradients, the updates."""
        n = len(self.h.layers) - 1
        equations = [e for layer in range(1, n + 1) for e in self.forward(layer)]
        for layer in range(n, 0, -1):
            equations += self.backward(layer, last=layer == n)
        for layer in range(1, n + 1):
            equations += self.gradients(layer)
        for layer in range(1, n + 1):
            equations += self.updates(layer)
        return MatrixStep(
            self.step.step, len(self.passes), self.step.reduction or "sum", tuple(equations)
        )

    # -- the four parts ------------------------------------------------------------------------
    def forward(self, layer: int) -> list[Equation]:
        """a = W z + b (− b for thresholds; b 1ᵀ over a batch), then z = φ(a) (⊙ m with
        dropout)."""
        h, mark = self.h, layer_mark(layer)
        below = h.layers[layer - 1]
        source = "input" if layer == 1 else "out"
        z_below = self.per_example(
            f"z{layer_mark(layer - 1)}", f"z^{{({layer - 1})}}", source, below
        )
        a = self.per_example(f"a{mark}", f"a^{{({layer})}}", "net", h.layers[layer])
        terms = [Term("", self.weights(layer, "old")), Term("", z_below)]
        bias = self.biases(layer, "old")
        sign = "−" if h.bias_sign < 0 else "+"
        batch = len(self.passes) > 1
        ones, ones_tex = (" 1ᵀ", ONES_T) if batch else ("", "")
        sign_tex = "-" if h.bias_sign < 0 else "+"
        if bias:
            terms.append(Term(sign, bias, ones, sign_tex, ones_tex))
        form = f"a{mark} = W{mark} z{layer_mark(layer - 1)}"
        tex = f"a^{{({layer})}} = W^{{({layer})}} z^{{({layer - 1})}}"
        if bias:
            form += f" {sign} b{mark}{ones}"
            tex += f" {sign_tex} b^{{({layer})}}{ones_tex}"
        fn = h.activations[layer - 1]
        alpha = h.alphas[layer - 1] if len(h.alphas) >= layer else None
        slope = f", α = {setting_text(alpha)}" if alpha is not None else ""
        z = self.per_example(f"z{mark}", f"z^{{({layer})}}", "out", h.layers[layer])
        masked, masked_tex, dropped = self._dropout(layer)
        return [
            Equation("forward", form, tex, tuple(terms), a),
            Equation(
                "forward",
                f"z{mark} = {fn}(a{mark}){masked}{slope}",
                f"z^{{({layer})}} = \\operatorname{{{_tex_name(fn)}}}(a^{{({layer})}}){masked_tex}"
                + (f",\\ \\alpha = {setting_text(alpha)}" if alpha is not None else ""),
                (
                    Term(f"{fn}(", a, ")", f"\\operatorname{{{_tex_name(fn)}}}\\left(", r"\right)"),
                    *dropped,
                ),
                z,
            ),
        ]

    def backward(self, layer: int, last: bool) -> list[Equation]:
        """A hidden layer's ∂E/∂z = (W above)ᵀ δ above, then δ = ∂E/∂z ⊙ φ′(a); the output
        layer's ∂E/∂z is the loss's, and softmax's δ is Jᵀ ∂E/∂z."""
        mark, units = layer_mark(layer), self.h.layers[layer]
        delta = self.per_example(f"δ{mark}", f"\\delta^{{({layer})}}", "delta", units)
        gradient = self.per_example(
            f"∂E/∂z{mark}", f"\\partial E/\\partial z^{{({layer})}}", "de_dout", units
        )
        found = [] if last else [self._sent_back(layer, gradient)]
        if self._elementwise(layer):
            found.append(self._elementwise_delta(layer, gradient, delta))
        else:  # softmax: δ = Jᵀ ∂E/∂z, J[j][u] = ∂z_j/∂a_u; one example's J at a time
            found += self._jacobian_deltas(layer, gradient, delta)
        return found

    def _sent_back(self, layer: int, gradient: Matrix) -> Equation:
        """A hidden layer's ∂E/∂z = (W above)ᵀ δ above."""
        h, mark, above = self.h, layer_mark(layer), layer_mark(layer + 1)
        # layer by layer (a published mistake replayed): the deltas go back through the
        # weights above as this update sets them, named so
        updated, updated_tex = (
            (" updated", r"_{\text{updated}}") if self.back == "new" else ("", "")
        )
        return Equation(
            "backward",
            f"∂E/∂z{mark} = (W{above}{updated})ᵀ δ{above}",
            f"\\partial E/\\partial z^{{({layer})}} = "
            f"(W^{{({layer + 1})}}{updated_tex})^\\top \\delta^{{({layer + 1})}}",
            (
                Term("", self.weights(layer + 1, self.back, transposed=True)),
                Term(
                    "",
                    self.per_example(
                        f"δ{above}", f"\\delta^{{({layer + 1})}}", "delta", h.layers[layer + 1]
                    ),
                ),
            ),
            gradient,
        )

    def _elementwise_delta(self, layer: int, gradient: Matrix, delta: Matrix) -> Equation:
        """δ = ∂E/∂z ⊙ φ′(a), the activation's slope masked as dropout masked the output."""
        mark, fn = layer_mark(layer), self.h.activations[layer - 1]
        masked, masked_tex, _ = self._dropout(layer)
        slope = self.per_example(f"{fn}′(a{mark}){masked}", "", "dout_dnet", self.h.layers[layer])
        return Equation(
            "backward",
            f"δ{mark} = ∂E/∂z{mark} ⊙ {fn}′(a{mark}){masked}",
            f"\\delta^{{({layer})}} = \\partial E/\\partial z^{{({layer})}} \\odot "
            f"\\operatorname{{{_tex_name(fn)}}}'(a^{{({layer})}}){masked_tex}",
            (
                Term("", gradient),
                Term("⊙", slope, "", r"\odot"),  # the matrix is φ′(a) itself
            ),
            delta,
        )

    def _jacobian_deltas(self, layer: int, gradient: Matrix, delta: Matrix) -> list[Equation]:
        units, mark = self.h.layers[layer], layer_mark(layer)
        found = []
        for k in range(1, len(self.passes) + 1):
            column = f" (example {k})" if len(self.passes) > 1 else ""
            ids = [
                [self.id(f"dout_dnet[{u}]" if u == j else f"dout_dnet[{j},{u}]", k) for j in units]
                for u in units
            ]  # row u: ∂z_j/∂a_u over j: Jᵀ
            jt = self.matrix(f"(J{mark})ᵀ", f"(J^{{({layer})}})^\\top", ids)
            pick = slice(k - 1, k)
            found.append(
                Equation(
                    "backward",
                    f"δ{mark} = (J{mark})ᵀ ∂E/∂z{mark}{column}",
                    f"\\delta^{{({layer})}} = (J^{{({layer})}})^\\top \\partial E/\\partial "
                    f"z^{{({layer})}}",
                    (Term("", jt), Term("", _columns(gradient, pick))),
                    _columns(delta, pick),
                )
            )
        return found

    def gradients(self, layer: int) -> list[Equation]:
        """∂E/∂W = δ zᵀ (the mean's 1/B over a batch), then the biases' gradient."""
        h, mark, below = self.h, layer_mark(layer), layer_mark(layer - 1)
        batch = len(self.passes)
        mean = batch > 1 and self.step.reduction == "mean"
        scale = f"(1/{batch}) " if mean else ""
        scale_tex = f"\\tfrac{{1}}{{{batch}}}" if mean else ""
        delta = self.per_example(f"δ{mark}", f"\\delta^{{({layer})}}", "delta", h.layers[layer])
        source = "input" if layer == 1 else "out"
        z_t = self.per_example(
            f"(z{below})ᵀ", f"(z^{{({layer - 1})}})^\\top", source, h.layers[layer - 1]
        )
        z_t = Matrix(z_t.symbol, z_t.tex, _transpose(z_t.ids), _transpose(z_t.values))
        found = [
            Equation(
                "gradients",
                f"∂E/∂W{mark} = {scale}δ{mark} (z{below})ᵀ",
                f"\\partial E/\\partial W^{{({layer})}} = {scale_tex}\\delta^{{({layer})}} "
                f"(z^{{({layer - 1})}})^\\top",
                (Term(scale.strip(), delta, "", scale_tex), Term("", z_t)),
                self.weights(layer, "grad"),
            )
        ]
        bias = self._bias_gradient(layer, delta, scale, scale_tex)
        return found + ([bias] if bias else [])

    def _bias_gradient(self, layer: int, delta: Matrix, scale: str, scale_tex: str):
        """∂E/∂b = δ (a bias per unit), or 1ᵀ δ (one shared by the layer: its deltas summed);
        −δ for a threshold; over a batch, times a column of ones (and the mean's 1/B)."""
        h, mark = self.h, layer_mark(layer)
        result = self.biases(layer, "grad", shared_once=True)
        if result is None:
            return None
        units = h.layers[layer]
        shared = len(units) > 1 and len({self.bias[u] for u in units}) == 1
        sign, sign_tex = ("−", "-") if h.bias_sign < 0 else ("", "")
        ones, ones_tex = (" 1", ONES) if len(self.passes) > 1 else ("", "")
        sums, sums_tex = ("1ᵀ ", r"\mathbf{1}^\top ") if shared else ("", "")
        name, name_tex = (
            (f"b{mark}", f"b^{{({layer})}}")
            if not shared
            else (self.bias[units[0]], _tex_name(self.bias[units[0]]))
        )
        before = f"{sign}{scale}{sums}".strip()
        return Equation(
            "gradients",
            f"∂E/∂{name} = {before + ' ' if before else ''}δ{mark}{ones}",
            f"\\partial E/\\partial {name_tex} = {sign_tex}{scale_tex}{sums_tex}"
            f"\\delta^{{({layer})}}{ones_tex}",
            (Term(before, delta, ones, sign_tex + scale_tex + sums_tex, ones_tex),),
            result,
        )

    def updates(self, layer: int) -> list[Equation]:
        """W and b after the update, each from its old value."""
        found = []
        for kind in ("W", "b"):
            old, new, grad = (
                self.weights(layer, k) if kind == "W" else self.biases(layer, k, shared_once=True)
                for k in ("old", "new", "grad")
            )
            if old is not None and new is not None and grad is not None:
                found.append(self._update(layer, kind, old, new, grad))
        return found

    def _update(self, layer: int, kind: str, old: Matrix, new: Matrix, grad: Matrix) -> Equation:
        """new = old − η ∂E/∂W for gradient descent; for any other update, new = old + Δ, the
        Δ its own table works out (momentum, Adam, a penalty); new = old where kept."""
        h, mark, tex = self.h, layer_mark(layer), f"{kind}^{{({layer})}}"
        updates = {u.param: u for u in self.step.updates}
        if not all(updates[_inside(key)].updated for row in old.ids for key in row):
            form = f"{kind}{mark} kept: update_biases is false"
            return Equation("updates", form, f"{tex}\\ \\text{{kept}}", (Term("", old),), new)
        if is_classic(h.optimizer, h.regularizer) and not h.momentum:
            eta = f"{setting_text(h.learning_rate)}"
            return Equation(
                "updates",
                f"{kind}{mark} ← {kind}{mark} − η ∂E/∂{kind}{mark}, η = {eta}",
                f"{tex} \\leftarrow {tex} - \\eta\\, \\partial E/\\partial {tex}, \\eta = {eta}",
                (Term("", old), Term(f"− {eta} ×", grad, "", f"- {eta} \\times")),
                new,
            )
        names = [[_inside(key) for key in row] for row in old.ids]
        ids = [[self.id(f"change[{name}]") for name in row] for row in names]
        change = self.matrix(
            f"Δ{kind}{mark}",
            f"\\Delta {tex}",
            [[key if key in self.values else "" for key in row] for row in ids],
            lambda r, c: updates[names[r][c]].change,
        )
        return Equation(
            "updates",
            f"{kind}{mark} ← {kind}{mark} + Δ{kind}{mark} (Δ from the update table)",
            f"{tex} \\leftarrow {tex} + \\Delta {tex}",
            (Term("", old), Term("+", change)),
            new,
        )

    def _dropout(self, layer: int) -> tuple[str, str, tuple[Term, ...]]:
        """A layer's dropout in an equation: ` ⊙ m⁽¹⁾`, its TeX, and the mask as a term (each
        entry 1/(1 − rate) or 0); nothing where the layer has none."""
        if not self.h.dropout or self.h.dropout[layer - 1] is None:
            return "", "", ()
        mark = layer_mark(layer)
        mask = self.per_example(f"m{mark}", f"m^{{({layer})}}", "mask", self.h.layers[layer])
        return f" ⊙ m{mark}", f" \\odot m^{{({layer})}}", (Term("⊙", mask, "", r"\odot"),)

    def _elementwise(self, layer: int) -> bool:
        return not any(d.jacobian for d in self.passes[0].deltas if d.layer == layer)


def _inside(key: str) -> str:
    return key.partition("[")[2].partition("]")[0]


def _transpose(rows):
    return tuple(tuple(column) for column in zip(*rows, strict=True))


def _columns(m: Matrix, pick: slice) -> Matrix:
    return Matrix(
        m.symbol,
        m.tex,
        tuple(row[pick] for row in m.ids),
        tuple(row[pick] for row in m.values),
    )


def _tex_name(name: str) -> str:
    return name.replace("_", r"\_")
