"""`backprop-tutor explore`: one self-contained HTML page that steps through the worked example
on the network, every number at the unit or edge it belongs to.

Python reads everything off the trace and its rules: the order of the steps (the tables' order,
layer by layer), each step's rule in the notation, its numbers plugged in, its displayed value,
what it reads (highlighted on the picture) and the answers the quiz accepts. The page's script
(explore.js) shows them, so every number on the page is the engine's, as the text tables print
it; it computes only a plain sum or product again from the student's own answers, to tell an
answer carried forward from an earlier mistake (activations and losses stay in Python).
Style, script and data are inline: the file opens from a USB stick with no network.
"""

from __future__ import annotations

import json
import math
from importlib import resources

from backprop_tutor.core.hand_order import hand_order
from backprop_tutor.core.regularizers import UPDATE_QUANTITIES
from backprop_tutor.core.rules import Rule
from backprop_tutor.core.trace import Trace
from backprop_tutor.core.trace_rules import trace_rules
from backprop_tutor.render.escape import visible
from backprop_tutor.render.label_places import Box, Edge, place_labels
from backprop_tutor.render.labels import Labels
from backprop_tutor.render.rich_tables import WorkedExample
from backprop_tutor.render.working import formula, working
from backprop_tutor.teach.quiz import accepted, tolerance

ARITHMETIC = ("weighted_sum", "dot", "product")  # core/rules.py's ops the page recomputes
UNIT_KINDS = ("input", "net", "mask", "out", "target", "loss", "de_dout", "dout_dnet", "delta")
PARAMETER_KINDS = (  # ids of one parameter, an optimizer's quantities (m, v, mhat, ...) too
    "old",
    "new",
    "grad",
    "path",
    "dnet_dparam",
    "momentum",
    *sorted(UPDATE_QUANTITIES),
)
X_GAP, Y_GAP, RADIUS, MARGIN = 260, 84, 26, 60
CHAR_WIDTH, LINE = 7.2, 15.0  # pixels: a character of the 12-pixel font at most, a line
SPREADS = (1.0, 1.25, 1.5, 1.8)  # the gaps' scale, tried in turn until every label fits
LABELLED_EDGES = 40  # past that, the page shows a weight's label on hover only (its <title>)


def explore_page(trace: Trace, notation: str | None = None, note: str = "") -> str:
    """The page: explore.html with its style, script and this trace's data inline; `note`
    says what was left out (the steps past the third)."""
    data = _Page(trace, notation).data()
    if note:
        data["heading"].append(visible(note))
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # no string in the data can close the script element, nor open a comment or a script
    # in it (`<!--<script>` puts the tokenizer in a state where `</script>` ends nothing)
    text = text.replace("<", "\\u003c")
    assets = resources.files("backprop_tutor.render")
    page = (assets / "explore.html").read_text(encoding="utf-8")
    return (
        page.replace("/*STYLE*/", (assets / "explore.css").read_text(encoding="utf-8"))
        .replace("/*SCRIPT*/", (assets / "explore.js").read_text(encoding="utf-8"))
        .replace("/*DATA*/", text)
    )


def network_picture(trace: Trace) -> dict:
    """The network with its givens, laid out as the page draws it (units, edges), with every
    weight's label on its edge however many there are (a bank's picture has no hover)."""
    return _Page(trace, None).picture(every_label=True)


