"""A claims file: numbers (or formulas) keyed by trace id, as golden/*.values.yaml holds them.

A number keeps its digits as written ("0.19480" claims five decimals, which a float would lose).
A formula is text such as "t1*(1 - out_o1)", parsed by `formula.py` from Python's ast with a
whitelist: never evaluated. `known_differences` (annotations in golden files) is not a claim.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .errors import SpecError
from .yaml_source import read_yaml

ANNOTATIONS = {"known_differences"}
_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


@dataclass(frozen=True)
class Claim:
    id: str
    text: str  # as written
    line: int | None
    number: Decimal | None  # None: a formula

    @property
    def digits(self) -> int:
        """Decimals as written: 0.19480 → 5, 2.0 → 1, 3 → 0."""
        assert self.number is not None
        return max(0, -self.number.as_tuple().exponent)  # type: ignore[operator]

    @property
    def is_formula(self) -> bool:
        return self.number is None


def load_claims(path: Path, known: set[str]) -> list[Claim]:
    """Every claim of the file; an unknown id or a value that is neither a number nor text
    is a SpecError at its line, with the closest id."""
    source = read_yaml(path)
    if not isinstance(source.data, dict):
        raise source.error(
            (),
            "a claims file is a mapping of trace ids to numbers or formulas",
            "write lines such as 'new[w5]: 0.45187'",
        )
    claims = []
    for key, value in source.data.items():
        key = str(key)
        if key in ANNOTATIONS:
            continue
        line = source.locate((key,))[0]
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise source.error(
                (key,),
                f"'{key}' is not a trace id of this network",
                f"{hint}see the README's list of ids",
            )
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise source.error(
                (key,),
                f"the claim for {key} is not a number or a formula",
                "write a number such as 0.45187, or a formula in quotes",
            )
        text = source.scalars.get((key,), str(value)).strip()
        if _NUMBER.match(text):
            try:
                number = Decimal(text)
            except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
                number = None
            if number is not None and not number.is_finite():
                raise source.error((key,), f"'{text}' is not a finite number", "write a number")
            claims.append(Claim(key, text, line, number))
        elif isinstance(value, str):
            claims.append(Claim(key, text, line, None))
        else:
            raise source.error(
                (key,), f"'{text}' is not a finite number", "write an ordinary number such as 0.5"
            )
    if not claims:
        raise SpecError(
            str(path), "the file holds no claims", "write lines such as 'new[w5]: 0.45187'"
        )
    return claims
