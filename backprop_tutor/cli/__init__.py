"""The command line: the only place that makes a Console, reads paths and sets exit codes.

Exit codes: 0 done, 1 a check found a mismatch, 2 bad input or usage. A `SpecError` becomes one
red line on standard error; a traceback reaching a user is a bug.
"""

from __future__ import annotations

# imported to register their commands, in the order --help lists them (module names sort so)
from backprop_tutor.cli import (  # noqa: F401
    run_commands,
    train_command,
    verify_commands,
    workshop,
)
from backprop_tutor.cli.common import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    app()
