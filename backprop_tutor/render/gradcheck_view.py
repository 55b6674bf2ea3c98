"""`gradcheck`'s table: each parameter's gradient, the reference, their relative error."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from ..gradcheck import Check
from .rich_tables import Grid


class GradcheckReport:
    def __init__(self, checks: dict[str, list[Check]]) -> None:
        self.checks = checks

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for reference, checks in self.checks.items():
            table = Grid(f"Backpropagation against {reference}")
            table.column("", numeric=False)
            table.column("param", numeric=False)
            table.column("backprop")
            table.column(reference)
            table.column("relative error")
            for c in checks:
                table.row(
                    "✓" if c.passed else "✗",
                    c.param,
                    f"{c.backprop:.12g}",
                    f"{c.reference:.12g}",
                    f"{c.relative_error:.2e}",
                    style="" if c.passed else "bold red",
                )
            yield table.table()
            failed = [c.param for c in checks if not c.passed]
            verdict = (
                f"pass: all {len(checks)} gradients agree with {reference}"
                if not failed
                else f"FAIL: {', '.join(failed)} disagree with {reference}"
            )
            yield Text(verdict, style="green" if not failed else "bold red")
            yield Text("")
