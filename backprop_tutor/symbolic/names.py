"""The names `derive` knows, from the registries alone: `derive --help` lists them without
importing SymPy (textbook.py builds a derivation for each, and a test holds the two equal)."""

from __future__ import annotations

from backprop_tutor.core.activations import ACTIVATIONS
from backprop_tutor.core.losses import LOSSES
from backprop_tutor.core.optimizers import OPTIMIZERS
from backprop_tutor.core.regularizers import REGULARIZERS


def derivation_names() -> list[str]:
    """Each elementwise activation (and softmax, which carries its own), each loss with its
    output activation where they simplify together, the recursion, each loss, each
    optimizer, each regularizer."""
    return [
        *(n for n, entry in ACTIVATIONS.items() if entry.elementwise or entry.derivation),
        *(
            f"{loss.log_space_activation}_{n}"
            for n, loss in LOSSES.items()
            if loss.combined_derivation
        ),
        "recursion",
        *LOSSES,
        *(n for n, entry in OPTIMIZERS.items() if entry.derivation),
        *REGULARIZERS,
        "batch_norm",
    ]
