"""How big a worked example will be, counted from the spec before anything is computed.

A lecture's network has a handful of paths and a few dozen table rows; a 784-256-10 network has
two million paths and hundreds of thousands of rows. The recorder lists paths one by one only up
to PATH_LIMIT (beyond it every gradient is shown in the delta form, which carries the same
number), and `run` prints at most ROW_LIMIT table rows before it asks for --force. Every bundled
lecture example stays inside both bounds (tested).
"""

from __future__ import annotations

from dataclasses import dataclass

from backprop_tutor.core.activations import ACTIVATIONS
from backprop_tutor.core.errors import TrainingError
from backprop_tutor.core.optimizers import OPTIMIZERS, is_classic
from backprop_tutor.core.regularizers import worked
from backprop_tutor.spec.model import Spec

PATH_LIMIT = 1_000  # hidden-parameter paths listed one by one
ROW_LIMIT = 2_000  # table rows `run` prints to the terminal without --force
SYMBOLIC_LIMIT = 300  # parameters `run --symbolic` derives without --only or --force
DRAW_LIMIT = 300  # parameters `draw` labels without --force (784-64-10 took 5 minutes, 1.6 GB)
# Hard limits, checked while the spec is read, before any name or weight is made: every unit and
# parameter gets a Python name, so `units: 10**400` must stop at the count, not in memory.
MAX_UNITS = 100_000  # units in one layer
# weights and biases in the whole network (784-256-10 has 203,530): each costs about 280 bytes
# while the spec is resolved (its name, its Python float), so 1,000,000 keeps every command of
# an accepted spec near 300 MB, under the 500 MB a fuzz case may take
MAX_PARAMETERS = 1_000_000
# A trace keeps every recorded number as a Python float inside an event: BYTES_PER_NUMBER each
# (tracemalloc after engine.run: 73-77 B from 2-2-2 to 784-256-10). What commands make of it
# costs more, at peak RSS over a 48 MB start, per number: `run --force` or -o as text or HTML
# ~630 B, JSON ~950 B, SVG ~1.4 KB, markdown and LaTeX ~170 B, `check` with wrong claims ~330 B.
# At TRACE_LIMIT the worst (SVG) stays near 330 MB, under the 500 MB any case may use; the
# bundled examples hold at most 7,683 numbers.
TRACE_LIMIT = 200_000  # numbers in one trace (70-70-70 holds 119,911 a step; 100-100-100 243,301)
BYTES_PER_NUMBER = 80
WORK_FACTOR = 20  # up to: a command's peak memory over the trace's own (SVG ~17)


def path_count(spec: Spec) -> int:
    """Paths the recorder would list: one per hidden parameter and unit of the next layer it
    reaches (a softmax layer has none: its units mix, so no path is a single product)."""
    count = 0
    for i, layer in enumerate(spec.layers[:-1]):
        if ACTIVATIONS[layer.activation].jacobian is not None:
            continue
        params = sum(map(len, layer.weight_names)) + len(layer.bias_names)
        count += params * len(spec.layers[i + 1].units)
    return count


def lists_paths(spec: Spec) -> bool:
    """Whether the recorder lists each hidden parameter's paths (else the delta form alone)."""
    return path_count(spec) <= PATH_LIMIT


def parameter_count(spec: Spec) -> int:
    return sum(sum(map(len, ls.weight_names)) + len(ls.bias_names) for ls in spec.layers)


def step_numbers(spec: Spec) -> int:
    """Numbers the recorder keeps for one traced example, event by event (record.py): what a
    trace costs grows with these, not with the table rows."""
    layers = spec.layers
    count = len(spec.input_names) + 3 * len(spec.output_names) + 1  # inputs, losses, total
    listed = lists_paths(spec)
    for i, ls in enumerate(layers):
        units, weights, biases = len(ls.units), sum(map(len, ls.weight_names)), len(ls.bias_names)
        mixes = ACTIVATIONS[ls.activation].jacobian is not None
        own = 1 if mixes else 2  # a unit's dE/dnet: delta alone, or dE/dout and dout/dnet
        count += 2 * weights + 3 * units  # forward: each term's two numbers; bias, net, out
        count += 3 * units + (units * units if mixes else 0)  # deltas; softmax's Jacobian
        # gradients: the factors, dnet/dparam and the value; a bias shared by the layer has
        # instead one path through each unit it feeds, and paths of its own nowhere else
        own_paths = weights + (0 if ls.shared_bias else biases)
        count += (own + 2) * own_paths + ((own + 2) * units + 1 if ls.shared_bias else 0)
        count += 5 * (weights + biases)  # updates: old, gradient, new, momentum, change
        count += _worked(spec) * (weights + (biases if spec.update_biases else 0))
        if i + 1 < len(layers):
            above = layers[i + 1]
            # each downstream weight and delta, and their product w × δ
            count += 3 * sum(map(len, above.weight_names))
            if listed and not mixes:  # a path: the factors through one unit above, its value
                last = i + 2 == len(layers) and ACTIVATIONS[above.activation].jacobian is None
                count += (6 if last else 5) * own_paths * len(above.units)
    return count


