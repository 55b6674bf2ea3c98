"""A given spec's numbers drawn again, for another version of the same exercise: its inputs,
targets (its examples' too), weights and biases each drawn in the range the file's own span
(to as many decimals as the file writes them, or as `bank --digits` asks), every name, unit,
notation and setting kept; a draw with a dead or saturated unit, or a vanishing gradient, is
drawn again (`new`'s checks)."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable

import yaml

from backprop_tutor.spec.load import spec_from_source, spec_from_text
from backprop_tutor.spec.model import Spec
from backprop_tutor.spec.yaml_source import YamlSource
from backprop_tutor.teach.exercise import (
    DEAD,
    MAX_DRAWS,
    OVERFLOWS,
    SATURATES,
    VANISHES,
    Search,
    _problem,
)

Slot = tuple[object, object]  # (a list or dict of the file, the index or key of a number)


def redraw(
    source: YamlSource,
    seed: int,
    on_progress: Callable[[Search], None] | None = None,
    digits: int | None = None,
) -> tuple[str, Spec]:
    """The YAML text and Spec of the first acceptable draw from `seed`, its numbers to
    `digits` decimals (None: the file's own); ValueError when the file gives nothing to draw
    or no draw is acceptable, saying why the draws were refused and what in the file to
    change. `on_progress` hears of the search every REPORT_EVERY draws.

    Each draw is read as its data (spec_from_source), and only the one kept is written as
    YAML and parsed again: writing and parsing every draw's YAML took nine tenths of a
    search, 40 s and more for a file none of whose draws will do."""
    raw = copy.deepcopy(source.data)  # each draw writes its numbers here: reading it changes none
    groups = _given(raw)
    if not any(groups.values()):
        raise ValueError(
            f"{source.file}: no given numbers to draw again (inputs, targets, weights, biases)"
        )
    spans = {
        group: _span([_get(s) for s in slots], group, digits)
        for group, slots in groups.items()
        if slots
    }
    rng = random.Random(seed)
    search = Search()
    for _ in range(MAX_DRAWS):
        for group, (low, high, places) in spans.items():  # the file's groups, in order
            for container, key in groups[group]:
                container[key] = round(rng.uniform(low, high), places)  # type: ignore[index]
        spec = spec_from_source(YamlSource(source.file, raw, source.marks))
        if search.judged(_problem(spec), on_progress):
            text = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
            return text, spec_from_text(text, source.file)
    raise ValueError(
        f"{source.file}: no draw of its numbers in {MAX_DRAWS:,} is worth doing "
        f"({search.why()}); " + _ADVICE[search.commonest()].format(digits=spec.display.digits)
    )


def check_digits(spec: Spec, digits: int | None) -> None:
    """ValueError naming --digits and the fix, before any draw, where the givens would be
    drawn to more decimals than the display gives the answers: they would be coarser than the
    numbers they come from (`new` refuses --display-digits under --digits alike). --digits was
    ignored for a spec: Dawood at one display digit drew 10,000 times, then said to give it
    more display digits, which --digits does not set."""
    shown = spec.display.digits
    if digits is not None and digits > shown:
        raise ValueError(
            f"{spec.file}: --digits {digits} would draw its given numbers to more decimals "
            f"than its display: {{digits: {shown}}} gives the answers (coarser than the numbers "
            f"they come from); set display: {{digits: {digits}}} or more in the file, or give "
            f"--digits {shown}"
        )


# what in the file to change, for the commonest reason its draws were refused
_ADVICE = {
    DEAD: "widen the ranges of its weights and biases, or use an activation whose units cannot die",
    SATURATES: "narrow the range of its weights and inputs (the draws keep the file's own "
    "range), or use fewer units",
    OVERFLOWS: "lower its learning_rate, or narrow the range of its numbers",
    VANISHES: "give it more than its {digits} display digits (display: {{digits: N}} in the "
    "file; a gradient below the last digit shows as 0), or fewer layers",
}


def _get(slot: Slot) -> float:
    container, key = slot
    return container[key]  # type: ignore[index]


def _span(numbers: list[float], group: str, digits: int | None) -> tuple[float, float, int]:
    """The range to draw a group from, and its decimals: `digits`, or the file's own (one at
    least, four at most)."""
    places = max(1, *(len(repr(float(v)).partition(".")[2].rstrip("0")) for v in numbers))
    places = min(places, 4) if digits is None else digits
    low, high = min(numbers), max(numbers)
    if low == high:  # one value, or all alike: around it
        spread = max(abs(low), 1.0) / 2
        low, high = low - spread, high + spread
        if group == "targets":
            low, high = max(low, 0.0), min(high, 1.0)
    return low, high, places


def _given(raw: object) -> dict[str, list[Slot]]:
    """Where each given number sits in the file, by group."""
    found: dict[str, list[Slot]] = {"inputs": [], "targets": [], "weights": [], "biases": []}
    if not isinstance(raw, dict):
        return found
    for group in ("inputs", "targets"):
        found[group] += _numbers_in(raw.get(group))
        for example in raw.get("examples") or []:  # a batch's examples (batch normalization)
            if isinstance(example, dict):
                found[group] += _numbers_in(example.get(group))
    for layer in raw.get("layers") or []:
        if not isinstance(layer, dict):
            continue
        weights = layer.get("weights")
        if isinstance(weights, dict):  # w5: {from: h1, to: o1, value: 0.5}
            found["weights"] += [(w, "value") for w in weights.values() if _number_at(w, "value")]
        elif isinstance(weights, list):
            found["weights"] += [s for row in weights for s in _numbers_in(row)]
        bias = layer.get("bias")
        if _number(bias):
            found["biases"].append((layer, "bias"))
        elif isinstance(bias, dict):  # b1: 0.25, or b1: {to: h1, value: 0.25}
            for name, value in bias.items():
                if _number(value):
                    found["biases"].append((bias, name))
                elif _number_at(value, "value"):
                    found["biases"].append((value, "value"))
        else:
            found["biases"] += _numbers_in(bias)
    return found


def _numbers_in(values: object) -> list[Slot]:
    if isinstance(values, list):
        return [(values, k) for k, v in enumerate(values) if _number(v)]
    if isinstance(values, dict):
        return [(values, k) for k, v in values.items() if _number(v)]
    return []


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number_at(mapping: object, key: str) -> bool:
    return isinstance(mapping, dict) and _number(mapping.get(key))
