"""Writing what a command made: to standard output or to a file, whole or not at all, said
on standard error, and never over a file the user keeps (an existing one without --force;
a device, a folder, a link or a file the command reads, even with it).
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

from backprop_tutor.cli.common import _fail, _notice
from backprop_tutor.cli.guard import output_failed
from backprop_tutor.core.errors import FileRefused
from backprop_tutor.core.files import same_file
from backprop_tutor.render.formats import ASCII_FORMS
from backprop_tutor.render.glyphs import carries_unicode


def _make_folder(folder: Path, option: str = "--output-dir") -> None:
    """A folder a command writes into (`new --output-dir`, `bank -f prairielearn -o`), made
    if missing; one line if it cannot be (a file on the way, a place no folder can be)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise _fail(f"{option} {folder}: a file of that name is in the way") from None
    except NotADirectoryError:
        raise _fail(f"{option} {folder}: a part of the path is a file, not a folder") from None
    except OSError as exc:
        raise _fail(f"{option} {folder}: cannot be made: {exc.strerror}") from None


def _refuse_overwrite(output: Path | None, force: bool, *reads: Path) -> None:
    """Before any work: an --output that exists needs --force, and only a regular file may
    be replaced, whatever --force says (never a device, a folder or a link); nor a file the
    command reads (`reads`: the spec, a class's answers), which --force would lose for a
    report. The spec's CSV is known only once the spec is read: `_load_spec` checks it."""
    from backprop_tutor.core.files import refuse_to_replace

    if output is None:
        return
    for read in reads:
        if same_file(output, read):
            raise _fail(
                f"{output}: is a file this command reads ({read}); write the output to another file"
            )
    try:
        refuse_to_replace(output, force)
    except FileRefused as refused:
        raise _fail(refused) from None


def _emit(
    content: str | None, output: Path | None, force: bool, format: str, note: str = ""
) -> None:
    """A document in `format` to standard output, or to a file (`_write_text`, said with
    `note`). A standard output without Unicode gets the format's own ASCII form
    (formats.ASCII_FORMS: JSON's escapes, HTML's references; the same data)."""
    if content is None:
        return
    if output is None:
        if not carries_unicode(sys.stdout):
            content = ASCII_FORMS[format].escape(content, sys.stdout.encoding or "ascii")
            _refuse_unwritable(content, format)
        with output_failed(_fail):
            sys.stdout.write(content)
            sys.stdout.flush()
        return
    _write_text(output, content, force, note)


def _write_text(output: Path, content: str, force: bool = False, note: str = "") -> None:
    """`content` in UTF-8 to a file written whole: a fresh temporary file beside it, moved
    over it in one step (files.write_atomically), said as `_write` says it."""
    _write(output, lambda handle: handle.write(content.encode("utf-8")), force, note)


def _refuse_unwritable(content: str, format: str) -> None:
    """One line and exit 2, before anything is written, where standard output's encoding
    cannot carry a character of the content (a student's name in a CSV on an ASCII pipe)."""
    encoding = sys.stdout.encoding or "ascii"
    try:  # strictly: the stream itself puts '?' for what it cannot carry (_main)
        content.encode(encoding)
    except UnicodeEncodeError as error:
        line = content.count("\n", 0, error.start) + 1
        code = ord(content[error.start])  # by name: stderr may not carry it either
        name = unicodedata.name(content[error.start], "a character")
        raise _fail(
            f"standard output ({encoding}) cannot carry U+{code:04X} {name} (line {line} of "
            f"the {format}): write it to a file with -o (UTF-8), or set PYTHONIOENCODING=utf-8"
        ) from None


def _write(output: Path, write, force: bool, note: str = "") -> None:
    """`write(binary file)` to `output` atomically; one line and exit 2 if it cannot be.
    Every file a command writes comes here, and is said here: `Wrote FILE` (`: note`, what
    it holds or what to do with it), one line on stderr, so stdout stays the document's
    (clean for a pipe) and no command writes a file without saying so."""
    from backprop_tutor.core.files import write_atomically

    try:
        write_atomically(output, write, replace=force)
    except FileRefused as refused:
        raise _fail(refused) from None
    _notice(f"Wrote {output}: {note}" if note else f"Wrote {output}")
