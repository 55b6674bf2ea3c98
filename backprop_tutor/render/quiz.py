"""`backprop-tutor quiz`: every quantity of a step, asked in the order a hand calculation
finds it, each with its working (the formula with the numbers plugged in) for a wrong answer.

The questions are read from the trace; nothing here computes a value. An answer is right when
it is within one unit of the last displayed digit, so both rounding and truncation pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from backprop_tutor.core.activations import of_layer
from backprop_tutor.core.losses import LOSSES
from backprop_tutor.core.trace import Trace
from backprop_tutor.render.labels import Labels


@dataclass(frozen=True)
class Question:
    section: str
    id: str
    prompt: str  # the quantity in the lecture's notation
    value: float
    working: str  # the formula with the numbers plugged in


def questions(trace: Trace, notation: str | None = None) -> list[Question]:
    """Every quantity of the first step, in hand-calculation order."""
    h, L = trace.header, Labels(trace.header, notation)
    n = h.display.format
    step = trace.steps[0]
    found: list[Question] = []
    for ev in step.forward:
        terms = [f"{n(t.source_value)} × {n(t.weight_value)}" for t in ev.terms]
        if ev.bias:
            terms.append(("−" if h.bias_sign < 0 else "") + n(ev.bias_value))
        found.append(
            Question(
                "forward pass",
                f"net[{ev.unit}]",
                L.net(ev.unit),
                ev.net,
                " + ".join(terms).replace("+ −", "− "),
            )
        )
        found.append(
            Question(
                "forward pass",
                f"out[{ev.unit}]",
                L.out(ev.unit),
                ev.out,
                f"{ev.activation}({n(ev.net)})",
            )
        )
    loss = LOSSES[h.loss]
    for ev in step.losses:
        found.append(
            Question(
                "error",
                f"loss[{ev.unit}]",
                L.unit_error(ev.unit),
                ev.value,
                loss.formula.format(target=n(ev.target), out=n(ev.out)),
            )
        )
    found.append(
        Question(
            "error", "loss", L.error, step.total_loss, " + ".join(n(ev.value) for ev in step.losses)
        )
    )
    by_unit = {ev.unit: ev for ev in step.losses}
    for d in step.deltas:
        if d.unit in by_unit:
            ev = by_unit[d.unit]
            source = loss.derivative_formula.format(target=n(ev.target), out=n(ev.out))
        else:
            source = " + ".join(f"{n(w)} × {n(dk)}" for _, _, w, dk in d.downstream)
        found.append(
            Question(
                "backward pass",
                f"de_dout[{d.unit}]",
                L.partial(L.error, L.out(d.unit)),
                d.de_dout,
                source,
            )
        )
        out = next(f.out for f in step.forward if f.unit == d.unit)
        found.append(
            Question(
                "backward pass",
                f"dout_dnet[{d.unit}]",
                L.partial(L.out(d.unit), L.net(d.unit)),
                d.dout_dnet,
                of_layer(h.activations[d.layer - 1], _alpha(h, d.layer)).working(n(out)),
            )
        )
        working = (
            f"{n(d.de_dout)} × {n(d.dout_dnet)}"
            if not d.jacobian
            else "Σ_j ∂E/∂out_j · ∂out_j/∂net (softmax)"
        )
        found.append(
            Question("backward pass", f"delta[{d.unit}]", f"δ_{d.unit} = ∂E/∂net", d.delta, working)
        )
    for g in step.gradients:
        factors = g.factors or (g.paths[0].factors if g.paths else ())
        working = (
            " × ".join(n(f.value) for f in g.factors)
            if g.factors
            else " + ".join(n(p.value) for p in g.paths)
        )
        if not factors:
            continue
        found.append(
            Question(
                "gradients", f"grad[{g.param}]", L.partial(L.error, g.param), g.gradient, working
            )
        )
    eta = n(h.learning_rate)
    for u in step.updates:
        working = (
            f"{n(u.old)} − {eta} × {n(u.gradient)}"
            if u.updated
            else f"{n(u.old)} (kept: biases are not updated)"
        )
        found.append(Question("updates", f"new[{u.param}]", f"new {u.param}", u.new, working))
    return found


def _alpha(header, layer: int) -> float | None:
    return header.alphas[layer - 1] if header.alphas else None


def is_right(answer: str, value: float, digits: int) -> bool | None:
    """Within one unit of the last displayed digit; None when the answer is not a number."""
    try:
        number = float(answer.strip().replace("−", "-").replace("∞", "inf"))
    except ValueError:
        return None
    if math.isinf(value):  # a dE/dout past float64: "inf" (or ∞) with its sign is right
        return number == value
    return abs(number - value) <= 10.0**-digits * (1 + 1e-9)
