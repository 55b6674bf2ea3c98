"""Training speed and memory, each against a reference measured side by side in the same run.

Run on demand (see README): pytest tests/benchmarks -o addopts="" --benchmark-only -s
The reference is a plain numpy loop written the obvious way, doing the same work as `train`:
shuffle each epoch, forward, backward, update (with momentum), and the loss over all examples
once per epoch (which the stopping rules need). Figures are ratios of medians, never times.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from backprop_tutor.spec import spec_from_text
from backprop_tutor.train import data_arrays, train

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 5


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def numpy_loop(w1, b1, w2, b2, x, t, epochs, eta, alpha, batch, seed=0):
    """Two sigmoid layers, half SSE, mean over a batch, momentum: the hand-written reference."""
    rng = np.random.default_rng(seed)
    v = [np.zeros_like(a) for a in (w1, b1, w2, b2)]
    n = x.shape[1]
    losses = []
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch):
            idx = order[start : start + batch]
            xb, tb = x[:, idx], t[:, idx]
            h = _sigmoid(w1 @ xb + b1[:, None])
            o = _sigmoid(w2 @ h + b2[:, None])
            d2 = (o - tb) * o * (1 - o)
            d1 = (w2.T @ d2) * h * (1 - h)
            grads = (d1 @ xb.T, d1.sum(axis=1), d2 @ h.T, d2.sum(axis=1))
            for k, (param, grad) in enumerate(zip((w1, b1, w2, b2), grads, strict=True)):
                v[k] = -eta * grad / len(idx) + alpha * v[k]
                param += v[k]
        o = _sigmoid(w2 @ _sigmoid(w1 @ x + b1[:, None]) + b2[:, None])
        losses.append(float(np.sum(0.5 * (t - o) ** 2)) / n)
    return losses


def _spec(text: str, **training):
    spec = yaml.safe_load(text)
    spec["training"] = {**spec.get("training", {}), "loss_threshold": None, **training}
    return spec_from_text(yaml.safe_dump(spec), str(ROOT / "configs" / "bench.yaml"))


def _start(spec):
    """The same starting parameters for the reference loop."""
    layers = spec.layers
    return [
        np.array(layers[0].weights),
        np.array(layers[0].bias_values),
        np.array(layers[1].weights),
        np.array(layers[1].bias_values),
    ]


def _side_by_side(benchmark, ours, reference) -> float:
    """Alternate the two, ROUNDS times each; the ratio of the medians."""
    times: list[float] = []

    def time_reference() -> None:
        start = time.perf_counter()
        reference()
        times.append(time.perf_counter() - start)

    benchmark.pedantic(ours, setup=time_reference, rounds=ROUNDS, iterations=1)
    ratio = benchmark.stats.stats.median / statistics.median(times)
    benchmark.extra_info.update(reference_median_s=statistics.median(times), ratio=ratio)
    return ratio


def test_xor_stochastic_10000_epochs_against_a_numpy_loop(benchmark) -> None:
    spec = _spec((ROOT / "configs" / "xor.yaml").read_text(), epochs=10_000, max_epochs=10_000)
    x, t = data_arrays(spec)
    rules = spec.training

    def reference():
        numpy_loop(*_start(spec), x, t, 10_000, spec.learning_rate, rules.momentum, 1)

    ratio = _side_by_side(benchmark, lambda: train(spec), reference)
    print(
        f"\nXOR, 10,000 stochastic epochs (40,000 updates): {ratio:.2f}x the numpy loop's time "
        "per update (target 1.0x)"
    )
    assert ratio <= 1.0


def test_xor_against_pytorch(benchmark) -> None:
    torch = pytest.importorskip("torch")
    spec = _spec((ROOT / "configs" / "xor.yaml").read_text(), epochs=2_000, max_epochs=2_000)
    x, t = (torch.tensor(a.T) for a in data_arrays(spec))
    w1, b1, w2, b2 = (torch.tensor(a, requires_grad=True) for a in _start(spec))
    params = [w1, b1, w2, b2]
    optimizer = torch.optim.SGD(params, lr=spec.learning_rate, momentum=spec.training.momentum)

    def reference():
        generator = torch.Generator().manual_seed(0)
        for _ in range(2_000):
            for k in torch.randperm(4, generator=generator):
                optimizer.zero_grad()
                h = torch.sigmoid(x[k] @ w1.T + b1)
                o = torch.sigmoid(h @ w2.T + b2)
                (0.5 * ((t[k] - o) ** 2).sum()).backward()
                optimizer.step()

    ratio = _side_by_side(benchmark, lambda: train(spec), reference)
    print(f"\nXOR against PyTorch on the CPU: {1 / ratio:.1f}x faster (target at least 3x)")
    assert ratio <= 1 / 3


def _classes_64() -> str:
    """64 inputs, 10 classes, 2,000 synthetic examples: a 64-128-10 sigmoid network."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (2000, 64))
    labels = np.argmax(x[:, :10], axis=1)
    rows = [
        (list(map(float, xi)), [float(k == c) for k in range(10)])
        for xi, c in zip(x, labels, strict=True)
    ]
    return yaml.safe_dump(
        {
            "examples": [{"inputs": a, "targets": b} for a, b in rows],
            "layers": [
                {"units": 128, "activation": "sigmoid", "bias": "init"},
                {"units": 10, "activation": "sigmoid", "bias": "init"},
            ],
            "init": {"method": "xavier", "seed": 0},
            "loss": "half_sse",
            "learning_rate": 0.5,
            "training": {"batch": "full", "epochs": 200, "max_epochs": 200},
        }
    )


