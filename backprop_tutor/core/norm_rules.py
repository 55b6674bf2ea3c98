"""Batch normalization's rules, read off a recorded trace: a batch's μ and σ², the sums every
δ reads, the running statistics, and each example's x̂, y and δ by the short form.

A part of trace_rules' builder (core/trace_rules.py), which reads every other quantity's rule;
the ids and the way a step names them are shared, so they are here.
"""

from __future__ import annotations

from collections.abc import Callable

from backprop_tutor.core.rules import Rule
from backprop_tutor.core.trace import (
    RUNNING,
    NormEvent,
    StepTrace,
    Trace,
    TraceHeader,
    state_before,
    with_step,
)

Key = Callable[[str], str]  # a quantity's base id -> its id at this step (and example)
Param = Callable[[str, str], str]  # (old | new, parameter) -> its id at this step


def at_step(base: str, step: int) -> str:
    """An id at a step: step 1 bare, later ones with `@N` (as `Trace.values`)."""
    return base if step == 1 else with_step(base, step)


class NormRules:
    """The batch-normalized units' rules; the builder supplies the state below."""

    trace: Trace
    h: TraceHeader
    recorded: set[int]
    batch: Key
    count: int

    def add(self, rule: Rule) -> None:
        raise NotImplementedError

    def _function(self, layer: int) -> tuple[str, float | None]:
        raise NotImplementedError

    def _statistics(self, step: StepTrace, n: int) -> None:
        """A batch-normalized unit's mean and variance over the batch's net inputs, and the
        sums over its examples that each δ reads."""
        count = len(step.batch)
        for s in step.statistics:

            def each(base: str, unit: str = s.unit) -> tuple[str, ...]:
                return tuple(at_step(f"{base}[{unit}]#{k}", n) for k in range(1, count + 1))

            mean = at_step(f"mean[{s.unit}]", n)
            self.add(Rule(mean, "mean", each("net")))
            self.add(Rule(at_step(f"var[{s.unit}]", n), "variance", (mean, *each("net"))))
            dys = each("dy")
            self.add(Rule(at_step(f"sum_dy[{s.unit}]", n), "weighted_sum", dys, (1.0,) * count))
            pairs = tuple(x for pair in zip(dys, each("xhat"), strict=True) for x in pair)
            self.add(Rule(at_step(f"sum_dy_xhat[{s.unit}]", n), "dot", pairs))
            self._running(s, n, count)

    def _running(self, s: NormEvent, n: int, count: int) -> None:
        """The running statistics after batch n: (1 − m)·before + m·μ, and for σ² the
        batch's times N/(N − 1); before batch 1 (or a batch whose step before is not in the
        trace) they are given."""
        batch = (at_step(f"mean[{s.unit}]", n), at_step(f"var[{s.unit}]", n))
        for var, (state, value, now) in enumerate(
            zip(RUNNING, s.running_before, batch, strict=True)
        ):
            before = at_step(f"{state}[{s.unit}]", n - 1)
            if n - 1 not in self.recorded:
                before = state_before(state, s.unit, n)
                self.add(Rule(before, "const", (), (value,), rounded=False))
            settings = (s.momentum, float(count), float(var))
            self.add(Rule(at_step(f"{state}[{s.unit}]", n), "running", (before, now), settings))

    def _normalized(
        self, key: Key, param: Param, layer: int, unit: str, testing: bool = False
    ) -> None:
        """x̂ = (net − μ)/√(σ² + ε), y = γ·x̂ + β and out = φ(y) of a batch-normalized unit;
        in the test pass μ and σ² are the running statistics the last step left."""
        fn, alpha = self._function(layer)
        if testing:
            last = len(self.trace.steps)
            stats = tuple(at_step(f"{state}[{unit}]", last) for state in RUNNING)
        else:
            stats = (self.batch(f"mean[{unit}]"), self.batch(f"var[{unit}]"))
        epsilon = self.h.batch_norm[layer - 1]
        xhat, y = key(f"xhat[{unit}]"), key(f"y[{unit}]")
        self.add(Rule(xhat, "normalize", (key(f"net[{unit}]"), *stats), (epsilon,)))
        scale = (param("old", f"gamma_{unit}"), xhat, param("old", f"beta_{unit}"))
        self.add(Rule(y, "dot", scale, (1.0,)))
        self.add(Rule(key(f"out[{unit}]"), "activation", (y,), function=fn, alpha=alpha, at=(0,)))

    def _normalized_delta(self, key: Key, param: Param, layer: int, unit: str) -> None:
        """∂out/∂y = φ′(y), ∂E/∂y = ∂E/∂out · φ′(y), and δ by the short form."""
        fn, alpha = self._function(layer)
        dout_dy, dy = key(f"dout_dy[{unit}]"), key(f"dy[{unit}]")
        y_out = (key(f"y[{unit}]"), key(f"out[{unit}]"))
        self.add(
            Rule(dout_dy, "activation_derivative", y_out, function=fn, alpha=alpha, rounded=False)
        )
        self.add(Rule(dy, "product", (key(f"de_dout[{unit}]"), dout_dy)))
        inputs = (
            param("old", f"gamma_{unit}"),
            self.batch(f"var[{unit}]"),
            key(f"xhat[{unit}]"),
            dy,
            self.batch(f"sum_dy[{unit}]"),
            self.batch(f"sum_dy_xhat[{unit}]"),
        )
        count = float(self.count)
        epsilon = self.h.batch_norm[layer - 1]
        self.add(Rule(key(f"delta[{unit}]"), "batch_norm_delta", inputs, (count, epsilon)))
