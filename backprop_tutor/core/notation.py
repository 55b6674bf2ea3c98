"""Each lecture's vocabulary: the symbols a renderer prints and the names a compact spec gets.

The engine and the trace know units only by name; every symbol a student reads (sum_h1, a1^(2),
∂E_total/∂output_o1) is chosen here, so a new lecture's notation is one new entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Between two indices once one passes 9 (Bishop's w_{10,1} as w10_1): not a comma, which
# separates names in ids (path[w1,o1]) and in --only lists.
_SEP = "_"
# a weight form's fields that vary with the source, each filled with itself (kept as a field)
_SOURCE_FIELDS = {key: "{" + key + "}" for key in ("source", "source_index", "sep", "counter")}


@dataclass(frozen=True, slots=True)
class UnitRef:
    """Where a unit sits: layer 0 holds the inputs, the last layer the outputs; index is 1-based."""

    name: str
    layer: int
    index: int
    is_output: bool = False


@dataclass(frozen=True)
class Notation:
    """Symbols and naming rules of one lecture."""

    name: str
    description: str
    net_word: str  # what the lecture calls a unit's net input
    out_word: str  # ... and its output
    error: str  # the total error
    uses_delta: bool  # does the lecture name dE/dnet as delta?
    input_prefix: str
    hidden_prefix: str
    output_prefix: str
    delta_sign: int = 1  # +1: delta = dE/dnet; -1: the sensitivity -dE/dnet (Mitchell, Xu)
    names_are_outputs: bool = False  # a unit's name is its output's symbol (Bishop's z1, y1)
    bias_sign: int = 1  # +1: net = Σ w x + b; -1: a threshold, net = Σ w x - b (x_0 = -1)
    # How names and symbols are written, as format templates. Their fields: {prefix} (the
    # layer's unit prefix), {layer} (1-based; 0 for inputs), {index} (1-based in its layer),
    # {name} (the unit's name), {source}/{target} and {source_index}/{target_index} (a
    # weight's ends), {sep} ("_" once an index passes 9, so w1_10 is not w11_0), {counter}
    # (weights numbered through the network, as Dawood's w1..w8), {net_word}, {out_word}.
    hidden_name: str = "{prefix}{layer}_{index}"  # a hidden unit of a deep network
    shallow_hidden_name: str = "{prefix}{index}"  # ... of a network with one hidden layer
    weight: str = "w_{target}_{source}"
    unit_bias: str = "b_{target}"  # a bias of one unit
    shared_bias: str = "b{layer}"  # a bias shared by the layer
    net_symbol: str = "{net_word}_{name}"
    out_symbol: str = "{out_word}_{name}"
    input_symbol: str = "{out_word}_{name}"  # an input, which is its own output
    target_symbol: str = "t_{name}"
    unit_error_symbol: str = "E_{name}"  # one output's error term
    error_per_output: bool = False  # a path ends in its output's error (Dawood's E_1, E_2)

    def sign_of(self, key: str) -> int:
        """The sign a trace value is shown in, by its id: δ's (`delta[...]`) the notation's
        (−1 where δ is the sensitivity −∂E/∂net), every other quantity's +1."""
        return self.delta_sign if key.startswith("delta[") else 1

    # -- names for a compact spec ------------------------------------------------------------
    def input_name(self, index: int) -> str:
        return f"{self.input_prefix}{index}"

    def unit_name(self, layer: int, index: int, n_layers: int) -> str:
        """Layer is 1-based; the last of `n_layers` is the output layer."""
        if layer == n_layers:
            return f"{self.output_prefix}{index}"
        form = self.shallow_hidden_name if n_layers == 2 else self.hidden_name
        return form.format(prefix=self.hidden_prefix, layer=layer, index=index)

    def weight_row(
        self, layer: int, sources: Sequence[UnitRef], target: UnitRef, first: int
    ) -> tuple[list[str], tuple[str, str] | None]:
        """The names of the weights from each of `sources` to `target` in `layer` (1-based),
        numbered from `first` (the Dawood notation's w1, w2, ...), and what comes before and
        after the source's name in each where nothing else varies with the source
        (w_h1_{source}), else None: the spec then knows every name valid from one of them
        (spec/resolve.py). The target's part of the form is filled once for the row: an MNIST
        layer names 200,000 weights."""
        affixes = self.row_affixes(layer, target)
        if affixes is not None:
            head, tail = affixes
            return [head + s.name + tail for s in sources], affixes
        row = self._row_form(layer, target)
        names = [
            (row or self.weight).format(
                source=s.name,
                target=target.name,
                source_index=s.index,
                target_index=target.index,
                sep=_SEP if max(s.index, target.index) > 9 else "",
                layer=layer,
                counter=first + i,
            )
            for i, s in enumerate(sources)
        ]
        return names, None

    def row_affixes(self, layer: int, target: UnitRef) -> tuple[str, str] | None:
        """What comes before and after the source's name in every weight into `target`,
        where nothing else varies with the source (w_h1_{source}); None where something does
        (a counter, the source's index)."""
        head, found, tail = (self._row_form(layer, target) or "").partition("{source}")
        return (head, tail) if found and "{" not in head + tail else None

    def _row_form(self, layer: int, target: UnitRef) -> str | None:
        """The weight form with the target's fields filled, the source's left as fields; None
        for a target whose name holds a brace (not a name a spec admits)."""
        if "{" in target.name or "}" in target.name:
            return None
        return self.weight.format(
            target=target.name, target_index=target.index, layer=layer, **_SOURCE_FIELDS
        )

    def bias_name(self, layer: int, target: UnitRef | None) -> str:
        """A per-unit bias (target given) or a bias shared by the whole layer (target None)."""
        if target is None:
            return self.shared_bias.format(layer=layer)
        return self.unit_bias.format(
            target=target.name,
            target_index=target.index,
            sep=_SEP if target.index > 9 else "",
            layer=layer,
        )

    # -- symbols for labels ------------------------------------------------------------------
    def out_word_for(self, is_output: bool) -> str:
        """The word for a unit's output in a column header (Bishop: z hidden, y output)."""
        if self.names_are_outputs:
            return self.output_prefix if is_output else self.hidden_prefix
        return self.out_word

    def _symbol(self, form: str, unit: UnitRef) -> str:
        return form.format(
            name=unit.name,
            index=unit.index,
            layer=unit.layer,
            net_word=self.net_word,
            out_word=self.out_word,
        )

    def net(self, unit: UnitRef) -> str:
        return self._symbol(self.net_symbol, unit)

    def out(self, unit: UnitRef) -> str:
        if self.names_are_outputs:
            return unit.name
        return self._symbol(self.input_symbol if unit.layer == 0 else self.out_symbol, unit)

    def target(self, unit: UnitRef) -> str:
        """An output's target: Dawood's target_1, Bishop's t_1, or t_o1."""
        return self._symbol(self.target_symbol, unit)

    def unit_error(self, unit: UnitRef) -> str:
        """The symbol of one output's error term (Dawood numbers them E_1, E_2)."""
        return self._symbol(self.unit_error_symbol, unit)


