"""`backprop-tutor check SPEC CLAIMS`: which claimed numbers are right, and why the others are not.

Each claim gets one verdict, tried in this order:
- exact: the exact value, shown at the claim's own digits (rounded or truncated), equals it;
- calculator: it equals the value of calculator arithmetic (every quantity rounded to N decimals);
- follows: recomputed from the claimed numbers it depends on, it is right: the mistake is
  upstream, at the first claimed quantity that went wrong (named);
- variant: it equals the value under a named mistake (layer-by-layer update, the other sign
  of delta, a missing dout/dnet factor, updated weights in a hidden delta, ...);
- mismatch: none of these; the exact value and the difference are given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal

import numpy as np

from .activations import activation
from .claims import Claim
from .engine import run
from .losses import LOSSES
from .network_spec import Spec
from .notation import NOTATIONS
from .numbers import NumberFormat
from .trace import Trace

_ID = re.compile(r"^(\w+)(?:\[([^\]]*)\])?(?:@(\d+))?$")
CARRY_DIGITS = range(1, 7)


@dataclass
class Verdict:
    claim: Claim
    status: str  # exact | calculator | follows | variant | mismatch | formula
    detail: str
    exact: float | None = None
    ok: bool = False
    causes: list[str] = field(default_factory=list)  # for follows: the first wrong claims


def shown_as(value: float, claim: Claim, rounding: str | None = None) -> str | None:
    """'rounded' or 'truncated' when `value` shows as the claim at the claim's digits (only
    that rounding when one is given)."""
    modes = [rounding] if rounding else ["round", "truncate"]
    found = [
        r
        for r in modes
        if Decimal(NumberFormat(claim.digits, r, fixed=True).format(value)) == claim.number
    ]
    if len(found) == 2:
        return "rounded or truncated"
    return {"round": "rounded", "truncate": "truncated"}.get(found[0]) if found else None


class Checker:
    """The exact trace of a spec, and the runs and local values of the named variants."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.exact_spec = replace(spec, carry_digits=None)
        self.trace: Trace = run(self.exact_spec)
        # delta in the spec's own notation: dE/dnet, or the sensitivity -dE/dnet (Mitchell, Xu)
        self.sign = NOTATIONS[spec.notation].delta_sign
        self.v = {
            k: -x if self.sign < 0 and k.startswith("delta[") else x
            for k, x in self.trace.values().items()
        }
        step = self.trace.steps[0]
        self.gradients = {g.param: g for g in step.gradients}
        self.deltas = {d.unit: d for d in step.deltas}
        self.forward = {f.unit: f for f in step.forward}
        self._runs: dict[str, dict[str, float]] = {}
        self.claimed: dict[str, float] = {}
        self.verdicts: dict[str, Verdict] = {}

    def _run(self, name: str, **changes) -> dict[str, float]:
        if name not in self._runs:
            self._runs[name] = run(replace(self.exact_spec, **changes)).values()
        return self._runs[name]

    # -- the verdicts ------------------------------------------------------------------------
    def check(self, claims: list[Claim]) -> list[Verdict]:
        order = {key: i for i, key in enumerate(self.v)}
        numeric = sorted((c for c in claims if not c.is_formula), key=lambda c: order[c.id])
        self.claimed = {c.id: float(c.number) for c in numeric}  # type: ignore[arg-type]
        for claim in numeric:
            self.verdicts[claim.id] = self._verdict(claim)
        return [self.verdicts[c.id] for c in numeric]

    def _verdict(self, claim: Claim) -> Verdict:
        exact = self.v[claim.id]
        own = self.spec.display.rounding
        how = shown_as(exact, claim, own)
        if how:
            return Verdict(claim, "exact", f"{how} to {claim.digits} decimals", exact, True)
        for digits in CARRY_DIGITS:
            value = self._run(f"carry{digits}", carry_digits=digits).get(claim.id)
            if value is not None and shown_as(value, claim):
                own = digits == self.spec.carry_digits
                detail = f"calculator arithmetic, {digits} decimals carried"
                return Verdict(
                    claim, "calculator", detail + (" (as the spec says)" if own else ""), exact, own
                )
        how = shown_as(exact, claim)  # the other rounding than the spec's
        if how:
            return Verdict(
                claim,
                "exact",
                f"{how} to {claim.digits} decimals (the spec's display says {own})",
                exact,
                True,
            )
        causes = self._follows(claim)
        if causes:
            names = ", ".join(causes)
            return Verdict(
                claim,
                "follows",
                f"right for the claimed {names}: the mistake is there",
                exact,
                causes=causes,
            )
        for name, value in self._variants(claim):
            if value is not None and np.isfinite(value) and shown_as(value, claim):
                return Verdict(claim, "variant", f"matches only with {name}", exact)
        return Verdict(
            claim,
            "mismatch",
            f"exact value {exact!r}, off by {float(claim.number) - exact:+.6g}",
            exact,
        )  # type: ignore[arg-type]

    # -- the mistake is upstream: recompute from the claimed inputs --------------------------
    def _follows(self, claim: Claim) -> list[str]:
        used: list[str] = []

        def get(key: str) -> float:
            if key in self.claimed and not self.verdicts.get(key, Verdict(claim, "", "")).ok:
                used.append(key)
                return self.claimed[key]
            return self.v[key]

        value = self._recompute(claim.id, get)
        if value is None or not used or not shown_as(value, claim):
            return []
        roots: list[str] = []
        for key in used:
            verdict = self.verdicts[key]
            for root in verdict.causes if verdict.status == "follows" else [key]:
                if root not in roots:
                    roots.append(root)
        return roots

    def _recompute(self, key: str, get) -> float | None:
        """The quantity `key` from its inputs as the engine computes it (step 1 only)."""
        kind, inside, step = _ID.match(key).groups()  # type: ignore[union-attr]
        if step:
            return None
        if kind == "net":
            ev = self.forward[inside]
            total = sum(get(_out_id(t.source, self.v)) * get(f"old[{t.weight}]") for t in ev.terms)
            bias = get(f"old[{ev.bias}]") if ev.bias else 0.0
            return total + self.trace.header.bias_sign * bias
        if kind == "out":
            act = self._activation(self.forward[inside].layer)
            return (
                float(act.value(np.array([get(f"net[{inside}]")]))[0]) if act.elementwise else None
            )
        if kind == "loss" and inside:
            loss = LOSSES[self.spec.loss]
            t, o = np.array([[get(f"target[{inside}]")]]), np.array([[get(f"out[{inside}]")]])
            return float(loss.terms(t, o)[0, 0]) if loss.name != "mse" else None
        if kind == "loss":
            return sum(get(f"loss[{u}]") for u in self.trace.header.layers[-1])
        if kind == "de_dout" and self.deltas[inside].downstream:
            return sum(
                get(f"old[{w}]") * self.sign * get(f"delta[{k}]")
                for k, w, _, _ in self.deltas[inside].downstream
            )
        if kind == "delta" and not self.deltas[inside].jacobian:
            return self.sign * get(f"de_dout[{inside}]") * get(f"dout_dnet[{inside}]")
        if kind == "path":
            param, via = inside.split(",")
            g = self.gradients[param]
            path = next(p for p in g.paths if p.via == via)
            return self._product(path.factors, get)
        if kind == "grad":
            g = self.gradients[inside]
            if g.paths and any(f"path[{inside},{p.via}]" in self.claimed for p in g.paths):
                return sum(get(f"path[{inside},{p.via}]") for p in g.paths)
            return self._product(g.factors, get) if g.factors else None
        if kind == "new":
            eta = self.spec.learning_rate
            update = next(u for u in self.trace.steps[0].updates if u.param == inside)
            if not update.updated:
                return get(f"old[{inside}]")
            return get(f"old[{inside}]") - eta * get(f"grad[{inside}]") + update.momentum_term
        return None

    def _product(self, factors, get) -> float:
        """A chain's product; a unit's dE/dout · dout/dnet read as its delta where the delta is
        claimed, as a hand calculation that wrote the delta down goes on from it."""
        factors = list(factors)
        value = 1.0
        while factors:
            first = factors[0]
            delta = f"delta[{first.unit}]"
            if (
                first.role == "de_dout"
                and len(factors) > 1
                and delta in self.claimed
                and factors[1].role == "dout_dnet"
                and factors[1].unit == first.unit
            ):
                value *= self.sign * get(delta)
                factors = factors[2:]
                continue
            value *= self._factor(first, get)
            factors = factors[1:]
        return value

    def _factor(self, factor, get) -> float:
        """A chain-rule factor's value, read from the claims where it is claimed."""
        if factor.role == "dnet_dout":
            weight = next(
                t.weight for t in self.forward[factor.unit].terms if t.source == factor.other
            )
            return get(f"old[{weight}]")
        if factor.role == "dnet_dparam":
            g = self.gradients.get(factor.unit)
            return get(_out_id(g.source, self.v)) if g and g.source else factor.value
        return get(factor.id) * (self.sign if factor.role == "delta" else 1)

    def _activation(self, layer: int):
        h = self.trace.header
        alpha = h.alphas[layer - 1] if h.alphas else None
        return activation(h.activations[layer - 1], **({} if alpha is None else {"alpha": alpha}))

    # -- named mistakes ----------------------------------------------------------------------
    def _variants(self, claim: Claim):
        """(name, value) of each named mistake that applies to this quantity."""
        key, v, spec = claim.id, self.v, self.spec
        kind, inside, step = _ID.match(key).groups()  # type: ignore[union-attr]
        yield (
            "the layer-by-layer update (hidden deltas computed with the already updated "
            "weights above)",
            self._run("layers", update="layer_by_layer").get(key),
        )
        flipped = "biases kept" if spec.update_biases else "the biases updated too"
        yield flipped, self._run("biases", update_biases=not spec.update_biases).get(key)
        if spec.loss in ("half_sse", "sse"):
            other = "sse" if spec.loss == "half_sse" else "half_sse"
            name = "SSE instead of half SSE" if other == "sse" else "half SSE instead of SSE"
            yield name, self._run(other, loss=other).get(key)
        later = f"{key.split('@')[0]}@{int(step or 1) + 1}"
        yield "one step more", self._run("more", steps=spec.steps + 1).get(later)
        if step is None and kind == "new":
            yield "one step fewer (the value before the update)", v.get(f"old[{inside}]")
        if step is None and kind in ("delta", "de_dout"):
            yield "the other sign convention of delta (δ = −∂E/∂net)", -v[key]
        if step is None and kind in ("grad", "path"):
            yield "the opposite sign", -v[key]
        if step is None and kind == "loss" and not inside:
            yield (
                "the mean instead of the sum over the outputs",
                v[key] / len(self.trace.header.layers[-1]),
            )
        if step is None:
            yield from self._local_variants(kind, inside)

    def _local_variants(self, kind: str, inside: str):
        v = self.v
        if kind == "delta" and not self.deltas[inside].jacobian:
            yield "a missing dout/dnet factor", self.sign * v[f"de_dout[{inside}]"]
        if kind in ("grad", "new") and self.gradients[inside].factors:
            g = self.gradients[inside]
            to = g.to[0]
            without = v[f"grad[{inside}]"] / v[f"dout_dnet[{to}]"]
            value = (
                without
                if kind == "grad"
                else v[f"old[{inside}]"] - self.spec.learning_rate * without
            )
            yield f"a missing dout/dnet factor at {to}", value
        if kind in ("de_dout", "delta") and self.deltas[inside].downstream:
            scale = 1.0 if kind == "de_dout" else v[f"dout_dnet[{inside}]"]
            base = v[f"de_dout[{inside}]"]
            for _unit, w, _, dk in self.deltas[inside].downstream:
                changed = base + (v[f"new[{w}]"] - v[f"old[{w}]"]) * dk
                sign = self.sign if kind == "delta" else 1
                yield f"the updated {w} instead of the original", changed * scale * sign
        if kind == "grad" and self.gradients[inside].paths:
            for p in self.gradients[inside].paths:
                yield (
                    f"the path through {p.via} dropped",
                    v[f"grad[{inside}]"] - v[f"path[{inside},{p.via}]"],
                )


def _out_id(unit: str, values: dict[str, float]) -> str:
    return f"out[{unit}]" if f"out[{unit}]" in values else f"input[{unit}]"
