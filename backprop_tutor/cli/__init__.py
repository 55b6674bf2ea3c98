"""The command line: the only place that makes a Console, reads paths and sets exit codes.

Exit codes: 0 done, 1 a check found a mismatch, 2 bad input or usage. A `SpecError` becomes one
red line on standard error; a traceback reaching a user is a bug.

Each command lives in one of the modules below; `main` imports only the module of the command
asked for (so `run` does not pay for `train`, `check` or `new`), and every module when no known
command is named (`--help`, a misspelling: typer lists them all). `app` is the whole command
line, every command registered, for tests and `python -m backprop_tutor`.
"""

from __future__ import annotations

import gc
import importlib
import sys

# each command, by name, and the module that registers it; the modules in the order --help
# lists their commands
COMMANDS = {
    "run": "run_commands",
    "derive": "run_commands",
    "train": "train_command",
    "check": "verify_commands",
    "gradcheck": "verify_commands",
    "schema": "verify_commands",
    "validate": "verify_commands",
    "examples": "workshop",
    "quiz": "workshop",
    "new": "workshop",
    "draw": "workshop",
    "explore": "workshop",
    "bank": "bank_command",
    "grade": "bank_command",
}

__all__ = ["COMMANDS", "app", "commands", "main"]

# A command builds up records it keeps to the end (a big trace and its JSON: millions of
# dicts, lists and floats). Python's cycle collector, run every 700 new containers by
# default, walks them over and over: a quarter of `run -f json` on 70-70-70 (1.55 s, 1.2 s
# with these). So it runs every 100,000 (mypy tunes its own build the same way, at 200,000);
# cycles are still collected, later.
COLLECT_EVERY = (100_000, 50, 50)


def commands(name: str | None = None):
    """The typer app with `name`'s command registered, or every command (name None or not
    one of ours)."""
    modules = [COMMANDS[name]] if name in COMMANDS else dict.fromkeys(COMMANDS.values())
    for module in modules:
        importlib.import_module(f"backprop_tutor.cli.{module}")
    from backprop_tutor.cli.common import app

    return app


def asked(arguments: list[str]) -> str | None:
    """The command named on a command line: its first word that is not an option (the
    top-level options, --version and --help, take no value)."""
    for argument in arguments:
        if argument in ("-h", "--help"):
            return None  # the top-level help lists every command
        if not argument.startswith("-"):
            return argument
    return None


def __getattr__(name: str):
    if name == "app":
        return commands()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Console-script entry point."""
    gc.set_threshold(*COLLECT_EVERY)
    commands(asked(sys.argv[1:]))(prog_name="backprop-tutor")
