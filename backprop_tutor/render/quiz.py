"""`backprop-tutor quiz`: every quantity of a step, asked in the order a hand calculation
finds it, each with its working (its rule with the numbers plugged in) for a wrong answer.

The questions are read from the trace and its rules; nothing here computes a value. Grading is
teach/quiz.py's.
"""

from __future__ import annotations

from dataclasses import dataclass

from backprop_tutor.core.hand_order import hand_order
from backprop_tutor.core.regularizers import display_of, worked
from backprop_tutor.core.trace import Trace
from backprop_tutor.core.trace_rules import trace_rules
from backprop_tutor.render import normalization
from backprop_tutor.render.labels import Labels
from backprop_tutor.render.working import working


@dataclass(frozen=True)
class Question:
    section: str
    id: str
    prompt: str  # the quantity in the lecture's notation
    value: float
    working: str  # the formula with the numbers plugged in
    sign: int = 1  # value = sign × the trace's: −1 for δ where the notation's is −∂E/∂net


def questions(trace: Trace, notation: str | None = None) -> list[Question]:
    """Every quantity of the first step, in hand-calculation order."""
    L = Labels(trace.header, notation)
    n = trace.header.display.format
    step, values, rules = trace.steps[0], trace.values(), trace_rules(trace)
    order = {key: n for n, key in enumerate(hand_order(trace))}
    h = trace.header

    def ask(section: str, key: str, prompt: str, note: str = "") -> Question:
        value, shown = values[key], working(rules[key][0], values, display_of(key, n))
        if L.notation.sign_of(key) < 0:
            # the lecture's own δ, the sensitivity −∂E/∂net, as `run` prints it and `check` reads it
            return Question(section, key, prompt, -value, f"−({shown}){note}", -1)
        return Question(section, key, prompt, value, shown + note)

    found: list[Question] = []
    for ev in step.statistics:  # batch normalization: the batch's μ and σ² first
        found.append(ask("forward pass", f"mean[{ev.unit}]", L.of_id(f"mean[{ev.unit}]")))
        found.append(ask("forward pass", f"var[{ev.unit}]", L.of_id(f"var[{ev.unit}]")))
    examples = step.batch or (step,)
    # batch normalization: a gradient at or under it is each example's share of the batch's
    shared = {g.param for g in examples[0].gradients if normalization.shared(h, g.layer)}
    for k, example in enumerate(examples, start=1):
        mark = f"#{k}" if step.batch else ""  # each example of a batch, then the batch's

        def asked(
            section: str, base: str, prompt: str, after: str = "", mark: str = mark
        ) -> Question:
            return ask(section, base + mark, prompt + mark + after)

        found.extend(_pass_questions(example, L, asked, shared if step.batch else set()))
    for ev in step.statistics:  # the sums each δ read
        for base in (f"sum_dy[{ev.unit}]", f"sum_dy_xhat[{ev.unit}]"):
            found.append(ask("backward pass", base, L.of_id(base)))
    found.sort(key=lambda q: order.get(q.id, len(order)))  # stable: the update's last
    symbols = {q.key: q.symbol for q in worked(h.optimizer, h.regularizer)}
    for up in step.updates:
        if step.batch:  # the batch's gradient, which the update reads
            combined = f"{L.partial(L.error, up.param)}, the batch's {step.reduction}"
            found.append(ask("gradients", f"grad[{up.param}]", combined))
        for key, _ in up.shown:  # an optimizer's or a penalty's quantities: m, v, m̂, decay, ...
            found.append(ask("updates", f"{key}[{up.param}]", f"{symbols[key]} of {up.param}"))
        kept = "" if up.updated else " (kept: biases are not updated)"
        found.append(ask("updates", f"new[{up.param}]", f"new {up.param}", kept))
    return found


def _pass_questions(step, L: Labels, ask, shared: set[str]) -> list[Question]:
    """One example's questions: forward, error, backward and its gradients (of `shared`
    parameters, the example's share of the batch's gradient)."""
    found = []
    for ev in step.forward:
        found.append(ask("forward pass", f"net[{ev.unit}]", L.net(ev.unit)))
        if ev.xhat is not None:  # batch normalization: x̂ and y = γ·x̂ + β
            for base in (f"xhat[{ev.unit}]", f"y[{ev.unit}]"):
                found.append(ask("forward pass", base, L.of_id(base)))
        found.append(ask("forward pass", f"out[{ev.unit}]", L.out(ev.unit)))
    found.extend(ask("error", f"loss[{ev.unit}]", L.unit_error(ev.unit)) for ev in step.losses)
    found.append(ask("error", "loss", L.error))
    for d in step.deltas:
        u = d.unit
        found.append(ask("backward pass", f"de_dout[{u}]", L.partial(L.error, L.out(u))))
        if d.dy is not None:  # through y, then the batch's μ and σ²
            for base in (f"dout_dy[{u}]", f"dy[{u}]"):
                found.append(ask("backward pass", base, L.of_id(base)))
        else:
            found.append(ask("backward pass", f"dout_dnet[{u}]", L.partial(L.out(u), L.net(u))))
        minus = "−" if L.notation.delta_sign < 0 else ""
        found.append(ask("backward pass", f"delta[{u}]", f"δ_{u} = {minus}∂E/∂net"))
    for g in step.gradients:
        if g.factors or g.paths or g.kind in ("gamma", "beta"):
            share = ", this example's share" if g.param in shared else ""
            found.append(ask("gradients", f"grad[{g.param}]", L.partial(L.error, g.param), share))
    return found
