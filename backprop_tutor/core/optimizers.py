"""Optimizers: how a parameter moves once its gradient is known, each one registry entry.

An entry is a short program of named quantities, each a formula of the ones before it, of the
gradient g, the old value, the learning rate η, the update number t, the entry's
hyperparameters and its state from the update before (`m_prev`). The last quantity is always
`change`, the parameter's move: new = old + change. The same formulas run on whole arrays
(the engine), on one number per parameter (`check`'s rules, core/rules.py), and are printed
in the update table, so a worked Adam step shows m, v, m̂, v̂ per parameter with their ids
(`m[w5]@2`), carried across steps.

Every formula is PyTorch's own update to the last rounding (torch.optim with its default
options; momentum written as Mitchell's Δw = α Δw(previous) − η g, which is PyTorch's
velocity times −η while η is fixed), so `gradcheck --torch` can replay it.

`classic` entries (plain gradient descent and Mitchell's momentum) keep the engine's own
in-place update, its Python-float loop for tiny networks, and the trace's `momentum[p]` form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from backprop_tutor.core import optimizer_derivations as derivations
from backprop_tutor.core.numbers import setting_text

Env = dict  # name -> value (array, or one number): g, old, lr, t, hyperparameters, quantities


@dataclass(frozen=True)
class Quantity:
    """One named step of an update: `key = formula(env)`, reading the names in `reads` (the
    rule's inputs: `g`, `old`, an earlier quantity, or `X_prev`, state X of the update before).
    `text` is the formula as a slide writes it; `symbol` its name in the tables."""

    key: str
    reads: tuple[str, ...]
    formula: Callable[[Env], object]
    text: str
    symbol: str
    # the mistakes students make in it, each (its name, the formula they used as text and
    # as code), read from the same quantities: `check` names one the claim is the result of
    mistakes: tuple[tuple[str, str, Callable[[Env], object]], ...] = ()


@dataclass(frozen=True)
class Optimizer:
    """One optimizer: its hyperparameters (with PyTorch's defaults), the quantities it
    computes per parameter in order (the last is `change`), the ones it carries to the next
    update (`state`, each starting at 0), and how PyTorch builds it."""

    name: str
    title: str
    hyper: dict[str, float]
    quantities: tuple[Quantity, ...]
    state: tuple[str, ...] = ()
    torch: Callable | None = None  # (torch, params, lr, hyper) -> a torch.optim optimizer
    classic: bool = False  # gradient descent, with Mitchell's momentum where α > 0
    adaptive: bool = False  # divides by its squared gradients (no calculator arithmetic)
    symbols: dict[str, str] | None = None  # hyperparameter -> its Greek letter in the tables
    # `derive NAME`: its state under a constant gradient, proved (core/optimizer_derivations)
    derivation: Callable | None = None
    # hyperparameters that decay a parameter (AdamW's λ): 0 for those not decayed (biases,
    # unless the spec's decay_biases), as PyTorch's parameter group with weight_decay 0
    decays: tuple[str, ...] = ()

    def label(self, read: str) -> str:
        """How a formula writes what a quantity reads: g, old, m̂, m(previous)."""
        if read.endswith("_prev"):
            return f"{self.label(read[: -len('_prev')])}(previous)"
        found = [q.symbol for q in self.quantities if q.key == read]
        return found[0] if found else read

    def run(self, env: Env, each: Callable = lambda value: value) -> Env:
        """Every quantity from `env` (g, old, lr, t, the hyperparameters, `X_prev` for each
        state X), added to it in order, each through `each` (calculator arithmetic rounds
        there); arrays or numbers alike."""
        return run_quantities(self.quantities, env, each)

    def settings(self, given: dict[str, float]) -> dict[str, float]:
        """The hyperparameters: the given ones over the defaults, in the entry's order."""
        return {key: float(given.get(key, default)) for key, default in self.hyper.items()}


def run_quantities(quantities, env: Env, each: Callable = lambda value: value) -> Env:
    """Each quantity's formula on `env`, added to it in order, each through `each`."""
    for q in quantities:
        env[q.key] = each(q.formula(env))
    return env


def is_classic(optimizer: str, regularizer: str | None) -> bool:
    """Whether an update is the engine's own gradient descent (with Mitchell's momentum),
    tabled in the lecture's form; a penalty's extra gradient term takes the worked form."""
    return OPTIMIZERS[optimizer].classic and regularizer is None


# Where each hyperparameter makes sense, for every entry that takes it: (low, high, whether
# low itself is allowed); high is never allowed (a moment's decay of 1 never forgets). A new
# setting needs its range here (tests/test_optimizers.py holds every entry's to this).
RANGES: dict[str, tuple[float, float, bool]] = {
    "momentum": (0.0, 1.0, True),
    "beta1": (0.0, 1.0, True),
    "beta2": (0.0, 1.0, True),
    "rho": (0.0, 1.0, True),
    "epsilon": (0.0, float("inf"), False),
    "weight_decay": (0.0, float("inf"), True),
}


def out_of_range(key: str, value: float) -> str | None:
    """What is wrong with a hyperparameter's value, or None."""
    low, high, closed = RANGES[key]
    if (value < low or (value == low and not closed)) or value >= high:
        below = "at least" if closed else "above"
        above = f" and below {setting_text(high)}" if high != float("inf") else ""
        return f"{key} {setting_text(value)} must be {below} {setting_text(low)}{above}"
    return None


def _q(
    key: str,
    reads: str,
    formula: Callable[[Env], object],
    text: str,
    symbol: str = "",
    mistakes: tuple = (),
):
    return Quantity(key, tuple(reads.split()), formula, text, symbol or key, mistakes)


def _sqrt(x):
    return np.sqrt(x)


def _descent_change(e: Env):
    """−η g (+ α Δ(previous)): the engine's classic update, in its order of operations."""
    change = -e["lr"] * e["g"]
    return change + e["momentum"] * e["change_prev"] if e["momentum"] else change


_CHANGE = "Δ"
# AdaGrad's and RMSProp's move: the gradient over the root of its accumulated square
_SCALED_STEP = _q(
    "change",
    "g s",
    lambda e: -e["lr"] * e["g"] / (_sqrt(e["s"]) + e["epsilon"]),
    "−η·g / (√s + ε)",
    _CHANGE,
)

OPTIMIZERS: dict[str, Optimizer] = {
    "sgd": Optimizer(
        "sgd",
        "gradient descent",
        {},
        (_q("change", "g", lambda e: -e["lr"] * e["g"], "−η·g", _CHANGE),),
        classic=True,
        torch=lambda torch, params, lr, h: torch.optim.SGD(params, lr=lr),
        derivation=derivations.sgd,
    ),
    "momentum": Optimizer(
        "momentum",
        "gradient descent with momentum",
        {"momentum": 0.9},
        (
            _q(
                "change",
                "g change_prev",
                lambda e: _descent_change(e),
                "−η·g + α·Δ(previous)",
                _CHANGE,
            ),
        ),
        state=("change",),
        classic=True,
        torch=lambda torch, params, lr, h: torch.optim.SGD(params, lr=lr, momentum=h["momentum"]),
        symbols={"momentum": "α"},
        derivation=derivations.momentum,
    ),
    "nesterov": Optimizer(
        "nesterov",
        "Nesterov momentum",
        {"momentum": 0.9},
        (
            _q(
                "v",
                "g v_prev",
                lambda e: e["momentum"] * e["v_prev"] - e["lr"] * e["g"],
                "α·v(previous) − η·g",
            ),
            _q(
                "change",
                "g v",
                lambda e: e["momentum"] * e["v"] - e["lr"] * e["g"],
                "α·v − η·g",
                _CHANGE,
            ),
        ),
        state=("v",),
        torch=lambda torch, params, lr, h: torch.optim.SGD(
            params, lr=lr, momentum=h["momentum"], nesterov=True
        ),
        symbols={"momentum": "α"},
        derivation=derivations.nesterov,
    ),
    "adagrad": Optimizer(
        "adagrad",
        "AdaGrad",
        {"epsilon": 1e-10},
        (
            _q("s", "g s_prev", lambda e: e["s_prev"] + e["g"] * e["g"], "s(previous) + g²"),
            _SCALED_STEP,
        ),
        state=("s",),
        torch=lambda torch, params, lr, h: torch.optim.Adagrad(params, lr=lr, eps=h["epsilon"]),
        symbols={"epsilon": "ε"},
        adaptive=True,
        derivation=derivations.adagrad,
    ),
    "rmsprop": Optimizer(
        "rmsprop",
        "RMSProp",
        {"rho": 0.99, "epsilon": 1e-8},
        (
            _q(
                "s",
                "g s_prev",
                lambda e: e["rho"] * e["s_prev"] + (1 - e["rho"]) * (e["g"] * e["g"]),
                "ρ·s(previous) + (1 − ρ)·g²",
            ),
            _SCALED_STEP,
        ),
        state=("s",),
        torch=lambda torch, params, lr, h: torch.optim.RMSprop(
            params, lr=lr, alpha=h["rho"], eps=h["epsilon"]
        ),
        symbols={"rho": "ρ", "epsilon": "ε"},
        adaptive=True,
        derivation=derivations.rmsprop,
    ),
}


def _adam(decoupled: bool) -> tuple[Quantity, ...]:
    """Adam's moments and their bias correction; AdamW adds the decay λ·old to the move,
    outside the moments (decoupled), where L2 in the loss would pass through them."""
    step = "η·(m̂ / (√v̂ + ε) + decay)" if decoupled else "η·m̂ / (√v̂ + ε)"

    def change(e: Env):
        move = e["mhat"] / (_sqrt(e["vhat"]) + e["epsilon"])
        if decoupled:
            move = move + e["decay"]
        return -e["lr"] * move

    decay = (
        # + 0.0: an undecayed negative bias's decay is 0, not −0
        (_q("decay", "old", lambda e: e["weight_decay"] * e["old"] + 0.0, "λ·old"),)
        if decoupled
        else ()
    )
    return (
        _q(
            "m",
            "g m_prev",
            lambda e: e["beta1"] * e["m_prev"] + (1 - e["beta1"]) * e["g"],
            "β₁·m(previous) + (1 − β₁)·g",
        ),
        _q(
            "v",
            "g v_prev",
            lambda e: e["beta2"] * e["v_prev"] + (1 - e["beta2"]) * (e["g"] * e["g"]),
            "β₂·v(previous) + (1 − β₂)·g²",
        ),
        _q(
            "mhat",
            "m",
            lambda e: e["m"] / (1 - e["beta1"] ** e["t"]),
            "m / (1 − β₁ᵗ)",
            "m̂",
            (("Adam without its bias correction (m̂ = m)", "m", lambda e: e["m"]),),
        ),
        _q(
            "vhat",
            "v",
            lambda e: e["v"] / (1 - e["beta2"] ** e["t"]),
            "v / (1 − β₂ᵗ)",
            "v̂",
            (("Adam without its bias correction (v̂ = v)", "v", lambda e: e["v"]),),
        ),
        *decay,
        _q("change", "mhat vhat decay" if decoupled else "mhat vhat", change, "−" + step, _CHANGE),
    )


_ADAM_SYMBOLS = {"beta1": "β₁", "beta2": "β₂", "epsilon": "ε", "weight_decay": "λ"}
OPTIMIZERS["adam"] = Optimizer(
    "adam",
    "Adam",
    {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
    _adam(decoupled=False),
    state=("m", "v"),
    torch=lambda torch, params, lr, h: torch.optim.Adam(
        params, lr=lr, betas=(h["beta1"], h["beta2"]), eps=h["epsilon"]
    ),
    symbols=_ADAM_SYMBOLS,
    adaptive=True,
    derivation=derivations.adam,
)
OPTIMIZERS["adamw"] = Optimizer(
    "adamw",
    "AdamW (decoupled weight decay)",
    {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 0.01},
    _adam(decoupled=True),
    state=("m", "v"),
    torch=lambda torch, params, lr, h: torch.optim.AdamW(
        params,
        lr=lr,
        betas=(h["beta1"], h["beta2"]),
        eps=h["epsilon"],
        weight_decay=h["weight_decay"],
    ),
    symbols=_ADAM_SYMBOLS,
    adaptive=True,
    derivation=derivations.adamw,
    decays=("weight_decay",),
)
