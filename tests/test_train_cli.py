"""`backprop-tutor train` end to end, and its bad input: one line each, exit 2."""

from __future__ import annotations

import builtins
import json
from pathlib import Path

import pytest
import yaml
from conftest import CONFIGS, numbers_in
from test_bad_input import _refused
from typer.testing import CliRunner

from backprop_tutor.cli import app

XOR = yaml.safe_load((CONFIGS / "xor.yaml").read_text(encoding="utf-8"))


def _write(tmp_path: Path, spec: dict, name: str = "net.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def _train(*args: str) -> str:
    result = CliRunner().invoke(app, ["train", *args])
    assert result.exit_code == 0, result.output + result.stderr
    return result.output


def test_train_prints_losses_stop_rule_predictions_and_codes(in_root) -> None:
    output = _train("configs/xor.yaml", "--width", "100")
    assert "Stopped at epoch" in output and "(loss_threshold)" in output
    assert "Loss curve" in output and "Final parameters" in output and "Predictions" in output
    assert "Hidden values (h1, h2)" in output
    assert max(len(line) for line in output.splitlines()) <= 100


def test_trace_steps_print_the_chosen_updates_in_full(in_root) -> None:
    output = _train("configs/xor.yaml", "--trace-steps", "1,last", "--width", "100")
    assert output.count("Updated parameters") == 2
    assert "Step 1" in output


@pytest.mark.parametrize("command", ["train", "explore"])
@pytest.mark.parametrize("steps", ["1,soon", "", " "])
def test_bad_trace_steps_are_a_usage_error(in_root, command: str, steps: str) -> None:
    """Before any training ('' trained all 10,000 epochs, then said none was reached)."""
    args = [command, "configs/xor.yaml", "--trace-steps", steps, "-o", "never-written.html"]
    result = CliRunner().invoke(app, args[:-2] if command == "train" else args)
    assert result.exit_code == 2 and "Traceback" not in result.output + result.stderr
    assert "update number" in result.stderr or "is empty" in result.stderr
    assert not Path("never-written.html").exists()


@pytest.mark.parametrize("matrix", [[], ["--matrix"]])
def test_trace_steps_past_the_last_update_are_said(in_root, matrix: list[str]) -> None:
    """Not a report with nothing traced and exit 0 (as it was without --matrix). XOR stops
    on its loss threshold before update 39,999, which its max_epochs would allow."""
    args = ["train", "configs/xor.yaml", "--trace-steps", "39999", *matrix]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "none of those asked for" in result.stderr


def test_matrix_of_a_batch_normalized_update_is_refused_in_one_line(in_root) -> None:
    """As `run --matrix` refuses it, before training (it was a KeyError, exit 3, after)."""
    args = ["train", "configs/batch-norm.yaml", "--trace-steps", "1", "--matrix"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "matrix form of a batch-normalized layer" in result.stderr
    assert result.stderr.strip().count("\n") == 0


def test_trace_steps_past_what_max_epochs_allows_are_refused_before_training(
    in_root, monkeypatch
) -> None:
    """XOR's 10,000 epochs of 4 updates: update 40,001 cannot come, said before any."""
    import backprop_tutor.train
    from backprop_tutor.core.errors import TrainingError

    trained: list[str] = []

    def stop(spec):  # the network training builds, after the refusals
        trained.append(spec.file)
        raise TrainingError("stopped by the test")

    monkeypatch.setattr(backprop_tutor.train, "training_network", stop)
    args = ["train", "configs/xor.yaml", "--trace-steps", "40001"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "at most 40,000 updates" in result.stderr
    assert not trained
    CliRunner().invoke(app, [*args[:-1], "40000"])  # the last update it can make
    assert trained


def test_trace_steps_partly_past_the_last_update_say_which(in_root) -> None:
    """Update 1 is traced; 999999 was never reached, and a line on stderr says so."""
    args = ["train", "configs/xor.yaml", "--trace-steps", "1,999999", "-f", "json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0
    traced = json.loads(result.stdout)["traced"]  # {id@update: value}
    assert traced and {key.rpartition("@")[2] for key in traced} == {"1"}
    assert "999999 not reached" in result.stderr


def test_trace_steps_of_a_batch_show_each_example_then_the_update(tmp_path: Path) -> None:
    spec = {**XOR, "training": {**XOR["training"], "batch": "full", "max_epochs": 3}}
    output = _train(str(_write(tmp_path, spec)), "--trace-steps", "2", "--width", "100")
    for k in range(1, 5):
        assert f"Step 2, example {k} of 4 in the batch" in output
    assert "Batch update" in output and "mean of 4" in output
    assert output.count("Updated parameters") == 1


def test_plot_without_matplotlib_says_how_to_get_it(in_root, tmp_path, monkeypatch) -> None:
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    result = CliRunner().invoke(
        app, ["train", "configs/xor.yaml", "--plot", str(tmp_path / "loss.png")]
    )
    assert result.exit_code == 2
    assert "pip install 'backprop-tutor[plot]'" in result.stderr
    assert not (tmp_path / "loss.png").exists()


def test_plot_never_overwrites_without_force(in_root, tmp_path) -> None:
    existing = tmp_path / "loss.png"
    existing.write_bytes(b"mine")
    result = CliRunner().invoke(app, ["train", "configs/xor.yaml", "--plot", str(existing)])
    assert result.exit_code == 2 and "--force" in result.stderr
    assert existing.read_bytes() == b"mine"


def test_divergence_is_one_line(tmp_path: Path) -> None:
    spec = {
        **XOR,
        "learning_rate": 1000,
        "layers": [{**layer, "activation": "linear"} for layer in XOR["layers"]],
    }
    spec["training"] = {**XOR["training"], "momentum": 0}
    message = _refused_train(_write(tmp_path, spec))
    assert "training diverged at epoch" in message and "lower the learning rate" in message


def _refused_train(path: Path) -> str:
    result = CliRunner().invoke(app, ["train", str(path)])
    assert "Traceback" not in result.output + result.stderr
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert message.count("\n") == 0 and message.startswith("error: ")
    return message


def test_unknown_loss(tmp_path: Path) -> None:
    message = _refused(_write(tmp_path, {**XOR, "loss": "hinge"}))
    assert "unknown loss 'hinge'" in message and "choose one of" in message


def test_unknown_activation_in_training_config(tmp_path: Path) -> None:
    layers = [dict(XOR["layers"][0], activation="gelu"), XOR["layers"][1]]
    message = _refused(_write(tmp_path, {**XOR, "layers": layers}))
    assert "unknown activation 'gelu'" in message


def test_batch_size_larger_than_the_data(tmp_path: Path) -> None:
    training = {**XOR["training"], "batch": "mini", "batch_size": 8}
    message = _refused(_write(tmp_path, {**XOR, "training": training}))
    assert "batch size 8 is larger than the 4 examples" in message and "use at most 4" in message


def test_mini_batch_without_a_size(tmp_path: Path) -> None:
    message = _refused(_write(tmp_path, {**XOR, "training": {**XOR["training"], "batch": "mini"}}))
    assert "batch: mini needs a batch_size" in message


def test_seed_that_is_not_an_integer(tmp_path: Path) -> None:
    message = _refused(_write(tmp_path, {**XOR, "training": {**XOR["training"], "seed": 1.5}}))
    assert "training.seed" in message and "integer" in message


def _csv_spec(tmp_path: Path, csv_text: str) -> Path:
    (tmp_path / "data.csv").write_text(csv_text, encoding="utf-8")
    spec = {k: v for k, v in XOR.items() if k != "examples"}
    spec["data"] = {"csv": "data.csv", "inputs": ["a", "b"], "targets": ["y"]}
    return _write(tmp_path, spec)


def test_csv_saved_by_a_spreadsheet_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = _csv_spec(tmp_path, "\ufeffa,b,y\n0,0,0\n0,1,1\n")
    result = CliRunner().invoke(app, ["train", str(path)])
    assert result.exit_code == 0, result.stderr


def test_csv_that_does_not_exist(tmp_path: Path) -> None:
    spec = {k: v for k, v in XOR.items() if k != "examples"}
    spec["data"] = {"csv": "missing.csv", "inputs": ["a", "b"], "targets": ["y"]}
    message = _refused(_write(tmp_path, spec))
    assert "no such file" in message and "relative to the spec file" in message


@pytest.mark.parametrize("config", ["xor", "mitchell-8-3-8"])
def test_run_traces_the_first_example_of_a_training_config(in_root, config: str) -> None:
    result = CliRunner().invoke(app, ["run", f"configs/{config}.yaml"])
    assert result.exit_code == 0 and numbers_in(result.output)


def test_plot_writes_a_png(in_root, tmp_path) -> None:
    pytest.importorskip("matplotlib")
    path = tmp_path / "loss.png"
    result = CliRunner().invoke(app, ["train", "configs/xor.yaml", "--plot", str(path)])
    assert result.exit_code == 0, result.output + result.stderr
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"Wrote {path}: the loss curve" in result.stderr.splitlines()
    assert [p.name for p in tmp_path.iterdir()] == ["loss.png"]  # no partial file left behind


@pytest.mark.parametrize("format", ["json", "html", "svg", "text", "markdown", "latex"])
def test_train_exports(in_root, tmp_path, format: str) -> None:
    path = tmp_path / f"xor.{format}"
    _train("configs/xor.yaml", "--format", format, "--output", str(path), "--trace-steps", "1")
    content = path.read_text(encoding="utf-8")
    if format == "json":
        import json

        document = json.loads(content)
        assert document["stop"] == "loss_threshold" and document["epochs"] == len(
            document["losses"]
        )
        assert "new[w_o1_h1]@1" in document["traced"]
    elif format == "latex":
        from test_exports import _pdflatex

        assert "Stopped at epoch" in content and r"\toprule" in content
        assert _pdflatex(content, tmp_path).exists()
    elif format == "svg":  # SVG writes its spaces as &#160;
        assert content.startswith("<svg") and "Stopped" in content
    else:
        assert "Stopped at epoch" in content


def test_a_big_network_reports_per_layer_not_per_parameter(tmp_path: Path) -> None:
    """830 parameters and 10 outputs: one row per layer, and predictions that fit 80 columns."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (20, 30)).round(3)
    spec = {
        "examples": [
            {"inputs": row.tolist(), "targets": np.eye(10)[k % 10].tolist()}
            for k, row in enumerate(x)
        ],
        "layers": [
            {"units": 20, "activation": "sigmoid", "bias": "init"},
            {"units": 10, "activation": "softmax", "bias": "init"},
        ],
        "init": {"method": "xavier", "seed": 0},
        "loss": "cross_entropy",
        "learning_rate": 0.5,
        "training": {"epochs": 2},
    }
    output = _train(str(_write(tmp_path, spec)), "--width", "80")
    assert "Final parameters: 830, summarized per layer" in output
    assert "w_h1_x1" not in output.split("Predictions")[0]
    assert "(30 inputs)" in output and "targets (o1, o2, …)" in output
    assert max(len(line) for line in output.splitlines()) <= 80
    assert len(output.splitlines()) < 400


def test_train_json_ids_are_the_readmes(in_root) -> None:
    """grad[w]@3#2: update 3, example 2 of its batch (they were grad[w]#2 nested under "3")."""
    result = CliRunner().invoke(
        app, ["train", "configs/xu-full-batch.yaml", "--trace-steps", "2", "-f", "json"]
    )
    traced = json.loads(result.stdout)["traced"]
    name = next(key[5:].split("]")[0] for key in traced if key.startswith("grad["))
    assert f"grad[{name}]@2" in traced and f"grad[{name}]@2#1" in traced
    assert not any("#" in key.split("@")[0] for key in traced)


def test_a_dropout_mask_train_does_not_use_is_said(in_root) -> None:
    """configs/dropout.yaml's mask: is for run's two steps; train draws its own."""
    result = CliRunner().invoke(app, ["train", "configs/dropout.yaml", "-f", "json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["losses"]
    assert "layer 1's mask: is for run's steps" in result.stderr
    result = CliRunner().invoke(app, ["train", "configs/xor.yaml", "-f", "json"])
    assert result.exit_code == 0 and "mask" not in result.stderr


def test_a_traced_batch_loss_is_the_sum_and_its_gradient_the_mean(in_root) -> None:
    """As the README says (Xu's J = Σ Jₚ and η/n Σ): loss@1 sums its examples' errors,
    grad[·]@1 is the mean of theirs under reduction: mean."""
    args = ["train", "configs/xu-mini-batch.yaml", "--trace-steps", "1", "-f", "json"]
    result = CliRunner().invoke(app, args)
    traced = json.loads(result.stdout)["traced"]
    size = sum(1 for key in traced if key.startswith("loss@1#"))
    assert size > 1
    each = [traced[f"loss@1#{k}"] for k in range(1, size + 1)]
    assert traced["loss@1"] == pytest.approx(sum(each), rel=1e-12)
    grads = [
        key.partition("@")[0] for key in traced if key.startswith("grad[") and key.endswith("@1")
    ]
    for grad in grads:
        mean = sum(traced[f"{grad}@1#{k}"] for k in range(1, size + 1)) / size
        assert traced[f"{grad}@1"] == pytest.approx(mean, rel=1e-12, abs=1e-15)
    assert grads


def test_plot_without_matplotlib_is_said_before_training(in_root, tmp_path, monkeypatch) -> None:
    """It trained and printed the whole report first."""
    import importlib.util

    import backprop_tutor.train

    found = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else found(name)
    )
    trained: list[str] = []
    monkeypatch.setattr(backprop_tutor.train, "train", lambda spec, *a: trained.append(spec))
    args = ["train", "configs/xor.yaml", "--plot", str(tmp_path / "loss.png")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "--plot needs matplotlib" in result.stderr
    assert not trained and not result.stdout


@pytest.mark.parametrize("command", ["train", "explore"])
def test_unreachable_updates_are_refused_before_any_training(in_root, command, monkeypatch):
    """explore trained all 10,000 epochs first (train's own check was its alone)."""
    import backprop_tutor.train

    def never(spec):
        raise AssertionError("a network was built for training")

    monkeypatch.setattr(backprop_tutor.train, "training_network", never)
    args = [command, "configs/xor.yaml", "--trace-steps", "40001"]
    result = CliRunner().invoke(app, args + (["-o", "never.html"] if command == "explore" else []))
    assert result.exit_code == 2 and "at most 40,000 updates" in result.stderr


def test_explore_says_which_traced_updates_were_not_reached(in_root, tmp_path) -> None:
    """As train does: the page shows update 1, and stderr says 39,999 never came (XOR
    stops sooner)."""
    page = tmp_path / "page.html"
    args = ["explore", "configs/xor.yaml", "--trace-steps", "1,39999", "-o", str(page)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0 and page.exists()
    assert "39999 not reached" in result.stderr
