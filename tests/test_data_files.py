"""What a spec may read (issue 20): CSV data only from the spec's own folder, regular files
only, bounded, and no message quotes what a file holds beyond the names the spec wrote.

CSV content cases are data, one file per case under tests/data/csv/; the file system cases
(paths, links, FIFOs, devices, the kernel's files) need a real file system, so they are here.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from cases import Case, case_params
from conftest import CONFIGS
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.core.utf8 import first_bad_byte

XOR = yaml.safe_load((CONFIGS / "xor.yaml").read_text(encoding="utf-8"))
DATA = {"inputs": ["a", "b"], "targets": ["y"]}


def _spec(folder: Path, csv: str, name: str = "net.yaml") -> Path:
    """The XOR spec with its examples read from `csv` (as the spec would write it)."""
    spec = {k: v for k, v in XOR.items() if k != "examples"}
    spec["data"] = {"csv": csv, **DATA}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def _invoke(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output + result.stderr
    return result


def _one_line(result, code: int = 2) -> str:
    assert result.exit_code == code, result.output + result.stderr
    message = result.stderr.strip()
    assert message.startswith("error: ") and "\n" not in message, message
    assert message.isprintable(), message
    return message


def _child(args: list[str], env: dict[str, str] | None = None, **options):
    """The command in a child process, bounded: a regression hangs or grows, then fails."""

    def bound() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))

    return subprocess.run(
        [sys.executable, "-m", "backprop_tutor", *args],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=bound,
        env={**os.environ, "COLUMNS": "100", **(env or {})},
        **options,
    )


# -- CSV content: tests/data/csv/ --------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=60), bad=st.binary(min_size=1, max_size=3), data=st.data())
def test_the_first_bad_byte_is_found_however_the_file_is_read_in_chunks(text, bad, data) -> None:
    """A CSV is read a MiB at a time, so a character can be cut between two chunks: the
    place named is where the whole file stops being UTF-8, for every way of cutting it."""
    whole = text.encode("utf-8") + bad + text.encode("utf-8")
    cuts = sorted(data.draw(st.lists(st.integers(0, len(whole)), max_size=6)))
    chunks = [whole[a:b] for a, b in zip([0, *cuts], [*cuts, len(whole)], strict=True)]
    found = first_bad_byte(chunks)
    try:
        whole.decode("utf-8")
        assert found is None
    except UnicodeDecodeError as error:
        before = whole[: error.start].decode("utf-8")
        line = before.count("\n") + 1
        shown = before.removeprefix("\ufeff")  # a byte-order mark takes no column
        column = len(shown) - shown.rfind("\n")  # after the last newline, from 1
        assert found == (error.start, line, column, whole[error.start])


@pytest.mark.parametrize("case", case_params("csv"))
def test_csv_case(tmp_path: Path, case: Case) -> None:
    (tmp_path / "data.csv").write_bytes(case.raw)  # as the file holds it, Latin-1 and all
    spec = _spec(tmp_path, "data.csv")
    for command in ("validate", "train"):
        result = _invoke(command, str(spec))
        assert result.exit_code == int(case.get("exit", "0")), result.stderr
        if result.exit_code == 2:
            message = _one_line(result)
            assert case.get("stderr") in message
            assert str(tmp_path / "data.csv") in message
        secret = case.get("secret")
        assert not secret or secret not in result.output + result.stderr


@pytest.mark.parametrize("odd", ["", '"1/3"'], ids=["numpy's reader", "cell by cell"])
def test_examples_are_held_as_arrays_of_8_bytes_a_number(tmp_path: Path, odd: str) -> None:
    """10,000 rows: the arrays themselves, not 580 bytes a row of Python tuples, and the
    memory behind each no more than it shows (the targets are not held a second time behind
    the inputs), whichever reader took the file (a fraction needs the cell-by-cell one)."""
    from backprop_tutor.spec import load_spec

    rows = "".join(f"{k % 2},{k % 3 / 3},{k % 2}\n" for k in range(10_000))
    if odd:
        rows += f"1,{odd},0\n"
    (tmp_path / "data.csv").write_text("a,b,y\n" + rows, encoding="utf-8")
    examples = load_spec(_spec(tmp_path, "data.csv")).examples
    n = 10_000 + bool(odd)
    assert examples.inputs.shape == (n, 2) and examples.targets.shape == (n, 1)
    for array in (examples.inputs, examples.targets):
        owner = array
        while owner.base is not None:
            owner = owner.base
        assert owner.nbytes == array.nbytes
    k = np.arange(10_000)
    assert (examples.inputs[:10_000] == np.column_stack([k % 2, k % 3 / 3])).all()
    assert (examples.targets[:10_000, 0] == k % 2).all()
    assert examples[1] == ((1.0, 1 / 3), (1.0,))
    if odd:
        assert examples[n - 1] == ((1.0, 1 / 3), (0.0,))


def test_a_later_row_wider_than_the_header_is_read_by_numpy(tmp_path: Path) -> None:
    """A row past the first with a cell the spec does not name, longer than the csv module
    takes: numpy's reader still picks the spec's columns (the csv module would refuse it)."""
    rows = "0,0,0\n0,1,1\n1,0,1," + "x" * 200_000 + "\n1,1,0\n"
    (tmp_path / "data.csv").write_text("a,b,y\n" + rows, encoding="utf-8")
    result = _invoke("validate", str(_spec(tmp_path, "data.csv")))
    assert result.exit_code == 0, result.stderr


def test_a_cell_past_the_csv_modules_limit_is_named(tmp_path: Path) -> None:
    """A cell of 200,000 characters (made here: too big for a case file) is refused in one
    line that says so, not as bad quoting. (A plain number that long passes numpy's reader,
    which has no such limit, and is read as the number it is.)"""
    cell = '"' + "x" * 200_000 + '"'
    (tmp_path / "data.csv").write_text(f"a,b,y\n0,0,0\n1,{cell},1\n", encoding="utf-8")
    result = _invoke("validate", str(_spec(tmp_path, "data.csv")))
    assert result.exit_code == 2
    assert "a cell is longer than 131,072 characters" in _one_line(result)
    assert "data.csv:3:" in _one_line(result)  # the line it is on


def test_more_numbers_than_the_limit_stop_while_reading(tmp_path: Path, monkeypatch) -> None:
    from backprop_tutor.spec import csv_data as spec_csv

    monkeypatch.setattr(spec_csv, "MAX_CSV_NUMBERS", 3_000)
    (tmp_path / "data.csv").write_text("a,b,y\n" + "0,1,1\n" * 2_000, encoding="utf-8")
    message = _one_line(_invoke("validate", str(_spec(tmp_path, "data.csv"))))
    assert "more than 3,000 numbers" in message


# -- where a CSV may be --------------------------------------------------------------------------
OUTSIDE = "outside.csv"


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A spec folder, with a readable CSV just outside it (as a secret would be)."""
    (tmp_path / OUTSIDE).write_text("a,b,y\n0,0,0\nSECRET,1,1\n", encoding="utf-8")
    folder = tmp_path / "student"
    folder.mkdir()
    return folder


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("../outside.csv", "the CSV path leads out of the spec's folder"),
        ("sub/../../outside.csv", "the CSV path leads out of the spec's folder"),
        ("{tmp}/outside.csv", "the CSV path is an absolute path"),
        ("/etc/passwd", "the CSV path is an absolute path"),
        ("/proc/self/environ", "the CSV path is an absolute path"),
        ("link.csv", "is a symbolic link to a file outside the spec's folder"),
        ("linked/outside.csv", "is a symbolic link to a file outside the spec's folder"),
    ],
)
def test_a_csv_outside_the_specs_folder_is_refused(course: Path, written: str, said: str) -> None:
    (course / "link.csv").symlink_to(course.parent / OUTSIDE)
    (course / "linked").symlink_to(course.parent)
    (course / "sub").mkdir()
    spec = _spec(course, written.replace("{tmp}", str(course.parent)))
    message = _one_line(_invoke("validate", str(spec)))
    assert said in message and "data.csv" in message and "--allow-data-anywhere" in message
    assert "SECRET" not in message


