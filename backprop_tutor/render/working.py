"""A rule with its numbers plugged in, as a hand calculation writes it: `0.6 × 0.15 + 0.35`.

The working of any quantity comes from its rule (core/rules.py), so every quantity has one and
it always shows what the number was computed from; the activation and loss entries supply their
own textbook forms (`out(1 − out)`, `½(t − o)²`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from backprop_tutor.core.activations import of_layer
from backprop_tutor.core.losses import LOSSES
from backprop_tutor.core.numbers import setting_text
from backprop_tutor.core.optimizers import OPTIMIZERS
from backprop_tutor.core.regularizers import REGULARIZERS
from backprop_tutor.core.rules import Rule

Format = Callable[[float], str]


def working(rule: Rule, values: Mapping[str, float], n: Format) -> str:
    """The right-hand side of `rule` with the values of its inputs, formatted by `n`."""
    x = [values[key] for key in rule.inputs]
    return WRITERS[rule.op](rule, x, n)


def _signed(terms: list[tuple[float, str]]) -> str:
    """c₁·a + c₂·b ... with the signs written once: `a − 0.5 × b`."""
    text = ""
    for k, (c, term) in enumerate(terms):
        sign = "−" if c < 0 else "+"
        text += (f" {sign} " if k else ("−" if c < 0 else "")) + term
    return text


def _scaled(c: float, v: float, n: Format) -> tuple[float, str]:
    """c·v as a signed term: `0.35`, `− 0.1` (a negative value's sign folded into the sum's),
    `0.5 × (−0.02)` (a coefficient shows the value as it is)."""
    if abs(c) == 1:
        return c * (-1 if v < 0 else 1), n(abs(v))
    return c, f"{n(abs(c))} × {bracketed(n(v))}"


def bracketed(text: str) -> str:
    """A negative number in brackets, as a product or a sum writes it: 0.7 × (−0.02929)."""
    return f"({text})" if text.startswith(("-", "−")) else text


def _weighted_sum(rule: Rule, x: list[float], n: Format) -> str:
    """The terms with their numbers; a term a mistake zeroes (momentum left out) not written."""
    terms = [_scaled(c, v, n) for c, v in zip(rule.coefficients, x, strict=True) if c]
    return _signed(terms) if terms else "0"


def _dot(rule: Rule, x: list[float], n: Format) -> str:
    pairs = len(x) - len(rule.coefficients)
    products = [
        (1.0, f"{bracketed(n(x[i]))} × {bracketed(n(x[i + 1]))}") for i in range(0, pairs, 2)
    ]
    rest = [_scaled(c, v, n) for c, v in zip(rule.coefficients, x[pairs:], strict=True)]
    return _signed(products + rest)


def _activation(rule: Rule, x: list[float], n: Format) -> str:
    if len(x) == 1:
        return f"{rule.function}({n(x[0])})"
    return f"e^{bracketed(n(x[rule.at[0]]))} / Σ_j e^net_j"  # softmax over the layer


def _activation_derivative(rule: Rule, x: list[float], n: Format) -> str:
    return of_layer(rule.function, rule.alpha).working(n(x[1]))


def _dropout(rule: Rule, x: list[float], n: Format) -> str:
    """σ(net) × mask: `sigmoid(0.41) × 2`; a forgotten scaling's × 0.5 written out."""
    net, mask = x
    scaled = "" if rule.coefficients[1] == 1 else f" × {setting_text(rule.coefficients[1])}"
    return f"{rule.function}({n(net)}) × {n(mask)}{scaled}"


def _dropout_derivative(rule: Rule, x: list[float], n: Format) -> str:
    net, mask = x
    return f"{rule.function}′({n(net)}) × {n(mask)}"


def _jacobian(rule: Rule, x: list[float], n: Format) -> str:
    j, k = rule.at
    z_j, z_k = n(x[j]), n(x[k])
    return f"{z_j} × (1 − {z_k})" if j == k else f"−{bracketed(z_j)} × {bracketed(z_k)}"


