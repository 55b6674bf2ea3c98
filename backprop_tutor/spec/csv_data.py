"""Training examples from a CSV file a spec names: confined, bounded, and read into arrays.

The spec is untrusted, so the file it names is too. It must lie inside the spec's own folder
(no absolute path, no `..`, no symbolic link out) unless the person running the command passes
--allow-data-anywhere; it must be a regular file (files.open_regular), and no message quotes
what is in it beyond the column names the spec itself wrote: a header that does not match says
how many columns it has and which names are missing, a bad cell says its line and column.

Numbers go straight into float64 arrays, a few thousand cells at a time: 8 bytes a number, so
the byte limit and the number limit below bound the memory a file can take.
"""

from __future__ import annotations

import csv
import io
import operator
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from backprop_tutor.core.errors import FileRefused, SpecError, shortened
from backprop_tutor.core.files import inside_folder, open_regular, opened_inside
from backprop_tutor.core.utf8 import file_not_utf8
from backprop_tutor.spec.model import Examples
from backprop_tutor.spec.schema import DataFile, parse_number
from backprop_tutor.spec.yaml_source import YamlSource

MAX_CSV_BYTES = 200_000_000
# 160 MB as float64 (twice that while the chunks are joined); a 10,000-row MNIST file is 7.9 M.
MAX_CSV_NUMBERS = 20_000_000
CHUNK_CELLS = 100_000  # cells converted per numpy call: a chunk's strings stay a few MB
READ_BYTES = 1 << 20  # read a MiB at a time: an MNIST file is 46 MB
ANYWHERE_HINT = "put the CSV file in the spec's folder, or run with --allow-data-anywhere"


def read_csv_examples(source: YamlSource, data: DataFile, anywhere: bool) -> Examples:
    """The examples of the CSV file `data` names; every problem names the file and place."""
    folder = Path(source.file).parent
    written = data.csv.strip()
    if not written:
        raise source.error(("data", "csv"), "the CSV path is empty", "name a CSV file")
    if "\0" in written:
        raise source.error(("data", "csv"), "the CSV path holds a NUL character", "rename it")
    if "://" in written:  # a path would fold its // into one, and name a file it is not
        raise source.error(
            ("data", "csv"),
            f"'{shortened(written)}' is an address, not a file's path",
            "save the file beside the spec and name it here by its path, e.g. digits.csv",
        )
    if not anywhere:
        reason = inside_folder(folder, written)
        if reason:
            raise source.error(("data", "csv"), f"the CSV path {reason}", ANYWHERE_HINT)
    path = folder / written
    try:
        with open_regular(path, MAX_CSV_BYTES, "CSV file") as handle:
            if not anywhere and not opened_inside(handle, folder):
                raise source.error(
                    ("data", "csv"), "the CSV path leads out of the spec's folder", ANYWHERE_HINT
                )
            return _read(str(path), handle, data)
    except FileRefused as refused:
        fix = "the path is relative to the spec file" if "no such" in refused.problem else ""
        raise source.error(
            ("data", "csv"), f"{refused.file}: {refused.problem}", fix or refused.fix
        ) from None
    except UnicodeDecodeError:  # its offset is into one chunk: the file is read again
        raise file_not_utf8(path, MAX_CSV_BYTES, "CSV file") from None
    except csv.Error as exc:
        line = getattr(exc, "line", None)
        if "field limit" in str(exc):  # the csv module's bound on one cell
            raise SpecError(
                str(path),
                f"a cell is longer than {csv.field_size_limit():,} characters",
                "a number needs at most 17 significant digits: shorten the cell",
                line=line,
            ) from None
        raise SpecError(str(path), "is not valid CSV", "fix the quoting", line=line) from None


