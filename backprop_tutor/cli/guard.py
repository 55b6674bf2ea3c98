"""The last line of defence: an unexpected error is one line and exit 3, never a traceback.

Every known problem is caught where it happens and becomes one line and exit 2. Anything else
is a bug in this tool, not in the user's input, so it must not look like a check's verdict
(exit 1) or like bad input (exit 2): it exits 3, and the traceback goes to a bug-report file the
line names, where a maintainer can read it. Standard output that cannot be written (a full disk,
a closed pipe) is handled here too, so Python's own shutdown does not print a second error.
"""

from __future__ import annotations

import contextlib
import errno
import os
import platform
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator

import typer
from typer.core import TyperGroup

EXIT_MISMATCH = 1  # a check found a mismatch
EXIT_BAD_INPUT = 2  # bad input or usage: one line names the file, the place and the fix
EXIT_BUG = 3  # an unexpected error: a bug, reported in one line with a file of details
EXIT_PIPE_CLOSED = 141  # 128 + SIGPIPE: what `cat` and the shell's own tools exit with
DEBUG_VARIABLE = "BACKPROP_TUTOR_DEBUG"  # set it to see the traceback instead


class GuardedGroup(TyperGroup):
    """Typer's group, with every command's unexpected exception turned into one line."""

    def parse_args(self, ctx, args):  # type: ignore[no-untyped-def]
        """The group's own options, before any command: `--help` prints here, where a closed
        pipe would reach typer's handling (exit 1, a check's 'a claim differs')."""
        try:
            return super().parse_args(ctx, args)
        except BrokenPipeError:
            raise _pipe_closed() from None

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except _FRAMEWORK:
            raise
        except BrokenPipeError:
            raise _pipe_closed() from None
        except Exception as exc:
            if os.environ.get(DEBUG_VARIABLE):
                raise
            report = _write_report(exc)
            where = f"the details are in {report}" if report else "no details could be saved"
            _stderr(
                f"error: an unexpected {type(exc).__name__} (a bug in backprop-tutor, not in "
                f"your input); {where}: please report it with the command you ran"
            )
            raise typer.Exit(EXIT_BUG) from None


def _framework_exceptions() -> tuple[type[BaseException], ...]:
    """The exceptions typer (and the click it is built on) raise on purpose: usage errors,
    exits, aborts. Newer typers carry their own click; older ones import click itself."""
    kinds: list[type[BaseException]] = [typer.Exit, typer.Abort]
    if hasattr(typer, "TyperException"):  # its own click: importing click itself costs 7 ms
        return (*kinds, typer.TyperException)
    with contextlib.suppress(ImportError):
        from click.exceptions import ClickException, Exit

        kinds += [ClickException, Exit]
    return tuple(kinds)


_FRAMEWORK = _framework_exceptions()


def _write_report(exc: BaseException) -> str | None:
    """The traceback, the command and the versions, in a fresh file in the temporary folder."""
    from backprop_tutor import __version__

    text = (
        f"backprop-tutor {__version__}, Python {platform.python_version()}, "
        f"{platform.platform()}\ncommand: {' '.join(sys.argv)}\n\n"
        + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    )
    try:
        fd, path = tempfile.mkstemp(prefix="backprop-tutor-bug-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError:
        return None
    return path


def _stderr(line: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


@contextlib.contextmanager
def output_failed(fail: Callable[[str], typer.Exit]) -> Iterator[None]:
    """Writing standard output: a closed pipe ends quietly (as `cat` does), a full disk is one
    line and exit 2; either way the rest of the output goes nowhere, so the interpreter's final
    flush cannot fail again."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in (errno.EPIPE, errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG):
            raise
        if exc.errno == errno.EPIPE:
            raise _pipe_closed() from None
        _silence_stdout()
        raise fail(f"cannot write to standard output: {exc.strerror}") from None


def _pipe_closed() -> typer.Exit:
    """A closed pipe wherever it was met ends as `cat` ends: quietly, exit 141 (the caller
    raises the returned exit)."""
    _silence_stdout()
    return typer.Exit(EXIT_PIPE_CLOSED)


def _silence_stdout() -> None:
    """Point file descriptor 1 at /dev/null and drop what is buffered."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives to exit
