"""Which updates a training run may trace (`train --trace-steps`, `explore --trace-steps`):
refused before any training when none can come (past every epoch's batches) or when
their trace would outgrow memory, each in one line with what to change."""

from __future__ import annotations

from collections.abc import Collection

from backprop_tutor.core.errors import TrainingError
from backprop_tutor.spec.limits import (
    TRACE_LIMIT,
    WORK_FACTOR,
    TraceTooLarge,
    megabytes,
    step_numbers,
)
from backprop_tutor.spec.model import Spec

LAST = -1  # in `trace_updates`: the last update of the run


def _batch_size(spec: Spec) -> int:
    n = max(1, len(spec.examples))
    return min(spec.training.batch_size, n) if spec.training.batch_size else n


def most_updates(spec: Spec) -> int:
    """The most updates a run can make: every epoch up to its limit (a stopping rule may end
    it sooner), a batch of each epoch's examples an update."""
    rules = spec.training
    return (rules.epochs or rules.max_epochs) * -(-max(1, len(spec.examples)) // _batch_size(spec))


def refuse_unreachable(spec: Spec, trace_updates: Collection[int]) -> None:
    """Traced updates none of which a run can reach (past every epoch's batches, up to the
    epoch limit): refused before any training, which would take the whole run to find it."""
    most = most_updates(spec)
    if trace_updates and LAST not in trace_updates and min(trace_updates) > most:
        raise TrainingError(
            spec.file,
            f"--trace-steps: training makes at most {most:,} updates, none of those asked for",
            "give 1, last or a number up to it",
        )


def refuse_large_tracing(spec: Spec, trace_updates: Collection[int]) -> None:
    """Each traced update records every example of its batch as `run` records a step, so a
    few updates of a full batch can outgrow memory: refused up front past TRACE_LIMIT."""
    batch, updates = _batch_size(spec), most_updates(spec)
    chosen = sum(1 for k in trace_updates if k == LAST or 1 <= k <= updates)
    one = step_numbers(spec)  # one example's pass and the update
    numbers = chosen * batch * one
    if numbers <= TRACE_LIMIT:
        return
    each = f"{batch:,} examples of {one:,} numbers" if batch > 1 else f"{one:,} numbers"
    raise TraceTooLarge(
        spec.file,
        f"tracing {chosen:,} update{'s' if chosen > 1 else ''} ({each} each) would record "
        f"{numbers:,} numbers (a trace of about {megabytes(numbers):,} MB; printing it takes up "
        f"to ~{WORK_FACTOR} times that), more than the {TRACE_LIMIT:,} a trace may hold",
        _either(
            *(["trace fewer updates (--trace-steps)"] if chosen > 1 else []),
            *(["use a smaller batch_size"] if batch > 1 else []),
            "use a smaller network",
        ),
    )


def _either(*ways: str) -> str:
    """'a, b or c'."""
    return ", ".join(ways[:-1]) + " or " + ways[-1] if len(ways) > 1 else ways[0]
