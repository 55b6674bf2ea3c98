"""A layer's dropout, checked against the layer and the rest of the file: hidden layers with
an elementwise activation, a rate between 0 and 1, masks of 0s and 1s a row per step."""

from __future__ import annotations

from backprop_tutor.core.activations import ACTIVATIONS
from backprop_tutor.core.numbers import setting_text
from backprop_tutor.spec.model import DropoutSpec
from backprop_tutor.spec.schema import LayerFile, SpecFile
from backprop_tutor.spec.yaml_source import YamlPath, YamlSource


def refuse_unless_hidden(
    src: YamlSource, where: YamlPath, layer: LayerFile, last: bool, mixing: str
) -> None:
    """A layer option (dropout:, batch_norm: at `where`) belongs on a hidden layer with an
    elementwise activation; `mixing` says why not on softmax ({} is the activation)."""
    key = where[-1]
    if last:
        raise src.error(
            where,
            f"{key} is for hidden layers: the output layer's outputs are the prediction",
            f"move {key}: to a hidden layer",
        )
    if not ACTIVATIONS[layer.activation].elementwise:
        raise src.error(
            where,
            mixing.format(layer.activation),
            f"use {key} on a layer with an elementwise activation (sigmoid, tanh, relu, ...)",
        )


def resolve_dropout(
    src: YamlSource, raw: SpecFile, path: YamlPath, layer: LayerFile, units: int, last: bool
) -> DropoutSpec | None:
    d = layer.dropout
    if d is None:
        return None
    where = (*path, "dropout")
    mixing = "would renormalize nothing: its outputs are one distribution"
    refuse_unless_hidden(src, where, layer, last, f"dropout on a {{}} layer {mixing}")
    if not 0 < d.rate < 1:
        raise src.error(
            (*where, "rate"),
            f"rate {setting_text(d.rate)} must be above 0 and below 1",
            "use rate: 0.5",
        )
    if raw.arithmetic.carry_digits is not None:
        raise src.error(
            where,
            "dropout with calculator arithmetic is not worked out yet: each kept output would "
            "be rounded twice (the activation, then its scaling)",
            "remove arithmetic: carry_digits, or remove dropout:",
        )
    if d.mask is not None and not d.mask:  # not 'no mask': that is writing no mask: key
        raise src.error(
            (*where, "mask"),
            "the mask is empty",
            f"give a row of one 0 or 1 per unit, e.g. [[{', '.join(['1'] * units)}]], or "
            "remove mask: to draw the masks from seed",
        )
    masks = tuple(tuple(row) for row in d.mask or ())
    for r, row in enumerate(masks):
        if len(row) != units:
            raise src.error(
                (*where, "mask", r),
                f"a mask row has {len(row)} entr{'y' if len(row) == 1 else 'ies'} for the "
                f"layer's {units} units",
                f"give one 0 or 1 per unit, e.g. [{', '.join(['1'] * units)}]",
            )
        if any(v not in (0, 1) for v in row):
            raise src.error(
                (*where, "mask", r), "a mask holds 1 (kept) and 0 (dropped) only", "use 0 or 1"
            )
    if len(masks) not in (0, 1, raw.steps):
        raise src.error(
            (*where, "mask"),
            f"{len(masks)} mask rows for {raw.steps} steps",
            "give one row (every step) or one per step",
        )
    return DropoutSpec(float(d.rate), masks, d.seed)
