"""Batch normalization against independent references, on networks the lectures don't have.

A hand numpy pass here (the forward statistics from their definition, the backward pass by
the long chain rule through μ and σ², not the short form the engine uses), PyTorch's own
`batch_norm` and torch.optim for three updates, central differences on the batch's loss, the
rules `check` replays, and `train` on batches.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from conftest import CONFIGS
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_optimizers import _close, gradients_agree, spec_params
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.core.errors import SpecError
from backprop_tutor.core.rules import Evaluator
from backprop_tutor.core.trace_rules import trace_rules
from backprop_tutor.record import run
from backprop_tutor.render.formats import DOCUMENTS
from backprop_tutor.spec import load_spec, spec_from_text
from backprop_tutor.teach.gradcheck import gradcheck
from backprop_tutor.train import train

ACTIVATIONS = {  # written here, each with its slope from its output
    "sigmoid": (lambda a: 1 / (1 + np.exp(-a)), lambda z: z * (1 - z)),
    "tanh": (np.tanh, lambda z: 1 - z**2),
    "relu": (lambda a: np.maximum(a, 0.0), lambda z: (z > 0) * 1.0),
}
EPSILON = 1e-3  # the hand pass's and PyTorch's; the drawn networks take 1e-5 too


@st.composite
def normalized_networks(draw, optimizers=("sgd",)) -> dict:
    """1-3 inputs, a batch-normalized hidden layer of 2-3 units (sigmoid or tanh), a sigmoid
    output layer, 2-4 examples in the batch."""
    n_in, n_hidden, n_out = (draw(st.integers(lo, hi)) for lo, hi in ((1, 3), (2, 3), (1, 2)))
    number = st.floats(-1.5, 1.5, allow_nan=False).map(lambda v: round(v, 3))
    examples = [
        {
            "inputs": [draw(number) for _ in range(n_in)],
            "targets": [draw(st.floats(0.05, 0.95)) for _ in range(n_out)],
        }
        for _ in range(draw(st.integers(2, 4)))
    ]
    return {
        "examples": examples,
        "layers": [
            {
                "units": n_hidden,
                "activation": draw(st.sampled_from(sorted(ACTIVATIONS))),
                "weights": [[draw(number) for _ in range(n_in)] for _ in range(n_hidden)],
                "batch_norm": {
                    "gamma": [draw(st.floats(0.5, 1.5)) for _ in range(n_hidden)],
                    "beta": [draw(number) for _ in range(n_hidden)],
                    "epsilon": draw(st.sampled_from([EPSILON, 1e-5])),
                },
            },
            {
                "units": n_out,
                "activation": "sigmoid",
                "weights": [[draw(number) for _ in range(n_hidden)] for _ in range(n_out)],
                "bias": draw(number),
            },
        ],
        "loss": "half_sse",
        "learning_rate": 0.3,
        "optimizer": draw(st.sampled_from(optimizers)),
        "steps": 3,
        "training": {"batch": "full", "reduction": draw(st.sampled_from(["mean", "sum"]))},
    }


def _away_from_the_kink(trace) -> bool:
    """No ReLU input y within 1e-6 of its kink in any step: there the difference quotient
    straddles it (half a slope), PyTorch and the engine may round to opposite sides, and
    each is right."""
    if trace.header.activations[0] != "relu":
        return True
    return all(abs(v) > 1e-6 for k, v in trace.values().items() if k.startswith("y["))


def _spec(raw: dict):
    return spec_from_text(yaml.safe_dump(raw), "drawn.yaml")


def _by_hand(raw: dict, w1, gamma, beta, w2, b2):
    """One step's numbers, written from the definitions (examples in columns)."""
    epsilon = raw["layers"][0]["batch_norm"]["epsilon"]
    x = np.array([e["inputs"] for e in raw["examples"]]).T
    t = np.array([e["targets"] for e in raw["examples"]]).T
    act, slope = ACTIVATIONS[raw["layers"][0]["activation"]]
    count = x.shape[1]
    net = w1 @ x
    mu = net.mean(axis=1, keepdims=True)
    var = ((net - mu) ** 2).mean(axis=1, keepdims=True)
    xhat = (net - mu) / np.sqrt(var + epsilon)
    z = act(gamma[:, None] * xhat + beta[:, None])
    o = 1 / (1 + np.exp(-(w2 @ z + b2)))
    delta_o = (o - t) * o * (1 - o)
    dy = (w2.T @ delta_o) * slope(z)
    # the long way through μ and σ² (Ioffe and Szegedy, 2015, section 3)
    dxhat = dy * gamma[:, None]
    dvar = np.sum(dxhat * (net - mu), axis=1, keepdims=True) * -0.5 * (var + epsilon) ** -1.5
    dmu = (
        np.sum(-dxhat / np.sqrt(var + epsilon), axis=1, keepdims=True)
        + dvar * np.sum(-2 * (net - mu), axis=1, keepdims=True) / count
    )
    delta_h = dxhat / np.sqrt(var + epsilon) + dvar * 2 * (net - mu) / count + dmu / count
    grads = (
        delta_h @ x.T,
        np.sum(dy * xhat, axis=1),
        np.sum(dy, axis=1),
        delta_o @ z.T,
        delta_o.sum(),
    )
    return {"mu": mu[:, 0], "var": var[:, 0], "xhat": xhat, "z": z, "delta": delta_h}, grads


