"""Claims about a training run, judged against what `train` computes (Mazur's "after 10,000
updates the error is 0.0000351085").

The ids, none of which a one-step trace has:
- `loss@epochK`: the loss over all examples after epoch K, as `train`'s loss table prints it;
- `loss@trained`: the loss when training stopped;
- `new[w5]@trained`: a parameter when training stopped;
- `out[o1]@trained#k`: the trained network's output for training example k.

Training runs only when a claims file names one of these; a claim that does not match trains
up to twice more, for the named slips: one epoch fewer (the loss or outputs of the last forward
pass, computed before the last update, reported as the result after it), and the layer-by-layer
update.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from backprop_tutor.core.errors import SpecError, TrainingError
from backprop_tutor.engine import Network
from backprop_tutor.spec.model import Spec
from backprop_tutor.teach.claims import Claim
from backprop_tutor.teach.verdicts import (
    Verdict,
    exact_claim,
    exactly,
    matches_only,
    shown_as,
    within_a_unit,
)
from backprop_tutor.train import TrainingResult, data_arrays, dataset_loss, train

_ID = re.compile(
    r"^(?:loss@epoch(?P<epoch>\d+)|(?P<loss>loss)@trained|new\[(?P<param>[^\]]+)\]@trained"
    r"|out\[(?P<unit>[^\]]+)\]@trained#(?P<example>\d+))$"
)


@dataclass(frozen=True)
class TrainingId:
    """`loss@epoch12` is kind loss at epoch 12; `out[o1]@trained#3` kind out, name o1,
    example 3; `epoch` None means when training stopped."""

    key: str
    kind: str  # loss | new | out
    epoch: int | None = None
    name: str = ""
    example: int = 0


def training_id(key: str, spec: Spec) -> TrainingId | None:
    """The training id `key` names in this spec, or None (not one, or of another network:
    a parameter it lacks, an example past its last, an epoch past its limit)."""
    found = _ID.match(key)
    if not found:
        return None
    limit = spec.training.epochs or spec.training.max_epochs
    if found["epoch"]:
        epoch = int(found["epoch"])
        return TrainingId(key, "loss", epoch) if 1 <= epoch <= limit else None
    if found["loss"]:
        return TrainingId(key, "loss")
    if found["param"]:
        names = {name for layer in spec.layers for name in layer.param_order}
        return TrainingId(key, "new", name=found["param"]) if found["param"] in names else None
    example = int(found["example"])
    if found["unit"] in spec.output_names and 1 <= example <= max(1, len(spec.examples)):
        return TrainingId(key, "out", name=found["unit"], example=example)
    return None


def value(result: TrainingResult, ident: TrainingId) -> float | None:
    """The number the id names in a finished run; None for an epoch it did not reach."""
    if ident.kind == "loss":
        epoch = result.epochs if ident.epoch is None else ident.epoch
        return result.losses[epoch - 1] if 1 <= epoch <= result.epochs else None
    if ident.kind == "new":
        return result.parameters[ident.name]
    assert result.outputs is not None
    row = result.spec.output_names.index(ident.name)
    return float(result.outputs[row, ident.example - 1])


class TrainingClaims:
    """Judges claims on training ids; trains the spec the first time one is judged."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self._runs: dict[str, TrainingResult | None] = {}

    @functools.cached_property
    def result(self) -> TrainingResult:
        return train(self.spec)

    def _run(self, name: str, **changes) -> TrainingResult | None:
        """The same training with settings changed (a named mistake), once; None when it
        cannot run (its numbers overflow): the spec as written is fine, the variant just
        does not apply."""
        if name not in self._runs:
            try:
                self._runs[name] = train(replace(self.spec, **changes))
            except (SpecError, TrainingError):
                self._runs[name] = None
        return self._runs[name]

    def _one_epoch_fewer(self) -> TrainingResult | None:
        """The same training stopped one epoch earlier (the same shuffles: the generator draws
        each epoch's order in turn)."""
        epochs = self.result.epochs - 1
        if epochs < 1:
            return None
        rules = replace(
            self.spec.training, epochs=epochs, loss_threshold=None, gradient_threshold=None
        )
        return self._run("fewer", training=rules)

    def judge(self, claim: Claim, ident: TrainingId) -> Verdict:
        exact = value(self.result, ident)
        if exact is None:
            stopped = f"training stopped after {self.result.epochs:,} epochs ({self.result.stop})"
            return Verdict(claim, "mismatch", f"no epoch {ident.epoch:,}: {stopped}")
        found = exact_claim(exact, claim)
        if found:
            return found
        own = self.spec.display.rounding
        how = shown_as(exact, claim, own) or shown_as(exact, claim)
        if how:
            return Verdict(claim, "exact", f"{how} to {claim.precision}", exact, True)
        if within_a_unit(exact, claim):
            detail = f"within one unit of its last digit ({claim.precision})"
            return Verdict(claim, "exact", detail, exact, True)
        for name, other in self._variants(ident):
            if other is not None and shown_as(other, claim):  # as check names a slip
                return Verdict(claim, "variant", matches_only(name), exact, mistake=name)
        off = float(claim.number) - exact  # type: ignore[arg-type]
        shown = exactly(exact, claim.digits)
        return Verdict(claim, "mismatch", f"exact value {shown}, off by {off:+.6g}", exact)

    def _variants(self, ident: TrainingId) -> Iterator[tuple[str, float | None]]:
        """(name, value) of the slips a training claim can hold, the cheap ones first."""
        result = self.result
        k = ident.epoch
        if k == 1:  # before any update: the loss the first forward passes give
            start = Network.from_spec(self.spec)
            yield (
                "the loss before the first update (epoch 0)",
                dataset_loss(start, *data_arrays(self.spec)),
            )
        if k is not None:  # loss@epochK: the epochs either side, from the same run
            if k >= 2:
                yield (
                    f"the loss after epoch {k - 1:,} (one epoch fewer: the loss of the last "
                    "forward pass, before the last update)",
                    result.losses[k - 2],
                )
            if k < result.epochs:
                yield f"the loss after epoch {k + 1:,} (one epoch more)", result.losses[k]
        else:
            fewer = self._one_epoch_fewer()
            if fewer is not None:
                yield (
                    f"one epoch fewer ({fewer.epochs:,}: the last forward pass, before the "
                    "last update)",
                    value(fewer, ident),
                )
        if ident.kind == "new":
            start = Network.from_spec(self.spec).parameter_values()
            yield "the starting value (before training)", start.get(ident.name)
        if self.spec.update != "layer_by_layer":
            other = self._run("layers", update="layer_by_layer")
            yield (
                "the layer-by-layer update (hidden deltas computed with the already updated "
                "weights above)",
                None if other is None else value(other, ident),
            )