class _Page:
    def __init__(self, trace: Trace, notation: str | None) -> None:
        self.trace, self.h = trace, trace.header
        self.L = Labels(trace.header, notation)
        self.n = self.h.display.format
        self.values = trace.values()
        self.rules = trace_rules(trace)
        first = trace.steps[0]
        self.first = first.batch[0] if first.batch else first
        self.weight_of = {(f.unit, t.source): t.weight for f in self.first.forward for t in f.terms}
        self.edge_of = {t.weight: (t.source, f.unit) for f in self.first.forward for t in f.terms}
        self.bias_units: dict[str, list[str]] = {}
        for f in self.first.forward:
            if f.bias:
                self.bias_units.setdefault(f.bias, []).append(f.unit)

    def data(self) -> dict:
        return {
            "sign": self.L.notation.delta_sign,  # δ answered in the notation's sign
            "unit": tolerance(self.h.digits),  # the quiz's, for an answer carried forward
            "places": self.h.carry_digits,  # calculator arithmetic: the decimals carried
            "heading": [visible(line) for line in WorkedExample(self.trace).heading_lines()],
            "picture": self.picture(),
            "steps": [self.step(key) for key in self.order()],
        }

    # -- the walk --------------------------------------------------------------------------------
    def order(self) -> list[str]:
        """Every computed quantity in hand-calculation order (core/hand_order.py): per step
        the forward pass, the error, then layer by layer from the output its deltas and
        gradients, then the updates; then the example again after the update and the tests.
        Copies (a weight as ∂net/∂out) and givens are not steps: they are on the picture
        from the start."""
        found = [k for k in hand_order(self.trace) if _walked(k)]
        return [k for k in found if k in self.rules and self.rules[k][0].op != "const"]

    def step(self, key: str) -> dict:
        rule: Rule = self.rules[key][0]
        value = self.values[key]
        label, written = self.L.of_id(key), formula(rule, self.L.of_id)
        # a prediction's net inputs are not recorded: its value alone, no working
        shown = all(k in self.values for k in rule.inputs)
        numbers = working(rule, self.values, self.n) if shown else ""
        if self.L.notation.sign_of(key) < 0:
            # the lecture's own δ, the sensitivity −∂E/∂net, as `run` prints it
            label, value = label.removeprefix("−"), -value
            written, numbers = f"−({written})", f"−({numbers})" if numbers else ""
        mine = self.elements(key)
        return {
            "id": key,
            "label": visible(label),
            "rule": visible(f"{label} = {written}"),
            "working": visible(numbers),
            "value": self.n(value),
            # the quiz's answers taken as right (teach/quiz.py); none for an infinite value
            "accept": list(accepted(value, self.h.digits)) if math.isfinite(value) else None,
            "at": sorted({e for k in (key, *rule.inputs) for e in self.elements(k, mine)}),
            "mine": mine,  # where the quantity itself is (the rest of `at`: what it reads)
            "section": _section(key),
            "sum": self._sum(rule),
        }

    def _sum(self, rule: Rule) -> dict | None:
        """A rule of plain arithmetic (a weighted sum, a dot product, a product), with the
        exact values it reads, so the quiz can tell an answer right for the student's own
        earlier answers (carried forward, as `check` does); None for any other rule, whose
        function the page does not compute. Under calculator arithmetic the page carries as
        the rules do (core/rules.py): the result where `rounded`, and an update's Δ first
        where `at` says where Δ starts, so a hand calculation's own update is right."""
        if rule.op not in ARITHMETIC or not all(k in self.values for k in rule.inputs):
            return None
        exact = [self.values[k] for k in rule.inputs]
        if not all(math.isfinite(x) for x in exact):
            return None
        return {
            "op": rule.op,
            "inputs": list(rule.inputs),
            "coefficients": list(rule.coefficients),
            "exact": exact,
            "at": list(rule.at),
            "rounded": rule.rounded,
        }

    def elements(self, key: str, near: list[str] | None = None) -> list[str]:
        """The picture's units and edges a quantity belongs to: `u:h1`, `e:w5`; a bias shared
        by a layer, read by one unit's step (`near`), only at that unit."""
        kind, _, inside = key.partition("@")[0].partition("#")[0].partition("[")
        first, _, second = inside.rstrip("]").partition(",")
        if not inside:  # the total loss: every output
            return [f"u:{u}" for u in self.h.layers[-1]] if kind == "loss" else []
        if kind == "de_dout" and second:  # one term w × δ: the edge from first to second
            return [f"e:{self.weight_of[(second, first)]}"]
        if kind == "dnet_dout":
            return [f"e:{self.weight_of[(first, second)]}"]
        if kind in UNIT_KINDS:
            return [f"u:{second or first}"]
        if kind in PARAMETER_KINDS:
            if first in self.edge_of:
                return [f"e:{first}"]
            units = [f"u:{u}" for u in self.bias_units.get(first, [])]
            return [u for u in units if u in near] or units if near else units
        return []

    # -- the picture ----------------------------------------------------------------------------
    def picture(self, every_label: bool = False) -> dict:
        """Units in columns by layer, edges between them; the givens written on them. Where
        the weights' labels are drawn (`labelled`: up to LABELLED_EDGES, or `every_label`),
        the columns and rows spread out (SPREADS) until each has a place of its own on its
        edge; past the widest, the page staggers them as before."""
        labelled = every_label or len(self.edge_of) <= LABELLED_EDGES
        for spread in SPREADS if labelled else ():
            laid = self._laid_out(X_GAP * spread, Y_GAP * spread)
            if _place_edge_labels(laid["units"], laid["edges"]):
                return {**laid, "labelled": labelled}
        return {**self._laid_out(X_GAP, Y_GAP), "labelled": labelled}

    def _laid_out(self, x_gap: float, y_gap: float) -> dict:
        """The picture with its columns `x_gap` and its rows `y_gap` pixels apart."""
        layers = self.h.layers
        tallest = max(map(len, layers))
        place = {}
        for i, units in enumerate(layers):
            top = MARGIN + (tallest - len(units)) * y_gap / 2
            for j, unit in enumerate(units):
                place[unit] = (round(MARGIN + 40 + i * x_gap), round(top + j * y_gap))
        step = self.trace.steps[0]
        n = self.n
        examples = step.batch or (step,)  # a batch-normalized step: every example's givens
        inputs = [dict(e.inputs) for e in examples]
        givens = {x: ", ".join(n(each[x]) for each in inputs) for x in inputs[0]}
        wanted = [{e.unit: e.target for e in ex.losses} for ex in examples]
        targets = {u: ", ".join(n(each[u]) for each in wanted) for u in wanted[0]}
        old = {u.param: u.old for u in step.updates}
        scales = {s.unit: f"γ = {n(s.gamma_value)}, β = {n(s.beta_value)}" for s in step.statistics}
        units = []
        for names in layers:
            for unit in names:
                x, y = place[unit]
                note = ""
                if unit in givens:
                    note = f"{self.L.out(unit)} = {givens[unit]}"
                elif unit in targets:
                    note = f"target {targets[unit]}"
                biases = [b for b, us in self.bias_units.items() if unit in us]
                bias = ", ".join(f"{b} = {n(old[b])}" for b in biases if b in old)
                bias = scales.get(unit, bias)
                units.append(
                    {"key": f"u:{unit}", "name": unit, "x": x, "y": y, "note": note, "bias": bias}
                )
        edges = []
        for weight, (source, target) in self.edge_of.items():
            (x1, y1), (x2, y2) = place[source], place[target]
            label = f"{weight} = {n(old[weight])}" if weight in old else weight
            edges.append(
                {"key": f"e:{weight}", "x1": x1, "y1": y1, "x2": x2, "y2": y2, "label": label}
            )
        width = round(2 * MARGIN + 80 + (len(layers) - 1) * x_gap)
        height = round(2 * MARGIN + (tallest - 1) * y_gap + 40)
        return {"width": width, "height": height, "r": RADIUS, "units": units, "edges": edges}


