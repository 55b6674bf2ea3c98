"""Each fuzz case's bounds: at most 30 s per command, and under 500 MB at its peak.

The bounds are the acceptance bounds of the large fuzz run, about 100 times what a typical
case takes. Time is CPU time (the whole process's, all threads), so the bound holds on a busy
machine: a 4-second `--symbolic` case took 31 s of wall time while the test suite ran beside
it. A command that waits rather than computes (a FIFO, a lock) is caught by the wall-clock
alarm at HANG_SECONDS. Memory is the peak resident set while the
command runs: the kernel's count of it is reset before each command where Linux allows
(/proc/self/clear_refs), so each command is judged on its own; elsewhere ru_maxrss, which only
grows, so the command that takes it past the bound is the one named. A command that hangs is
stopped by an alarm and fails, rather than stalling the run.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

MAX_SECONDS = 30.0  # CPU seconds per command: the acceptance bound
MAX_MB = 500.0  # the process's peak resident memory while a command runs
HANG_SECONDS = 120.0  # a command still running then is stopped, so a hang fails, not stalls
SETTLE_MB = 250.0  # above this before a command, memory freed by earlier cases is given back
WORST: dict[str, tuple[float, str]] = {
    "seconds": (0.0, ""),
    "peak MB": (0.0, ""),
    "alone MB": (0.0, ""),
}
GROWTH: list[tuple[float, str]] = []  # the commands that grew the process most, largest first
FOOTPRINT: list[float] = []  # a fresh process's, with the libraries a command imports
# what a process of its own holds before any command: Python, the libraries, pytest (measured
# in a child: in a full test run this process has grown by hundreds of MB before the fuzzing)
FRESH = """
import hypothesis, numpy, pytest, yaml
import backprop_tutor.cli, backprop_tutor.record, backprop_tutor.spec, backprop_tutor.train
print(next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")))
"""
T = TypeVar("T")


class CommandHung(BaseException):
    """Raised by the alarm in a command still running after HANG_SECONDS. A BaseException, so
    that no `except Exception` in the code under test swallows it."""


@contextlib.contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """CommandHung in the block after `seconds` (SIGALRM; formula.py's own budget nests inside
    it and gives the rest of this one back)."""
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise CommandHung

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _reset_peak() -> bool:
    """Start the kernel's count of peak memory again (Linux: /proc/self/clear_refs), so each
    command's peak is its own; False where it cannot be (then ru_maxrss only ever grows)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _status_mb(field: str) -> float | None:
    """A memory figure of /proc/self/status (VmHWM, VmRSS) in MB; None where there is none."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return None


def _peak_mb() -> float:
    """The process's peak resident memory since the last reset (VmHWM), or since it began."""
    peak = _status_mb("VmHWM")
    if peak is not None:
        return peak
    kilobytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kilobytes / 1024 / (1024 if sys.platform == "darwin" else 1)


def _settle() -> None:
    """After a case that took a lot of memory, the allocator keeps the freed pages: collect and
    give them back (glibc's malloc_trim), so the next command starts from what is in use."""
    resident = _status_mb("VmRSS")
    if resident is None or resident < SETTLE_MB:
        return
    gc.collect()
    name = ctypes.util.find_library("c")
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(name).malloc_trim(0)


def _fresh_footprint(here: float) -> float:
    """The peak resident MB of a fresh interpreter importing what the commands import; this
    process's own where a child cannot say (no /proc)."""
    import subprocess

    try:
        done = subprocess.run(
            [sys.executable, "-c", FRESH], capture_output=True, text=True, timeout=120
        )
        return int(done.stdout.strip()) / 1024
    except (OSError, ValueError, subprocess.SubprocessError):
        return here


def _record(label: str, seconds: float, before: float, peak: float) -> float:
    """Keep the worst figures for the summary; the peak the command would have alone."""
    alone = FOOTPRINT[0] + peak - before
    for key, value in (("seconds", seconds), ("peak MB", peak), ("alone MB", alone)):
        WORST[key] = max(WORST[key], (value, label))
    GROWTH.append((peak - before, label))
    GROWTH.sort(reverse=True)
    del GROWTH[5:]
    return alone


def bounded(label: str, work: Callable[[], T]) -> T:
    """`work()`, failing when it runs past MAX_SECONDS or past MAX_MB. Memory is judged as in
    a process of its own: the footprint the fuzzing process had at its first command (Python,
    the libraries, pytest) plus what this command added to the peak, so memory the fuzzer
    itself gathers over a long run (hypothesis's records, caches) is not blamed on a case."""
    _settle()
    resettable = _reset_peak()
    before = _peak_mb()
    if not FOOTPRINT:
        FOOTPRINT.append(_fresh_footprint(before))
    start = time.process_time()
    try:
        with _alarm(HANG_SECONDS):
            value = work()
    except CommandHung:
        raise AssertionError(f"{label}: still running after {HANG_SECONDS:.0f} s") from None
    seconds, peak = time.process_time() - start, _peak_mb()
    alone = _record(label, seconds, before, peak)
    assert seconds <= MAX_SECONDS, (
        f"{label}: took {seconds:.1f} s of CPU, more than {MAX_SECONDS:.0f}"
    )
    if alone > MAX_MB and (resettable or before <= MAX_MB):
        raise AssertionError(
            f"{label}: would peak at {alone:.0f} MB in a process of its own, more than "
            f"{MAX_MB:.0f} (it took this process from {before:.0f} to {peak:.0f} MB)"
        )
    return value
