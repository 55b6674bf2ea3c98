"""A grammar of whole spec files, as hypothesis strategies, for tests/test_fuzz.py.

Mutating the bundled configs only reaches the shapes those configs already have. This grammar
draws every form the format allows (README, "The spec format" onwards): 1 to 4 layers of 1 to 5
units (now and then a wide or a huge one), units as a count or as names, weights by name, as a
matrix or left to `init:`, every bias style, every activation and loss, inputs and targets as
lists or name maps, `examples:`, `data: {csv: ...}` with a CSV written beside the spec (or a
hostile path), `test:`, notation, display, calculator arithmetic, steps, update rules, a
training block and titles full of LaTeX, HTML, Markdown, Rich markup and control characters.

Most specs must be valid, or the engine, the renderers, training and `check` would hardly run:
a spec is drawn "hostile" about one time in four, and only a hostile spec's knobs draw invalid
values (a bad name, NaN, a missing edge, a loss its outputs do not allow, a path out of the
folder), each now and then. Every choice shrinks towards the plain valid one, so a failure
shrinks to a small valid spec when it can. Activations, losses and notations come from the
product's own tables, so the grammar follows the format when it grows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from fuzz_case import BAD_CSV, BAD_PATHS, GOOD_CSV, OUTSIDE_PATHS, PATHS, SpecCase, csv_text
from hypothesis import strategies as st

from backprop_tutor.core.activations import ACTIVATIONS
from backprop_tutor.core.losses import LOSSES
from backprop_tutor.core.notation import NOTATIONS

HOSTILE_PERCENT = 30  # specs that may hold invalid values; the rest are drawn valid
ODD_NUMBERS = (math.nan, math.inf, "abc", None, True, 1e308, 10**400, "1/0", "9" * 401, "0.5/3")
BAD_NAMES = ("1a", "a b", "a-b", "", "ü1", "x" * 101, "a\nb", "[x]", "a:b", "x1")
TEXTS = (  # titles and sources: valid, and special to every output format
    r"\textbf{x} $x^2$ & # % _ ~ { } \end{document}\input{/etc/passwd}",
    "<script>alert(1)</script> &amp; <b>x</b>",
    "| a | b |\n|---|---|\n* _x_ **y** [l](javascript:alert(1)) `code` ```",
    ":x: :smile: :thumbs_up: :red_circle:",
    "[bold red]red[/] [link=file:///etc/passwd]x[/link] [/] [",
    "\x1b[31mred\x1b[0m \r\b\x07 \x00 \x85 \u2028",
    "\u202eright-to-left\u200b \ufeff 🧠 ∂E/∂w",
    "x" * 1000,
    "%% $$ ${{ }} {{ }} \\\\ \\",
)


class Drawer:
    """hypothesis's `draw`, and whether this spec may hold invalid values (`rare`)."""

    def __init__(self, draw, hostile: bool) -> None:
        self.draw, self.hostile = draw, hostile

    def __call__(self, strategy: st.SearchStrategy):
        return self.draw(strategy)

    def chance(self, percent: int) -> bool:
        """True about `percent` times in 100; shrinks to False, the plain choice."""
        return self.draw(st.integers(0, 99)) >= 100 - percent

    def rare(self, percent: int) -> bool:
        """An invalid choice: only in a hostile spec, and there `percent` times in 100."""
        return self.hostile and self.chance(percent)

    def pick(self, options) -> object:
        return self.draw(st.sampled_from(list(options)))


# -- names and numbers ---------------------------------------------------------------------------
def name(g: Drawer, base: str, taken: list[str]) -> str:
    """A name the spec writes: `base`, sometimes with the odd characters names allow; in a
    hostile spec now and then an invalid one or a name already used."""
    if g.rare(3):
        return g.pick([*BAD_NAMES, *taken[-3:]])
    picked = base + g.pick(["", "'", "^(1)", ".a", "(x)"])
    taken.append(picked)
    return picked


