"""Training: epochs of stochastic, mini-batch or full-batch gradient descent, and when to stop.

Every update runs on the engine's vectorized path with tracing off; only the updates asked for
are traced, with the same recorder `run` uses. The loss history (one float per epoch) is the
only thing that grows with the number of epochs.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

import numpy as np

from backprop_tutor.core.overflow import quietly
from backprop_tutor.core.trace import StepTrace
from backprop_tutor.divergence import Start
from backprop_tutor.divergence import check as check_diverged
from backprop_tutor.engine import Network, slots
from backprop_tutor.record import batch_step, step
from backprop_tutor.spec.model import Spec
from backprop_tutor.tiny import TinyDescent
from backprop_tutor.traced_updates import LAST, refuse_large_tracing, refuse_unreachable

Array = np.ndarray
Forward = tuple[list[Array], list[Array]]  # nets and outs of a pass (Network._forward)
PROGRESS_SECONDS = 10.0  # between two progress lines when no progress bar is shown
LISTED_VALUES = 100_000  # a tiny network's examples held as Python floats up to this many (3 MB)
clock = time.monotonic  # read once an epoch by ProgressLines (a test may replace it)


@dataclass(frozen=True)
class LayerFigures:
    """One layer's final parameters in figures, for a report on a network too big to list."""

    weights: int
    biases: int
    minimum: float
    maximum: float
    mean: float
    norm: float


@dataclass
class TrainingResult:
    """What a training run did and the parameters it left, as plain data (no live network):
    the views and the JSON read it, and nothing they do can move a parameter."""

    spec: Spec
    losses: array  # the loss over all examples after each epoch: 8 bytes an epoch
    stop: str  # which rule stopped training: epochs, loss_threshold, gradient_threshold, max_epochs
    updates: int
    gradient_norm: float | None = None  # of the full-data gradient at the end, when computed
    traced: dict[int, StepTrace] = field(default_factory=dict)  # update number -> its trace
    outputs: Array | None = None  # the trained network's outputs, (n_outputs, n_examples)
    hidden: Array | None = None  # the last hidden layer's outputs, (units, n_examples)
    # ‖delta‖ per layer over all examples, before and after training (vanishing gradients)
    delta_norms: tuple[list[float], list[float]] = ([], [])
    # ReLU units silent on every example, before and after training
    dead_units: tuple[list[str], list[str]] = ([], [])
    weights: tuple[Array, ...] = ()  # the final weights per layer, (units, sources)
    biases: tuple[Array, ...] = ()  # the final bias parameters per layer

    @property
    def epochs(self) -> int:
        return len(self.losses)

    @property
    def parameters(self) -> dict[str, float]:
        """Every final parameter by name, in the spec's order."""
        arrays = (self.weights, self.biases)
        return {name: float(arrays[b][i][ix]) for name, i, b, ix in slots(self.spec)}

    def figures(self) -> list[LayerFigures]:
        found = []
        for weights, bias in zip(self.weights, self.biases, strict=True):
            both = np.concatenate([weights.ravel(), bias.ravel()])
            with np.errstate(over="ignore"):  # past 1e154 a norm is inf, printed as inf
                numbers = [float(f(both)) for f in (np.min, np.max, np.mean, np.linalg.norm)]
            found.append(LayerFigures(weights.size, bias.size, *numbers))
        return found


def training_network(spec: Spec) -> Network:
    """The network training updates, in the arithmetic `training: dtype` asks for."""
    return Network(spec, np.dtype(spec.training.dtype).type)


def data_arrays(spec: Spec) -> tuple[Array, Array]:
    """The training examples as columns: inputs (n_inputs, n), targets (n_outputs, n)."""
    inputs = spec.examples.inputs.T
    targets = spec.examples.targets.T
    return inputs, targets


def dataset_loss(
    network: Network, inputs: Array, targets: Array, forward: Forward | None = None
) -> float:
    """The loss over all examples: their mean, or their sum with reduction: sum. `forward`:
    the pass over all examples at the current parameters, where it has been made."""
    with np.errstate(all="ignore"):
        total = network._loss_of(targets, *(forward or network._forward(inputs)))
    return total / inputs.shape[1] if network.spec.training.reduction == "mean" else total


def gradient_norm(network: Network, inputs: Array, targets: Array) -> float:
    """‖∇J(w)‖ over all examples (mean or sum as the reduction says): the Xu lecture's test."""
    p = network.compute(inputs, targets)
    scale = 1.0 / inputs.shape[1] if network.spec.training.reduction == "mean" else 1.0
    with np.errstate(over="ignore"):  # an overflowing norm is inf: the rule does not stop
        squares = sum(float(np.sum(g**2)) for g in p.grad_w)
        if network.spec.update_biases:
            squares += sum(float(np.sum(g**2)) for g in p.grad_b)
    return scale * squares**0.5


