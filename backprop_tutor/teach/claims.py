"""A claims file: numbers (or formulas) keyed by trace id, as golden/*.values.yaml holds them.

A number keeps its digits as written ("0.19480" claims five decimals, which a float would lose).
A formula is text such as "t1*(1 - out_o1)", parsed by `formula.py` from Python's ast with a
whitelist: never evaluated; one of numbers alone ("1/2*(0.01 - 0.75136)**2") is worked to the
number it claims (`arithmetic.py`). `known_differences` (annotations in golden files) is not a
claim.
"""

from __future__ import annotations

import difflib
import itertools
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from backprop_tutor.core.errors import SpecError, shortened
from backprop_tutor.core.hand_order import hand_order
from backprop_tutor.core.notation import NOTATIONS, UnitRef, unit_refs
from backprop_tutor.core.trace import Trace, TraceHeader
from backprop_tutor.core.words import counted
from backprop_tutor.spec.yaml_source import YamlSource, claims_role, read_yaml

ANNOTATIONS = {"known_differences"}
# A double's smallest value, 5e-324, has 324 decimals, so no claim about a float needs more;
# NumberFormat's 700-digit context holds any finite float at this many decimals, and quantizing
# to more (a claim such as 1e-99999) would raise instead of answering.
MAX_DECIMALS = 340
_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")
# `0,45187`: YAML reads it as text, which would then be parsed as a formula (a tuple)
_DECIMAL_COMMA = re.compile(r"^[-+]?\d*,\d+$")


@dataclass(frozen=True)
class Claim:
    id: str
    text: str  # as written
    line: int | None
    number: Decimal | None  # None: a formula
    # a claim written as arithmetic of numbers (teach/arithmetic.py), `number` its value at
    # the decimals it was worked to: the value at two decimals more, for the verdict to show
    arithmetic: Decimal | None = None

    @property
    def digits(self) -> int:
        """Decimals as written: 0.19480 → 5, 2.0 → 1, 3 → 0."""
        assert self.number is not None
        return max(0, -self.number.as_tuple().exponent)  # type: ignore[operator]

    @property
    def scientific(self) -> bool:
        """Written in scientific notation to a place left of the point (1.52416e+17, as the
        tables print from 1e16 up), where its decimals say nothing of its precision."""
        return self.number is not None and self.places < 0

    @property
    def places(self) -> int:
        """The place of the last digit written, in decimals: 0.19480 → 5, 3 → 0; in
        scientific notation past the point's left, negative: 1.52416e+17 → −12."""
        assert self.number is not None
        return -self.number.as_tuple().exponent  # type: ignore[operator]

    @property
    def precision(self) -> str:
        """How finely it is written, in words: '5 decimals', or '6 figures' in scientific
        notation (where its decimals say nothing)."""
        if self.scientific:
            return counted(len(self.number.as_tuple().digits), "figure")  # type: ignore[union-attr]
        return counted(self.digits, "decimal")

    @property
    def is_formula(self) -> bool:
        return self.number is None


# kind[inside], then `@N` (step N > 1), `@testK` (test example K, after every step) or
# `@after` (the steps' own example again, after the last update); then `#k`, example k of the
# step's batch
_ID = re.compile(r"^(\w+)(?:\[([^\]]*)\])?(?:@(?:(\d+)|test(\d+)|(after)))?(?:#(\d+))?$")
BATCH_KINDS = ("old", "new")  # a batch's own, never an example's


@dataclass(frozen=True)
class TraceId:
    """A trace id's parts: `grad[w5]@2` is kind grad, inside w5, step 2; `out[y1]@test1` is
    test example 1, predicted after every step (`test` set, `step` 0), and `loss@after` the
    steps' own example predicted so (`after`, `step` 0). An id of a shape this module does not
    know (`known` false) still gets the verdicts that need no recomputing."""

    key: str
    kind: str
    inside: str = ""
    step: int = 1
    test: int | None = None
    known: bool = True
    after: bool = False
    example: int | None = None  # k of `#k`: example k of the step's batch

    @property
    def predicted(self) -> bool:
        """A prediction after every step (a test, or the example again), not a step's own."""
        return self.test is not None or self.after

    @property
    def suffix(self) -> str:
        """What every id of this id's step ends with: "" for step 1, "@N" after."""
        return "" if self.step <= 1 else f"@{self.step}"

    def at(self, kind: str, inside: str | None = None) -> str:
        """The id of another quantity of the same step (and example): `at("old", "w5")` is
        `old[w5]@2`; `at("dnet_dparam", "b2")` of example 1 is `dnet_dparam[b2]@2#1`."""
        mark = f"#{self.example}" if self.example and kind not in BATCH_KINDS else ""
        return (f"{kind}[{inside}]" if inside else kind) + self.suffix + mark

    def step_key(self, step: int) -> str:
        """This quantity's id at another step (`grad[w5]@3` for step 3, `grad[w5]` for 1;
        an example's keeps its `#k`)."""
        base = self.key.split("@")[0].split("#")[0]
        mark = f"#{self.example}" if self.example else ""
        return (base if step == 1 else f"{base}@{step}") + mark