def number(g: Drawer, low: float = -1.0, high: float = 1.0) -> object:
    """A number as a spec writes it: a short decimal mostly, or an int, a fraction or an
    exponent as text; now and then a large one (saturation); rarely not a finite number."""
    if g.rare(2):
        return g.pick(ODD_NUMBERS)
    value = round(g(st.floats(low, high)), g(st.integers(0, 3)))
    if g.chance(3):
        value *= g.pick([1e3, 1e6, 1e-6])
    form = g.pick(["decimal", "int", "fraction", "text"])
    if form == "int":
        return round(value)
    if form == "fraction":
        return f"{round(value * 7)}/7"
    return f"{value:e}" if form == "text" else value


def numbers(g: Drawer, count: int, low: float = -1.0, high: float = 1.0) -> list:
    return [number(g, low, high) for _ in range(count)]


def by_name(g: Drawer, values: list, names: list[str], named: bool = False) -> list | dict:
    """Values as a list in order, or as name: value (always when `named`); rarely a name
    missing or one that is not in the network."""
    if not named and not g(st.booleans()):
        return values
    mapping = dict(zip(names, values, strict=True))
    if g.rare(5):
        mapping.pop(names[0]) if len(names) > 1 and g(st.booleans()) else mapping.update(q=1)
    return mapping


# -- the network ---------------------------------------------------------------------------------
@dataclass
class Plan:
    """The network as the resolver will see it: every layer's unit names (inputs first), and
    which of them the file writes out."""

    notation: str
    sizes: list[int]
    names: list[list[str]]
    written: list[bool]
    activations: list[str] = field(default_factory=list)
    taken: list[str] = field(default_factory=list)


def plan(g: Drawer) -> Plan:
    """The shape: 1-4 layers of 1-5 units; a wider layer now and then, rarely a huge one."""
    notation = g.pick(sorted(NOTATIONS)) if not g.rare(3) else g.pick(["Generic", "x", ""])
    depth = g(st.integers(1, 4))
    sizes = [g(st.integers(1, 5)) for _ in range(depth + 1)]
    if g.chance(5):
        sizes[g(st.integers(0, depth))] = g(st.integers(6, 40))
    elif g.chance(1):
        sizes[g(st.integers(0, depth))] = g(st.integers(300, 3000))
    known = NOTATIONS.get(notation, NOTATIONS["generic"])
    taken: list[str] = []
    names, written = [], []
    for k, size in enumerate(sizes):
        writes = size <= 40 and g(st.booleans())
        if writes:
            names.append([name(g, f"u{k}_{j + 1}", taken) for j in range(size)])
        elif k == 0:
            names.append([known.input_name(j + 1) for j in range(size)])
        else:
            names.append([known.unit_name(k, j + 1, depth) for j in range(size)])
        written.append(writes)
    shape = Plan(notation, sizes, names, written, taken=taken)
    shape.activations = [activation(g, n) for n in sizes[1:]]
    return shape


def activation(g: Drawer, units: int) -> str:
    """A valid activation (softmax only over two units or more); rarely a bad name."""
    if g.rare(4):
        return g.pick(["sigmod", "ReLU", "", "softmax"])
    return g.pick(a for a in ACTIVATIONS if a != "softmax" or units > 1)


def layer(g: Drawer, shape: Plan, k: int) -> dict:
    """Layer k (1-based): its units, activation, weights and bias, in any form the format has."""
    units, below = shape.names[k], shape.names[k - 1]
    entry: dict = {"units": units if shape.written[k] else shape.sizes[k]}
    entry["activation"] = shape.activations[k - 1]
    if (entry["activation"] == "leaky_relu" and g(st.booleans())) or g.rare(2):
        entry["alpha"] = number(g, 0.0, 0.3)
    small = len(units) * len(below) <= 1600
    form = g.pick(["matrix", "named", "init"] if small else ["init"])
    if form == "matrix":
        entry["weights"] = [numbers(g, len(below)) for _ in units]
        if g.rare(3):
            entry["weights"][-1] = entry["weights"][-1][:-1] or [0.1, 0.2]
    elif form == "named":
        entry["weights"] = named_weights(g, shape, k)
    bias = bias_entry(g, shape, k)
    if bias is not None:
        entry["bias"] = bias
    return entry


