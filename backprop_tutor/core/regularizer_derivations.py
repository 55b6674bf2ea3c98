"""What a penalty does to an update, derived for `backprop-tutor derive l2`: its share of the
gradient (SymPy differentiates the penalty), then gradient descent on the error with it, which
shows why L2 is called weight decay (the weight shrinks by 1 − ηλ before the gradient moves
it) and why L1 makes weights exactly 0 (it moves each by the same η·λ toward 0).

SymPy arrives in a kit (symbolic/textbook.py), as for the optimizers, so the registry
imports none of it.
"""

from __future__ import annotations


def _penalty_steps(kit, penalty, term, closed, why: str) -> list:
    """∂P/∂w differentiated, then one step of gradient descent on E + P, collected."""
    sp, Step = kit.sp, kit.Step
    w = sp.Symbol("w", real=True)
    lam, eta = sp.symbols("λ η", positive=True)
    gradient = sp.Symbol("∂E/∂w", real=True)
    return [
        Step(sp.Derivative(penalty(lam, w), w), "the penalty's share of the gradient", "∂P/∂w"),
        Step(term(lam, w), "differentiated", "∂P/∂w"),
        Step(
            w - eta * sp.Add(gradient, term(lam, w), evaluate=False),
            "one step of gradient descent on E + P",
            "w_new",
            True,  # a new quantity: its own chain starts here
        ),
        Step(closed(lam, w, eta, gradient), why, "w_new"),
    ]


def l2(kit):
    """`derive l2`: λ/2·w² differentiated, and why it is called weight decay."""
    steps = _penalty_steps(
        kit,
        lambda lam, w: lam / 2 * w**2,
        lambda lam, w: lam * w,
        lambda lam, w, eta, gradient: (1 - eta * lam) * w - eta * gradient,
        "collected: the weight first shrinks by the factor 1 − η·λ",
    )
    return kit.derivation(
        "l2",
        "L2 weight decay: the penalty λ/2·w² in the gradient",
        kit.chain(steps),
        notes=[
            "hence the name weight decay: with plain gradient descent, the L2 term and "
            "multiplying every weight by 1 − η·λ are the same update",
            "not so with Adam: the term λ·w passes through m and v and is divided by √v̂ "
            "like the gradient, so a weight with large gradients is decayed less; AdamW "
            "adds −η·λ·w outside them (derive adamw)",
            "biases are not decayed unless the spec says decay_biases: true",
        ],
    )


def l1(kit):
    """`derive l1`: λ·|w| differentiated (sign(w)), and the constant pull it makes."""
    sp = kit.sp
    steps = _penalty_steps(
        kit,
        lambda lam, w: lam * sp.Abs(w),
        lambda lam, w: lam * sp.sign(w),
        lambda lam, w, eta, gradient: w - eta * lam * sp.sign(w) - eta * gradient,
        "every step moves the weight η·λ toward 0, whatever its size",
    )
    return kit.derivation(
        "l1",
        "L1: the penalty λ·|w| in the gradient",
        kit.chain(steps),
        notes=[
            "|w| has no derivative at 0; sign(0) = 0 is the subgradient taken (as PyTorch's "
            "autograd does), so a weight at exactly 0 feels no penalty",
            "a constant pull toward 0, however small the weight: L2's pull shrinks with it. "
            "With this (sub)gradient step a weight near 0 steps across it by up to η·λ and "
            "back; the exact zeros L1 is known for come from soft thresholding (proximal "
            "steps), which this update is not",
        ],
    )
