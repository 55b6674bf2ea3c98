"""The resolved spec: every unit and parameter named, every number in place, frozen.

This is what `load_spec` returns and what the engine builds a network from. The file's own
format (several ways to write a layer) is gone by here: one shape fits every spec.
"""

from __future__ import annotations

from dataclasses import dataclass

from .numbers import NumberFormat


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
    examples: tuple[tuple[tuple[float, ...], tuple[float, ...]], ...] = ()  # training set
    training: TrainingSpec = TrainingSpec()
    init: str | None = None  # how left-out weights were drawn, when any were
    update: str = "simultaneous"  # or layer_by_layer: hidden deltas see updated weights above
    tests: tuple[tuple[tuple[float, ...], tuple[float, ...]], ...] = ()  # predicted after steps
    bias_sign: int = 1  # -1: the spec's biases are thresholds, net = Σ w x - b (layered notes)

    @property
    def output_names(self) -> tuple[str, ...]:
        return self.layers[-1].units
