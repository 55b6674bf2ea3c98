"""How commands write (issue 20): a fresh temporary file, moved over the target in one step;
only a regular file is ever replaced; standard output that cannot be written is one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backprop_tutor.cli import app

PYTHON = [sys.executable, "-m", "backprop_tutor"]


def _invoke(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output + result.stderr
    return result


def _refused(result, said: str) -> str:
    assert result.exit_code == 2, result.output + result.stderr
    message = result.stderr.strip()
    assert message.startswith("error: ") and "\n" not in message, message
    assert said in message, message
    return message


def _markdown(output: Path, *extra: str):
    return _invoke("run", "dawood", "-f", "markdown", "-o", str(output), *extra)


def test_a_planted_symlink_at_the_old_temporary_name_is_never_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("mine\n", encoding="utf-8")
    (tmp_path / ".out.md.partial").symlink_to(victim)
    assert _markdown(tmp_path / "out.md").exit_code == 0
    assert victim.read_text(encoding="utf-8") == "mine\n"
    assert "0.45187" in (tmp_path / "out.md").read_text(encoding="utf-8")


def test_a_users_own_partial_file_is_left_alone(tmp_path: Path) -> None:
    own = tmp_path / ".report.md.partial"
    own.write_text("my draft\n", encoding="utf-8")
    assert _markdown(tmp_path / "report.md").exit_code == 0
    assert own.read_text(encoding="utf-8") == "my draft\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".report.md.partial", "report.md"]


@pytest.mark.parametrize("kind", ["fifo", "folder", "symlink", "device"])
def test_force_replaces_only_a_regular_file(tmp_path: Path, kind: str) -> None:
    """`-o /dev/null --force` as root used to replace /dev/null with a file."""
    target = tmp_path / "out.md"
    said = {"fifo": "is a pipe", "folder": "is a folder", "symlink": "is a symbolic link"}
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "folder":
        target.mkdir()
    elif kind == "symlink":
        (tmp_path / "real.md").write_text("kept\n", encoding="utf-8")
        target.symlink_to(tmp_path / "real.md")
    else:
        target = Path("/dev/null")
        said["device"] = "is a device"
    before = os.lstat(target)
    _refused(_markdown(target, "--force"), said[kind])
    after = os.lstat(target)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    if kind == "symlink":
        assert (tmp_path / "real.md").read_text(encoding="utf-8") == "kept\n"


def test_a_new_file_gets_the_usual_permissions_and_a_replaced_one_keeps_its_own(
    tmp_path: Path,
) -> None:
    """mkstemp makes 0600 files; an exported slide must stay readable as before."""
    mask = os.umask(0o022)
    try:
        assert _markdown(tmp_path / "new.md").exit_code == 0
        assert (tmp_path / "new.md").stat().st_mode & 0o777 == 0o644
        (tmp_path / "shared.md").write_text("old\n", encoding="utf-8")
        (tmp_path / "shared.md").chmod(0o664)
        assert _markdown(tmp_path / "shared.md", "--force").exit_code == 0
        assert (tmp_path / "shared.md").stat().st_mode & 0o777 == 0o664
    finally:
        os.umask(mask)


WRITER = """
import sys, time
from pathlib import Path
from backprop_tutor.cli import outputs
output, letter, size, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
text = letter * size + "\\n"
time.sleep(max(0.0, start - time.time()))  # every writer starts at once
outputs._write_text(Path(output), text, force=True)
"""


def test_parallel_writers_each_publish_one_whole_file(tmp_path: Path) -> None:
    """Twelve writers of one --output, started together, each with its own length: the file
    is always one writer's whole output (a fixed temporary name once published one writer's
    output with another's last bytes after it)."""
    import time

    output = tmp_path / "out.txt"
    sizes = {letter: 4_000_000 + 997 * k for k, letter in enumerate("ABCDEFGHIJKL")}
    wholes = {letter * size + "\n" for letter, size in sizes.items()}
    for _ in range(3):
        start = str(time.time() + 3.0)
        writers = [
            subprocess.Popen([sys.executable, "-c", WRITER, str(output), c, str(n), start])
            for c, n in sizes.items()
        ]
        for writer in writers:
            writer.wait(timeout=120)
        text = output.read_text(encoding="utf-8")
        assert text in wholes, f"spliced: {len(text):,} characters of {sorted(set(text))}"
        assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]  # no temporary left


