"""Batch normalization's backward pass, derived for `backprop-tutor derive batch_norm`.

Batch norm is the one layer whose examples are not independent: every x_i of the batch moves
the mean μ and the variance σ², and so every output y_j. The chain rule for ∂E/∂x_i therefore
runs through μ and σ², and the lectures reach its "short form" by way of ∂E/∂x̂, ∂E/∂σ² and
∂E/∂μ. This derivation shows those steps, each proved by SymPy equal to the one before, for a
batch of N = 3: SymPy proves identities about a sum it can write out, so N is concrete (the
algebra is the same for every N; tests/test_derive.py proves N = 2 and 4 as well).

Every step is written in the lecture's symbols (μ, σ², x̂_j, ∂E/∂σ², ...), which keeps it
short; the proofs substitute what each symbol stands for (`_Batch.known`), so a step is checked
against the definitions, not against the symbols' names.

SymPy arrives in a kit (symbolic/textbook.py), as for the optimizers and penalties, so the
registry imports none of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

N = 3  # the batch the identity is proved for; example 1 stands for any i, by symmetry


@dataclass
class _Batch:
    """One unit over a batch of n: the lecture's symbols, and what they stand for. `held` is
    x̂_j with μ and σ² as symbols of their own (for ∂E/∂σ² and ∂E/∂μ, which hold the other
    fixed); `known` is every symbol in terms of the x's alone (for ∂E/∂x_i)."""

    sp: Any
    n: int
    x: list
    g: list
    hat: list  # x̂_j
    y: list
    d_hat: list  # ∂E/∂x̂_j
    mu: Any
    var: Any  # σ², one symbol
    gamma: Any
    beta: Any
    eps: Any
    d_var: Any  # ∂E/∂σ²
    d_mu: Any  # ∂E/∂μ
    held: dict = field(default_factory=dict)
    known: dict = field(default_factory=dict)

    @property
    def root(self):
        """√(σ² + ε): what x̂ divides by."""
        return self.sp.sqrt(self.var + self.eps)

    def over(self, a, b):
        """a / b as a lecture writes it, not cancelled or reordered on the spot."""
        sp = self.sp
        return sp.Mul(a, sp.Pow(b, -1, evaluate=False), evaluate=False)

    def sum(self, terms):
        """A sum in the order its terms are given, none merged."""
        return self.sp.Add(*terms, evaluate=False)

    def dot(self, a: list, c: list, times=None):
        """Σ_j a_j·c_j, each product as `times` makes it (SymPy's own by default)."""
        times = times or (lambda u, v: u * v)
        return self.sum(times(u, v) for u, v in zip(a, c, strict=True))

    def output(self, hat):
        """y = γ·x̂ + β, as written."""
        sp = self.sp
        return sp.Add(sp.Mul(self.gamma, hat, evaluate=False), self.beta, evaluate=False)

    def mean(self):
        return self.sp.Add(*self.x) / self.n


def _batch(sp, n: int) -> _Batch:
    """The symbols, then `held` and `known`. No value of `known` holds one of its keys, so the
    order SymPy substitutes them in does not matter."""
    ones = range(1, n + 1)
    b = _Batch(
        sp,
        n,
        x=[sp.Symbol(f"x_{j}", real=True) for j in ones],
        g=[sp.Symbol(f"g_{j}", real=True) for j in ones],
        hat=[sp.Symbol(f"x̂_{j}", real=True) for j in ones],
        y=[sp.Symbol(f"y_{j}", real=True) for j in ones],
        d_hat=[sp.Symbol(f"∂E/∂x̂_{j}", real=True) for j in ones],
        mu=sp.Symbol("μ", real=True),
        var=sp.Symbol("σ²", nonnegative=True),
        gamma=sp.Symbol("γ", positive=True),
        beta=sp.Symbol("β", real=True),
        eps=sp.Symbol("ε", positive=True),
        d_var=sp.Symbol("∂E/∂σ²", real=True),
        d_mu=sp.Symbol("∂E/∂μ", real=True),
    )
    b.held.update({h: (xj - b.mu) / b.root for h, xj in zip(b.hat, b.x, strict=True)})
    mean = b.mean()
    statistics = {b.mu: mean, b.var: sp.Add(*((xj - mean) ** 2 for xj in b.x)) / n}
    known = {h: x_hat.subs(statistics) for h, x_hat in b.held.items()}
    known.update({yj: b.gamma * known[h] + b.beta for yj, h in zip(b.y, b.hat, strict=True)})
    known.update({d: b.gamma * gj for d, gj in zip(b.d_hat, b.g, strict=True)})
    known.update({b.d_var: _d_var(b), b.d_mu: _d_mu(b)})
    b.known.update({s: value.subs(known).subs(statistics) for s, value in known.items()})
    b.known.update(statistics)
    return b


