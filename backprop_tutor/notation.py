"""Each lecture's vocabulary: the symbols a renderer prints and the names a compact spec gets.

The engine and the trace know units only by name; every symbol a student reads (sum_h1, a1^(2),
∂E_total/∂output_o1) is chosen here, so a new lecture's notation is one new entry.
"""

from __future__ import annotations

from dataclasses import dataclass


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

    # -- names for a compact spec ------------------------------------------------------------
    def input_name(self, index: int) -> str:
        return f"{self.input_prefix}{index}"

    def unit_name(self, layer: int, index: int, n_layers: int) -> str:
        """Layer is 1-based; the last of `n_layers` is the output layer."""
        if layer == n_layers:
            return f"{self.output_prefix}{index}"
        if self.name == "layered":  # x_j^(k): the inputs are x_j^(0), written x1
            return f"{self.hidden_prefix}{index}^({layer})"
        if n_layers == 2:
            return f"{self.hidden_prefix}{index}"
        return (
            f"{self.hidden_prefix}{index}^({layer})"
            if self.name == "borela"
            else (f"{self.hidden_prefix}{layer}_{index}")
        )

    def weight_name(self, layer: int, source: UnitRef, target: UnitRef, counter: int) -> str:
        """The name of the weight from `source` to `target` in `layer` (1-based)."""
        if self.name == "borela":
            sep = "," if max(source.index, target.index) > 9 else ""
            return f"w{source.index}{sep}{target.index}^({layer})"
        if self.name == "dawood":
            return f"w{counter}"
        return f"w_{target.name}_{source.name}"

    def bias_name(self, layer: int, target: UnitRef | None) -> str:
        """A per-unit bias (target given) or a bias shared by the whole layer (target None)."""
        if self.name == "borela":
            if target is None:
                return f"b^({layer})"
            sep = "," if target.index > 9 else ""
            return f"w0{sep}{target.index}^({layer})"
        if target is None:
            return f"b{layer}"
        return f"b_{target.name}"

    # -- symbols for labels ------------------------------------------------------------------
    def out_word_for(self, is_output: bool) -> str:
        """The word for a unit's output in a column header (Bishop: z hidden, y output)."""
        if self.names_are_outputs:
            return self.output_prefix if is_output else self.hidden_prefix
        return self.out_word

    def net(self, unit: UnitRef) -> str:
        if self.name == "borela":
            return f"a{unit.index}^({unit.layer})"
        return f"{self.net_word}_{unit.name}"

    def out(self, unit: UnitRef) -> str:
        if self.names_are_outputs:
            return unit.name
        if unit.layer == 0 and self.name == "dawood":
            return unit.name
        return f"{self.out_word}_{unit.name}"

    def target(self, unit: UnitRef) -> str:
        """An output's target: Dawood's target_1, Bishop's t_1, or t_o1."""
        if self.name == "dawood":
            return f"target_{unit.index}"
        if self.name in ("borela", "xu", "mitchell"):
            return f"t_{unit.index}"
        return f"t_{unit.name}"

    def unit_error(self, unit: UnitRef) -> str:
        """The symbol of one output's error term (Dawood numbers them E_1, E_2)."""
        if self.name == "dawood":
            return f"E_{unit.index}"
        return f"E_{unit.name}"


NOTATIONS: dict[str, Notation] = {
    "generic": Notation(
        "generic", "net input and output, delta = dE/dnet", "net", "out", "E", True, "x", "h", "o"
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
