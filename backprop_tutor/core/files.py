"""The file system boundary: what a spec may read, and how a command replaces a file.

A course server runs students' specs, so a spec is hostile input that names files. Reading:
only regular files, opened first and checked on the open descriptor (a FIFO cannot block, a
swapped symlink cannot slip between the check and the read), never the kernel's generated
files under /proc, /sys and /dev, and never more bytes than the caller's limit, so /dev/zero
or a file that grows while read cannot fill memory. A data file named by a spec must also lie
inside the spec's own folder unless the person running the command allows otherwise.

Writing: a fresh, unpredictable temporary file in the same folder (`mkstemp`: O_CREAT|O_EXCL,
so a planted symlink is never followed and a user's own file is never reused), flushed to disk,
then moved over the target in one step. A reader sees the old file or the new one, never a
mixture of two writers; only a regular file is ever replaced.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from backprop_tutor.core.errors import FileRefused, shortened

GENERATED_ROOTS = ("/proc", "/sys", "/dev")  # files the kernel makes up as they are read


def _devices_of_generated_roots() -> set[int]:
    found = set()
    for root in GENERATED_ROOTS:
        with contextlib.suppress(OSError):
            found.add(os.stat(root).st_dev)
    return found


def _kind(mode: int) -> str:
    """What a non-regular file is, as a user would say it."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a regular file"


# -- reading ---------------------------------------------------------------------------------
# what to do where a path cannot be opened for a reason other than its permissions
_OPEN_FIXES = {
    errno.ENAMETOOLONG: "shorten the path, or move the file to a shorter one",
    errno.ELOOP: "a symbolic link in the path leads back to itself; name the file itself",
}


