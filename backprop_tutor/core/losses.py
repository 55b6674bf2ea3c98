"""Loss functions, each with its derivative with respect to the output beside it.

Arrays are (outputs, examples). `terms` gives one error term per output and example; the total
error of an example sums them. Each entry also says which output activations and targets it is
defined for, so a spec that pairs it with anything else is refused when it is loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from backprop_tutor.core.activations import floating, logistic, logistic_of_minus, softmax_parts

Array = np.ndarray


def _log(x: Array) -> Array:
    """log that gives -inf for 0 without a warning; the engine reports non-finite results."""
    with np.errstate(divide="ignore"):
        return np.log(x)


def _xlog(w: Array, x: Array) -> Array:
    """w · log x, with 0 · log 0 = 0: a zero target contributes nothing, even where its output
    has underflowed to exactly 0 (the limit, and what every textbook sum assumes)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(w == 0, 0.0, w * np.log(x))


def _ratio(w: Array, x: Array) -> Array:
    """w / x, with 0 / x = 0 even where x underflowed to 0 (the limit of w / x as w → 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(w == 0, 0.0, w / x)


def _log_softmax(net: Array) -> Array:
    """log z from the net inputs, finite for any finite net (log of softmax would be -inf);
    log Σ e^shifted as log1p of the shares besides the largest, so log z of a dominant output
    (z = 1 − 1.7e-5) keeps every digit."""
    net = floating(net)
    _, rest, _ = softmax_parts(net)
    shifted = net.reshape(len(net), -1) - np.max(net, axis=0, keepdims=True).reshape(1, -1)
    return (shifted - np.log1p(rest)).reshape(net.shape)


def _bce_derivative(t: Array, o: Array) -> Array:
    """(o - t) / (o(1 - o)), which is -1/o for t = 1 and 1/(1 - o) for t = 0: those forms stay
    finite where a saturated sigmoid gave o = 1 or 0 exactly and o(1 - o) is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        general = (o - t) / (o * (1 - o))
        return np.where(t == 1, -1.0 / o, np.where(t == 0, 1.0 / (1 - o), general))


def _weighted(w: Array, x: Array) -> Array:
    """w · x, with 0 · x = 0 even where x overflowed to inf (a term the target switches off)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where(w == 0, 0.0, w * x)


def _bce_derivative_from_net(t: Array, net: Array) -> Array:
    """(o - t) / (o(1 - o)) for o = σ(net), as (1 - t)(1 + e^net) - t(1 + e^-net): no 1 - o to
    lose digits in (σ(30) = 1 - 9.4e-14), inf only where the true value passes float64."""
    with np.errstate(over="ignore"):
        return _weighted(1 - t, 1 + np.exp(net)) - _weighted(t, 1 + np.exp(-net))


def _ce_derivative_from_net(t: Array, net: Array) -> Array:
    """−t / z as −e^(log t − log z), log z from the net inputs: every digit where z is a
    subnormal (e^-718 keeps 12 of them) and finite up to where −t/z itself passes float64."""
    e, rest, _ = softmax_parts(net)
    e = e.reshape(np.shape(net))
    total = (1.0 + rest).reshape((1, -1) if np.ndim(net) == 2 else (1,))  # per example
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        direct = t * total / e
        logged = np.exp(_log(np.where(t > 0, t, 1.0)) - _log_softmax(net))
        ratio = np.where(e >= np.finfo(float).tiny, direct, logged)  # z normal: t(1 + Σ)/e
        return np.where(t == 0, 0.0, -ratio)


def _difference(sp, t, o):
    """t - o kept in the lecture's order (SymPy would print -o + t)."""
    return sp.Add(t, -o, evaluate=False)


