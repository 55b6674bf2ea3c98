"""Drawing the weights a spec leaves out: uniform (Mitchell's [-0.05, 0.05]), Xavier or He.

Always from a seed, with the standard library's generator, so the same file gives the same
network on every machine and the resolved Spec holds every starting value.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Literal

Method = Literal["uniform", "xavier", "he"]


@dataclass
class Initializer:
    """One generator for the whole network, drawn layer by layer, unit by unit, in order."""

    method: Method = "uniform"
    low: float = -0.05
    high: float = 0.05
    seed: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def weights(self, units: int, fan_in: int) -> list[list[float]]:
        """One row per unit: uniform in [low, high]; Xavier uniform; or He normal."""
        if self.method == "he":
            scale = math.sqrt(2.0 / fan_in)
            return [[self.rng.gauss(0.0, scale) for _ in range(fan_in)] for _ in range(units)]
        if self.method == "xavier":
            limit = math.sqrt(6.0 / (fan_in + units))
            low, high = -limit, limit
        else:
            low, high = self.low, self.high
        # random.uniform(a, b) is a + (b − a) · random(), written out: the same numbers, without
        # a method call for each of an MNIST layer's 200,000 weights
        draw, span = self.rng.random, high - low
        return [[low + span * draw() for _ in range(fan_in)] for _ in range(units)]

    def biases(self, units: int) -> list[float]:
        """Per-unit biases: drawn like the weights for uniform, zero for Xavier and He."""
        if self.method == "uniform":
            return [self.rng.uniform(self.low, self.high) for _ in range(units)]
        return [0.0] * units

    def describe(self) -> str:
        if self.method == "uniform":
            return f"uniform in [{self.low}, {self.high}], seed {self.seed}"
        return f"{self.method}, seed {self.seed}"
