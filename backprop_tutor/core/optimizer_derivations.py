"""What each optimizer does with a gradient that stays the same, derived step by step for
`backprop-tutor derive adam`: the closed form of its state after t updates, proved by SymPy
from the update rule (the closed form at t − 1, put into the rule, gives the closed form at
t, and it starts at 0), then the step it takes. Adam's bias correction is the reason to look:
m_t = (1 − β₁ᵗ)·g, so m̂_t = g exactly, where m alone is 10 times too small at t = 1.

SymPy arrives in a kit (symbolic/textbook.py), as for the activations, so the registry
imports none of it.
"""

from __future__ import annotations


def _unrolled(kit, state: str, rule, closed, t, previous, start=None):
    """Two steps proving `closed(t)` solves `state_t = rule(state_{t−1})` from state_0 =
    start (a symbol, w_0 for sgd; None: 0): the rule with the closed form at t − 1 put in,
    then the closed form itself."""
    sp, Step = kit.sp, kit.Step
    start = sp.Integer(0) if start is None else start
    started = kit.equal(closed.subs(t, 0), start)
    return [
        Step(
            rule.subs(previous, closed.subs(t, t - 1)),
            f"the rule, with {state}_(t−1) in the closed form below",
            f"{state}_t",
        ),
        Step(
            closed,
            f"collected (and at t = 0 it is {start}: {'proved' if started else 'NOT equal'})",
            f"{state}_t",
            None if started else False,
        ),
    ]


def _over(sp, a, b):
    """a / b as written, not cancelled on the spot (m / (1 − β₁ᵗ) stays a fraction)."""
    return sp.Mul(a, sp.Pow(b, -1, evaluate=False), evaluate=False)


def _root(sp, a):
    """√a as written (√(g²) stays, where SymPy would take g > 0 out of it at once)."""
    return sp.Pow(a, sp.Rational(1, 2), evaluate=False)


def _derivation(kit, name: str, title: str, steps: list, notes: list[str]):
    return kit.derivation(name, title, kit.chain(steps), notes=notes)


def _symbols(kit):
    sp = kit.sp
    t = sp.Symbol("t", positive=True, integer=True)
    g = sp.Symbol("g", positive=True)
    eta = sp.Symbol("η", positive=True)
    return sp, t, g, eta


def sgd(kit):
    sp, t, g, eta = _symbols(kit)
    w0, previous = sp.symbols("w_0 w_prev", real=True)
    steps = _unrolled(kit, "w", previous - eta * g, w0 - t * eta * g, t, previous, w0)
    return _derivation(
        kit,
        "sgd",
        "Gradient descent with a constant gradient g",
        steps,
        ["each update moves the weight by −η·g: after t updates, by −t·η·g"],
    )


def momentum(kit):
    sp, t, g, eta = _symbols(kit)
    alpha, previous = sp.Symbol("α", positive=True), sp.Symbol("Δ_prev", real=True)
    closed = -eta * g * (1 - alpha**t) / (1 - alpha)
    steps = _unrolled(kit, "Δ", alpha * previous - eta * g, closed, t, previous)
    return _derivation(
        kit,
        "momentum",
        "Momentum with a constant gradient g: the step grows",
        steps,
        ["as αᵗ → 0 the step tends to −η·g / (1 − α): 10 times plain descent's for α = 0.9"],
    )


def nesterov(kit):
    sp, t, g, eta = _symbols(kit)
    alpha, previous = sp.Symbol("α", positive=True), sp.Symbol("v_prev", real=True)
    velocity = -eta * g * (1 - alpha**t) / (1 - alpha)
    steps = _unrolled(kit, "v", alpha * previous - eta * g, velocity, t, previous)
    steps += [
        kit.Step(
            alpha * velocity - eta * g,
            "Δ = α·v − η·g: the velocity's next step, taken now",
            "Δ_t",
            True,
        ),
        kit.Step(-eta * g * (1 - alpha ** (t + 1)) / (1 - alpha), "collected", "Δ_t"),
    ]
    return _derivation(
        kit,
        "nesterov",
        "Nesterov momentum with a constant gradient g: one update ahead",
        steps,
        ["Δ_t is momentum's Δ_(t+1): the look-ahead gradient, where nothing changes"],
    )