@settings(max_examples=30, deadline=None)
@given(raw=normalized_networks())
def test_every_step_is_batch_normalization_by_hand(raw: dict) -> None:
    """Three updates: the statistics, x̂, the outputs and the deltas of every example, and
    the new parameters, against the hand pass."""
    trace = run(_spec(raw))
    values = trace.values()
    hidden, output = raw["layers"]
    w1, w2 = np.array(hidden["weights"], dtype=float), np.array(output["weights"], dtype=float)
    gamma = np.array(hidden["batch_norm"]["gamma"])
    beta = np.array(hidden["batch_norm"]["beta"], dtype=float)
    b2 = float(output["bias"])
    units = [f.unit for f in trace.steps[0].batch[0].forward if f.layer == 1]
    count = len(raw["examples"])
    scale = 0.3 / count if raw["training"]["reduction"] == "mean" else 0.3
    for n in range(1, 4):
        at = "" if n == 1 else f"@{n}"
        numbers, grads = _by_hand(raw, w1, gamma, beta, w2, b2)
        for j, u in enumerate(units):
            assert _close(values[f"mean[{u}]{at}"], numbers["mu"][j], 1e-12)
            assert _close(values[f"var[{u}]{at}"], numbers["var"][j], 1e-10)
            for k in range(count):
                assert _close(values[f"xhat[{u}]{at}#{k + 1}"], numbers["xhat"][j, k], 1e-9)
                assert _close(values[f"out[{u}]{at}#{k + 1}"], numbers["z"][j, k], 1e-10)
                delta = values[f"delta[{u}]{at}#{k + 1}"]
                assert abs(delta - numbers["delta"][j, k]) <= 1e-9 * (1 + abs(delta)), (u, k)
        w1, gamma, beta = w1 - scale * grads[0], gamma - scale * grads[1], beta - scale * grads[2]
        w2, b2 = w2 - scale * grads[3], b2 - scale * grads[4]
    for j, u in enumerate(units):
        assert abs(values[f"new[gamma_{u}]@3"] - gamma[j]) <= 1e-9
        assert abs(values[f"new[beta_{u}]@3"] - beta[j]) <= 1e-9


