"""The words a heading uses for what a run does besides the lectures' gradient descent: the
optimizer, a penalty and what it reaches, dropout. `run`'s and `train`'s headings both say it
this way."""

from __future__ import annotations

from backprop_tutor.core.numbers import setting_text
from backprop_tutor.core.optimizers import OPTIMIZERS, Optimizer
from backprop_tutor.core.regularizers import REGULARIZERS
from backprop_tutor.core.trace import TraceHeader


def decay_reach(entry: Optimizer, h: TraceHeader) -> str:
    """Which parameters a decay reaches, where any decay does."""
    if not (h.regularizer or entry.decays) or not h.biases:
        return ""
    return "; the biases decayed too" if h.decay_biases else "; the biases not decayed"


def decay_words(h: TraceHeader) -> str:
    """The penalty and what it reaches, for a heading: " · L2 weight decay (E + λ/2·Σw²),
    λ 0.1, the biases not decayed"; AdamW's decay, which its settings name, only its reach."""
    entry = OPTIMIZERS[h.optimizer]
    reach = decay_reach(entry, h).removeprefix("; ")
    if not h.regularizer:
        return f", {reach}" if reach else ""
    penalty = REGULARIZERS[h.regularizer]
    return f" · {penalty.title} (E + {penalty.text}), λ {setting_text(h.strength)}, {reach}"


def update_words(h: TraceHeader) -> str:
    """The update for a heading, where it is not the lecture's gradient descent: " · Adam"
    and the penalty with what it reaches."""
    entry = OPTIMIZERS[h.optimizer]
    return ("" if entry.classic else f" · {entry.title}") + decay_words(h)


def dropout_words(h: TraceHeader) -> str:
    """ " · dropout 0.5 on layer 1": each layer's rate, where it has dropout."""
    layers = [
        f"{setting_text(rate)} on layer {k}"
        for k, rate in enumerate(h.dropout, start=1)
        if rate is not None
    ]
    return f" · dropout {', '.join(layers)} (inverted: none in the test pass)" if layers else ""


def batch_norm_words(h: TraceHeader, training: bool = False) -> str:
    """ " · batch normalization on layer 1": where it is, and over what it normalizes (in
    training, the loss over the data is measured with the whole data's statistics)."""
    layers = [str(k) for k, epsilon in enumerate(h.batch_norm, start=1) if epsilon is not None]
    if not layers:
        return ""
    over = (
        "over each batch; the loss over the data with the data's own statistics"
        if training
        else "over each step's batch"
    )
    return f" · batch normalization on layer {', '.join(layers)} ({over})"
