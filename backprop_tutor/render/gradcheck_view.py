"""`gradcheck`'s table: each parameter's gradient, the reference, their relative error.

A lecture network's table lists every parameter. Past FULL_TABLE checks (a big network, or its
sample) it lists the WORST rows with the largest relative errors, failures first, and the verdict
says how many were checked out of how many parameters.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from backprop_tutor.render.grid import Grid
from backprop_tutor.teach.gradcheck import Check

FULL_TABLE = 300  # rows; the largest lecture network (xu-vanishing) has 207 parameters
WORST = 10
NAMED = 10  # failing parameters named in the verdict line


class GradcheckReport:
    def __init__(
        self,
        checks: dict[str, list[Check]],
        sampled_from: int | None = None,
        rules: dict[str, str] | None = None,
        note: str = "",
    ) -> None:
        self.checks = checks
        self.sampled_from = sampled_from  # the network's parameter count, when sampled
        self.rules = rules or {}  # each reference's agreement rule, in words
        self.note = note  # why a failure is expected (the spec's update rule), if it is

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for reference, checks in self.checks.items():
            yield self._table(reference, checks)
            yield self._verdict(reference, checks)
            yield from self._kinks(checks)
            if reference in self.rules:
                yield Text(f"agreement: {self.rules[reference]}")
            yield Text("")
        if self.note:
            yield Text(self.note, style="bold")

    @staticmethod
    def _table(reference: str, checks: list[Check]):
        title = f"Backpropagation against {reference}"
        shown = checks
        if len(checks) > FULL_TABLE:
            shown = sorted(checks, key=lambda c: (c.passed, -c.relative_error))[:WORST]
            title += f": the {WORST} largest relative errors of {len(checks):,}"
        table = Grid(title)
        table.column("", numeric=False)
        table.column("param", numeric=False)
        table.column("backprop")
        table.column(reference)
        table.column("relative error")
        for c in shown:
            table.row(
                "✗" if not c.passed else "~" if c.kink else "✓",
                c.param,
                f"{c.backprop:.12g}",
                f"{c.reference:.12g}",
                f"{c.relative_error:.2e}",
                style="bold red" if not c.passed else "yellow" if c.kink else "",
            )
        return table.table()

    @staticmethod
    def _kinks(checks: list[Check]) -> RenderResult:
        """Why each ~ row is not a mismatch, a line per kink: the parameters, the unit and
        its net (a row left out of a long table is still named here)."""
        by_note: dict[tuple[str, bool], list[str]] = {}
        for c in checks:
            if c.kink:
                by_note.setdefault((c.kink, c.passed), []).append(c.param)
        for (note, passed), params in by_note.items():
            named = ", ".join(params[:NAMED]) + (
                f" and {len(params) - NAMED:,} more" if len(params) > NAMED else ""
            )
            verdict = (
                "backprop agrees with the one-sided difference of its side: not counted as a "
                "mismatch"
                if passed
                else "backprop agrees with neither one-sided difference: a mismatch"
            )
            yield Text(
                f"{'~' if passed else '✗'} {named}: {note}; {verdict} (--torch checks it "
                "against autograd)",
                style="yellow" if passed else "bold red",
            )

    def _verdict(self, reference: str, checks: list[Check]) -> Text:
        failed = [c.param for c in checks if not c.passed]
        if failed:
            named = ", ".join(failed[:NAMED])
            more = f" and {len(failed) - NAMED:,} more" if len(failed) > NAMED else ""
            verb = "disagrees" if len(failed) == 1 else "disagree"
            return Text(f"FAIL: {named}{more} {verb} with {reference}", style="bold red")
        what = "values" if all("[" in c.param for c in checks) else "gradients"  # new[w5]@2
        kinks = sum(1 for c in checks if c.kink and c.passed)
        verdict = f"pass: all {len(checks):,} {what} agree with {reference}"
        if kinks:
            verdict = (
                f"pass: {len(checks) - kinks:,} of {len(checks):,} {what} agree with "
                f"{reference}; {kinks:,} at a kink (~) cannot be checked by it"
            )
        if self.sampled_from is not None and self.sampled_from > len(checks):
            verdict += (
                f" (a sample of the network's {self.sampled_from:,} parameters from every "
                "layer; --force checks all, --only chooses)"
            )
        return Text(verdict, style="green")
