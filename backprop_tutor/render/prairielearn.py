"""A question bank as a PrairieLearn question folder: `info.json`, `question.html` (a number
input per quantity) and `server.py`, which picks a version from the variant's seed and grades
every answer as `check` does: right within one unit of the last digit, or right for the
student's own answers above it (carried forward), else wrong, naming the usual mistake whose
answer it is where it is one (check's mal-rules, as Moodle's 0 % answers).

server.py runs on PrairieLearn's Python without this package: each version's answers and rules
(core/rules.py's, as data) are written into it, and the activations and losses the rules use
are written as Python from their registry entries' SymPy forms (`sympy.pycode`), so the grader
computes what the engine computes, from one place.
"""

from __future__ import annotations

import json
import math
import uuid

from backprop_tutor.core.activations import of_layer
from backprop_tutor.core.losses import LOSSES
from backprop_tutor.core.trace_rules import trace_rules
from backprop_tutor.render.bank_out import given_html
from backprop_tutor.render.escape import template_text
from backprop_tutor.render.network_svg import network_svg
from backprop_tutor.render.quiz import questions
from backprop_tutor.teach.bank import Bank, mal_answers

FILES = ("info.json", "question.html", "server.py")  # the question folder's, by name
OPS = {"const", "dot", "weighted_sum", "product", "activation", "activation_derivative"}
OPS |= {"loss_term", "loss_derivative"}
OPS |= {"mean", "variance", "normalize", "batch_norm_delta", "running"}  # batch normalization


def prairielearn_files(bank: Bank) -> dict[str, str]:
    """The folder's files by name; ValueError for a bank whose rules server.py cannot run
    (softmax, whose outputs mix their units)."""
    functions = _functions(bank)  # first: it names an activation server.py cannot grade
    asked = [q for q in questions(bank.versions[0].trace) if math.isfinite(q.value)]
    names = {q.id: f"q{k}" for k, q in enumerate(asked)}
    signs = {q.id: q.sign for q in asked if q.sign != 1}  # δ asked as −∂E/∂net
    versions = [_version(v, names, signs, bank) for v in bank.versions]
    info = {
        "uuid": str(uuid.UUID(int=bank.seed * 1_000_003 + len(bank.versions))),
        "title": bank.title,
        "topic": "Backpropagation",
        "tags": ["backprop-tutor", f"seed-{bank.seed}"],
        "type": "v3",
    }
    texts = (
        json.dumps(info, indent=2) + "\n",
        _question_html(asked, names, bank),
        SERVER.format(
            versions=repr(json.dumps(versions)),
            tolerance=repr(bank.tolerance),
            functions="\n\n".join(functions),
        ),
    )
    return dict(zip(FILES, texts, strict=True))


def _version(v, names: dict[str, str], signs: dict[str, int], bank: Bank) -> dict:
    """A version's answers as asked (in the notation's sign); its values, rules and named
    mistakes' answers as the trace has them, which server.py reads a submitted answer into
    (× its sign) before it grades and carries it forward."""
    values, rules = v.trace.values(), trace_rules(v.trace)
    n = v.trace.header.display.format
    mal = mal_answers(v.trace, bank.tolerance)
    kept = {}
    for key in names:
        rule = rules[key][0]
        if rule.op not in OPS:
            raise ValueError(f"-f prairielearn: {key}'s rule ({rule.op}) is not graded yet")
        kept[key] = {
            "op": rule.op,
            "inputs": list(rule.inputs),
            "coefficients": list(rule.coefficients),
            "function": _function_name(rule),
            "at": list(rule.at),  # an update's under calculator arithmetic: Δ carried first
            "rounded": rule.rounded,  # carried to `places`, as the engine carries it
        }
    return {
        "seed": v.seed,
        "givens": given_html(v),
        "picture": network_svg(v.trace),  # the network with its givens, inline in the page
        "answers": {names[k]: _shown(signs.get(k, 1) * values[k], n) for k in names},
        "ids": names,
        "signs": signs,
        "places": v.trace.header.carry_digits,  # calculator arithmetic's decimals, or None
        "values": {k: x for k, x in values.items() if "@" not in k},  # step 1's, by id
        "rules": kept,
        # the answers `check`'s named mistakes give: a wrong answer matching one is told which
        "mistakes": {names[k]: mal[k] for k in names if k in mal},
    }


