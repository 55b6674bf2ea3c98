"""The spec file's format, as pydantic models: which keys exist and what type each value has.

These models check shape and types only. What a network means (edges, names, sizes) is checked
in `spec.py`, where each problem can point at its own place in the file. The models are the
single source of the format, so a JSON Schema for editors can be generated from them.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Strict,
    Tag,
)

from backprop_tutor.core.errors import shortened

_FRACTION = re.compile(r"^\s*[-+]?\d+(\.\d+)?\s*/\s*\d+(\.\d+)?\s*$")
# YAML 1.1 (PyYAML) reads 1e-3 as text, where YAML 1.2 and every user read a number.
_DECIMAL = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")
MAX_NUMBER_TEXT = 400  # characters: past a float's 309 digits, and short enough to quote back


def parse_number(value: Any) -> float:
    """A finite number: an int, a float, or a fraction written as text ("1/3"), never evaluated."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {str(value).lower()} (write 0.5, or 1 for true)")
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            raise ValueError("number too large") from None
    elif isinstance(value, str) and len(value) > MAX_NUMBER_TEXT:
        raise ValueError(f"expected a number, got {len(value):,} characters of text")
    elif isinstance(value, str) and _DECIMAL.match(value):
        number = float(value)
    elif isinstance(value, str) and _FRACTION.match(value):
        try:
            number = float(Fraction(value.replace(" ", "")))  # Fraction parses "p/q" itself
        except ZeroDivisionError:
            raise ValueError(
                f"'{shortened(value)}' divides by zero (write a fraction such as \"1/3\")"
            ) from None
        except OverflowError:
            raise ValueError(f"'{shortened(value)}' is too large for a number") from None
    elif isinstance(value, str):
        raise ValueError(
            f"expected a number, got the text '{shortened(value)}' "
            '(write 0.5, or a fraction as "1/3")'
        )
    else:
        raise ValueError(f"expected a number, got {_kind(value)} (write one number, such as 0.5)")
    if not math.isfinite(number):
        raise ValueError(
            f"{shortened(value)} is not a finite number (write an ordinary number such as 0.5; "
            "a float64 ends near 1.8e308)"
        )
    return number


def _kind(value: Any) -> str:
    kinds = {dict: "a mapping", list: "a list", type(None): "an empty value"}
    return kinds.get(type(value), "a value")


Number = Annotated[float, BeforeValidator(parse_number)]


def bounded(**bounds: float) -> Any:
    """A Number within bounds (ge, gt, lt, le). The bounds go before the validator, so the
    JSON Schema writes them as minimum / exclusiveMaximum, the keywords editors know."""
    return Annotated[float, Field(**bounds), BeforeValidator(parse_number)]


def _not_empty(example: str) -> BeforeValidator:
    """A key written with no value (`optimizer:` alone, YAML's null) refused, not read as
    leaving it out: the user meant to give one."""

    def check(value: Any) -> Any:
        if value is None:
            raise ValueError(f"empty; write {example} here, or leave the key out")
        return value

    return BeforeValidator(check)


Int = Annotated[int, Strict()]
# numpy's generators take only non-negative seeds; the standard library's takes any.
Seed = Annotated[Int, Field(ge=0)]
Bool = Annotated[bool, Strict()]
# Names are short; a bound keeps a pasted megabyte out of every message that quotes one.
Name = Annotated[str, Strict(), Field(max_length=100)]
Text = Annotated[str, Strict(), Field(max_length=1000)]  # titles, citations, file paths

# Union members are chosen by the YAML value's own shape, so an error names one form, not both.
# The tags appear in pydantic's error locations; `UNION_TAGS` lets spec.py drop them again.
UNION_TAGS = frozenset({"<mapping>", "<list>", "<number>", "<init>"})


def _shape(value: Any) -> str:
    if isinstance(value, dict):
        return "<mapping>"
    if isinstance(value, list):
        return "<list>"
    return "<number>"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class WeightEntry(_Model):
    """`w1: {from: i1, to: h1, value: 0.1}`."""

    from_: Name = Field(alias="from")
    to: Name
    value: Number


class BiasEntry(_Model):
    """`b_h1: {to: h1, value: 1}`, for a per-unit bias named out of unit order."""

    to: Name
    value: Number


