"""`backprop-tutor quiz`: every quantity of a step, asked in the order a hand calculation
finds it, each with its working (its rule with the numbers plugged in) for a wrong answer.

The questions are read from the trace and its rules; nothing here computes a value. Grading is
teach/quiz.py's.
"""

from __future__ import annotations

from dataclasses import dataclass

from backprop_tutor.core.regularizers import worked
from backprop_tutor.core.trace import Trace
from backprop_tutor.core.trace_rules import trace_rules
from backprop_tutor.render.labels import Labels
from backprop_tutor.render.working import working


@dataclass(frozen=True)
class Question:
    section: str
    id: str
    prompt: str  # the quantity in the lecture's notation
    value: float
    working: str  # the formula with the numbers plugged in


def questions(trace: Trace, notation: str | None = None) -> list[Question]:
    """Every quantity of the first step, in hand-calculation order."""
    L = Labels(trace.header, notation)
    n = trace.header.display.format
    step, values, rules = trace.steps[0], trace.values(), trace_rules(trace)

    def ask(section: str, key: str, prompt: str, note: str = "") -> Question:
        return Question(section, key, prompt, values[key], working(rules[key][0], values, n) + note)

    found: list[Question] = []
    for ev in step.forward:
        found.append(ask("forward pass", f"net[{ev.unit}]", L.net(ev.unit)))
        found.append(ask("forward pass", f"out[{ev.unit}]", L.out(ev.unit)))
    found.extend(ask("error", f"loss[{ev.unit}]", L.unit_error(ev.unit)) for ev in step.losses)
    found.append(ask("error", "loss", L.error))
    for d in step.deltas:
        u = d.unit
        found.append(ask("backward pass", f"de_dout[{u}]", L.partial(L.error, L.out(u))))
        found.append(ask("backward pass", f"dout_dnet[{u}]", L.partial(L.out(u), L.net(u))))
        found.append(ask("backward pass", f"delta[{u}]", f"δ_{u} = ∂E/∂net"))
    for g in step.gradients:
        if g.factors or g.paths:
            found.append(ask("gradients", f"grad[{g.param}]", L.partial(L.error, g.param)))
    h = trace.header
    symbols = {q.key: q.symbol for q in worked(h.optimizer, h.regularizer)}
    for up in step.updates:
        for key, _ in up.shown:  # an optimizer's or a penalty's quantities: m, v, m̂, decay, ...
            found.append(ask("updates", f"{key}[{up.param}]", f"{symbols[key]} of {up.param}"))
        kept = "" if up.updated else " (kept: biases are not updated)"
        found.append(ask("updates", f"new[{up.param}]", f"new {up.param}", kept))
    return found
