"""Backpropagation against an independent reference: central finite differences, and PyTorch.

`backprop-tutor gradcheck SPEC` differentiates the loss of the spec's example numerically for
every parameter (the five-point stencil, its step scaled to the parameter's size, so large and
tiny weights both check) and compares each with the engine's gradient; `--torch` builds the same
network in PyTorch (float64) and compares its autograd gradients too.

Each parameter costs four forward passes, so past SAMPLE_LIMIT parameters (a 784-256-10 network
has 203,530) an evenly spread sample from every layer is checked unless the caller asks for all.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

import numpy as np

from backprop_tutor.core import batch_norm
from backprop_tutor.core.errors import TrainingError
from backprop_tutor.core.losses import LOSSES
from backprop_tutor.core.optimizers import OPTIMIZERS
from backprop_tutor.core.regularizers import REGULARIZERS, decay_settings
from backprop_tutor.engine import Network
from backprop_tutor.record import run
from backprop_tutor.spec.model import Spec
from backprop_tutor.teach.kinks import Kink, KinkWatch

SAMPLE_LIMIT = 1_000  # parameters checked by default: 4,000 forward passes, 0.4 s on 784-256-10

RELATIVE = 1e-6
FLOOR = 1e-9  # × max(1, |E|): the differences' own rounding noise
TORCH_TOLERANCE = 1e-10
TORCH_FLOOR = 1e-14  # float64 against float64: only the two orders of summation differ
STEP = 1e-4
UPDATES_CHECKED = 3  # the optimizer's first updates replayed by PyTorch: its state carried


@dataclass(frozen=True)
class Check:
    param: str
    backprop: float
    reference: float
    relative_error: float
    passed: bool  # agrees, or a mismatch at a kink (`kink`), which is not the engine's
    kink: str = ""  # why a mismatch is not the engine's: the stencil crossed an activation's kink


Slot = tuple[str, int, bool, tuple[int, ...]]


def sample(network: Network, limit: int | None = SAMPLE_LIMIT) -> list[Slot]:
    """Every parameter's slot, or past `limit` an evenly spaced selection from each layer, its
    share of `limit` in proportion to its size (at least one), so no layer goes unchecked."""
    slots = network.slots()
    if limit is None or len(slots) <= limit:
        return slots
    chosen: list[Slot] = []
    for i in range(len(network.layers)):
        layer = [slot for slot in slots if slot[1] == i]
        share = min(len(layer), max(1, round(limit * len(layer) / len(slots))))
        picks = np.unique(np.linspace(0, len(layer) - 1, share).round().astype(int))
        chosen.extend(layer[k] for k in picks)
    return chosen


def central_differences(
    network: Network,
    x: np.ndarray,
    t: np.ndarray,
    slots: list[Slot] | None = None,
    kinks: dict[str, Kink] | None = None,
) -> dict[str, float]:
    """dE/dp for every parameter in `slots` (default all) by the five-point central stencil
    (error O(h^4)), with the step scaled to the parameter: h = 1e-4 · max(1, |p|), and
    under batch normalization to its narrowest unit (see `_spread`). E is the loss of
    `run`'s first step: a batch's mean with reduction: mean (`batch_scale`). `kinks`, when
    given, gets each parameter whose stencil moved a unit's net across a kink (kinks.py)."""
    result = {}
    spread, scale = _spread(network, x, t), batch_scale(network.spec)
    watch = None if kinks is None else KinkWatch(network, network.forward(x)[0])
    here = None if watch is None or not watch.layers else scale * network.total_loss(x, t)
    for name, layer, is_bias, index in network.slots() if slots is None else slots:
        array = network.array(layer, is_bias)
        kept = array[index]
        step = STEP * max(1.0, abs(kept)) * spread
        values = {}
        for k in (-2, -1, 1, 2):
            array[index] = kept + k * step
            if watch is None or not watch.layers:
                values[k] = scale * network.total_loss(x, t)
                continue
            with np.errstate(all="ignore"):  # as total_loss: overflow is said by value
                nets, outs = network._forward(x)
                values[k] = scale * network._loss_of(t, nets, outs)
            crossed = watch.crossed(nets)
            if crossed is not None and kinks is not None:
                kinks.setdefault(name, crossed)
        array[index] = kept
        result[name] = (8 * (values[1] - values[-1]) - (values[2] - values[-2])) / (12 * step)
        if kinks is not None and name in kinks and here is not None:
            kinks[name] = replace(kinks[name], sides=_one_sided(here, values, step))
    return result