def _shown(value: float, n) -> float:
    """A right answer as PrairieLearn shows it (to `digits` decimals; server.py grades from
    the values): 0.0 where the tables print a zero, which -2.8e-17 showed as -0.0000."""
    return 0.0 if float(n(value)) == 0 else value


def _function_name(rule) -> str:
    if rule.op.startswith("activation"):
        suffix = "_prime" if rule.op == "activation_derivative" else ""
        return f"{rule.function}{suffix}"
    if rule.op.startswith("loss"):
        return f"{rule.function}{'_prime' if rule.op == 'loss_derivative' else ''}"
    return ""


def _functions(bank: Bank) -> list[str]:
    """Each activation's and loss's value and derivative as Python, from their SymPy forms."""
    import sympy as sp

    h = bank.versions[0].trace.header
    net, out, t = sp.symbols("net out t", real=True)
    found = []
    alphas = h.alphas or (None,) * len(h.activations)
    for name, alpha in dict(zip(h.activations, alphas, strict=True)).items():
        act = of_layer(name, alpha)
        if not act.elementwise or act.symbolic is None:
            raise ValueError(
                f"-f prairielearn grades elementwise activations; {name} mixes its units "
                "(use -f moodle or -f json for it)"
            )
        found.append(_def(f"{name}(net, out)", act.symbolic(sp, net), sp))
        found.append(_def(f"{name}_prime(net, out)", act.textbook(sp, out, net), sp))
    k = sp.Symbol("k", positive=True)
    term = LOSSES[h.loss].symbolic(sp, t, out, k)
    found.append(_def(f"{h.loss}(t, out, k)", term, sp))
    found.append(_def(f"{h.loss}_prime(t, out, k)", sp.diff(term, out), sp))
    return found


def _def(signature: str, expr, sp) -> str:
    return f"def {signature}:\n    return {sp.pycode(expr, fully_qualified_modules=True)}"


def _question_html(asked, names: dict[str, str], bank: Bank) -> str:
    inputs = "\n".join(
        f'  <pl-number-input answers-name="{names[q.id]}" label="{template_text(q.prompt)} ="'
        f' comparison="decdig" digits="{bank.digits}" atol="{bank.tolerance}"'
        ' show-correct-answer="true"></pl-number-input><br>'
        for q in asked
    )
    return (
        "<pl-question-panel>\n"
        f"  <p>{template_text(bank.title)}: one step of backpropagation. Give each value to "
        f"{bank.digits} decimals.</p>\n"
        "  <p>Version {{params.version}}, seed {{params.seed}}.</p>\n"
        "  {{{params.picture}}}\n"
        "  {{{params.givens}}}\n"
        "</pl-question-panel>\n"
        f"{inputs}\n"
    )