def test_a_link_that_stays_inside_the_folder_is_fine(course: Path) -> None:
    (course / "data").mkdir()
    (course / "data" / "real.csv").write_text("a,b,y\n0,0,0\n0,1,1\n", encoding="utf-8")
    (course / "easy.csv").symlink_to(course / "data" / "real.csv")
    for written in ("easy.csv", "data/real.csv", "./data/../data/real.csv"):
        assert _invoke("validate", str(_spec(course, written))).exit_code == 0


def test_allow_data_anywhere_reads_outside_the_folder(course: Path) -> None:
    for written in ("../outside.csv", str(course.parent / OUTSIDE)):
        spec = str(_spec(course, written))
        assert _invoke("validate", spec).exit_code == 2
        result = _invoke("validate", spec, "--allow-data-anywhere")
        assert result.exit_code == 2  # it is read now: SECRET is not a number
        assert "column 'a' is not a finite number" in result.stderr
        assert "SECRET" not in result.stderr


@pytest.mark.parametrize("command", ["validate", "run", "train", "check", "gradcheck", "draw"])
def test_every_command_that_reads_a_spec_confines_its_data(course: Path, command: str) -> None:
    spec = str(_spec(course, "../outside.csv"))
    args = {"check": [spec, "golden/dawood.values.yaml"], "draw": [spec, "-o", "x.svg"]}
    result = _invoke(command, *args.get(command, [spec]))
    assert "leads out of the spec's folder" in _one_line(result)