def _read(name: str, handle, data: DataFile) -> Examples:
    # utf-8-sig: spreadsheets save CSV with a byte-order mark before the first column name
    buffered = io.BufferedReader(handle, READ_BYTES)
    text = io.TextIOWrapper(buffered, encoding="utf-8-sig", newline="")
    # a text stream reads 8 KiB at a time (the buffer under it passes such reads straight
    # through): numpy's reader would make 5,600 calls for an MNIST file, each through _Bounded
    text._CHUNK_SIZE = READ_BYTES  # type: ignore[attr-defined]
    top = text.readline()
    quoted = '"' in top  # a quoted name may hold a comma or a line break: csv reads it whole
    if quoted:
        text.seek(0)
    header = [h.strip() for h in next(csv.reader(text if quoted else [top]), None) or []]
    if not any(header):
        problem = (
            "the file is empty"
            if not top.strip() and not text.read(1)
            else "the first line holds no column names"
        )
        raise SpecError(name, problem, "write a header row of column names", line=1)
    columns = _columns(name, header, data)
    every = not quoted and columns == list(range(len(header))) and _as_wide(text, len(header))
    values = _plain(text, columns, every)
    if values is None and every:  # a later row is wider: numpy picks the spec's columns again
        text.seek(0)
        text.readline()  # the header, one unquoted line on this path
        values = _plain(text, columns, False)
    if values is not None:
        return _split(values, len(data.inputs))
    text.seek(0)  # not plain: read again, cell by cell where needed, to name what is wrong
    reader = csv.reader(text)
    next(reader)
    try:
        chunks = list(_arrays(name, reader, header, columns, len(data.inputs)))
    except csv.Error as exc:  # the csv module does not say where: the line it stopped on
        exc.line = reader.line_num  # type: ignore[attr-defined]
        raise
    if not chunks:
        raise SpecError(name, "no data rows after the header", "add one row per example")
    values = np.concatenate(chunks) if len(chunks) > 1 else chunks[0]
    return _split(values, len(data.inputs))