SERVER = '''"""Written by backprop-tutor bank -f prairielearn: every version of the
exercise, and its grading: an answer is right within one unit of the last digit, or right
for the student's own answers above it (carried forward)."""

import decimal
import json
import math

VERSIONS = json.loads({versions})
TOLERANCE = {tolerance}


{functions}


def generate(data):
    v = VERSIONS[data["variant_seed"] % len(VERSIONS)]
    data["params"]["version"] = VERSIONS.index(v) + 1
    data["params"]["seed"] = v["seed"]
    data["params"]["givens"] = v["givens"]
    data["params"]["picture"] = v["picture"]
    for name, value in v["answers"].items():
        data["correct_answers"][name] = value


def _carry(value, places):
    """As calculator arithmetic writes a value down (backprop-tutor's carry): its shortest
    decimal rounded half away from zero to `places` decimals (0.015 is 0.02); None: exact."""
    if places is None or not math.isfinite(value):
        return value
    unit = decimal.Decimal(1).scaleb(-places)
    context = decimal.Context(prec=700)  # room for any float's digits
    written = decimal.Decimal(repr(float(value)))
    return float(written.quantize(unit, rounding=decimal.ROUND_HALF_UP, context=context))


def _apply(rule, x):
    op, c = rule["op"], rule["coefficients"]
    if op == "const":
        return c[0]
    if op == "weighted_sum" and len(rule["at"]) == 2:
        # an update new = old + Δ under calculator arithmetic: the terms from input k on are
        # Δ, carried before it is added, as a hand calculation writes Δw = η δ x down first
        k, places = rule["at"]
        step = _carry(math.fsum(a * b for a, b in zip(c[k:], x[k:])), places)
        return math.fsum(a * b for a, b in zip(c[:k], x[:k])) + step
    if op == "weighted_sum":  # fsum: the engine's rules sum exactly rounded (rules.py)
        return math.fsum(a * b for a, b in zip(c, x))
    if op == "dot":
        pairs = len(x) - len(c)
        return math.fsum(x[i] * x[i + 1] for i in range(0, pairs, 2)) + math.fsum(
            a * b for a, b in zip(c, x[pairs:])
        )
    if op == "product":
        return math.prod(x)
    if op == "variance":  # batch normalization's σ² from μ and the nets (÷ N, or N − 1)
        return sum((n - x[0]) ** 2 for n in x[1:]) / (len(x) - 1 - (c[0] if c else 0))
    if op == "mean":  # μ = Σ net / N, summed as the engine's rules sum (fsum)
        return math.fsum(x) / len(x)
    if op == "running":  # (1 − m)·before + m·batch, a variance's × N/(N − 1)
        m, n, var = c
        return (1 - m) * x[0] + m * x[1] * (n / (n - 1) if var else 1.0)
    if op == "normalize":  # x̂ = (net − μ)/√(σ² + ε)
        return (x[0] - x[1]) / math.sqrt(x[2] + c[0])
    if op == "batch_norm_delta":  # ∂E/∂net by the short form
        gamma, var, xhat, dy, sum_dy, sum_dy_xhat = x
        n, through = c[0], c[2] if len(c) > 2 else 1.0
        scale = gamma / (n * math.sqrt(var + c[1]))
        return scale * (n * dy - through * (sum_dy + xhat * sum_dy_xhat))
    if op == "activation":
        return globals()[rule["function"]](x[0], None)
    if op == "activation_derivative":
        return globals()[rule["function"]](x[0], x[1])
    return globals()[rule["function"]](x[0], x[1], rule["at"][0])


def grade(data):
    v = VERSIONS[[w["seed"] for w in VERSIONS].index(data["params"]["seed"])]
    names = v["ids"]
    submitted = {{}}
    for key, name in names.items():
        try:
            # as the trace has it: a δ asked as −∂E/∂net is read back as ∂E/∂net
            submitted[key] = v["signs"].get(key, 1) * float(data["submitted_answers"].get(name))
        except (TypeError, ValueError):
            pass
    total = 0.0
    for key, name in names.items():
        if key not in submitted:
            data["partial_scores"][name] = {{"score": 0, "feedback": "not answered"}}
            continue
        answer = submitted[key]
        if abs(answer - v["values"][key]) <= TOLERANCE:
            score, feedback = 1, "right"
        else:
            rule = v["rules"][key]
            x = [submitted.get(i, v["values"][i]) for i in rule["inputs"]]
            try:
                theirs = _apply(rule, x)
                if rule["rounded"]:  # calculator arithmetic: carried, as the engine does
                    theirs = _carry(theirs, v["places"])
            except (ArithmeticError, ValueError):
                theirs = None
            mistakes = v["mistakes"].get(name, [])
            named = [m for m, value in mistakes if abs(answer - value) <= TOLERANCE]
            if theirs is not None and abs(answer - theirs) <= TOLERANCE:
                score, feedback = 1, "right for your own answers above it (carried forward)"
            elif named:
                score, feedback = 0, "wrong: the answer of a usual mistake, " + named[0]
            else:
                score, feedback = 0, "wrong"
        data["partial_scores"][name] = {{"score": score, "feedback": feedback}}
        total += score
    data["score"] = total / len(names)
'''
