"""One step of a network too big to print, computed in full and reduced to what `run` shows
instead: the outputs and error, each layer's norms, and the largest weight gradients.

A plain record of floats and names, so the view (render/summary_view.py) only formats it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backprop_tutor.engine import Network
from backprop_tutor.spec.model import Spec

SHOWN = 10  # outputs and largest gradients listed


@dataclass(frozen=True)
class LayerNorms:
    units: int
    activation: str
    parameters: int
    delta: float  # ‖δ‖ over the layer's units
    gradient: float  # ‖∂E/∂param‖ over its weights and biases


@dataclass(frozen=True)
class StepSummary:
    total: float
    outputs: tuple[tuple[str, float, float, float], ...]  # (unit, target, out, error), SHOWN
    more_outputs: int  # how many were left out
    layers: tuple[LayerNorms, ...]
    largest: tuple[tuple[str, int, float, float, float], ...]  # (param, layer, old, grad, new)


def summarize(spec: Spec) -> StepSummary:
    """Step 1 through the engine, and its update, so "new" is what --force would print."""
    network = Network(spec)
    inputs, targets = spec.first_pass()  # with batch normalization, the whole batch
    p = network.compute(inputs, targets)
    # the weight arrays, not a dict by name: a million names would cost hundreds of MB
    old = [layer.weights.copy() for layer in network.layers]
    batch = inputs.shape[1] if inputs.ndim == 2 else 1
    network.apply(p, 1 / batch if spec.training.reduction == "mean" else 1.0)
    names = spec.output_names
    outputs = tuple(
        (name, spec.targets[u], float(p.outs[-1][u, 0]), float(p.terms[u, 0]))
        for u, name in enumerate(names[:SHOWN])
    )
    layers = []
    for i, ls in enumerate(spec.layers):
        grads = np.concatenate([p.grad_w[i].ravel(), p.grad_b[i].ravel()])
        with np.errstate(over="ignore"):  # past 1e154 a norm is inf, printed as inf
            norms = float(np.linalg.norm(p.delta[i])), float(np.linalg.norm(grads))
        layers.append(LayerNorms(len(ls.units), ls.activation, grads.size, *norms))
    found: list[tuple[float, int, int, int]] = []
    for i, grad in enumerate(p.grad_w):
        for flat in np.argsort(-np.abs(grad), axis=None)[:SHOWN]:
            u, s = np.unravel_index(flat, grad.shape)
            found.append((float(grad[u, s]), i, int(u), int(s)))
    found.sort(key=lambda item: -abs(item[0]))
    largest = tuple(
        (
            spec.layers[i].weight_names[u][s],
            i + 1,
            float(old[i][u, s]),
            grad,
            float(network.layers[i].weights[u, s]),
        )
        for grad, i, u, s in found[:SHOWN]
    )
    return StepSummary(p.total, outputs, max(0, len(names) - SHOWN), tuple(layers), largest)