def _d_var(b: _Batch):
    """∂E/∂σ² as the lectures write it: −1/2·(σ² + ε)^(−3/2)·Σ_j ∂E/∂x̂_j·(x_j − μ)."""
    sp = b.sp
    power = sp.Pow(b.var + b.eps, sp.Rational(-3, 2), evaluate=False)
    terms = b.dot(b.d_hat, b.x, lambda d, xj: sp.Mul(d, xj - b.mu, evaluate=False))
    return sp.Mul(sp.Rational(-1, 2), power, terms, evaluate=False)


def _d_mu(b: _Batch):
    """∂E/∂μ as the lectures write it: −Σ_j ∂E/∂x̂_j / √(σ² + ε)."""
    return -b.over(b.sum(b.d_hat), b.root)


def _parameter_steps(kit, b: _Batch) -> list:
    """∂E/∂γ and ∂E/∂β: each y_j = γ·x̂_j + β, so both sum their examples' share."""
    sp, Step = kit.sp, kit.Step
    outputs = [b.output(h) for h in b.hat]
    steps = []
    for p, total in (
        (b.gamma, b.dot(b.g, b.hat)),
        (b.beta, b.sum(b.g)),
    ):
        name = f"∂E/∂{p.name}"
        chain_rule = b.dot(b.g, [sp.Derivative(yj, p) for yj in outputs])
        steps += kit.chain(
            [
                Step(chain_rule, f"{p.name} is in every y_j; g_j = ∂E/∂y_j", name),
                Step(total, "differentiated: a sum over the batch", name),
            ]
        )
    return steps


def _hat_steps(kit, b: _Batch) -> list:
    """∂E/∂x̂_j, for any j: y_j is the only output x̂_j is in."""
    sp, Step = kit.sp, kit.Step
    g, hat = sp.Symbol("g_j", real=True), sp.Symbol("x̂_j", real=True)
    return kit.chain(
        [
            Step(g * sp.Derivative(b.output(hat), hat), "x̂_j is only in y_j", "∂E/∂x̂_j"),
            Step(sp.Mul(b.gamma, g, evaluate=False), "differentiated", "∂E/∂x̂_j"),
        ]
    )


def _var_steps(kit, b: _Batch) -> list:
    """∂E/∂σ²: through every x̂_j = (x_j − μ)/√(σ² + ε), with μ held."""
    sp, Step = kit.sp, kit.Step
    through = b.dot(b.d_hat, b.hat, lambda d, h: d * sp.Derivative(h, b.var))
    return kit.chain(
        [
            Step(through, "σ² is in every x̂_j = (x_j − μ)/√(σ² + ε)", "∂E/∂σ²"),
            Step(_d_var(b), "differentiated, μ held", "∂E/∂σ²"),
        ],
        known=b.held,
    )


def _mu_steps(kit, b: _Batch) -> list:
    """∂E/∂μ: through every x̂_j (σ² held), and through σ², which is written with μ. The
    second path is 0, but only because μ is the batch's own mean: that step is proved with
    μ = (x_1 + ... + x_N)/N put in, the two before it without."""
    sp, Step = kit.sp, kit.Step
    variance = b.over(b.sum((xj - b.mu) ** 2 for xj in b.x), b.n)
    through = [d * sp.Derivative(h, b.mu) for d, h in zip(b.d_hat, b.hat, strict=True)]
    deviations = b.sum(xj - b.mu for xj in b.x)
    path = sp.Mul(b.d_var, sp.Rational(-2, b.n), deviations, evaluate=False)
    steps = [
        Step(
            b.sum([*through, b.d_var * sp.Derivative(variance, b.mu)]),
            f"μ is in every x̂_j, and in σ² = (1/{b.n})·Σ_j (x_j − μ)²",
            "∂E/∂μ",
        ),
        Step(b.sum([-b.over(b.sum(b.d_hat), b.root), path]), "differentiated", "∂E/∂μ"),
        Step(_d_mu(b), "Σ_j (x_j − μ) = 0: σ²'s path adds nothing", "∂E/∂μ"),
    ]
    kit.chain(steps[:2], known=b.held)
    kit.chain(steps[1:], known={b.mu: b.mean()})
    return steps