@pytest.mark.parametrize(
    ("output", "said"),
    [
        (".", "is a folder, not a regular file"),
        ("/", "is a folder, not a regular file"),
        ("", "is a folder, not a regular file"),
        ("{tmp}/no/such/folder/out.md", "its folder {tmp}/no/such/folder does not exist"),
        ("{tmp}/file.txt/out.md", "a part of the path is not a folder"),
    ],
)
def test_odd_outputs_are_one_line(tmp_path: Path, output: str, said: str) -> None:
    (tmp_path / "file.txt").write_text("x\n", encoding="utf-8")
    target = output.replace("{tmp}", str(tmp_path))
    _refused(_markdown(Path(target), "--force"), said.replace("{tmp}", str(tmp_path)))


def test_a_read_only_file_system_is_one_line(tmp_path: Path, monkeypatch) -> None:
    import errno
    import tempfile

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    _refused(_markdown(tmp_path / "out.md"), "cannot be written: Read-only file system")
    assert not (tmp_path / "out.md").exists()


def test_new_with_its_output_folder_under_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file.txt").write_text("x\n", encoding="utf-8")
    for folder in ("file.txt", "file.txt/sub"):
        result = _invoke("new", "--output-dir", str(tmp_path / folder))
        _refused(result, "--output-dir")
    assert (tmp_path / "file.txt").read_text(encoding="utf-8") == "x\n"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
@pytest.mark.parametrize("args", [["run", "dawood"], ["run", "dawood", "-f", "json"], ["examples"]])
def test_standard_output_on_a_full_disk_is_one_line(args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [*PYTHON, *args], stdout=full, stderr=subprocess.PIPE, text=True, timeout=120
        )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (
        "error: cannot write to standard output: No space left on device"
    )


def test_a_closed_pipe_ends_quietly() -> None:
    """`run dawood | head -1`: no 'Broken pipe' traceback, the shell tools' exit code."""
    reader = subprocess.Popen(
        ["head", "-c", "10"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    writer = subprocess.run(
        [*PYTHON, "run", "dawood", "-f", "json"],
        stdout=reader.stdin,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )
    reader.stdin.close()
    reader.wait(timeout=60)
    assert writer.stderr == "" and writer.returncode in (0, 128 + signal.SIGPIPE)


def test_quiz_with_standard_input_closed_is_one_line() -> None:
    result = subprocess.run(
        [*PYTHON, "quiz", "dawood"],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: os.close(0),
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: quiz: standard input is closed")
    assert result.stderr.count("\n") == 1


# every command that writes files, and the files it writes (under a fresh folder)
WRITERS = [
    (["run", "dawood", "-f", "markdown", "-o", "out.md"], ["out.md"]),
    (["run", "dawood", "--claims-template", "mine.yaml"], ["mine.yaml"]),
    (["derive", "sigmoid", "-f", "latex", "-o", "sigmoid.tex"], ["sigmoid.tex"]),
    (["train", "{root}/configs/xor.yaml", "-f", "json", "-o", "xor.json"], ["xor.json"]),
    (["train", "{root}/configs/xor.yaml", "--plot", "loss.png"], ["loss.png"]),
    (
        ["grade", "dawood", "{root}/tests/data/sheets/dawood-class.csv", "-o", "grades.html"],
        ["grades.html"],
    ),
    (["bank", "2-2-2", "--versions", "2", "-o", "exam.xml"], ["exam.xml"]),
    (
        ["bank", "2-2-2", "--versions", "2", "-f", "latex", "-o", "e.tex"],
        ["e.tex", "e-answers.tex"],
    ),
    (["bank", "2-2-2", "--versions", "2", "-f", "qti", "-o", "exam.zip"], ["exam.zip"]),
    (
        ["bank", "2-2-2", "--versions", "2", "-f", "prairielearn", "-o", "q"],
        ["q/info.json", "q/question.html", "q/server.py"],
    ),
    (
        ["new", "-o", "sheet"],
        ["sheet/exercise.yaml", "sheet/answers.md", "sheet/worksheet.md", "sheet/claims.yaml"],
    ),
    (["draw", "dawood", "-o", "net.svg"], ["net.svg"]),
    (["explore", "dawood", "-o", "page.html"], ["page.html"]),
]


@pytest.mark.parametrize(("args", "files"), WRITERS, ids=" ".join)
def test_every_file_written_is_said_on_stderr(
    tmp_path: Path, monkeypatch, args: list[str], files: list[str]
) -> None:
    """One `Wrote FILE` line on stderr per file written (`: what it holds` after it), none on
    stdout, which stays the document's; and a file written is never left unsaid."""
    if "--plot" in args or args[0] == "draw":
        pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    root = str(Path(__file__).resolve().parent.parent)
    result = _invoke(*(a.replace("{root}", root) for a in args))
    assert result.exit_code == 0, result.output + result.stderr
    said = [
        line.removeprefix("Wrote ").split(": ")[0]
        for line in result.stderr.splitlines()
        if line.startswith("Wrote ")
    ]
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert said == files and sorted(files) == written
    assert "Wrote" not in result.stdout
