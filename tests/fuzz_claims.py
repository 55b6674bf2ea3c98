"""Claims files for `check`, as hypothesis strategies, for tests/test_fuzz.py.

A claims file maps trace ids to numbers or formulas (README, "Checking slides and hand
calculations"). The ids are the network's own, taken from its trace, so `check` gets as far as
its verdicts; now and then an id is misspelled or unknown. A number is the right value at some
digits, rounded or truncated, or off in its last digit, or huge, past a float (1e309), tiny,
negative zero, thousands of digits. A formula is built from the network's names (valid ones, and
the textbook forms of a loss, an activation's derivative, a delta), or is hostile: nested
deep, huge powers, long sums, names that do not exist, attribute access, calls, comprehensions.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from decimal import ROUND_DOWN, Decimal, localcontext

from hypothesis import strategies as st

FORMULA_KINDS = ("delta", "de_dout", "dout_dnet", "grad", "loss")
FALLBACK_IDS = ("loss", "net[h1]", "out[o1]", "delta[o1]", "grad[w5]", "new[w5]", "loss[o1]")
ODD_IDS = (
    "net[", "", "x" * 200, "grad[w5]@999", "out[o1]@test99", "Loss", "net[h1] ", "@2",
    "loss@epoch0", "loss@epoch99999999999", "out[o1]@trained#0", "out[o1]@trained#99999",
    "new[nope]@trained", "loss@trained#2", "loss@after2",
)  # fmt: skip
FAR_NUMBERS = (
    "1e309", "-1e309", "1.0e+309", "1e-400", "-0.0", "-0", "0", "1" * 5000,
    "0." + "0" * 400 + "1", "1e-99999",
)  # fmt: skip
ODD_VALUES = (
    "true",
    "null",
    "[1, 2]",
    "{a: 1}",
    '""',
    "~",
    ".inf",
    ".nan",
    "0x1F",
    "1_000",
    "'0.5'",
)
HOSTILE_FORMULAS = (
    "((9**10)**10)**10",
    "sigma(" * 70 + "1" + ")" * 70,
    "(" * 200 + "1" + ")" * 200,
    " + ".join(["out_o1"] * 300),
    "(out_o1 + t_1 + out_h1)**10**10",
    "tanh(tanh(tanh(tanh(out_o1))))",
    "exp(exp(exp(exp(1))))",
    "__import__('os').system('true')",
    "out_o1.real",
    "(1).__class__.__bases__",
    "open('/etc/passwd')",
    "[i for i in range(10**9)]",
    "lambda: 1",
    "1 if out_o1 else 2",
    "sigma(1, 2)",
    "sigma(x=1)",
    "log(0) + 1/0",
    "0**-1",
    "1e999 * out_o1",
    "10**-400",
    "sigma(-1e20)",
    "f'{1}'",
    "'abc'",
    "1j",
    "None",
    "...",
    "",
    "x" * 600,
    "out_o1 +",
    "unknown_name * 2",
)
_UNIT = re.compile(r"^(?:net|out)\[([^\],@#]+)\]$")
_PARAM = re.compile(r"^grad\[([^\],@#]+)\]$")
_OUTPUT = re.compile(r"^target\[([^\],@#]+)\]$")


def formula_names(ids: list[str]) -> list[str]:
    """Names a formula may use, from the trace's ids: out_u, net_u, delta_u for every unit,
    every parameter, and t_1, t_u for each output (formula.py lists them all)."""
    units = sorted({m.group(1) for i in ids if (m := _UNIT.match(i))})
    params = sorted({m.group(1) for i in ids if (m := _PARAM.match(i))})
    outputs = sorted({m.group(1) for i in ids if (m := _OUTPUT.match(i))})
    names = [f"{p}_{u}" for u in units for p in ("out", "net", "delta")]
    names += params + [f"t_{u}" for u in outputs] + ["t_1", "t1"]
    return [n for n in names if n.isidentifier()] or ["out_o1", "t_1"]


def formulas(names: list[str]) -> st.SearchStrategy[str]:
    """Formulas from the network's names: + - * /, small powers, exp, log, tanh, sigma."""
    leaves = st.sampled_from([*names, "1", "2", "0.5"])
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.builds("({} {} {})".format, inner, st.sampled_from("+-*/"), inner),
            st.builds("{}({})".format, st.sampled_from(["exp", "log", "tanh", "sigma"]), inner),
            st.builds("({})**{}".format, inner, st.sampled_from(["2", "-1", "(1/2)", "3"])),
        ),
        max_leaves=8,
    )