@settings(max_examples=20, deadline=None)
@given(raw=normalized_networks(optimizers=("sgd", "momentum", "adam")))
def test_batch_normalization_agrees_with_torch_and_central_differences(raw: dict) -> None:
    """`gradcheck` on the batch's loss, and `--torch`'s three updates through PyTorch's own
    batch_norm and torch.optim, to 1e-10."""
    spec = _spec(raw)
    trace = run(spec)
    assume(_away_from_the_kink(trace))
    checks = gradcheck(spec)
    assert all(c.passed for c in checks), [c for c in checks if not c.passed]
    pytest.importorskip("torch", reason="PyTorch is not installed (pip install '.[test]')")
    from backprop_tutor.teach.gradcheck import torch_check, torch_update_check

    assert all(c.passed for c in torch_check(spec))
    assume(gradients_agree(spec, trace))
    checks = torch_update_check(spec)
    assert len(checks) == 3 * len(spec_params(spec))
    assert all(c.passed for c in checks), [c for c in checks if not c.passed]


@settings(max_examples=15, deadline=None)
@given(raw=normalized_networks())
def test_the_rules_replay_every_batch_normalization_quantity(raw: dict) -> None:
    """From the givens alone (inputs, targets, the first parameters), the rules recompute
    every statistic, x̂, y, ∂E/∂y, sum and delta of three steps."""
    trace = run(_spec(raw))
    values, rules = trace.values(), trace_rules(trace)
    leaves = {key: value for key, value in values.items() if key not in rules}
    assert all(key.partition("[")[0] in ("input", "target", "old") for key in leaves)
    replayed = Evaluator(rules, values).replay(leaves)
    kinds = ("mean", "var", "xhat", "y", "dout_dy", "dy", "sum_dy", "sum_dy_xhat", "delta", "new")
    checked = set()
    for key, (value, _) in replayed.items():
        kind = key.partition("[")[0]
        if kind in kinds and key in values:
            assert abs(value - values[key]) <= 1e-9 * (1 + abs(values[key])), key
            checked.add(kind)
    assert checked == set(kinds)


@settings(max_examples=15, deadline=None)
@given(raw=normalized_networks(), momentum=st.sampled_from([0.1, 0.5, 1.0]))
def test_the_test_pass_is_pytorchs_eval_mode(raw: dict, momentum: float) -> None:
    """Three steps in PyTorch's training mode (BatchNorm1d's own running statistics), then
    its eval mode on a test example: the same running μ and σ², outputs and loss."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install '.[test]')")
    raw["layers"][0]["batch_norm"]["momentum"] = momentum
    raw["test"] = [raw["examples"][0]]
    spec = _spec(raw)
    trace = run(spec)
    values = trace.values()
    # a unit whose net inputs are almost alike (σ² ≈ 0: its weights near 0) passes float64's
    # last bits on multiplied by 1/σ, and the two orders of summation part: not a comparison
    assume(min(v for k, v in values.items() if k.startswith("var[")) > 1e-6)
    hidden, output = raw["layers"]
    t64 = torch.float64
    w1 = torch.tensor(hidden["weights"], dtype=t64, requires_grad=True)
    epsilon = hidden["batch_norm"]["epsilon"]
    bn = torch.nn.BatchNorm1d(len(w1), eps=epsilon, momentum=momentum, dtype=t64)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(hidden["batch_norm"]["gamma"], dtype=t64))
        bn.bias.copy_(torch.tensor(hidden["batch_norm"]["beta"], dtype=t64))
    w2 = torch.tensor(output["weights"], dtype=t64, requires_grad=True)
    b2 = torch.tensor([float(output["bias"])], dtype=t64, requires_grad=True)
    act = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[hidden["activation"]]

    def forward(x):
        return torch.sigmoid(act(bn(x @ w1.T)) @ w2.T + b2)

    x = torch.tensor([e["inputs"] for e in raw["examples"]], dtype=t64)
    t = torch.tensor([e["targets"] for e in raw["examples"]], dtype=t64)
    mean = raw["training"]["reduction"] == "mean"
    optimizer = torch.optim.SGD([w1, bn.weight, bn.bias, w2, b2], lr=0.3)
    for _ in range(3):
        optimizer.zero_grad()
        loss = (0.5 * (t - forward(x)) ** 2).sum()
        (loss / len(x) if mean else loss).backward()
        optimizer.step()
    units = [f"h{j}" for j in range(1, len(w1) + 1)]
    for j, u in enumerate(units):
        assert _close(values[f"running_mean[{u}]@3"], float(bn.running_mean[j]), 1e-10)
        assert _close(values[f"running_var[{u}]@3"], float(bn.running_var[j]), 1e-10)
    bn.eval()
    with torch.no_grad():
        out = forward(x[:1])[0]
    for k, value in enumerate(out):
        assert abs(values[f"out[o{k + 1}]@test1"] - float(value)) <= 1e-10


def test_a_batch_of_one_is_refused_where_training_would_make_one() -> None:
    """The file's batch has three examples; mini-batches of 2 would leave the third alone."""
    text = yaml.safe_load((CONFIGS / "batch-norm.yaml").read_text(encoding="utf-8"))
    text["training"] = {"batch": "mini", "batch_size": 2}
    with pytest.raises(SpecError, match="the last batch of each epoch holds 1 example"):
        spec_from_text(yaml.safe_dump(text), "drawn.yaml")


