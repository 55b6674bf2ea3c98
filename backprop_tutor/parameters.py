"""Where the parameters live between updates: one flat array for all of them, and the
optimizer's state beside it (Adam's moments, its update count), updated in place.

The engine computes gradients; this module holds what an update reads and writes. An
optimizer's formulas are its registry entry's (core/optimizers.py); the state here only
carries them from one update to the next, and keeps the last update's quantities for the
tables (m, v, m̂, v̂ of every parameter).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from backprop_tutor.core.optimizers import OPTIMIZERS
from backprop_tutor.core.regularizers import REGULARIZERS, decay_settings, decayed, worked
from backprop_tutor.spec.model import Spec

Array = np.ndarray


def slots(spec: Spec) -> list[tuple[str, int, bool, tuple[int, ...]]]:
    """(name, layer, is_bias, index) of every parameter, layer by layer, in one place."""
    found: list[tuple[str, int, bool, tuple[int, ...]]] = []
    for i, layer in enumerate(spec.layers):
        for u, row in enumerate(layer.weight_names):
            found.extend((name, i, False, (u, s)) for s, name in enumerate(row))
        found.extend((name, i, True, (b,)) for b, name in enumerate(layer.bias_names))
    return found


class Flat:
    """One array (of the network's dtype) for a number of every parameter: all weights, layer
    by layer, then all biases, with each layer's (weights, bias) as views of their part."""

    def __init__(self, shapes: list[tuple[tuple[int, ...], int]], make=np.empty, dtype=np.float64):
        self.weights = sum(int(np.prod(w)) for w, _ in shapes)  # where the biases start
        self.data = make(self.weights + sum(b for _, b in shapes), dtype=dtype)
        self.views: list[tuple[Array, Array]] = []
        self.offsets: list[tuple[int, int]] = []  # where each layer's weights, biases start
        w, b = 0, self.weights
        for shape, biases in shapes:
            size = int(np.prod(shape))
            self.views.append((self.data[w : w + size].reshape(shape), self.data[b : b + biases]))
            self.offsets.append((w, b))
            w, b = w + size, b + biases

    def at(self, layer: int, is_bias: bool, index: tuple[int, ...]) -> int:
        """Where a parameter (a `slots` entry) sits in `data`."""
        w, b = self.offsets[layer]
        if is_bias:
            return b + index[0]
        return w + int(np.ravel_multi_index(index, self.views[layer][0].shape))


def _over(value, end: int):
    """A setting for the parameters an update moves: a per-parameter array cut to them."""
    return value[:end] if isinstance(value, np.ndarray) else value


class OptimizerState:
    """An optimizer that is not plain gradient descent: its state per parameter (each a Flat,
    starting at 0), its update count t, and the quantities of the last update by parameter.
    (Gradient descent and Mitchell's momentum keep the engine's own in-place update.)"""

    def __init__(self, spec: Spec, shapes, dtype) -> None:
        o = spec.optimizer
        self.entry = OPTIMIZERS[o.name]
        self.penalty = REGULARIZERS[o.regularizer] if o.regularizer else None
        self.quantities = worked(o.name, o.regularizer)
        self.rate = spec.learning_rate
        self.state = {name: Flat(shapes, np.zeros, dtype) for name in self.entry.state}
        self.t = 0
        self.last: dict[str, Array] = {}  # each quantity of the last update, over `end`
        # which parameters a decay reaches (1) or not (0): the weights, the biases only with
        # decay_biases; every decay setting over them, per parameter
        reached = Flat(shapes, dtype=dtype)
        reached.data[: reached.weights] = decayed(False, o.decay_biases)
        reached.data[reached.weights :] = decayed(True, o.decay_biases)
        self.hyper = decay_settings(o.name, self.entry.settings(o.hyper), o.strength, reached.data)

    def step(
        self, params: Array, gradient: Array, scale: float, carry: Callable[[Array], Array]
    ) -> None:
        """One update of `params` (the parameters it moves, in place) from the summed
        `gradient` over the same parameters: the mean or the sum as `scale` says."""
        end = len(params)
        self.t += 1
        g = carry(gradient * scale if scale != 1.0 else gradient)
        env: dict = {"g": g, "grad": g, "old": params, "lr": self.rate, "t": self.t}
        env.update((key, _over(value, end)) for key, value in self.hyper.items())
        for name, flat in self.state.items():
            env[f"{name}_prev"] = flat.data[:end]
        if self.penalty:  # g = the error's gradient + the penalty's
            self.penalty.run(env, carry)
        self.entry.run(env, carry)
        self.last = {q.key: env[q.key] for q in self.quantities}
        for name, flat in self.state.items():
            flat.data[:end] = env[name]
        params[...] = carry(params + env["change"])

    def before(self, k: int) -> dict[str, float]:
        """Parameter k's state before the next update (what its rules start from)."""
        return {name: float(flat.data[k]) for name, flat in self.state.items()}

    def shown(self, k: int) -> tuple[tuple[str, float], ...]:
        """Parameter k's quantities in the last update, in the entry's order (none where the
        update did not move it: a bias with update_biases off)."""
        if not self.last or k >= len(self.last["change"]):
            return ()
        return tuple((key, float(values[k])) for key, values in self.last.items())

    def snapshot(self) -> tuple[int, dict[str, Array]]:
        return self.t, {name: flat.data.copy() for name, flat in self.state.items()}

    def restore(self, saved: tuple[int, dict[str, Array]]) -> None:
        self.t, states = saved
        for name, data in states.items():
            self.state[name].data[...] = data


class Dropout:
    """Each hidden layer's dropout masks for the pass about to be made: the file's mask for a
    step, or drawn from the layer's seed (a new draw every step and training update, one
    column per example of a batch). A mask here is already scaled, kept = 1/(1 − rate),
    dropped = 0 (inverted dropout: the test pass then needs no scaling)."""

    def __init__(self, spec: Spec, dtype) -> None:
        self.layers = [(ls.dropout, len(ls.units)) for ls in spec.layers]
        self.dtype = dtype
        self.rngs = [np.random.default_rng(d.seed) if d else None for d, _ in self.layers]

    def __bool__(self) -> bool:
        return any(d for d, _ in self.layers)

    def masks(self, examples: int, step: int | None = None) -> list[Array | None]:
        """The scaled masks of every layer (None: no dropout there), for a pass of `examples`
        examples: the file's for `step` where it gives one, else drawn."""
        found: list[Array | None] = []
        for (d, units), rng in zip(self.layers, self.rngs, strict=True):
            if d is None or rng is None:
                found.append(None)
                continue
            given = d.mask(step) if step is not None else None
            if given is not None:
                keep = np.array(given, dtype=bool)[:, None]
            else:
                keep = rng.random((units, examples)) >= d.rate
            found.append(keep * np.asarray(1.0 / (1.0 - d.rate), dtype=self.dtype))
        return found