def named_weights(g: Drawer, shape: Plan, k: int) -> dict:
    """`w: {from, to, value}` for every edge, in a drawn order; rarely an edge missing or
    given twice."""
    edges = g(st.permutations([(s, u) for u in shape.names[k] for s in shape.names[k - 1]]))
    if g.rare(3):
        edges = edges[1:] + ([edges[0]] if g(st.booleans()) else [])
    return {
        name(g, f"W{k}_{i + 1}", shape.taken): {"from": s, "to": u, "value": number(g)}
        for i, (s, u) in enumerate(edges)
    }


def bias_entry(g: Drawer, shape: Plan, k: int) -> object:
    """Every bias style: none, a shared number, a list, a shared name, names per unit,
    `{to:, value:}` entries in any order, `init`; rarely the wrong count."""
    units = shape.names[k]
    style = g.pick(["none", "number", "list", "shared", "per-unit", "to", "init"])
    count = len(units) + (g.pick([-1, 1]) if g.rare(3) else 0)
    if style in ("none", "init"):
        return None if style == "none" else "init"
    if style == "number":
        return number(g)
    if style == "list":
        return numbers(g, max(count, 0))
    if style == "shared":
        return {name(g, f"B{k}", shape.taken): number(g)}
    names = [name(g, f"B{k}_{j + 1}", shape.taken) for j in range(max(count, 1))]
    if style == "per-unit":
        return {n: number(g) for n in names}
    units = g(st.permutations(units))
    return {n: {"to": u, "value": number(g)} for n, u in zip(names, units, strict=False)}


def loss_for(g: Drawer, output_activation: str) -> str:
    """A loss the output layer allows; rarely one it does not allow, or a bad name."""
    if g.rare(3):
        return g.pick(["half-sse", "SSE", "", "cross entropy", *LOSSES])
    own = [n for n, loss in LOSSES.items() if output_activation in (loss.output_activations or ())]
    if own and g(st.booleans()):  # the log losses made for this output layer
        return g.pick(own)
    return g.pick(n for n, loss in LOSSES.items() if not loss.output_activations or n in own)


def targets(g: Drawer, loss: str, output_activation: str, count: int) -> list:
    """Targets the loss is defined for (one-hot for a softmax, often); rarely outside them."""
    kind = LOSSES[loss].targets if loss in LOSSES else "any"
    if g.rare(2):
        return [g.pick([-0.5, 1.5, 0.0, 2.0]) for _ in range(count)]
    if kind == "any":
        return numbers(g, count, -1.0, 2.0)
    if output_activation == "softmax" and kind == "probability" and g(st.booleans()):
        hot = g(st.integers(0, count - 1))
        return [1 if j == hot else 0 for j in range(count)]
    low = 0.0 if kind == "probability" else 0.01
    return [round(g(st.floats(low, 1.0)), 2) or low for _ in range(count)]