@dataclass(frozen=True)
class Loss:
    """One loss: per-output `terms(target, out)` and their derivative dE/dout."""

    name: str
    terms: Callable[[Array, Array], Array]
    derivative: Callable[[Array, Array], Array]
    formula: str  # one output's term, with {target} and {out} to fill in
    derivative_formula: str  # dE/dout, with the same placeholders
    output_activations: tuple[str, ...] | None = None  # None: any
    why: str = ""  # why only those activations
    targets: str = "any"  # "any", "probability" (0 <= t <= 1), "positive" (0 < t <= 1)
    # out · dE/dout without dividing by out, for softmax's backward pass: -t for cross-entropy,
    # so delta = z Σt - t stays finite even where an output has underflowed to 0
    out_times_derivative: Callable[[Array, Array], Array] | None = None
    # One output's term for SymPy, beside the numeric one: symbolic(sp, t, o, K) with K outputs;
    # sympy arrives as an argument, so nothing here imports it.
    symbolic: Callable | None = None
    # The same terms from the output layer's net inputs, in log space: terms_from_net(t, net, out)
    # is finite for any finite net where log(out) is not (out = 0 exactly after softmax or
    # sigmoid saturates). Used with `log_space_activation` as the output activation.
    terms_from_net: Callable[[Array, Array, Array], Array] | None = None
    log_space_activation: str = ""
    # With that activation, dE/dout and delta from the net inputs too, right to float64
    # precision: derivative_from_net(t, net) (may be inf where the true value passes float64)
    # and delta_from_net(t, net) (always finite: σ(net) - t for binary cross-entropy).
    derivative_from_net: Callable[[Array, Array], Array] | None = None
    delta_from_net: Callable[[Array, Array], Array] | None = None
    # The total error in PyTorch, torch(torch, t, o), for `gradcheck --torch` (torch arrives
    # as an argument, so nothing here imports it).
    torch: Callable | None = None
    # A loss students often use in its place, for `check` to name: (that loss, the mistake).
    mistaken_for: tuple[str, str] | None = None
    # derivation(kit): with `log_space_activation`, the output delta derived step by step for
    # `derive ACTIVATION_LOSS` (softmax_cross_entropy); the kit is symbolic/textbook.py's
    combined_derivation: Callable | None = None
    # dE/dout of one output on Python floats, (t, out, number of outputs): the tiny networks'
    # training loop (tiny.py); the same formula as `derivative`. None: they train on arrays.
    scalar_derivative: Callable[[float, float, int], float] | None = None


# -- textbook derivations, for `derive NAME`: the kit (symbolic/textbook.py) brings SymPy, Step
# and the prover, so nothing here imports SymPy ----------------------------------------------------
def _softmax_cross_entropy_derivation(kit):
    ts = kit.sp.symbols("t_1:4", nonnegative=True)
    zs = kit.sp.symbols("z_1:4", positive=True)
    steps, general = _softmax_cross_entropy_steps(kit, ts, zs)
    xu = ts[0] * (1 - zs[0])
    return kit.derivation(
        "softmax_cross_entropy",
        "Softmax with cross-entropy: ∂J/∂net_k = z_k − t_k",
        steps,
        condition="the targets sum to 1 (Σ_j t_j = 1), as one-hot labels and probability "
        "targets do; otherwise ∂J/∂net_k = z_k Σ_j t_j − t_k",
        notes=[
            "so ∂J/∂net_k = z_k − t_k for every output k: the output delta of softmax with "
            "cross-entropy is the prediction minus the target",
            "the Xu lecture's sensitivity δ_k = −∂J/∂net_k = t_k(1 − z_k) keeps only the "
            "j = k term of the sum; the j ≠ k terms add −z_k Σ_(j≠k) t_j, and "
            "t_1(1 − z_1) − z_1(t_2 + t_3) = t_1 − z_1 Σ_j t_j is "
            f"{'proved' if kit.equal(xu - zs[0] * (ts[1] + ts[2]), -general) else 'NOT proved'}"
            " equal to −∂J/∂net_1: t(1 − z) is right only summed with the other terms",
        ],
    )