def _one_sided(here: float, values: dict[int, float], step: float) -> tuple[float, ...]:
    """dE/dp from one side of p only, backward then forward: to second order, from p and
    two points on the side (error O(h²): E″ makes the first order's h/2·E″ far too big
    where the gradient is small), and to first order, for a kink between h and 2h."""
    return (
        (3 * here - 4 * values[-1] + values[-2]) / (2 * step),
        (4 * values[1] - 3 * here - values[2]) / (2 * step),
        (here - values[-1]) / step,
        (values[1] - here) / step,
    )


NARROW = 1e-3  # a batch-normalized unit's √(σ² + ε) below this: the differences lose digits


def narrowest(spec: Spec) -> float:
    """The smallest √(σ² + ε) of a batch-normalized unit in step 1 (1 without one)."""
    if not spec.normalized:  # no network built and no pass made for nothing
        return 1.0
    exact = replace(spec, carry_digits=None)
    return _spread(Network.from_spec(exact), *exact.first_pass())


def _spread(network: Network, x: np.ndarray, t: np.ndarray) -> float:
    """1, or under batch normalization the smallest √(σ² + ε) of a unit: the loss turns on
    that scale of the unit's net inputs (x̂ divides by it), so a step of 1e-4 in a weight
    into a unit whose net inputs are almost alike would be no small step."""
    if not network.spec.normalized:
        return 1.0
    norms = network.compute(x, t).norms or []
    spreads = [float(np.sqrt(n.var + n.epsilon).min()) for n in norms if n is not None]
    return min([1.0, *spreads])


def batch_scale(spec: Spec) -> float:
    """What `run`'s first step multiplies the batch's summed loss and gradients by: 1/N for
    a batch-normalized batch with reduction: mean, else 1 (one example)."""
    if spec.normalized and spec.training.reduction == "mean":
        return 1.0 / len(spec.examples)
    return 1.0


def rule(relative: float = RELATIVE, floor: float = FLOOR) -> str:
    """The agreement rule in words, for the verdict: the relative bound and the absolute floor
    under it (near-zero gradients are compared to the loss's rounding noise, not to 0)."""
    return f"|backprop − reference| ≤ {relative:g} × the larger + {floor:g} × max(1, |E|)"


def agrees(
    got: float, expected: float, loss: float, relative: float = RELATIVE, floor: float = FLOOR
) -> bool:
    """Equal to `relative`, above an absolute floor that scales with the loss (a Python
    bool: the values may be numpy's, whose comparison JSON cannot write)."""
    bound = relative * max(abs(got), abs(expected)) + floor * max(1.0, abs(loss))
    return bool(abs(got - expected) <= bound)


def _relative(a: float, b: float) -> float:
    scale = max(abs(a), abs(b))
    return 0.0 if scale == 0 else abs(a - b) / scale


def _compare(
    values: dict[str, float],
    reference: dict[str, float],
    relative: float = RELATIVE,
    floor: float = FLOOR,
) -> list[Check]:
    return [
        Check(
            name,
            values[f"grad[{name}]"],
            value,
            _relative(values[f"grad[{name}]"], value),
            agrees(values[f"grad[{name}]"], value, values["loss"], relative, floor),
        )
        for name, value in reference.items()
    ]


