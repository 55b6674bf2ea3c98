"""The network and one step of backpropagation: forward, backward and update, as arrays.

Numbers are computed once, here, in float64 numpy arrays; the events copy them out as Python
floats. With calculator arithmetic (`carry_digits`), every recorded quantity is rounded before
anything downstream uses it, as a student does; the activation's derivative is the exception: it
is the calculator chain out(1 - out) on the already rounded output, which the Borela slides
never round on their own (delta_j = (z_j - z_j^2) w delta = 0.33, not 0.11 x 3.14 = 0.35).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

import numpy as np

from backprop_tutor.core.activations import Activation, of_layer
from backprop_tutor.core.losses import LOSSES, Loss
from backprop_tutor.core.numbers import carry
from backprop_tutor.spec.model import LayerSpec, Spec

Array = np.ndarray
P = ParamSpec("P")
R = TypeVar("R")


# Overflow and 0-division give inf and nan, which every caller reports by name (run: by id,
# train: by parameter and epoch); numpy's own warnings would only add lines without a place.
def quietly(method: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(method)
    def quiet(*args: P.args, **kwargs: P.kwargs) -> R:
        with np.errstate(all="ignore"):  # a fresh context per call: safe when calls nest
            return method(*args, **kwargs)

    return quiet


@dataclass
class Layer:
    """One layer's parameters. `bias_of_unit[u]` picks unit u's entry of `bias` (shared or own)."""

    spec: LayerSpec
    activation: Activation
    weights: Array  # (units, sources)
    bias: Array  # (number of bias parameters,)
    bias_of_unit: Array  # (units,) int; empty when the layer has no bias
    bias_sign: int = 1  # -1: the bias is a threshold, subtracted (the layered notes' x_0 = -1)

    def net(self, x: Array) -> Array:
        """Net inputs for examples in columns: x is (sources, examples)."""
        net = self.weights @ x
        if self.bias.size == self.bias_of_unit.size and self.bias.size:  # one bias per unit
            net += self.bias_sign * self.bias[:, None]
        elif self.bias_of_unit.size:  # one shared by the layer
            net += self.bias_sign * self.bias[self.bias_of_unit][:, None]
        return net

    def bias_gradient(self, delta: Array) -> Array:
        """dE/db from the units' deltas: a unit's own bias takes its delta, a shared one the sum."""
        per_unit = self.bias_sign * delta.sum(axis=1)  # dnet/db = ±1
        if self.bias.size == per_unit.size:
            return per_unit
        return np.bincount(self.bias_of_unit, weights=per_unit, minlength=self.bias.size)


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
        )


class Network:
    """A fully connected feed-forward network built from a Spec, with its parameters."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.loss: Loss = LOSSES[spec.loss]
        self.layers = [
            Layer(
                ls,
                of_layer(ls.activation, ls.alpha),
                np.array(ls.weights, dtype=float).reshape(len(ls.units), -1),
                np.array(ls.bias_values, dtype=float),
                np.array(ls.bias_of_unit, dtype=int),
                spec.bias_sign,
            )
            for ls in spec.layers
        ]

        # the last change of every parameter, for momentum (Mitchell's alpha Δw(n - 1))
        self.velocity = [[np.zeros_like(la.weights), np.zeros_like(la.bias)] for la in self.layers]

    @classmethod
    def from_spec(cls, spec: Spec) -> Network:
        return cls(spec)

    def _carry(self, values: Array) -> Array:
        places = self.spec.carry_digits
        if places is None:
            return values
        return np.array([carry(v, places) for v in np.ravel(values)]).reshape(np.shape(values))

    # -- numbers -------------------------------------------------------------------------------
    def _forward(self, x: Array) -> tuple[list[Array], list[Array]]:
        """Net inputs and outputs of every layer (outputs list starts with the inputs).

        `x` is one example (sources,) or examples in columns (sources, examples); the arrays
        returned are always (units, examples).
        """
        c = self._carry
        x = np.asarray(x, dtype=float)
        outs, nets = [x.reshape(len(x), -1)], []  # inputs are given: never rounded
        for layer in self.layers:
            net = c(layer.net(outs[-1]))
            nets.append(net)
            outs.append(c(layer.activation.value(net)))
        return nets, outs

    def _loss_terms(self, t: Array, nets: list[Array], outs: list[Array]) -> Array:
        """Each output's error term: in log space from the net inputs where the loss has that
        form for this output activation (finite for any finite net, where log(out) is -inf
        once out underflows), from the outputs as a hand calculation does under carry_digits."""
        if self._log_space() and self.loss.terms_from_net is not None:
            return self.loss.terms_from_net(t, nets[-1], outs[-1])
        return self.loss.terms(t, outs[-1])

    def _log_space(self) -> bool:
        """Whether the loss is computed from the output layer's net inputs: in exact
        arithmetic, with the output activation the loss has that form for."""
        return (
            self.spec.carry_digits is None
            and self.layers[-1].activation.name == self.loss.log_space_activation
        )

    def _output_factors(self, t: Array, net: Array, out: Array) -> tuple[Array, Array | None]:
        """The output layer's dE/dout, and its delta where the loss gives it from the net
        inputs (None: delta is the chain-rule product)."""
        loss = self.loss
        if self._log_space() and loss.derivative_from_net is not None:
            delta = None if loss.delta_from_net is None else loss.delta_from_net(t, net)
            return loss.derivative_from_net(t, net), delta
        return self._carry(loss.derivative(t, out)), None

    def _dout_dnet(self, layer: Layer, net: Array, out: Array) -> Array:
        """dout/dnet from the net input in exact arithmetic (every digit right), from the
        (rounded) output under carry_digits, as the hand calculation does."""
        from_net = layer.activation.derivative_from_net
        if self.spec.carry_digits is None and from_net is not None:
            return from_net(net)
        return layer.activation.derivative(net, out)

    def _total_loss(self, x: Array, t: Array) -> float:
        """The total error for one example (used by the finite-difference checks)."""
        nets, outs = self._forward(x)
        t = np.asarray(t, dtype=float).reshape(outs[-1].shape)
        return float(np.sum(self._loss_terms(t, nets, outs)))

    def _compute(self, x: Array, t: Array, back: list[Array] | None = None) -> Pass:
        """Forward and backward pass; every gradient from the same (old) parameters. `back`:
        the weights to send deltas back through, when a batch has chosen them for its
        examples (layer by layer: the weights the batch's update sets)."""
        c = self._carry
        nets, outs = self._forward(x)
        t = np.asarray(t, dtype=float).reshape(outs[-1].shape)
        terms = c(self._loss_terms(t, nets, outs))
        total = float(c(np.array(terms.sum())))
        n = len(self.layers)
        de_dout: list[Array] = [np.empty(0)] * n
        dout_dnet: list[Array] = [np.empty(0)] * n
        delta: list[Array] = [np.empty(0)] * n
        back_weights = [layer.weights for layer in self.layers]
        for i in reversed(range(n)):
            layer = self.layers[i]
            given = None  # the output delta, where the loss gives it whole
            if i == n - 1:
                de_dout[i], given = self._output_factors(t, nets[-1], outs[-1])
            else:
                back_weights[i + 1] = (
                    self._weights_seen_by(i + 1, delta, outs) if back is None else back[i + 1]
                )
                de_dout[i] = c(back_weights[i + 1].T @ delta[i + 1])
            dout_dnet[i] = self._dout_dnet(layer, nets[i], outs[i + 1])
            scaled = self.loss.out_times_derivative if i == n - 1 else None
            delta[i] = (
                given
                if given is not None
                else c(
                    layer.activation.backward(
                        outs[i + 1],
                        de_dout[i],
                        dout_dnet[i],
                        scaled(t, outs[-1]) if scaled else None,
                    )
                )
            )
        grad_w = [c(delta[i] @ outs[i].T) for i in range(n)]  # summed over the examples
        grad_b = [
            c(layer.bias_gradient(delta[i])) if layer.bias.size else np.empty(0)
            for i, layer in enumerate(self.layers)
        ]
        return Pass(
            outs, nets, terms, total, de_dout, dout_dnet, delta, grad_w, grad_b, back_weights
        )

    def _weights_seen_by(self, i: int, delta: list[Array], outs: list[Array]) -> Array:
        """The weights of layer i that the layer below back-propagates through: the old ones
        (simultaneous update), or already updated (`update: layer_by_layer`, as some published
        worked examples did, wrongly)."""
        weights = self.layers[i].weights
        if self.spec.update != "layer_by_layer":
            return weights
        gradient = self._carry(delta[i] @ outs[i].T)  # as grad_w will hold it
        mean = self.spec.training.reduction == "mean"
        return self._carry(
            weights
            + self._change(gradient, 1.0 / outs[i].shape[1] if mean else 1.0, self.velocity[i][0])
        )

    def _change(self, gradient: Array, scale: float, velocity: Array) -> Array:
        """Δp = −η · scale · ∂E/∂p + α · Δp(previous): the update of `_apply`, in one place so
        a layer-by-layer delta sees exactly the weights the update will set."""
        change = -self.spec.learning_rate * scale * gradient
        alpha = self.spec.training.momentum
        return change + alpha * velocity if alpha else change

    def _apply(self, p: Pass, scale: float = 1.0) -> None:
        """Gradient descent on every parameter at once, from the same pass's gradients.

        Δw = −η · scale · ∂E/∂w + α · Δw(previous); `scale` is 1/batch size for a mean over a
        batch, and α the spec's momentum (0 for plain gradient descent).
        """
        momentum = bool(self.spec.training.momentum)
        update_biases = self.spec.update_biases
        for layer, velocity, gw, gb in zip(
            self.layers, self.velocity, p.grad_w, p.grad_b, strict=True
        ):
            change = self._change(gw, scale, velocity[0])
            if momentum:
                velocity[0] = change
            layer.weights = self._carry(layer.weights + change)
            if update_biases and layer.bias.size:
                change = self._change(gb, scale, velocity[1])
                if momentum:
                    velocity[1] = change
                layer.bias = self._carry(layer.bias + change)

    # Quiet versions for callers; `train` runs the raw ones inside one errstate of its own.
    forward = quietly(_forward)
    total_loss = quietly(_total_loss)
    compute = quietly(_compute)
    apply = quietly(_apply)

    def slots(self) -> list[tuple[str, int, bool, tuple[int, ...]]]:
        return slots(self.spec)

    def array(self, layer: int, is_bias: bool) -> Array:
        """The array that holds a parameter (see `slots`)."""
        return self.layers[layer].bias if is_bias else self.layers[layer].weights

    def parameter_values(self) -> dict[str, float]:
        """Every parameter's current value, by name."""
        return {name: float(self.array(i, b)[ix]) for name, i, b, ix in self.slots()}


def slots(spec: Spec) -> list[tuple[str, int, bool, tuple[int, ...]]]:
    """(name, layer, is_bias, index) of every parameter, layer by layer, in one place."""
    found: list[tuple[str, int, bool, tuple[int, ...]]] = []
    for i, layer in enumerate(spec.layers):
        for u, row in enumerate(layer.weight_names):
            found.extend((name, i, False, (u, s)) for s, name in enumerate(row))
        found.extend((name, i, True, (b,)) for b, name in enumerate(layer.bias_names))
    return found