def test_training_on_full_batches_takes_runs_steps() -> None:
    """`train` with a full batch (one batch: no shuffling) takes the same updates as `run`'s
    steps, every parameter to the last bit, and its loss goes down."""
    text = yaml.safe_load((CONFIGS / "batch-norm.yaml").read_text(encoding="utf-8"))
    text["training"].update(epochs=3, max_epochs=3)
    spec = spec_from_text(yaml.safe_dump(text), str(CONFIGS / "batch-norm.yaml"))
    steps = run(spec).values()
    result = train(spec, {1, 2})
    traced = {u.param: u.new for u in result.traced[2].updates}
    assert len(traced) == 13  # w1..w8, γ and β of h1 and h2, b2
    for name, value in traced.items():
        assert value == steps[f"new[{name}]@2"], name
    assert result.losses[-1] < result.losses[0]


def test_the_bundled_config_runs_and_its_sums_are_gammas_and_betas_gradients() -> None:
    """configs/batch-norm.yaml: the batch's gradient of γ is the mean of Σ ∂E/∂y·x̂ (the
    reduction is the mean), β's of Σ ∂E/∂y."""
    values = run(load_spec(CONFIGS / "batch-norm.yaml")).values()
    for unit in ("h1", "h2"):
        assert _close(values[f"grad[gamma_{unit}]"], values[f"sum_dy_xhat[{unit}]"] / 3, 1e-12)
        assert _close(values[f"grad[beta_{unit}]"], values[f"sum_dy[{unit}]"] / 3, 1e-12)


def test_the_explore_page_walks_through_the_statistics_in_hand_order() -> None:
    """The explore page's walk has every batch-normalization quantity, μ after every
    example's net input and δ after the sums it reads."""
    from backprop_tutor.render.explore import _Page

    order = _Page(run(load_spec(CONFIGS / "batch-norm.yaml")), None).order()
    for kind in ("mean", "var", "running_mean", "xhat", "y", "dout_dy", "dy", "sum_dy"):
        assert f"{kind}[h1]" in order or f"{kind}[h1]#1" in order, kind
    assert order.index("mean[h1]") > order.index("net[h1]#3")
    assert order.index("xhat[h1]#1") > order.index("var[h1]")
    assert order.index("delta[h1]#1") > order.index("sum_dy_xhat[h1]") > order.index("dy[h1]#3")


