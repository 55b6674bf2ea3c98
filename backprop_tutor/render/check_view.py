"""`check`'s verdicts as one table: each claim, what it is, and the engine's exact value."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from backprop_tutor.render.glyphs import plain
from backprop_tutor.render.rich_tables import Grid
from backprop_tutor.teach.check import Verdict

MARKS = {
    "exact": "✓",
    "calculator": "≈",
    "follows": "→",
    "variant": "✗",
    "mismatch": "✗",
    "formula": "=",
}


class CheckReport:
    def __init__(self, verdicts: list[Verdict], digits: int = 6) -> None:
        self.verdicts = verdicts
        self.digits = digits

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        table = Grid("Claims against the engine")
        table.column("", numeric=False)
        table.column("claim", numeric=False)
        table.column("claimed")
        table.column("verdict", numeric=False)
        table.column("exact value")
        for v in self.verdicts:
            mark = "✓" if v.ok else MARKS.get(v.status, "✗")
            exact = "" if v.exact is None else f"{v.exact:.{self.digits}g}"
            table.row(mark, v.claim.id, v.claim.text, v.detail, exact, style="" if v.ok else "bold")
        yield table.table()
        wrong = [v for v in self.verdicts if not v.ok]
        roots = [v for v in wrong if v.status != "follows"]
        if not wrong:
            yield Text(f"All {len(self.verdicts)} claims match.", style="green")
            return
        yield Text(
            f"{len(self.verdicts) - len(wrong)} of {len(self.verdicts)} claims match; "
            f"{len(wrong)} do not, from {len(roots)} mistake"
            f"{'s' * (len(roots) != 1)}: "
            + "; ".join(plain(f"{v.claim.id} ({v.detail})") for v in roots),
            style="bold red",
        )