def textbook(key: str, names: list[str]) -> list[str]:
    """The forms a student writes for this id (right for some losses and activations); those
    with a target only for an output unit."""
    kind, _, rest = key.partition("[")
    unit = rest.split("]")[0].split(",")[0]
    out, t = f"out_{unit}", f"t_{unit}"
    if out not in names:
        return []
    if t not in names:
        return [f"{out}*(1 - {out})", f"1 - {out}**2", "1"] if kind == "dout_dnet" else []
    return {
        "loss": [f"(({t}) - {out})**2/2", f"({t} - {out})**2", f"-{t}*log({out})"],
        "dout_dnet": [f"{out}*(1 - {out})", f"1 - {out}**2", "1"],
        "de_dout": [f"{out} - {t}", f"-({t} - {out})", f"-{t}/{out}"],
        "delta": [f"({out} - {t})*{out}*(1 - {out})", f"{out} - {t}", f"({t} - {out})"],
    }.get(kind, [])


def number_text(draw, value: float) -> str:
    """The claim of a number: right at some digits (rounded or truncated), off by a little in
    the last digit, or far from anything a float holds."""
    if not math.isfinite(value) or draw(st.integers(0, 99)) >= 95:
        return draw(st.sampled_from(FAR_NUMBERS))
    digits = draw(st.integers(0, 15))
    form = draw(st.sampled_from(["round", "truncate", "repr", "off"]))
    if form == "repr":
        return repr(value)
    with localcontext() as exact:
        exact.prec = 1000  # every digit of any float at 15 decimals
        if form == "truncate":
            return f"{Decimal(value).quantize(Decimal(1).scaleb(-digits), ROUND_DOWN):f}"
        shown = f"{value:.{digits}f}"
        if form == "off":
            last = Decimal(draw(st.sampled_from([-2, -1, 1, 3]))).scaleb(-digits)
            shown = f"{Decimal(shown) + last:f}"
    return shown


@st.composite
def claims_files(draw, values: Mapping[str, float]) -> str:
    """A claims file for a network whose trace has `values` (ids to numbers); for a spec that
    does not load, ids of the Dawood network. Most files are well formed, so `check` reaches
    its verdicts: one in ten has one unknown id or a value of the wrong type, one in sixteen a
    hostile formula, one in thirty is not a claims file at all."""
    ids = sorted(values) or list(FALLBACK_IDS)
    trouble = draw(st.integers(0, 99))
    if trouble >= 97:
        return draw(st.sampled_from(["", "- 1\n", "not: [valid\n", "\x00\x01", "a: 1\na: 2\n"]))
    names = formula_names(ids)
    if draw(st.integers(0, 99)) >= 80:  # claims about training: `check` trains the spec
        ids = ids + training_ids(draw, ids)
    claims: dict[str, str] = {}
    for _ in range(draw(st.integers(1, 6))):
        key = draw(st.sampled_from(ids))
        claims[key] = claim_value(draw, key, values.get(key, 0.5), names)
    if trouble >= 87:
        key = draw(st.sampled_from(ids))
        bad_key = draw(st.sampled_from([*ODD_IDS, key[:-1], key.upper(), key + "x"]))
        claims[bad_key] = claims.pop(key, "0.5")
    elif trouble >= 82:
        claims[key] = draw(st.sampled_from(ODD_VALUES))
    elif trouble >= 76:
        claims[key] = json.dumps(draw(st.sampled_from(HOSTILE_FORMULAS)))
    if draw(st.integers(0, 99)) >= 90:
        claims["known_differences"] = '{"new[w5]": {lecture: "0.45", tool: "0.4518"}}'
    return "".join(f"{json.dumps(key)}: {value}\n" for key, value in claims.items())


def training_ids(draw, ids: list[str]) -> list[str]:
    """Ids of a training run's results, made from the trace's own names: the loss at an
    epoch, and when training stopped; a trained parameter; a trained output."""
    found = [f"loss@epoch{draw(st.integers(1, 30))}", "loss@trained"]
    found += [f"new[{m[1]}]@trained" for key in ids if (m := _PARAM.match(key))][:2]
    found += [f"out[{m[1]}]@trained#1" for key in ids if (m := _OUTPUT.match(key))][:2]
    return found


def claim_value(draw, key: str, value: float, names: list[str]) -> str:
    """A number, or for an id with a formula (delta, grad, loss ...) often a formula: a
    textbook form of it, or one built from the network's names."""
    if key.partition("[")[0].partition("@")[0] not in FORMULA_KINDS or draw(st.booleans()):
        return number_text(draw, value)
    forms = textbook(key, names)
    if forms and draw(st.booleans()):
        return json.dumps(draw(st.sampled_from(forms)))
    return json.dumps(draw(formulas(names)))
