"""`backprop-tutor new`: a fresh exercise from a seed, with "nice" numbers, that is worth doing.

A draw is refused when it would teach nothing or mislead: a ReLU unit that is dead on the
example, a sigmoid or tanh unit saturated (output within 0.05 of its bounds), or a gradient so
small it vanishes at the display precision. The same seed always gives the same exercise.

Some settings almost never give such a draw (relu in every unit of 8-8-8: each of 16 units must
be alive, about 1 draw in 65,000). The search is bounded by MAX_DRAWS, and each draw is judged
from the engine's arrays on a spec made by putting the draw's numbers into the first draw's
parsed spec (no YAML, no recording: ~1 ms where parsing and tracing took ~50 ms), so the bound
is reached in seconds; a caller may report progress meanwhile. Options that cannot make a valid
spec are refused before any draw, naming the option.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import yaml

from backprop_tutor.core.activations import ACTIVATIONS
from backprop_tutor.core.errors import SpecError
from backprop_tutor.core.losses import LOSSES
from backprop_tutor.core.notation import NOTATIONS
from backprop_tutor.core.optimizers import OPTIMIZERS
from backprop_tutor.engine import Network
from backprop_tutor.spec import spec_from_text
from backprop_tutor.spec.model import Spec

MAX_DRAWS = 10_000  # the old bound of 2,000 drew the same numbers: each seed's exercise stands
REPORT_EVERY = 500  # draws between two calls of a progress callback
SATURATED = 0.05
MARGIN = 1e-9  # past a bound by more than this, a draw is refused before the engine runs
DEAD, SATURATES, VANISHES, OVERFLOWS = (
    "a dead ReLU",
    "a saturated unit",
    "a vanishing gradient",
    "numbers past float64",
)


@dataclass(frozen=True)
class ExerciseSettings:
    shape: tuple[int, ...]  # inputs, hidden..., outputs
    activations: tuple[str, ...]  # one per layer after the inputs
    loss: str = "half_sse"
    learning_rate: float = 0.5
    seed: int = 0
    digits: int = 1  # decimals of the given numbers
    optimizer: str = "sgd"  # core/optimizers.py: its update, with PyTorch's defaults
    steps: int = 1  # updates worked in a row (an optimizer's state carried between them)
    notation: str = "generic"  # core/notation.py: the lecture whose names the spec is written in
    display_digits: int = 4  # the tables' decimals: at least `digits`, or a given is cut
    rounding: str = "round"  # or "truncate": how the tables cut a value to display_digits


@dataclass
class Search:
    """What a search has tried: how many draws, and why each was refused (`new`'s search of
    settings and `bank`'s redraws of a file count alike, and say so alike)."""

    draws: int = 0
    refused: Counter[str] = field(default_factory=Counter)

    def judged(self, problem: str | None, on_progress: Callable | None = None) -> bool:
        """Count a draw and its problem (None: it will do, and True is returned);
        `on_progress` hears of the search every REPORT_EVERY draws."""
        self.draws += 1
        if problem is None:
            return True
        self.refused[problem] += 1
        if on_progress is not None and self.draws % REPORT_EVERY == 0:
            on_progress(self)
        return False

    def why(self) -> str:
        """'9,000 had a dead unit, 1,000 had a vanishing gradient'."""
        return ", ".join(f"{n:,} had {reason}" for reason, n in self.refused.most_common())

    def commonest(self) -> str:
        return self.refused.most_common(1)[0][0]


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


def settings_from_options(
    shape: str,
    activations: str,
    loss: str,
    learning_rate: float,
    seed: int,
    digits: int,
    optimizer: str = "sgd",
    steps: int = 1,
) -> ExerciseSettings:
    """`new`'s and `bank`'s options as settings; ValueError naming the option and the fix."""
    try:
        sizes = parse_shape(shape)
    except ValueError as exc:
        raise ValueError(f"--shape {exc}") from None
    names = [a.strip() for a in activations.split(",")]
    names = names * (len(sizes) - 1) if len(names) == 1 else names
    if len(names) != len(sizes) - 1:
        raise ValueError(
            f"--activations: {len(names)} for {len(sizes) - 1} layers; give one or one per layer"
        )
    return ExerciseSettings(
        sizes, tuple(names), loss, learning_rate, seed, digits, optimizer, steps
    )


def check_settings(s: ExerciseSettings) -> None:
    """ValueError naming the option (--learning-rate, --activations, --loss, ...) and the fix, for
    settings no spec can be made of: the spec is this module's, never a file the user has."""
    from backprop_tutor.spec.data import closest

    if not math.isfinite(s.learning_rate) or s.learning_rate <= 0:
        raise ValueError(
            f"--learning-rate {s.learning_rate}: not a finite positive number; give one such as 0.5"
        )
    if s.optimizer not in OPTIMIZERS:
        raise ValueError(
            f"--optimizer: no optimizer '{s.optimizer}'; {closest(s.optimizer, OPTIMIZERS)}"
        )
    for name in s.activations:
        if name not in ACTIVATIONS:
            raise ValueError(f"--activations: no activation '{name}'; {closest(name, ACTIVATIONS)}")
    for units, name in zip(s.shape[1:], s.activations, strict=True):
        if units < ACTIVATIONS[name].min_units:
            raise ValueError(
                f"--activations {name}: it needs {ACTIVATIONS[name].min_units} units or more "
                "in its layer (over one unit softmax always outputs 1, so nothing can be "
                f"learned); give that layer more units in --shape, or use "
                f"{_alternative(saturates=True)} there"
            )
    if s.loss not in LOSSES:
        raise ValueError(f"--loss: no loss '{s.loss}'; {closest(s.loss, LOSSES)}")
    _check_written(s)
    loss = LOSSES[s.loss]
    if loss.output_activations and s.activations[-1] not in loss.output_activations:
        need = loss.output_activations[0]
        example = ",".join((*s.activations[:-1], need)) if len(s.activations) > 1 else need
        raise ValueError(
            f"--loss {s.loss} needs a {need} output layer, not {s.activations[-1]}: {loss.why}; "
            f"end --activations with {need} (--activations {example}), or use --loss half_sse"
        )


def _check_written(s: ExerciseSettings) -> None:
    """ValueError naming --notation or --display-digits and the fix: the spec's own check
    would name `notation:` in an exercise.yaml not yet written, and would take answers shown
    coarser than the numbers they come from (typer bounds the digits and the rounding)."""
    from backprop_tutor.spec.data import closest

    if s.notation not in NOTATIONS:
        raise ValueError(
            f"--notation: no notation '{s.notation}'; {closest(s.notation, NOTATIONS)}"
        )
    if s.display_digits < s.digits:
        raise ValueError(
            f"--display-digits {s.display_digits}: fewer decimals than the given numbers "
            f"(--digits {s.digits}), so the answers would be coarser than the numbers they come "
            f"from; give --display-digits {s.digits} or more, or fewer --digits"
        )


def generate(
    settings: ExerciseSettings,
    title: str,
    on_progress: Callable[[Search], None] | None = None,
) -> tuple[str, Spec]:
    """The spec's YAML text and the loaded Spec of the first acceptable draw; ValueError,
    naming the options to change, for settings that give none within MAX_DRAWS draws.
    `on_progress` hears of the search every REPORT_EVERY draws."""
    check_settings(settings)
    rng = random.Random(settings.seed)
    search = Search()
    template: Spec | None = None
    for _ in range(MAX_DRAWS):
        drawn = _draw(settings, rng, title)
        template = template or _parse(_text(drawn))
        problem = _clearly_refused(drawn) or _problem(_with_numbers(template, drawn))
        if search.judged(problem, on_progress):
            text = _text(drawn)
            return text, _parse(text)
    raise ValueError(_none_found(settings, search))


def _text(drawn: dict) -> str:
    return yaml.safe_dump(drawn, sort_keys=False, width=100)


def _parse(text: str) -> Spec:
    """The drawn spec, loaded as any file is; a problem check_settings did not foresee is
    still one line, about the options rather than a file the user does not have."""
    try:
        return spec_from_text(text, "exercise.yaml")
    except SpecError as error:
        where = f" ({error.place})" if error.place else ""
        raise ValueError(
            f"these options make an exercise that is not valid{where}: {error.problem}"
        ) from None


def _with_numbers(template: Spec, drawn: dict) -> Spec:
    """The template spec with a draw's numbers: the same Spec that parsing the draw's YAML
    gives (the shape, names and settings are the template's, and every draw shares them)."""
    layers = tuple(
        replace(
            ls,
            weights=tuple(tuple(row) for row in layer["weights"]),
            bias_values=tuple(layer["bias"]),
        )
        for ls, layer in zip(template.layers, drawn["layers"], strict=True)
    )
    return replace(
        template, inputs=tuple(drawn["inputs"]), targets=tuple(drawn["targets"]), layers=layers
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
    targets = _targets(s, rng)  # drawn before the inputs, as every earlier version did
    return {
        "title": title,
        "source": f"backprop-tutor new, seed {s.seed}",
        "notation": s.notation,
        "inputs": [_nice(rng, 0, 1, s.digits) or 0.5 for _ in range(s.shape[0])],
        "targets": targets,
        "layers": layers,
        "loss": s.loss,
        "learning_rate": s.learning_rate,
        **({"optimizer": s.optimizer} if s.optimizer != "sgd" else {}),
        **({"steps": s.steps} if s.steps > 1 else {}),
        # the search reads the display from the parsed draw: a gradient vanishes at these digits
        "display": {"digits": s.display_digits, "rounding": s.rounding},
    }


def _targets(s: ExerciseSettings, rng: random.Random) -> list[float]:
    """One-hot for classes; smoothed (0.1 off the class) where the loss takes log t; else
    nice numbers inside (0, 1)."""
    outputs = s.shape[-1]
    if LOSSES[s.loss].targets == "positive":  # symmetric cross-entropy: log t needs t > 0
        hot = rng.randrange(outputs)
        return [round(1 - 0.1 * (outputs - 1), 1) if k == hot else 0.1 for k in range(outputs)]
    if ACTIVATIONS[s.activations[-1]].distribution:  # softmax (cross-entropy needs it)
        hot = rng.randrange(outputs)
        return [1.0 if k == hot else 0.0 for k in range(outputs)]
    return [_nice(rng, 0.1, 0.9, s.digits) for _ in range(outputs)]


def _clearly_refused(drawn: dict) -> str | None:
    """A first look at the forward pass, straight from the draw's lists (most refused draws
    have a dead ReLU or a saturated unit in the first layer): only a unit past a bound by more
    than MARGIN is refused here, so the engine's own numbers decide everything near one."""
    out = np.array(drawn["inputs"], dtype=float)[:, None]
    for layer in drawn["layers"]:
        net = np.array(layer["weights"], dtype=float) @ out + np.array(layer["bias"])[:, None]
        entry = ACTIVATIONS[layer["activation"]]
        if entry.dead is not None and entry.dead(net + MARGIN).any():
            return DEAD
        with np.errstate(all="ignore"):
            out = entry.value(net)
        if entry.saturation is not None and (entry.saturation(out, SATURATED) > MARGIN).any():
            return SATURATES
    return None


def _problem(spec: Spec) -> str | None:
    """Why this draw is not worth doing, or None: read from the engine's arrays of the step
    (the numbers the trace would copy out), without recording it."""
    network = Network(spec)
    p = network.compute(*spec.first_pass())  # every example of a batch-normalized step
    for ls, net, out in zip(spec.layers, p.nets, p.outs[1:], strict=True):
        entry = ACTIVATIONS[ls.activation]
        # dead: on every example of the step (a batch-normalized unit is below 0 on some)
        if entry.dead is not None and entry.dead(net).all(axis=1).any():
            return DEAD
        if entry.saturation is not None and (entry.saturation(out, SATURATED) >= 0).any():
            return SATURATES
    gradients = [g for g in (*p.grad_w, *p.grad_b) if g.size]
    with np.errstate(all="ignore"):  # an absurd --learning-rate: a refused draw, no warning
        steps = [spec.learning_rate * g for g in gradients]
    if not all(np.isfinite(a).all() for a in (*p.nets, *p.outs, *gradients, *steps)):
        return OVERFLOWS
    tiny = 10.0**-spec.display.digits
    moved = [*p.grad_w, *(g for ls, g in zip(spec.layers, p.grad_b, strict=True) if _moves(ls))]
    if any((np.abs(g) < tiny).any() for g in moved if g.size):
        return VANISHES
    return None


def _moves(layer) -> bool:
    """Whether a layer's bias can change its outputs: one bias shared over a distribution's
    units cannot (softmax(net + b) = softmax(net)), so its gradient is 0 in every draw, by
    construction; a search that waited for it to grow would never end."""
    return not (layer.shared_bias and ACTIVATIONS[layer.activation].distribution)


def _none_found(s: ExerciseSettings, search: Search) -> str:
    """What was tried, why it failed, and the options to change."""
    shape = "-".join(map(str, s.shape))
    return (
        f"no exercise worth doing in {search.draws:,} draws of a {shape} network with "
        f"--activations {','.join(s.activations)} from seed {s.seed} ({search.why()}); "
        f"{_advice(s, search.commonest())}, or try another --seed"
    )


def _alternative(*, saturates: bool) -> str:
    """An activation whose units cannot die, from the registry: the first that saturates
    (sigmoid), or the first that neither dies nor saturates (leaky ReLU)."""
    return next(
        name
        for name, a in ACTIVATIONS.items()
        if a.elementwise and a.dead is None and (a.saturation is not None) == saturates
    )


def _advice(s: ExerciseSettings, reason: str) -> str:
    """The options most likely to help, for the commonest reason a draw was refused."""
    if reason == DEAD:  # every unit that can die must be alive: keep the first such layer only
        dying = [k for k, a in enumerate(s.activations) if ACTIVATIONS[a].dead is not None]
        name = s.activations[dying[0]]
        kept = [
            a if k <= dying[0] or k not in dying else _alternative(saturates=True)
            for k, a in enumerate(s.activations)
        ]
        if kept != list(s.activations):
            listed = ",".join(kept)
            return f"use {name} in one layer (--activations {listed}) or a smaller --shape"
        other = _alternative(saturates=False)
        return f"use a smaller --shape (fewer {name} units) or --activations {other}"
    if reason == OVERFLOWS:
        return "use a smaller --learning-rate"
    if reason == VANISHES and s.display_digits < ExerciseSettings.display_digits:  # new's option
        return (
            f"use more --display-digits (with {s.display_digits}, a gradient under "
            f"{10.0**-s.display_digits:g} counts as vanishing) or fewer or narrower layers "
            "(--shape)"
        )
    return "use fewer or narrower layers (--shape) or another --activations"
