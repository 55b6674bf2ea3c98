"""The network's meaning: a shape-checked spec file becomes a resolved `Spec`.

Each check points at its own place in the file: a weight from a unit that does not exist, two
weights on one edge, a missing weight, a name used twice, targets that do not match the outputs.
"""

from __future__ import annotations

from itertools import chain
from pathlib import Path

from backprop_tutor.core.activations import ACTIVATIONS, PARAMETRIZED
from backprop_tutor.core.errors import shortened
from backprop_tutor.core.losses import LOSSES
from backprop_tutor.core.notation import NOTATIONS, Notation, UnitRef
from backprop_tutor.core.numbers import NumberFormat
from backprop_tutor.spec.batch_norm import check_batches, resolve_batch_norm
from backprop_tutor.spec.data import DataResolver, Values, closest
from backprop_tutor.spec.dropout import resolve_dropout
from backprop_tutor.spec.givens import givens_past
from backprop_tutor.spec.initialization import initializer
from backprop_tutor.spec.limits import MAX_PARAMETERS, MAX_UNITS
from backprop_tutor.spec.model import LayerSpec, OptimizerSpec, Spec, TrainingSpec
from backprop_tutor.spec.names import NAME, NAMES, NameChain, PatternClaims
from backprop_tutor.spec.params import ParameterResolver
from backprop_tutor.spec.schema import LayerFile, SpecFile
from backprop_tutor.spec.update_rule import resolve_update
from backprop_tutor.spec.yaml_source import YamlPath, YamlSource


class NamesNotProved(Exception):
    """Rows kept as patterns whose names may meet another's (resolve again, making each)."""


