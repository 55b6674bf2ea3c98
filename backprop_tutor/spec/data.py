"""The numbers a network is run on: the traced example, the training and the test examples.

Inputs and targets come from the spec itself (`inputs:`/`targets:`, `examples:`) or from a CSV
file named in it (read by `spec_csv`, inside the spec's folder unless `anywhere`). Every example
is checked against the network's input names and output units.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable

from backprop_tutor.core.notation import Notation
from backprop_tutor.spec.model import Example, Examples
from backprop_tutor.spec.schema import SpecFile
from backprop_tutor.spec.yaml_source import YamlPath, YamlSource

Values = tuple[float, ...]


def closest(word: str, options: Iterable[str]) -> str:
    """ "did you mean ...? choose one of: ..." for a name that is not among `options`."""
    options = sorted(options)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.5)
    hint = f"did you mean '{close[0]}'? " if close else ""
    if len(options) > 12:  # a big network's parameters: a line, not a page
        return f"{hint}choose one of: {', '.join(options[:10])}, … ({len(options):,} in all)"
    return f"{hint}choose one of: {', '.join(options)}"


class DataResolver:
    """Input names first (the layers need them), then every example once the outputs are known."""

    def __init__(
        self,
        source: YamlSource,
        raw: SpecFile,
        notation: Notation,
        claim: Callable[[str, YamlPath, str], None],
        anywhere: bool = False,
    ) -> None:
        self.src, self.raw, self.notation, self.claim = source, raw, notation, claim
        given = [k for k in ("examples", "data") if getattr(raw, k) is not None]
        if len(given) > 1:
            raise source.error(
                ("data",),
                "both examples: and data: are given",
                "keep one source of training examples",
            )
        if raw.inputs is None and not given:
            raise source.error(
                (),
                "no data: give inputs and targets, examples, or data",
                "add 'inputs:' and 'targets:' (see configs/dawood.yaml)",
            )
        if (raw.inputs is None) != (raw.targets is None):
            missing = "targets" if raw.targets is None else "inputs"
            raise source.error(
                (), f"missing key '{missing}'", "give inputs and targets together, or neither"
            )
        self.rows: Examples | None = None
        if raw.data:
            from backprop_tutor.spec.csv_data import (
                read_csv_examples,  # numpy and csv only for a CSV
            )

            self.rows = read_csv_examples(source, raw.data, anywhere)

    def input_names(self) -> tuple[str, ...]:
        """The network's input names: from inputs:, the first example, or the CSV columns."""
        raw = self.raw
        if raw.inputs is not None:
            return self._names(("inputs",), raw.inputs)
        if raw.examples is not None:
            return self._names(("examples", 0, "inputs"), raw.examples[0].inputs)
        assert raw.data is not None
        for i, name in enumerate(raw.data.inputs):
            self.claim(name, ("data", "inputs", i), "input")
        return tuple(raw.data.inputs)

    def examples(
        self, inputs: tuple[str, ...], outputs: tuple[str, ...]
    ) -> tuple[Example, Examples]:
        """The example `run` traces, and the training set (that example alone if none given)."""
        raw = self.raw
        examples: list[Example] | Examples = []
        if raw.examples is not None:
            for k, example in enumerate(raw.examples):
                x = self.numbers(("examples", k, "inputs"), example.inputs, inputs, "input")
                t = self.numbers(
                    ("examples", k, "targets"), example.targets, outputs, "output unit"
                )
                examples.append((x, t))
        elif self.rows is not None:
            assert raw.data is not None
            if len(raw.data.targets) != len(outputs):
                raise self.src.error(
                    ("data", "targets"),
                    f"{len(raw.data.targets)} target columns "
                    f"for {len(outputs)} outputs ({', '.join(outputs)})",
                    "name one column per output unit",
                )
            examples = self.rows
        if raw.inputs is not None and raw.targets is not None:
            traced = (
                self.numbers(("inputs",), raw.inputs, inputs, "input"),
                self.numbers(("targets",), raw.targets, outputs, "output unit"),
            )
        else:
            traced = examples[0]
        return traced, Examples.of(examples if len(examples) else [traced])

    def tests(self, inputs: tuple[str, ...], outputs: tuple[str, ...]) -> tuple[Example, ...]:
        """The `test:` examples, predicted after the steps and never trained on, each checked
        at its place against the input names and output units as a training example is."""
        return tuple(
            (
                self.numbers(("test", k, "inputs"), e.inputs, inputs, "input"),
                self.numbers(("test", k, "targets"), e.targets, outputs, "output unit"),
            )
            for k, e in enumerate(self.raw.test or [])
        )

    # -- one set of named numbers ------------------------------------------------------------
    def _names(self, path: YamlPath, value: dict[str, float] | list[float]) -> tuple[str, ...]:
        if not value:
            raise self.src.error(path, "no inputs", "give at least one input, e.g. {x1: 0.5}")
        if isinstance(value, list):
            names = tuple(self.notation.input_name(i + 1) for i in range(len(value)))
            for i, name in enumerate(names):
                self.claim(name, (*path, i), "input")
            return names
        for name in value:
            self.claim(name, (*path, name), "input")
        return tuple(value)

    def numbers(
        self,
        path: YamlPath,
        value: dict[str, float] | list[float],
        expected: tuple[str, ...],
        what: str,
    ) -> Values:
        """Values for `expected` names, given as a list in order or as name: value."""
        if isinstance(value, list):
            if len(value) != len(expected):
                raise self.src.error(
                    path,
                    f"{len(value)} values for {len(expected)} {what}s ({', '.join(expected)})",
                    f"give one value per {what}",
                )
            return tuple(value)
        for name in value:
            if name not in expected:
                raise self.src.error(
                    (*path, name), f"'{name}' is not an {what}", closest(name, expected)
                )
        missing = [n for n in expected if n not in value]
        if missing:
            raise self.src.error(
                path, f"no value for {what} '{missing[0]}'", f"add '{missing[0]}: <value>'"
            )
        return tuple(value[n] for n in expected)