def parse_id(key: str) -> TraceId:
    """The parts of a trace id; never raises (an unknown shape is `known` false)."""
    found = _ID.match(key)
    if not found:
        return TraceId(key, key, known=False)
    kind, inside, step, test, after, example = found.groups()
    if test is not None:
        return TraceId(key, kind, inside or "", 0, int(test), known=example is None)
    if after:
        return TraceId(key, kind, inside or "", 0, after=True, known=example is None)
    number = int(example) if example else None
    return TraceId(key, kind, inside or "", int(step) if step else 1, example=number)


def load_claims(
    path: Path,
    known: set[str],
    aliases: Mapping[str, str] | None = None,
    also: Callable[[str], bool] | None = None,
    spec: str = "SPEC",
) -> list[Claim]:
    """Every claim of the file, by trace id (a label the tables print, or a common spelling
    in `aliases`, is read as its id; `also` accepts ids of a pattern too many to list, such
    as `loss@epoch9999`). Unknown ids are one SpecError naming all of them, each with its
    closest ids; a value that is neither a number nor text, one at its line. `spec` names the
    spec file in the fixes (`run SPEC --claims-template FILE` writes a claims file)."""
    aliases = aliases or {}
    source = read_yaml(path, claims_role(spec, path))
    if not isinstance(source.data, dict):
        raise source.error(
            (),
            "a claims file is a mapping of trace ids to numbers or formulas",
            "write lines such as 'new[w5]: 0.45187'",
        )
    claims = []
    listed = known | ANNOTATIONS
    ids = {str(k): _read_as(str(k), aliases) for k in source.data}  # a label printed: its id
    unknown = [k for k, i in ids.items() if i not in listed and not (also and also(i))]
    if unknown:
        raise _unknown(source, unknown, known, aliases)
    for key, value in source.data.items():
        key = str(key)
        if key in ANNOTATIONS or value is None:  # a claims template's line left empty
            continue
        line = source.locate((key,))[0]
        written, key = key, ids[key]
        twice = next((c for c in claims if c.id == key), None)
        if twice:
            raise source.error(
                (written,),
                f"{written} claims {key} again (line {twice.line} did)",
                "keep one claim for each quantity",
            )
        claims.append(_claim(source, written, key, value, line))
    if not claims:
        raise SpecError(
            str(path), "the file holds no claims", "write lines such as 'new[w5]: 0.45187'"
        )
    return claims


