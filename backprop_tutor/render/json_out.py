"""The whole trace as one JSON document: header, every id with its value, and the events."""

from __future__ import annotations

import json
import math
from typing import Any

from backprop_tutor.core.notation import NOTATIONS
from backprop_tutor.core.plain import plain
from backprop_tutor.core.regularizers import displayed
from backprop_tutor.core.trace import Trace, with_step
from backprop_tutor.core.trace_rules import trace_rules


def strict(value: Any) -> Any:
    """Plain data a strict JSON reader takes: a number past float64 (an output's dE/dout at a
    saturated sigmoid) written as the text "inf" or "-inf", never the invalid Infinity."""
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, dict):
        return {key: strict(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [strict(item) for item in value]
    return value


# Up to this many values a document is indented for people to read; past it, it is written
# compact (no spaces, one line) by Python's C encoder: indenting forces json's pure-Python
# encoder, several times slower, and doubles the size of a big trace.
INDENTED_UP_TO = 10_000


def dumps(document: dict, values: int) -> str:
    """JSON text of a document holding `values` numbers: indented while small, compact past
    INDENTED_UP_TO; an infinite number as text (see `strict`), checked only where one is."""
    layout: dict = {"indent": 2} if values <= INDENTED_UP_TO else {"separators": (",", ":")}
    try:
        return json.dumps(document, ensure_ascii=False, allow_nan=False, **layout)
    except ValueError:  # an inf somewhere: written as text
        return json.dumps(strict(document), ensure_ascii=False, allow_nan=False, **layout)


def trace_json(trace: Trace, notation: str | None = None) -> str:
    """Full float precision, so other tools can apply their own rounding; with every
    quantity's rule (core/rules.py) and the givens they start from, so another program can
    replay the worked example. `notation` (run --notation): the header's, and δ's sign in
    `display`, as the tables of that notation print it; `values` are the same in every one."""
    document = trace.to_dict()
    if notation is not None:
        document["header"]["notation"] = notation
    rules = trace_rules(trace)
    document["rules"] = {
        key: [rule.to_dict() for rule in options] for key, options in rules.items()
    }
    document["leaves"] = [key for key in document["values"] if key not in rules]
    # each number as the tables print it, at the spec's digits and rounding (δ in the
    # notation's sign): what a slide shows, and what every width must print whole
    n, sign_of = trace.header.display.format, NOTATIONS[document["header"]["notation"]].sign_of
    document["display"] = {
        key: displayed(key, sign_of(key) * value, n) for key, value in document["values"].items()
    }
    return dumps(document, len(document["values"]))


def training_json(result, trace: Trace) -> str:
    """A training run as plain data: the losses, why it stopped, the final parameters, the
    predictions and hidden values, and the traced updates by id."""
    rules = result.spec.training
    document = {
        "header": trace.to_dict()["header"],
        # how it trained: batch, seed, stopping rules, float32 where asked for, and whether
        # each epoch took the examples in a new order (not when one batch holds them all)
        "training": {**plain(rules), "shuffled": rules.shuffled(len(result.spec.examples))},
        "epochs": result.epochs,
        "updates": result.updates,
        "stop": result.stop,
        "gradient_norm": result.gradient_norm,
        "losses": list(result.losses),
        "parameters": result.parameters,
        "outputs": result.outputs.tolist() if result.outputs is not None else None,
        "hidden": result.hidden.tolist() if result.hidden is not None else None,
        "delta_norms": {"before": result.delta_norms[0], "after": result.delta_norms[1]},
        "dead_units": {"before": result.dead_units[0], "after": result.dead_units[1]},
        "traced": {  # the README's ids: grad[w5]@3, and grad[w5]@3#2 for a batch's example
            with_step(key, step.step): value
            for step in trace.steps
            for key, value in step.values().items()
        },
    }
    values = len(document["losses"]) + len(document["parameters"]) + len(document["traced"])
    return dumps(document, values) + "\n"


def derivation_json(derivation) -> str:
    """A stand-alone derivation as plain data: each step's expression (SymPy's text and LaTeX),
    why it holds, and whether SymPy proved it equal to the step before."""
    import sympy as sp

    document = {
        "name": derivation.name,
        "title": derivation.title,
        "steps": [
            {
                "lhs": step.lhs,
                "expression": sp.sstr(step.rhs, order="none"),
                "latex": sp.latex(step.rhs, order="none"),
                "reason": step.reason,
                "proved": step.proved,
            }
            for step in derivation.steps
        ],
        "condition": derivation.condition,
        "notes": derivation.notes,
        "proved": derivation.proved,
    }
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def check_json(verdicts, delta_sign: int = 1) -> str:
    """`check`'s verdicts as data for an autograder: each claim with its exact value, its
    verdict, and whether it is a root mistake or follows from which roots. A rule's inputs
    hold δ as ∂E/∂net; `delta_sign` −1 says the notation's δ (the claims') is its negative."""
    from backprop_tutor.teach.verdicts import mistakes  # check's alone, off run's start-up

    claims = [
        {
            "id": v.claim.id,
            "claimed": v.claim.text,
            "line": v.claim.line,
            "exact": v.exact,
            "verdict": v.status,
            "right": v.ok,
            "root": v.is_root,
            "follows_from": list(v.causes),
            "detail": v.detail,
            "mistake": v.mistake,  # a variant's named mistake
            "ambiguous_with": v.ambiguous_with,  # a coarse claim's: the mistake it shows as too
            "rule": v.rule.to_dict() if v.rule else None,  # the quantity's right rule
            "inputs": v.inputs,  # what it reads: the claimed values where claimed
            "gives": v.gives,  # what the rule gives from them
            # a named mistake's: the rule the claimed number fits, what it read, what it gives
            "mistake_rule": v.mistake_rule.to_dict() if v.mistake_rule else None,
            "mistake_inputs": v.mistake_inputs,
            "mistake_gives": v.mistake_gives,
        }
        for v in verdicts
    ]
    document = {
        "claims": claims,
        "right": sum(v.ok for v in verdicts),
        "roots": [v.claim.id for v in verdicts if v.is_root],
        # the mistakes behind the roots: a named one once, at every claim it shows in
        "mistakes": [
            {
                "at": m.ids,
                "mistake": m.roots[0].mistake,
                "detail": m.detail,
                "then": m.then(verdicts),
            }
            for m in mistakes(verdicts)
        ],
        "delta_sign": delta_sign,
    }
    return json.dumps(strict(document), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def gradcheck_json(checks, sampled_from=None, rules=None, note: str = "") -> str:
    """`gradcheck`'s comparisons as data: per reference, each parameter's backprop gradient,
    the reference value, the relative error and whether they agree."""
    document = {
        "references": {
            reference: {
                "rule": (rules or {}).get(reference, ""),
                "passed": all(c.passed for c in found),
                "checks": [
                    {
                        "param": c.param,
                        "backprop": c.backprop,
                        "reference": c.reference,
                        "relative_error": c.relative_error,
                        "passed": c.passed,
                        "kink": c.kink,  # why a mismatch is not the engine's, if it is not
                    }
                    for c in found
                ],
            }
            for reference, found in checks.items()
        },
        "sampled_from": sampled_from,
        "note": note,
    }
    return json.dumps(strict(document), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def matrix_json(trace: Trace, numbered: bool = False) -> str:
    """`run --matrix --format json`: each step's equations, each matrix with its entries'
    ids and full-precision values (the trace's own), and its form in symbols and in TeX."""
    from backprop_tutor.render.matrix_step import matrix_form

    def matrix(m) -> dict:
        return {"symbol": m.symbol, "tex": m.tex, "ids": m.ids, "values": m.values}

    steps = [
        {
            "step": step.step,
            "examples": step.examples,
            "reduction": step.reduction,
            "equations": [
                {
                    "kind": e.kind,
                    "form": e.form,
                    "tex": e.tex,
                    "terms": [
                        {"before": t.before, "after": t.after, **matrix(t.matrix)} for t in e.terms
                    ],
                    "result": matrix(e.result),
                }
                for e in step.equations
            ],
        }
        for step in matrix_form(trace, numbered)
    ]
    count = sum(len(e["result"]["values"]) for s in steps for e in s["equations"])
    return dumps({"file": trace.header.file, "steps": steps}, count)
