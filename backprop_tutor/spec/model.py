"""The resolved spec: every unit and parameter named, every number in place, frozen.

This is what `load_spec` returns and what the engine builds a network from. The file's own
format (several ways to write a layer) is gone by here: one shape fits every spec.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from backprop_tutor.core.numbers import NumberFormat
from backprop_tutor.core.optimizers import is_classic

Example = tuple[tuple[float, ...], tuple[float, ...]]


class Examples(Sequence[Example]):
    """The training examples as two read-only float64 arrays, one row per example.

    A CSV of ten million rows held as tuples of Python floats took 580 bytes a row; as arrays
    it takes 8 bytes a number, and training reads them without a conversion. Indexing still
    gives (inputs, targets) as tuples of Python floats, as the trace's events keep them.
    """

    __slots__ = ("inputs", "targets")

    def __init__(self, inputs, targets) -> None:
        self.inputs = _rows(inputs)
        self.targets = _rows(targets, len(self.inputs))

    @classmethod
    def of(cls, examples: Sequence[Example]) -> Examples:
        """From (inputs, targets) pairs, as a spec file lists them."""
        if isinstance(examples, Examples):
            return examples
        return cls([x for x, _ in examples], [t for _, t in examples])

    def __len__(self) -> int:
        return len(self.inputs)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return Examples(self.inputs[index], self.targets[index])
        return tuple(self.inputs[index].tolist()), tuple(self.targets[index].tolist())

    def __iter__(self) -> Iterator[Example]:
        for x, t in zip(self.inputs.tolist(), self.targets.tolist(), strict=True):
            yield tuple(x), tuple(t)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        other = Examples.of(other)  # type: ignore[arg-type]
        return np.array_equal(self.inputs, other.inputs) and np.array_equal(
            self.targets, other.targets
        )

    def __hash__(self) -> int:
        return hash((self.inputs.shape, self.inputs.tobytes(), self.targets.tobytes()))

    def __repr__(self) -> str:
        return f"Examples({len(self)} of {self.inputs.shape[1]} inputs, {self.targets.shape[1]})"


def _rows(values, count: int | None = None) -> np.ndarray:
    """Read-only rows; an array that is already float64 and contiguous is taken, not copied
    (the CSV reader hands its own, so a data set is in memory once)."""
    array = np.ascontiguousarray(values, dtype=float)
    if array.size == 0:
        array = array.reshape(count or 0, 0)
    elif array.ndim != 2:
        array = array.reshape(count if count is not None else len(array), -1)
    array.flags.writeable = False
    return array


NO_EXAMPLES = Examples((), ())


@dataclass(frozen=True)
class DropoutSpec:
    """Inverted dropout on a hidden layer: a kept unit's output is scaled by 1/(1 − rate), a
    dropped one's is 0. `masks`: the file's, a row per step (one row: every step); none: each
    step (and each training update) draws its own from `seed`."""

    rate: float
    masks: tuple[tuple[int, ...], ...] = ()
    seed: int = 0

    def mask(self, step: int) -> tuple[int, ...] | None:
        """The file's mask for step `step` (1, 2, ...), or None: drawn."""
        if not self.masks:
            return None
        return self.masks[
            min(step, len(self.masks)) - 1
        ]  # past the rows (gradcheck's 3 updates of a 2-step spec): the last


@dataclass(frozen=True)
class BatchNormSpec:
    """Batch normalization of a hidden layer's net inputs over the batch, before its
    activation: x̂ = (net − μ)/√(σ² + ε), y = γ·x̂ + β, out = φ(y). γ and β are parameters of
    each unit, held where a layer's biases are (the layer has none: β takes their place),
    `gammas` first, then `betas`. The test pass normalizes with running statistics instead."""

    epsilon: float
    gammas: tuple[str, ...]
    betas: tuple[str, ...]
    # the running statistics the test pass normalizes with, as PyTorch keeps them: from μ = 0
    # and σ² = 1, each batch moves them by `momentum` toward its μ and unbiased σ²
    momentum: float = 0.1