def _worked(spec: Spec) -> int:
    """Numbers an update records per parameter it moves past old, gradient and new: an
    optimizer's state before it and each quantity it works out (Adam: m, v before; m, v, m̂,
    v̂, Δ), a penalty's decay and g; momentum's Δ, which has an id of its own."""
    o = spec.optimizer
    if is_classic(o.name, o.regularizer):
        return 1 if spec.training.momentum else 0
    return len(OPTIMIZERS[o.name].state) + len(worked(o.name, o.regularizer))


def trace_numbers(spec: Spec, steps: int | None = None) -> int:
    """Numbers a full trace keeps: every step (the spec's, or `steps`), then the predictions
    (the tests, and the example again after the last update)."""
    tests = (len(spec.tests) + 1) * (len(spec.input_names) + 2 * len(spec.output_names) + 1)
    return run_step_numbers(spec) * (spec.steps if steps is None else steps) + tests


def run_step_numbers(spec: Spec) -> int:
    """Numbers one step of `run` keeps: one example's, or with batch normalization each
    example of the batch (its update counted with each: an estimate from above)."""
    return step_numbers(spec) * (len(spec.examples) if spec.normalized else 1)


def megabytes(numbers: int) -> int:
    """A trace's own memory for so many numbers, in MB (at least 1)."""
    return max(1, round(numbers * BYTES_PER_NUMBER / 1e6))


class TraceTooLarge(TrainingError):
    """A trace past TRACE_LIMIT: refused before a number is computed. A TrainingError, so
    every command already reports it in one line, and `check` skips a variant run too big."""


def refuse_large_trace(spec: Spec) -> None:
    """Raise TraceTooLarge, with the figures and the way out, when the spec's full trace would
    hold more than TRACE_LIMIT numbers (200-200-200 with steps: 1000 holds 966,601,000)."""
    total = trace_numbers(spec)
    if total <= TRACE_LIMIT:
        return
    per_step = run_step_numbers(spec)
    fewer = (TRACE_LIMIT - (total - per_step * spec.steps)) // per_step  # steps that would fit
    if spec.steps == 1 or fewer < 1:
        fix = "use a smaller network" + (
            f" (one step records {per_step:,})" if spec.steps > 1 else ""
        )
    else:
        fix = f"use steps: {fewer}" + (" or fewer" if fewer > 1 else "") + " or a smaller network"
    steps = f"{spec.steps:,} steps" if spec.steps > 1 else "one step"
    raise TraceTooLarge(
        spec.file,
        f"{steps} of this network would record {total:,} numbers (a trace of about "
        f"{megabytes(total):,} MB; printing or checking it takes up to ~{WORK_FACTOR} times "
        f"that), more than the {TRACE_LIMIT:,} a worked example may hold",
        f"{fix}, or plain `run` (no -o, --force or --format) for a summary",
    )


@dataclass(frozen=True)
class Size:
    """A worked example's size: parameters, paths, the table rows `run` would print, and the
    numbers its trace would hold."""

    parameters: int
    paths: int
    rows: int
    numbers: int = 0

    @property
    def paths_listed(self) -> bool:
        return self.paths <= PATH_LIMIT

    @property
    def fits(self) -> bool:
        return self.rows <= ROW_LIMIT

    @property
    def traceable(self) -> bool:
        """Whether the full trace may be built at all (--force, --only, --output)."""
        return self.numbers <= TRACE_LIMIT


def size(spec: Spec) -> Size:
    """Rows per step: the forward pass and the deltas (one per unit), a gradient and an update
    per parameter, and the listed paths; times the steps."""
    units = sum(len(ls.units) for ls in spec.layers)
    parameters, paths = parameter_count(spec), path_count(spec)
    per_step = 2 * units + 2 * parameters + (paths if paths <= PATH_LIMIT else 0)
    return Size(parameters, paths, per_step * spec.steps, trace_numbers(spec))