def _softmax_cross_entropy_steps(kit, ts, zs):
    """∂J/∂net_1 for K = 3 outputs, by the chain rule through every z_j (softmax ties each
    output to every net), each step proved equal to differentiating J directly. Returns the
    steps and the general form z_1 Σ_j t_j − t_1, which the Xu lecture's note is checked
    against (the targets summing to 1 make it z_1 − t_1)."""
    sp, Step = kit.sp, kit.Step
    nets = sp.symbols("net_1:4", real=True)
    total = sum(sp.exp(n) for n in nets)
    z = [sp.exp(n) / total for n in nets]
    loss = -sum(t * sp.log(zj) for t, zj in zip(ts, z, strict=True))
    direct = sp.diff(loss, nets[0])
    by_chain = sum((-ts[j] / zs[j]) * zs[j] * ((1 if j == 0 else 0) - zs[0]) for j in range(3))
    as_z = {zs[j]: z[j] for j in range(3)}
    general = zs[0] * sum(ts) - ts[0]
    steps = [
        Step(
            -sum(t * sp.log(zj) for t, zj in zip(ts, zs, strict=True)),
            "cross-entropy, shown for K = 3",
            "J",
        ),
        Step(
            sp.Add(
                *[
                    sp.Mul(-ts[j] / zs[j], zs[j] * ((1 if j == 0 else 0) - zs[0]), evaluate=False)
                    for j in range(3)
                ],
                evaluate=False,
            ),
            "Σ_j ∂J/∂z_j · ∂z_j/∂net_1, with ∂z_j/∂net_1 = z_j(δ_j1 − z_1)",
            "∂J/∂net_1",
            kit.equal(direct, by_chain.subs(as_z)),
        ),
        Step(sp.Add(-ts[0], zs[0] * sum(ts), evaluate=False), "", "", kit.equal(by_chain, general)),
        Step(
            sp.Add(zs[0], -ts[0], evaluate=False),
            "when the targets sum to 1",
            "",
            kit.equal(general.subs(ts[2], 1 - ts[0] - ts[1]), zs[0] - ts[0]),
        ),
    ]
    return steps, general


def _sigmoid_binary_cross_entropy_derivation(kit):
    sp, Step = kit.sp, kit.Step
    o, t = sp.symbols("o t", real=True)
    net = sp.Symbol("net", real=True)
    s = 1 / (1 + sp.exp(-net))
    loss = -(t * sp.log(s) + (1 - t) * sp.log(1 - s))
    steps = [
        Step(-(t * sp.log(o) + (1 - t) * sp.log(1 - o)), "binary cross-entropy, o = σ(net)", "J"),
        Step(
            sp.Mul((o - t) / (o * (1 - o)), o * (1 - o), evaluate=False),
            "∂J/∂o · ∂o/∂net",
            "∂J/∂net",
            kit.equal(sp.diff(loss, net), s - t),
        ),
        Step(o - t, "the o(1 − o) cancels", "", True),
    ]
    return kit.derivation(
        "sigmoid_binary_cross_entropy",
        "Sigmoid with binary cross-entropy: ∂J/∂net = o − t",
        steps,
        notes=[
            "the same o − t as linear output with ½(y − t)²: "
            "the sigmoid's saturation does not slow learning here"
        ],
    )


