"""The trace: immutable records of every number one step of backpropagation produced.

Renderers, the JSON export and every later view read these records and never recompute. Each
number has a stable id (`out[h1]`, `grad[w5]`, `path[w1,o1]`, listed in the README); ids of
step 1 are bare, later steps add `@N` (`new[w5]@2`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from backprop_tutor.core.numbers import NumberFormat
from backprop_tutor.core.plain import plain

FactorRole = Literal["de_dout", "dout_dnet", "delta", "dnet_dout", "dnet_dparam"]


@dataclass(frozen=True, slots=True)
class Factor:
    """One chain-rule factor. `unit` is the unit it belongs to; `other` the second name, if any.

    de_dout[u], dout_dnet[u], delta[u]: the unit's own quantities.
    dnet_dout[u,j]: how unit u's net input moves with unit j's output (the weight from j to u).
    dout_dnet[j,u] (softmax only): how unit j's output moves with unit u's net input.
    dnet_dparam[p]: how a net input moves with parameter p (the source's output, or 1 for a bias).
    """

    role: FactorRole
    unit: str
    other: str | None
    value: float

    @property
    def id(self) -> str:
        inside = f"{self.unit},{self.other}" if self.other else self.unit
        return f"{self.role}[{inside}]"


@dataclass(frozen=True, slots=True)
class Term:
    """One product in a net input: a source's output times the weight from it."""

    source: str
    weight: str
    source_value: float
    weight_value: float


@dataclass(frozen=True, slots=True)
class ForwardEvent:
    """A unit's net input and output."""

    layer: int
    unit: str
    activation: str
    terms: tuple[Term, ...]
    bias: str | None
    bias_value: float
    net: float
    out: float  # with dropout, the activation times the scaled mask: what the layer passes on
    mask: float | None = None  # dropout: 1/(1 − rate) kept, 0 dropped; None: no dropout
    # batch normalization: net normalized over the batch, x̂ = (net − μ)/√(σ² + ε), and
    # y = γ·x̂ + β, which the activation reads; None: the layer has none
    xhat: float | None = None
    y: float | None = None

    def values(self) -> dict[str, float]:
        """This unit's forward numbers by id."""
        found = {f"net[{self.unit}]": self.net}
        if self.mask is not None:
            found[f"mask[{self.unit}]"] = self.mask
        if self.xhat is not None and self.y is not None:
            found[f"xhat[{self.unit}]"] = self.xhat
            found[f"y[{self.unit}]"] = self.y
        found[f"out[{self.unit}]"] = self.out
        return found


@dataclass(frozen=True, slots=True)
class LossEvent:
    """One output's error term."""

    unit: str
    target: float
    out: float
    value: float


@dataclass(frozen=True, slots=True)
class DeltaEvent:
    """A unit's backward quantities: dE/dout, dout/dnet and their product delta = dE/dnet.

    For a hidden unit, `downstream` lists what dE/dout sums: each unit it feeds, the weight on
    that edge and that unit's delta.
    """

    layer: int
    unit: str
    de_dout: float
    dout_dnet: float
    delta: float
    downstream: tuple[tuple[str, str, float, float], ...] = ()  # (unit, weight, w, delta)
    # For softmax, whose outputs all move with each net input: (unit j, dout_j/dnet_this), and
    # delta = Σ_j dE/dout_j · dout_j/dnet_this, not dE/dout · dout/dnet of this unit alone.
    jacobian: tuple[tuple[str, float], ...] = ()
    # each downstream term w × δ of dE/dout, as `downstream` lists them: the error reaching
    # this unit from one unit it feeds (Mazur's ∂E_o1/∂out_h1)
    terms: tuple[float, ...] = ()
    # batch normalization: dout_dnet is then φ′(y), dy = dE/dout · φ′(y) = ∂E/∂y, and delta
    # ∂E/∂net through the batch's μ and σ² (core/batch_norm.py)
    dy: float | None = None

    def values(self) -> dict[str, float]:
        """This unit's backward numbers by id: the terms of dE/dout first, as a hand sums
        them; with batch normalization the activation's slope at y, and ∂E/∂y."""
        u = self.unit
        found = {
            f"de_dout[{u},{k}]": term
            for (k, *_), term in zip(self.downstream, self.terms, strict=True)
        }
        found[f"de_dout[{u}]"] = self.de_dout
        if self.dy is None:
            found[f"dout_dnet[{u}]"] = self.dout_dnet
        else:
            found[f"dout_dy[{u}]"] = self.dout_dnet
            found[f"dy[{u}]"] = self.dy
        found[f"delta[{u}]"] = self.delta
        found.update((f"dout_dnet[{j},{u}]", value) for j, value in self.jacobian if j != u)
        return found


@dataclass(frozen=True, slots=True)
class NormEvent:
    """A batch-normalized unit's statistics over a batch, and its γ and β."""

    layer: int
    unit: str
    mean: float
    var: float
    epsilon: float
    gamma: str  # the parameters' names
    beta: str
    gamma_value: float
    beta_value: float
    # the sums every example's δ reads: Σ ∂E/∂y·x̂ (γ's gradient summed) and Σ ∂E/∂y (β's)
    sum_dy_xhat: float
    sum_dy: float
    # the running statistics (μ, σ²) the test pass uses, before this batch and after it:
    # (1 − momentum)·before + momentum·(μ, σ²·N/(N − 1))
    momentum: float = 0.1
    running_before: tuple[float, float] = (0.0, 1.0)
    running: tuple[float, float] = (0.0, 1.0)

    def values(self) -> dict[str, float]:
        """The batch's numbers of this unit by id (no example's `#k`)."""
        u = self.unit
        return {
            f"mean[{u}]": self.mean,
            f"var[{u}]": self.var,
            f"sum_dy[{u}]": self.sum_dy,
            f"sum_dy_xhat[{u}]": self.sum_dy_xhat,
            f"running_mean[{u}]": self.running[0],
            f"running_var[{u}]": self.running[1],
        }


@dataclass(frozen=True, slots=True)
class PathEvent:
    """One path from a parameter to the error, through one downstream unit (Dawood's dE1/dw1)."""

    param: str
    via: str
    factors: tuple[Factor, ...]
    value: float


@dataclass(frozen=True, slots=True)
class GradientEvent:
    """A parameter's gradient: the chain-rule factors in order, and for hidden ones, the paths."""

    param: str
    kind: Literal["weight", "bias", "gamma", "beta"]  # γ, β: batch normalization's
    layer: int
    to: tuple[str, ...]  # the unit(s) the parameter feeds (a shared bias feeds several)
    source: str | None  # the unit a weight comes from
    factors: tuple[Factor, ...]
    paths: tuple[PathEvent, ...]
    gradient: float


@dataclass(frozen=True, slots=True)
class UpdateEvent:
    """Gradient descent on one parameter, if updated: new = old − η · gradient + momentum_term,
    where momentum_term = α · (the parameter's previous change), 0 without momentum."""

    param: str
    old: float
    gradient: float
    new: float
    updated: bool
    momentum_term: float = 0.0
    change: float = 0.0  # Δ, as the update made it: new = old + Δ (carried under carry_digits)
    # an optimizer other than gradient descent (core/optimizers.py): its state before this
    # update, (("m", 0.0), ("v", 0.0)), and the quantities it computed, m, v, mhat, vhat, change
    prior: tuple[tuple[str, float], ...] = ()
    shown: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class StepTrace:
    """Everything one step recorded, in the order a hand calculation finds it."""

    step: int
    inputs: tuple[tuple[str, float], ...]
    forward: tuple[ForwardEvent, ...]
    losses: tuple[LossEvent, ...]
    total_loss: float
    deltas: tuple[DeltaEvent, ...]  # output layer first, then backwards
    gradients: tuple[GradientEvent, ...]  # in the order the lecture works them out
    updates: tuple[UpdateEvent, ...]
    # An update on several examples: each example's pass in full (without updates); the
    # updates above then carry the batch's gradient, the mean or the sum as `reduction` says.
    batch: tuple[StepTrace, ...] = ()
    reduction: str = ""
    statistics: tuple[NormEvent, ...] = ()  # a batch through batch normalization: μ, σ²

    def values(self) -> dict[str, float]:
        """Every number of this step by id (without the step suffix); an example k of a batch
        adds `#k` (`grad[w5]#2`), and `grad[w5]` is then the batch's gradient."""
        found: dict[str, float] = {}
        for k, example in enumerate(self.batch, start=1):
            found.update({f"{key}#{k}": value for key, value in example.values().items()})
        for name, value in self.inputs:
            found[f"input[{name}]"] = value
        for event in (*self.statistics, *self.forward):
            found.update(event.values())
        for loss in self.losses:
            found[f"target[{loss.unit}]"] = loss.target
            found[f"loss[{loss.unit}]"] = loss.value
        found["loss"] = self.total_loss
        for d in self.deltas:
            found.update(d.values())
        for g in self.gradients:
            for factor in g.factors:
                found.setdefault(factor.id, factor.value)
            for path in g.paths:
                for factor in path.factors:
                    found.setdefault(factor.id, factor.value)
                found[f"path[{g.param},{path.via}]"] = path.value
            found[f"grad[{g.param}]"] = g.gradient
        for u in self.updates:
            if self.batch:  # the batch's gradient: its examples' have `#k`
                found[f"grad[{u.param}]"] = u.gradient
            found[f"old[{u.param}]"] = u.old
            for key, value in u.shown:  # m[w5], v[w5], mhat[w5], ..., change[w5]
                found[f"{key}[{u.param}]"] = value
            found[f"new[{u.param}]"] = u.new
        return found


@dataclass(frozen=True, slots=True)
class PredictionEvent:
    """A test example run forward after the steps: its outputs and their error."""

    inputs: tuple[float, ...]
    targets: tuple[float, ...]
    outputs: tuple[float, ...]
    loss: float


@dataclass(frozen=True, slots=True)
class TraceHeader:
    """What the run was: the spec's description and the settings every view needs."""

    file: str
    title: str | None
    source: str | None
    notation: str
    loss: str
    learning_rate: float
    update_biases: bool
    carry_digits: int | None
    digits: int
    rounding: str
    fixed: bool
    layers: tuple[tuple[str, ...], ...]  # unit names per layer, inputs first
    activations: tuple[str, ...]  # one per layer after the inputs
    alphas: tuple[float | None, ...] = ()  # leaky_relu's slope per layer, where it has one
    bias_sign: int = 1  # -1: biases are thresholds, net = Σ w x - b (the layered notes)
    paths: int = 0  # hidden-parameter paths in the network (scale.py)
    paths_listed: bool = True  # False past scale.PATH_LIMIT: gradients in the delta form
    update: str = "simultaneous"  # or "layer_by_layer": hidden deltas see updated weights
    momentum: float = 0.0  # α: each update adds α × the parameter's change the update before
    optimizer: str = "sgd"  # core/optimizers.py; gradient descent with momentum α: "momentum"
    optimizer_settings: tuple[tuple[str, float], ...] = ()  # its hyperparameters
    regularizer: str | None = None  # core/regularizers.py: a penalty added to the error
    strength: float = 0.0  # its λ
    decay_biases: bool = False  # whether a decay (the penalty's, AdamW's) reaches the biases
    biases: tuple[str, ...] = ()  # every bias's name (a decay passes them by by default)
    dropout: tuple[float | None, ...] = ()  # each layer's dropout rate, where it has one
    batch_norm: tuple[float | None, ...] = ()  # each layer's ε, where it is batch-normalized
    scales: tuple[str, ...] = ()  # batch normalization's γ and β (held with the biases)
    written: tuple[float, ...] = ()  # givens with more decimals than `digits`: printed whole

    @property
    def display(self) -> NumberFormat:
        """How every view prints this trace's numbers: built here, in one place."""
        return NumberFormat(
            self.digits,
            self.rounding,  # type: ignore[arg-type]
            self.fixed,
            frozenset(self.written),
        )


@dataclass(frozen=True, slots=True)
class Trace:
    """All steps of a run."""

    header: TraceHeader
    steps: tuple[StepTrace, ...]
    tests: tuple[PredictionEvent, ...] = ()  # the spec's test examples, after the steps
    # the steps' own example again after the last update: the loss the update left (Mazur's
    # "after this first round, the total error is now down to ..."); None in training traces
    after: PredictionEvent | None = None

    def values(self) -> dict[str, float]:
        """Every number of every step by id: step 1 bare, later steps with `@N`."""
        found: dict[str, float] = {}
        recorded = {step.step for step in self.steps}
        for step in self.steps:
            for key, value in step.values().items():
                found[key if step.step == 1 else with_step(key, step.step)] = value
            if step.step - 1 not in recorded:  # an optimizer's state it starts from: given
                for u in step.updates:
                    for state, value in u.prior:
                        found[state_before(state, u.param, step.step)] = value
                for s in step.statistics:  # and the running statistics
                    for state, value in zip(RUNNING, s.running_before, strict=True):
                        found[state_before(state, s.unit, step.step)] = value
        outputs = self.header.layers[-1]
        for k, test in enumerate(self.tests, start=1):
            for unit, out in zip(outputs, test.outputs, strict=True):
                found[f"out[{unit}]@test{k}"] = out
            found[f"loss@test{k}"] = test.loss
        if self.after is not None:
            for unit, out in zip(outputs, self.after.outputs, strict=True):
                found[f"out[{unit}]@after"] = out
            found["loss@after"] = self.after.loss
        return found

    def to_dict(self) -> dict:
        """The whole trace as plain data (for JSON): header, ids to values, and the events."""
        return {
            "header": plain(self.header),
            "ids": id_meanings(),
            "values": self.values(),
            "steps": [plain(step) for step in self.steps],
        }


RUNNING = ("running_mean", "running_var")  # batch normalization's, as ids name them


def state_before(state: str, param: str, step: int) -> str:
    """The id of an optimizer's state as update `step` finds it, the previous update's:
    `m[w5]@0` (0) before the first, `m[w5]` after update 1, `m[w5]@2` after update 2."""
    if step == 1:
        return f"{state}[{param}]@0"
    return f"{state}[{param}]" if step == 2 else with_step(f"{state}[{param}]", step - 1)


def with_step(key: str, step: int) -> str:
    """An id of a step's values with the step named: `grad[w5]` of update 3 is `grad[w5]@3`,
    and example 2 of its batch, `grad[w5]#2`, is `grad[w5]@3#2`."""
    base, mark, example = key.partition("#")
    return f"{base}@{step}{mark}{example}"


def id_meanings() -> dict[str, str]:
    """What the JSON's ids mean whatever the notation: a notation changes how the tables write
    a quantity (Mitchell's δ = −∂E/∂net has the other sign), never the number an id holds."""
    from backprop_tutor.core.notation import NOTATIONS

    negative = ", ".join(name for name, entry in NOTATIONS.items() if entry.delta_sign < 0)
    return {
        "delta": f"∂E/∂net, in every notation (the tables of {negative} print δ = −∂E/∂net)",
        "de_dout": "∂E/∂out",
        "dout_dnet": "∂out/∂net",
        "grad": "∂E/∂parameter",
        "dout_dy": "∂out/∂y: the activation's slope at y = γ·x̂ + β (batch normalization)",
        "dy": "∂E/∂y (batch normalization; delta is then ∂E/∂net through μ and σ²)",
    }
