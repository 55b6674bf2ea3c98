"""Training's inner loop for a network so small that a numpy call costs more than its arithmetic.

A 2-2-1 network's stochastic update is a few dozen multiplications; on arrays each numpy call
costs about a microsecond whatever its size, so the loop is all overhead. Here the same update
runs on Python floats: the parameters as one flat list laid out as `engine.Flat` lays out the
array, every formula the registry entry's `scalar` form of its array form. The numbers agree
with the array path within an ulp per operation: Python adds a unit's weighted inputs left to
right where BLAS may fuse or reorder them, and math's tanh is not numpy's (tests/test_descent.py
measures the difference after 10,000 epochs). Per operation, not per result: where a unit's
weighted inputs cancel, the two nets may differ by much more than an ulp of the net.

Only what the array path would do the same way runs here: one example per update, exact
arithmetic, the simultaneous update, elementwise activations and losses with a scalar form,
no loss computed in log space. Anything else, and an update with a net input or a delta past
float64, runs on arrays.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from backprop_tutor.engine import Network

Array = np.ndarray
SMALL = 64  # weights at most: past this the Python loop loses its lead over the arrays


@dataclass(frozen=True)
class _Layer:
    """Where one layer's numbers sit in the flat list, and its scalar activation."""

    units: int
    sources: int
    weights: int  # offset of w[0][0]; w[u][s] is at weights + u · sources + s
    biases: tuple[int, ...]  # each unit's bias, by offset (empty: no bias)
    sign: float  # +1, or -1 for a threshold subtracted
    value: Callable[[float], float]
    derivative: Callable[[float, float], float]


class TinyDescent:
    """The parameters and velocities as Python lists while training runs; `store` writes them
    back into the network's arrays, `load` reads them again after the arrays moved."""

    def __init__(self, network: Network) -> None:
        self.network = network
        spec = network.spec
        self.layers = []
        for layer, (w, b) in zip(network.layers, network._params.offsets, strict=True):
            biases = tuple(b + int(k) for k in layer.bias_of_unit) if layer.bias.size else ()
            value, derivative = layer.activation.scalar  # type: ignore[misc]
            self.layers.append(
                _Layer(*layer.weights.shape, w, biases, float(layer.bias_sign), value, derivative)
            )
        self.loss_derivative = network.loss.scalar_derivative
        self.outputs = len(network.layers[-1].spec.units)
        self.rate = -spec.learning_rate  # one example: the mean and the sum agree (scale 1)
        self.alpha = spec.training.momentum
        self.update_biases = spec.update_biases
        self.load()

    @staticmethod
    def fits(network: Network, batch_size: int) -> bool:
        """Whether this loop gives the array path's update (within an ulp) for this network."""
        spec = network.spec
        return (
            batch_size == 1
            and network.optimizer is None  # gradient descent, with or without momentum
            and not network.dropout
            and network.dtype is np.float64  # Python's floats are float64
            and spec.carry_digits is None
            and spec.update != "layer_by_layer"
            and network._params.weights <= SMALL
            and network.loss.scalar_derivative is not None
            and not network._log_space()
            and all(layer.activation.scalar is not None for layer in network.layers)
        )

    def load(self) -> None:
        self.params: list[float] = self.network._params.data.tolist()
        self.velocity: list[float] = self.network._velocity.data.tolist()

    def store(self) -> None:
        self.network._params.data[:] = self.params
        self.network._velocity.data[:] = self.velocity

    def update(self, x: list[float], t: list[float]) -> bool:
        """One stochastic update from example (x, t); False, with nothing changed, where a
        net input or a delta is past float64 (the caller then makes the update on arrays).

        A product past float64 is inf without an exception, and what follows from it need
        not be what BLAS makes of it: inf − inf is nan here where a fused multiply-add keeps
        inf, and a net of inf is a sigmoid's 1 with slope 0 where BLAS's net is finite. One
        sum of every net input and delta, finite only if each of them is, tells. (An output
        past float64 from a finite net reaches the next nets or the output's delta.)"""
        try:
            outs, nets, deltas = self._backward(x, t)
        except (OverflowError, ZeroDivisionError):
            return False
        if not math.isfinite(sum(map(sum, nets)) + sum(map(sum, deltas))):
            return False
        self._step(outs, deltas)
        return True

    def _backward(self, x: list[float], t: list[float]) -> tuple[list, list, list]:
        p = self.params
        outs, nets = [x], []
        for layer in self.layers:
            prev, n, w = outs[-1], layer.sources, layer.weights
            net = [sum([p[w + u * n + s] * prev[s] for s in range(n)]) for u in range(layer.units)]
            if layer.biases:
                sign = layer.sign
                net = [
                    v + p[b] if sign > 0 else v - p[b]
                    for v, b in zip(net, layer.biases, strict=True)
                ]
            nets.append(net)
            outs.append([layer.value(v) for v in net])
        deltas: list[list[float]] = [[]] * len(self.layers)
        last = self.layers[-1]
        k = self.outputs
        deltas[-1] = [
            self.loss_derivative(tt, o, k) * last.derivative(v, o)
            for tt, o, v in zip(t, outs[-1], nets[-1], strict=True)
        ]
        for i in range(len(self.layers) - 2, -1, -1):
            above, layer, d = self.layers[i + 1], self.layers[i], deltas[i + 1]
            n, w = above.sources, above.weights
            sent = [sum([p[w + u * n + s] * d[u] for u in range(above.units)]) for s in range(n)]
            deltas[i] = [
                e * layer.derivative(v, o)
                for e, v, o in zip(sent, nets[i], outs[i + 1], strict=True)
            ]
        return outs, nets, deltas

    def _step(self, outs: list, deltas: list) -> None:
        """Δp = (−η) ∂E/∂p + α Δp(previous), for every parameter, from the old ones' deltas,
        in the array path's order of operations."""
        p, v, rate, alpha = self.params, self.velocity, self.rate, self.alpha
        gradient: dict[int, float] = {}
        for layer, prev, d in zip(self.layers, outs[:-1], deltas, strict=True):
            n, w = layer.sources, layer.weights
            for u, du in enumerate(d):
                row = w + u * n
                for s, ps in enumerate(prev):
                    gradient[row + s] = du * ps
                if layer.biases and self.update_biases:
                    b = layer.biases[u]  # a bias shared by the layer sums its units' deltas
                    gradient[b] = gradient.get(b, 0.0) + layer.sign * du
        for k, g in gradient.items():
            change = g * rate
            if alpha:
                change = v[k] * alpha + change
                v[k] = change
            p[k] += change