def adagrad(kit):
    sp, t, g, eta = _symbols(kit)
    previous = sp.Symbol("s_prev", real=True)
    steps = _unrolled(kit, "s", previous + g**2, t * g**2, t, previous)
    steps += [
        kit.Step(
            -eta * _over(sp, g, _root(sp, t * g**2)), "Δ = −η·g / √s, with ε = 0", "Δ_t", True
        ),
        kit.Step(-eta / sp.sqrt(t), "simplified (g > 0)", "Δ_t"),
    ]
    return _derivation(
        kit,
        "adagrad",
        "AdaGrad with a constant gradient g: the step shrinks as 1/√t",
        steps,
        ["the step no longer depends on the gradient's size, only on its sign and t"],
    )


def rmsprop(kit):
    sp, t, g, eta = _symbols(kit)
    rho, previous = sp.Symbol("ρ", positive=True), sp.Symbol("s_prev", real=True)
    closed = (1 - rho**t) * g**2
    steps = _unrolled(kit, "s", rho * previous + (1 - rho) * g**2, closed, t, previous)
    steps += [
        kit.Step(-eta * _over(sp, g, _root(sp, closed)), "Δ = −η·g / √s, with ε = 0", "Δ_t", True),
        kit.Step(-eta / sp.sqrt(1 - rho**t), "simplified (g > 0)", "Δ_t"),
    ]
    return _derivation(
        kit,
        "rmsprop",
        "RMSProp with a constant gradient g: no bias correction",
        steps,
        [
            "s starts at 0, so the first steps are too large: η / √(1 − ρ) = 10·η at t = 1 "
            "for ρ = 0.99 (Adam divides the bias out)"
        ],
    )


def _corrected_moments(kit, t, g) -> list:
    """Adam's two moments under a constant gradient, each unrolled from 0 and then divided by
    its bias correction: m̂_t = g and v̂_t = g² exactly, at every t. Adam and AdamW share
    these steps; they differ only in the step taken from them."""
    sp = kit.sp
    b1, b2 = sp.symbols("β₁ β₂", positive=True)
    m_prev, v_prev = sp.symbols("m_prev v_prev", real=True)
    m, v = (1 - b1**t) * g, (1 - b2**t) * g**2
    steps = _unrolled(kit, "m", b1 * m_prev + (1 - b1) * g, m, t, m_prev)
    steps.append(
        kit.Step(_over(sp, m, 1 - b1**t), "m̂ = m / (1 − β₁ᵗ), the bias correction", "m̂_t", True)
    )
    steps.append(kit.Step(g, "exactly the gradient, at every t", "m̂_t"))
    second = _unrolled(kit, "v", b2 * v_prev + (1 - b2) * g**2, v, t, v_prev)
    second[0].proved = True  # a new quantity, not the one before: its own chain starts here
    steps += second
    steps.append(kit.Step(_over(sp, v, 1 - b2**t), "v̂ = v / (1 − β₂ᵗ)", "v̂_t", True))
    steps.append(kit.Step(g**2, "exactly the squared gradient", "v̂_t"))
    return steps


def adam(kit, decoupled: bool = False):
    sp, t, g, eta = _symbols(kit)
    steps = _corrected_moments(kit, t, g)
    w = sp.Symbol("w", real=True)
    lam = sp.Symbol("λ", positive=True)
    move = _over(sp, g, _root(sp, g**2))
    move = sp.Add(move, lam * w, evaluate=False) if decoupled else move
    steps.append(
        kit.Step(
            -eta * move,
            "Δ = −η·m̂ / √v̂, with ε = 0" + (", plus AdamW's decay −η·λ·w" if decoupled else ""),
            "Δ_t",
            True,
        )
    )
    steps.append(kit.Step(-eta * (1 + lam * w) if decoupled else -eta, "simplified (g > 0)", "Δ_t"))
    why = [
        "m and v start at 0, so without the correction m_1 = (1 − β₁)·g is 10 times too "
        "small (β₁ = 0.9) and v_1 = (1 − β₂)·g² 1000 times (β₂ = 0.999)"
    ]
    if not decoupled:
        return _derivation(
            kit,
            "adam",
            "Adam's bias correction: why m̂ = m / (1 − β₁ᵗ)",
            steps,
            [*why, "with it, every step is −η in the gradient's direction, whatever its size"],
        )
    return _derivation(
        kit,
        "adamw",
        "AdamW: Adam's bias correction, and the decay kept outside m and v",
        steps,
        [
            *why,
            "with it, Adam's part of every step is −η in the gradient's direction, whatever "
            "its size; the decay −η·λ·w is added to it, so a weight shrinks in proportion to "
            "itself",
            "the decay is outside m and v: L2 in the loss would be divided by √v̂ like the "
            "gradient, so large-gradient weights would be decayed less",
        ],
    )


def adamw(kit):
    return adam(kit, decoupled=True)
