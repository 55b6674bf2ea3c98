"""`--symbolic`: each chosen parameter's derivation, factor by factor, in the lecture's notation.

Reads the derivations (derivation.py) and prints them; it computes nothing. Expressions print
in the order they were built (SymPy's order="none"), so chain-rule factors stay in order.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.text import Text

from backprop_tutor.core.trace import Trace
from backprop_tutor.render.glyphs import for_stream
from backprop_tutor.render.labels import Labels
from backprop_tutor.symbolic.derivation import Chain, ParameterDerivation
from backprop_tutor.symbolic.forms import inline

CHECK, CROSS = "✓", "✗"
PROGRESS_SECONDS = 10.0  # between two progress lines where standard error is no terminal


def _bracketed(number: str) -> str:
    return f"({number})" if number.startswith("-") else number


class Derivations:
    """Every chosen parameter's derivation."""

    def __init__(
        self, derivations: list[ParameterDerivation], trace: Trace, notation: str | None = None
    ) -> None:
        self.derivations = derivations
        self.labels = Labels(trace.header, notation)
        h = trace.header
        self.n = h.display.format

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for derivation in self.derivations:
            yield self._parameter(derivation)
            yield Text("")

    def _parameter(self, d: ParameterDerivation) -> Group:
        L, n, event = self.labels, self.n, d.event
        edge = f" ({event.source} → {event.to[0]})" if event.source else ""
        lines = [
            Text(f"{L.partial(L.error, d.param)}, for {d.param}{edge}", style="bold"),
            Text(f"  {L.error} = {inline(d.loss)}"),
        ]
        for chain in d.chains:
            lines += self._chain(d, chain)
        if len(d.chains) > 1:
            terms = " + ".join(_bracketed(n(c.engine)) for c in d.chains)
            lines.append(
                Text(
                    f"  {L.partial(L.error, d.param)} = the sum of the paths = {terms}"
                    f" = {n(d.total)}",
                    style="bold",
                )
            )
        if d.delta_form:
            lines += self._delta_form(d)
        lines.append(self._verdict(d))
        return Group(*lines)

    def _chain(self, d: ParameterDerivation, chain: Chain) -> list[Text]:
        L, n, event = self.labels, self.n, d.event
        to = event.to[0]
        error = L.path_error(chain.via) if chain.via else None
        head = L.partial(error or L.error, d.param)
        lines = [Text("")]
        if chain.via:
            lines.append(Text(f"  through {chain.via}:", style="italic"))
        factors = [s.factor for s in chain.steps]
        lines.append(
            Text(f"  {L.chain(factors=tuple(factors), param=d.param, to=to, error=error)}")
        )
        for step in chain.steps:
            label, written = L.factor(step.factor, to, error), inline(step.expr)
            # a factor that is its own symbol (δ_h2_1, worked out above) is not said twice
            shown = "" if written == label else f"{written} = "
            lines.append(Text(f"      {label} = {shown}{n(step.engine)}"))
            if step.raw is not None and step.raw != step.expr:
                mark, sign = (CHECK, "=") if step.proved else (CROSS, "≠")
                lines.append(
                    Text(
                        f"          SymPy differentiates to {inline(step.raw)} "
                        f"{sign} {inline(step.expr)} {mark}",
                        style="dim",
                    )
                )
        numbers = " × ".join(_bracketed(n(s.engine)) for s in chain.steps)  # as tables write
        lines.append(Text(f"  {head} = {inline(chain.product)}"))
        lines.append(Text(f"  {' ' * len(head)} = {numbers} = {n(chain.engine)}"))
        if d.output_delta is not None and L.notation.uses_delta:
            first, second = chain.steps[0], chain.steps[1]
            lines.append(
                Text(
                    f"  so {L.delta(to)} = {L.factor(first.factor, to)} · "
                    f"{L.factor(second.factor, to)} = {inline(d.output_delta)} = "
                    f"{n(d.output_delta_value)}"
                )
            )
        return lines

    def _delta_form(self, d: ParameterDerivation) -> list[Text]:
        L, n, chain = self.labels, self.n, d.delta_form
        assert chain is not None
        to = d.event.to[0]
        head = L.partial(L.error, d.param)
        delta = L.delta(to)
        return [
            Text(""),
            Text(
                f"  the same as the delta form: {head} = {delta} · "
                f"{L.factor(chain.steps[-1].factor, to)}, "
                f"{delta} = {L.factor(chain.steps[0].factor, to)} · Σ_k w δ_k"
            ),
            Text(f"  {head} = {inline(chain.product)} = {n(chain.engine)}"),
        ]

    def _verdict(self, d: ParameterDerivation) -> Text:
        if d.mismatches:
            return Text(
                f"  {CROSS} MISMATCH between SymPy and the engine: " + "; ".join(d.mismatches),
                style="bold red",
            )
        checked = f"  {CHECK} every factor and product equals the engine's value"
        if d.proof is True:
            return Text(f"{checked}; proof: {d.proof_note} {CHECK}", style="green")
        if d.proof is False:
            return Text(
                f"{checked}; but the proof FAILED: {d.proof_note} {CROSS}", style="bold red"
            )
        return Text(f"{checked}; {d.proof_note}")


@contextmanager
def progress(
    console: Console,
    total: int,
    stream: TextIO,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[Callable[[int], None]]:
    """How many of `total` parameters are derived, on standard error (never on standard output,
    which may be the export): on a terminal (`console`, made by cli for standard error) a bar
    that goes when they are done; elsewhere a line on `stream` every PROGRESS_SECONDS, once
    the job has run that long (a short one says nothing)."""
    if not console.is_terminal:
        yield _ProgressLines(total, stream, clock)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("deriving"),
        MofNCompleteColumn(),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("derive", total=total)
        yield lambda done: bar.update(task, completed=done)


class _ProgressLines:
    """`--symbolic: 57 of 190 parameters derived, 10 s` now and then; a closed or full stream
    must not stop the derivations it only reports on."""

    def __init__(self, total: int, stream: TextIO, clock: Callable[[], float]) -> None:
        self.total, self.stream, self.clock = total, stream, clock
        self.start = self.last = clock()

    def __call__(self, done: int) -> None:
        now = self.clock()
        if now - self.last < PROGRESS_SECONDS or done >= self.total:
            return
        self.last = now
        line = (
            f"--symbolic: {done:,} of {self.total:,} parameters derived, {now - self.start:.0f} s"
        )
        try:
            self.stream.write(for_stream(line, self.stream) + "\n")
            self.stream.flush()
        except (OSError, ValueError):
            pass