def _loss(template: str) -> Callable[[Rule, list[float], Format], str]:
    def write(rule: Rule, x: list[float], n: Format) -> str:
        form = getattr(LOSSES[rule.function], template)
        return form.format(target=n(x[0]), out=n(x[1]))

    return write


def _optimizer(rule: Rule, x: list[float], n: Format) -> str:
    """An optimizer's formula with its numbers in place of its symbols, the longest symbol
    first (m(previous) before m, m̂ before m): `0.9 × 0 + (1 − 0.9)·0.0802`."""
    entry = OPTIMIZERS[rule.function]
    quantity = entry.quantities[rule.at[0]]
    lr, t, *hyper = rule.coefficients[: 2 + len(entry.hyper)]
    numbers = {
        entry.label(read): bracketed(n(v)) for read, v in zip(quantity.reads, x, strict=True)
    }
    numbers.update({"η": _setting(lr), "ᵗ": f"^{int(t)}"})
    symbols = entry.symbols or {}
    numbers.update(
        {
            symbols.get(key, key): _setting(value)
            for key, value in zip(entry.hyper, hyper, strict=True)
        }
    )
    text = quantity.mistakes[rule.at[1]][1] if len(rule.at) > 1 else quantity.text
    for symbol in sorted(numbers, key=len, reverse=True):
        text = text.replace(symbol, numbers[symbol])
    return text


def _setting(value: float) -> str:
    """A setting in a formula's working: 0.9, or a fraction in brackets, −(1/3)·0.08."""
    text = setting_text(value)
    return f"({text})" if "/" in text else text


def _regularizer(rule: Rule, x: list[float], n: Format) -> str:
    """A penalty's decay or g with its numbers in: `0.1·0.15` for λ·old."""
    entry = REGULARIZERS[rule.function]
    quantity = entry.quantities[rule.at[0]]
    text = quantity.mistakes[rule.at[1]][1] if len(rule.at) > 1 else quantity.text
    text = text.replace("λ", _setting(rule.coefficients[0]))
    for read, v in sorted(zip(quantity.reads, x, strict=True), key=lambda rv: -len(rv[0])):
        text = text.replace(entry.label(read), bracketed(n(v)))
    return text


def _variance(rule: Rule, x: list[float], n: Format) -> str:
    """σ² = Σ (net − μ)² / N with its numbers: `((0.16 − 0.1533)² + ...) / 3`."""
    mean, *nets = x
    squares = " + ".join(f"({n(v)} − {bracketed(n(mean))})²" for v in nets)
    return f"({squares}) / {_count(len(nets), rule)}"


def _count(examples: int, rule: Rule) -> str:
    """A variance's divisor: N, or N − 1 in the mistake that takes the sample's."""
    return setting_text(examples - (rule.coefficients[0] if rule.coefficients else 0.0))


def _normalize(rule: Rule, x: list[float], n: Format) -> str:
    net, mean, var = x
    epsilon = setting_text(rule.coefficients[0])
    return f"({n(net)} − {bracketed(n(mean))}) / √({n(var)} + {epsilon})"


def _running(rule: Rule, terms: list[str]) -> str:
    """(1 − m)·before + m·batch, and for the variance × N/(N − 1), with `terms` (ids or
    numbers) for before and the batch's."""
    m, count, var = rule.coefficients
    unbiased = f"·{int(count)}/{int(count) - 1}" if var else ""
    keep = setting_text(round(1 - m, 12))  # 1 − 0.9 as 0.1, not 0.09999999999999998
    return f"{keep}·{terms[0]} + {setting_text(m)}·{terms[1]}{unbiased}"


def _batch_norm_delta(rule: Rule, x: list[float], n: Format) -> str:
    return _short_form(rule, [bracketed(n(v)) for v in x])


