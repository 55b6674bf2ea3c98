"""How long `run --symbolic` will take, estimated from the spec before SymPy is imported.

SymPy's work grows with the network's shape, not with its parameter count: 190 parameters of a
3-3-25-3 sigmoid network took over 10 minutes before derivation.py was made cheaper, while 400
of a softmax network take seconds. So each chosen parameter's work is counted from the spec:

- its chains: one per unit of the next layer while the recorder lists paths (scale.py), about
  five factors each, plus the delta form; the terms of the sums they print (Σ_k w_jk δ_k, a
  term per unit fed; a softmax output's δ, a term per output; the net input it is in);
- its proof (proof.py, which chooses the same way): composed through what the parameter moves
  while it has at most MAX_PROOF_PATHS paths (a cost per path, and per term of the net inputs
  along it); one layer deep otherwise (a cost per unit of the layer above, and per term of
  SymPy's partials of G, each carrying every net above); none when a layer is softmax.

The seconds per unit were fitted by least squares to CPU times measured for 57 networks (the
bundled configs; 2-K-K, 3-3-K-3, deep and wide, sigmoid and softmax outputs) on a 2-core
machine: the estimate was within 0.6-1.2 of the measured time for every job over 5 s. By
2026-12 the same jobs took 2.1-3.2 times less than estimated (tests/benchmarks/test_symbolic.py,
three runs), so STARTUP was refitted to 0.7 s and every cost per unit scaled by 0.4: the nine
benchmarked jobs are then estimated at 0.92-1.32 times their measured CPU time. The benchmark
prints the two side by side, to recheck it. A job over
BUDGET_SECONDS is refused before it starts, with the ways out: --only, or --force; so is one
of more than scale.SYMBOLIC_LIMIT parameters, however quick, for the pages it would print.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass

from backprop_tutor.core.activations import ACTIVATIONS
from backprop_tutor.spec.limits import SYMBOLIC_LIMIT, lists_paths
from backprop_tutor.spec.model import LayerSpec, Spec

BUDGET_SECONDS = 60.0  # CPU seconds `--symbolic` may take without --force
MAX_PROOF_PATHS = 16  # proof.py's bounds; it imports SymPy, so it cannot be imported here
MAX_COMPOSED_LAYERS = 3  # (a test keeps the two equal)
STARTUP = 0.7  # CPU seconds: Python, SymPy's import, the engine's step, identities proved once
# each 0.4 of its first fit's (the derivation has grown cheaper since; see the docstring)
PER_NETWORK_PARAMETER = 0.00004  # its symbol and net input, made for every parameter of the net
PER_FACTOR = 0.000184  # a chain-rule factor: differentiated, evaluated, checked and printed
PER_TERM = 0.000048  # a term of a sum the factors print
PER_COMPOSED_PATH = 0.0074  # a path of a proof on the composed loss
PER_COMPOSED_TERM = 0.000056  # a term of the net inputs along those paths
PER_LAYER_PATH = 0.00316  # a unit of the layer above, in a proof one layer deep
PER_LAYER_TERM = 0.0000224  # a term of SymPy's partials of G there


@dataclass(frozen=True)
class Work:
    """One parameter's work, in the units the seconds were fitted to."""

    factors: int
    terms: int
    composed_paths: int = 0
    composed_terms: int = 0
    layer_paths: int = 0
    layer_terms: int = 0

    @property
    def seconds(self) -> float:
        return (
            PER_FACTOR * self.factors
            + PER_TERM * self.terms
            + PER_COMPOSED_PATH * self.composed_paths
            + PER_COMPOSED_TERM * self.composed_terms
            + PER_LAYER_PATH * self.layer_paths
            + PER_LAYER_TERM * self.layer_terms
        )


@dataclass(frozen=True)
class Estimate:
    """CPU seconds for a choice of parameters."""

    seconds: float
    parameters: int

    @property
    def fits(self) -> bool:
        return self.seconds <= BUDGET_SECONDS


def work(spec: Spec) -> dict[str, Work]:
    """Every parameter's work, by name."""
    sizes = [len(spec.input_names), *(len(layer.units) for layer in spec.layers)]
    softmax = [ACTIVATIONS[layer.activation].jacobian is not None for layer in spec.layers]
    listed, found = lists_paths(spec), {}
    for number, layer in enumerate(spec.layers, start=1):
        same: dict[int, Work] = {}  # the same for every parameter feeding as many units
        for name, fed in _feeds(layer).items():
            if fed not in same:
                same[fed] = _parameter(sizes, softmax, listed, number, fed)
            found[name] = same[fed]
    return found


