"""Counts in prose: `1 example`, `4 examples`, `1,000 epochs`; never "1 decimals"."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and the noun, singular for one (an irregular plural given as `plural`)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
