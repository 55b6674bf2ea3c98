"""Each layer's parameters: weights by name or as a matrix (or drawn by `init:`), and biases.

A base of the spec resolver: every check points at its own place in the file, and every name
is claimed once across the whole network.
"""

from __future__ import annotations

from backprop_tutor.core.notation import Notation, UnitRef
from backprop_tutor.spec.data import closest
from backprop_tutor.spec.initialization import Initializer
from backprop_tutor.spec.names import NAME, AffixedRow, PatternClaims
from backprop_tutor.spec.schema import BiasEntry, LayerFile
from backprop_tutor.spec.yaml_source import YamlPath, YamlSource


class ParameterResolver:
    """Weights and biases of one layer at a time; `Resolver` supplies the state below."""

    src: YamlSource
    notation: Notation
    init: Initializer
    drawn: bool
    patterns: PatternClaims | None  # rows of names kept as patterns; None: every name made

    def _claim(self, name: str, path: YamlPath, what: str) -> None:
        raise NotImplementedError

    def _claim_all(
        self, names: list[str], path: YamlPath, what: str, affixes: tuple[str, str] | None
    ) -> None:
        """`_claim` each of a row of names, the i-th at (*path, i); `affixes`, where each is
        a claimed name between the same two (Notation.weight_row)."""
        raise NotImplementedError

    def _weights(
        self,
        path: YamlPath,
        number: int,
        layer: LayerFile,
        previous: tuple[UnitRef, ...],
        units: tuple[UnitRef, ...],
        counter: list[int],
    ):
        """A layer's weight names and values: a matrix (named by the notation), each edge
        named by the spec, or left out and drawn by `init:`."""
        wpath = (*path, "weights")
        matrix = layer.weights
        if matrix is None:  # left out: drawn by `init:`
            matrix = self.init.weights(len(units), len(previous))
            self.drawn = True
        if isinstance(matrix, list):
            return self._weight_matrix(wpath, number, matrix, previous, units, counter)
        assert isinstance(matrix, dict)
        return self._weight_edges(wpath, matrix, previous, units, counter)

    def _weight_edges(
        self,
        wpath: YamlPath,
        matrix: dict,
        previous: tuple[UnitRef, ...],
        units: tuple[UnitRef, ...],
        counter: list[int],
    ):
        """Weights the spec names itself, each {from:, to:, value:}: one on every edge between
        the layer below and this one, put in the matrix's order."""
        sources, targets = [s.name for s in previous], [u.name for u in units]
        grid: dict[tuple[str, str], tuple[str, float]] = {}
        for name, entry in matrix.items():
            here = (*wpath, name)
            self._claim(name, here, "weight")
            counter[0] += 1
            if entry.from_ not in sources:
                raise self.src.error(
                    (*here, "from"),
                    f"'{entry.from_}' is not a unit of the layer below",
                    closest(entry.from_, sources),
                )
            if entry.to not in targets:
                raise self.src.error(
                    (*here, "to"),
                    f"'{entry.to}' is not a unit of this layer",
                    closest(entry.to, targets),
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

    def _weight_matrix(
        self,
        wpath: YamlPath,
        number: int,
        matrix: list,
        previous: tuple[UnitRef, ...],
        units: tuple[UnitRef, ...],
        counter: list[int],
    ):
        """Weights as rows, one per unit (written, or drawn by `init:`), named by the
        notation and every name claimed a row at a time."""
        if len(matrix) != len(units):
            raise self.src.error(
                wpath,
                f"{len(matrix)} rows for {len(units)} units",
                "write one row per unit of this layer",
            )
        names: list = []
        values = []
        sources = tuple(s.name for s in previous)  # one tuple and set for the layer's rows
        kept = frozenset(sources) if self.patterns is not None else frozenset()
        for j, (unit, row) in enumerate(zip(units, matrix, strict=True)):
            if len(row) != len(previous):
                raise self.src.error(
                    (*wpath, j),
                    f"row for unit '{unit.name}' has {len(row)} "
                    f"weights, the layer below has {len(previous)} units "
                    f"({', '.join(s.name for s in previous)})",
                    "write one weight per unit below",
                )
            affixes = self.notation.row_affixes(number, unit)
            if self.patterns is not None and affixes and NAME.fullmatch("x".join(affixes)):
                self.patterns.add(affixes[0], kept, affixes[1])  # proved unique in the end
                names.append(AffixedRow(affixes[0], sources, affixes[1]))
            else:
                row_names, affixes = self.notation.weight_row(
                    number, previous, unit, counter[0] + 1
                )
                self._claim_all(row_names, (*wpath, j), "weight", affixes)
                names.append(tuple(row_names))
            counter[0] += len(previous)
            values.append(tuple(row))
        return tuple(names), tuple(values)

    def _bias(self, path: YamlPath, number: int, layer: LayerFile, units: tuple[UnitRef, ...]):
        """A layer's bias names, values and each unit's index into them, from any form a spec
        may write: none, `init`, one shared number, a list, names to numbers, or names to
        {to:, value:} entries."""
        bpath = (*path, "bias")
        bias = layer.bias
        if bias is None:
            return (), (), ()
        if bias == "init":  # one per unit, drawn by `init:`
            self.drawn = True
            bias = self.init.biases(len(units))
        if isinstance(bias, float):
            name = self.notation.bias_name(number, None)
            self._claim(name, bpath, "bias")
            return (name,), (bias,), tuple(0 for _ in units)
        if isinstance(bias, list):
            return self._bias_list(bpath, number, bias, units)
        return self._named_biases(bpath, bias, units)

    def _bias_list(self, bpath: YamlPath, number: int, bias: list, units: tuple[UnitRef, ...]):
        """One bias per unit, named by the notation."""
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

    def _named_biases(self, bpath: YamlPath, bias: dict, units: tuple[UnitRef, ...]):
        """Biases the spec names itself: one (shared by the layer), one per unit in order, or
        each with the unit it goes `to`."""
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
        return self._biases_to_units(bpath, entries, units)

    def _biases_to_units(self, bpath: YamlPath, entries: list, units: tuple[UnitRef, ...]):
        """{to:, value:} entries put in the units' order: each unit of the layer, one bias."""
        order = {u.name: j for j, u in enumerate(units)}
        by_unit: dict[int, tuple[str, float]] = {}
        for name, entry in entries:
            if entry.to not in order:
                raise self.src.error(
                    (*bpath, name, "to"),
                    f"'{entry.to}' is not a unit of this layer",
                    closest(entry.to, order),
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