@quietly  # one errstate for the whole loop: inf and nan are reported by check_diverged
def train(
    spec: Spec,
    trace_updates: Collection[int] = (),
    on_epoch: Callable[[int, float], None] | None = None,
) -> TrainingResult:
    """Train from the spec's starting weights until a stopping rule holds."""
    refuse_unreachable(spec, trace_updates)
    refuse_large_tracing(spec, trace_updates)
    network = training_network(spec)
    rules = spec.training
    inputs, targets = (a.astype(network.dtype, copy=False) for a in data_arrays(spec))
    n = inputs.shape[1]
    rng = np.random.default_rng(rules.seed)
    limit = rules.epochs or rules.max_epochs
    want_last = LAST in trace_updates
    result = TrainingResult(spec, array("d"), "max_epochs", 0)
    # the pass over all examples at the current parameters: made once an epoch for the loss,
    # it is also the diagnosis before and after, and a full batch's next forward pass
    forward = network._forward(inputs)
    beginning = Start.of(network, inputs, targets, forward)  # inf before any update: said
    before, dead_before = _diagnosis(network, targets, forward)
    full = rules.batch_size >= n
    updates = Updates(network, inputs, targets)
    last_state: tuple | None = None  # what the last update started from, when `last` is traced
    for epoch in range(1, limit + 1):
        # a full batch is the data in its own order (see TrainingSpec.shuffled): the loss
        # pass just made is then its forward pass
        order = rng.permutation(n) if rules.shuffled(n) else np.arange(n)
        batches = (
            order[start : start + rules.batch_size] for start in range(0, n, rules.batch_size)
        )
        full_pass = forward if full else None
        last_state = _epoch_updates(updates, batches, result, trace_updates, full_pass, want_last)
        forward = updates.arrays()._forward(inputs)
        loss = dataset_loss(network, inputs, targets, forward)
        check_diverged(network, epoch, loss, forward, beginning)
        result.losses.append(loss)
        if on_epoch:
            on_epoch(epoch, loss)
        stop = _stop_rule(network, inputs, targets, epoch, loss, result)
        if stop:
            result.stop = stop
            break
    if want_last and last_state is not None and result.updates not in result.traced:
        result.traced[result.updates] = _replay(spec, last_state, inputs, targets, result.updates)
    _finish(result, network, targets, forward, (before, dead_before))
    return result


def _epoch_updates(
    updates: Updates,
    batches: Iterable[Array],
    result: TrainingResult,
    trace_updates: Collection[int],
    full_pass: Forward | None,
    want_last: bool,
) -> tuple | None:
    """One epoch's updates, a batch at a time, each counted in `result`: those asked for are
    traced in full as `run` records them, the rest made on the fast path. `full_pass`: the
    pass over all examples just made, which a full batch without dropout reuses as its own.
    Returns what the epoch's last update started from when `last` is to be traced (else
    None): training may stop after any epoch, and only then is that update known to be last."""
    network = updates.network
    last_state = None
    for batch in batches:
        result.updates += 1
        network.drop(len(batch))  # dropout: this update's masks, drawn (none without)
        if want_last:
            last_state = (_snapshot(updates.arrays()), batch)
        if result.updates in trace_updates:
            result.traced[result.updates] = _traced_update(
                updates.arrays(), updates.inputs, updates.targets, batch, result.updates
            )
            updates.reload()
        else:
            updates.make(batch, full_pass if not network.dropout else None)
        network.keep_all()  # the loss over the data, the next update's masks: fresh
    return last_state


def _finish(result: TrainingResult, network: Network, targets: Array, forward, before) -> None:
    """What the report reads once training stops: the outputs and hidden values of the
    last pass over all examples, ‖δ‖ and the dead units before (given) and after, the
    parameters."""
    after, dead_after = _diagnosis(network, targets, forward)
    outs = forward[1]
    result.outputs = outs[-1]
    result.hidden = outs[-2] if len(outs) > 2 else None
    result.delta_norms = (before[0], after)
    result.dead_units = (before[1], dead_after)
    result.weights = tuple(layer.weights for layer in network.layers)
    result.biases = tuple(layer.bias for layer in network.layers)


class Updates:
    """Training's updates, one batch at a time: on the network's arrays, or for a tiny network
    trained one example at a time, on Python floats (tiny.py), written back to the arrays
    whenever something reads them (`arrays`)."""

    def __init__(self, network: Network, inputs: Array, targets: Array) -> None:
        self.network, self.inputs, self.targets = network, inputs, targets
        rules = network.spec.training
        self.mean = rules.reduction == "mean"
        self.tiny = TinyDescent(network) if TinyDescent.fits(network, rules.batch_size) else None
        # the tiny loop's examples as Python floats, made once where that is cheap; a Python
        # float takes 32 bytes to numpy's 8, so a big data set is read a column at a time
        self.examples = None
        if self.tiny is not None and inputs.size + targets.size <= LISTED_VALUES:
            self.examples = list(zip(inputs.T.tolist(), targets.T.tolist(), strict=True))
        self.moved = False  # the tiny loop's numbers are ahead of the arrays

    def make(self, batch: Array, forward: Forward | None = None) -> None:
        """The update from the examples in `batch`. `forward`: the pass over all examples,
        already made, where the batch is all of them in their own order (no copy is taken)."""
        if self.tiny is not None and self.tiny.update(*self._example(int(batch[0]))):
            self.moved = True
            return
        scale = 1.0 / len(batch) if self.mean else 1.0
        network = self.arrays()
        if forward is None:
            network._descend(self.inputs[:, batch], self.targets[:, batch], scale)
        else:
            network._descend(self.inputs, self.targets, scale, forward)
        self.reload()

    def _example(self, k: int) -> tuple[list[float], list[float]]:
        """Example k's inputs and targets as Python floats, for the tiny loop."""
        if self.examples is not None:
            return self.examples[k]
        return self.inputs[:, k].tolist(), self.targets[:, k].tolist()

    def arrays(self) -> Network:
        """The network, its arrays holding every update made so far."""
        if self.moved:
            self.tiny.store()  # type: ignore[union-attr]
            self.moved = False
        return self.network

    def reload(self) -> None:
        """After the arrays moved (a traced update, one made on arrays): read them again."""
        if self.tiny is not None:
            self.tiny.load()


