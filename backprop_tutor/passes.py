"""The arrays the engine works on: a layer's parameters (weights and biases, or batch
normalization's γ and β) and everything one forward and backward pass made, before anything
is recorded. engine.py computes them; record.py and the recorder read them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backprop_tutor.core import batch_norm
from backprop_tutor.core.activations import Activation
from backprop_tutor.spec.model import BatchNormSpec, LayerSpec

Array = np.ndarray
# a batch-normalized layer's backward numbers: its statistics, ∂E/∂y, and dE/dγ then dE/dβ
Normed = tuple[batch_norm.Normalized, Array, Array]


@dataclass
class Layer:
    """One layer's parameters. `bias_of_unit[u]` picks unit u's entry of `bias` (shared or own)."""

    spec: LayerSpec
    activation: Activation
    weights: Array  # (units, sources)
    bias: Array  # (number of bias parameters,)
    bias_of_unit: Array  # (units,) int; empty when the layer has no bias
    bias_sign: int = 1  # -1: the bias is a threshold, subtracted (the layered notes' x_0 = -1)
    # batch normalization: `bias` then holds γ of every unit, then β (the layer has no bias)
    norm: BatchNormSpec | None = None

    def net(self, x: Array) -> Array:
        """Net inputs for examples in columns: x is (sources, examples)."""
        net = self.weights @ x
        if self.bias.size == self.bias_of_unit.size and self.bias.size:  # one bias per unit
            net += self.bias[:, None] if self.bias_sign == 1 else -self.bias[:, None]
        elif self.bias_of_unit.size:  # one shared by the layer
            net += self.bias_sign * self.bias[self.bias_of_unit][:, None]
        return net

    def normalize(self, net: Array) -> tuple[batch_norm.Normalized, Array]:
        """A batch-normalized layer's statistics over the examples of `net`, and y = γ·x̂ + β,
        which its activation reads."""
        units = len(self.spec.units)
        assert self.norm is not None
        return batch_norm.normalize(net, self.bias[:units], self.bias[units:], self.norm.epsilon)

    def standardize(self, net: Array, running) -> Array:
        """The test pass's y: net normalized by the running statistics (μ, σ²), scaled by γ
        and shifted by β."""
        units = len(self.spec.units)
        assert self.norm is not None
        return batch_norm.with_running(
            net, *running, self.bias[:units], self.bias[units:], self.norm.epsilon
        )

    def bias_gradient(self, delta: Array, out: Array | None = None) -> Array:
        """dE/db from the units' deltas: a unit's own bias takes its delta, a shared one the sum.
        `out`: an array to write it into (training's gradient buffer)."""
        if self.bias.size == self.bias_of_unit.size:  # one bias per unit: dnet/db = ±1
            per_unit = np.add.reduce(delta, axis=1, out=out)  # delta.sum(axis=1)
            return per_unit if self.bias_sign == 1 else np.negative(per_unit, out=out)
        per_unit = self.bias_sign * delta.sum(axis=1)
        found = np.bincount(self.bias_of_unit, weights=per_unit, minlength=self.bias.size)
        if out is None:
            return found.astype(delta.dtype, copy=False)  # bincount sums in float64
        out[...] = found
        return out


@dataclass
class Pass:
    """The arrays of one forward and backward pass (before anything is recorded)."""

    outs: list[Array]  # inputs first, then each layer's outputs; (units, examples) each
    nets: list[Array]
    terms: Array
    total: float
    de_dout: list[Array]  # per layer, like nets
    dout_dnet: list[Array]
    delta: list[Array]
    grad_w: list[Array]
    grad_b: list[Array]
    # per layer, the weights its deltas were sent back through: the old ones, or under
    # `update: layer_by_layer` the ones the update is about to set (what the tables show)
    back_weights: list[Array]
    # batch normalization, per layer (None elsewhere): its statistics and x̂ (`nets` holds
    # y, the activation's input), and ∂E/∂y (`delta` holds ∂E/∂net, through μ and σ²)
    norms: list[batch_norm.Normalized | None] | None = None
    dy: list[Array | None] | None = None

    def example(self, k: int) -> Pass:
        """The same pass seen for example k alone: every per-unit array becomes 1-D."""

        def column(arrays: list[Array]) -> list[Array]:
            return [a[:, k] for a in arrays]

        return Pass(
            column(self.outs),
            column(self.nets),
            self.terms[:, k],
            self.total,
            column(self.de_dout),
            column(self.dout_dnet),
            column(self.delta),
            self.grad_w,
            self.grad_b,
            self.back_weights,
            None if self.norms is None else [n and n.column(k) for n in self.norms],
            None if self.dy is None else [d if d is None else d[:, k] for d in self.dy],
        )

    def alone(self, k: int, layers: list[Layer]) -> Pass:
        """Example k of a batch with its own share of each gradient, δ_k times its inputs
        (a batch-normalized layer's δ_k already holds the whole batch's effect): what the
        trace records for an example whose pass cannot be made alone."""
        p = self.example(k)
        n = len(layers)
        norms, dys = p.norms or [None] * n, p.dy or [None] * n
        p.grad_w = [np.outer(p.delta[i], p.outs[i]) for i in range(n)]
        p.grad_b = [
            example_bias_gradient(layer, p.delta[i][:, None], norms[i], dys[i])
            for i, layer in enumerate(layers)
        ]
        return p


def normed_arrays(normed: list[Normed | None]) -> tuple[list | None, list | None]:
    """A pass's `norms` and `dy` from the backward pass's batch normalization numbers (None:
    no layer is batch-normalized)."""
    if not any(normed):
        return None, None
    return [n and n[0] for n in normed], [n and n[1] for n in normed]


def example_bias_gradient(layer: Layer, delta: Array, norm, dy) -> Array:
    """One example's share of a layer's bias gradient (γ and β under batch normalization)."""
    if norm is not None:
        return np.concatenate([dy * norm.xhat, dy])
    if not layer.bias.size:
        return np.empty(0)
    return layer.bias_gradient(delta)