def test_the_environment_never_leaks_through_proc_self_environ(tmp_path: Path) -> None:
    """The issue's case: validate with the secret in the environment, with and without
    --allow-data-anywhere; the secret is nowhere in what the command prints."""
    secret = "SECRET_TOKEN=correct-horse-battery-staple"
    spec = _spec(tmp_path, "/proc/self/environ")
    for extra in ([], ["--allow-data-anywhere"]):
        result = _child(["validate", str(spec), *extra], env={"SECRET_TOKEN": secret[13:]})
        assert result.returncode == 2, result.stderr
        assert secret[13:] not in result.stdout + result.stderr
        assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert "is a file the system generates" in result.stderr


@pytest.mark.parametrize(
    ("special", "said"),
    [
        ("/dev/zero", "is a device, not a regular file"),
        ("/dev/null", "is a device, not a regular file"),
        ("fifo.csv", "is a pipe (FIFO), not a regular file"),
        ("/proc/self/status", "is a file the system generates"),
        ("/sys/kernel/mm/transparent_hugepage/enabled", "is a file the system generates"),
    ],
)
def test_special_files_are_refused_at_once(tmp_path: Path, special: str, said: str) -> None:
    """A FIFO used to block forever and /dev/zero to read until memory ran out: each is one
    line now, in a child process bounded in time and memory so a regression fails."""
    if special.startswith("/") and not os.path.exists(special):
        pytest.skip(f"{special} is not on this system")
    if special == "fifo.csv":
        os.mkfifo(tmp_path / special)
    spec = _spec(tmp_path, special)
    result = _child(["validate", str(spec), "--allow-data-anywhere"])
    assert result.returncode == 2 and said in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("", "the CSV path is empty"),
        (".", "is a folder, not a regular file"),
        ("data.csv/x", "a part of the path is not a folder"),
        ("a\0b.csv", "holds a NUL character"),
        ("x" * 300 + ".csv", "cannot be read: File name too long"),
        ("missing.csv", "no such file; the path is relative to the spec file"),
    ],
)
def test_odd_csv_paths_are_one_line(tmp_path: Path, written: str, said: str) -> None:
    (tmp_path / "data.csv").write_text("a,b,y\n0,0,0\n", encoding="utf-8")
    message = _one_line(_invoke("validate", str(_spec(tmp_path, written))))
    assert said in message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_csv_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("a,b,y\n0,0,0\n", encoding="utf-8")
    (tmp_path / "data.csv").chmod(0)
    assert "cannot be read" in _one_line(_invoke("validate", str(_spec(tmp_path, "data.csv"))))


# -- spec and claims files are read the same way ----------------------------------------------
@pytest.mark.parametrize("special", ["/dev/zero", "fifo.yaml", "/proc/self/environ"])
@pytest.mark.parametrize("role", ["spec", "claims"])
def test_a_special_spec_or_claims_file_is_one_line(tmp_path: Path, special: str, role: str) -> None:
    if special == "fifo.yaml":
        os.mkfifo(tmp_path / special)
        special = str(tmp_path / special)
    args = ["run", special] if role == "spec" else ["check", "dawood", special]
    result = _child(args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "not a regular file" in result.stderr or "the system generates" in result.stderr
    assert result.stderr.count("\n") == 1 and "SECRET" not in result.stderr


def test_a_quoted_cell_with_commas_is_one_cell(tmp_path: Path) -> None:
    """numpy's reader splits "1,234,567" at its commas unless told the quotes: every later
    column would move over, and a target read 234 without an error."""
    from backprop_tutor.spec import load_spec

    (tmp_path / "d.csv").write_text(
        'a,b,population,y\n0.5,0.2,"1,234,567",1\n0.1,0.3,"5",0\n', encoding="utf-8"
    )
    spec = load_spec(_spec(tmp_path, "d.csv"))
    assert spec.examples.inputs.tolist() == [[0.5, 0.2], [0.1, 0.3]]
    assert spec.examples.targets.tolist() == [[1.0], [0.0]]