class ProgressLines:
    """A line about every PROGRESS_SECONDS, for a run nobody watches on a terminal (piped, or
    in a log): `epoch 12,345 of 10,000,000 · loss 0.01234 · 10 s`. A run that ends sooner
    says nothing. Called once an epoch; the time is read then, so a line waits for its epoch."""

    def __init__(self, total: int, write: Callable[[str], None]) -> None:
        self.total, self.write = total, write
        self.start = self.last = clock()

    def __call__(self, epoch: int, loss: float) -> None:
        now = clock()
        if now - self.last < PROGRESS_SECONDS:
            return
        self.last = now
        self.write(
            f"epoch {epoch:,} of {self.total:,} · loss {loss:.5g} · {now - self.start:,.0f} s"
        )


def _diagnosis(network: Network, targets: Array, forward: Forward) -> tuple[list[float], list[str]]:
    """‖δ‖ per layer and the dead ReLU units, from a pass over all examples already made:
    the deltas only, no weight gradient (the costly product with every input)."""
    nets, outs = forward
    deltas = network._backward(targets, nets, outs, deltas_only=True)[2]
    return delta_norms(deltas), dead_units(network, nets)


def delta_norms(delta: list[Array]) -> list[float]:
    """‖δ‖ of each layer over all examples: shrinking toward the inputs is the Xu lecture's
    vanishing gradient (sigmoid's derivative is at most 1/4, once per layer)."""
    with np.errstate(over="ignore"):  # past 1e154 a norm overflows to inf, shown as such
        return [float(np.linalg.norm(d)) for d in delta]


def dead_units(network: Network, nets: list[Array]) -> list[str]:
    """Units dead on every example (a ReLU at net <= 0): no gradient reaches their weights."""
    return [
        unit
        for layer, net in zip(network.layers, nets, strict=True)
        if layer.activation.dead is not None
        for unit, row in zip(layer.spec.units, net, strict=True)
        if layer.activation.dead(row).all()
    ]


def _stop_rule(
    network: Network, inputs: Array, targets: Array, epoch: int, loss: float, result: TrainingResult
) -> str | None:
    rules = network.spec.training
    if rules.loss_threshold is not None and loss < rules.loss_threshold:
        return "loss_threshold"
    if rules.gradient_threshold is not None:
        result.gradient_norm = gradient_norm(network, inputs, targets)
        if result.gradient_norm < rules.gradient_threshold:
            return "gradient_threshold"
    if rules.epochs is not None and epoch >= rules.epochs:
        return "epochs"
    return None


def _traced_update(
    network: Network, inputs: Array, targets: Array, batch: Array, number: int
) -> StepTrace:
    """One update recorded in full, as `run` records it: each example of its batch, then the
    update itself."""
    if len(batch) == 1:
        k = int(batch[0])
        return step(network, number, (inputs[:, k], targets[:, k]))
    return batch_step(network, number, inputs[:, batch], targets[:, batch])


def _snapshot(network: Network) -> tuple:
    """Everything the next update starts from: parameters, velocities, an optimizer's state,
    its dropout masks, batch normalization's running statistics."""
    layers = [
        (la.weights.copy(), la.bias.copy(), [v.copy() for v in vel])
        for la, vel in zip(network.layers, network.velocity, strict=True)
    ]
    optimizer = network.optimizer.snapshot() if network.optimizer else None
    return layers, optimizer, network.masks, list(network.running)


def _replay(spec: Spec, state: tuple, inputs: Array, targets: Array, number: int) -> StepTrace:
    """Trace the last update again from the parameters it started from."""
    (snapshot, optimizer, masks, running), batch = state
    network = training_network(spec)
    network.masks = masks  # the masks the update was made with
    network.running = running
    for layer, velocity, (weights, bias, saved) in zip(
        network.layers, network.velocity, snapshot, strict=True
    ):
        layer.weights[...], layer.bias[...] = weights, bias  # in place: the network's views
        for now, then in zip(velocity, saved, strict=True):
            now[...] = then
    if network.optimizer is not None:
        network.optimizer.restore(optimizer)
    return _traced_update(network, inputs, targets, batch, number)