def _place_edge_labels(units: list[dict], edges: list[dict]) -> bool:
    """Each weight's label centre (`lx`, `ly`) on its edge, clear of the circles, of the
    lines under each unit and of every other label (label_places), if this layout has room
    for them all (True); else none. Sizes are estimated from the 12-pixel font: CHAR_WIDTH
    a character, generously."""
    circles = [((u["x"], u["y"]), RADIUS + 2) for u in units]
    taken = [
        Box(u["x"], u["y"] + RADIUS + 10 + 13 * k, _width(text) / 2, LINE / 2, 1.0, 0.0)
        for u in units
        for k, text in enumerate(t for t in (u["note"], u["bias"]) if t)
    ]
    lines = []
    for e in edges:
        (x1, y1), (x2, y2) = (e["x1"], e["y1"]), (e["x2"], e["y2"])
        span = math.hypot(x2 - x1, y2 - y1) or 1.0
        ux, uy = (x2 - x1) / span, (y2 - y1) / span
        start, end = (x1 + ux * RADIUS, y1 + uy * RADIUS), (x2 - ux * RADIUS, y2 - uy * RADIUS)
        lines.append(Edge(start, end, _width(e["label"]), LINE, flat=True))
    boxes = place_labels(lines, circles, taken)
    for e, box in zip(edges, boxes or (), strict=False):
        e["lx"], e["ly"] = round(box.x, 1), round(box.y, 1)
    return boxes is not None


def _width(text: str) -> float:
    return CHAR_WIDTH * len(text) + 6  # and a little air either side


# what the walk shows, by kind: the tables' quantities (batch normalization's too); not the
# copies (a weight as ∂net/∂out, an input as ∂net/∂w, old = the step before's new) or givens
_WALKED = frozenset(
    {"net", "out", "loss", "de_dout", "dout_dnet", "delta", "path", "grad", "new"}
    | {"mean", "var", "running_mean", "running_var", "xhat", "y", "dout_dy", "dy"}
    | {"sum_dy", "sum_dy_xhat"}
)


def _walked(key: str) -> bool:
    return key.partition("[")[0].partition("@")[0].partition("#")[0] in _WALKED


def _section(key: str) -> str:
    kind = key.partition("[")[0].partition("@")[0]
    if "@after" in key or "@test" in key:
        return "after the update"
    return {
        **dict.fromkeys(("net", "out", "xhat", "y"), "forward pass"),
        **dict.fromkeys(("mean", "var", "running_mean", "running_var"), "forward pass"),
        "loss": "error",
        "grad": "gradients",
        "path": "gradients",
        "new": "updates",
    }.get(kind, "backward pass")