def _short_form(rule: Rule, terms: list[str]) -> str:
    """δ = γ/(N·√(σ² + ε)) · (N·∂E/∂y − Σ ∂E/∂y − x̂·Σ ∂E/∂y·x̂) with `terms` (ids or numbers)
    in place of its symbols; the mistake that leaves out the terms through μ and σ² as
    γ·∂E/∂y / √(σ² + ε)."""
    gamma, var, xhat, dy, sum_dy, sum_dy_xhat = terms
    count, epsilon = int(rule.coefficients[0]), setting_text(rule.coefficients[1])
    if rule.coefficients[2:3] == (0.0,):
        return f"{gamma} × {dy} / √({var} + {epsilon})"
    return (
        f"{gamma} / ({count} × √({var} + {epsilon})) × ({count} × {dy} − {sum_dy} − "
        f"{xhat} × {sum_dy_xhat})"
    )


_UPDATES: dict[str, dict] = {"optimizer": OPTIMIZERS, "regularizer": REGULARIZERS}

WRITERS: dict[str, Callable[[Rule, list[float], Format], str]] = {
    "optimizer": _optimizer,
    "regularizer": _regularizer,
    "const": lambda rule, x, n: n(rule.coefficients[0]),
    "weighted_sum": _weighted_sum,
    "dot": _dot,
    "product": lambda rule, x, n: " × ".join(bracketed(n(v)) for v in x),
    "activation": _activation,
    "activation_derivative": _activation_derivative,
    "dropout": _dropout,
    "dropout_derivative": _dropout_derivative,
    "jacobian": _jacobian,
    "variance": _variance,
    "normalize": _normalize,
    "mean": lambda rule, x, n: f"({' + '.join(bracketed(n(v)) for v in x)}) / {len(x)}",
    "running": lambda rule, x, n: _running(rule, [bracketed(n(v)) for v in x]),
    "batch_norm_delta": _batch_norm_delta,
    "loss_term": _loss("formula"),
    "loss_derivative": _loss("derivative_formula"),
}


def formula(rule: Rule, name: Callable[[str], str] = str) -> str:
    """The rule with names in place of numbers: `de_dout[o1] × dout_dnet[o1]`, or with `name`
    the notation's (`∂E_total/∂output_o1 × ∂output_o1/∂sum_o1`)."""
    ids = [name(key) for key in rule.inputs]
    if rule.op in ("weighted_sum", "dot"):
        pairs = len(ids) - len(rule.coefficients) if rule.op == "dot" else 0
        terms = [(1.0, f"{ids[i]} × {ids[i + 1]}") for i in range(0, pairs, 2)]
        for c, key in zip(rule.coefficients, ids[pairs:], strict=True):
            if c:  # a term a mistake zeroes is not written
                terms.append((c, key if abs(c) == 1 else f"{setting_text(abs(c))} × {key}"))
        return _signed(terms) if terms else "0"
    if rule.op == "product":
        return " × ".join(ids)
    if rule.op == "const":
        return f"{setting_text(rule.coefficients[0])}"
    if rule.op in _UPDATES:  # m = β₁·m(previous) + (1 − β₁)·g; decay = λ·old
        entry = _UPDATES[rule.op][rule.function]
        quantity = entry.quantities[rule.at[0]]
        text = quantity.mistakes[rule.at[1]][1] if len(rule.at) > 1 else quantity.text
        named = ", ".join(
            f"{entry.label(read)} = {key}" for read, key in zip(quantity.reads, ids, strict=True)
        )
        return f"{text} (with {named})"
    if rule.op == "variance":
        return f"Σ ({', '.join(ids[1:])} − {ids[0]})² / {_count(len(ids) - 1, rule)}"
    if rule.op == "normalize":
        return f"({ids[0]} − {ids[1]}) / √({ids[2]} + {setting_text(rule.coefficients[0])})"
    if rule.op == "batch_norm_delta":
        return _short_form(rule, ids)
    if rule.op == "running":
        return _running(rule, ids)
    if rule.op == "mean":
        return f"({' + '.join(ids)}) / {len(ids)}"
    prime = "′" if "derivative" in rule.op else ""
    if rule.op.startswith("dropout"):  # σ(net) × mask
        return f"{rule.function}{prime}({ids[0]}) × {ids[1]}"
    return f"{rule.function}{prime}({', '.join(ids)})"
