"""The network's meaning: a shape-checked spec file becomes a resolved `Spec`.

Each check points at its own place in the file: a weight from a unit that does not exist, two
weights on one edge, a missing weight, a name used twice, targets that do not match the outputs.
"""

from __future__ import annotations

import difflib
import re
import typing

from .activations import ACTIVATIONS
from .losses import LOSSES
from .network_spec import LayerSpec, Spec
from .notation import NOTATIONS, Notation, UnitRef
from .numbers import NumberFormat
from .spec_file import BiasEntry, LayerFile, SpecFile
from .yaml_source import YamlPath, YamlSource

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_^().']*$")


def _closest(word: str, options: typing.Iterable[str]) -> str:
    options = sorted(options)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.5)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"{hint}choose one of: {', '.join(options)}"


class Resolver:
    """Turns a shape-checked SpecFile into a Spec, one named error at a time."""

    def __init__(self, source: YamlSource, raw: SpecFile) -> None:
        self.src = source
        self.raw = raw
        self.names: dict[str, YamlPath] = {}  # every name so far, and where it was defined
        if raw.notation not in NOTATIONS:
            raise source.error(
                ("notation",),
                f"unknown notation '{raw.notation}'",
                _closest(raw.notation, NOTATIONS),
            )
        self.notation: Notation = NOTATIONS[raw.notation]

    def spec(self) -> Spec:
        raw, src = self.raw, self.src
        if raw.loss not in LOSSES:
            raise src.error(("loss",), f"unknown loss '{raw.loss}'", _closest(raw.loss, LOSSES))
        if raw.learning_rate <= 0:
            raise src.error(
                ("learning_rate",),
                f"learning rate {raw.learning_rate} is not positive",
                "use a positive number such as 0.5",
            )
        input_names, inputs = self._named_numbers(("inputs",), raw.inputs, None)
        previous = tuple(UnitRef(n, 0, i + 1) for i, n in enumerate(input_names))
        layers = []
        counter = [0]
        for index, layer in enumerate(raw.layers):
            resolved = self._layer(index, layer, previous, counter)
            layers.append(resolved)
            last = index == len(raw.layers) - 1
            previous = tuple(
                UnitRef(n, index + 1, i + 1, last) for i, n in enumerate(resolved.units)
            )
        outputs = layers[-1].units
        _, targets = self._named_numbers(("targets",), raw.targets, outputs)
        self._check_loss(layers[-1].activation, outputs, targets)
        display = NumberFormat(raw.display.digits, raw.display.rounding, raw.display.fixed)
        return Spec(
            src.file,
            raw.title,
            raw.source,
            raw.notation,
            input_names,
            inputs,
            targets,
            tuple(layers),
            raw.loss,
            raw.learning_rate,
            raw.update_biases,
            raw.steps,
            display,
            raw.arithmetic.carry_digits,
        )

    def _check_loss(
        self, output_activation: str, outputs: tuple[str, ...], targets: tuple[float, ...]
    ) -> None:
        """Refuse a loss on outputs or targets it is not defined for, with the reason."""
        loss = LOSSES[self.raw.loss]
        if loss.output_activations and output_activation not in loss.output_activations:
            need = " or ".join(loss.output_activations)
            raise self.src.error(
                ("loss",),
                f"{loss.name} needs a {need} output layer, not {output_activation}: {loss.why}",
                f"use activation: {loss.output_activations[0]} in the last layer, "
                "or loss: half_sse",
            )
        low_ok = (lambda t: t > 0) if loss.targets == "positive" else (lambda t: t >= 0)
        if loss.targets != "any":
            for name, t in zip(outputs, targets, strict=True):
                if not (low_ok(t) and t <= 1):
                    interval = "(0, 1]" if loss.targets == "positive" else "[0, 1]"
                    raise self.src.error(
                        ("targets", name),
                        f"target {t} is outside {interval}, where {loss.name} is defined",
                        "use probabilities as targets (one-hot for classes)",
                    )

    # names ------------------------------------------------------------------------------------
    def _claim(self, name: str, path: YamlPath, what: str) -> None:
        if not _NAME.match(name):
            raise self.src.error(
                path,
                f"{what} name '{name}' is not a valid name",
                "start with a letter; use letters, digits, _ ^ ( ) . '",
            )
        if name in self.names:
            first = self.src.locate(self.names[name])[0]
            raise self.src.error(
                path,
                f"the name '{name}' is used twice (first on line {first})",
                "give every input, unit and parameter its own name",
            )
        self.names[name] = path

    def _named_numbers(
        self,
        path: YamlPath,
        value: dict[str, float] | list[float],
        expected: tuple[str, ...] | None,
    ) -> tuple[tuple[str, ...], tuple[float, ...]]:
        """Inputs (expected None: names are defined here) or targets (keyed by output unit)."""
        if isinstance(value, list):
            if expected is None:
                names = tuple(self.notation.input_name(i + 1) for i in range(len(value)))
                for i, name in enumerate(names):
                    self._claim(name, (*path, i), "input")
            else:
                if len(value) != len(expected):
                    raise self.src.error(
                        path,
                        f"{len(value)} targets for {len(expected)} outputs ({', '.join(expected)})",
                        "give one target per output unit",
                    )
                names = expected
            if not names:
                raise self.src.error(path, "the list is empty", "give at least one value")
            return names, tuple(value)
        if expected is None:
            if not value:
                raise self.src.error(path, "no inputs", "give at least one input, e.g. {x1: 0.5}")
            for name in value:
                self._claim(name, (*path, name), "input")
            return tuple(value), tuple(value.values())
        for name in value:
            if name not in expected:
                raise self.src.error(
                    (*path, name), f"'{name}' is not an output unit", _closest(name, expected)
                )
        missing = [n for n in expected if n not in value]
        if missing:
            raise self.src.error(
                path,
                f"no target for output unit '{missing[0]}'",
                f"add '{missing[0]}: <target value>'",
            )
        return expected, tuple(value[n] for n in expected)

    # layers -----------------------------------------------------------------------------------
    def _layer(
        self, index: int, layer: LayerFile, previous: tuple[UnitRef, ...], counter: list[int]
    ) -> LayerSpec:
        path: YamlPath = ("layers", index)
        alpha = self._activation(path, layer)
        names = self._units(path, index, layer)
        last = index == len(self.raw.layers) - 1
        units = tuple(UnitRef(n, index + 1, j + 1, last) for j, n in enumerate(names))
        weight_names, weights = self._weights(path, index + 1, layer, previous, units, counter)
        bias_names, bias_values, bias_of_unit = self._bias(path, index + 1, layer, units)
        if isinstance(layer.weights, dict):  # the file's own order, then the biases
            order = (*layer.weights, *bias_names)
        elif len(bias_names) == len(names):  # unit by unit, its own bias first (w_0j in Bishop)
            order = tuple(p for j, row in enumerate(weight_names) for p in (bias_names[j], *row))
        else:
            order = (*(p for row in weight_names for p in row), *bias_names)
        return LayerSpec(
            names,
            layer.activation,
            weight_names,
            weights,
            bias_names,
            bias_values,
            bias_of_unit,
            order,
            alpha,
        )

    def _activation(self, path: YamlPath, layer: LayerFile) -> float | None:
        """Check the activation's name and parameter; the parameter (alpha) or None."""
        if layer.activation not in ACTIVATIONS:
            raise self.src.error(
                (*path, "activation"),
                f"unknown activation '{layer.activation}'",
                _closest(layer.activation, ACTIVATIONS),
            )
        if layer.alpha is not None and layer.activation != "leaky_relu":
            raise self.src.error(
                (*path, "alpha"),
                f"alpha is the slope of leaky_relu below 0; this layer is {layer.activation}",
                "remove alpha, or use activation: leaky_relu",
            )
        if layer.alpha is not None and layer.alpha < 0:
            raise self.src.error(
                (*path, "alpha"), f"alpha {layer.alpha} is negative", "use a small positive slope"
            )
        return layer.alpha

    def _units(self, path: YamlPath, index: int, layer: LayerFile) -> tuple[str, ...]:
        """The layer's unit names, given or generated by the notation."""
        count = layer.units if isinstance(layer.units, int) else len(layer.units)
        if count < 1:
            raise self.src.error(
                (*path, "units"),
                "a layer needs at least one unit",
                "write a positive count or a list of names, e.g. [h1, h2]",
            )
        if layer.activation == "softmax" and count == 1:
            raise self.src.error(
                (*path, "activation"),
                "softmax over one unit always outputs 1, so nothing can be learned through it",
                "give the layer two or more units, or use sigmoid for one output",
            )
        if isinstance(layer.units, int):
            n_layers = len(self.raw.layers)
            names = tuple(self.notation.unit_name(index + 1, j + 1, n_layers) for j in range(count))
            for name in names:
                self._claim(name, (*path, "units"), "unit")
            return names
        for j, name in enumerate(layer.units):
            self._claim(name, (*path, "units", j), "unit")
        return tuple(layer.units)

    def _weights(
        self,
        path: YamlPath,
        number: int,
        layer: LayerFile,
        previous: tuple[UnitRef, ...],
        units: tuple[UnitRef, ...],
        counter: list[int],
    ):
        wpath = (*path, "weights")
        sources = [s.name for s in previous]
        if isinstance(layer.weights, list):
            if len(layer.weights) != len(units):
                raise self.src.error(
                    wpath,
                    f"{len(layer.weights)} rows for {len(units)} units",
                    "write one row per unit of this layer",
                )
            names, values = [], []
            for j, (unit, row) in enumerate(zip(units, layer.weights, strict=True)):
                if len(row) != len(previous):
                    raise self.src.error(
                        (*wpath, j),
                        f"row for unit '{unit.name}' has {len(row)} "
                        f"weights, the layer below has {len(previous)} units "
                        f"({', '.join(sources)})",
                        "write one weight per unit below",
                    )
                row_names = []
                for i, src in enumerate(previous):
                    counter[0] += 1
                    name = self.notation.weight_name(number, src, unit, counter[0])
                    self._claim(name, (*wpath, j, i), "weight")
                    row_names.append(name)
                names.append(tuple(row_names))
                values.append(tuple(row))
            return tuple(names), tuple(values)
        grid: dict[tuple[str, str], tuple[str, float]] = {}
        targets = [u.name for u in units]
        for name, entry in layer.weights.items():
            here = (*wpath, name)
            self._claim(name, here, "weight")
            counter[0] += 1
            if entry.from_ not in sources:
                raise self.src.error(
                    (*here, "from"),
                    f"'{entry.from_}' is not a unit of the layer below",
                    _closest(entry.from_, sources),
                )
            if entry.to not in targets:
                raise self.src.error(
                    (*here, "to"),
                    f"'{entry.to}' is not a unit of this layer",
                    _closest(entry.to, targets),
                )
            edge = (entry.to, entry.from_)
            if edge in grid:
                other = grid[edge][0]
                raise self.src.error(
                    here,
                    f"'{name}' and '{other}' are both weights from {entry.from_} to {entry.to}",
                    "keep one weight per edge",
                )
            grid[edge] = (name, entry.value)
        for unit in targets:
            for src in sources:
                if (unit, src) not in grid:
                    raise self.src.error(
                        wpath,
                        f"no weight from {src} to {unit} (layers are fully connected)",
                        f"add '<name>: {{from: {src}, to: {unit}, value: ...}}'",
                    )
        names = tuple(tuple(grid[(u, s)][0] for s in sources) for u in targets)
        values = tuple(tuple(grid[(u, s)][1] for s in sources) for u in targets)
        return names, values

    def _bias(self, path: YamlPath, number: int, layer: LayerFile, units: tuple[UnitRef, ...]):
        bpath = (*path, "bias")
        bias = layer.bias
        if bias is None:
            return (), (), ()
        if isinstance(bias, float):
            name = self.notation.bias_name(number, None)
            self._claim(name, bpath, "bias")
            return (name,), (bias,), tuple(0 for _ in units)
        if isinstance(bias, list):
            if len(bias) != len(units):
                raise self.src.error(
                    bpath,
                    f"{len(bias)} biases for {len(units)} units",
                    "write one bias per unit, or a single number for a shared bias",
                )
            names = tuple(self.notation.bias_name(number, u) for u in units)
            for j, name in enumerate(names):
                self._claim(name, (*bpath, j), "bias")
            return names, tuple(bias), tuple(range(len(units)))
        if len(bias) not in (1, len(units)):
            raise self.src.error(
                bpath,
                f"{len(bias)} biases for {len(units)} units",
                "give one name (a bias shared by the layer) or one per unit",
            )
        for name in bias:
            self._claim(name, (*bpath, name), "bias")
        entries = list(bias.items())
        if len(entries) == 1 and isinstance(entries[0][1], float):  # one name: shared by the layer
            return (entries[0][0],), (entries[0][1],), tuple(0 for _ in units)
        if all(isinstance(v, float) for _, v in entries):
            return (
                tuple(n for n, _ in entries),
                tuple(v for _, v in entries),
                tuple(range(len(units))),
            )
        if not all(isinstance(v, BiasEntry) for _, v in entries):
            raise self.src.error(
                bpath,
                "mixes plain numbers and {to:, value:} entries",
                "use one form for all biases of the layer",
            )
        order = {u.name: j for j, u in enumerate(units)}
        by_unit: dict[int, tuple[str, float]] = {}
        for name, entry in entries:
            if entry.to not in order:
                raise self.src.error(
                    (*bpath, name, "to"),
                    f"'{entry.to}' is not a unit of this layer",
                    _closest(entry.to, order),
                )
            if order[entry.to] in by_unit:
                raise self.src.error(
                    (*bpath, name), f"unit '{entry.to}' has two biases", "give each unit one bias"
                )
            by_unit[order[entry.to]] = (name, entry.value)
        missing = [u.name for j, u in enumerate(units) if j not in by_unit]
        if missing:
            raise self.src.error(
                bpath,
                f"unit '{missing[0]}' has no bias",
                "give every unit a bias, or one plain number for a shared bias",
            )
        return (
            tuple(by_unit[j][0] for j in range(len(units))),
            tuple(by_unit[j][1] for j in range(len(units))),
            tuple(range(len(units))),
        )