def _feeds(layer: LayerSpec) -> dict[str, int]:
    """Each parameter of a layer and how many of its units it feeds (a shared bias: all)."""
    feeds = {name: 1 for row in layer.weight_names for name in row}
    for index, name in enumerate(layer.bias_names):
        feeds[name] = sum(1 for b in layer.bias_of_unit if b == index)
    return feeds


def _parameter(sizes: list[int], softmax: list[bool], listed: bool, number: int, fed: int) -> Work:
    """The work of a parameter of layer `number` (1: the first above the inputs) feeding `fed`
    of its units; `sizes` counts the units of every layer, the inputs first."""
    last, outputs, fan_in = len(sizes) - 1, sizes[-1], sizes[number - 1] + 1
    if number == last:  # dE/dout · dout/dnet (or softmax's δ, a term an output) · dnet/dparam
        factors, terms = 3, (outputs + 1 if softmax[-1] else 2)
    elif listed:  # a path through each unit above, and the delta form
        above = sizes[number + 1]
        factors = 5 * above + 3
        terms = above * (1 + (outputs + 1 if softmax[number] else 0))
    else:  # the delta form alone: Σ_k w_jk δ_k, and δ_j factored
        factors, terms = 3, 2 * sizes[number + 1]
    return _proved(Work(factors, terms + fan_in), sizes, softmax, number, fed)


def _proved(chains: Work, sizes: list[int], softmax: list[bool], number: int, fed: int) -> Work:
    """The chains' work and the proof's, chosen as proof.prove chooses."""
    if any(softmax):
        return chains
    last, fan_in = len(sizes) - 1, sizes[number - 1] + 1
    paths = math.prod(sizes[number + 1 :])
    if paths <= MAX_PROOF_PATHS and last <= MAX_COMPOSED_LAYERS:
        along = sum(sizes[m - 1] + 1 for m in range(number, last + 1))  # the nets on a path
        return Work(chains.factors, chains.terms, paths, paths * along * fed)
    if number == last:
        return Work(chains.factors, chains.terms, layer_paths=1, layer_terms=sizes[-1] + fan_in)
    above = sizes[number + 1]
    partials = above * above * (fed + 2) + above * fan_in * fed
    return Work(chains.factors, chains.terms, layer_paths=above, layer_terms=partials)


def estimate(spec: Spec, chosen: Collection[str] | None = None) -> Estimate:
    """CPU seconds `--symbolic` needs for `chosen` (every parameter when None)."""
    return _estimate(work(spec), chosen)


def _estimate(everything: dict[str, Work], chosen: Collection[str] | None) -> Estimate:
    """What every run pays, and the chosen parameters' work."""
    names = [n for n in chosen if n in everything] if chosen is not None else list(everything)
    once = STARTUP + PER_NETWORK_PARAMETER * len(everything)
    return Estimate(once + sum(everything[n].seconds for n in names), len(names))


def refusal(spec: Spec, only: str | None = None) -> str | None:
    """Why `--symbolic` (or --only's choice) is refused, in one line with the way out; None
    when it fits the budget (and, without --only, scale.SYMBOLIC_LIMIT parameters). Names
    --only does not know are left to its own message."""
    chosen = [n.strip() for n in only.split(",") if n.strip()] if only else None
    everything = work(spec)
    found = _estimate(everything, chosen)
    many = chosen is None and found.parameters > SYMBOLIC_LIMIT
    if found.fits and not many:
        return None
    over = "" if found.fits else f" (the budget is {BUDGET_SECONDS:.0f} s)"
    cost = f"about {found.seconds:,.0f} s of work{over}"
    if chosen is not None:
        return (
            f"{spec.file}: deriving the {found.parameters:,} parameters --only names would take "
            f"{cost}; name fewer, or add --force to derive them anyway"
        )
    example = _example(spec)
    hint = _estimate(everything, example)
    if not hint.fits:
        return (
            f"{spec.file}: --symbolic would take {cost}, and even --only "
            f"{','.join(example)} about {hint.seconds:,.0f} s; add --force to derive anyway"
        )
    more = f" (more than {SYMBOLIC_LIMIT})" if many else ""
    return (
        f"{spec.file}: --symbolic would derive {found.parameters:,} parameters{more}, {cost}; "
        f"choose some with --only, e.g. --only {','.join(example)} (about "
        f"{hint.seconds:,.0f} s), or add --force to derive them all anyway"
    )


def _example(spec: Spec) -> list[str]:
    """A weight of the first layer and one of the last, as the README suggests: one hidden
    parameter, with its paths, and one output parameter."""
    first, last = spec.layers[0], spec.layers[-1]
    return list(dict.fromkeys([first.weight_names[0][0], last.weight_names[0][0]]))
