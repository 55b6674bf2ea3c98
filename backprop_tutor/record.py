"""The worked example: each step the engine computes, recorded as trace events.

The engine computes every number as arrays; this module runs its steps (`run`, `step`,
`batch_step`, `predict`) and reads each pass out in the order a hand calculation finds the
numbers, naming and grouping them (chain-rule factors, paths through downstream units), so no
number is computed twice.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from backprop_tutor.core.errors import TrainingError
from backprop_tutor.core.numbers import carry
from backprop_tutor.core.trace import (
    DeltaEvent,
    Factor,
    ForwardEvent,
    GradientEvent,
    LossEvent,
    PathEvent,
    PredictionEvent,
    StepTrace,
    Term,
    Trace,
    TraceHeader,
    UpdateEvent,
)
from backprop_tutor.engine import Array, Network, Pass, quietly
from backprop_tutor.spec.limits import lists_paths, path_count, refuse_large_trace
from backprop_tutor.spec.model import Spec


class Recorder:
    """Copies one Pass into events, in the order a hand calculation finds them."""

    def __init__(self, network: Network, p: Pass) -> None:
        self.net = network
        self.p = p.example(0)  # a traced step has one example
        self.c = network._carry
        # past the bound, hidden gradients are shown in the delta form alone (scale.py)
        self.list_paths = lists_paths(network.spec)

    def forward(self) -> tuple[ForwardEvent, ...]:
        events = []
        masks = self.net.masks
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
                        None if masks is None or masks[i] is None else float(masks[i][u, 0]),
                    )
                )
            sources = ls.units
        return tuple(events)

    def deltas(self) -> tuple[DeltaEvent, ...]:
        events = []
        layers, places = self.net.layers, self.net.spec.carry_digits
        for i in reversed(range(len(layers))):
            ls, act = layers[i].spec, layers[i].activation
            jacobian = None if act.elementwise else act.jacobian(self.p.outs[i + 1])  # type: ignore[misc]
            for u, unit in enumerate(ls.units):
                downstream: tuple = ()
                if i + 1 < len(layers):
                    above = layers[i + 1]
                    downstream = tuple(
                        (
                            k_name,
                            above.spec.weight_names[k][u],
                            float(self.p.back_weights[i + 1][k, u]),
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
                        ()
                        if jacobian is None
                        else tuple(zip(ls.units, map(float, jacobian[:, u]), strict=True)),
                        # each term as a calculator user writes it down (carried digits)
                        tuple(carry(w * dk, places) for _, _, w, dk in downstream),
                    )
                )
        return tuple(events)

    def _unit_factors(self, i: int, u: int) -> tuple[Factor, ...]:
        """dE/dnet of unit u in layer i as chain-rule factors: dE/dout · dout/dnet, or, where
        the activation mixes its units (softmax), delta itself (see its Jacobian rows)."""
        unit = self.net.layers[i].spec.units[u]
        if not self.net.layers[i].activation.elementwise:
            return (Factor("delta", unit, None, float(self.p.delta[i][u])),)
        return (
            Factor("de_dout", unit, None, float(self.p.de_dout[i][u])),
            Factor("dout_dnet", unit, None, float(self.p.dout_dnet[i][u])),
        )

    def _paths(self, i: int, u: int, param: str, dnet_dparam: Factor) -> tuple[PathEvent, ...]:
        """Paths from a parameter of unit u in layer i to the error, via each unit it feeds."""
        layers = self.net.layers
        if not self.list_paths or i + 1 >= len(layers) or not layers[i].activation.elementwise:
            # no paths from the last layer; and inside softmax a path is no single product
            # (delta_j mixes every output of the layer), so the delta form stands alone
            return ()
        above = layers[i + 1]
        unit = layers[i].spec.units[u]
        own = Factor("dout_dnet", unit, None, float(self.p.dout_dnet[i][u]))
        paths = []
        for k, k_name in enumerate(above.spec.units):
            if i + 1 == len(layers) - 1:  # Dawood's full chain through an output unit
                head = self._unit_factors(i + 1, k)
            else:
                head = (Factor("delta", k_name, None, float(self.p.delta[i + 1][k])),)
            factors = (
                *head,
                Factor("dnet_dout", k_name, unit, float(self.p.back_weights[i + 1][k, u])),
                own,
                dnet_dparam,
            )
            value = float(self.c(np.array([np.prod([f.value for f in factors])]))[0])
            if not np.isfinite(value):  # dE/dout past float64 (inf · 0): delta is its product
                value = float(self.p.delta[i + 1][k]) * float(
                    np.prod([f.value for f in factors[-3:]])
                )
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
                sign = float(self.net.spec.bias_sign)  # a threshold enters as −b: dnet/db = −1
                dparam = Factor("dnet_dparam", name, None, sign)
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
                            sign * float(self.p.delta[i][u]),
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

    def parameters(self) -> list[tuple[str, float, float, bool, float]]:
        """(name, old value, gradient, will be updated, momentum term) for every parameter,
        read before the update."""
        net, p = self.net, self.p
        alpha, update_biases = net.spec.training.momentum, net.spec.update_biases
        found = []
        for name, i, is_bias, index in net.slots():
            updated = update_biases or not is_bias
            momentum = alpha * float(net.velocity[i][is_bias][index]) if updated else 0.0
            found.append(
                (
                    name,
                    float(net.array(i, is_bias)[index]),
                    float((p.grad_b if is_bias else p.grad_w)[i][index]),
                    updated,
                    momentum,
                )
            )
        return found


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
        alphas=tuple(ls.alpha for ls in spec.layers),
        bias_sign=spec.bias_sign,
        paths=path_count(spec),
        paths_listed=lists_paths(spec),
        update=spec.update,
        momentum=spec.training.momentum,
        optimizer=spec.optimizer.name,
        optimizer_settings=spec.optimizer.settings,
        regularizer=spec.optimizer.regularizer,
        strength=spec.optimizer.strength,
        decay_biases=spec.optimizer.decay_biases,
        biases=tuple(name for ls in spec.layers for name in ls.bias_names),
        dropout=tuple(ls.dropout.rate if ls.dropout else None for ls in spec.layers)
        if any(ls.dropout for ls in spec.layers)
        else (),
    )


@quietly  # inf and nan in the recorded numbers are reported by id
def step(network: Network, number: int = 1, example: tuple | None = None) -> StepTrace:
    """One step on one example (default: the spec's): compute, record, then update."""
    x, t = (np.array(v) for v in (example or (network.spec.inputs, network.spec.targets)))
    p, trace = _record(network, number, x, t)
    result = replace(trace, updates=_update(network, p, 1.0))
    _check_finite(result, network.spec.file)
    return result


@quietly  # inf and nan in the recorded numbers are reported by id
def batch_step(network: Network, number: int, inputs: Array, targets: Array) -> StepTrace:
    """One update on several examples (in columns): each example's pass recorded in full,
    then the update with the batch's gradient, the mean or the sum as the spec says."""
    p = network.compute(inputs, targets)
    masks = network.masks  # with dropout, a column per example
    examples = []
    for k in range(inputs.shape[1]):  # each sends its deltas back through the batch's weights
        if masks is not None:
            network.masks = [None if m is None else m[:, k : k + 1] for m in masks]
        examples.append(_record(network, number, inputs[:, k], targets[:, k], p.back_weights)[1])
    network.masks = masks
    reduction = network.spec.training.reduction
    scale = 1.0 / inputs.shape[1] if reduction == "mean" else 1.0
    result = StepTrace(
        number, (), (), (), p.total, (), (), _update(network, p, scale), tuple(examples), reduction
    )
    _check_finite(result, network.spec.file)
    return result


def _record(
    network: Network, number: int, x: Array, t: Array, back: list[Array] | None = None
) -> tuple[Pass, StepTrace]:
    """One example's pass, recorded in full, before any update."""
    p = network.compute(x, t, back)
    recorder = Recorder(network, p)
    trace = StepTrace(
        step=number,
        inputs=tuple(zip(network.spec.input_names, map(float, p.outs[0][:, 0]), strict=True)),
        forward=recorder.forward(),
        losses=tuple(
            LossEvent(u, float(tv), float(o), float(e))
            for u, tv, o, e in zip(
                network.spec.output_names,
                np.ravel(t),
                p.outs[-1][:, 0],
                p.terms[:, 0],
                strict=True,
            )
        ),
        total_loss=p.total,
        deltas=recorder.deltas(),
        gradients=recorder.gradients(),
        updates=(),
    )
    return p, trace


def _update(network: Network, p: Pass, scale: float) -> tuple[UpdateEvent, ...]:
    """The update from pass p, recorded: the gradient used is scale × p's sum; with an
    optimizer other than gradient descent, each parameter's state before and quantities;
    with momentum, each parameter's change Δ (its id `change[p]`)."""
    before = Recorder(network, p).parameters()  # read the parameters before they change
    state, alpha = network.optimizer, network.spec.training.momentum
    where = [network._params.at(i, b, ix) for _, i, b, ix in network.slots()]
    prior = [tuple(state.before(k).items()) if state else () for k in where]
    network.apply(p, scale)
    after = network.parameter_values()
    return tuple(
        UpdateEvent(
            name,
            old,
            grad if scale == 1.0 else scale * grad,
            after[name],
            updated,
            momentum,
            after[name] - old,
            prior[k] if updated else (),
            _shown(state.shown(where[k]) if state else (), alpha, after[name] - old, updated),
        )
        for k, (name, old, grad, updated, momentum) in enumerate(before)
    )


def _shown(quantities, alpha: float, change: float, updated: bool) -> tuple:
    """What an update worked out besides new (optimizer state, Adam's m, v, ...); momentum's
    change Δ = −η·g + α·Δ(previous) too, which its table prints with an id."""
    if not updated:
        return ()
    return quantities or ((("change", change),) if alpha else ())


@quietly  # inf and nan in the recorded numbers are reported by id
def predict(network: Network, examples) -> tuple[PredictionEvent, ...]:
    """Each test example forward through the current parameters, with its total error."""
    events = []
    for x, t in examples:
        outs = network.forward(np.array(x))[1][-1][:, 0]
        loss = network.total_loss(np.array(x), np.array(t))
        events.append(
            PredictionEvent(
                tuple(x), tuple(t), tuple(map(float, outs)), float(network._carry(np.array(loss)))
            )
        )
    return tuple(events)


def _check_finite(step: StepTrace, file: str) -> None:
    """Overflow must stop the run with the quantity that broke, never print nan. The one
    number that may be infinite is an output's dE/dout whose true value is past float64
    (binary cross-entropy's 1 + e^net for net > 709): it is shown as inf, while its delta,
    computed whole from the net input, stays finite and carries the step."""
    for key, value in step.values().items():
        if np.isinf(value) and key.startswith("de_dout["):
            continue
        if not np.isfinite(value):
            raise TrainingError(
                file,
                f"step {step.step}: {key} is {value} (the numbers overflow float64)",
                "use smaller inputs, weights or learning rate",
            )


def run(spec: Spec) -> Trace:
    """Every step the spec asks for, traced; refused first (TraceTooLarge, one line) when the
    trace would be too big to hold, so no command spends minutes and gigabytes to find out."""
    refuse_large_trace(spec)
    network = Network.from_spec(spec)
    steps = []
    for k in range(1, spec.steps + 1):
        network.drop(1, k)  # dropout: this step's masks, the file's or drawn
        steps.append(step(network, k))
    network.keep_all()  # the test pass: every unit, unscaled (inverted dropout)
    predictions = predict(network, spec.tests)
    _check_predictions(predictions, spec.file)
    (after,) = predict(network, [(spec.inputs, spec.targets)])
    finite = np.isfinite([*after.outputs, after.loss]).all()  # else the tables leave it out
    return Trace(header(spec), tuple(steps), predictions, after if finite else None)


def _check_predictions(predictions: tuple[PredictionEvent, ...], file: str) -> None:
    """A test example's outputs and loss, checked as each step's numbers are: a prediction
    that overflows stops the run in one line, never reaching a table or the JSON as inf."""
    for k, event in enumerate(predictions, 1):
        named = [*(("an output", out) for out in event.outputs), ("the loss", event.loss)]
        for name, value in named:
            if not np.isfinite(value):
                raise TrainingError(
                    file,
                    f"test {k}: {name} is {value} (the numbers overflow float64)",
                    "use smaller test inputs, weights or learning rate",
                )