def exact_gradients(spec: Spec, slots: list | None = None) -> dict[str, float]:
    """One step's `loss` and the `grad[name]` of every parameter (or of those in `slots`, see
    Network.slots) in exact arithmetic, as `run` would record them, without the trace: what
    gradcheck compares, for a network of any size."""
    exact = replace(spec, carry_digits=None)
    network = Network.from_spec(exact)
    network.drop(1, 1)  # with dropout: step 1's masks, as `run` records them
    p = network.compute(*exact.first_pass())
    scale = batch_scale(spec)  # a batch's mean, as `run`'s grad[w5] is
    values = {"loss": scale * p.total}
    for name, i, is_bias, index in network.slots() if slots is None else slots:
        values[f"grad[{name}]"] = scale * float((p.grad_b if is_bias else p.grad_w)[i][index])
    bad = next((key for key, value in values.items() if not np.isfinite(value)), None)
    if bad is not None:
        raise TrainingError(
            spec.file,
            f"step 1: {bad} is {values[bad]} (the numbers overflow float64)",
            "use smaller inputs, weights or learning rate",
        )
    return values


def gradcheck(
    spec: Spec, only: Collection[str] | None = None, limit: int | None = SAMPLE_LIMIT
) -> list[Check]:
    """Gradients against central differences, in exact arithmetic: the parameters named in
    `only`, else every one up to `limit` and an even sample past it (`limit=None`: all)."""
    exact = replace(spec, carry_digits=None)
    network = Network.from_spec(exact)
    network.drop(1, 1)  # with dropout: step 1's masks, as `run` records them
    if only is not None:
        slots = [slot for slot in network.slots() if slot[0] in only]
    else:
        slots = sample(network, limit)
    kinks: dict[str, Kink] = {}
    numeric = central_differences(network, *exact.first_pass(), slots, kinks)
    return [
        replace(c, passed=kinks[c.param].explains(c.backprop), kink=kinks[c.param].note())
        if not c.passed and c.param in kinks
        else c
        for c in _compare(exact_gradients(spec, slots), numeric)
    ]


def _torch_network(spec: Spec):
    """The spec's network in PyTorch (float64): its leaf tensors, each parameter's place in
    them by name, and the loss of the spec's example as a function of them."""
    import torch

    network = Network.from_spec(spec)
    tensors: list[tuple[torch.Tensor, bool]] = []  # (leaf, is a bias)
    params: dict[str, tuple[torch.Tensor, tuple[int, ...]]] = {}
    for layer in network.layers:
        weights = torch.tensor(layer.weights, dtype=torch.float64, requires_grad=True)
        tensors.append((weights, False))
        for u, row in enumerate(layer.spec.weight_names):
            for s, name in enumerate(row):
                params[name] = (weights, (u, s))
        bias = torch.tensor(layer.bias, dtype=torch.float64, requires_grad=bool(layer.bias.size))
        tensors.append((bias, True))
        for b, name in enumerate(layer.spec.bias_names):
            params[name] = (bias, (b,))

    inputs, targets = spec.first_pass()

    def loss(step: int = 1):
        """The loss at step `step`'s dropout masks (the same draws as `run`'s steps): of the
        spec's example, or the sum over the batch with batch normalization (units in rows,
        examples in columns, as the engine's arrays)."""
        out = torch.tensor(inputs, dtype=torch.float64)
        for k, layer in enumerate(network.layers):
            net = tensors[2 * k][0] @ out
            if layer.norm is not None:  # PyTorch's own batch_norm (examples in rows)
                units, scale = len(layer.spec.units), tensors[2 * k + 1][0]
                normed = batch_norm.torch_forward(
                    torch, net.T, scale[:units], scale[units:], layer.norm.epsilon
                )
                net = normed.T
            elif layer.bias.size:
                index = torch.tensor(layer.bias_of_unit)
                bias = tensors[2 * k + 1][0][index]
                net = net + layer.bias_sign * (bias if net.dim() == 1 else bias[:, None])
            out = layer.activation.torch(torch, net)
            mask = masks[step - 1][k]
            if mask is not None:
                out = out * torch.tensor(mask[:, 0], dtype=torch.float64)
        target = torch.tensor(targets, dtype=torch.float64)
        return LOSSES[spec.loss].torch(torch, target, out)

    masks = [network.dropout.masks(1, k) for k in range(1, max(spec.steps, UPDATES_CHECKED) + 1)]

    return tensors, params, loss