class Resolver(ParameterResolver):
    """Turns a shape-checked SpecFile into a Spec, one named error at a time."""

    def __init__(
        self,
        source: YamlSource,
        raw: SpecFile,
        data_anywhere: bool = False,
        by_pattern: bool = True,
    ) -> None:
        self.src = source
        self.raw = raw
        self.data_anywhere = data_anywhere  # may data: csv: name a file outside the folder?
        # every name claimed one at a time, and where; the names claimed a row at a time (an
        # MNIST layer's 200,000 weights) are only a set and their rows, each found on an error
        self.names: dict[str, YamlPath] = {}
        self.row_names: set[str] = set()
        self.rows: list[tuple[YamlPath, list[str]]] = []
        # `by_pattern`: a row a notation names by one pattern is kept as that pattern, never
        # made, and `spec` proves all names unique at the end (names.PatternClaims), or
        # raises NamesNotProved: then `load` resolves again without, claiming each name
        self.patterns = PatternClaims() if by_pattern else None
        if raw.notation not in NOTATIONS:
            raise source.error(
                ("notation",),
                f"unknown notation '{raw.notation}'",
                closest(raw.notation, NOTATIONS),
            )
        self.notation: Notation = NOTATIONS[raw.notation]
        self.init = initializer(source, raw.init)  # its range checked at its place
        self.drawn = False  # did any weight come from `init`?
        self.parameters = 0  # at most this many weights and biases so far, layer by layer

    def spec(self) -> Spec:
        """The whole spec, checked: its names, layers, examples, loss and training rules;
        every problem a SpecError at its place in the file."""
        raw, src = self.raw, self.src
        self._check_loss_and_rate()
        data = DataResolver(src, raw, self.notation, self._claim, self.data_anywhere)
        input_names = data.input_names()
        layers = self._layers(input_names)
        outputs = layers[-1].units
        traced, examples = data.examples(input_names, outputs)
        self._check_targets(layers[-1], traced[1], examples)
        optimizer = resolve_update(src, raw)
        training = self._training(len(examples), optimizer)
        if any(ls.batch_norm for ls in layers):
            check_batches(src, raw, len(examples), training.batch_size)
        digits = raw.display.digits
        display = NumberFormat(
            digits, raw.display.rounding, raw.display.fixed, givens_past(src, digits)
        )
        if self.patterns is not None and not self.patterns.apart(self.names, self.row_names):
            raise NamesNotProved
        return Spec(
            src.file,
            raw.title,
            raw.source,
            raw.notation,
            input_names,
            traced[0],
            traced[1],
            tuple(layers),
            raw.loss,
            raw.learning_rate,
            raw.update_biases,
            raw.steps,
            display,
            raw.arithmetic.carry_digits,
            examples,
            training,
            self.init.describe() if self.drawn else None,
            raw.update,
            data.tests(input_names, outputs),
            self.notation.bias_sign,
            optimizer,
            str(Path(src.file).parent / raw.data.csv.strip()) if raw.data else None,
        )

    def _check_loss_and_rate(self) -> None:
        """The loss's name and the learning rate, checked first: every later check of the
        targets and the output layer asks the loss what it is defined for."""
        raw, src = self.raw, self.src
        if raw.loss not in LOSSES:
            raise src.error(("loss",), f"unknown loss '{raw.loss}'", closest(raw.loss, LOSSES))
        if raw.learning_rate <= 0:
            raise src.error(
                ("learning_rate",),
                f"learning rate {raw.learning_rate} is not positive",
                "use a positive number such as 0.5",
            )

    def _check_targets(self, output: LayerSpec, traced: tuple[float, ...], examples) -> None:
        """The traced example's targets, then the first example's outside what the loss and
        output activation can reach (each said at its place)."""
        self._check_loss(output.activation, output.units, traced, ("targets",), "")
        k = self._first_target_outside(examples.targets)
        if k is not None:
            given = ("examples",) if self.raw.examples is not None else ("data", "csv")
            where, which = (*given, k), f" (example {k + 1})"
            self._check_loss(output.activation, output.units, examples[k][1], where, which)

    def _layers(self, input_names: tuple[str, ...]) -> list[LayerSpec]:
        """Every layer, resolved from the input up: each one's units are the next one's
        sources, and `counter` numbers the weights across layers as the notation names them."""
        previous = tuple(UnitRef(n, 0, i + 1) for i, n in enumerate(input_names))
        layers: list[LayerSpec] = []
        counter = [0]
        for index, layer in enumerate(self.raw.layers):
            resolved = self._layer(index, layer, previous, counter)
            layers.append(resolved)
            last = index == len(self.raw.layers) - 1
            previous = tuple(
                UnitRef(n, index + 1, i + 1, last) for i, n in enumerate(resolved.units)
            )
        return layers

    def _training(self, n_examples: int, optimizer: OptimizerSpec) -> TrainingSpec:
        """The training block, checked against the number of examples."""
        t, path = self.raw.training, ("training",)
        if t.batch == "mini" and t.batch_size is None:
            raise self.src.error(
                (*path, "batch"),
                "batch: mini needs a batch_size",
                "add batch_size: 2 (or another size) to training:",
            )
        if t.batch != "mini" and t.batch_size not in (None, 1 if t.batch == "stochastic" else 0):
            raise self.src.error(
                (*path, "batch_size"),
                f"batch_size is for batch: mini, not {t.batch}",
                "remove batch_size, or use batch: mini",
            )
        size = {"stochastic": 1, "full": n_examples}.get(t.batch, t.batch_size or 1)
        if size > n_examples:
            raise self.src.error(
                (*path, "batch_size"),
                f"batch size {size} is larger than the {n_examples} examples",
                f"use at most {n_examples}",
            )
        if t.dtype != "float64" and self.raw.arithmetic.carry_digits is not None:
            raise self.src.error(
                (*path, "dtype"),
                f"dtype {t.dtype} is for exact arithmetic; this spec carries "
                f"{self.raw.arithmetic.carry_digits} decimals as a calculator does",
                "remove dtype, or remove arithmetic: carry_digits",
            )
        if t.epochs is not None and t.epochs > t.max_epochs:
            raise self.src.error(
                (*path, "epochs"),
                f"epochs {t.epochs} is above max_epochs {t.max_epochs}",
                "raise max_epochs or lower epochs",
            )
        return TrainingSpec(
            t.batch,
            size,
            t.shuffle,
            t.seed,
            t.reduction,
            # Mitchell's α, which the classic update reads (0: none, or another update)
            optimizer.hyper.get("momentum", 0.0) if optimizer.classic else 0.0,
            t.epochs,
            t.max_epochs,
            t.loss_threshold,
            t.gradient_threshold,
            t.report_every,
            t.dtype,
        )

    def _first_target_outside(self, targets) -> int | None:
        """The first example whose targets the loss is not defined for, found in one pass
        over the array (a CSV may hold millions of rows)."""
        import numpy as np

        kind = LOSSES[self.raw.loss].targets
        if kind == "any" or not len(targets):
            return None
        low = targets > 0 if kind == "positive" else targets >= 0
        bad = ~(low & (targets <= 1)).all(axis=1)
        return int(np.argmax(bad)) if bad.any() else None

    def _check_loss(
        self,
        output_activation: str,
        outputs: tuple[str, ...],
        targets: Values,
        where: YamlPath,
        which: str,
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
                        (*where, name),
                        f"target {t}{which} is outside {interval}, where {loss.name} is defined",
                        "use probabilities as targets (one-hot for classes)",
                    )

    # names ------------------------------------------------------------------------------------
    def _claim(self, name: str, path: YamlPath, what: str) -> None:
        if not NAME.fullmatch(name):
            # é and ω are letters, so "start with a letter" misled: a name is ASCII (it is an
            # id, a SymPy symbol, a CSV header and a LaTeX name, each spelled the one way)
            other = next((c for c in name if not c.isascii() and c.isprintable()), "")
            why = f": '{other}' is not an ASCII character" if other else ""
            raise self.src.error(
                path,
                f"{what} name '{shortened(name)}' is not a valid name{why}",
                "start with an ASCII letter (a-z, A-Z), then ASCII letters, digits, _ ^ ( ) . '",
            )
        if name in self.names or name in self.row_names:
            first = self.src.locate(self._first_place(name))[0]
            raise self.src.error(
                path,
                f"the name '{name}' is used twice (first on line {first})",
                "give every input, unit and parameter its own name",
            )
        self.names[name] = path

    def _first_place(self, name: str) -> YamlPath:
        """Where a claimed name was defined (looked up only to report it used twice)."""
        if name in self.names:
            return self.names[name]
        return next((*path, row.index(name)) for path, row in self.rows if name in row)

    def _claim_all(
        self, names: list[str], path: YamlPath, what: str, affixes: tuple[str, str] | None
    ) -> None:
        # a row of 784 weights at once (an MNIST layer has 200,000): one set update for the
        # lot, no tuple per name, and `_claim` one by one only to name the first that is wrong
        if affixes is not None:  # claimed names between the same two: valid if one is
            valid = bool(NAME.fullmatch(affixes[0] + "x" + affixes[1]))
        else:
            lines = "\n".join(names) + "\n"  # one regex call; no name holds a newline
            valid = lines.count("\n") == len(names) and bool(NAMES.fullmatch(lines))
        if valid and self.names.keys().isdisjoint(names):
            before = len(self.row_names)
            self.row_names.update(names)
            if len(self.row_names) - before == len(names):  # all new, none twice in the row
                self.rows.append((path, names))
                return
            self.row_names = {name for _, row in self.rows for name in row}  # as before the row
        for i, name in enumerate(names):
            self._claim(name, (*path, i), what)

    # layers -----------------------------------------------------------------------------------
    def _layer(
        self, index: int, layer: LayerFile, previous: tuple[UnitRef, ...], counter: list[int]
    ) -> LayerSpec:
        path: YamlPath = ("layers", index)
        alpha = self._activation(path, layer)
        names = self._units(path, index, layer)
        self._bound_parameters(path, len(previous), len(names))
        last = index == len(self.raw.layers) - 1
        units = tuple(UnitRef(n, index + 1, j + 1, last) for j, n in enumerate(names))
        weight_names, weights = self._weights(path, index + 1, layer, previous, units, counter)
        bias_names, bias_values, bias_of_unit = self._bias(path, index + 1, layer, units)
        normalized = resolve_batch_norm(self.src, self.raw, path, layer, names, last, self._claim)
        norm = None
        if normalized is not None:  # γ and β where the biases are (the layer has none)
            norm, bias_values = normalized
            bias_names = (*norm.gammas, *norm.betas)
        if isinstance(layer.weights, dict):  # the file's own order, then the biases
            order = (*layer.weights, *bias_names)
        elif (
            len(bias_of_unit) == len(bias_names) == len(names)
        ):  # unit by unit, its own bias first (w_0j in Bishop)
            rows = zip([(b,) for b in bias_names], weight_names, strict=True)  # (b_j,), (w_j1, ..)
            order = NameChain(tuple(chain.from_iterable(rows)))
        else:
            order = NameChain((*weight_names, tuple(bias_names)))
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
            resolve_dropout(self.src, self.raw, path, layer, len(names), last),
            norm,
        )

    def _bound_parameters(self, path: YamlPath, fan_in: int, units: int) -> None:
        """Refuse a network too big to hold before its weights are drawn: a full layer and one
        bias per unit is the most a layer can have."""
        self.parameters += (fan_in + 1) * units
        if self.parameters > MAX_PARAMETERS:
            raise self.src.error(
                (*path, "units"),
                f"with this layer the network has up to {self.parameters:,} weights and biases, "
                f"more than the {MAX_PARAMETERS:,} allowed",
                "use fewer units or inputs",
            )

    def _activation(self, path: YamlPath, layer: LayerFile) -> float | None:
        """Check the activation's name and parameter; the parameter (alpha) or None."""
        if layer.activation not in ACTIVATIONS:
            raise self.src.error(
                (*path, "activation"),
                f"unknown activation '{layer.activation}'",
                closest(layer.activation, ACTIVATIONS),
            )
        if layer.alpha is not None and layer.activation not in PARAMETRIZED:
            takes = " and ".join(PARAMETRIZED)
            raise self.src.error(
                (*path, "alpha"),
                f"alpha is a parameter of {takes} (the slope or scale below 0); "
                f"this layer is {layer.activation}",
                f"remove alpha, or use activation: {next(iter(PARAMETRIZED))}",
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
        if count > MAX_UNITS:
            raise self.src.error(
                (*path, "units"),
                (f"{count:,}" if count < 10**15 else f"about 10^{len(str(count)) - 1}")
                + f" units, more than the {MAX_UNITS:,} a layer may have",
                "use fewer units; a worked example is read, not deployed",
            )
        needed = ACTIVATIONS[layer.activation].min_units
        if count < needed:
            raise self.src.error(
                (*path, "activation"),
                f"{layer.activation} needs {needed} units or more in its layer (softmax over "
                "one unit always outputs 1, so nothing can be learned through it)",
                f"give the layer {needed} or more units, or use sigmoid for one output",
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
