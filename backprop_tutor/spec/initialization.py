"""Drawing the weights a spec leaves out: uniform (Mitchell's [-0.05, 0.05]), Xavier or He.

Always from a seed, with the standard library's generator, so the same file gives the same
network on every machine and the resolved Spec holds every starting value. A layer's uniform
draws come from numpy's MT19937 started at that generator's state and hand the state back: the
same algorithm, so the same numbers to the last bit, without a Python call per weight (an MNIST
layer has 200,000).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Literal

import numpy as np

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
        draws = self._random(units * fan_in).reshape(units, fan_in)
        return (low + (high - low) * draws).tolist()  # random.uniform's a + (b − a) · random()

    def _random(self, count: int) -> np.ndarray:
        """The next `count` values of `self.rng.random()`, drawn by numpy: both are MT19937
        with the same 53-bit doubles, so numpy continues the stream from the generator's state
        and hands its state back, and the draws after these are the ones Python would make."""
        version, words, gauss = self.rng.getstate()
        stream = np.random.RandomState()
        stream.set_state(("MT19937", np.array(words[:-1], dtype=np.uint32), words[-1]))
        draws = stream.random_sample(count)
        _, key, position, *_ = stream.get_state()
        self.rng.setstate((version, (*key.tolist(), position), gauss))
        return draws

    def biases(self, units: int) -> list[float]:
        """Per-unit biases: drawn like the weights for uniform, zero for Xavier and He."""
        if self.method == "uniform":
            return [self.rng.uniform(self.low, self.high) for _ in range(units)]
        return [0.0] * units

    def describe(self) -> str:
        if self.method == "uniform":
            return f"uniform in [{self.low}, {self.high}], seed {self.seed}"
        return f"{self.method}, seed {self.seed}"
