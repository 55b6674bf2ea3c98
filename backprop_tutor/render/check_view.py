"""`check`'s verdicts as one table, then the root mistakes, each with what follows from it.

A root is a wrong claim whose own inputs are right (or not claimed); the claims that are right
for the numbers a root got wrong follow from it, and are listed under it, not counted again.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from backprop_tutor.core.numbers import NumberFormat
from backprop_tutor.core.trace import TraceHeader
from backprop_tutor.core.words import counted
from backprop_tutor.render.glyphs import plain
from backprop_tutor.render.grid import Grid
from backprop_tutor.render.labels import Labels
from backprop_tutor.render.working import formula, working
from backprop_tutor.teach.verdicts import Verdict, exactly, mistakes

# One mark per verdict, explained once in the legend under the table.
MARKS = {
    "exact": ("✓", "right"),
    "calculator": ("≈", "right in calculator arithmetic"),
    "carried": ("↳", "right from the claimed numbers, their rounding carried"),
    "follows": ("→", "right for a wrong number above it"),
    "coarse": ("?", "too few decimals: right, and a named mistake too, at the digits written"),
    "variant": ("✗", "a mistake"),
    "mismatch": ("✗", "a mistake"),
    "formula": ("=", "a formula compared by SymPy"),
}


class CheckReport:
    def __init__(
        self, verdicts: list[Verdict], delta_sign: int = 1, header: TraceHeader | None = None
    ) -> None:
        self.verdicts = verdicts
        self.delta_sign = delta_sign  # −1: the notation's δ is the sensitivity −∂E/∂net
        # the working in the spec's notation (∂E_total/∂output_h1), where the header is known
        self.name = Labels(header).of_id if header is not None else str

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        table = Grid("Claims against the engine")
        table.column("", numeric=False)
        table.column("claim", numeric=False)
        table.column("claimed")
        table.column("verdict", numeric=False)
        table.column("exact value")
        for v in self.verdicts:
            mark = MARKS.get(v.status, ("✗", ""))[0] if v.ok or v.status != "formula" else "✗"
            table.row(mark, v.claim.id, v.claim.text, v.detail, _exact(v), style=_style(v))
        yield table.table()
        yield Text(self.legend(), style="dim")
        for line in self.workings():
            yield Text(line)
        yield Text(self.summary(), style="green" if self.all_right else "bold red")

    @property
    def all_right(self) -> bool:
        return all(v.ok for v in self.verdicts)

    def roots(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.is_root]

    def legend(self) -> str:
        seen = dict.fromkeys(MARKS[v.status] for v in self.verdicts if v.status in MARKS)
        return "  ".join(f"{mark} {meaning}" for mark, meaning in seen)

    def workings(self) -> list[str]:
        """Each root mistake's working, with the numbers it reads (the student's where they
        claimed them): a named mistake's as the claim fits it, then the right rule's beside
        it; a mismatch's, the right rule's alone."""
        lines = []
        for v in self.roots():
            if v.claim.number is None or v.status == "coarse":
                continue
            n = NumberFormat(v.claim.digits + 2, "round", fixed=False).format
            right = self._worked(v.rule, v.inputs, v.gives, n)
            if v.mistake_rule is None and v.status == "mismatch":
                if right:
                    lines.append(plain(f"  {v.claim.id}: {right}  (claimed {v.claim.text})"))
                continue
            mistaken = self._worked(v.mistake_rule, v.mistake_inputs, v.mistake_gives, n)
            if not (mistaken or right):
                continue
            lines.append(plain(f"  {v.claim.id} (claimed {v.claim.text}):"))
            if mistaken:
                lines.append(plain(f"    as claimed:                  {mistaken}"))
            if right:  # on the student's numbers: not the right value where those are wrong
                lines.append(plain(f"    the right rule, your numbers: {right}"))
        if not lines:
            return []
        reads_delta = any(
            key.startswith("delta[")
            for v in self.roots()
            for rule in (v.rule, v.mistake_rule)
            if rule
            for key in (v.claim.id, *rule.inputs)
        )
        if self.delta_sign < 0 and reads_delta:
            lines.append("  (in the working, −δ is ∂E/∂net: the notation's δ with its sign turned)")
        return ["Working of each mistake:", *lines]

    def _worked(self, rule, inputs: dict[str, float], gives: float | None, n) -> str:
        """`name = formula = numbers = value`, or '' without a rule."""
        if rule is None or gives is None:
            return ""
        written = self.name(rule.key)
        return f"{written} = {formula(rule, self.name)} = {working(rule, inputs, n)} = {n(gives)}"

    def summary(self) -> str:
        """How many claims are right, how many wrong from how many mistakes (each root with
        what follows from it), and which are too coarse to tell (counted apart: no mistake is
        shown, and none is ruled out)."""
        total = len(self.verdicts)
        if self.all_right:
            return "The claim matches." if total == 1 else f"All {total} claims match."
        coarse = [v.claim.id for v in self.verdicts if v.status == "coarse"]
        wrong = [v for v in self.verdicts if not v.ok and v.status != "coarse"]
        found = mistakes(self.verdicts)
        parts = []
        for mistake in found:
            after = mistake.then(self.verdicts)
            verb = "follows" if len(after) == 1 else "follow"
            it = "it" if len(mistake.roots) == 1 else "them"
            follows = f"; then {', '.join(after)} {verb} from {it}" if after else ""
            parts.append(plain(f"{', '.join(mistake.ids)} ({mistake.detail}{follows})"))
        right = counted(total - len(wrong) - len(coarse), "claim")
        said = [f"{right} right"]
        if coarse:
            said.append(f"{len(coarse)} too coarse to tell ({', '.join(coarse)})")
        if wrong:
            said.append(f"{len(wrong)} wrong, from {counted(len(found), 'mistake')}")
        head = ", ".join(said[:-1]) + " and " + said[-1]
        return head + (": " + "; ".join(parts) if parts else ".")


def _exact(v: Verdict) -> str:
    """The exact value at the claim's digits plus two (teach/verdicts.exactly)."""
    if v.exact is None:
        return ""
    return exactly(v.exact, v.claim.digits if v.claim.number is not None else 4)


def _style(v: Verdict) -> str:
    return "" if v.ok else "bold"
