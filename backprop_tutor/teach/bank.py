"""A question bank: N versions of one exercise, each with its own numbers, for a course's
learning management system.

Each version is `new`'s exercise drawn from its own seed (the bank's seed and its number), or a
given spec with its numbers drawn again in their own ranges (redraw.py), with the same checks
against dead or saturated units; a draw whose given numbers another version
already has is passed over, so no two neighbours share their numbers. For every quantity the
answer is the engine's, the tolerance one unit in the last required digit (quiz.py's), and the
wrong answers a named mistake gives (check's mal-rules, teach/mistakes.py) are listed with
their names, for the formats that give them feedback. Writers are render/bank_out.py's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from backprop_tutor.core.rules import Rule
from backprop_tutor.core.trace import Trace
from backprop_tutor.core.trace_rules import trace_rules
from backprop_tutor.record import run
from backprop_tutor.spec.model import Spec
from backprop_tutor.spec.yaml_source import YamlSource
from backprop_tutor.teach.exercise import ExerciseSettings, generate
from backprop_tutor.teach.mistakes import mistaken_rules
from backprop_tutor.teach.quiz import tolerance
from backprop_tutor.teach.redraw import redraw

Draw = Callable[[int], tuple[str, Spec]]  # a version's seed -> its spec's text and Spec
MAX_VERSIONS = 500  # a bank past this is a mistake on the command line, not a course's need
SEED_STRIDE = 100_003  # version k of seed S draws from S·stride + k: distinct across seeds


@dataclass(frozen=True)
class Version:
    """One version: its number (1, 2, ...), the seed that regenerates it, its spec's text, the
    spec and its worked trace."""

    number: int
    seed: int
    text: str
    spec: Spec
    trace: Trace


@dataclass(frozen=True)
class Bank:
    title: str
    seed: int
    digits: int  # the answers' decimals
    versions: tuple[Version, ...]

    @property
    def tolerance(self) -> float:
        """Quiz's: one unit of the last digit, and a hair for the float's rounding."""
        return tolerance(self.digits)

    @property
    def unit(self) -> float:
        """One unit of the last digit, as a file states its tolerance: 0.0001."""
        return 10.0**-self.digits


def make_bank(draw: Draw, count: int, seed: int, title: str) -> Bank:
    """`count` versions, version k from `draw(seed · stride + k)` (the spec's text and Spec),
    none with another's given numbers; ValueError (naming the option) where the draws give
    too few, or too many are asked."""
    if not 1 <= count <= MAX_VERSIONS:
        raise ValueError(f"--versions {count}: give 1 to {MAX_VERSIONS}")
    found: list[Version] = []
    seen: set[tuple[float, ...]] = set()
    k = 0
    while len(found) < count:
        k += 1
        if k > 20 * count + 100:
            raise ValueError(
                f"only {len(found)} versions with numbers of their own in {k - 1} draws; "
                "use --digits 2 or a bigger network for more distinct numbers"
            )
        version_seed = seed * SEED_STRIDE + k
        text, spec = draw(version_seed)
        numbers = given_numbers(spec)
        if numbers in seen:
            continue
        seen.add(numbers)
        found.append(Version(len(found) + 1, version_seed, text, spec, run(spec)))
    digits = found[0].spec.display.digits
    return Bank(title, seed, digits, tuple(found))


def from_shape(settings: ExerciseSettings, title: str, on_progress=None) -> Draw:
    """Versions of `new`'s exercise for these settings (`on_progress`: generate's)."""
    return lambda seed: generate(replace(settings, seed=seed), title, on_progress)


def from_spec(source: YamlSource, digits: int | None = None, on_progress=None) -> Draw:
    """Versions of a given spec, its numbers drawn again in its own ranges (redraw.py), to
    `digits` decimals (None: as many as the file writes)."""
    return lambda seed: redraw(source, seed, on_progress, digits)


def given_numbers(spec: Spec) -> tuple[float, ...]:
    """What a student is given, in the file's order: inputs, targets (every example's, for a
    batch-normalized step), weights and biases (and γ, β, held with them)."""
    weights = [v for layer in spec.layers for row in layer.weights for v in row]
    biases = [v for layer in spec.layers for v in layer.bias_values]
    examples = (*spec.examples.inputs.ravel().tolist(), *spec.examples.targets.ravel().tolist())
    return (*spec.inputs, *spec.targets, *(examples if spec.normalized else ()), *weights, *biases)


def mal_answers(trace: Trace, unit: float) -> dict[str, list[tuple[str, float]]]:
    """For each id, the answers its named mistakes give (each further than two `unit`s from
    the right one and from each other): (the mistake's name, the value)."""
    values, rules = trace.values(), trace_rules(trace)
    found: dict[str, list[tuple[str, float]]] = {}
    for key, options in rules.items():
        if key not in values:
            continue
        kind = key.partition("[")[0]
        wrong: list[tuple[str, float]] = []
        for name, rule in _mistakes(kind, options[0], values, rules):
            value = rule.apply([values[k] for k in rule.inputs])
            close = any(abs(value - v) <= 2 * unit for v in (values[key], *(w for _, w in wrong)))
            if math.isfinite(value) and not close:
                wrong.append((name, value))
        if wrong:
            found[key] = wrong
    return found


def _mistakes(kind: str, rule: Rule, values: dict[str, float], rules: dict[str, list[Rule]]):
    """The rule's named mistakes whose inputs are all numbers of the trace."""
    return (
        (name, r)
        for name, r in mistaken_rules(kind, rule, rules=rules)
        if r.inputs and all(k in values for k in r.inputs)
    )