# -- the whole spec ------------------------------------------------------------------------------
@st.composite
def spec_cases(draw) -> SpecCase:
    """A whole spec: a network, its data, and every optional block, each present or not."""
    g = Drawer(draw, hostile=False)
    g.hostile = g.chance(HOSTILE_PERCENT)
    shape = plan(g)
    spec: dict = {}
    for key in ("title", "source"):
        if g(st.booleans()):
            spec[key] = text(g)
    if shape.notation != "generic" or g(st.booleans()):
        spec["notation"] = shape.notation
    loss = loss_for(g, shape.activations[-1])
    case = SpecCase(spec, hostile=g.hostile, anywhere=g.chance(10))
    examples = data_block(g, case, shape, loss)
    spec["layers"] = [layer(g, shape, k) for k in range(1, len(shape.sizes))]
    if g.rare(1):
        spec["layers"] = g.pick([[], None, [{}], "layers"])
    spec["loss"] = loss
    spec["learning_rate"] = g.pick([0.5, 0.1, "1/3", 1, 0.05, "1e-1", 2.0])
    if g.rare(3):
        spec["learning_rate"] = g.pick([0, -0.5, "0/3", "abc", 1e308])
    options(g, spec, shape, examples)
    case.run_options = run_options(g)
    weights = sum(a * b for a, b in zip(shape.sizes, shape.sizes[1:], strict=False))
    case.symbolic = weights <= 40 and g.chance(8)
    return case


def text(g: Drawer) -> str:
    """A title or source: plain, random unicode, or text special to LaTeX, HTML, Markdown,
    Rich markup, emoji codes or a terminal; rarely past the 1,000 characters allowed."""
    if g.rare(5):
        return "y" * 1001
    kind = g.pick(["plain", "special", "random"])
    if kind == "plain":
        return "A 2-2-1 network, one step"
    return g(st.text(max_size=60)) if kind == "random" else g.pick(TEXTS)


def data_block(g: Drawer, case: SpecCase, shape: Plan, loss: str) -> int:
    """Where the numbers come from: inputs and targets, examples, a CSV file, or a mix (rarely
    none, or two sources at once), and the test examples; the number of examples. Where the
    file writes the input names, the first place that names them is a mapping (or the CSV's
    columns), so the weights' `from:` names are the inputs' names."""
    spec = case.spec
    source = g.pick(["inputs", "examples", "csv", "examples+inputs", "csv+inputs"])
    if g.rare(2):
        source = g.pick(["", "examples+csv"])
    named = shape.written[0]
    if "inputs" in source:
        spec["inputs"], spec["targets"] = example(g, shape, loss, named)
        if g.rare(2):
            del spec[g.pick(["inputs", "targets"])]
    count = g(st.integers(1, 6))
    if "examples" in source:
        first = named and "inputs" not in source
        pairs = [example(g, shape, loss, first and k == 0) for k in range(count)]
        spec["examples"] = [{"inputs": x, "targets": t} for x, t in pairs]
    if "csv" in source:
        csv_data(g, case, shape, loss, count)
    if g(st.booleans()):
        tests = [example(g, shape, loss, False) for _ in range(g(st.integers(0, 2)))]
        spec["test"] = [{"inputs": x, "targets": t} for x, t in tests]
    return count if ("examples" in source or "csv" in source) else 1


def csv_data(g: Drawer, case: SpecCase, shape: Plan, loss: str, count: int) -> None:
    """`data: {csv: ...}` and the file: inside the folder, or (with --allow-data-anywhere)
    out of it, in any of the ways a spreadsheet saves one; rarely a path no CSV may have or a
    file that is not valid CSV."""
    ins, outputs = shape.names[0], [f"t_{j + 1}" for j in range(shape.sizes[-1])]
    rows = [
        [round(g(st.floats(-1, 1)), 3) for _ in ins]
        + list(targets(g, loss, shape.activations[-1], len(outputs)))
        for _ in range(count)
    ]
    case.csv_path = "inside"
    if g.chance(15):
        case.csv_path = g.pick(OUTSIDE_PATHS) if case.anywhere or g.hostile else "subfolder"
    if g.rare(30):
        case.csv_path = g.pick(BAD_PATHS)
    case.spec["data"] = {"csv": PATHS[case.csv_path], "inputs": ins, "targets": outputs}
    style = g.pick(GOOD_CSV) if g.chance(15) else "plain"
    case.csv_text = csv_text(g.pick(BAD_CSV) if g.rare(10) else style, [*ins, *outputs], rows)