BiasValue = Annotated[
    Union[Annotated[Number, Tag("<number>")], Annotated[BiasEntry, Tag("<mapping>")]],  # noqa: UP007
    Discriminator(_shape),
]


def _rows(value: Any) -> Any:
    """A mask written as one row, `mask: [1, 0]`, said as such: pydantic's own words would be
    'input should be a valid list, got 1' at its first number, which does not say a mask is
    a list of rows."""
    if isinstance(value, list) and value and not any(isinstance(v, list) for v in value):
        written = shortened(", ".join(str(v) for v in value))
        raise ValueError(
            f"a mask is a list of rows, a row per step (one row: every step); write [[{written}]]"
        )
    return value


class DropoutFile(_Model):
    """`dropout: {rate: 0.5, mask: [[1, 0]]}` on a hidden layer: each unit kept or dropped,
    a row per step (one row: every step), or drawn from `seed` where no mask is given."""

    rate: Number
    mask: Annotated[list[list[Int]], BeforeValidator(_rows)] | None = None
    seed: Seed = 0


PerUnit = Annotated[
    Union[Annotated[Number, Tag("<number>")], Annotated[list[Number], Tag("<list>")]],  # noqa: UP007
    Discriminator(_shape),
]


class BatchNormFile(_Model):
    """`batch_norm: {gamma: 1, beta: 0, epsilon: 1e-5}` on a hidden layer: its net inputs
    normalized over the batch, then scaled by γ and shifted by β (one number for every unit,
    or one per unit); ε keeps the division finite; `momentum` moves the running statistics the
    test pass uses toward each batch's."""

    gamma: PerUnit = 1.0
    beta: PerUnit = 0.0
    # from 1e-10: below it a batch of equal net inputs (σ² = 0) multiplies float64's last
    # bits by 1/√ε into δ
    epsilon: bounded(ge=1e-10) = 1e-5
    momentum: bounded(gt=0, le=1) = 0.1  # the running statistics' (PyTorch's default)


class LayerFile(_Model):
    """One layer: its units, activation, bias and the weights into it."""

    units: Annotated[
        Union[Annotated[list[Name], Tag("<list>")], Annotated[Int, Tag("<number>")]],  # noqa: UP007
        Discriminator(_shape),
    ]
    activation: Name
    alpha: Number | None = None  # leaky_relu's slope below zero
    dropout: DropoutFile | None = None
    batch_norm: Annotated[BatchNormFile | None, _not_empty("{} (every setting at its default)")] = (
        None
    )
    bias: (
        Annotated[
            Union[  # noqa: UP007
                Annotated[dict[Name, BiasValue], Tag("<mapping>")],
                Annotated[list[Number], Tag("<list>")],
                Annotated[Literal["init"], Tag("<init>")],
                Annotated[Number, Tag("<number>")],
            ],
            Discriminator(lambda v: "<init>" if v == "init" else _shape(v)),
        ]
        | None
    ) = None
    weights: (
        Annotated[
            Union[  # noqa: UP007
                Annotated[dict[Name, WeightEntry], Tag("<mapping>")],
                Annotated[list[list[Number]], Tag("<list>")],
            ],
            Discriminator(_shape),  # text, a number: neither form, and said so with both
        ]
        | None  # drawn by `init:` when left out
    ) = None


class DisplayFile(_Model):
    """How numbers print: `digits` decimals, rounded or truncated; `fixed` pads exact values."""

    digits: Annotated[Int, Field(ge=1, le=15)] = 5  # 0: every computed value an integer
    rounding: Literal["round", "truncate"] = "round"
    fixed: Bool = False


class ArithmeticFile(_Model):
    """Calculator arithmetic: round every recorded quantity to `carry_digits` decimals."""

    carry_digits: Annotated[Int, Field(ge=0, le=15)] | None = None


NumbersByName = Annotated[
    Annotated[dict[Name, Number], Tag("<mapping>")] | Annotated[list[Number], Tag("<list>")],
    Discriminator(_shape),
]


class ExampleFile(_Model):
    """One training example: `{inputs: [0, 1], targets: [1]}` (lists or name: value)."""

    inputs: NumbersByName
    targets: NumbersByName