def torch_gradients(spec: Spec) -> dict[str, float]:
    """The same network in PyTorch (float64); its autograd gradient of every parameter."""
    _, params, loss = _torch_network(spec)
    (batch_scale(spec) * loss()).backward()
    return {name: float(tensor.grad[index]) for name, (tensor, index) in params.items()}


def torch_updates(
    spec: Spec, steps: int = UPDATES_CHECKED, gradients: bool = False
) -> dict[str, float]:
    """Every parameter after each of the first `steps` updates on the spec's example, by
    PyTorch's own optimizer (torch.optim, built by the registry entry) and autograd: the
    `new[w5]@2` ids `run` records. Biases stay out of it where update_biases is false. A
    penalty is added to the loss autograd differentiates; a parameter no decay reaches is
    in an optimizer of its own with its decay at 0 (PyTorch's parameter group). `gradients`:
    each update's gradient too, as `g[w5]@2` (the error's with any penalty's; tests use it
    to tell an ill-conditioned network from a wrong update)."""
    import torch

    tensors, params, loss = _torch_network(spec)
    o = spec.optimizer
    entry = OPTIMIZERS[o.name]
    moving = [(t, b) for t, b in tensors if t.numel() and (spec.update_biases or not b)]
    optimizers = []
    for decayed in (True, False):
        group = [t for t, is_bias in moving if decayed == (o.decay_biases or not is_bias)]
        hyper = decay_settings(o.name, entry.settings(o.hyper), o.strength, float(decayed))
        if group:
            optimizers.append(entry.torch(torch, group, spec.learning_rate, hyper))  # type: ignore[misc]
    decayed = [t for t, is_bias in tensors if t.numel() and (o.decay_biases or not is_bias)]

    mean = spec.normalized and spec.training.reduction == "mean"  # run's batch: its mean

    def total(step: int):
        error = loss(step) / len(spec.examples) if mean else loss(step)
        if not o.regularizer:
            return error
        penalty = REGULARIZERS[o.regularizer].torch
        return error + sum(penalty(torch, t, o.strength) for t in decayed)

    found = {}
    for n in range(1, steps + 1):
        for optimizer in optimizers:
            optimizer.zero_grad()
        total(n).backward()
        at = "" if n == 1 else f"@{n}"
        if gradients:
            for name, (tensor, index) in params.items():
                if tensor.grad is not None:
                    found[f"g[{name}]{at}"] = float(tensor.grad[index])
        for optimizer in optimizers:
            optimizer.step()
        for name, (tensor, index) in params.items():
            found[f"new[{name}]{at}"] = float(tensor.detach()[index])
    return found


def torch_update_check(spec: Spec, names: Collection[str] | None = None) -> list[Check]:
    """The first UPDATES_CHECKED updates by the spec's optimizer against PyTorch's, to 1e-10
    relative: each parameter's new value after each update (m, v, the bias correction and
    the step count all feed it)."""
    exact = replace(spec, carry_digits=None, steps=UPDATES_CHECKED)
    reference = torch_updates(exact)
    values = run(exact).values()
    return [
        Check(
            key,
            values[key],
            value,
            _relative(values[key], value),
            agrees(values[key], value, 1.0, TORCH_TOLERANCE, TORCH_FLOOR),
        )
        for key, value in reference.items()
        if names is None or key.partition("[")[2].partition("]")[0] in names
    ]


def torch_check(spec: Spec, names: Collection[str] | None = None) -> list[Check]:
    """Gradients against PyTorch's autograd, to 1e-10 relative: every parameter, or `names`.
    Autograd gives them all in one backward pass, so no sample is needed."""
    reference = torch_gradients(replace(spec, carry_digits=None))
    if names is not None:
        reference = {name: value for name, value in reference.items() if name in names}
    return _compare(exact_gradients(spec), reference, TORCH_TOLERANCE, TORCH_FLOOR)
