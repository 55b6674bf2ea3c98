"""The activations' textbook derivations, for `derive NAME`: each step as a lecture writes it.

The kit (symbolic/textbook.py) brings SymPy, Step and the prover as arguments, so nothing here
imports SymPy; core/activations.py names one of these in each entry's `derivation`.
"""

from __future__ import annotations


def sigmoid_derivation(kit):
    sp, x, Step = kit.sp, kit.x, kit.Step
    sigma = sp.Function("σ")
    e = sp.exp(-x)
    s = 1 / (1 + e)
    steps = kit.chain(
        [
            Step(
                sp.Derivative(sp.Pow(1 + e, -1, evaluate=False), x), "σ(x) = 1/(1 + e^−x)", "dσ/dx"
            ),
            Step(
                sp.Mul(
                    -1, sp.Pow(1 + e, -2, evaluate=False), sp.Derivative(1 + e, x), evaluate=False
                ),
                "chain rule on (1 + e^−x)^−1",
            ),
            Step(
                sp.Mul(-1, sp.Pow(1 + e, -2, evaluate=False), -e, evaluate=False),
                "d/dx e^−x = −e^−x",
            ),
            Step(e / (1 + e) ** 2, "simplify"),
            Step(sp.Mul(s, e / (1 + e), evaluate=False), "split the fraction"),
            Step(sp.Mul(s, 1 - s, evaluate=False), "e^−x/(1 + e^−x) = 1 − 1/(1 + e^−x)"),
            Step(sp.Mul(sigma(x), 1 - sigma(x), evaluate=False), "σ(x) = 1/(1 + e^−x)"),
        ],
        known={sigma(x): s},
    )
    return kit.derivation(
        "sigmoid",
        "The sigmoid's derivative, step by step",
        steps,
        notes=[
            "so dout/dnet = out (1 − out): the derivative needs only "
            "the output, which the forward pass already has"
        ],
    )


def tanh_derivation(kit):
    sp, x, Step = kit.sp, kit.x, kit.Step
    ep, em = sp.exp(x), sp.exp(-x)
    t = (ep - em) / (ep + em)
    steps = kit.chain(
        [
            Step(sp.Derivative(t, x), "tanh(x) = (e^x − e^−x)/(e^x + e^−x)", "d tanh/dx"),
            Step(((ep + em) ** 2 - (ep - em) ** 2) / (ep + em) ** 2, "quotient rule"),
            Step(1 - t**2, "split the fraction"),
            Step(1 - sp.tanh(x) ** 2, "tanh"),
        ],
        known={},
    )
    return kit.derivation("tanh", "tanh's derivative", steps, notes=["so dout/dnet = 1 − out²"])


def piecewise_derivation(kit, name: str, entry):
    Step = kit.Step
    result = kit.derivative(entry)
    steps = [
        Step(result.function, "", f"{name}(x)"),
        Step(result.raw, "differentiate each piece", f"d {name}/dx", None),
        Step(
            result.textbook,
            "as the engine uses it (at x = 0, where there is no derivative: the "
            "left-hand piece, 0 for ReLU and alpha for leaky ReLU, as PyTorch)",
            "",
            result.proved,
        ),
    ]
    return kit.derivation(
        name,
        f"{name}'s derivative, piece by piece",
        steps,
        notes=[
            "not differentiable at 0; below 0 a ReLU passes no "
            "gradient at all, which is how units die"
        ],
    )


def linear_derivation(kit, entry):
    Step = kit.Step
    result = kit.derivative(entry)
    steps = [Step(result.function, "", "linear(x)"), Step(result.raw, "", "d/dx", result.proved)]
    return kit.derivation(
        "linear",
        "The linear activation's derivative",
        steps,
        notes=["so at a linear output, delta = dE/dout: y − t for ½(y − t)²"],
    )


def softmax_derivation(kit):
    sp, Step = kit.sp, kit.Step
    n1, n2, n3 = sp.symbols("net_1:4", real=True)
    nets = [n1, n2, n3]
    total = sum(sp.exp(n) for n in nets)
    z = [sp.exp(n) / total for n in nets]
    zs = sp.symbols("z_1:4", positive=True)
    diag = sp.diff(z[0], n1)
    off = sp.diff(z[0], n2)
    steps = [
        Step(z[0], "softmax, shown for K = 3 (the proof is the same for any K)", "z_1"),
        Step(diag, "quotient rule", "∂z_1/∂net_1"),
        Step(
            zs[0] * (1 - zs[0]),
            "with z_1 = e^net_1/Σ e^net_i",
            "",
            kit.equal(diag, z[0] * (1 - z[0])),
        ),
        Step(off, "quotient rule", "∂z_1/∂net_2"),
        Step(-zs[0] * zs[1], "", "", kit.equal(off, -z[0] * z[1])),
    ]
    return kit.derivation(
        "softmax",
        "Softmax's Jacobian",
        steps,
        notes=[
            "in general ∂z_j/∂net_k = z_j (δ_jk − z_k): every output moves with every net "
            "input, so delta_k = Σ_j ∂E/∂z_j · ∂z_j/∂net_k needs the whole row, "
            "not only z_k(1 − z_k)"
        ],
    )
