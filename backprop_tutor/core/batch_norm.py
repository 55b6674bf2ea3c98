"""Batch normalization's arithmetic, in one place: the forward statistics over a batch and the
backward pass through them, as the engine computes them on arrays and as `check`'s rules
recompute one number from claimed ones (core/rules.py calls the same functions).

Forward, per unit over the batch's N examples (Ioffe and Szegedy, 2015, training mode):
μ = Σ net / N, σ² = Σ (net − μ)² / N (the biased variance, as PyTorch's training mode),
x̂ = (net − μ)/√(σ² + ε), y = γ·x̂ + β, and the activation reads y.
The test pass normalizes with running statistics instead, each batch moving them by a momentum
m: μ_run ← (1 − m)·μ_run + m·μ, σ²_run ← (1 − m)·σ²_run + m·σ²·N/(N − 1), from 0 and 1.
Backward, from each example's ∂E/∂y: ∂E/∂γ = Σ ∂E/∂y·x̂, ∂E/∂β = Σ ∂E/∂y, and the short form
∂E/∂net_i = γ/(N√(σ²+ε)) · (N ∂E/∂y_i − Σ ∂E/∂y − x̂_i Σ ∂E/∂y·x̂), which `derive batch_norm`
proves equal to the chain rule through μ and σ².
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Array = np.ndarray

# how the tables write each quantity; {y} is γ·x̂ + β's symbol in the notation (y, or v where
# the notation has a y of its own)
FORMULAS = {
    "mean": "μ = Σ net / N",
    "var": "σ² = Σ (net − μ)² / N",
    "xhat": "x̂ = (net − μ) / √(σ² + ε)",
    "y": "{y} = γ·x̂ + β",
    "delta": "∂E/∂net = γ/(N·√(σ² + ε)) · (N·∂E/∂{y} − Σ ∂E/∂{y} − x̂·Σ ∂E/∂{y}·x̂)",
    "grad_gamma": "∂E/∂γ = Σ ∂E/∂{y} · x̂",
    "grad_beta": "∂E/∂β = Σ ∂E/∂{y}",
}


@dataclass
class Normalized:
    """One batch-normalized layer's forward numbers: per unit (units,) or per unit and
    example (units, N). The activation's input y is the pass's `nets` entry."""

    net: Array  # before normalization
    mean: Array
    var: Array
    xhat: Array
    epsilon: float

    def column(self, k: int) -> Normalized:
        """Example k's numbers (the statistics stay the batch's)."""
        return Normalized(self.net[:, k], self.mean, self.var, self.xhat[:, k], self.epsilon)


def normalize(net: Array, gamma: Array, beta: Array, epsilon: float) -> tuple[Normalized, Array]:
    """The statistics of net (units, N) over its examples, and y = γ·x̂ + β."""
    mean = net.mean(axis=1)
    centred = net - mean[:, None]
    var = np.mean(centred * centred, axis=1)
    xhat = centred / np.sqrt(var + epsilon)[:, None]
    return Normalized(net, mean, var, xhat, epsilon), gamma[:, None] * xhat + beta[:, None]


def with_running(
    net: Array, mean: Array, var: Array, gamma: Array, beta: Array, epsilon: float
) -> Array:
    """y of the test pass: net normalized by the running statistics, then scaled and shifted
    (PyTorch's eval mode; the examples no longer move μ and σ²)."""
    return gamma[:, None] * (net - mean[:, None]) / np.sqrt(var + epsilon)[:, None] + beta[:, None]


def running(before: Array, batch: Array, momentum: float) -> Array:
    """A running statistic after one batch: (1 − momentum)·before + momentum·batch."""
    return (1 - momentum) * before + momentum * batch


def running_value(x: list[float], momentum: float, count: float, unbiased_var: float) -> float:
    """A running statistic from (before, the batch's), a rule's arithmetic: the variance
    (`unbiased_var` 1) taken unbiased, × N/(N − 1), as `track` does."""
    before, batch = x
    factor = count / (count - 1) if unbiased_var else 1.0
    return float(running(np.float64(before), np.float64(batch) * factor, momentum))


def unbiased(var: Array, count: int) -> Array:
    """The batch's variance as the running one takes it: × N/(N − 1), PyTorch's choice."""
    return var * count / (count - 1)


def backward(dy: Array, n: Normalized, gamma: Array) -> tuple[Array, Array, Array]:
    """∂E/∂net (units, N), ∂E/∂γ and ∂E/∂β (units,), from ∂E/∂y (units, N)."""
    sum_dy = dy.sum(axis=1)
    sum_dy_xhat = (dy * n.xhat).sum(axis=1)
    per_unit = (gamma, n.var, sum_dy, sum_dy_xhat)
    g, var, s, sx = (a[:, None] for a in per_unit)  # a column per unit, for every example
    delta = short_form(g, var, n.xhat, dy, s, sx, dy.shape[1], n.epsilon)
    return delta, sum_dy_xhat, sum_dy


def short_form(gamma, var, xhat, dy, sum_dy, sum_dy_xhat, count, epsilon, through=1.0):
    """∂E/∂net = γ/(N·√(σ² + ε))·(N·∂E/∂y − Σ ∂E/∂y − x̂·Σ ∂E/∂y·x̂), on numbers or arrays
    alike: the engine's and the rules' one formula. `through` 0 leaves out the terms through
    μ and σ² (a student's mistake)."""
    scale = gamma / (count * np.sqrt(var + epsilon))
    return scale * (count * dy - through * (sum_dy + xhat * sum_dy_xhat))


def variance(x: list[float], ddof: float = 0.0) -> float:
    """σ² of one unit from its mean then its net inputs: a rule's arithmetic (core/rules.py);
    `ddof` 1 is the unbiased N − 1, a student's mistake here (PyTorch's training mode
    normalizes with the batch's own, ÷ N)."""
    mean, *nets = x
    return float(np.sum((np.array(nets) - mean) ** 2) / (len(nets) - ddof))


def standardized(x: list[float], epsilon: float) -> float:
    """x̂ of one example from (net, μ, σ²): a rule's arithmetic."""
    net, mean, var = x
    return float((net - mean) / np.sqrt(var + epsilon))


def unit_delta(x: list[float], count: float, epsilon: float, through: float = 1.0) -> float:
    """δ = ∂E/∂net of one example by the short form, from (γ, σ², x̂, ∂E/∂y, Σ ∂E/∂y,
    Σ ∂E/∂y·x̂) and the batch's size: a rule's arithmetic, the formula of `backward`.
    `through` 0 leaves out the terms through μ and σ², a student's mistake."""
    return float(short_form(*x, count, epsilon, through))


def torch_forward(torch, net, gamma, beta, epsilon: float):
    """The same normalization in PyTorch (examples in rows), for gradcheck's reference:
    F.batch_norm in training mode, its own code, not ours."""
    return torch.nn.functional.batch_norm(
        net, None, None, weight=gamma, bias=beta, training=True, eps=epsilon
    )
