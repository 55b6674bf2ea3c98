"""A layer's parameter names, made when they are read, not when the spec is loaded.

A notation that names a weight by its two units (`w_{target}_{source}`) names a whole row of
weights by one pattern: the same text before and after the source's name. An MNIST layer has
200,000 such weights; as strings they were a quarter of loading its spec (made, kept unique
in a set, freed), though only a trace or a claim ever reads one. `AffixedRow` keeps the
pattern and makes a name when asked; `NameChain` reads rows one after another (a layer's
parameters in a lecture's order). Both compare equal to the tuples of the names they hold.
`PatternClaims` proves such rows' names unique without making them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from itertools import chain, pairwise

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_^().']*")  # fullmatch: `$` would admit a final "\n"
NAMES = re.compile(r"(?:[A-Za-z][A-Za-z0-9_^().']*\n)*")  # NAME's, each ended by a newline


class _Names(Sequence[str]):
    """Equality and hashing as the tuple of the names, for rows made lazily."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(tuple(self))


class AffixedRow(_Names):
    """The names `head + source + tail`, one for each of `sources`, in their order: made all
    at once when first read, and kept (a trace's events then share each name's string)."""

    __slots__ = ("_made", "head", "sources", "tail")

    def __init__(self, head: str, sources: tuple[str, ...], tail: str) -> None:
        self.head, self.sources, self.tail = head, sources, tail
        self._made: tuple[str, ...] | None = None

    def _names(self) -> tuple[str, ...]:
        if self._made is None:
            head, tail = self.head, self.tail
            self._made = tuple(head + s + tail for s in self.sources)
        return self._made

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, index):  # type: ignore[no-untyped-def, override]
        return self._names()[index]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __contains__(self, name: object) -> bool:
        head, tail = self.head, self.tail
        if not isinstance(name, str) or len(name) < len(head) + len(tail):
            return False
        middle = name[len(head) : len(name) - len(tail)]
        return name.startswith(head) and name.endswith(tail) and middle in self.sources


class NameChain(_Names):
    """Sequences of names read one after another, as one."""

    __slots__ = ("parts",)

    def __init__(self, parts: Sequence[Sequence[str]]) -> None:
        self.parts = tuple(parts)

    def __len__(self) -> int:
        return sum(map(len, self.parts))

    def __getitem__(self, index):  # type: ignore[no-untyped-def, override]
        return tuple(self)[index]  # rare (the lists read them in order): made whole

    def __iter__(self) -> Iterator[str]:
        return chain.from_iterable(self.parts)


class PatternClaims:
    """Rows of names claimed as patterns (head, sources, tail), and the proof, once every
    other name is claimed, that no name is made twice: two rows' heads differ where the
    shorter ends (then their names differ there), and no name claimed one by one has a
    row's head, a source of its and its tail. Where that does not hold, some name may be
    made twice, and the spec is resolved again with every name made and claimed."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[str, frozenset[str]]]] = {}

    def add(self, head: str, sources: frozenset[str], tail: str) -> None:
        self.rows.setdefault(head, []).append((tail, sources))

    def apart(self, *others: Sequence[str] | set[str] | dict[str, object]) -> bool:
        """Whether every row's names differ from each other's and from every name of
        `others` (the names claimed one by one, the rows made whole)."""
        heads = sorted(self.rows)
        if any(len(self.rows[head]) > 1 for head in heads):  # one head, two rows
            return False
        if any(b.startswith(a) for a, b in pairwise(heads)):
            return False  # one head begins another: a name of each could be the same
        longest = max(map(len, heads), default=0)
        return not any(self._made(name, longest) for names in others for name in names)

    def _made(self, name: str, longest: int) -> bool:
        """Whether a row makes `name` (its head, then a source, then its tail)."""
        for k in range(min(len(name), longest) + 1):  # a head may be empty
            for tail, sources in self.rows.get(name[:k], ()):
                end = len(name) - len(tail)
                if end >= k and name.endswith(tail) and name[k:end] in sources:
                    return True
        return False