NOTATIONS: dict[str, Notation] = {
    "generic": Notation(
        "generic",
        "net input and output, delta = dE/dnet",
        "net",
        "out",
        "E",
        True,
        "x",
        "h",
        "o",
        input_symbol="{name}",  # an input is x1, as its name says, not out_x1
    ),
    "dawood": Notation(
        "dawood",
        "Dawood (COMP417): sum and output, E_total, chain rule per path",
        "sum",
        "output",
        "E_total",
        False,
        "i",
        "h",
        "o",
        weight="w{counter}",
        input_symbol="{name}",
        target_symbol="target_{index}",
        unit_error_symbol="E_{index}",
        error_per_output=True,
    ),
    "borela": Notation(
        "borela",
        "Borela (CS4641, Bishop): a, z, y; delta_k = y_k - t_k",
        "a",
        "z",
        "E_n",
        True,
        "x",
        "z",
        "y",
        names_are_outputs=True,
        hidden_name="{prefix}{index}^({layer})",
        weight="w{source_index}{sep}{target_index}^({layer})",
        unit_bias="w0{sep}{target_index}^({layer})",
        shared_bias="b^({layer})",
        net_symbol="a{index}^({layer})",
        target_symbol="t_{index}",
    ),
    "mitchell": Notation(
        "mitchell",
        "Tiwari (Mitchell's algorithm): o, net; delta = o(1 - o)(t - o) = -dE/dnet; "
        "w += eta delta x",
        "net",
        "o",
        "E_d",
        True,
        "x",
        "h",
        "o",
        delta_sign=-1,
        input_symbol="{name}",  # Mitchell's x_i (x_ij into unit j), never o
        target_symbol="t_{index}",
    ),
    "layered": Notation(
        "layered",
        "The layered notes: signal S_j^(k), output x_j^(k), final output y, loss L, delta = dL/dS",
        "S",
        "x",
        "L",
        True,
        "x",
        "x",
        "y",
        bias_sign=-1,
        hidden_name="{prefix}{index}^({layer})",  # x_j^(k): the inputs are x_j^(0), as x1
        shallow_hidden_name="{prefix}{index}^({layer})",
        input_symbol="{name}^(0)",  # the notes' x_j^(0), never x_x1
    ),
    "xu": Notation(
        "xu",
        "Xu (Duda-Hart-Stork): net, hidden y_j, outputs z_k; sensitivity delta = -dJ/dnet",
        "net",
        "z",
        "J",
        True,
        "x",
        "y",
        "z",
        delta_sign=-1,
        names_are_outputs=True,
        target_symbol="t_{index}",
    ),
}


def unit_refs(layers: tuple[tuple[str, ...], ...]) -> dict[str, UnitRef]:
    """Every unit's place, from the unit names per layer (inputs first)."""
    last = len(layers) - 1
    return {
        name: UnitRef(name, layer, index + 1, layer == last)
        for layer, names in enumerate(layers)
        for index, name in enumerate(names)
    }
