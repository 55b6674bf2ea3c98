"""`backprop-tutor derive NAME`: a stand-alone derivation, each step with SymPy's verdict."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from backprop_tutor.render.symbolic_view import CHECK, CROSS
from backprop_tutor.symbolic.forms import inline
from backprop_tutor.symbolic.textbook import TextbookDerivation


class DerivationView:
    def __init__(self, derivation: TextbookDerivation) -> None:
        self.derivation = derivation

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        d = self.derivation
        yield Text(d.title, style="bold")
        yield Text("")
        lhs = ""
        for step in d.steps:
            lhs = step.lhs or lhs
            head = f"  {step.lhs}" if step.lhs else f"  {' ' * len(lhs)}"
            mark = {True: f" {CHECK}", False: f" {CROSS} NOT EQUAL to the step before"}.get(
                step.proved, ""
            )
            line = Text(
                f"{head} = {inline(step.rhs)}{mark}",
                style="bold red" if step.proved is False else "",
            )
            yield line
            if step.reason:
                yield Text(f"  {' ' * len(lhs)}     ({step.reason})", style="dim")
        yield Text("")
        if d.condition:
            yield Text(f"Condition: {d.condition}.", style="bold")
        for note in d.notes:
            yield Text(f"Note: {note}.")
        verdict = (
            "every step proved equal to the one before by SymPy"
            if d.proved
            else "a step is NOT equal to the one before: see the ✗ above"
        )
        yield Text(
            f"{CHECK if d.proved else CROSS} {verdict}", style="green" if d.proved else "bold red"
        )