@contextlib.contextmanager
def open_regular(path: Path, limit: int, what: str = "file") -> Iterator[BinaryIO]:
    """`path` opened for reading as bytes, if it is a regular file of at most `limit` bytes.

    Reading past `limit` (a file that grows, or a size the kernel does not report) raises
    FileRefused too, so no caller can be made to hold more than `limit` bytes of it.
    """
    name = str(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        if "\0" in name:
            raise FileRefused(shortened(name), "the path holds a NUL character", "rename it")
        fd = os.open(path, flags)
    except FileRefused:
        raise
    except FileNotFoundError:
        raise FileRefused(name, "no such file", "check the path") from None
    except IsADirectoryError:
        raise FileRefused(name, "is a folder, not a file", f"name a {what} inside it") from None
    except NotADirectoryError:
        raise FileRefused(name, "a part of the path is not a folder", "check the path") from None
    except OSError as exc:
        fix = _OPEN_FIXES.get(exc.errno or 0, "check its permissions")
        raise FileRefused(name, f"cannot be read: {exc.strerror}", fix) from None
    try:
        _check_opened(os.fstat(fd), name, limit, what)
    except BaseException:
        os.close(fd)
        raise
    with contextlib.suppress(OSError, AttributeError):  # back to blocking reads: a file
        os.set_blocking(fd, True)
    with os.fdopen(fd, "rb", buffering=0) as handle:
        yield _Bounded(handle, limit, name, what)  # type: ignore[misc]


def _check_opened(info: os.stat_result, name: str, limit: int, what: str) -> None:
    """Refuse what was opened unless it is a regular, saved file within the limit."""
    if not stat.S_ISREG(info.st_mode):
        inside = stat.S_ISDIR(info.st_mode)
        raise FileRefused(
            name,
            f"is {_kind(info.st_mode)}, not a regular file",
            f"name a {what} inside it" if inside else f"name a {what} saved on disk",
        )
    if info.st_dev in _devices_of_generated_roots():
        raise FileRefused(
            name, "is a file the system generates, not a saved file", f"name a {what} saved on disk"
        )
    if info.st_size > limit:
        raise FileRefused(
            name,
            f"is {info.st_size:,} bytes, more than the {limit:,} allowed",
            f"check that this is the right {what}",
        )


class _Bounded(io.RawIOBase):
    """A read-only stream that refuses to go past `limit` bytes."""

    def __init__(self, raw: BinaryIO, limit: int, name: str, what: str) -> None:
        super().__init__()
        self.raw, self.left, self.limit, self.name, self.what = raw, limit, limit, name, what

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.raw.fileno()

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Back to the start, to read the file again (a reader's second, slower way); no other
        place, so the limit still counts every byte from there."""
        if (offset, whence) != (0, io.SEEK_SET):
            raise io.UnsupportedOperation("a bounded stream only goes back to its start")
        self.left = self.limit
        return self.raw.seek(0)

    def tell(self) -> int:
        return self.limit - self.left

    def readinto(self, buffer) -> int:  # type: ignore[override]
        count = self.raw.readinto(memoryview(buffer)[: self.left + 1]) or 0
        self.left -= count
        if self.left < 0:
            raise FileRefused(
                self.name,
                f"holds more than the {self.limit:,} bytes allowed",
                f"check that this is the right {self.what}",
            )
        return count


def read_bytes(path: Path, limit: int, what: str = "file") -> bytes:
    """The whole of a regular file of at most `limit` bytes."""
    with open_regular(path, limit, what) as handle:
        return handle.read()


def inside_folder(folder: Path, relative: str) -> str | None:
    """Why `relative` (as written in a spec in `folder`) leads out of that folder, or None.

    The real paths are compared, so `..`, an absolute path and a symbolic link that points out
    (anywhere along the path) are all caught; a link that stays inside is fine.
    """
    if Path(relative).is_absolute():
        return "is an absolute path"
    base = os.path.realpath(folder)
    target = os.path.realpath(os.path.join(folder, relative))
    if os.path.commonpath([base, target]) == base:
        return None
    if ".." in Path(relative).parts:
        return "leads out of the spec's folder"
    return "is a symbolic link to a file outside the spec's folder"


def opened_inside(handle: BinaryIO, folder: Path) -> bool:
    """Whether the file actually opened lies inside `folder` (where the system can say): the
    check after the open, so a link swapped in between is caught too."""
    fd = handle.fileno() if hasattr(handle, "fileno") else None
    if fd is None:
        return True
    with contextlib.suppress(OSError):
        opened = os.readlink(f"/proc/self/fd/{fd}")
        base = os.path.realpath(folder)
        return os.path.commonpath([base, opened]) == base
    return True  # no /proc: the check before the open stands alone


# -- writing ---------------------------------------------------------------------------------
def same_file(one: Path, other: Path) -> bool:
    """Whether two paths name one existing file (a link, ./, another spelling)."""
    try:
        return os.path.samefile(one, other)
    except (OSError, ValueError):  # either missing, or a path the system refuses
        return False


def refuse_to_replace(path: Path, replace: bool) -> None:
    """FileRefused unless `path` may be written: new, or (with `replace`) a regular file.

    Checked before any work is done and again when the file is published."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    if stat.S_ISLNK(info.st_mode):
        raise FileRefused(
            str(path),
            f"is a symbolic link to {shortened(os.readlink(path))}",
            "write to the file it points to, or remove the link",
        )
    if not stat.S_ISREG(info.st_mode):
        fix = "name a file inside it" if stat.S_ISDIR(info.st_mode) else "choose a file name"
        raise FileRefused(str(path), f"is {_kind(info.st_mode)}, not a regular file", fix)
    if not replace:
        raise FileRefused(
            str(path), "exists", "add --force to overwrite it, or choose another file"
        )


def write_atomically(path: Path, write: Callable[[BinaryIO], None], replace: bool) -> None:
    """Write through `write(file)` to a fresh temporary file beside `path`, then publish it.

    Without `replace` the file is published with a hard link, which fails if `path` appeared
    meanwhile, so nothing is ever overwritten without --force; with it, `os.replace`.
    """
    refuse_to_replace(path, replace)
    folder = path.parent
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name[:100]}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, _mode_for(path))
        _publish(temporary, path, replace)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise _cannot_write(path, exc) from None
        raise


def write_text_atomically(path: Path, text: str, replace: bool) -> None:
    write_atomically(path, lambda handle: handle.write(text.encode("utf-8")), replace)


def _publish(temporary: str, path: Path, replace: bool) -> None:
    refuse_to_replace(path, replace)
    if replace:
        os.replace(temporary, path)
        return
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise FileRefused(
            str(path), "appeared while this was written", "add --force to overwrite it"
        ) from None
    except OSError:  # a file system without hard links: the check just made must do
        os.replace(temporary, path)
        return
    os.unlink(temporary)


def _mode_for(path: Path) -> int:
    """The replaced file's permissions, or a new file's as the umask makes them (mkstemp's
    own 0600 would hide an exported slide from the web server that serves it)."""
    with contextlib.suppress(OSError):
        return stat.S_IMODE(os.stat(path).st_mode)
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _cannot_write(path: Path, exc: OSError) -> FileRefused:
    if isinstance(exc, FileNotFoundError) and not os.path.exists(path.parent):
        return FileRefused(str(path), f"its folder {path.parent} does not exist", "create it first")
    if isinstance(exc, NotADirectoryError):
        return FileRefused(str(path), "a part of the path is not a folder", "check the path")
    return FileRefused(str(path), f"cannot be written: {exc.strerror}", "choose another place")
