"""`bank -f prairielearn -o DIR` writes a question folder: a new one, or one that exists (the
generic --output check refused any folder, even an empty one with --force); a question file
already in it needs --force, and is named when refused; a symbolic link, the folder or a file
in it, is never followed. Each refusal is one line, exit 2, before anything is written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backprop_tutor.cli import app

FILES = {"info.json", "question.html", "server.py"}


def _bank(tmp_path: Path, monkeypatch, *extra: str):
    """The bank written to `q` in tmp_path, run from there (messages name `q/...`)."""
    monkeypatch.chdir(tmp_path)
    args = ["bank", "2-2-2", "--versions", "2", "-f", "prairielearn", "-o", "q", *extra]
    return CliRunner().invoke(app, args)


def _refused(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_an_existing_empty_folder_is_written(tmp_path, monkeypatch, force) -> None:
    (tmp_path / "q").mkdir()
    result = _bank(tmp_path, monkeypatch, *force)
    assert result.exit_code == 0, result.stderr
    assert {p.name for p in (tmp_path / "q").iterdir()} == FILES
    assert json.loads((tmp_path / "q" / "info.json").read_text(encoding="utf-8"))["type"] == "v3"


def test_a_question_file_already_there_is_named_and_needs_force(tmp_path, monkeypatch) -> None:
    folder = tmp_path / "q"
    folder.mkdir()
    (folder / "server.py").write_text("mine", encoding="utf-8")
    (folder / "notes.txt").write_text("kept", encoding="utf-8")  # not the question's
    assert "q/server.py" in _refused(_bank(tmp_path, monkeypatch))
    assert (folder / "server.py").read_text(encoding="utf-8") == "mine"
    assert not (folder / "info.json").exists()  # refused before any file was written
    assert _bank(tmp_path, monkeypatch, "--force").exit_code == 0
    assert (folder / "server.py").read_text(encoding="utf-8").startswith('"""Written by')
    assert {p.name for p in folder.iterdir()} == FILES | {"notes.txt"}


def test_a_linked_folder_is_never_followed(tmp_path, monkeypatch) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    os.symlink(target, tmp_path / "q")
    line = _refused(_bank(tmp_path, monkeypatch, "--force"))
    assert line.startswith("error: q:") and "symbolic link" in line
    assert not list(target.iterdir())


def test_a_linked_question_file_is_never_followed(tmp_path, monkeypatch) -> None:
    (tmp_path / "q").mkdir()
    outside = tmp_path / "outside.py"
    outside.write_text("theirs", encoding="utf-8")
    os.symlink(outside, tmp_path / "q" / "server.py")
    assert "q/server.py" in _refused(_bank(tmp_path, monkeypatch, "--force"))
    assert outside.read_text(encoding="utf-8") == "theirs"
    assert (tmp_path / "q" / "server.py").is_symlink()


def test_a_file_where_the_folder_goes_is_refused(tmp_path, monkeypatch) -> None:
    (tmp_path / "q").write_text("a file", encoding="utf-8")
    assert "q" in _refused(_bank(tmp_path, monkeypatch, "--force"))
    assert (tmp_path / "q").read_text(encoding="utf-8") == "a file"


def test_a_folder_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    """Under a file that is not a folder's parent (/proc's files take no children): it was
    an unexpected FileNotFoundError, exit 3."""
    (tmp_path / "plain").write_text("x", encoding="utf-8")
    for folder in ("/proc/self/no-such/q", str(tmp_path / "plain" / "q")):
        args = ["bank", "2-2-2", "--versions", "1", "-f", "prairielearn", "-o", folder]
        assert folder in _refused(CliRunner().invoke(app, args))
