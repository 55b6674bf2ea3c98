"""A layer's batch normalization, checked against the layer and the rest of the file: hidden
layers with an elementwise activation and no bias (β takes its place), exact arithmetic, and
batches of at least two examples, since one example's variance is 0 and its x̂ is 0.

γ and β get a name per unit (`gamma_h1`, `beta_h1`), claimed like every other parameter so
a clash is one line naming both places."""

from __future__ import annotations

from collections.abc import Callable

from backprop_tutor.spec.dropout import refuse_unless_hidden
from backprop_tutor.spec.model import BatchNormSpec
from backprop_tutor.spec.schema import LayerFile, SpecFile
from backprop_tutor.spec.yaml_source import YamlPath, YamlSource

SEE = "see configs/batch-norm.yaml"


def resolve_batch_norm(
    src: YamlSource,
    raw: SpecFile,
    path: YamlPath,
    layer: LayerFile,
    units: tuple[str, ...],
    last: bool,
    claim: Callable[[str, YamlPath, str], None],
) -> tuple[BatchNormSpec, tuple[float, ...]] | None:
    """The layer's BatchNormSpec and its parameters' values (γ of every unit, then β), or
    None for a layer without batch normalization."""
    bn = layer.batch_norm
    if bn is None:
        return None
    where = (*path, "batch_norm")
    _refuse_combinations(src, raw, path, layer, last)
    values: list[float] = []
    names: dict[str, tuple[str, ...]] = {}
    for key in ("gamma", "beta"):
        given = getattr(bn, key)
        if isinstance(given, list) and len(given) != len(units):
            raise src.error(
                (*where, key),
                f"{len(given)} values of {key} for the layer's {len(units)} units",
                f"give one per unit, or one number for every unit ({SEE})",
            )
        values.extend(given if isinstance(given, list) else [given] * len(units))
        names[key] = tuple(f"{key}_{unit}" for unit in units)
        for j, name in enumerate(names[key]):
            claim(name, (*where, key) if not isinstance(given, list) else (*where, key, j), key)
    spec = BatchNormSpec(bn.epsilon, names["gamma"], names["beta"], bn.momentum)
    return spec, tuple(values)


def _refuse_combinations(
    src: YamlSource, raw: SpecFile, path: YamlPath, layer: LayerFile, last: bool
) -> None:
    """What batch normalization is not worked out with, each refused in one line."""
    where = (*path, "batch_norm")
    mixing = "batch_norm before a {} layer is not worked out: its outputs mix the units"
    refuse_unless_hidden(src, where, layer, last, mixing)
    refusals = [
        (
            layer.bias is not None,
            (*path, "bias"),
            "a batch-normalized layer has no bias: the mean is subtracted, so a bias would "
            "cancel, and β takes its place",
            "remove bias: from this layer (give beta: under batch_norm instead)",
        ),
        (
            layer.dropout is not None,
            (*path, "dropout"),
            "dropout and batch_norm on one layer are not worked out together",
            "keep one of them on this layer",
        ),
        (
            raw.arithmetic.carry_digits is not None,
            where,
            "batch_norm with calculator arithmetic is not worked out: a rounded mean and "
            "variance change every x̂",
            "remove arithmetic: carry_digits, or remove batch_norm:",
        ),
        (
            raw.update != "simultaneous",
            ("update",),
            "batch_norm is worked with the simultaneous update only",
            "remove update: layer_by_layer",
        ),
    ]
    for refused, place, what, fix in refusals:
        if refused:
            raise src.error(place, what, fix)


def check_batches(src: YamlSource, raw: SpecFile, examples: int, size: int) -> None:
    """Every pass through a batch-normalized layer is over 2 or more examples: the steps'
    batch (every example of the file) and each training batch."""
    if examples < 2:
        raise src.error(
            ("examples",) if raw.examples is not None else ("data",) if raw.data else ("inputs",),
            f"batch_norm normalizes over a batch, and this file has {examples} example "
            "(one example's variance is 0)",
            f"list 2 or more under examples: ({SEE})",
        )
    if "training" not in raw.model_fields_set:
        raise src.error(
            ("layers",),
            "batch_norm needs batches of 2 or more, and this file has no training: (its "
            "default, batch: stochastic, is one example per update)",
            "add training: {batch: full}",
        )
    if size == 1 or examples % size == 1:
        alone = "every batch holds" if size == 1 else "the last batch of each epoch holds"
        raise src.error(
            ("training", "batch"),
            f"with batch_norm, {alone} 1 example, whose variance is 0",
            "use training: {batch: full}, or batch: mini with a batch_size that leaves no "
            "example alone",
        )