def _split(values: np.ndarray, inputs: int) -> Examples:
    """The inputs and targets of rows read as one array, each contiguous, without a second
    copy of the inputs: the targets are copied out, then each row's inputs are moved up
    within the same memory, over the targets before them, and the memory past them handed
    back (realloc shrinks in place), so the targets are not held twice."""
    rows, width = values.shape
    targets = values[:, inputs:].copy()
    flat = values.reshape(-1)
    # rows moved up in blocks, in order, each block as large as fits before where it is read
    # from (row k is read at k·width, written at k·inputs), so no move overlaps and numpy
    # needs no buffer; the first rows, which do overlap, one at a time
    start = 1  # row 0 is in place already
    while start < rows:
        stop = min(rows, max(start + 1, start * width // inputs))
        flat[start * inputs : stop * inputs].reshape(stop - start, inputs)[...] = values[
            start:stop, :inputs
        ]
        start = stop
    del flat  # the view dies before its memory is resized
    if values.flags.owndata and values.base is None and inputs < width:
        values.resize(rows * inputs, refcheck=False)  # no other view of it exists
        return Examples(values.reshape(rows, inputs), targets)
    return Examples(values.reshape(-1)[: rows * inputs].reshape(rows, inputs), targets)


def _as_wide(text, width: int) -> bool:
    """Whether the first data row, unquoted, has exactly `width` cells, the header's: then
    numpy's reader may take every column as it comes (no usecols to pick, 5% faster), as it
    makes every later row as wide or refuses it. The stream is left where it was, after the
    header (of one line: it holds no quote)."""
    row = text.readline()
    text.seek(0)
    text.readline()
    return '"' not in row and row.count(",") + 1 == width


def _plain(text, columns: list[int], every: bool) -> np.ndarray | None:
    """The rows after the header in numpy's C reader, where every chosen cell is a plain
    finite decimal and the rows fit MAX_CSV_NUMBERS; None for anything else (a fraction,
    1_000, quotes, an empty or bad cell, too many rows), which the reader by chunks handles
    and names."""
    rows = MAX_CSV_NUMBERS // len(columns)
    try:
        with warnings.catch_warnings():  # no data rows: said in one line by the reader after
            warnings.simplefilter("ignore", UserWarning)
            values = np.loadtxt(
                text,
                delimiter=",",
                quotechar='"',  # "1,234" is one cell, as the csv module reads it
                usecols=None if every else columns,
                comments=None,
                ndmin=2,
                max_rows=rows + 1,
            )
    except (ValueError, IndexError):
        return None
    if len(values) > rows or not len(values) or values.shape[1] != len(columns):
        return None
    return values if _finite(values) else None  # (rows, columns): ndmin=2, usecols or every


def _finite(values: np.ndarray) -> bool:
    """Whether every value is finite: their sum is, unless a NaN or an infinity is among them
    (a sum that overflows is looked at value by value); half the time of np.isfinite's."""
    with np.errstate(over="ignore", invalid="ignore"):  # inf − inf in the sum is a NaN: said
        total = values.sum()
    return bool(np.isfinite(total) or np.isfinite(values).all())


def _columns(name: str, header: list[str], data: DataFile) -> list[int]:
    """The header's index of each column the spec names; a mismatch says what is missing and
    how many columns there are, never the header itself (it may be anything)."""
    wanted = [*data.inputs, *data.targets]
    index: dict[str, int] = {}
    for i, column in enumerate(header):  # the first of two alike, as list.index finds it
        index.setdefault(column, i)
    missing = [column for column in wanted if column not in index]
    if missing:
        one = header[0] if len(header) == 1 else ""
        fix = (
            "the header is one column holding ';', a tab or '|': separate the columns with commas"
            if any(separator in one for separator in ";\t|")
            else "the first row must name the columns as data.inputs and data.targets do "
            "(spelling and case count)"
        )
        names = ", ".join(f"'{m}'" for m in missing)
        count = f"{len(header)} column" + "s" * (len(header) != 1)
        raise SpecError(name, f"no column named {names} among the header's {count}", fix, line=1)
    return [index[column] for column in wanted]  # by name: an MNIST header has 794


def _arrays(
    name: str, reader, header: list[str], columns: list[int], n_inputs: int
) -> Iterator[np.ndarray]:
    """The chosen columns of every non-empty row, as float64 arrays a chunk at a time."""
    rows_per_chunk = max(1, CHUNK_CELLS // max(1, len(header)))
    numbers = 0
    for chunk in _chunks(reader, rows_per_chunk):
        numbers += len(chunk) * len(columns)
        if numbers > MAX_CSV_NUMBERS:
            raise SpecError(
                name,
                f"holds more than {MAX_CSV_NUMBERS:,} numbers in the chosen columns",
                "use fewer rows (a sample of the data set)",
                line=chunk[-1][0],
            )
        fast = _fast(chunk, columns)
        yield fast if fast is not None else _slow(name, chunk, header, columns)


def _chunks(reader, size: int) -> Iterable[list[tuple[int, list[str]]]]:
    """The non-empty rows with their line numbers, `size` at a time."""
    chunk: list[tuple[int, list[str]]] = []
    for row in reader:
        if row:
            chunk.append((reader.line_num, row))
            if len(chunk) == size:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _fast(chunk: list[tuple[int, list[str]]], columns: list[int]) -> np.ndarray | None:
    """A chunk of plain finite decimals, converted by numpy in one call; None for anything
    else, which `_slow` then reads cell by cell (fractions parsed, a bad cell named)."""
    try:
        pick = operator.itemgetter(*columns)
        cells = [pick(row) if len(columns) > 1 else (pick(row),) for _, row in chunk]
        flat = "".join(map("".join, cells))
        if "_" in flat or "/" in flat:  # 1_000 and fractions: parse_number's rules decide
            return None
        values = np.array(cells, dtype=float)
    except (IndexError, ValueError):
        return None
    return values if np.isfinite(values).all() else None


def _slow(
    name: str, chunk: list[tuple[int, list[str]]], header: list[str], columns: list[int]
) -> np.ndarray:
    values = np.empty((len(chunk), len(columns)))
    for i, (line, row) in enumerate(chunk):
        for j, index in enumerate(columns):
            cell = row[index].strip() if index < len(row) else ""
            try:
                values[i, j] = parse_number(cell)
            except ValueError:
                problem = "is empty" if not cell else "is not a finite number"
                raise SpecError(
                    name,
                    f"column '{header[index]}' {problem}",
                    'every input and target cell must be a number such as 0.5 or "1/3"',
                    line=line,
                ) from None
    return values
