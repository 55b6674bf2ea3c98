"""The network and one step of backpropagation: forward, backward, update, recorded as a Trace.

Numbers are computed once, here, in float64 numpy arrays; the events copy them out as Python
floats. With calculator arithmetic (`carry_digits`), every recorded quantity is rounded before
anything downstream uses it, as a student does; the activation's derivative is the exception: it
is the calculator chain out(1 - out) on the already rounded output, which the Borela slides
never round on their own (delta_j = (z_j - z_j^2) w delta = 0.33, not 0.11 x 3.14 = 0.35).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .activations import ACTIVATIONS, Activation
from .errors import TrainingError
from .losses import LOSSES, Loss
from .numbers import carry
from .spec import LayerSpec, Spec
from .trace import (
    DeltaEvent,
    Factor,
    ForwardEvent,
    GradientEvent,
    LossEvent,
    PathEvent,
    StepTrace,
    Term,
    Trace,
    TraceHeader,
    UpdateEvent,
)

Array = np.ndarray


@dataclass
class Layer:
    """One layer's parameters. `bias_of_unit[u]` picks unit u's entry of `bias` (shared or own)."""

    spec: LayerSpec
    activation: Activation
    weights: Array  # (units, sources)
    bias: Array  # (number of bias parameters,)
    bias_of_unit: Array  # (units,) int; empty when the layer has no bias

    def net(self, x: Array) -> Array:
        net = self.weights @ x
        if self.bias_of_unit.size:
            net = net + self.bias[self.bias_of_unit]
        return net


@dataclass
class Pass:
    """The arrays of one forward and backward pass (before anything is recorded)."""

    outs: list[Array]  # inputs first, then each layer's outputs
    nets: list[Array]
    terms: Array
    total: float
    de_dout: list[Array]  # per layer, like nets
    dout_dnet: list[Array]
    delta: list[Array]
    grad_w: list[Array]
    grad_b: list[Array]


class Network:
    """A fully connected feed-forward network built from a Spec, with its parameters."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.loss: Loss = LOSSES[spec.loss]
        self.layers = [
            Layer(
                ls,
                ACTIVATIONS[ls.activation],
                np.array(ls.weights, dtype=float).reshape(len(ls.units), -1),
                np.array(ls.bias_values, dtype=float),
                np.array(ls.bias_of_unit, dtype=int),
            )
            for ls in spec.layers
        ]

    @classmethod
    def from_spec(cls, spec: Spec) -> Network:
        return cls(spec)

    def _carry(self, values: Array) -> Array:
        places = self.spec.carry_digits
        if places is None:
            return values
        return np.array([carry(v, places) for v in np.ravel(values)]).reshape(np.shape(values))

    # -- numbers -------------------------------------------------------------------------------
    def forward(self, x: Array) -> tuple[list[Array], list[Array]]:
        """Net inputs and outputs of every layer (outputs list starts with the inputs)."""
        c = self._carry
        outs, nets = [np.asarray(x, dtype=float)], []  # inputs are given: never rounded
        for layer in self.layers:
            net = c(layer.net(outs[-1]))
            nets.append(net)
            outs.append(c(layer.activation.value(net)))
        return nets, outs

    def total_loss(self, x: Array, t: Array) -> float:
        """The total error for one example (used by the finite-difference checks)."""
        _, outs = self.forward(x)
        return float(np.sum(self.loss.terms(np.asarray(t, dtype=float), outs[-1])))

    def compute(self, x: Array, t: Array) -> Pass:
        """Forward and backward pass; every gradient from the same (old) parameters."""
        c = self._carry
        t = np.asarray(t, dtype=float)
        nets, outs = self.forward(x)
        terms = c(self.loss.terms(t, outs[-1]))
        total = float(c(np.array([terms.sum()]))[0])
        n = len(self.layers)
        de_dout: list[Array] = [np.empty(0)] * n
        dout_dnet: list[Array] = [np.empty(0)] * n
        delta: list[Array] = [np.empty(0)] * n
        for i in reversed(range(n)):
            layer = self.layers[i]
            if i == n - 1:
                de_dout[i] = c(self.loss.derivative(t, outs[-1]))
            else:
                de_dout[i] = c(self.layers[i + 1].weights.T @ delta[i + 1])
            dout_dnet[i] = layer.activation.derivative(nets[i], outs[i + 1])
            delta[i] = c(de_dout[i] * dout_dnet[i])
        grad_w = [c(np.outer(delta[i], outs[i])) for i in range(n)]
        grad_b = [
            c(np.bincount(layer.bias_of_unit, weights=delta[i], minlength=layer.bias.size))
            if layer.bias.size
            else np.empty(0)
            for i, layer in enumerate(self.layers)
        ]
        return Pass(outs, nets, terms, total, de_dout, dout_dnet, delta, grad_w, grad_b)

    def apply(self, p: Pass) -> None:
        """Gradient descent on every parameter at once, from the same pass's gradients."""
        eta = self.spec.learning_rate
        for layer, gw, gb in zip(self.layers, p.grad_w, p.grad_b, strict=True):
            layer.weights = self._carry(layer.weights - eta * gw)
            if self.spec.update_biases and layer.bias.size:
                layer.bias = self._carry(layer.bias - eta * gb)

    # -- recording -----------------------------------------------------------------------------
    def step(self, number: int = 1) -> StepTrace:
        """One step on the spec's example: compute, record, then update the parameters."""
        x, t = np.array(self.spec.inputs), np.array(self.spec.targets)
        with np.errstate(all="ignore"):  # overflow is reported by _check_finite, by id
            p = self.compute(x, t)
        recorder = _Recorder(self, p)
        trace = StepTrace(
            step=number,
            inputs=tuple(zip(self.spec.input_names, map(float, p.outs[0]), strict=True)),
            forward=recorder.forward(),
            losses=tuple(
                LossEvent(u, float(tv), float(o), float(e))
                for u, tv, o, e in zip(self.spec.output_names, t, p.outs[-1], p.terms, strict=True)
            ),
            total_loss=p.total,
            deltas=recorder.deltas(),
            gradients=recorder.gradients(),
            updates=(),
        )
        before = recorder.parameters()
        with np.errstate(all="ignore"):
            self.apply(p)
        after = {name: value for name, value, _ in self.parameters()}
        updates = tuple(
            UpdateEvent(name, old, grad, after[name], updated)
            for name, old, grad, updated in before
        )
        result = StepTrace(
            trace.step,
            trace.inputs,
            trace.forward,
            trace.losses,
            trace.total_loss,
            trace.deltas,
            trace.gradients,
            updates,
        )
        _check_finite(result, self.spec.file)
        return result

    def parameters(self) -> list[tuple[str, float, bool]]:
        """(name, value, is_bias) of every parameter, layer by layer."""
        found = []
        for layer in self.layers:
            ls = layer.spec
            for u, row in enumerate(ls.weight_names):
                for s, name in enumerate(row):
                    found.append((name, float(layer.weights[u, s]), False))
            for b, name in enumerate(ls.bias_names):
                found.append((name, float(layer.bias[b]), True))
        return found


