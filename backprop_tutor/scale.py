"""How big a worked example will be, counted from the spec before anything is computed.

A lecture's network has a handful of paths and a few dozen table rows; a 784-256-10 network has
two million paths and hundreds of thousands of rows. The recorder lists paths one by one only up
to PATH_LIMIT (beyond it every gradient is shown in the delta form, which carries the same
number), and `run` prints at most ROW_LIMIT table rows before it asks for --force. Every bundled
lecture example stays inside both bounds (tested).
"""

from __future__ import annotations

from dataclasses import dataclass

from .activations import ACTIVATIONS
from .network_spec import Spec

PATH_LIMIT = 1_000  # hidden-parameter paths listed one by one
ROW_LIMIT = 2_000  # table rows `run` prints to the terminal without --force
SYMBOLIC_LIMIT = 300  # parameters `run --symbolic` derives without --only or --force
DRAW_LIMIT = 300  # parameters `draw` labels without --force (784-64-10 took 5 minutes, 1.6 GB)
# Hard limits, checked while the spec is read, before any name or weight is made: every unit and
# parameter gets a Python name, so `units: 10**400` must stop at the count, not in memory.
MAX_UNITS = 100_000  # units in one layer
MAX_PARAMETERS = 2_000_000  # weights and biases in the whole network (784-256-10 has 203,530)


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


@dataclass(frozen=True)
class Size:
    """A worked example's size: parameters, paths, and the table rows `run` would print."""

    parameters: int
    paths: int
    rows: int

    @property
    def paths_listed(self) -> bool:
        return self.paths <= PATH_LIMIT

    @property
    def fits(self) -> bool:
        return self.rows <= ROW_LIMIT


def size(spec: Spec) -> Size:
    """Rows per step: the forward pass and the deltas (one per unit), a gradient and an update
    per parameter, and the listed paths; times the steps."""
    units = sum(len(ls.units) for ls in spec.layers)
    parameters, paths = parameter_count(spec), path_count(spec)
    per_step = 2 * units + 2 * parameters + (paths if paths <= PATH_LIMIT else 0)
    return Size(parameters, paths, per_step * spec.steps)