def example(g: Drawer, shape: Plan, loss: str, named: bool) -> tuple[list | dict, list | dict]:
    """One example's inputs and targets, each a list or a mapping (a mapping when `named`)."""
    ins, outs = shape.names[0], shape.names[-1]
    x = by_name(g, numbers(g, len(ins)), ins, named)
    t = by_name(g, targets(g, loss, shape.activations[-1], len(outs)), outs)
    return x, t


def options(g: Drawer, spec: dict, shape: Plan, examples: int) -> None:
    """The optional blocks: training (always, with few epochs, so `train` is quick), init,
    display, arithmetic, steps, update rule, update_biases."""
    spec["training"] = training(g, examples, max(shape.sizes) > 40)
    if g(st.booleans()):
        low = round(g(st.floats(-1, 0.5)), 2)
        method = g.pick(["uniform", "xavier", "he"])
        spec["init"] = {"method": method, "seed": g(st.integers(0, 2**40))}
        if method == "uniform" or g.rare(5):  # xavier and he refuse a range: now and then
            spec["init"].update(low=low, high=low + (-0.5 if g.rare(5) else 0.5))
    if g(st.booleans()):
        spec["display"] = {
            "digits": g(st.integers(0, 15)) if not g.rare(3) else 16,
            "rounding": g.pick(["round", "truncate"]),
            "fixed": g(st.booleans()),
        }
    if g(st.booleans()):
        spec["arithmetic"] = {"carry_digits": g(st.integers(0, 15))}
    if g(st.booleans()):
        spec["steps"] = g(st.integers(1, 3))
        if g.chance(5):
            spec["steps"] = g(st.integers(4, 30))
        elif g.chance(1):
            spec["steps"] = g(st.integers(100, 1000)) + g.rare(20)
    if g(st.booleans()):
        spec["update"] = g.pick(["simultaneous", "layer_by_layer"])
    if g(st.booleans()):
        spec["update_biases"] = g(st.booleans())


def training(g: Drawer, examples: int, huge: bool) -> dict:
    """Batch kind and size, momentum, thresholds; at most 30 epochs (2 for a huge network)."""
    block: dict = {"max_epochs": g(st.integers(1, 2 if huge else 30))}
    batch = g.pick([None, "stochastic", "mini", "full"])
    if batch:
        block["batch"] = batch
    if batch == "mini" and not g.rare(10):
        block["batch_size"] = g(st.integers(1, examples + g.rare(10)))
    if g(st.booleans()):
        block["epochs"] = g(st.integers(1, block["max_epochs"] + g.rare(10)))
    optional = {
        "shuffle": st.booleans(),
        "seed": st.integers(0, 2**64),
        "reduction": st.sampled_from(["mean", "sum"]),
        "momentum": st.sampled_from([0.0, 0.5, 0.9, 0.99]),
        "loss_threshold": st.sampled_from([0.5, 0.005, 1e-300]),
        "gradient_threshold": st.sampled_from([0.01, 1.0, 1e-300]),
        "report_every": st.integers(1, 20),
    }
    for key, values in optional.items():
        if g(st.booleans()):
            block[key] = g(values)
    return block


def run_options(g: Drawer) -> list[str]:
    """Options `run` (and `run --symbolic`) is given now and then: an export format (where a
    title's LaTeX or HTML must be escaped), a width, another notation (rarely an unknown one)."""
    chosen: list[str] = []
    if g.chance(25):
        chosen += ["--format", g.pick(["markdown", "latex", "html", "svg"])]
    if g.chance(20):
        chosen += ["--width", str(g.pick([40, 80, 200, 400]))]
    if g.chance(20):
        chosen += ["--notation", g.pick([*sorted(NOTATIONS), *(["nope"] if g.rare(50) else [])])]
    return chosen
