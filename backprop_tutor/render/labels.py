"""Symbols for a trace's quantities in a notation: ∂E_total/∂output_o1, sum_h1, δ_z1.

Plain strings, shared by every output format; only the Rich renderer turns them into markup.
"""

from __future__ import annotations

from backprop_tutor.core.notation import NOTATIONS, UnitRef, unit_refs
from backprop_tutor.core.regularizers import worked
from backprop_tutor.core.trace import Factor, TraceHeader

PARTIAL = "∂"
DELTA = "δ"


class Labels:
    """The notation of one trace, with every unit's place known."""

    def __init__(self, header: TraceHeader, notation: str | None = None) -> None:
        self.notation = NOTATIONS[notation or header.notation]
        self.units: dict[str, UnitRef] = unit_refs(header.layers)
        self.error = self.notation.error
        n = self.notation
        # batch normalization's γ·x̂ + β: y, or v in a notation with a y of its own (Xu's out)
        words = {n.net_word, n.out_word_for(False), n.out_word_for(True)}
        self.bn_y = "v" if "y" in words else "y"
        # an update's quantities by their column's symbol (Δ, m, v, m̂, decay), as the tables
        self.quantities = {q.key: q.symbol for q in worked(header.optimizer, header.regularizer)}

    def net(self, unit: str) -> str:
        return self.notation.net(self.units[unit])

    def out(self, unit: str) -> str:
        return self.notation.out(self.units[unit])

    def target(self, unit: str) -> str:
        return self.notation.target(self.units[unit])

    def unit_error(self, unit: str) -> str:
        return self.notation.unit_error(self.units[unit])

    def path_error(self, via: str) -> str:
        """The error a path ends in: Dawood splits E_total into E_1, E_2 per output."""
        ref = self.units[via]
        if self.notation.error_per_output and ref.is_output:
            return self.unit_error(via)
        return self.error

    @staticmethod
    def partial(top: str, bottom: str) -> str:
        return f"{PARTIAL}{top}/{PARTIAL}{bottom}"

    def delta(self, unit: str) -> str:
        """δ as a factor of dE/dnet: −δ where the lecture's δ is the sensitivity −dE/dnet."""
        return f"{'−' if self.notation.delta_sign < 0 else ''}{DELTA}_{unit}"

    def factor(self, factor: Factor, to: str | None = None, error: str | None = None) -> str:
        """The symbol of a chain-rule factor; `to` is the unit a parameter feeds."""
        unit = factor.unit
        if factor.role == "de_dout":
            return self.partial(error or self.error, self.out(unit))
        if factor.role == "dout_dnet":
            return self.partial(self.out(unit), self.net(unit))
        if factor.role == "delta":
            return self.delta(unit)
        if factor.role == "dnet_dout":
            return self.partial(self.net(unit), self.out(factor.other or ""))
        return self.partial(self.net(to or ""), unit)  # dnet_dparam: unit holds the parameter

    def chain(
        self, factors: tuple[Factor, ...], param: str, to: str, error: str | None = None
    ) -> str:
        """`∂E/∂w5 = ∂E/∂output_o1 · ∂output_o1/∂sum_o1 · ∂sum_o1/∂w5`."""
        top = error or self.error
        parts = " · ".join(self.factor(f, to, error) for f in factors)
        return f"{self.partial(top, param)} = {parts}"

    def role_header(self, role: str, position: str = "", is_output: bool = False) -> str:
        """A column header for a factor role, as a fraction on two lines (numerator, denominator).

        `position` is "k" (the downstream unit of a path) or "j" (the parameter's own unit).
        """
        n = self.notation
        out, net = n.out_word_for(is_output), n.net_word
        sub = f"_{position}" if position else ""
        error = f"E_{position}" if position == "k" and n.error_per_output else n.error
        top, bottom = {
            "de_dout": (error, f"{out}{sub}"),
            "dout_dnet": (f"{out}{sub}", f"{net}{sub}"),
            "delta": (None, f"{'−' if n.delta_sign < 0 else ''}{DELTA}{sub}"),
            "dnet_dout": (f"{net}_k", f"{n.out_word_for(False)}_j"),
            "dnet_dparam": (f"{net}{sub}", "param"),
        }[role]
        return bottom if top is None else self.fraction(top, bottom)

    def of_id(self, key: str) -> str:
        """A trace id as the notation writes the quantity, for a working: `de_dout[h1]` is
        ∂E_total/∂output_h1, `new[w5]` new w5, `delta[o1]` δ_o1; a step's `@2` (or `@after`,
        `#1`) is kept. An id of a shape it does not know is returned as it is."""
        base, at, step = key.partition("@")
        base, hash_, example = base.partition("#")
        kind, _, inside = base.partition("[")
        inside = inside.rstrip("]")
        first, _, second = inside.partition(",")
        try:
            symbol = self._symbol(kind, inside, first, second)
        except KeyError:  # a unit this network does not have
            symbol = None
        if symbol is None:
            return key
        return symbol + (hash_ + example) + (at + step)

    def _symbol(self, kind: str, inside: str, first: str, second: str) -> str | None:
        n = self.notation
        if kind == "de_dout":
            error = self.unit_error(second) if second else self.error
            return self.partial(error, self.out(first))
        if kind == "dnet_dout":
            return self.partial(self.net(first), self.out(second))
        if kind == "path":
            return f"{self.partial(self.error, first)} through {second}"
        symbols = {
            "input": lambda: self.out(inside),
            "net": lambda: self.net(inside),
            "out": lambda: self.out(inside),
            "target": lambda: n.target(self.units[inside]),
            "loss": lambda: self.unit_error(inside) if inside else self.error,
            "dout_dnet": lambda: self.partial(self.out(first), self.net(second or first)),
            "delta": lambda: self.delta(inside),
            "dnet_dparam": lambda: self.partial(n.net_word, inside),
            "grad": lambda: self.partial(self.error, inside),
            "old": lambda: inside,
            "new": lambda: f"new {inside}",
            "mask": lambda: f"mask of {inside}",  # dropout's: the tables' "mask" column
            # batch normalization (core/batch_norm.py)
            "mean": lambda: f"μ_{inside}",
            "var": lambda: f"σ²_{inside}",
            "running_mean": lambda: f"running μ_{inside}",
            "running_var": lambda: f"running σ²_{inside}",
            "xhat": lambda: f"x̂_{inside}",
            "y": lambda: f"{self.bn_y}_{inside}",
            "dout_dy": lambda: self.partial(self.out(inside), f"{self.bn_y}_{inside}"),
            "dy": lambda: self.partial(self.error, f"{self.bn_y}_{inside}"),
            "sum_dy": lambda: f"Σ {self.partial(self.error, f'{self.bn_y}_{inside}')}",
            "sum_dy_xhat": lambda: (
                f"Σ {self.partial(self.error, f'{self.bn_y}_{inside}')}·x̂_{inside}"
            ),
            **{q: (lambda s=symbol: f"{s} of {inside}") for q, symbol in self.quantities.items()},
        }
        return symbols[kind]() if kind in symbols else None

    @staticmethod
    def fraction(top: str, bottom: str) -> str:
        """∂top over ∂bottom on two lines, for narrow column headers."""
        return f"{PARTIAL}{top}\n{PARTIAL}{bottom}"