class DataFile(_Model):
    """Examples from a CSV file with a header row; the path is relative to the spec."""

    csv: Text
    inputs: Annotated[list[Name], Field(min_length=1)]  # column names, in input order
    targets: Annotated[list[Name], Field(min_length=1)]  # column names, one per output unit


class InitFile(_Model):
    """How weights left out of the file are drawn: always from a seed, so runs repeat."""

    method: Literal["uniform", "xavier", "he"] = "uniform"
    low: Number = -0.05  # Mitchell's range, for method uniform
    high: Number = 0.05
    seed: Seed = 0


class OptimizerFile(_Model):
    """`optimizer: {name: adam, beta1: 0.9}`: a registry entry (core/optimizers.py) and any of
    its hyperparameters; which names it takes is the entry's to say (checked in resolve)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    __pydantic_extra__: dict[str, Number] = Field(init=False)  # type: ignore[assignment]

    name: Name


def _named(value: Any) -> Any:
    """`optimizer: adam`, the entry's name alone, as `{name: adam}`: every setting has its
    default."""
    return {"name": value} if isinstance(value, str) else value


# what a key's value is, for a message where a user wrote something else there (or nothing)
BELONGS = {
    "optimizer": "a name or a mapping such as {name: adam, beta1: 0.9}",
    "regularization": "a mapping such as {name: l2, strength: 0.01}",
}


class RegularizationFile(_Model):
    """`regularization: {name: l2, strength: 0.01}`: a penalty on the weights added to the
    error (core/regularizers.py); the biases too with the spec's `decay_biases: true`."""

    name: Name
    strength: Number


class TrainingFile(_Model):
    """How `backprop-tutor train` runs: batches, momentum and when to stop."""

    batch: Literal["stochastic", "mini", "full"] = "stochastic"
    batch_size: Annotated[Int, Field(ge=1)] | None = None  # for batch: mini
    shuffle: Bool = True
    seed: Seed = 0
    reduction: Literal["sum", "mean"] = "mean"  # how a batch's gradients combine
    momentum: bounded(ge=0, lt=1) = 0.0  # Mitchell's alpha
    epochs: Annotated[Int, Field(ge=1)] | None = None  # stop after exactly this many
    max_epochs: Annotated[Int, Field(ge=1, le=10_000_000)] = 10_000
    loss_threshold: bounded(gt=0) | None = None  # stop when loss below
    gradient_threshold: bounded(gt=0) | None = None  # Xu's theta
    report_every: Annotated[Int, Field(ge=1)] | None = None  # loss table rows
    dtype: Literal["float64", "float32"] = "float64"  # training's arithmetic (run: float64)


class SpecFile(_Model):
    """The whole file."""

    title: Text | None = None
    source: Text | None = None
    notation: Name = "generic"
    inputs: NumbersByName | None = None  # the example `run` traces (default: the first)
    targets: NumbersByName | None = None
    examples: Annotated[list[ExampleFile], Field(min_length=1)] | None = None
    test: list[ExampleFile] | None = None  # predicted after the steps, with their error
    data: DataFile | None = None
    init: InitFile = Field(default_factory=InitFile)
    training: TrainingFile = Field(default_factory=TrainingFile)
    optimizer: Annotated[  # default: gradient descent (training: momentum)
        OptimizerFile | None,
        BeforeValidator(_named, json_schema_input_type=OptimizerFile | Name),
        _not_empty(BELONGS["optimizer"]),
    ] = None
    regularization: Annotated[RegularizationFile | None, _not_empty(BELONGS["regularization"])] = (
        None
    )
    decay_biases: Bool = False  # the penalty's (or AdamW's) decay on the biases too
    layers: Annotated[list[LayerFile], Field(min_length=1)]
    loss: Name
    learning_rate: Number
    update_biases: Bool = True
    update: Literal["simultaneous", "layer_by_layer"] = "simultaneous"
    steps: Annotated[Int, Field(ge=1, le=1000)] = 1
    display: DisplayFile = Field(default_factory=DisplayFile)
    arithmetic: ArithmeticFile = Field(default_factory=ArithmeticFile)