def _check_finite(step: StepTrace, file: str) -> None:
    """Overflow must stop the run with the quantity that broke, never print inf or nan."""
    for key, value in step.values().items():
        if not np.isfinite(value):
            raise TrainingError(
                file,
                f"step {step.step}: {key} is {value} (the numbers overflow float64)",
                "use smaller inputs, weights or learning rate",
            )


def run(spec: Spec) -> Trace:
    """Every step the spec asks for, traced."""
    network = Network.from_spec(spec)
    steps = tuple(network.step(k + 1) for k in range(spec.steps))
    return Trace(header(spec), steps)


def header(spec: Spec) -> TraceHeader:
    """The settings every view of a trace needs."""
    return TraceHeader(
        file=spec.file,
        title=spec.title,
        source=spec.source,
        notation=spec.notation,
        loss=spec.loss,
        learning_rate=spec.learning_rate,
        update_biases=spec.update_biases,
        carry_digits=spec.carry_digits,
        digits=spec.display.digits,
        rounding=spec.display.rounding,
        fixed=spec.display.fixed,
        layers=(spec.input_names, *(ls.units for ls in spec.layers)),
        activations=tuple(ls.activation for ls in spec.layers),
    )


class _Recorder:
    """Copies one Pass into events, in the order a hand calculation finds them."""

    def __init__(self, network: Network, p: Pass) -> None:
        self.net = network
        self.p = p
        self.c = network._carry

    def forward(self) -> tuple[ForwardEvent, ...]:
        events = []
        sources = self.net.spec.input_names
        for i, layer in enumerate(self.net.layers):
            ls = layer.spec
            x = self.p.outs[i]
            for u, unit in enumerate(ls.units):
                terms = tuple(
                    Term(s, ls.weight_names[u][k], float(x[k]), float(layer.weights[u, k]))
                    for k, s in enumerate(sources)
                )
                bias = ls.bias_names[ls.bias_of_unit[u]] if ls.bias_of_unit else None
                bias_value = float(layer.bias[ls.bias_of_unit[u]]) if ls.bias_of_unit else 0.0
                events.append(
                    ForwardEvent(
                        i + 1,
                        unit,
                        ls.activation,
                        terms,
                        bias,
                        bias_value,
                        float(self.p.nets[i][u]),
                        float(self.p.outs[i + 1][u]),
                    )
                )
            sources = ls.units
        return tuple(events)

    def deltas(self) -> tuple[DeltaEvent, ...]:
        events = []
        layers = self.net.layers
        for i in reversed(range(len(layers))):
            ls = layers[i].spec
            for u, unit in enumerate(ls.units):
                downstream: tuple = ()
                if i + 1 < len(layers):
                    above = layers[i + 1]
                    downstream = tuple(
                        (
                            k_name,
                            above.spec.weight_names[k][u],
                            float(above.weights[k, u]),
                            float(self.p.delta[i + 1][k]),
                        )
                        for k, k_name in enumerate(above.spec.units)
                    )
                events.append(
                    DeltaEvent(
                        i + 1,
                        unit,
                        float(self.p.de_dout[i][u]),
                        float(self.p.dout_dnet[i][u]),
                        float(self.p.delta[i][u]),
                        downstream,
                    )
                )
        return tuple(events)

    def _unit_factors(self, i: int, u: int) -> tuple[Factor, Factor]:
        unit = self.net.layers[i].spec.units[u]
        return (
            Factor("de_dout", unit, None, float(self.p.de_dout[i][u])),
            Factor("dout_dnet", unit, None, float(self.p.dout_dnet[i][u])),
        )

    def _paths(self, i: int, u: int, param: str, dnet_dparam: Factor) -> tuple[PathEvent, ...]:
        """Paths from a parameter of unit u in layer i to the error, via each unit it feeds."""
        layers = self.net.layers
        if i + 1 >= len(layers):
            return ()
        above = layers[i + 1]
        unit = layers[i].spec.units[u]
        own = Factor("dout_dnet", unit, None, float(self.p.dout_dnet[i][u]))
        paths = []
        for k, k_name in enumerate(above.spec.units):
            if i + 1 == len(layers) - 1:
                head = self._unit_factors(i + 1, k)
            else:
                head = (Factor("delta", k_name, None, float(self.p.delta[i + 1][k])),)
            factors = (
                *head,
                Factor("dnet_dout", k_name, unit, float(above.weights[k, u])),
                own,
                dnet_dparam,
            )
            value = float(self.c(np.array([np.prod([f.value for f in factors])]))[0])
            paths.append(PathEvent(param, k_name, factors, value))
        return tuple(paths)

    def gradients(self) -> tuple[GradientEvent, ...]:
        events = []
        layers = self.net.layers
        for i in reversed(range(len(layers))):
            ls = layers[i].spec
            sources = self.net.spec.input_names if i == 0 else layers[i - 1].spec.units
            by_name: dict[str, GradientEvent] = {}
            for u, unit in enumerate(ls.units):
                for s, name in enumerate(ls.weight_names[u]):
                    dparam = Factor("dnet_dparam", name, None, float(self.p.outs[i][s]))
                    by_name[name] = GradientEvent(
                        name,
                        "weight",
                        i + 1,
                        (unit,),
                        sources[s],
                        (*self._unit_factors(i, u), dparam),
                        self._paths(i, u, name, dparam),
                        float(self.p.grad_w[i][u, s]),
                    )
            for b, name in enumerate(ls.bias_names):
                fed = [u for u in range(len(ls.units)) if ls.bias_of_unit[u] == b]
                dparam = Factor("dnet_dparam", name, None, 1.0)
                if len(fed) == 1:
                    factors = (*self._unit_factors(i, fed[0]), dparam)
                    paths = self._paths(i, fed[0], name, dparam)
                else:  # a shared bias: one path through each unit it feeds
                    factors = ()
                    paths = tuple(
                        PathEvent(
                            name,
                            ls.units[u],
                            (*self._unit_factors(i, u), dparam),
                            float(self.p.delta[i][u]),
                        )
                        for u in fed
                    )
                by_name[name] = GradientEvent(
                    name,
                    "bias",
                    i + 1,
                    tuple(ls.units[u] for u in fed),
                    None,
                    factors,
                    paths,
                    float(self.p.grad_b[i][b]),
                )
            events.extend(by_name[name] for name in ls.param_order)
        return tuple(events)

    def parameters(self) -> list[tuple[str, float, float, bool]]:
        """(name, old value, gradient, will be updated) for every parameter, before the update."""
        grads = {}
        for i, layer in enumerate(self.net.layers):
            ls = layer.spec
            for u, row in enumerate(ls.weight_names):
                for s, name in enumerate(row):
                    grads[name] = float(self.p.grad_w[i][u, s])
            for b, name in enumerate(ls.bias_names):
                grads[name] = float(self.p.grad_b[i][b])
        update_biases = self.net.spec.update_biases
        return [
            (name, value, grads[name], update_biases or not is_bias)
            for name, value, is_bias in self.net.parameters()
        ]
