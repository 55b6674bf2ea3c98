"""Every activation, loss, optimizer and regularizer in the registries, through every command;
every notation through `new` (the other commands take it as --notation: test_notation.py).

An entry is the whole of what a command needs to know (its numeric form, derivative, SymPy and
PyTorch forms, quiz working, unit minimum, dead and saturation rules), so an entry added to
`activations.py` or `losses.py` alone must work here: softplus and elu were added that way.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.core.activations import ACTIVATIONS
from backprop_tutor.core.losses import LOSSES
from backprop_tutor.core.notation import NOTATIONS
from backprop_tutor.core.optimizers import OPTIMIZERS
from backprop_tutor.core.regularizers import REGULARIZERS

ENTRIES = (
    [("activation", name) for name in ACTIVATIONS]
    + [("loss", name) for name in LOSSES]
    + [("optimizer", name) for name in OPTIMIZERS]
    + [("regularizer", name) for name in REGULARIZERS]
)
COMMANDS = [
    "run",
    "run --matrix",
    "run --symbolic",
    "train",
    "quiz",
    "derive",
    "gradcheck",
    "new",
    "explore",
]


def _network(kind: str, name: str) -> tuple[str, str, str]:
    """(hidden activation, output activation, loss) that puts the entry to work."""
    if kind in ("activation", "optimizer", "regularizer"):
        return name if kind == "activation" else "tanh", "sigmoid", "half_sse"
    needed = LOSSES[name].output_activations
    return "tanh", needed[0] if needed else "sigmoid", name


def _spec(tmp_path: Path, kind: str, name: str) -> Path:
    hidden, output, loss = _network(kind, name)
    spec = {
        "title": f"{kind} {name}",
        "inputs": [0.3, -0.6],
        "targets": [0.2, 0.8],  # inside (0, 1] and summing to 1: every loss takes them
        "layers": [
            {"units": 2, "activation": hidden, "weights": [[0.4, -0.5], [0.7, 0.2]], "bias": 0.1},
            {"units": 2, "activation": output, "weights": [[0.3, -0.2], [0.5, 0.6]], "bias": 0.2},
        ],
        "loss": loss,
        "learning_rate": 0.5,
        "training": {"epochs": 5},
    }
    if kind == "optimizer":  # two steps: the state carried from the first to the second
        spec.update(optimizer={"name": name}, steps=2)
    if kind == "regularizer":  # the biases too: every parameter's update gains the term
        spec.update(regularization={"name": name, "strength": 0.1}, decay_biases=True, steps=2)
    path = tmp_path / "net.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def _invoke(args: list[str], answers: str | None = None):
    result = CliRunner().invoke(app, args, input=answers)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 0, (args, result.output, result.stderr)
    return result


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(("kind", "name"), ENTRIES, ids=lambda value: str(value))
def test_every_entry_through_every_command(
    tmp_path: Path, kind: str, name: str, command: str
) -> None:
    path = str(_spec(tmp_path, kind, name))
    hidden, output, loss = _network(kind, name)
    if command == "run":
        values = json.loads(
            _invoke(["run", path, "-f", "json"]).output,
            parse_constant=lambda constant: pytest.fail(f"not JSON: {constant}"),
        )["values"]
        assert values["new[w_h1_x1]"] != values["old[w_h1_x1]"]
    elif command == "run --matrix":
        document = json.loads(_invoke(["run", path, "--matrix", "-f", "json"]).output)
        results = {
            key
            for step in document["steps"]
            for e in step["equations"]
            for row in e["result"]["ids"]
            for key in row
        }
        assert {"new[w_h1_x1]", "delta[h1]", "out[o2]"} <= results
    elif command == "run --symbolic":
        words = " ".join(_invoke(["run", path, "--symbolic", "--width", "200"]).output.split())
        assert "MISMATCH" not in words and "∂E/∂w_h1_x1" in words
    elif command == "train":
        assert "Stopped" in " ".join(_invoke(["train", path, "--width", "200"]).output.split())
    elif command == "quiz":
        words = " ".join(_invoke(["quiz", path], "0\n" * 200).output.split())
        assert "Score:" in words
    elif command == "derive":
        _invoke(["derive", name, "--width", "120"])
    elif command == "explore":
        page = tmp_path / "page.html"
        _invoke(["explore", path, "-o", str(page)])
        assert '"id":"new[w_h1_x1]"' in page.read_text(encoding="utf-8")
    elif command == "gradcheck":
        args = ["gradcheck", path]
        try:
            import torch  # noqa: F401

            args.append("--torch")
        except ImportError:
            pass
        assert "pass: all" in " ".join(_invoke(args).output.split())
    else:  # new: a fresh exercise with the entry in it
        folder = tmp_path / "exercise"
        _invoke(
            [
                "new",
                "--shape",
                "2-2-2",
                "--activations",
                f"{hidden},{output}",
                "--loss",
                loss,
                "--seed",
                "3",
                *(["--optimizer", name, "--steps", "2"] if kind == "optimizer" else []),
                "--output-dir",
                str(folder),
            ]
        )
        assert (folder / "exercise.yaml").exists()
        if kind == "optimizer" and OPTIMIZERS[name].state:  # its quantities: blanks, by id
            claims = (folder / "claims.yaml").read_text(encoding="utf-8")
            for q in OPTIMIZERS[name].quantities:
                assert f"\n{q.key}[" in claims and "@2:" in claims, q.key


@pytest.mark.parametrize("notation", sorted(NOTATIONS))
def test_every_notation_through_new(tmp_path: Path, notation: str) -> None:
    """`new --notation` writes the exercise in it, with the display asked for, and `run`
    reads it back so: each notation once had to be typed into exercise.yaml by hand."""
    folder = tmp_path / "exercise"
    chosen = ["--display-digits", "5", "--rounding", "truncate", "--digits", "2"]
    _invoke(["new", "--notation", notation, *chosen, "--seed", "3", "--output-dir", str(folder)])
    spec = folder / "exercise.yaml"
    written = yaml.safe_load(spec.read_text(encoding="utf-8"))
    assert written["notation"] == notation
    assert written["display"] == {"digits": 5, "rounding": "truncate"}
    header = json.loads(_invoke(["run", str(spec), "-f", "json"]).output)["header"]
    assert (header["notation"], header["digits"], header["rounding"]) == (notation, 5, "truncate")
