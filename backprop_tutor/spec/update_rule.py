"""How the parameters move: the spec's optimizer and its penalty, checked as one.

An optimizer (core/optimizers.py) and a regularizer (core/regularizers.py) are each a registry
entry; this module checks the file's choice of them against each other and against the rest of
the file (Mitchell's `training: momentum`, the layer-by-layer replay, calculator arithmetic),
each refusal pointing at its own place with a fix.
"""

from __future__ import annotations

import math

from backprop_tutor.core.numbers import setting_text
from backprop_tutor.core.optimizers import OPTIMIZERS, out_of_range
from backprop_tutor.core.regularizers import REGULARIZERS
from backprop_tutor.spec.data import closest
from backprop_tutor.spec.model import OptimizerSpec
from backprop_tutor.spec.schema import SpecFile
from backprop_tutor.spec.yaml_source import YamlSource


def resolve_update(src: YamlSource, raw: SpecFile) -> OptimizerSpec:
    """The optimizer with its settings and the penalty; `training: momentum` alone is
    Mitchell's momentum."""
    optimizer = _optimizer(src, raw)
    if raw.decay_biases and not raw.update_biases:
        raise src.error(
            ("decay_biases",),
            "decay_biases is set, but update_biases is false: the biases never move",
            "remove decay_biases, or set update_biases: true",
        )
    r = raw.regularization
    if r is None:
        if raw.decay_biases and not OPTIMIZERS[optimizer.name].decays:
            raise src.error(
                ("decay_biases",),
                "decay_biases is set, but nothing decays the parameters",
                "add regularization: {name: l2, strength: 0.01}, or remove decay_biases",
            )
        return OptimizerSpec(optimizer.name, optimizer.settings, decay_biases=raw.decay_biases)
    path = ("regularization",)
    if r.name not in REGULARIZERS:
        raise src.error(
            (*path, "name"), f"unknown regularization '{r.name}'", closest(r.name, REGULARIZERS)
        )
    if not math.isfinite(r.strength) or r.strength < 0:
        raise src.error(
            (*path, "strength"),
            f"strength {setting_text(r.strength)} must be a number of at least 0",
            "use strength: 0.01",
        )
    if OPTIMIZERS[optimizer.name].decays:
        raise src.error(
            path,
            f"{optimizer.name} decays the weights itself (decoupled), and regularization "
            "would decay them a second time through the gradient",
            "remove regularization:, or use optimizer: {name: adam} to decay through it",
        )
    if raw.update == "layer_by_layer":
        raise src.error(
            ("update",),
            "layer_by_layer replays a published mistake of plain gradient descent; it is "
            "not defined with a penalty's gradient",
            "remove update: layer_by_layer, or remove regularization:",
        )
    return OptimizerSpec(
        optimizer.name, optimizer.settings, r.name, float(r.strength), raw.decay_biases
    )


def _optimizer(src: YamlSource, raw: SpecFile) -> OptimizerSpec:
    """The optimizer and its settings, each checked against its entry."""
    o, path, alpha = raw.optimizer, ("optimizer",), raw.training.momentum
    if o is None:
        return OptimizerSpec("momentum", (("momentum", alpha),)) if alpha else OptimizerSpec()
    if o.name not in OPTIMIZERS:
        raise src.error(
            (*path, "name"), f"unknown optimizer '{o.name}'", closest(o.name, OPTIMIZERS)
        )
    entry = OPTIMIZERS[o.name]
    if alpha:  # where the optimizer has a momentum of its own, α moves there
        fix = (
            f"write optimizer: {{name: {o.name}, momentum: {setting_text(alpha)}}}"
            if "momentum" in entry.hyper
            else f"{o.name} takes {', '.join(entry.hyper) or 'no settings'}"
        )
        raise src.error(
            ("training", "momentum"),
            f"training: momentum is set, and so is optimizer: {o.name}",
            f"remove training: momentum ({fix})",
        )
    if raw.update == "layer_by_layer" and not entry.classic:
        raise src.error(
            ("update",),
            f"layer_by_layer replays a published mistake of gradient descent; "
            f"it is not defined for {o.name}",
            "remove update: layer_by_layer, or use optimizer: {name: sgd}",
        )
    places = raw.arithmetic.carry_digits
    if places is not None and entry.adaptive:
        raise src.error(
            ("arithmetic", "carry_digits"),
            f"calculator arithmetic with {o.name} rounds small squared gradients to 0 "
            f"at {places} decimals, and then divides by that 0",
            "remove arithmetic: carry_digits (exact arithmetic), or use optimizer: "
            + " or ".join(f"{{name: {n}}}" for n, e in OPTIMIZERS.items() if not e.adaptive),
        )
    for key, value in (o.model_extra or {}).items():
        if key not in entry.hyper:
            takes = ", ".join(entry.hyper) or "no settings"
            raise src.error(
                (*path, key), f"{o.name} has no setting '{key}'", f"{o.name} takes {takes}"
            )
        problem = out_of_range(key, value)
        if problem:
            raise src.error((*path, key), problem, f"use {key}: {setting_text(entry.hyper[key])}")
    return OptimizerSpec(o.name, tuple(entry.settings(o.model_extra or {}).items()))