def _claim(source: YamlSource, written: str, key: str, value: object, line: int) -> Claim:
    """One line's claim: a number as written (kept exact, as Decimal) or a formula's text; a
    value that is neither is an error at its line."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise source.error(
            (written,),
            f"the claim for {key} is not a number or a formula",
            "write a number such as 0.45187, or a formula in quotes",
        )
    text = source.scalars.get((written,), str(value)).strip()
    if _NUMBER.match(text):
        problem = unusable(text)
        if problem:
            raise source.error((written,), problem, "write an ordinary number such as 0.45187")
        return Claim(key, text, line, Decimal(text))
    if isinstance(value, str):
        if _DECIMAL_COMMA.match(text):
            raise source.error(
                (written,),
                f"'{shortened(text)}' looks like a number written with a decimal comma",
                f"write {text.replace(',', '.')}, with a decimal point",
            )
        return Claim(key, text, line, None)
    raise source.error(
        (written,),
        f"'{shortened(text)}' is not a finite number",
        "write an ordinary number such as 0.5",
    )


def unusable(text: str) -> str:
    """Why a number as written cannot be a claim ("" when it can): a float overflows past
    1.8e308 to inf, which the Decimal as written hides (Decimal('1e309') is finite)."""
    number = Decimal(text)  # the pattern admits only decimals, so this cannot fail
    if not math.isfinite(float(number)):
        return f"'{shortened(text)}' is not a finite number (a float reaches about 1.8e308)"
    if -number.as_tuple().exponent > MAX_DECIMALS:  # type: ignore[operator]
        return f"'{shortened(text)}' has more than {MAX_DECIMALS} decimals, more than a float holds"
    return ""


def _read_as(key: str, aliases: Mapping[str, str]) -> str:
    """The id a claim's key names: itself, or the id of a label the tables print, with the
    step, pass or example it is written at (`output_h1@after` is out[h1]@after, `new_w5@2`
    new[w5]@2)."""
    if key in aliases:
        return aliases[key]
    label, mark, at = key.partition("@") if "@" in key else key.partition("#")
    return f"{aliases[label]}{mark}{at}" if mark and label in aliases else key


def _unknown(source, unknown: list[str], known: set[str], aliases: Mapping[str, str]):
    """Every unknown id at once, each with the ids (or labels) closest to it."""
    options = sorted(known | aliases.keys())
    named = []
    for key in unknown:
        close = difflib.get_close_matches(key, options, n=3, cutoff=0.6)
        if f"old[{key}]" in known:  # a bare parameter: before or after the update?
            close = [f"old[{key}]", f"new[{key}]"]
        ids = list(dict.fromkeys(aliases.get(c, c) for c in close))
        named.append((f"'{shortened(key)}'", f" (did you mean {' or '.join(ids)}?)" if ids else ""))
    if len(unknown) == 1:
        problem = f"{named[0][0]} is not a trace id of this network{named[0][1]}"
    else:
        listed = ", ".join(key + mean for key, mean in named)
        problem = f"{len(unknown)} ids are not trace ids of this network: {listed}"
    fix = "see the README's list of ids, or `run --format json` for every id"
    return source.error((unknown[0],), problem, fix, at_key=True)


def claim_aliases(header: TraceHeader, parameters: Iterable[str]) -> dict[str, str]:
    """What a student writes for an id: the labels the tables print in the spec's notation
    (E_total, sum_o1, output_h1, E_o1), and common spellings of a parameter's update and
    gradient (new_w5, w5_new, w5+, dE/dw5, ∂E/∂w5, grad_w5)."""
    notation = NOTATIONS[header.notation]
    found: dict[str, str] = {notation.error: "loss"}
    refs = unit_refs(header.layers)
    for unit, ref in refs.items():
        if ref.layer == 0:
            continue
        found[notation.net(ref)] = f"net[{unit}]"
        found[notation.out(ref)] = f"out[{unit}]"
        if ref.is_output:
            found[notation.unit_error(ref)] = f"loss[{unit}]"
        elif ref.layer == len(header.layers) - 2:  # the error of one output reaching it
            for k in header.layers[-1]:
                for spelling in _share_spellings(notation, ref, refs[k]):
                    found[spelling] = f"de_dout[{unit},{k}]"
    for p in parameters:
        for spelling in (f"new_{p}", f"{p}_new", f"{p}+", f"{p}'", f"{p}(new)"):
            found[spelling] = f"new[{p}]"
        for spelling in (
            f"dE/d{p}",
            f"∂E/∂{p}",
            f"dE_d{p}",
            f"grad_{p}",
            f"d{notation.error}/d{p}",
            f"∂{notation.error}/∂{p}",  # as the tables and the claims template write it
        ):
            found[spelling] = f"grad[{p}]"
        found[f"old_{p}"] = f"old[{p}]"
    return found


def _share_spellings(notation, unit: UnitRef, output: UnitRef) -> Iterator[str]:
    """How a lecture writes the error of one output reaching a unit of the last hidden layer:
    Mazur's ∂E_o1/∂out_h1, in the notation's symbols or the generic ones."""
    errors = dict.fromkeys((notation.unit_error(output), f"E_{output.name}"))
    outs = dict.fromkeys((notation.out(unit), f"out_{unit.name}"))
    for error, out in itertools.product(errors, outs):
        yield from (f"∂{error}/∂{out}", f"d{error}/d{out}")


def claimable_order(
    trace: Trace, rules: Mapping[str, object], givens_again: bool = True
) -> list[str]:
    """Every id a claims file may hold, in hand-calculation order (core/hand_order.py): each
    prediction (a test example, the example again after the update) in the order its forward
    pass finds its numbers, with those inside it that the trace records only through its rules
    (net[h1]@after, out[h1]@after, loss[o1]@after), and its givens (inputs and targets) unless
    not `givens_again`; check and the claims template read the same order."""
    order = hand_order(trace)
    steps = [key for key in order if not parse_id(key).predicted]
    predicted = [key for key in rules if parse_id(key).predicted]
    if not givens_again:
        predicted = [key for key in predicted if parse_id(key).kind not in ("input", "target")]
    return list(dict.fromkeys([*steps, *predicted, *order]))