LOSSES: dict[str, Loss] = {
    "half_sse": Loss(
        "half_sse",
        torch=lambda torch, t, o: 0.5 * torch.sum((t - o) ** 2),
        symbolic=lambda sp, t, o, k: sp.Rational(1, 2) * _difference(sp, t, o) ** 2,
        terms=lambda t, o: 0.5 * (t - o) ** 2,
        derivative=lambda t, o: o - t,
        scalar_derivative=lambda t, o, k: o - t,
        formula="½({target} − {out})²",
        derivative_formula="{out} − {target}",
        mistaken_for=("sse", "SSE instead of half SSE"),
    ),
    "sse": Loss(
        "sse",
        torch=lambda torch, t, o: torch.sum((t - o) ** 2),
        symbolic=lambda sp, t, o, k: _difference(sp, t, o) ** 2,
        terms=lambda t, o: (t - o) ** 2,
        derivative=lambda t, o: 2.0 * (o - t),
        scalar_derivative=lambda t, o, k: 2.0 * (o - t),
        formula="({target} − {out})²",
        derivative_formula="2({out} − {target})",
        mistaken_for=("half_sse", "half SSE instead of SSE"),
    ),
    "mse": Loss(
        "mse",
        torch=lambda torch, t, o: torch.sum((t - o) ** 2) / t.shape[0],
        symbolic=lambda sp, t, o, k: _difference(sp, t, o) ** 2 / k,
        terms=lambda t, o: (t - o) ** 2 / t.shape[0],
        derivative=lambda t, o: 2.0 * (o - t) / t.shape[0],
        scalar_derivative=lambda t, o, k: 2.0 * (o - t) / k,
        formula="({target} − {out})² / K",
        derivative_formula="2({out} − {target}) / K",
    ),
    "cross_entropy": Loss(
        "cross_entropy",
        torch=lambda torch, t, o: -torch.sum(t * torch.log(o)),
        symbolic=lambda sp, t, o, k: -t * sp.log(o),
        terms=lambda t, o: -_xlog(t, o),
        derivative=lambda t, o: -_ratio(t, o),
        terms_from_net=lambda t, net, o: 0.0 - t * _log_softmax(net),  # 0.0 -: never -0.0
        log_space_activation="softmax",
        derivative_from_net=_ce_derivative_from_net,
        formula="−{target} log {out}",
        derivative_formula="−{target} / {out}",
        output_activations=("softmax",),
        why="cross-entropy compares two probability distributions; softmax makes the outputs one",
        targets="probability",
        out_times_derivative=lambda t, o: -t,
        combined_derivation=_softmax_cross_entropy_derivation,
    ),
    "binary_cross_entropy": Loss(
        "binary_cross_entropy",
        torch=lambda torch, t, o: -torch.sum(t * torch.log(o) + (1 - t) * torch.log(1 - o)),
        symbolic=lambda sp, t, o, k: -(t * sp.log(o) + (1 - t) * sp.log(1 - o)),
        terms=lambda t, o: -(_xlog(t, o) + _xlog(1 - t, 1 - o)),
        derivative=_bce_derivative,
        # -log σ(net) = softplus(-net) and -log(1 - σ(net)) = softplus(net)
        terms_from_net=lambda t, net, o: t * np.logaddexp(0, -net) + (1 - t) * np.logaddexp(0, net),
        log_space_activation="sigmoid",
        derivative_from_net=_bce_derivative_from_net,
        # σ(net) - t as (1 - t)σ(net) - tσ(-net): each share kept whole, whatever the target
        delta_from_net=lambda t, net: (1 - t) * logistic(net) - t * logistic_of_minus(net),
        formula="−[{target} log {out} + (1 − {target}) log(1 − {out})]",
        derivative_formula="({out} − {target}) / ({out}(1 − {out}))",
        output_activations=("sigmoid",),
        why="each output must be a probability in (0, 1), as sigmoid gives",
        targets="probability",
        combined_derivation=_sigmoid_binary_cross_entropy_derivation,
    ),
    "symmetric_cross_entropy": Loss(
        "symmetric_cross_entropy",
        torch=lambda torch, t, o: -torch.sum(t * torch.log(o) + o * torch.log(t)),
        symbolic=lambda sp, t, o, k: -(t * sp.log(o) + o * sp.log(t)),
        terms=lambda t, o: -(_xlog(t, o) + o * _log(t)),
        derivative=lambda t, o: -(_ratio(t, o) + _log(t)),
        terms_from_net=lambda t, net, o: -(t * _log_softmax(net) + o * _log(t)),
        log_space_activation="softmax",
        derivative_from_net=lambda t, net: _ce_derivative_from_net(t, net) - _log(t),
        formula="−[{target} log {out} + {out} log {target}]",
        derivative_formula="−[{target} / {out} + log {target}]",
        output_activations=("softmax",),
        why="it compares two probability distributions; softmax makes the outputs one",
        targets="positive",
        out_times_derivative=lambda t, o: -(t + o * _log(t)),
    ),
}
