"""Where a file stops being UTF-8: the line, column and byte offset of its first bad byte.

Python's UnicodeDecodeError says only an offset into whatever it was decoding (a CSV is
decoded a chunk at a time, so its offset is not even the file's). A user mending the file
needs the line and column their editor shows, and the byte's value says which encoding
wrote it (0xE9 is é in Latin-1 and Windows-1252). The file is read again, a chunk at a time,
only once decoding it has failed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path
from typing import BinaryIO

from backprop_tutor.core.errors import SpecError
from backprop_tutor.core.files import open_regular

BOM = b"\xef\xbb\xbf"  # a spreadsheet's byte-order mark: no column an editor shows
FIX = "save the file as UTF-8 (in an editor: Save As, encoding UTF-8; a spreadsheet: CSV UTF-8)"
CUT = "unexpected end of data"  # a character cut by a chunk's end: the next chunk ends it


def first_bad_byte(chunks: Iterable[bytes]) -> tuple[int, int, int, int] | None:
    """(byte offset, line, column, byte value) of the first byte that is not UTF-8 in the
    concatenation of `chunks`, or None. Lines and columns count from 1; a column counts
    characters, as an editor does, and a byte-order mark at the start counts for none."""
    offset, line, column, carry, start = 0, 1, 1, b"", True
    for chunk in chain(chunks, [None]):  # None: the end, where a cut character is an error
        data = carry + (chunk or b"")
        if start and len(data) >= len(BOM):
            start = False
            if data.startswith(BOM):
                offset, data = len(BOM), data[len(BOM) :]
        try:
            text, carry = data.decode("utf-8"), b""
        except UnicodeDecodeError as exc:
            good = data[: exc.start].decode("utf-8")
            if exc.reason != CUT or chunk is None:
                line, column = _moved(line, column, good)
                return offset + exc.start, line, column, data[exc.start]
            text, carry = good, data[exc.start :]
        line, column = _moved(line, column, text)
        offset += len(data) - len(carry)
    return None


def _moved(line: int, column: int, text: str) -> tuple[int, int]:
    """The line and column just after `text`, read from `line` and `column`."""
    newlines = text.count("\n")
    if not newlines:
        return line, column + len(text)
    return line + newlines, len(text) - text.rindex("\n")


def not_utf8(name: str, chunks: Iterable[bytes]) -> SpecError:
    """The one-line error for a file that is not UTF-8: its first bad byte's line:column,
    value and byte offset, and how to save it (or, if no bad byte is found any more: the
    file changed since, the plain words)."""
    found = first_bad_byte(chunks)
    if found is None:
        return SpecError(name, "is not UTF-8 text", FIX)
    offset, line, column, byte = found
    return SpecError(
        name,
        f"byte 0x{byte:02X} (at byte offset {offset:,}) is not UTF-8 text: the file was "
        "saved in another encoding",
        FIX,
        line=line,
        column=column,
    )


def chunks_of(handle: BinaryIO, size: int = 1 << 20) -> Iterator[bytes]:
    """A binary file's bytes, `size` at a time."""
    return iter(lambda: handle.read(size), b"")


def file_not_utf8(path: Path, limit: int, what: str = "file") -> SpecError:
    """`not_utf8` for a file on disk, read again as a regular file of at most `limit` bytes
    (files.open_regular: what decoding it read, and no more)."""
    with open_regular(path, limit, what) as handle:
        return not_utf8(str(path), chunks_of(handle))
