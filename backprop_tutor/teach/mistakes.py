"""The mistakes students make in one quantity's rule, each written as the rule they used.

`check` evaluates each on the student's own numbers (teach/check.py); a new named mistake of
one quantity is one more `yield` here, with a case in tests/data/claims/.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace

from backprop_tutor.core.activations import ACTIVATIONS, of_layer
from backprop_tutor.core.losses import LOSSES
from backprop_tutor.core.optimizers import OPTIMIZERS
from backprop_tutor.core.regularizers import REGULARIZERS
from backprop_tutor.core.rules import Rule

LEFT_OUT = "the update left out (new = old)"
MISSING_SLOPE = "a missing dout/dnet factor"
DECAYED_BIAS = "the decay applied to a bias (biases are not decayed: decay_biases is false)"


class AtUnit(str):
    """A named mistake in the words that say the unit or parameter it was made at ('a
    missing dout/dnet factor at o1', 'the gradient of b1 taken as 0'), holding the mistake
    itself (`mistake`: 'a missing dout/dnet factor'): the slip made at two units is one
    mistake, counted once (teach/verdicts.mistakes), as it is where the quantity that shows
    it has no unit to name (delta[o1], delta[o2])."""

    mistake: str

    def __new__(cls, mistake: str, words: str) -> AtUnit:
        named = super().__new__(cls, words)
        named.mistake = mistake
        return named


# an updated weight read into a hidden unit's error, the mistake at whichever weight it is
# made (the same slip at w5 and at w7 is one)
UPDATED_WEIGHT = "an updated weight instead of the original in Σ w δ"


def mistake_of(name: str) -> str:
    """The mistake a name says, without the unit it names (AtUnit)."""
    return name.mistake if isinstance(name, AtUnit) else name


def mistaken_rules(
    kind: str,
    rule: Rule,
    neighbours: Mapping[str, tuple[str, ...]] | None = None,
    rules: Mapping[str, list[Rule]] | None = None,
) -> Iterator[tuple[str, Rule]]:
    """The mistakes students make in one quantity's rule, each as the rule they used;
    `neighbours` gives each weight the other weights of its layer (a wrong edge's); `rules`,
    every quantity's, lets a new weight claimed without its Δ be judged through Δ's rule."""
    yield from _update_mistakes(kind, rule, rules or {})
    if rule.op == "dropout":  # the kept output not scaled by 1/(1 − rate)
        yield (
            "dropout's scaling forgotten (a kept output not divided by 1 − rate)",
            replace(rule, coefficients=(rule.coefficients[0],) * 2),
        )
    yield from _batch_norm_mistakes(rule)
    if rule.op == "activation_derivative":  # dout/dnet of an elementwise activation
        yield from _slope_mistakes(rule)
    if kind == "delta" and rule.op == "product":  # de_dout × dout_dnet
        yield MISSING_SLOPE, replace(rule, inputs=rule.inputs[:1])
    if kind == "delta" and rule.op == "dot":  # Σ_j dE/dout_j · dout_j/dnet_u: a Jacobian's
        yield from _diagonal_only(rule, rules or {})
    if kind == "dy" and rule.op == "product":  # batch normalization's de_dout × dout_dy
        yield "a missing ∂out/∂y factor (∂E/∂y = ∂E/∂out)", replace(rule, inputs=rule.inputs[:1])
    if kind == "grad" and rule.op == "product" and rule.inputs[0].startswith("delta["):
        yield _delta_as_de_dout(rule, rules or {})
    if kind == "de_dout" and rule.op in ("dot", "product"):  # Σ w δ over the units it feeds
        yield from _sent_back_mistakes(rule, neighbours or {})
    if kind in ("loss", "de_dout") and rule.function in LOSSES:
        mistaken = LOSSES[rule.function].mistaken_for
        if mistaken:
            yield mistaken[1], replace(rule, function=mistaken[0])
    if kind == "out" and len(rule.inputs) == 1:  # a and z swapped: the net input written
        yield (
            "the net input written as the output (net and out swapped)",
            Rule(rule.key, "weighted_sum", rule.inputs, (1.0,)),
        )


def _diagonal_only(rule: Rule, rules: Mapping[str, list[Rule]]) -> Iterator[tuple[str, Rule]]:
    """A delta through a Jacobian (softmax's) worked with its own output's term alone, as if
    the activation were elementwise: Xu's δ_k = t_k(1 − z_k) under cross-entropy, the other
    outputs' terms dropped; named by the activation's own working of that term."""
    pairs = list(zip(rule.inputs[::2], rule.inputs[1::2], strict=True))
    own = [(de, entry) for de, entry in pairs if "," not in _inside(entry)]
    entry_rules = rules.get(own[0][1], ()) if len(own) == 1 and len(pairs) > 1 else ()
    if entry_rules and entry_rules[0].op == "jacobian":
        diagonal = of_layer(entry_rules[0].function, entry_rules[0].alpha).working("out")
        name = f"its own output's term alone, {diagonal}: the other outputs' terms dropped"
        yield name, Rule(rule.key, "product", own[0], rounded=rule.rounded)


def _batch_norm_mistakes(rule: Rule) -> Iterator[tuple[str, Rule]]:
    """Batch normalization's slips: the sample's variance, the running statistics' momentum
    the wrong way round or without N/(N − 1), δ through y alone."""
    if rule.op == "variance":  # batch normalization's σ² with the sample's N − 1
        yield (
            "the unbiased variance (÷ N − 1) in place of the batch's (÷ N)",
            replace(rule, coefficients=(1.0,)),
        )
    if rule.op == "running":  # a running statistic: (1 − m)·before + m·batch
        m, count, var = rule.coefficients
        yield (
            "the momentum the wrong way round (m·before + (1 − m)·the batch's)",
            replace(rule, coefficients=(1 - m, count, var)),
        )
        if var:
            yield (
                "the batch's biased σ² in the running σ² (× N/(N − 1) left out)",
                replace(rule, coefficients=(m, count, 0.0)),
            )
    if rule.op == "batch_norm_delta":  # δ through y alone
        yield (
            "the terms through μ and σ² left out (δ = γ·∂E/∂y / √(σ² + ε))",
            replace(rule, coefficients=(*rule.coefficients[:2], 0.0)),
        )


def _sent_back_mistakes(
    rule: Rule, neighbours: Mapping[str, tuple[str, ...]]
) -> Iterator[tuple[str, Rule]]:
    """Σ w δ with a weight the update already changed, or a wrong edge's weight."""
    for k in range(0, len(rule.inputs), 2):
        weight = rule.inputs[k]
        if weight.startswith("old["):
            name = weight.partition("[")[2].partition("]")[0]
            inputs = list(rule.inputs)
            inputs[k] = "new" + weight[3:]
            said = f"the updated {name} instead of the original"
            yield AtUnit(UPDATED_WEIGHT, said), replace(rule, inputs=tuple(inputs))
        yield from _wrong_edges(rule, k, neighbours.get(_inside(weight), ()))


def mistaken_slopes(
    kind: str, rule: Rule, rules: Mapping[str, list[Rule]]
) -> Iterator[tuple[str, Rule]]:
    """A delta de_dout × dout_dnet worked with a slipped slope the student did not write
    down: (the delta's name for it, the slope's rule as used), each slip of dout/dnet's own
    (`_slope_mistakes`), named as in δ (check multiplies it by de_dout: teach/variants.py)."""
    if kind != "delta" or rule.op != "product" or len(rule.inputs) != 2:
        return
    slope = rules.get(rule.inputs[1], ())
    if slope and slope[0].op == "activation_derivative":
        at = _inside(rule.key)
        for name, used in _slope_mistakes(slope[0]):
            yield AtUnit(name, f"{name}, in dout/dnet at {at}"), used


def _slope_mistakes(rule: Rule) -> Iterator[tuple[str, Rule]]:
    """dout/dnet as students get it wrong, read off the activation registry alone (each
    named by the entries' own working): a slope written in out (sigmoid's out(1 − out),
    tanh's 1 − out²) worked on net instead (0.47 × (1 − 0.47) for σ′ at net 0.47); out
    itself copied as the slope; and another elementwise activation's slope worked on this
    unit's numbers (tanh's 1 − out² on a sigmoid unit). The copy comes before the other
    activations: on a sigmoid unit softplus's σ(net) is out, and a student who copied out
    used no softplus (a σ(net) worked from a net that is not out's is still softplus's). A
    slope not written in out (ReLU's, softplus's σ(net)) has no first slip; softmax's is no
    elementwise slope, its delta reads the Jacobian."""
    own = of_layer(rule.function, rule.alpha)
    on_net, on_out = own.working("net"), own.working("out")
    if on_net != on_out:
        name = f"the derivative taken of net instead of out ({on_net}, not {on_out})"
        yield name, replace(rule, inputs=(rule.inputs[0], rule.inputs[0]))
    out = rule.inputs[1]  # (net, out)
    copied = Rule(rule.key, "weighted_sum", (out,), (1.0,), rounded=rule.rounded)
    yield f"out in place of the derivative {on_out}", copied
    for other, entry in ACTIVATIONS.items():
        if other != rule.function and entry.elementwise:
            name = f"{other}'s derivative used for {rule.function} ({entry.working('out')})"
            yield name, replace(rule, function=other, alpha=None)


def _delta_as_de_dout(rule: Rule, rules: Mapping[str, list[Rule]]) -> tuple[AtUnit, Rule]:
    """δ × dnet/dparam with dE/dout in δ's place: σ′ left out, or under batch normalization
    the activation's slope and the whole normalization's backward pass."""
    unit = rule.inputs[0].replace("delta[", "de_dout[", 1)
    at = unit.partition("[")[2].partition("]")[0]
    delta = rules.get(rule.inputs[0], ())
    if delta and delta[0].op == "batch_norm_delta":
        left_out = "(∂out/∂y and the batch normalization left out)"
        name = AtUnit(f"δ taken as ∂E/∂out {left_out}", f"δ at {at} taken as ∂E/∂out {left_out}")
    else:
        name = AtUnit(MISSING_SLOPE, f"{MISSING_SLOPE} at {at}")
    return name, replace(rule, inputs=(unit, *rule.inputs[1:]))


def _update_mistakes(
    kind: str, rule: Rule, rules: Mapping[str, list[Rule]]
) -> Iterator[tuple[str, Rule]]:
    """An update's slips: the update left out (first: a coarse claim is told from it, and
    nothing is likelier to be written), gradient descent's (sign, η) in new and in momentum's
    Δ, the change subtracted, an optimizer's or a penalty's own named mistakes, the decay on
    a bias."""
    if kind == "new" and rule.op == "weighted_sum" and rule.inputs[0].startswith("old["):
        # the update never made: the weight left as it was (old + anything)
        yield LEFT_OUT, replace(rule, inputs=rule.inputs[:1], coefficients=(1.0,), at=())
    if kind == "new" and rule.inputs[1:2] and rule.inputs[1].startswith("change["):
        yield "the change's sign (new = old − Δ)", replace(rule, coefficients=(1.0, -1.0))
        change = rules.get(rule.inputs[1], ())
        if change and _descent(change[0]):  # momentum's Δ, written into new: old + (−η·g …)
            inputs = (rule.inputs[0], *change[0].inputs)
            for name, c in _descent_slips(change[0].coefficients, "new = old"):
                yield name, Rule(rule.key, "weighted_sum", inputs, (1.0, *c))
    elif kind == "new" and len(rule.coefficients) > 1:  # old − η grad
        for name, c in _descent_slips(rule.coefficients[1:], "new = old"):
            yield name, replace(rule, coefficients=(rule.coefficients[0], *c))
    if kind == "change" and _descent(rule):  # momentum's −η·g + α·Δ(previous)
        yield from (
            (n, replace(rule, coefficients=c)) for n, c in _descent_slips(rule.coefficients, "Δ =")
        )
    if rule.op in ("optimizer", "regularizer"):  # the entry's own: Adam without its bias
        # correction, the decay left out of g
        entry = (OPTIMIZERS if rule.op == "optimizer" else REGULARIZERS)[rule.function]
        for k, (name, _, _) in enumerate(entry.quantities[rule.at[0]].mistakes):
            yield name, replace(rule, at=(rule.at[0], k))
    if rule.op == "optimizer":
        yield from _decayed_anyway(OPTIMIZERS[rule.function], rule)
    if rule.op == "regularizer" and rule.coefficients[0] != rule.coefficients[1]:
        yield (
            DECAYED_BIAS,
            replace(rule, coefficients=(rule.coefficients[1],) * 2),
        )


def _descent(rule: Rule) -> bool:
    """A gradient step's rule, −η·grad (+ α·Δ(previous), momentum's): its slips apply."""
    return rule.op == "weighted_sum" and rule.inputs[0].startswith("grad[")


def _descent_slips(c: tuple[float, ...], lhs: str) -> Iterator[tuple[str, tuple[float, ...]]]:
    """The slips of −η·grad (+ α·Δ(previous)) with coefficients `c` (−η first), each as the
    coefficients used, named as `lhs` (`new = old`, `Δ =`) writes them."""
    eta, rest = -c[0], c[1:]
    term = " + α·Δ(previous)" if rest else ""
    plus, minus = (" + ", " − ") if lhs == "new = old" else (" +", " −")  # old − g; Δ = −g
    yield f"the update's sign ({lhs}{plus}η × grad{term})", (eta, *rest)
    yield f"the learning rate left out ({lhs}{minus}grad{term})", (-1.0, *rest)
    # η·η: inf past η = 1e154, as the arrays' arithmetic gives it (a float's ** raises)
    yield f"the learning rate applied twice ({lhs}{minus}η² × grad{term})", (-(eta * eta), *rest)
    if rest:
        yield f"the momentum term left out ({lhs}{minus}η × grad)", (c[0], *(0.0 for _ in rest))


def mistaken_bias_factors(
    kind: str, bias: str, one: float = 1.0
) -> Iterator[tuple[str, float | None]]:
    """A bias's ∂net/∂b, `one` (1, or −1 for a threshold), as students get it wrong: (name, the
    number read in its place; None for the bias's own value). Its gradient taken as 0 is not
    tried on an update (a bias left at its old value is "the update left out"); one read as
    b itself, as if b were a weight's input, is."""
    if kind in ("grad", "path"):
        said = f"the gradient of {bias} taken as 0 (∂net/∂{bias} = 0)"
        yield AtUnit("a bias's gradient taken as 0 (∂net/∂b = 0)", said), 0.0
    if kind in ("grad", "path", "new"):
        said = f"∂net/∂{bias} taken as {bias} itself (its value in place of {one:g})"
        yield AtUnit("∂net/∂b taken as the bias itself", said), None


def _decayed_anyway(entry, rule: Rule) -> Iterator[tuple[str, Rule]]:
    """AdamW's decay worked on a bias the spec leaves undecayed: the spec's decay, which the
    rule carries after its hyperparameters, in place of the 0 it reads."""
    hyper = len(entry.hyper)
    if len(rule.coefficients) <= 2 + hyper:
        return
    settings = dict(zip(entry.hyper, rule.coefficients[2 : 2 + hyper], strict=True))
    settings.update(zip(entry.decays, rule.coefficients[2 + hyper :], strict=True))
    coefficients = (*rule.coefficients[:2], *settings.values())
    yield (
        DECAYED_BIAS,
        replace(rule, coefficients=coefficients),
    )


def masked_test_pass(
    rules: Mapping[str, tuple[Rule, ...]], dropped: Mapping[str, float], steps: int
) -> dict[str, tuple[Rule, ...]]:
    """The rules with dropout left on in the test pass: each predicted output of a unit in
    `dropped` (unit: its layer's rate; `out[h1]@test1`, `@after`) through the last step's
    mask, as that step's own outputs were."""
    last = "" if steps == 1 else f"@{steps}"
    changed = dict(rules)
    for key, options in rules.items():
        kind, _, rest = key.partition("[")
        unit, _, suffix = rest.partition("]")
        rule = options[0]
        predicted = suffix.startswith(("@test", "@after"))
        if kind != "out" or unit not in dropped or not predicted or rule.op != "activation":
            continue
        inputs = (rule.inputs[0], f"mask[{unit}]{last}")
        keep = 1 - dropped[unit]
        changed[key] = (Rule(key, "dropout", inputs, (keep, 1.0), rule.function, rule.alpha),)
    return changed


def _inside(key: str) -> str:
    return key.partition("[")[2].partition("]")[0]


def _wrong_edges(rule: Rule, k: int, others: tuple[str, ...]) -> Iterator[tuple[str, Rule]]:
    """The weight at input k read off another edge of its layer (w6 for w7)."""
    weight = rule.inputs[k]
    name = _inside(weight)
    for other in others:
        inputs = list(rule.inputs)
        inputs[k] = weight.replace(f"[{name}]", f"[{other}]", 1)
        if inputs[k] not in rule.inputs:
            named = f"{other} in place of {name} (the weight of another edge)"
            yield named, replace(rule, inputs=tuple(inputs))