def _x_steps(kit, b: _Batch) -> list:
    """∂E/∂x_1 four ways: the chain rule over every y_j, each ∂y_j/∂x_1 through μ and σ², the
    lecture's three paths (x̂_1, σ², μ), and the short form."""
    sp, Step, n = kit.sp, kit.Step, b.n
    name, x1, h1 = "∂E/∂x_1", b.x[0], b.hat[0]
    chain_rule = b.dot(b.g, b.y, lambda gj, yj: gj * sp.Derivative(yj, x1))
    jacobian = b.sum(
        sp.Mul(gj, b.sum([*([1] if j == 0 else []), -sp.Rational(1, n), -h1 * h / n]))
        for j, (gj, h) in enumerate(zip(b.g, b.hat, strict=True))
    )
    variance_path = b.over(sp.Mul(2, x1 - b.mu, evaluate=False), n)
    paths = [b.over(b.d_hat[0], b.root), sp.Mul(b.d_var, variance_path, evaluate=False)]
    minus = [sp.Mul(-1, b.sum(b.g), evaluate=False)]
    minus.append(sp.Mul(-1, h1, b.dot(b.g, b.hat), evaluate=False))
    short = sp.Mul(b.gamma / (n * b.root), b.sum([n * b.g[0], *minus]), evaluate=False)
    return kit.chain(
        [
            Step(chain_rule, "chain rule: every y_j depends on x_1", name),
            Step(
                sp.Mul(b.gamma / b.root, jacobian, evaluate=False),
                f"through μ and σ²: ∂y_j/∂x_1 = γ·(δ_j1 − 1/{n} − x̂_1·x̂_j/{n})/√(σ² + ε)",
                name,
            ),
            Step(
                b.sum([*paths, b.over(b.d_mu, n)]),
                f"via x̂_1, σ² and μ: ∂σ²/∂x_1 = 2(x_1 − μ)/{n}, ∂μ/∂x_1 = 1/{n}",
                name,
            ),
            Step(short, "the short form", name),
        ],
        known=b.known,
    )


def batch_norm(kit, n: int = N):
    """`derive batch_norm`: ∂E/∂γ, ∂E/∂β, the lecture's partials and ∂E/∂x_i's short form."""
    b = _batch(kit.sp, n)
    steps = [
        *_parameter_steps(kit, b),
        *_hat_steps(kit, b),
        *_var_steps(kit, b),
        *_mu_steps(kit, b),
        *_x_steps(kit, b),
    ]
    return kit.derivation(
        "batch_norm",
        "Batch normalization's backward pass: the short form of ∂E/∂x_i",
        steps,
        notes=_notes(n),
    )


def _notes(n: int) -> list[str]:
    return [
        f"one unit's net inputs x_1..x_{n} over a batch of N = {n} (a hidden layer's, with no "
        "bias), μ = (1/N)·Σ_j x_j, x̂_i = (x_i − μ)/√(σ² + ε), y_i = γ·x̂_i + β and g_i = "
        f"∂E/∂y_i; proved for N = {n} and x_1, which stands for every x_i by symmetry",
        "for any N and i the short form is ∂E/∂x_i = γ/(N·√(σ² + ε))·(N·g_i − Σ_j g_j − "
        "x̂_i·Σ_j g_j·x̂_j): the other examples' g_j enter only through these two sums",
        "μ and σ² are the batch's own: σ² = (1/N)·Σ_j (x_j − μ)², the biased variance PyTorch "
        "uses in training, and the gradient flows through both",
        "a batch of 1 has σ² = 0 and x̂ = 0 whatever x is: y = β, and ∂E/∂x = 0 (the short "
        "form is γ/√ε·(g − g − 0)), so batch norm needs N ≥ 2 (PyTorch refuses a batch of 1 "
        "in training)",
        "at test time running averages of μ and σ² replace the batch's: they are constants "
        "then, and ∂E/∂x_i = γ·g_i/√(σ² + ε) alone, σ² the running one",
        "a bias added to x before batch norm is redundant: it moves every x_i and μ alike, so "
        "x_i − μ drops it; β takes its place",
    ]