@pytest.mark.parametrize("format", DOCUMENTS["worked example"].formats)
def test_the_config_in_every_format_of_the_worked_example(format: str, tmp_path) -> None:
    """configs/batch-norm.yaml written in each format `run` has: every number whole (γ's
    update, a running σ² and a test output as the tables print them)."""
    path = tmp_path / f"out.{format}"
    args = ["run", str(CONFIGS / "batch-norm.yaml"), "-f", format, "-o", str(path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    content = path.read_text(encoding="utf-8", errors="replace")
    for shown in ("1.00063", "0.90089", "0.69361"):
        assert shown in content, (format, shown)


def test_a_traced_training_update_starts_from_the_running_statistics_training_left() -> None:
    """`train --trace-steps 2`: the running μ and σ² update 1 left (untraced) are where the
    traced update 2 starts, as `run`'s step 2 does; so is the replayed last update."""
    text = yaml.safe_load((CONFIGS / "batch-norm.yaml").read_text(encoding="utf-8"))
    text["training"].update(epochs=3, max_epochs=3)
    spec = spec_from_text(yaml.safe_dump(text), str(CONFIGS / "batch-norm.yaml"))
    steps = run(spec).values()
    traced = train(spec, {2}).traced[2].values()
    for unit in ("h1", "h2"):
        for state in ("running_mean", "running_var"):
            assert traced[f"{state}[{unit}]"] == steps[f"{state}[{unit}]@2"]


def test_run_chooses_parameters_of_a_batch_normalized_step() -> None:
    """`run --param w1,gamma_h1` keeps those rows: the parameters come from the step's
    updates, which a batch step has (its gradients are its examples')."""
    args = ["run", str(CONFIGS / "batch-norm.yaml"), "--param", "w1,gamma_h1", "-f", "markdown"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("| ")]
    assert any(row.startswith("| w1 ") for row in rows)
    assert any(row.startswith("| gamma_h1 ") for row in rows)
    assert not any(row.startswith("| w5 ") for row in rows)


def test_notations_with_a_y_of_their_own_name_gamma_xhat_plus_beta_v() -> None:
    """Xu's hidden outputs are y, Borela's outputs too: there γ·x̂ + β is v, elsewhere y."""
    from backprop_tutor.render.labels import Labels

    header = run(load_spec(CONFIGS / "batch-norm.yaml")).header
    symbols = {name: Labels(header, name).bn_y for name in ("xu", "borela", "dawood", "generic")}
    assert symbols == {"xu": "v", "borela": "v", "dawood": "y", "generic": "y"}


def test_the_rules_replay_a_traced_epoch_whose_last_batch_is_smaller() -> None:
    """5 examples in mini-batches of 3: the traced updates hold 3 and then 2 examples, and
    each δ's rule divides by its own batch's N (a rule read with the first batch's 3 was
    wrong for the second)."""
    from backprop_tutor.core.trace import Trace
    from backprop_tutor.record import header

    text = yaml.safe_load((CONFIGS / "batch-norm.yaml").read_text(encoding="utf-8"))
    text["examples"] += [
        {"inputs": [0.2, 0.7], "targets": [0.3, 0.6]},
        {"inputs": [0.8, 0.1], "targets": [0.7, 0.2]},
    ]
    text["training"] = {"batch": "mini", "batch_size": 3, "shuffle": False, "epochs": 1}
    spec = spec_from_text(yaml.safe_dump(text), str(CONFIGS / "batch-norm.yaml"))
    traced = train(spec, {1, 2}).traced
    trace = Trace(header(spec), (traced[1], traced[2]))
    assert [len(step.batch) for step in trace.steps] == [3, 2]
    values, rules = trace.values(), trace_rules(trace)
    leaves = {key: value for key, value in values.items() if key not in rules}
    replayed = Evaluator(rules, values).replay(leaves)
    deltas = [key for key in replayed if key.startswith("delta[h1]@2#")]
    assert len(deltas) == 2
    for key, (value, _) in replayed.items():
        if key in values:
            assert abs(value - values[key]) <= 1e-9 * (1 + abs(values[key])), key
