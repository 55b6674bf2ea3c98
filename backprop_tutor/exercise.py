"""`backprop-tutor new`: a fresh exercise from a seed, with "nice" numbers, that is worth doing.

A draw is refused when it would teach nothing or mislead: a ReLU unit that is dead on the
example, a sigmoid or tanh unit saturated (output within 0.05 of its bounds), or a gradient so
small it vanishes at the display precision. The same seed always gives the same exercise.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

import yaml

from .engine import run
from .network_spec import Spec
from .spec import spec_from_text

MAX_DRAWS = 2000
SATURATED = 0.05


@dataclass(frozen=True)
class ExerciseSettings:
    shape: tuple[int, ...]  # inputs, hidden..., outputs
    activations: tuple[str, ...]  # one per layer after the inputs
    loss: str = "half_sse"
    learning_rate: float = 0.5
    seed: int = 0
    digits: int = 1  # decimals of the given numbers


def parse_shape(text: str) -> tuple[int, ...]:
    """'2-2-2' → (2, 2, 2); ValueError says what is wrong."""
    try:
        shape = tuple(int(part) for part in text.split("-"))
    except ValueError:
        raise ValueError(f"'{text}' is not a shape such as 2-2-2") from None
    if len(shape) < 2 or any(n < 1 or n > 8 for n in shape):
        raise ValueError(f"'{text}': give two to six layer sizes from 1 to 8, e.g. 2-2-2")
    if len(shape) > 6:
        raise ValueError(f"'{text}' has more than six layers; an exercise this deep is no fun")
    return shape


def generate(settings: ExerciseSettings, title: str) -> tuple[str, Spec]:
    """The spec's YAML text and the loaded Spec of the first acceptable draw."""
    rng = random.Random(settings.seed)
    for _ in range(MAX_DRAWS):
        text = yaml.safe_dump(_draw(settings, rng, title), sort_keys=False, width=100)
        spec = spec_from_text(text, "exercise.yaml")
        if not _problem(spec):
            return text, spec
    raise ValueError(
        f"no acceptable exercise in {MAX_DRAWS} draws for seed {settings.seed}: "
        "try another seed, activation or shape"
    )


def _nice(rng: random.Random, low: float, high: float, digits: int) -> float:
    scale = 10**digits
    return rng.randint(round(low * scale), round(high * scale)) / scale


def _draw(s: ExerciseSettings, rng: random.Random, title: str) -> dict:
    layers = []
    for (below, units), activation in zip(itertools.pairwise(s.shape), s.activations, strict=True):
        layers.append(
            {
                "units": units,
                "activation": activation,
                "bias": [_nice(rng, -0.5, 0.5, s.digits) for _ in range(units)],
                "weights": [
                    [_nice(rng, -1, 1, s.digits) or 0.1 for _ in range(below)] for _ in range(units)
                ],
            }
        )
    if s.activations[-1] == "softmax" or s.loss in ("cross_entropy",):
        hot = rng.randrange(s.shape[-1])
        targets = [1.0 if k == hot else 0.0 for k in range(s.shape[-1])]
    else:
        targets = [_nice(rng, 0.1, 0.9, s.digits) for _ in range(s.shape[-1])]
    return {
        "title": title,
        "source": f"backprop-tutor new, seed {s.seed}",
        "notation": "generic",
        "inputs": [_nice(rng, 0, 1, s.digits) or 0.5 for _ in range(s.shape[0])],
        "targets": targets,
        "layers": layers,
        "loss": s.loss,
        "learning_rate": s.learning_rate,
        "display": {"digits": 4, "rounding": "round"},
    }


def _problem(spec: Spec) -> str | None:
    """Why this draw is not worth doing, or None."""
    step = run(spec).steps[0]
    for ev in step.forward:
        if ev.activation == "relu" and ev.net <= 0:
            return f"{ev.unit} is a dead ReLU"
        if ev.activation == "sigmoid" and not SATURATED < ev.out < 1 - SATURATED:
            return f"{ev.unit} is saturated"
        if ev.activation == "tanh" and abs(ev.out) > 1 - 2 * SATURATED:
            return f"{ev.unit} is saturated"
    tiny = 10.0**-spec.display.digits
    for g in step.gradients:
        if abs(g.gradient) < tiny:
            return f"the gradient of {g.param} vanishes"
    return None
