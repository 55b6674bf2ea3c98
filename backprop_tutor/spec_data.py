"""The numbers a network is run on: the traced example and the training examples.

Inputs and targets come from the spec itself (`inputs:`/`targets:`, `examples:`) or from a CSV
file named in it. Every example is checked against the network's input names and output units,
and a problem in a CSV file names that file, its line and the column.
"""

from __future__ import annotations

import csv
import difflib
import operator
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from .errors import SpecError, shortened
from .notation import Notation
from .spec_file import DataFile, SpecFile, parse_number
from .yaml_source import YamlPath, YamlSource

Values = tuple[float, ...]
Example = tuple[Values, Values]
MAX_CSV_BYTES = 200_000_000


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
        self.rows: list[Example] | None = self._csv(raw.data) if raw.data else None

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
    ) -> tuple[Example, tuple[Example, ...]]:
        """The example `run` traces, and the training set (that example alone if none given)."""
        raw = self.raw
        examples: list[Example] = []
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
        return traced, tuple(examples) or (traced,)

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

    # -- CSV -------------------------------------------------------------------------------------
    def _csv(self, data: DataFile) -> list[Example]:
        """Read the examples; a problem names the CSV file, its line and the column."""
        path = Path(self.src.file).parent / data.csv
        name = str(path)
        try:
            if path.stat().st_size > MAX_CSV_BYTES:
                raise self.src.error(
                    ("data", "csv"),
                    f"{name} is larger than {MAX_CSV_BYTES:,} bytes",
                    "use a smaller data set",
                )
            # utf-8-sig: spreadsheets save CSV with a byte-order mark before the first column name
            with path.open(newline="", encoding="utf-8-sig") as handle:
                reader = csv.reader(handle)
                header = next(reader, None)
                if not header:
                    raise SpecError(
                        name, "the file is empty", "write a header row of column names", line=1
                    )
                header = [h.strip() for h in header]
                columns = self._columns(name, header, data)
                rows = []
                for chunk in _chunks(reader):
                    rows += _fast_rows(chunk, columns, len(data.inputs)) or [
                        self._row(name, line, row, header, columns, data) for line, row in chunk
                    ]
        except FileNotFoundError:
            raise self.src.error(
                ("data", "csv"), f"no such file {name}", "the path is relative to the spec file"
            ) from None
        except UnicodeDecodeError:
            raise SpecError(name, "is not UTF-8 text", "save the file as UTF-8") from None
        except csv.Error as exc:
            raise SpecError(name, f"CSV error: {exc}", "fix the file") from None
        if not rows:
            raise SpecError(name, "no data rows after the header", "add one row per example")
        return rows

    def _columns(self, name: str, header: list[str], data: DataFile) -> list[int]:
        columns = []
        for key, wanted in (("inputs", data.inputs), ("targets", data.targets)):
            for i, column in enumerate(wanted):
                if column not in header:
                    one = header[0] if len(header) == 1 else ""
                    fix = (
                        f"its header is the one column '{shortened(one)}': separate the columns "
                        "with commas"
                        if any(separator in one for separator in ";\t|")
                        else closest(column, header)
                    )
                    raise self.src.error(("data", key, i), f"{name} has no column '{column}'", fix)
                columns.append(header.index(column))
        return columns

    @staticmethod
    def _row(
        name: str, line: int, row: list[str], header: list[str], columns: list[int], data: DataFile
    ) -> Example:
        values = []
        for index in columns:
            cell = row[index].strip() if index < len(row) else ""
            try:
                values.append(parse_number(cell))
            except ValueError as exc:
                problem = "is empty" if not cell else f"'{shortened(cell)}': {exc}"
                raise SpecError(
                    name,
                    f"column '{header[index]}' {problem}",
                    "every input and target cell must be a number",
                    line=line,
                ) from None
        n = len(data.inputs)
        return tuple(values[:n]), tuple(values[n:])


CHUNK_ROWS = 1_000


def _chunks(reader) -> Iterable[list[tuple[int, list[str]]]]:
    """The non-empty rows with their line numbers, a thousand at a time."""
    chunk: list[tuple[int, list[str]]] = []
    for row in reader:
        if row:
            chunk.append((reader.line_num, row))
            if len(chunk) == CHUNK_ROWS:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _fast_rows(
    chunk: list[tuple[int, list[str]]], columns: list[int], n_inputs: int
) -> list[Example] | None:
    """A chunk of plain finite decimals, converted by numpy in one call (a 10,000-row MNIST
    file in a second, not a minute); None for anything else, which `_row` then reads cell by
    cell, so fractions are parsed and a bad cell is named with its line and column."""
    try:
        pick = operator.itemgetter(*columns)
        cells = [pick(row) for _, row in chunk]
        flat = "".join(map("".join, cells))
        if "_" in flat or "/" in flat:  # 1_000 and fractions: parse_number's rules decide
            return None
        values = np.array(cells, dtype=float)
    except (IndexError, ValueError):
        return None
    if not np.isfinite(values).all():
        return None
    return [(tuple(v[:n_inputs]), tuple(v[n_inputs:])) for v in values.tolist()]