def test_64_128_10_full_batch_against_a_numpy_loop(benchmark) -> None:
    text = _classes_64()
    spec = _spec(text)
    xs, ts = data_arrays(spec)

    def reference():
        numpy_loop(*_start(spec), xs, ts, 200, spec.learning_rate, 0.0, 2000)

    ratio = _side_by_side(benchmark, lambda: train(spec), reference)
    print(
        f"\n64-128-10, 2,000 examples, 200 full-batch epochs: {ratio:.2f}x the numpy loop "
        "(target 0.9x)"
    )
    assert ratio <= 0.9


def test_64_128_10_full_batch_against_pytorch(benchmark) -> None:
    torch = pytest.importorskip("torch")
    spec = _spec(_classes_64(), **{})
    xs, ts = (torch.tensor(a) for a in data_arrays(spec))
    start = [torch.tensor(a, requires_grad=True) for a in _start(spec)]
    optimizer = torch.optim.SGD(start, lr=spec.learning_rate)
    w1, b1, w2, b2 = start

    def reference():
        for _ in range(200):
            optimizer.zero_grad()
            o = torch.sigmoid(w2 @ torch.sigmoid(w1 @ xs + b1[:, None]) + b2[:, None])
            (0.5 * ((ts - o) ** 2).sum() / xs.shape[1]).backward()
            optimizer.step()
            with torch.no_grad():  # the loss over all examples once an epoch, as train has
                o = torch.sigmoid(w2 @ torch.sigmoid(w1 @ xs + b1[:, None]) + b2[:, None])
                float((0.5 * (ts - o) ** 2).sum()) / xs.shape[1]

    ratio = _side_by_side(benchmark, lambda: train(spec), reference)
    print(f"\n64-128-10 full batch: {ratio:.2f}x PyTorch on the CPU (target 1.0x)")
    assert ratio <= 1.0


# VmHWM, this process's own peak: getrusage's ru_maxrss would keep the peak of the pytest
# process it was forked from across the exec (Linux keeps it in the signal struct)
PEAK_SCRIPT = """
import sys, yaml
from backprop_tutor.spec import spec_from_text
from backprop_tutor.train import train
spec = yaml.safe_load(open(sys.argv[1]))
spec["training"].update(epochs=int(sys.argv[2]), max_epochs=int(sys.argv[2]), loss_threshold=None)
train(spec_from_text(yaml.safe_dump(spec), sys.argv[1]))
with open("/proc/self/status") as lines:
    print(next(int(line.split()[1]) for line in lines if line.startswith("VmHWM:")))
"""


def _peak_kib(epochs: int) -> int:
    """Peak resident memory of a whole process that trains XOR for `epochs` epochs."""
    out = subprocess.run(
        [sys.executable, "-c", PEAK_SCRIPT, str(ROOT / "configs" / "xor.yaml"), str(epochs)],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip())


def test_memory_stays_flat_as_epochs_grow(benchmark) -> None:
    """Peak memory of 100,000 XOR epochs within 10% of 1,000 epochs."""
    short = _peak_kib(1_000)
    long = benchmark.pedantic(_peak_kib, args=(100_000,), rounds=1, iterations=1)
    benchmark.extra_info.update(peak_kib_1000=short, peak_kib_100000=long)
    print(
        f"\npeak memory: 1,000 epochs {short:,} KiB, 100,000 epochs {long:,} KiB "
        f"({long / short:.3f}x, target at most 1.10x)"
    )
    assert long <= 1.10 * short


def _first_progress_line(path: Path) -> tuple[str, float]:
    """`train` piped, as in a job log: its first line on stderr and when it came."""
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "backprop_tutor", "train", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stderr.readline()  # type: ignore[union-attr]
        return line, time.perf_counter() - start
    finally:
        child.kill()
        child.wait()


def test_a_long_piped_run_says_how_far_it_got_every_ten_seconds(benchmark, tmp_path) -> None:
    """`max_epochs: 10,000,000` on XOR, piped: a line on stderr after about 10 s of training,
    where there was silence for the whole run (hours)."""
    spec = yaml.safe_load((ROOT / "configs" / "xor.yaml").read_text(encoding="utf-8"))
    spec["training"] = {**spec["training"], "loss_threshold": None, "max_epochs": 10_000_000}
    spec["learning_rate"] = 1e-6  # so it never meets another rule
    path = tmp_path / "long.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    line, seconds = benchmark.pedantic(_first_progress_line, args=(path,), rounds=1)
    print(f"\nfirst progress line after {seconds:.1f} s: {line.strip()}")
    assert line.startswith("epoch ") and "of 10,000,000 · loss " in line
    assert 10 <= seconds <= 20  # startup, then 10 s of training, then one epoch


NEW = [sys.executable, "-m", "backprop_tutor", "new"]


def test_new_gives_up_on_relu_everywhere_within_ten_seconds(benchmark, tmp_path) -> None:
    """8-8-8 with relu in all 16 units almost never has them all alive: the bounded search
    (10,000 draws) says so where 2,000 draws took 105 s."""

    def search() -> float:
        start = time.perf_counter()
        result = subprocess.run(
            [*NEW, "--shape", "8-8-8", "--activations", "relu", "--output-dir", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 2 and "10,000 draws" in result.stderr
        return time.perf_counter() - start

    seconds = benchmark.pedantic(search, rounds=1)
    print(f"\nnew --shape 8-8-8 --activations relu: refused after {seconds:.1f} s (target 10 s)")
    assert seconds <= 10
