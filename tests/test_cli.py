"""`backprop-tutor run` end to end: the acceptance numbers, JSON, plain text, lazy imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from conftest import ROOT, numbers_in
from typer.testing import CliRunner

from backprop_tutor.cli import COMMANDS, app, commands

DAWOOD_PRINTS = """0.41 0.60108 0.47 0.61538 1.01977 0.73492 1.26306 0.77955 0.23456 0.01452 0.24908
0.68492 0.19480 0.08020 0.45187 0.08211 0.55073 -0.17044 0.17184 -0.01760 0.71056 0.81081
-0.01802 0.23978 0.00159 -0.00049 0.00110 0.09933 0.19919 0.29667 0.39597""".split()
BORELA_PRINTS = "2.0 0.88 3.64 3.14 0.33 2.76 0.89".split()


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, ["run", *args])
    assert result.exit_code == 0, result.output + result.stderr
    return result.output


@pytest.mark.parametrize(
    ("config", "expected"), [("dawood", DAWOOD_PRINTS), ("borela", BORELA_PRINTS)]
)
@pytest.mark.parametrize("width", [80, 100])
def test_run_prints_the_lecture_numbers(
    in_root, config: str, expected: list[str], width: int
) -> None:
    output = _run(f"configs/{config}.yaml", "--width", str(width))
    missing = [v for v in expected if v not in numbers_in(output)]
    assert not missing
    assert max(len(line) for line in output.splitlines()) <= width


def test_the_truncated_headline(in_root) -> None:
    """0.45187813 prints as 0.45187, never the rounded 0.45188."""
    output = _run("configs/dawood.yaml")
    assert "0.45187" in numbers_in(output) and "0.45188" not in numbers_in(output)


def test_json_holds_every_id_at_full_precision(in_root) -> None:
    document = json.loads(_run("configs/dawood.yaml", "--format", "json"))
    values = document["values"]
    assert values["new[w5]"] == pytest.approx(0.4518781254, abs=1e-10)
    assert values["path[w1,o2]"] == pytest.approx(-0.00049164196, abs=1e-11)
    assert document["header"]["notation"] == "dawood"
    assert len(document["steps"]) == 1 and document["steps"][0]["gradients"]


def test_steps_repeat_on_the_same_example(in_root, tmp_path) -> None:
    text = (
        (ROOT / "configs" / "dawood.yaml")
        .read_text()
        .replace("learning_rate: 0.6", "learning_rate: 0.6\nsteps: 3")
    )
    (tmp_path / "three.yaml").write_text(text)
    values = json.loads(_run(str(tmp_path / "three.yaml"), "--format", "json"))["values"]
    assert values["old[w5]@2"] == values["new[w5]"]
    assert values["old[w5]@3"] == values["new[w5]@2"]
    assert values["loss@3"] < values["loss@2"] < values["loss"]


def test_plain_text_when_piped_or_no_color() -> None:
    env = {**os.environ, "NO_COLOR": "1", "TERM": "xterm-256color"}
    result = subprocess.run(
        [sys.executable, "-m", "backprop_tutor", "run", "configs/dawood.yaml"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "\x1b[" not in result.stdout
    assert "0.45187" in result.stdout


def test_fresh_interpreter_layering() -> None:
    """The engine needs no rich, sympy or typer, nor the spec file's pydantic and yaml;
    `run` never imports sympy."""
    code = (
        "import sys, backprop_tutor.engine as e; "
        "print(sorted(m for m in ('rich', 'sympy', 'typer', 'matplotlib', 'torch', "
        "'pydantic', 'yaml') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    code = (
        "import sys; from typer.testing import CliRunner; from backprop_tutor.cli import app; "
        "r = CliRunner().invoke(app, ['run', 'configs/dawood.yaml']); assert r.exit_code == 0; "
        "print(sorted(m for m in ('sympy', 'matplotlib', 'torch') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "args",
    [
        ["run", "configs/dawood.yaml", "-f", "latex"],
        ["run", "configs/dawood.yaml", "-f", "markdown"],
        ["run", "configs/dawood.yaml", "-f", "html"],
        ["run", "configs/dawood.yaml", "--ids", "--section", "updates"],
        ["explore", "configs/dawood.yaml", "-o", "{tmp}/page.html"],
        ["new", "-o", "{tmp}/sheet"],
        ["train", "configs/xor.yaml", "-f", "markdown"],
        ["train", "configs/xor.yaml", "-f", "latex", "--trace-steps", "1"],
        ["check", "configs/dawood.yaml", "golden/dawood.values.yaml"],
        ["gradcheck", "configs/dawood.yaml"],
        ["validate", "configs/dawood.yaml"],
        ["examples"],
        ["schema"],
    ],
    ids=" ".join,
)
def test_the_tables_and_pages_need_no_sympy(args: list[str], tmp_path) -> None:
    """Only the derivations import SymPy: `new` and the LaTeX tables once did, through the
    derivations' LaTeX writer, for a line of preamble."""
    args = [a.format(tmp=tmp_path) for a in args]
    assert _imported_by(args, ("sympy", "matplotlib", "torch")) == []


