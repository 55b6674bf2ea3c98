"""Drawing the weights a spec leaves out: uniform (Mitchell's [-0.05, 0.05]), Xavier or He.

`init:` is checked here (`initializer`): uniform's range, and no range where the method draws
its own. Always from a seed, with the standard library's generator, so the same file gives the same
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

from backprop_tutor.spec.schema import InitFile
from backprop_tutor.spec.yaml_source import YamlSource

Method = Literal["uniform", "xavier", "he"]
# draws from which numpy's stream is the faster: handing the generator's 625-word state over
# and back costs about 0.2 ms, as much as 3,000 draws in Python (a bank's search of a file with
# `init:` resolves it for each of up to 10,000 draws: 4 of Mitchell's 8-3-8's 12 s were that)
NUMPY_FROM = 2_000


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
        and hands its state back, and the draws after these are the ones Python would make.
        Fewer than NUMPY_FROM are Python's own draws, one by one."""
        if count < NUMPY_FROM:
            return np.array([self.rng.random() for _ in range(count)])
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


# what each method draws from, said where a range is given that it would not use
OWN_RANGE = {
    "xavier": "xavier draws from ±√(6/(fan_in + fan_out))",
    "he": "he draws from a normal of standard deviation √(2/fan_in)",
}
RANGE_FIX = "give a range such as low: -0.05, high: 0.05"


def initializer(source: YamlSource, init: InitFile) -> Initializer:
    """The file's `init:` as an Initializer, or one SpecError at the key that is wrong.

    low and high are uniform's range. Given with xavier or he they would be ignored, and the
    user, who wrote them to be used, would get weights from a range never written; so they are
    refused as keys the method does not take (as an optimizer's setting it does not have),
    not checked as a range no draw uses."""
    given = [key for key in ("low", "high") if key in init.model_fields_set]
    if init.method != "uniform" and given:
        raise source.error(
            ("init", given[0]),
            f"method {init.method} takes no {given[0]}: {OWN_RANGE[init.method]}",
            f"remove {' and '.join(given)}, or use method: uniform to draw from your range",
        )
    if init.low >= init.high:
        raise source.error(
            ("init", "low"), f"low {init.low} is not below high {init.high}", RANGE_FIX
        )
    if init.method == "uniform" and not math.isfinite(init.high - init.low):  # draws inf, NaN
        raise source.error(
            ("init", "high"),
            f"the range from {init.low:g} to {init.high:g} is wider than a number can be",
            RANGE_FIX,
        )
    return Initializer(init.method, init.low, init.high, init.seed)
