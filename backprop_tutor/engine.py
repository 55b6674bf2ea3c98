"""The network and one step of backpropagation: forward, backward and update, as arrays.

Numbers are computed once, here, in float64 numpy arrays; the events copy them out as Python
floats. With calculator arithmetic (`carry_digits`), every recorded quantity is rounded before
anything downstream uses it, as a student does; the activation's derivative is the exception: it
is the calculator chain out(1 - out) on the already rounded output, which the Borela slides
never round on their own (delta_j = (z_j - z_j^2) w delta = 0.33, not 0.11 x 3.14 = 0.35).
"""

from __future__ import annotations

import numpy as np

from backprop_tutor.core import batch_norm
from backprop_tutor.core.activations import of_layer
from backprop_tutor.core.losses import LOSSES, Loss
from backprop_tutor.core.numbers import carry
from backprop_tutor.core.overflow import quietly
from backprop_tutor.parameters import Dropout, Flat, OptimizerState, slots
from backprop_tutor.passes import Array, Layer, Normed, Pass, normed_arrays
from backprop_tutor.spec.model import Spec


class Network:
    """A fully connected feed-forward network built from a Spec, with its parameters."""

    def __init__(self, spec: Spec, dtype: type = np.float64) -> None:
        self.spec = spec
        self.dtype = dtype  # float32 only where training asks for it (`training: dtype`)
        self.loss: Loss = LOSSES[spec.loss]
        self.layers = [
            Layer(
                ls,
                of_layer(ls.activation, ls.alpha),
                np.array(ls.weights, dtype=dtype).reshape(len(ls.units), -1),
                np.array(ls.bias_values, dtype=dtype),
                np.array(ls.bias_of_unit, dtype=int),
                spec.bias_sign,
                ls.batch_norm,
            )
            for ls in spec.layers
        ]

        # Every parameter lives in one flat array, the weights of all layers first, then the
        # biases; each layer's `weights` and `bias` are views into it (so are the velocities
        # and training's gradients), and an update is one pass over all of them. Updates are
        # in place, so the views stay the parameters.
        shapes = [(la.weights.shape, la.bias.size) for la in self.layers]
        self._params = Flat(shapes, dtype=dtype)
        for layer, (weights, bias) in zip(self.layers, self._params.views, strict=True):
            weights[...], bias[...] = layer.weights, layer.bias
            layer.weights, layer.bias = weights, bias
        # the last change of every parameter, for momentum (Mitchell's alpha Δw(n - 1))
        self._velocity = Flat(shapes, np.zeros, dtype)
        self.velocity = [list(pair) for pair in self._velocity.views]
        self._gradient = Flat(shapes, dtype=dtype)  # training's gradients
        # the change Δ the last recorded update made to every parameter (0 where kept): the
        # tables' Δ, as the update worked it out, not new − old read back after rounding
        self.changes = Flat(shapes, np.zeros, dtype)
        # any other optimizer (Adam, ...): its state beside the parameters
        self.optimizer = None if spec.optimizer.classic else OptimizerState(spec, shapes, dtype)
        self.dropout = Dropout(spec, dtype)
        self.masks: list[Array | None] | None = None  # this pass's dropout; None: none (test)
        # batch normalization's running statistics (μ, σ²) per layer, for the test pass
        self.running = [
            (np.zeros(len(la.spec.units)), np.ones(len(la.spec.units))) if la.norm else None
            for la in self.layers
        ]
        self.testing = False  # the test pass: batch normalization by the running statistics

    def drop(self, examples: int, step: int | None = None) -> None:
        """Choose the dropout masks of the passes to come (see parameters.Dropout)."""
        self.masks = self.dropout.masks(examples, step) if self.dropout else None

    def keep_all(self) -> None:
        """No dropout in the passes to come: the test pass, training's loss over the data."""
        self.masks = None

    def test_pass(self) -> None:
        """The passes to come are the test pass: no dropout, and batch normalization by the
        running statistics, not the examples' own."""
        self.keep_all()
        self.testing = True

    def track(self, norms: list | None, examples: int) -> None:
        """Move each batch-normalized layer's running statistics toward a batch's (`norms`,
        a pass's), as PyTorch's training mode does on every forward pass."""
        for i, layer in enumerate(self.layers):
            norm = norms[i] if norms else None
            if norm is None or layer.norm is None or examples < 2:
                continue
            mean, var = self.running[i]  # type: ignore[misc]
            m = layer.norm.momentum
            var_batch = batch_norm.unbiased(norm.var, examples)
            self.running[i] = (
                batch_norm.running(mean, norm.mean, m),
                batch_norm.running(var, var_batch, m),
            )

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
        x = np.asarray(x, dtype=self.dtype)
        outs, nets = [x.reshape(len(x), -1)], []  # inputs are given: never rounded
        for i, layer in enumerate(self.layers):
            net = c(layer.net(outs[-1]))
            if layer.norm is not None:  # the activation reads y = γ·x̂ + β
                net = (
                    layer.standardize(net, self.running[i])
                    if self.testing
                    else layer.normalize(net)[1]
                )
            nets.append(net)
            out = c(layer.activation.value(net))
            mask = self.masks[i] if self.masks else None
            outs.append(out if mask is None else out * mask)  # a dropped unit passes on 0
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
            return from_net(net, out)  # out is value(net) exactly: nothing was rounded
        return layer.activation.derivative(net, out)

    def _total_loss(self, x: Array, t: Array) -> float:
        """The total error for one example (used by the finite-difference checks)."""
        return self._loss_of(t, *self._forward(x))

    def _loss_of(self, t: Array, nets: list[Array], outs: list[Array]) -> float:
        """The total error of a forward pass already made (summed over its examples)."""
        t = np.asarray(t, dtype=self.dtype).reshape(outs[-1].shape)
        return float(np.sum(self._loss_terms(t, nets, outs)))

    def _compute(self, x: Array, t: Array, back: list[Array] | None = None) -> Pass:
        """Forward and backward pass; every gradient from the same (old) parameters. `back`:
        the weights to send deltas back through, when a batch has chosen them for its
        examples (layer by layer: the weights the batch's update sets)."""
        c = self._carry
        nets, outs = self._forward(x)
        t = np.asarray(t, dtype=self.dtype).reshape(outs[-1].shape)
        terms = c(self._loss_terms(t, nets, outs))
        total = float(c(np.array(terms.sum())))
        n = len(self.layers)
        de_dout, dout_dnet, delta, back_weights, normed = self._backward(t, nets, outs, back)
        grad_w = [c(delta[i] @ outs[i].T) for i in range(n)]  # summed over the examples
        grad_b = [self._bias_gradient(i, delta[i], normed[i]) for i in range(n)]
        return Pass(
            outs,
            nets,
            terms,
            total,
            de_dout,
            dout_dnet,
            delta,
            grad_w,
            grad_b,
            back_weights,
            *normed_arrays(normed),
        )

    def _bias_gradient(
        self, i: int, delta: Array, normed: Normed | None, out: Array | None = None
    ) -> Array:
        """Layer i's dE/db summed over the examples; under batch normalization dE/dγ, dE/dβ.
        `out`: an array to write it into (training's gradient buffer)."""
        layer = self.layers[i]
        if normed is not None:
            if out is None:
                return normed[2]
            out[...] = normed[2]
            return out
        if not layer.bias.size:
            return np.empty(0, self.dtype)
        return self._carry(layer.bias_gradient(delta, out=out))

    def _backward(
        self,
        t: Array,
        nets: list[Array],
        outs: list[Array],
        back: list[Array] | None = None,
        deltas_only: bool = False,
    ) -> tuple[list[Array], list[Array], list[Array], list[Array], list[Normed | None]]:
        """Every layer's dE/dout, dout/dnet and delta, from the output down, the weights
        each layer's deltas were sent back through (see `_compute`), and a batch-normalized
        layer's numbers: there dout/dnet is φ′(y), dE/dout · φ′(y) is ∂E/∂y, and delta is
        ∂E/∂net through μ and σ² (core/batch_norm.py). `deltas_only`: where nothing but the
        deltas is read (training), a hidden layer's elementwise delta is written over its
        dE/dout, which is then not returned (its entries are empty arrays)."""
        n = len(self.layers)
        de_dout: list[Array] = [np.empty(0)] * n
        dout_dnet: list[Array] = [np.empty(0)] * n
        delta: list[Array] = [np.empty(0)] * n
        normed: list[Normed | None] = [None] * n
        back_weights = [layer.weights for layer in self.layers]
        for i in reversed(range(n)):
            sent = None  # dE/dout sent back from the layer above; None at the output
            if i < n - 1:
                back_weights[i + 1] = (
                    self._weights_seen_by(i + 1, delta, outs) if back is None else back[i + 1]
                )
                sent = self._carry(back_weights[i + 1].T @ delta[i + 1])
            into = sent if deltas_only else None
            de_dout[i], dout_dnet[i], delta[i] = self._layer_delta(i, t, nets, outs, sent, into)
            if into is not None:
                de_dout[i] = np.empty(0)  # written over by the delta
            layer = self.layers[i]
            if layer.norm is not None:  # the statistics again, as the forward pass made them
                norm = layer.normalize(layer.net(outs[i]))[0]
                units = len(layer.spec.units)
                dy = delta[i]
                delta[i], d_gamma, d_beta = batch_norm.backward(dy, norm, layer.bias[:units])
                normed[i] = (norm, dy, np.concatenate([d_gamma, d_beta]))
        return de_dout, dout_dnet, delta, back_weights, normed

    def _layer_delta(
        self,
        i: int,
        t: Array,
        nets: list[Array],
        outs: list[Array],
        sent: Array | None,
        into: Array | None = None,
    ) -> tuple[Array, Array, Array]:
        """Layer i's dE/dout, dout/dnet and delta; `sent` is a hidden layer's dE/dout from the
        layer above (Σ w δ), None for the output layer, whose dE/dout the loss gives. `into`:
        where an elementwise delta may be written (see `_backward`)."""
        layer, out = self.layers[i], outs[i + 1]
        given = None  # the output delta, where the loss gives it whole
        if sent is None:
            de_dout, given = self._output_factors(t, nets[i], out)
        else:
            de_dout = sent
        mask = self.masks[i] if self.masks else None
        if mask is None:
            dout_dnet = self._dout_dnet(layer, nets[i], out)
        else:  # d(σ(net)·mask)/dnet = σ′(net)·mask, σ′ from the output before the mask
            dout_dnet = self._dout_dnet(layer, nets[i], layer.activation.value(nets[i])) * mask
        if given is not None:
            return de_dout, dout_dnet, given
        scaled = self.loss.out_times_derivative if sent is None else None
        delta = layer.activation.backward(
            out, de_dout, dout_dnet, scaled(t, out) if scaled else None, into
        )
        return de_dout, dout_dnet, self._carry(delta)

    def _descend(self, x: Array, t: Array, scale: float, forward=None) -> None:
        """One update of training, with nothing kept: the numbers of `_compute` then `_apply`
        to the last bit, without their work for the tables (loss terms, a Pass, rounding
        that does not round). The update is in place, into one gradient buffer per
        parameter. `forward`: the (nets, outs) of `x`, where the caller has them already.
        Hand arithmetic (carry_digits) and the layer-by-layer update take the recorded path."""
        if self.spec.carry_digits is not None or self.spec.update == "layer_by_layer":
            self._apply(self._compute(x, t), scale)
            return
        nets, outs = forward or self._forward(x)
        _, _, deltas, _, normed = self._backward(t, nets, outs, deltas_only=True)  # old weights
        if any(normed):  # the running statistics move with every batch, traced or not
            self.track([n and n[0] for n in normed], x.shape[1])
        for i, layer in enumerate(self.layers):
            grad_w, grad_b = self._gradient.views[i]
            np.matmul(deltas[i], outs[i].T, out=grad_w)
            if layer.bias.size:
                self._bias_gradient(i, deltas[i], normed[i], out=grad_b)
        end = None if self.spec.update_biases else self._params.weights
        if self.optimizer is not None:
            self.optimizer.step(
                self._params.data[:end], self._gradient.data[:end], scale, self._carry
            )
            return
        # Δp = (−η · scale) · ∂E/∂p + α · Δp(previous), as `_change`, for every parameter
        change = self._gradient.data[:end]
        change *= -self.spec.learning_rate * scale
        alpha = self.spec.training.momentum
        if alpha:
            velocity = self._velocity.data[:end]
            velocity *= alpha
            velocity += change
            change = velocity
        self._params.data[:end] += change

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
        a layer-by-layer delta sees exactly the weights the update will set. Under calculator
        arithmetic Δp is carried, as a hand calculation writes Mitchell's Δw = η δ x down
        before adding it (new = old + Δw, carried again)."""
        change = -self.spec.learning_rate * scale * gradient
        alpha = self.spec.training.momentum
        return self._carry(change + alpha * velocity if alpha else change)

    def _apply(self, p: Pass, scale: float = 1.0) -> None:
        """Gradient descent on every parameter at once, from the same pass's gradients.

        Δw = −η · scale · ∂E/∂w + α · Δw(previous); `scale` is 1/batch size for a mean over a
        batch, and α the spec's momentum (0 for plain gradient descent).
        """
        update_biases = self.spec.update_biases
        if self.optimizer is not None:
            for (weights, bias), gw, gb in zip(
                self._gradient.views, p.grad_w, p.grad_b, strict=True
            ):
                weights[...], bias[...] = gw, gb
            end = None if update_biases else self._params.weights
            before = self._params.data.copy()
            self.optimizer.step(
                self._params.data[:end], self._gradient.data[:end], scale, self._carry
            )
            np.subtract(self._params.data, before, out=self.changes.data)  # as rules replay it
            return
        momentum = bool(self.spec.training.momentum)
        for layer, velocity, changes, gw, gb in zip(
            self.layers, self.velocity, self.changes.views, p.grad_w, p.grad_b, strict=True
        ):
            changes[0][...] = self._change(gw, scale, velocity[0])
            if momentum:
                velocity[0][...] = changes[0]
            layer.weights[...] = self._carry(layer.weights + changes[0])  # in place: see __init__
            if update_biases and layer.bias.size:
                changes[1][...] = self._change(gb, scale, velocity[1])
                if momentum:
                    velocity[1][...] = changes[1]
                layer.bias[...] = self._carry(layer.bias + changes[1])

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

    def finite(self) -> bool:
        """Whether every parameter is a finite number."""
        return bool(np.isfinite(self._params.data).all())

    def parameter_values(self) -> dict[str, float]:
        """Every parameter's current value, by name."""
        return {name: float(self.array(i, b)[ix]) for name, i, b, ix in self.slots()}