@dataclass(frozen=True)
class LayerSpec:
    """One resolved layer. `weights[u][s]` is the weight from source s into unit u."""

    units: tuple[str, ...]
    activation: str
    weight_names: tuple[tuple[str, ...], ...]
    weights: tuple[tuple[float, ...], ...]
    bias_names: tuple[
        str, ...
    ]  # the layer's distinct bias parameters: none, one shared, or one per unit
    bias_values: tuple[float, ...]
    bias_of_unit: tuple[int, ...]  # index into bias_names for each unit; empty when no bias
    param_order: tuple[str, ...]  # the order a lecture works through the parameters
    alpha: float | None = None  # leaky_relu's slope below zero, when given
    dropout: DropoutSpec | None = None
    batch_norm: BatchNormSpec | None = None

    @property
    def shared_bias(self) -> bool:
        return len(self.bias_names) == 1 and len(self.units) > 1


@dataclass(frozen=True)
class TrainingSpec:
    """How `train` runs; see the README's training section."""

    batch: str = "stochastic"  # stochastic | mini | full
    batch_size: int = 1  # examples per update (all of them for full)
    shuffle: bool = True
    seed: int = 0
    reduction: str = "mean"  # sum | mean over a batch
    momentum: float = 0.0
    epochs: int | None = None
    max_epochs: int = 10_000
    loss_threshold: float | None = None
    gradient_threshold: float | None = None
    report_every: int | None = None
    dtype: str = "float64"  # training's arithmetic; the worked example is always float64

    def shuffled(self, examples: int) -> bool:
        """Whether each epoch takes the examples in a new order: not when one batch holds
        them all, where the order changes nothing but the rounding of the batch's sums."""
        return self.shuffle and self.batch_size < examples


@dataclass(frozen=True)
class OptimizerSpec:
    """Which optimizer updates the parameters (core/optimizers.py), with every hyperparameter
    it takes, the file's or the entry's default."""

    name: str = "sgd"
    settings: tuple[tuple[str, float], ...] = ()
    regularizer: str | None = None  # core/regularizers.py: a penalty added to the error
    strength: float = 0.0  # its λ
    decay_biases: bool = False  # whether the penalty (or AdamW's decay) reaches the biases

    @property
    def hyper(self) -> dict[str, float]:
        return dict(self.settings)

    @property
    def classic(self) -> bool:
        """The engine's own gradient descent (with Mitchell's momentum), tabled as a lecture
        does; any other update is worked quantity by quantity."""
        return is_classic(self.name, self.regularizer)


@dataclass(frozen=True)
class Spec:
    """Everything the engine and the renderers need, with every name resolved."""

    file: str
    title: str | None
    source: str | None
    notation: str
    input_names: tuple[str, ...]
    inputs: tuple[float, ...]
    targets: tuple[float, ...]  # one per output unit, in unit order
    layers: tuple[LayerSpec, ...]
    loss: str
    learning_rate: float
    update_biases: bool
    steps: int
    display: NumberFormat
    carry_digits: int | None
    examples: Examples = NO_EXAMPLES  # the training set (a tuple of pairs is converted)
    training: TrainingSpec = TrainingSpec()
    init: str | None = None  # how left-out weights were drawn, when any were
    update: str = "simultaneous"  # or layer_by_layer: hidden deltas see updated weights above
    tests: tuple[tuple[tuple[float, ...], tuple[float, ...]], ...] = ()  # predicted after steps
    bias_sign: int = 1  # -1: the spec's biases are thresholds, net = Σ w x - b (layered notes)
    optimizer: OptimizerSpec = OptimizerSpec()  # Mitchell's momentum: training.momentum too
    data_file: str | None = None  # the CSV `data: csv:` names, where the examples came from

    def __post_init__(self) -> None:
        if not isinstance(self.examples, Examples):
            object.__setattr__(self, "examples", Examples.of(self.examples))

    @property
    def dropout_rates(self) -> dict[str, float]:
        """Each hidden unit with dropout, its layer's rate."""
        return {u: ls.dropout.rate for ls in self.layers if ls.dropout for u in ls.units}

    @property
    def normalized(self) -> bool:
        """Whether a layer is batch-normalized: its steps and updates are on batches."""
        return any(ls.batch_norm for ls in self.layers)

    def first_pass(self) -> tuple[np.ndarray, np.ndarray]:
        """The inputs and targets of step 1's pass: the spec's example, or with batch
        normalization every example as a column (`run`'s batch, whose loss and gradients are
        the batch's sums)."""
        if self.normalized:
            return np.array(self.examples.inputs.T), np.array(self.examples.targets.T)
        return np.array(self.inputs), np.array(self.targets)

    @property
    def output_names(self) -> tuple[str, ...]:
        return self.layers[-1].units
