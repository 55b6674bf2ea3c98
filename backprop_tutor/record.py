"""The worked example: each step the engine computes, recorded as trace events.

The engine computes every number as arrays; this module runs its steps (`run`, `step`,
`batch_step`, `predict`) and reads each pass out in the order a hand calculation finds the
numbers, naming and grouping them (chain-rule factors, paths through downstream units), so no
number is computed twice.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from backprop_tutor.core.errors import TrainingError
from backprop_tutor.core.overflow import quietly
from backprop_tutor.core.trace import (
    LossEvent,
    PredictionEvent,
    StepTrace,
    Trace,
    TraceHeader,
    UpdateEvent,
)
from backprop_tutor.engine import Network
from backprop_tutor.passes import Array, Pass
from backprop_tutor.recorder import Recorder
from backprop_tutor.spec.limits import lists_paths, path_count, refuse_large_trace
from backprop_tutor.spec.model import Spec


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
        batch_norm=tuple(ls.batch_norm.epsilon if ls.batch_norm else None for ls in spec.layers)
        if spec.normalized
        else (),
        scales=tuple(name for ls in spec.layers if ls.batch_norm for name in ls.bias_names),
        written=tuple(sorted(spec.display.written)),
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
        if network.spec.normalized:  # one pass of the batch: each example's column of it
            recorder = Recorder(network, p, k)
            examples.append(_trace_of(network, number, p, recorder, targets[:, k], k))
            continue
        if masks is not None:
            network.masks = [None if m is None else m[:, k : k + 1] for m in masks]
        examples.append(_record(network, number, inputs[:, k], targets[:, k], p.back_weights)[1])
    network.masks = masks
    reduction = network.spec.training.reduction
    scale = 1.0 / inputs.shape[1] if reduction == "mean" else 1.0
    before = list(network.running)
    network.track(p.norms, inputs.shape[1])  # the running statistics, for the test pass
    statistics = Recorder(network, p).statistics(before)  # before the update moves γ and β
    result = StepTrace(
        number,
        (),
        (),
        (),
        p.total,
        (),
        (),
        _update(network, p, scale),
        tuple(examples),
        reduction,
        statistics,
    )
    _check_finite(result, network.spec.file)
    return result


def _record(
    network: Network, number: int, x: Array, t: Array, back: list[Array] | None = None
) -> tuple[Pass, StepTrace]:
    """One example's pass, recorded in full, before any update."""
    p = network.compute(x, t, back)
    return p, _trace_of(network, number, p, Recorder(network, p), t)


def _trace_of(
    network: Network, number: int, p: Pass, recorder: Recorder, t: Array, k: int = 0
) -> StepTrace:
    """Example k of pass p, whose targets are t, as a step's events (no update): its
    forward terms, its loss, deltas and gradients, as the recorder reads them."""
    terms = p.terms[:, k]
    return StepTrace(
        step=number,
        inputs=tuple(zip(network.spec.input_names, map(float, p.outs[0][:, k]), strict=True)),
        forward=recorder.forward(),
        losses=tuple(
            LossEvent(u, float(tv), float(o), float(e))
            for u, tv, o, e in zip(
                network.spec.output_names,
                np.ravel(t),
                p.outs[-1][:, k],
                terms,
                strict=True,
            )
        ),
        total_loss=p.total if p.terms.shape[1] == 1 else float(terms.sum()),
        deltas=recorder.deltas(),
        gradients=recorder.gradients(),
        updates=(),
    )


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
    changes = network.changes.data  # Δ as the update made it (carried under carry_digits)
    return tuple(
        UpdateEvent(
            name,
            old,
            grad if scale == 1.0 else scale * grad,
            after[name],
            updated,
            momentum,
            float(changes[where[k]]) if updated else 0.0,
            prior[k] if updated else (),
            _shown(state, where[k], alpha, float(changes[where[k]])) if updated else (),
        )
        for k, (name, old, grad, updated, momentum) in enumerate(before)
    )


def _shown(state, where, alpha: float, change: float) -> tuple:
    """What an update of a parameter worked out besides new: an optimizer's quantities (Adam's
    m, v, ...), or momentum's change Δ = −η·g + α·Δ(previous), which its table prints with
    an id."""
    if state:
        return state.shown(where)
    return (("change", change),) if alpha else ()


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
    for key, value in step.values().items():  # Python floats: math tests one 25 times faster
        if math.isfinite(value) or (math.isinf(value) and key.startswith("de_dout[")):
            continue
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
    if spec.normalized:  # batch normalization: every step one update on all the examples
        inputs, targets = spec.examples.inputs.T, spec.examples.targets.T
        steps = [batch_step(network, k, inputs, targets) for k in range(1, spec.steps + 1)]
        network.test_pass()  # by the running statistics; the batch again is no prediction
        predictions = predict(network, spec.tests)
        _check_predictions(predictions, spec.file)
        return Trace(header(spec), tuple(steps), predictions)
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