def _imported_by(args: list[str], names: tuple[str, ...]) -> list[str]:
    """Which of `names` a fresh interpreter has imported after running the command line
    `args` as the console script does (only the asked command's module registered)."""
    code = (
        "import sys; from typer.testing import CliRunner\n"
        "from backprop_tutor.cli import commands\n"
        f"r = CliRunner().invoke(commands({args[0]!r}), {args!r})\n"
        "assert r.exit_code == 0, r.output\n"
        f"print(','.join(sorted(m for m in {names!r} if m in sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return [m for m in out.stdout.strip().split(",") if m]


COMMAND_MODULES = tuple(f"backprop_tutor.cli.{m}" for m in dict.fromkeys(COMMANDS.values()))


@pytest.mark.parametrize(
    "args",
    [
        ["run", "configs/dawood.yaml"],
        ["train", "configs/xor.yaml"],
        ["check", "configs/dawood.yaml", "golden/dawood.values.yaml"],
        ["examples"],
    ],
    ids=" ".join,
)
def test_a_command_imports_no_other_commands_module(args: list[str]) -> None:
    """`run` does not pay for `train`, `check`, `new` or `draw`: the console script
    registers only the command asked for."""
    assert _imported_by(args, COMMAND_MODULES) == [f"backprop_tutor.cli.{COMMANDS[args[0]]}"]


def test_every_command_is_listed_with_its_module() -> None:
    """`main` finds a command's module in COMMANDS: a command missing there could not be run."""
    registered = {c.name or c.callback.__name__ for c in commands().registered_commands}
    assert registered == set(COMMANDS)
    for name, module in COMMANDS.items():
        callback = next(
            c.callback for c in app.registered_commands if (c.name or c.callback.__name__) == name
        )
        assert callback.__module__ == f"backprop_tutor.cli.{module}", name


def test_every_path_shows_its_type_as_path() -> None:
    """`--help` names a path's type alike in every command: `spec <path>`, not `<Path>`
    (typer's `parser=` shows the annotation's name)."""
    group = typer.main.get_command(app)
    shown = {
        (name, param.name): param.display_type(typer.Context(command))
        for name, command in group.commands.items()
        for param in command.params
        if param.type_descriptor.annotation is Path
    }
    assert ("run", "spec") in shown and ("check", "claims") in shown and ("run", "output") in shown
    assert {key: "<path>" for key in shown} == shown


def test_help_lists_run() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0 and "run" in result.output


def test_bundled_examples_from_any_folder(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    output = _run("dawood")
    assert "0.45187" in numbers_in(output)
    listing = CliRunner().invoke(app, ["examples"])
    assert listing.exit_code == 0 and "dawood" in listing.output and "xor" in listing.output


def test_library_use_returns_the_trace_and_shows_in_jupyter(monkeypatch) -> None:
    import types

    import backprop_tutor
    from backprop_tutor.core.trace import Trace

    shown: dict = {}  # IPython's HTML formatter, as far as the package uses it
    formatter = types.SimpleNamespace(for_type=lambda kind, view: shown.update({kind: view}))
    shell = types.SimpleNamespace(
        display_formatter=types.SimpleNamespace(formatters={"text/html": formatter})
    )
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    trace = backprop_tutor.run(backprop_tutor.load_spec(ROOT / "configs" / "dawood.yaml"))
    assert trace.values()["new[w5]"] == pytest.approx(0.4518781254, abs=1e-10)
    assert backprop_tutor.run("xor").values()  # a bundled example by name
    html = shown[Trace](trace)
    assert "0.45187" in html and "<pre" in html


def test_the_command_line_starts_without_numpy() -> None:
    """`--help`, `--version`, `schema` need no engine: derive's names are read on its --help."""
    code = "import sys, backprop_tutor.cli; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_importing_the_package_is_light() -> None:
    code = (
        "import sys, backprop_tutor; print(sorted(m for m in ('pydantic', 'numpy', 'rich', "
        "'sympy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_schema_uses_json_schema_keywords_for_bounds() -> None:
    """Pydantic's own ge/lt/gt (which editors ignore) leaked for momentum and the thresholds."""
    schema = json.loads(CliRunner().invoke(app, ["schema"]).output)
    found: list[str] = []

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            found.extend(f"{where}.{key}" for key in node if key in ("ge", "gt", "le", "lt"))
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for value in node:
                walk(value, where)

    walk(schema, "")
    assert not found, found
    momentum = schema["$defs"]["TrainingFile"]["properties"]["momentum"]
    assert momentum["minimum"] == 0 and momentum["exclusiveMaximum"] == 1


def test_schema_and_validate(in_root) -> None:
    result = CliRunner().invoke(app, ["schema"])
    schema = json.loads(result.output)
    assert result.exit_code == 0 and "layers" in schema["properties"]
    assert schema["additionalProperties"] is False  # editors flag unknown keys
    result = CliRunner().invoke(app, ["validate", "configs/mitchell-8-3-8.yaml", "--width", "120"])
    assert result.exit_code == 0 and "8-3-8 network, 59 parameters, 8 example(s)" in result.output
